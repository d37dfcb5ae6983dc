//! [`VirtualPointer`]: a pointer a test moves on a [`MutterServer`].

use std::collections::HashMap;
use std::time::Duration;

use zbus::blocking::Connection;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

use super::{MutterServer, ServerError};

const REMOTE_DESKTOP: &str = "org.gnome.Mutter.RemoteDesktop";
const REMOTE_DESKTOP_PATH: &str = "/org/gnome/Mutter/RemoteDesktop";
const REMOTE_DESKTOP_SESSION: &str = "org.gnome.Mutter.RemoteDesktop.Session";
const SCREEN_CAST: &str = "org.gnome.Mutter.ScreenCast";
const SCREEN_CAST_PATH: &str = "/org/gnome/Mutter/ScreenCast";
const SCREEN_CAST_SESSION: &str = "org.gnome.Mutter.ScreenCast.Session";

/// How long a call to mutter may take: a guard against a hang, never a verdict on speed.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A virtual pointer a test moves on a [`MutterServer`], through mutter's
/// remote-desktop interface (`org.gnome.Mutter.RemoteDesktop`, what gnome-remote-desktop
/// drives).
///
/// A headless mutter has no input device, so it shows no pointer at all. A remote-desktop
/// session adds a virtual pointer; mutter then shows the pointer wherever the session puts it
/// (the cursor theme's default arrow over the desktop; over a window that set no pointer
/// image, nothing). Absolute motion is given in the
/// pixels of a screen cast of the session: a remote-desktop session's own screen-cast session
/// (`CreateSession` with `remote-desktop-session-id`) records the monitor whose pixels the
/// positions are in, and mutter places the pointer at the monitor's place plus the position
/// divided by its scale.
///
/// The session belongs to the bus connection that made it (mutter ends it when the connection
/// closes), so this value holds the connection, and dropping it stops the session, which takes
/// the virtual pointer away again. Every call is answered within 30 s or fails.
#[derive(Debug)]
pub struct VirtualPointer {
    connection: Connection,
    session: OwnedObjectPath,
    stream: OwnedObjectPath,
    connector: String,
}

impl VirtualPointer {
    /// Starts a remote-desktop session on `server` whose absolute positions are in the pixels
    /// of the monitor on `connector` (`Meta-0` for the first).
    ///
    /// # Errors
    ///
    /// [`ServerError::Connect`] naming the call that failed.
    pub fn new(server: &MutterServer, connector: &str) -> Result<Self, ServerError> {
        let address = server.bus_address();
        let connection = zbus::blocking::connection::Builder::address(address)
            .and_then(|builder| builder.method_timeout(CALL_TIMEOUT).build())
            .map_err(|error| failed(address, "connecting", error))?;
        let call = Caller {
            connection: &connection,
            address,
        };
        let (session,): (OwnedObjectPath,) =
            call.call((REMOTE_DESKTOP_PATH, REMOTE_DESKTOP), "CreateSession", &())?;
        let (session_id,): (OwnedValue,) = call.call(
            (session.as_str(), "org.freedesktop.DBus.Properties"),
            "Get",
            &(REMOTE_DESKTOP_SESSION, "SessionId"),
        )?;
        let session_id = String::try_from(session_id)
            .map_err(|error| failed(address, "SessionId", error.into()))?;
        let mut options = HashMap::new();
        options.insert(
            "remote-desktop-session-id",
            Value::from(session_id.as_str()),
        );
        let (cast_session,): (OwnedObjectPath,) = call.call(
            (SCREEN_CAST_PATH, SCREEN_CAST),
            "CreateSession",
            &(options,),
        )?;
        let (stream,): (OwnedObjectPath,) = call.call(
            (cast_session.as_str(), SCREEN_CAST_SESSION),
            "RecordMonitor",
            &(connector, HashMap::<&str, Value<'_>>::new()),
        )?;
        // Starting the remote-desktop session starts its screen cast too.
        let () = call.call((session.as_str(), REMOTE_DESKTOP_SESSION), "Start", &())?;
        Ok(Self {
            connection,
            session,
            stream,
            connector: connector.to_owned(),
        })
    }

    /// Moves the pointer to (`x`, `y`) in the pixels of the monitor given at
    /// [`new`](Self::new), and returns once mutter has taken the motion (the call's answer).
    ///
    /// # Errors
    ///
    /// [`ServerError::Connect`] when mutter refuses the call.
    pub fn move_to(&self, x: f64, y: f64) -> Result<(), ServerError> {
        self.connection
            .call_method(
                Some(REMOTE_DESKTOP),
                self.session.as_str(),
                Some(REMOTE_DESKTOP_SESSION),
                "NotifyPointerMotionAbsolute",
                &(self.stream.as_str(), x, y),
            )
            .map(drop)
            .map_err(|error| ServerError::Connect {
                display: format!("mutter's remote desktop on {}", self.connector),
                reason: format!("NotifyPointerMotionAbsolute: {error}"),
            })
    }

    /// The monitor whose pixels positions are in.
    pub fn connector(&self) -> &str {
        &self.connector
    }
}

/// Calls methods of mutter's services (which own both bus names) on one connection.
struct Caller<'a> {
    connection: &'a Connection,
    address: &'a str,
}

impl Caller<'_> {
    fn call<B, R>(
        &self,
        (path, interface): (&str, &str),
        method: &str,
        body: &B,
    ) -> Result<R, ServerError>
    where
        B: zbus::export::serde::ser::Serialize + zbus::zvariant::DynamicType,
        R: for<'d> zbus::zvariant::DynamicDeserialize<'d>,
    {
        let destination = if interface.starts_with(SCREEN_CAST) {
            SCREEN_CAST
        } else {
            REMOTE_DESKTOP
        };
        self.connection
            .call_method(Some(destination), path, Some(interface), method, body)
            .and_then(|reply| reply.body().deserialize::<R>())
            .map_err(|error| failed(self.address, method, error))
    }
}

fn failed(address: &str, call: &str, error: zbus::Error) -> ServerError {
    ServerError::Connect {
        display: address.to_owned(),
        reason: format!("mutter's remote desktop, {call}: {error}"),
    }
}

impl Drop for VirtualPointer {
    fn drop(&mut self) {
        // Errors are ignored: mutter may be gone already, which ended the session.
        let _ = self.connection.call_method(
            Some(REMOTE_DESKTOP),
            self.session.as_str(),
            Some(REMOTE_DESKTOP_SESSION),
            "Stop",
            &(),
        );
    }
}
