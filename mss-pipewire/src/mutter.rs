//! [`MutterDbus`]: a client of GNOME's compositor (mutter) on the session bus, for screen
//! casts with no dialog: `org.gnome.Mutter.DisplayConfig` (the monitors and their layout) and
//! `org.gnome.Mutter.ScreenCast` (a PipeWire stream of one monitor; gnome-remote-desktop uses
//! the same interface).
//!
//! A screen-cast session belongs to the D-Bus connection that created it: mutter ends it when
//! that connection closes. So one client holds one connection, and a [`MonitorCast`] holds a
//! handle on it for as long as the stream is wanted; dropping the cast stops its session.
//!
//! Every call is bounded by the timeout the client was made with, and so is the wait for a
//! cast's PipeWire node; connecting to the bus is bounded too (the socket is shut down when
//! the bus does not finish its handshake in time, so no thread is left waiting on it).

use std::collections::HashMap;
use std::io;
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::time::Duration;

use zbus::blocking::Connection;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

/// mutter's screen-cast service: its bus name, and the interface of its root object.
pub const SCREEN_CAST: &str = "org.gnome.Mutter.ScreenCast";
const SCREEN_CAST_PATH: &str = "/org/gnome/Mutter/ScreenCast";
const SESSION: &str = "org.gnome.Mutter.ScreenCast.Session";
const STREAM: &str = "org.gnome.Mutter.ScreenCast.Stream";
/// mutter's display configuration service: its bus name and interface.
pub const DISPLAY_CONFIG: &str = "org.gnome.Mutter.DisplayConfig";
const DISPLAY_CONFIG_PATH: &str = "/org/gnome/Mutter/DisplayConfig";

/// What went wrong talking to mutter.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MutterError {
    /// The session bus could not be reached.
    #[error("cannot connect to the session bus at {address}: {source}")]
    Connect {
        /// The bus's address.
        address: String,
        /// What failed.
        #[source]
        source: io::Error,
    },
    /// A D-Bus call (or the connection) failed.
    #[error("{call} on the session bus failed: {source}")]
    Dbus {
        /// The method called.
        call: &'static str,
        /// zbus's error.
        #[source]
        source: zbus::Error,
    },
    /// mutter (or the bus) did not answer in time.
    #[error("no answer to {waiting_for} within {seconds} s")]
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

impl MutterError {
    /// Whether the error says that nobody owns the name called (mutter is not running, or not
    /// on this bus), or that the bus connection is gone.
    pub fn is_gone(&self) -> bool {
        match self {
            MutterError::Dbus { source, .. } => match source {
                zbus::Error::MethodError(name, ..) => matches!(
                    name.as_str(),
                    "org.freedesktop.DBus.Error.ServiceUnknown"
                        | "org.freedesktop.DBus.Error.NameHasNoOwner"
                        | "org.freedesktop.DBus.Error.NoReply"
                        | "org.freedesktop.DBus.Error.Disconnected"
                ),
                zbus::Error::InputOutput(error) => error.kind() != io::ErrorKind::TimedOut,
                _ => false,
            },
            MutterError::Connect { .. } => true,
            _ => false,
        }
    }

    /// Whether the error is a call that got no answer in time.
    pub fn is_timeout(&self) -> bool {
        match self {
            MutterError::Timeout { .. } => true,
            MutterError::Dbus {
                source: zbus::Error::InputOutput(error),
                ..
            } => error.kind() == io::ErrorKind::TimedOut,
            _ => false,
        }
    }
}

/// How the pointer shows in a screen cast (`cursor-mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CursorMode {
    /// 0: not shown.
    Hidden,
    /// 1: drawn into the frames.
    Embedded,
    /// 2: sent as metadata beside the frames.
    Metadata,
}

/// A physical monitor, as `DisplayConfig.GetCurrentState` describes it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct PhysicalMonitor {
    /// Its connector (`Meta-0` for mutter's first virtual monitor, `DP-1`, `eDP-1`).
    pub connector: String,
    /// Its vendor, product and serial, as the monitor reports them (EDID).
    pub vendor: String,
    /// The product name.
    pub product: String,
    /// The serial number.
    pub serial: String,
    /// A human-readable name (`display-name`), when mutter gives one.
    pub display_name: Option<String>,
    /// The current mode's size in pixels, when a mode is current.
    pub mode: Option<(u32, u32)>,
    /// The current mode's refresh rate in Hz.
    pub refresh_rate: Option<f64>,
}

/// A logical monitor: a place on the screen that one or more physical monitors show.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct LogicalMonitor {
    /// Its left edge, in the layout's coordinates.
    pub x: i32,
    /// Its top edge.
    pub y: i32,
    /// Its scale.
    pub scale: f64,
    /// Its transform (0 normal, 1 to 3 quarter turns, 4 to 7 the same flipped).
    pub transform: u32,
    /// Whether it is the primary monitor.
    pub primary: bool,
    /// The connectors of the physical monitors that show it.
    pub connectors: Vec<String>,
}

/// How logical monitors are sized from their modes (`layout-mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LayoutMode {
    /// 1: a logical monitor is its mode divided by its scale (mutter's default on Wayland).
    Logical,
    /// 2: a logical monitor is its mode, whatever its scale.
    Physical,
}

/// The display configuration: `DisplayConfig.GetCurrentState`'s answer, read.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DisplayState {
    /// The physical monitors connected, in mutter's order.
    pub monitors: Vec<PhysicalMonitor>,
    /// The logical monitors, in mutter's order.
    pub logical_monitors: Vec<LogicalMonitor>,
    /// How logical monitors are sized.
    pub layout_mode: LayoutMode,
}

/// A monitor as the simplest callers want it: where it is and its current mode.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MutterMonitor {
    /// Its connector name (`Meta-0` for the first virtual monitor).
    pub connector: String,
    /// Its current mode's width in pixels.
    pub width: u32,
    /// Its current mode's height.
    pub height: u32,
    /// Its current mode's refresh rate in Hz.
    pub refresh_rate: f64,
    /// Its logical monitor's left edge.
    pub x: i32,
    /// Its logical monitor's top edge.
    pub y: i32,
    /// Its logical monitor's scale.
    pub scale: f64,
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
type RawLogicalMonitor = (
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
    Vec<RawLogicalMonitor>,
    HashMap<String, OwnedValue>,
);

/// A connection to mutter on a session bus.
#[derive(Debug)]
pub struct MutterDbus {
    connection: Connection,
    address: String,
    timeout: Option<Duration>,
}

impl MutterDbus {
    /// Connects to the session bus at `address` (`unix:path=...`, `unix:abstract=...`, or any
    /// address zbus reads), giving every call, and the connection itself, at most `timeout`
    /// (`None`: no limit).
    ///
    /// # Errors
    ///
    /// [`MutterError::Connect`] when the bus cannot be reached, [`MutterError::Dbus`] when its
    /// handshake fails, [`MutterError::Timeout`] when it does not finish in time.
    pub fn connect(address: &str, timeout: Option<Duration>) -> Result<Self, MutterError> {
        let connect_error = |source| MutterError::Connect {
            address: address.to_owned(),
            source,
        };
        let socket = match unix_socket(address) {
            Some(Ok(socket)) => Some(socket),
            Some(Err(error)) => return Err(connect_error(error)),
            None => None,
        };
        // The handshake runs on a thread of its own, so that it can be given up after the
        // timeout: the socket is shut down then, which ends the thread's read at once.
        let shutdown = match &socket {
            Some(socket) => Some(socket.try_clone().map_err(connect_error)?),
            None => None,
        };
        let builder = match socket {
            Some(socket) => zbus::blocking::connection::Builder::unix_stream(socket),
            None => zbus::blocking::connection::Builder::address(address).map_err(|source| {
                MutterError::Dbus {
                    call: "connecting",
                    source,
                }
            })?,
        };
        let builder = match timeout {
            Some(timeout) => builder.method_timeout(timeout),
            None => builder,
        };
        let (sender, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("mss-pipewire-dbus-connect".to_owned())
            .spawn(move || {
                let _ = sender.send(builder.build());
            })
            .map_err(connect_error)?;
        let built = match timeout {
            Some(timeout) => receiver.recv_timeout(timeout).ok(),
            None => receiver.recv().ok(),
        };
        match built {
            Some(Ok(connection)) => Ok(Self {
                connection,
                address: address.to_owned(),
                timeout,
            }),
            Some(Err(source)) => Err(MutterError::Dbus {
                call: "connecting",
                source,
            }),
            None => {
                if let Some(socket) = shutdown {
                    let _ = socket.shutdown(std::net::Shutdown::Both);
                }
                Err(MutterError::Timeout {
                    waiting_for: "the session bus's handshake",
                    seconds: timeout.unwrap_or_default().as_secs_f64(),
                })
            }
        }
    }

    /// The bus connection (the portal's client shares it).
    pub(crate) fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The bus's address, as given.
    pub fn address(&self) -> &str {
        &self.address
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

    /// Whether someone owns `name` on the bus (`org.freedesktop.DBus.NameHasOwner`).
    ///
    /// # Errors
    ///
    /// [`MutterError::Dbus`] when the bus does not answer.
    pub fn has_owner(&self, name: &str) -> Result<bool, MutterError> {
        let (owned,): (bool,) = self.call(
            "NameHasOwner",
            (
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus",
            ),
            &(name,),
        )?;
        Ok(owned)
    }

    /// The display configuration (`DisplayConfig.GetCurrentState`).
    ///
    /// # Errors
    ///
    /// [`MutterError::Dbus`] when the call fails.
    pub fn display_state(&self) -> Result<DisplayState, MutterError> {
        let (_, monitors, logical, properties): CurrentState = self.call(
            "GetCurrentState",
            (DISPLAY_CONFIG, DISPLAY_CONFIG_PATH, DISPLAY_CONFIG),
            &(),
        )?;
        let monitors = monitors
            .into_iter()
            .map(|(spec, modes, properties)| {
                let current = modes.iter().find(|mode| {
                    mode.6
                        .get("is-current")
                        .and_then(|value| bool::try_from(value).ok())
                        .unwrap_or(false)
                });
                PhysicalMonitor {
                    connector: spec.0,
                    vendor: spec.1,
                    product: spec.2,
                    serial: spec.3,
                    display_name: properties
                        .get("display-name")
                        .and_then(|value| String::try_from(value.clone()).ok()),
                    mode: current.and_then(|mode| {
                        Some((u32::try_from(mode.1).ok()?, u32::try_from(mode.2).ok()?))
                    }),
                    refresh_rate: current.map(|mode| mode.3),
                }
            })
            .collect();
        let logical_monitors = logical
            .into_iter()
            .map(
                |(x, y, scale, transform, primary, members, _)| LogicalMonitor {
                    x,
                    y,
                    scale,
                    transform,
                    primary,
                    connectors: members.into_iter().map(|member| member.0).collect(),
                },
            )
            .collect();
        let layout_mode = match properties
            .get("layout-mode")
            .and_then(|value| u32::try_from(value).ok())
        {
            Some(2) => LayoutMode::Physical,
            // 1, or absent: "logical mode is assumed" (the interface's documentation).
            _ => LayoutMode::Logical,
        };
        Ok(DisplayState {
            monitors,
            logical_monitors,
            layout_mode,
        })
    }

    /// The monitors with a current mode, each with its mode and its logical monitor's place
    /// and scale.
    ///
    /// # Errors
    ///
    /// As [`display_state`](Self::display_state).
    pub fn monitors(&self) -> Result<Vec<MutterMonitor>, MutterError> {
        let state = self.display_state()?;
        Ok(state
            .monitors
            .iter()
            .filter_map(|monitor| {
                let (width, height) = monitor.mode?;
                let logical = state
                    .logical_monitors
                    .iter()
                    .find(|logical| logical.connectors.contains(&monitor.connector));
                Some(MutterMonitor {
                    connector: monitor.connector.clone(),
                    width,
                    height,
                    refresh_rate: monitor.refresh_rate.unwrap_or_default(),
                    x: logical.map_or(0, |logical| logical.x),
                    y: logical.map_or(0, |logical| logical.y),
                    scale: logical.map_or(1.0, |logical| logical.scale),
                })
            })
            .collect())
    }

    /// Starts a screen cast of the monitor on `connector` (`ScreenCast.CreateSession`,
    /// `Session.RecordMonitor` with `cursor_mode`, `Session.Start`) and waits (at most
    /// `timeout`, `None` without limit) for its PipeWire node (`Stream.PipeWireStreamAdded`).
    ///
    /// # Errors
    ///
    /// [`MutterError::Dbus`] when a call fails (an unknown connector among them);
    /// [`MutterError::Timeout`] when no node is announced in time.
    pub fn record_monitor(
        &self,
        connector: &str,
        cursor_mode: CursorMode,
        timeout: Option<Duration>,
    ) -> Result<MonitorCast, MutterError> {
        let (session,): (OwnedObjectPath,) = self.call(
            "CreateSession",
            (SCREEN_CAST, SCREEN_CAST_PATH, SCREEN_CAST),
            &(HashMap::<&str, Value<'_>>::new(),),
        )?;
        let mut cast = MonitorCast {
            connection: self.connection.clone(),
            session,
            node_id: 0,
            started_at: 0,
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
        std::thread::Builder::new()
            .name("mss-pipewire-cast-node".to_owned())
            .spawn(move || {
                let mut signals = signals;
                if let Some(message) = signals.next() {
                    let node = message.and_then(|message| message.body().deserialize::<(u32,)>());
                    let _ = sender.send(node);
                }
            })
            .map_err(|source| MutterError::Connect {
                address: self.address.clone(),
                source,
            })?;
        cast.started_at = crate::clock::monotonic_nanoseconds();
        let () = self.call("Start", (SCREEN_CAST, cast.session.as_str(), SESSION), &())?;
        let announced = match timeout {
            Some(timeout) => receiver.recv_timeout(timeout).ok(),
            None => receiver.recv().ok(),
        };
        cast.node_id = match announced {
            Some(Ok((node_id,))) => node_id,
            Some(Err(source)) => {
                return Err(MutterError::Dbus {
                    call: "PipeWireStreamAdded",
                    source,
                });
            }
            None => {
                return Err(MutterError::Timeout {
                    waiting_for: "PipeWireStreamAdded",
                    seconds: timeout.unwrap_or_default().as_secs_f64(),
                });
            }
        };
        Ok(cast)
    }

    /// The limit every call is given.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }
}

/// The Unix socket an address names, connected (`unix:path=` or `unix:abstract=`, the first
/// of several addresses); `None` for other transports, which zbus connects itself.
fn unix_socket(address: &str) -> Option<io::Result<UnixStream>> {
    let first = address.split(';').next()?;
    let options = first.strip_prefix("unix:")?;
    for option in options.split(',') {
        if let Some(path) = option.strip_prefix("path=") {
            return Some(UnixStream::connect(unescape(path)));
        }
        if let Some(name) = option.strip_prefix("abstract=") {
            use std::os::linux::net::SocketAddrExt as _;
            let connected = std::os::unix::net::SocketAddr::from_abstract_name(unescape(name))
                .and_then(|address| UnixStream::connect_addr(&address));
            return Some(connected);
        }
    }
    None
}

/// A D-Bus address value with its `%XX` escapes undone.
fn unescape(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| bytes.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                index += 3;
            }
            None => {
                out.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A running screen cast of one monitor; its session is stopped (`Session.Stop`) when
/// dropped. It holds a handle on the client's connection, which lives as long as it does.
#[derive(Debug)]
pub struct MonitorCast {
    connection: Connection,
    session: OwnedObjectPath,
    node_id: u32,
    started_at: i64,
}

impl MonitorCast {
    /// The PipeWire node to connect a stream to.
    pub fn node_id(&self) -> u32 {
        self.node_id
    }

    /// The monotonic clock (`CLOCK_MONOTONIC`, nanoseconds) just before the cast was
    /// started: every frame mutter records for it is stamped later.
    pub fn started_at(&self) -> i64 {
        self.started_at
    }
}

impl Drop for MonitorCast {
    fn drop(&mut self) {
        // Errors are ignored: the session may already be gone with mutter.
        let _ = self.connection.call_method(
            Some(SCREEN_CAST),
            self.session.as_str(),
            Some(SESSION),
            "Stop",
            &(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_name_their_unix_socket_with_escapes_undone() {
        assert_eq!(unescape("/run/user/1000/bus"), "/run/user/1000/bus");
        assert_eq!(unescape("/tmp/a%20b%2cc"), "/tmp/a b,c");
        assert_eq!(unescape("/tmp/100%"), "/tmp/100%");
        assert_eq!(unescape("/tmp/%zz"), "/tmp/%zz");
        // Other transports are zbus's to connect.
        assert!(unix_socket("tcp:host=localhost,port=1").is_none());
        assert!(unix_socket("unix:tmpdir=/tmp").is_none());
        // A socket that is not there is the connection's error.
        let missing = unix_socket("unix:path=/nonexistent/mss-bus,guid=0;tcp:host=x").unwrap();
        assert_eq!(missing.unwrap_err().kind(), io::ErrorKind::NotFound);
    }
}
