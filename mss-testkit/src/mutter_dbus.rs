//! [`MutterDbus`]: a client of mutter's D-Bus interfaces for screen casts:
//! `org.gnome.Mutter.DisplayConfig` (the monitors) and `org.gnome.Mutter.ScreenCast` (a
//! PipeWire stream of a monitor, with no dialog).
//!
//! A screen-cast session belongs to the D-Bus connection that created it: mutter ends it when
//! that connection closes. So one client holds one connection, and a [`MonitorCast`] borrows
//! it for as long as the stream is wanted.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::Duration;

use zbus::blocking::Connection;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

const SCREEN_CAST: &str = "org.gnome.Mutter.ScreenCast";
const SCREEN_CAST_PATH: &str = "/org/gnome/Mutter/ScreenCast";
const SESSION: &str = "org.gnome.Mutter.ScreenCast.Session";
const STREAM: &str = "org.gnome.Mutter.ScreenCast.Stream";
const DISPLAY_CONFIG: &str = "org.gnome.Mutter.DisplayConfig";
const DISPLAY_CONFIG_PATH: &str = "/org/gnome/Mutter/DisplayConfig";

/// What went wrong talking to mutter.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MutterError {
    /// A D-Bus call (or the connection) failed.
    #[error("{call} on mutter's session bus failed: {source}")]
    Dbus {
        /// The method called.
        call: &'static str,
        /// zbus's error.
        #[source]
        source: zbus::Error,
    },
    /// mutter did not answer in time.
    #[error("mutter did not send {waiting_for} within {seconds} s")]
    Timeout {
        /// What was waited for.
        waiting_for: &'static str,
        /// The time limit.
        seconds: f64,
    },
    /// An answer that does not say what it should.
    #[error("mutter's answer to {call} is not what was expected: {what}")]
    Unexpected {
        /// The method called.
        call: &'static str,
        /// What is wrong.
        what: String,
    },
}

/// How the pointer shows in a screen cast (`cursor-mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CursorMode {
    /// 0: not shown.
    Hidden,
    /// 1: drawn into the frames.
    Embedded,
    /// 2: sent as metadata beside the frames.
    Metadata,
}

/// A monitor as `DisplayConfig.GetCurrentState` describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct MutterMonitor {
    /// Its connector name (`Meta-0` for the first virtual monitor).
    pub connector: String,
    /// Its current mode's size in pixels.
    pub width: u32,
    /// Its current mode's height.
    pub height: u32,
    /// Its current mode's refresh rate in Hz.
    pub refresh_rate: f64,
    /// Its logical monitor's position.
    pub x: i32,
    /// Its logical monitor's position.
    pub y: i32,
    /// Its logical monitor's scale.
    pub scale: f64,
}

/// A connection to mutter on a session bus.
#[derive(Debug)]
pub struct MutterDbus {
    connection: Connection,
}

/// `(connector, vendor, product, serial)`.
type MonitorSpec = (String, String, String, String);
/// `(id, width, height, refresh rate, preferred scale, supported scales, properties)`.
type Mode = (
    String,
    i32,
    i32,
    f64,
    f64,
    Vec<f64>,
    HashMap<String, OwnedValue>,
);
/// `(x, y, scale, transform, primary, monitors, properties)`.
type LogicalMonitor = (
    i32,
    i32,
    f64,
    u32,
    bool,
    Vec<MonitorSpec>,
    HashMap<String, OwnedValue>,
);
/// `GetCurrentState`'s answer.
type CurrentState = (
    u32,
    Vec<(MonitorSpec, Vec<Mode>, HashMap<String, OwnedValue>)>,
    Vec<LogicalMonitor>,
    HashMap<String, OwnedValue>,
);

impl MutterDbus {
    /// Connects to the session bus at `address` (a [`MutterServer`](crate::MutterServer)'s).
    ///
    /// # Errors
    ///
    /// [`MutterError::Dbus`] when the bus cannot be reached.
    pub fn connect(address: &str) -> Result<Self, MutterError> {
        let connection = zbus::blocking::connection::Builder::address(address)
            .and_then(|builder| builder.build())
            .map_err(|source| MutterError::Dbus {
                call: "connecting",
                source,
            })?;
        Ok(Self { connection })
    }

    fn call<B, R>(
        &self,
        call: &'static str,
        (destination, path, interface): (&str, &str, &str),
        body: &B,
    ) -> Result<R, MutterError>
    where
        B: zbus::export::serde::ser::Serialize + zbus::zvariant::DynamicType,
        R: for<'d> zbus::zvariant::DynamicDeserialize<'d>,
    {
        let reply = self
            .connection
            .call_method(Some(destination), path, Some(interface), call, body)
            .map_err(|source| MutterError::Dbus { call, source })?;
        reply
            .body()
            .deserialize::<R>()
            .map_err(|source| MutterError::Dbus { call, source })
    }

    /// The monitors, from `DisplayConfig.GetCurrentState`: each with its current mode and its
    /// logical monitor's position and scale.
    ///
    /// # Errors
    ///
    /// [`MutterError::Dbus`] when the call fails; [`MutterError::Unexpected`] for a monitor
    /// without a current mode.
    pub fn monitors(&self) -> Result<Vec<MutterMonitor>, MutterError> {
        const CALL: &str = "GetCurrentState";
        let (_, monitors, logical, _): CurrentState = self.call(
            CALL,
            (DISPLAY_CONFIG, DISPLAY_CONFIG_PATH, DISPLAY_CONFIG),
            &(),
        )?;
        monitors
            .into_iter()
            .map(|(spec, modes, _)| {
                let current = modes
                    .iter()
                    .find(|mode| {
                        mode.6
                            .get("is-current")
                            .and_then(|value| bool::try_from(value).ok())
                            .unwrap_or(false)
                    })
                    .ok_or_else(|| MutterError::Unexpected {
                        call: CALL,
                        what: format!("monitor {} has no current mode", spec.0),
                    })?;
                let (x, y, scale) = logical
                    .iter()
                    .find(|logical| logical.5.iter().any(|member| member.0 == spec.0))
                    .map_or((0, 0, 1.0), |logical| (logical.0, logical.1, logical.2));
                Ok(MutterMonitor {
                    connector: spec.0,
                    width: current.1 as u32,
                    height: current.2 as u32,
                    refresh_rate: current.3,
                    x,
                    y,
                    scale,
                })
            })
            .collect()
    }

    /// Starts a screen cast of the monitor on `connector` (`ScreenCast.CreateSession`,
    /// `Session.RecordMonitor` with `cursor_mode`, `Session.Start`) and waits (at most
    /// `timeout`) for its PipeWire node (`Stream.PipeWireStreamAdded`).
    ///
    /// # Errors
    ///
    /// [`MutterError::Dbus`] when a call fails (an unknown connector among them);
    /// [`MutterError::Timeout`] when no node is announced in time.
    pub fn record_monitor(
        &self,
        connector: &str,
        cursor_mode: CursorMode,
        timeout: Duration,
    ) -> Result<MonitorCast<'_>, MutterError> {
        let (session,): (OwnedObjectPath,) = self.call(
            "CreateSession",
            (SCREEN_CAST, SCREEN_CAST_PATH, SCREEN_CAST),
            &(HashMap::<&str, Value<'_>>::new(),),
        )?;
        let mut cast = MonitorCast {
            client: self,
            session,
            node_id: 0,
        };
        let mut properties = HashMap::new();
        let mode = match cursor_mode {
            CursorMode::Hidden => 0u32,
            CursorMode::Embedded => 1,
            CursorMode::Metadata => 2,
        };
        properties.insert("cursor-mode", Value::from(mode));
        let (stream,): (OwnedObjectPath,) = self.call(
            "RecordMonitor",
            (SCREEN_CAST, cast.session.as_str(), SESSION),
            &(connector, properties),
        )?;
        // Subscribed before Start, so the announcement cannot be missed.
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface(STREAM)
            .and_then(|rule| rule.member("PipeWireStreamAdded"))
            .and_then(|rule| rule.path(stream.as_str()))
            .map(|rule| rule.build())
            .map_err(|source| MutterError::Dbus {
                call: "AddMatch",
                source,
            })?;
        let signals =
            zbus::blocking::MessageIterator::for_match_rule(rule, &self.connection, Some(4))
                .map_err(|source| MutterError::Dbus {
                    call: "AddMatch",
                    source,
                })?;
        let (sender, receiver) = mpsc::channel();
        // The iterator blocks without a deadline, so it waits on a thread of its own, which
        // ends when the signal comes or the connection closes.
        std::thread::spawn(move || {
            let mut signals = signals;
            if let Some(message) = signals.next() {
                let node = message.and_then(|message| message.body().deserialize::<(u32,)>());
                let _ = sender.send(node);
            }
        });
        let () = self.call("Start", (SCREEN_CAST, cast.session.as_str(), SESSION), &())?;
        cast.node_id = match receiver.recv_timeout(timeout) {
            Ok(Ok((node_id,))) => node_id,
            Ok(Err(source)) => {
                return Err(MutterError::Dbus {
                    call: "PipeWireStreamAdded",
                    source,
                });
            }
            Err(_) => {
                return Err(MutterError::Timeout {
                    waiting_for: "PipeWireStreamAdded",
                    seconds: timeout.as_secs_f64(),
                });
            }
        };
        Ok(cast)
    }
}

/// A running screen cast of one monitor; stopped (`Session.Stop`) when dropped.
#[derive(Debug)]
pub struct MonitorCast<'a> {
    client: &'a MutterDbus,
    session: OwnedObjectPath,
    node_id: u32,
}

impl MonitorCast<'_> {
    /// The PipeWire node to connect a stream to.
    pub fn node_id(&self) -> u32 {
        self.node_id
    }
}

impl Drop for MonitorCast<'_> {
    fn drop(&mut self) {
        // Errors are ignored: the session may already be gone with mutter.
        let _: Result<(), _> =
            self.client
                .call("Stop", (SCREEN_CAST, self.session.as_str(), SESSION), &());
    }
}
