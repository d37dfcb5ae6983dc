//! A client of the desktop portal's screen cast (`org.freedesktop.portal.ScreenCast` on
//! `org.freedesktop.portal.Desktop`, the session bus): what KDE, COSMIC, Hyprland and the other
//! desktops without GNOME's own interface offer, and what a sandboxed application gets on
//! GNOME.
//!
//! # Requests
//!
//! `CreateSession`, `SelectSources` and `Start` answer at once with the path of a `Request`
//! object; the real answer comes later as that object's `Response` signal (a number: 0 done,
//! 1 the user refused, 2 ended in another way; and results), possibly after a dialog. The
//! request's path is predictable from the caller's unique name and the `handle_token` it
//! passes (`/org/freedesktop/portal/desktop/request/SENDER/TOKEN`, `SENDER` the unique name
//! without its `:` and with `.` as `_`), so the signal is subscribed to before the call and
//! cannot be missed. Every wait has the caller's deadline; a request given up is closed
//! (`Request.Close`), so a dialog does not stay open for nobody.
//!
//! # Sessions
//!
//! A session (`Session` object) holds the streams: one per monitor the user chose, each a
//! PipeWire node with its place and size in the compositor's coordinates. Its PipeWire
//! connection comes from `OpenPipeWireRemote`: a socket that sees only the session's nodes.
//! The session belongs to the bus connection that made it and ends with it; it is closed
//! (`Session.Close`) when dropped. When the portal, its backend or the compositor ends it, the
//! portal sends `Closed`, which [`PortalSession::is_closed`] reports.
//!
//! # Restore tokens
//!
//! `SelectSources` with `persist_mode` 2 asks the portal to remember the choice until the
//! user revokes it: `Start` then answers with a `restore_token`, which a later session passes
//! to `SelectSources` to be restored without a dialog. xdg-desktop-portal keeps the choice in
//! the user's permission store, hands each token out once (a restored session answers with a
//! token again, usually the same one), ignores a token it does not know (the dialog is shown)
//! and refuses one that is not a UUID.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use zbus::blocking::Connection;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

/// The desktop portal's bus name.
pub(crate) const PORTAL: &str = "org.freedesktop.portal.Desktop";
const PORTAL_PATH: &str = "/org/freedesktop/portal/desktop";
/// The screen-cast portal's interface.
pub(crate) const SCREEN_CAST: &str = "org.freedesktop.portal.ScreenCast";
const REQUEST: &str = "org.freedesktop.portal.Request";
const SESSION: &str = "org.freedesktop.portal.Session";

/// Source types (`types`, `AvailableSourceTypes`): monitors.
const MONITOR: u32 = 1;
/// `persist_mode` 2: until the user revokes it.
const PERSIST_UNTIL_REVOKED: u32 = 2;

/// What went wrong with the portal.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PortalError {
    /// Nobody owns the portal's name and the bus cannot start it.
    #[error(
        "there is no desktop portal on the session bus ({PORTAL} is neither running nor \
         activatable: xdg-desktop-portal is not installed, or not set up for this session): \
         {source}"
    )]
    NoPortal {
        /// The bus's answer.
        #[source]
        source: zbus::Error,
    },
    /// The portal runs without a screen cast.
    #[error(
        "the desktop portal offers no screen cast ({SCREEN_CAST}: no portal backend of this \
         desktop implements it, such as xdg-desktop-portal-kde, -wlr, -hyprland, -cosmic or \
         -gnome): {reason}"
    )]
    NoScreenCast {
        /// The portal's answer.
        reason: String,
    },
    /// The screen cast cannot record monitors.
    #[error(
        "the desktop portal's screen cast cannot record monitors (its source types: {types:#x})"
    )]
    NoMonitors {
        /// `AvailableSourceTypes`.
        types: u32,
    },
    /// A call failed.
    #[error("{call} on the desktop portal failed: {source}")]
    Dbus {
        /// The method called.
        call: &'static str,
        /// zbus's error.
        #[source]
        source: zbus::Error,
    },
    /// The user refused (response 1).
    #[error("the user refused to share the screen in the desktop portal's dialog ({call})")]
    Refused {
        /// The request.
        call: &'static str,
    },
    /// The request ended otherwise (response 2).
    #[error(
        "the desktop portal ended {call} without a result (response 2: the dialog was \
         closed, or the portal or its backend gave up)"
    )]
    Cancelled {
        /// The request.
        call: &'static str,
    },
    /// No answer in time.
    #[error("no answer from the desktop portal to {call} within {seconds} s ({waiting})")]
    Timeout {
        /// The request.
        call: &'static str,
        /// What the portal may be waiting for.
        waiting: &'static str,
        /// The time limit.
        seconds: f64,
    },
    /// An answer that does not say what it should.
    #[error("the desktop portal's answer to {call} is not what was expected: {what}")]
    Unexpected {
        /// The request.
        call: &'static str,
        /// What is wrong.
        what: String,
    },
}

impl PortalError {
    /// Whether the error says that the portal or the bus is gone.
    pub(crate) fn is_gone(&self) -> bool {
        match self {
            PortalError::Dbus { source, .. } => match source {
                zbus::Error::MethodError(name, ..) => matches!(
                    name.as_str(),
                    "org.freedesktop.DBus.Error.ServiceUnknown"
                        | "org.freedesktop.DBus.Error.NameHasNoOwner"
                        | "org.freedesktop.DBus.Error.NoReply"
                        | "org.freedesktop.DBus.Error.Disconnected"
                ),
                zbus::Error::InputOutput(error) => error.kind() != std::io::ErrorKind::TimedOut,
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether the error is the portal refusing an argument (`InvalidArgument`), such as a
    /// restore token that is not a UUID.
    pub(crate) fn is_invalid_argument(&self) -> bool {
        matches!(
            self,
            PortalError::Dbus {
                source: zbus::Error::MethodError(name, ..),
                ..
            } if name.as_str() == "org.freedesktop.portal.Error.InvalidArgument"
                || name.as_str() == "org.freedesktop.DBus.Error.InvalidArgs"
        )
    }

    /// Whether a call got no answer in time.
    pub(crate) fn is_timeout(&self) -> bool {
        match self {
            PortalError::Timeout { .. } => true,
            PortalError::Dbus {
                source: zbus::Error::InputOutput(error),
                ..
            } => error.kind() == std::io::ErrorKind::TimedOut,
            _ => false,
        }
    }
}

/// How the pointer shows in the portal's streams (`cursor_mode`, `AvailableCursorModes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PortalCursor {
    /// 1: not in the stream.
    Hidden = 1,
    /// 2: drawn into the frames.
    Embedded = 2,
    /// 4: beside the frames, as metadata.
    Metadata = 4,
}

/// What the portal's screen cast offers (its properties).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Offer {
    /// `AvailableSourceTypes`.
    pub(crate) source_types: u32,
    /// `AvailableCursorModes`.
    pub(crate) cursor_modes: u32,
    /// `version`.
    pub(crate) version: u32,
}

impl Offer {
    /// The cursor mode to ask for: `wanted` when offered; otherwise, for a hidden pointer,
    /// metadata (the frames show no pointer either), and for a drawn one, none.
    pub(crate) fn cursor_mode(&self, wanted: PortalCursor) -> Option<PortalCursor> {
        let offered = |mode: PortalCursor| self.cursor_modes & mode as u32 != 0;
        if offered(wanted) {
            return Some(wanted);
        }
        match wanted {
            PortalCursor::Hidden if offered(PortalCursor::Metadata) => Some(PortalCursor::Metadata),
            _ => None,
        }
    }
}

/// One stream of a started session: a monitor the user chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PortalStream {
    /// The PipeWire node.
    pub(crate) node: u32,
    /// Its place in the compositor's coordinates (`position`), when given.
    pub(crate) position: Option<(i32, i32)>,
    /// Its size in the compositor's coordinates (`size`), when given.
    pub(crate) size: Option<(i32, i32)>,
    /// `source_type`, when given.
    pub(crate) source_type: Option<u32>,
}

/// The client: a bus connection and the caller's deadline for each wait.
///
/// The connection is closed when the client is dropped: the threads that wait for signals
/// hold it (a signal stream keeps its connection), and only closing it ends their waits, so
/// none outlives the client. Sessions made by the client go first.
pub(crate) struct PortalDbus {
    connection: Connection,
    timeout: Option<Duration>,
}

impl Drop for PortalDbus {
    fn drop(&mut self) {
        let _ = self.connection.clone().close();
    }
}

/// The `handle_token`s of this process: unique, so request paths never collide.
static TOKENS: AtomicU64 = AtomicU64::new(0);

fn next_token() -> String {
    format!(
        "mss{}_{}",
        std::process::id(),
        TOKENS.fetch_add(1, Ordering::Relaxed)
    )
}

impl PortalDbus {
    /// A client over `connection`, each wait given `timeout` (`None`: no limit).
    pub(crate) fn new(connection: Connection, timeout: Option<Duration>) -> Self {
        Self {
            connection,
            timeout,
        }
    }

    fn seconds(&self) -> f64 {
        self.timeout.unwrap_or_default().as_secs_f64()
    }

    /// What the screen cast offers. The bus starts the portal when it is activatable.
    ///
    /// # Errors
    ///
    /// [`PortalError::NoPortal`], [`PortalError::NoScreenCast`], [`PortalError::NoMonitors`],
    /// or the call's own error.
    pub(crate) fn offer(&self) -> Result<Offer, PortalError> {
        let reply = self.connection.call_method(
            Some(PORTAL),
            PORTAL_PATH,
            Some("org.freedesktop.DBus.Properties"),
            "GetAll",
            &(SCREEN_CAST,),
        );
        let properties: HashMap<String, OwnedValue> = match reply {
            Ok(reply) => reply
                .body()
                .deserialize::<(HashMap<String, OwnedValue>,)>()
                .map(|(properties,)| properties)
                .map_err(|source| PortalError::Dbus {
                    call: "GetAll",
                    source,
                })?,
            Err(zbus::Error::MethodError(name, text, _))
                if name.as_str() == "org.freedesktop.DBus.Error.ServiceUnknown"
                    || name
                        .as_str()
                        .starts_with("org.freedesktop.DBus.Error.Spawn") =>
            {
                return Err(PortalError::NoPortal {
                    source: zbus::Error::Failure(format!("{name}: {}", text.unwrap_or_default())),
                });
            }
            Err(zbus::Error::MethodError(name, text, _))
                if matches!(
                    name.as_str(),
                    "org.freedesktop.DBus.Error.InvalidArgs"
                        | "org.freedesktop.DBus.Error.UnknownInterface"
                        | "org.freedesktop.DBus.Error.UnknownObject"
                        | "org.freedesktop.DBus.Error.UnknownMethod"
                ) =>
            {
                return Err(PortalError::NoScreenCast {
                    reason: format!("{name}: {}", text.unwrap_or_default()),
                });
            }
            Err(source) => {
                return Err(PortalError::Dbus {
                    call: "GetAll",
                    source,
                });
            }
        };
        let number = |name: &str| {
            properties
                .get(name)
                .and_then(|value| u32::try_from(value).ok())
        };
        let Some(version) = number("version") else {
            return Err(PortalError::NoScreenCast {
                reason: "its properties name no version".to_owned(),
            });
        };
        let offer = Offer {
            source_types: number("AvailableSourceTypes").unwrap_or(0),
            cursor_modes: number("AvailableCursorModes").unwrap_or(0),
            version,
        };
        if offer.source_types & MONITOR == 0 {
            return Err(PortalError::NoMonitors {
                types: offer.source_types,
            });
        }
        Ok(offer)
    }

    /// Starts a session of every monitor the user chooses (`CreateSession`,
    /// `SelectSources` with `types` monitor, `multiple`, `cursor_mode` when given,
    /// `persist_mode` 2 and `restore_token` when given, then `Start`), waiting for each answer
    /// until the deadline; the session is closed when anything fails.
    ///
    /// # Errors
    ///
    /// The refusals and failures of [`PortalError`].
    pub(crate) fn start_session(
        &self,
        cursor: Option<PortalCursor>,
        restore_token: Option<&str>,
    ) -> Result<PortalSession, PortalError> {
        let session_token = next_token();
        let results = self.request("CreateSession", |handle_token| {
            let mut options = HashMap::new();
            options.insert("handle_token", Value::from(handle_token.to_owned()));
            options.insert("session_handle_token", Value::from(session_token.clone()));
            (options,)
        })?;
        let handle = results
            .get("session_handle")
            .and_then(|value| String::try_from(value.clone()).ok())
            .and_then(|path| OwnedObjectPath::try_from(path).ok())
            .ok_or_else(|| PortalError::Unexpected {
                call: "CreateSession",
                what: "no session_handle in its results".to_owned(),
            })?;
        let closed = Arc::new(AtomicBool::new(false));
        let session = PortalSession {
            connection: self.connection.clone(),
            handle,
            streams: Vec::new(),
            restore_token: None,
            closed: Arc::clone(&closed),
            started_at: 0,
        };
        watch_closed(&self.connection, session.handle.as_str(), closed);
        self.select_and_start(session, cursor, restore_token)
    }

    fn select_and_start(
        &self,
        mut session: PortalSession,
        cursor: Option<PortalCursor>,
        restore_token: Option<&str>,
    ) -> Result<PortalSession, PortalError> {
        let handle = session.handle.clone();
        self.request("SelectSources", |handle_token| {
            let mut options = HashMap::new();
            options.insert("handle_token", Value::from(handle_token.to_owned()));
            options.insert("types", Value::from(MONITOR));
            options.insert("multiple", Value::from(true));
            if let Some(cursor) = cursor {
                options.insert("cursor_mode", Value::from(cursor as u32));
            }
            options.insert("persist_mode", Value::from(PERSIST_UNTIL_REVOKED));
            if let Some(token) = restore_token {
                options.insert("restore_token", Value::from(token.to_owned()));
            }
            (handle.clone(), options)
        })?;
        session.started_at = crate::clock::monotonic_nanoseconds();
        let results = self.request("Start", |handle_token| {
            let mut options = HashMap::new();
            options.insert("handle_token", Value::from(handle_token.to_owned()));
            (handle.clone(), String::new(), options)
        })?;
        session.restore_token = results
            .get("restore_token")
            .and_then(|value| String::try_from(value.clone()).ok());
        let streams = results
            .get("streams")
            .ok_or_else(|| PortalError::Unexpected {
                call: "Start",
                what: "no streams in its results".to_owned(),
            })?;
        session.streams = read_streams(streams).ok_or_else(|| PortalError::Unexpected {
            call: "Start",
            what: format!("its streams are not a list of (node, properties): {streams:?}"),
        })?;
        if session.streams.is_empty() {
            return Err(PortalError::Unexpected {
                call: "Start",
                what: "no stream was started".to_owned(),
            });
        }
        Ok(session)
    }

    /// The PipeWire socket of `session` (`OpenPipeWireRemote`): it sees only the session's
    /// streams.
    ///
    /// # Errors
    ///
    /// [`PortalError::Dbus`] when the call fails.
    pub(crate) fn open_pipewire_remote(
        &self,
        session: &PortalSession,
    ) -> Result<OwnedFd, PortalError> {
        let call = "OpenPipeWireRemote";
        let reply = self
            .connection
            .call_method(
                Some(PORTAL),
                PORTAL_PATH,
                Some(SCREEN_CAST),
                call,
                &(session.handle.as_ref(), HashMap::<&str, Value<'_>>::new()),
            )
            .map_err(|source| PortalError::Dbus { call, source })?;
        let (fd,): (zbus::zvariant::OwnedFd,) = reply
            .body()
            .deserialize()
            .map_err(|source| PortalError::Dbus { call, source })?;
        Ok(fd.into())
    }

    /// Calls `call` on the screen cast with the body `body` makes from a fresh
    /// `handle_token`, and waits for its `Response` until the deadline.
    fn request<B>(
        &self,
        call: &'static str,
        body: impl FnOnce(&str) -> B,
    ) -> Result<HashMap<String, OwnedValue>, PortalError>
    where
        B: zbus::export::serde::ser::Serialize + zbus::zvariant::DynamicType,
    {
        let deadline = self.timeout.map(|timeout| Instant::now() + timeout);
        let token = next_token();
        let sender = self
            .connection
            .unique_name()
            .map(|name| name.trim_start_matches(':').replace('.', "_"))
            .ok_or_else(|| PortalError::Unexpected {
                call,
                what: "the bus gave this connection no unique name".to_owned(),
            })?;
        let predicted = format!("{PORTAL_PATH}/request/{sender}/{token}");
        let answers = self.subscribe(call, &predicted)?;
        let reply = self
            .connection
            .call_method(
                Some(PORTAL),
                PORTAL_PATH,
                Some(SCREEN_CAST),
                call,
                &body(&token),
            )
            .map_err(|source| PortalError::Dbus { call, source })?;
        let (handle,): (OwnedObjectPath,) = reply
            .body()
            .deserialize()
            .map_err(|source| PortalError::Dbus { call, source })?;
        // Portals before xdg-desktop-portal 0.9 chose the path themselves: follow theirs.
        let answers = if handle.as_str() == predicted {
            answers
        } else {
            self.subscribe(call, handle.as_str())?
        };
        let left = deadline.map(|deadline| deadline.saturating_duration_since(Instant::now()));
        let answer = match left {
            Some(left) => answers.recv_timeout(left).ok(),
            None => answers.recv().ok(),
        };
        let Some(answer) = answer else {
            // Given up: the dialog, if any, is closed.
            let _ = self.connection.call_method(
                Some(PORTAL),
                handle.as_str(),
                Some(REQUEST),
                "Close",
                &(),
            );
            return Err(PortalError::Timeout {
                call,
                waiting: if call == "Start" || call == "SelectSources" {
                    "the portal may be waiting for the user to choose in its dialog"
                } else {
                    "the portal or its backend did not answer"
                },
                seconds: self.seconds(),
            });
        };
        let (response, results) = answer.map_err(|source| PortalError::Dbus {
            call: "Response",
            source,
        })?;
        match response {
            0 => Ok(results),
            1 => Err(PortalError::Refused { call }),
            _ => Err(PortalError::Cancelled { call }),
        }
    }

    /// The `Response` of the request at `path`, as it comes (on a thread of its own, since
    /// the signal iterator waits without a deadline; it ends with the signal or the
    /// connection).
    fn subscribe(
        &self,
        call: &'static str,
        path: &str,
    ) -> Result<mpsc::Receiver<Result<Answer, zbus::Error>>, PortalError> {
        let subscribe_error = |source| PortalError::Dbus { call, source };
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface(REQUEST)
            .and_then(|rule| rule.member("Response"))
            .and_then(|rule| rule.path(path.to_owned()))
            .map(|rule| rule.build())
            .map_err(subscribe_error)?;
        let signals =
            zbus::blocking::MessageIterator::for_match_rule(rule, &self.connection, Some(4))
                .map_err(subscribe_error)?;
        let (sender, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("mss-pipewire-portal-request".to_owned())
            .spawn(move || {
                let mut signals = signals;
                if let Some(message) = signals.next() {
                    let answer = message.and_then(|message| message.body().deserialize::<Answer>());
                    let _ = sender.send(answer);
                }
            })
            .map_err(|error| PortalError::Dbus {
                call,
                source: zbus::Error::InputOutput(Arc::new(error)),
            })?;
        Ok(receiver)
    }
}

/// A `Response`: the number and the results.
type Answer = (u32, HashMap<String, OwnedValue>);

/// Watches the session at `path` for `Closed`, and the portal for leaving the bus (its
/// sessions go with it), setting `closed` when either comes (on threads that end with the
/// signal or the connection).
fn watch_closed(connection: &Connection, path: &str, closed: Arc<AtomicBool>) {
    watch_portal_leaving(connection, Arc::clone(&closed));
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .interface(SESSION)
        .and_then(|rule| rule.member("Closed"))
        .and_then(|rule| rule.path(path.to_owned()))
        .map(|rule| rule.build());
    let Ok(rule) = rule else {
        return;
    };
    let Ok(signals) = zbus::blocking::MessageIterator::for_match_rule(rule, connection, Some(4))
    else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("mss-pipewire-portal-session".to_owned())
        .spawn(move || {
            let mut signals = signals;
            // The iterator ends (`None`) when the connection closes: the session is gone then
            // too.
            let _ = signals.next();
            closed.store(true, Ordering::SeqCst);
        });
}

/// Sets `closed` when the portal's name loses its owner (`NameOwnerChanged` with no new
/// owner): the portal went away, and its sessions with it.
fn watch_portal_leaving(connection: &Connection, closed: Arc<AtomicBool>) {
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .sender("org.freedesktop.DBus")
        .and_then(|rule| rule.interface("org.freedesktop.DBus"))
        .and_then(|rule| rule.member("NameOwnerChanged"))
        .and_then(|rule| rule.arg(0, PORTAL))
        .map(|rule| rule.build());
    let Ok(rule) = rule else {
        return;
    };
    let Ok(signals) = zbus::blocking::MessageIterator::for_match_rule(rule, connection, Some(4))
    else {
        return;
    };
    let _ = std::thread::Builder::new()
        .name("mss-pipewire-portal-owner".to_owned())
        .spawn(move || {
            for message in signals {
                let left = message
                    .and_then(|message| message.body().deserialize::<(String, String, String)>())
                    .map_or(true, |(_, _, new_owner)| new_owner.is_empty());
                if left {
                    break;
                }
            }
            // Also when the connection closed (the iterator ended).
            closed.store(true, Ordering::SeqCst);
        });
}

/// The streams of `Start`'s results (`a(ua{sv})`).
fn read_streams(value: &OwnedValue) -> Option<Vec<PortalStream>> {
    let Value::Array(array) = &**value else {
        return None;
    };
    let mut streams = Vec::new();
    for element in array.iter() {
        let Value::Structure(structure) = element else {
            return None;
        };
        let [Value::U32(node), Value::Dict(properties)] = structure.fields() else {
            return None;
        };
        let properties: HashMap<String, OwnedValue> =
            properties.try_clone().ok()?.try_into().ok()?;
        streams.push(PortalStream {
            node: *node,
            position: properties.get("position").and_then(pair),
            size: properties.get("size").and_then(pair),
            source_type: properties
                .get("source_type")
                .and_then(|value| u32::try_from(value).ok()),
        });
    }
    Some(streams)
}

/// A `(ii)` value.
fn pair(value: &OwnedValue) -> Option<(i32, i32)> {
    let Value::Structure(structure) = &**value else {
        return None;
    };
    match structure.fields() {
        [Value::I32(first), Value::I32(second)] => Some((*first, *second)),
        _ => None,
    }
}

/// A started screen-cast session of the portal; closed (`Session.Close`) when dropped.
pub(crate) struct PortalSession {
    connection: Connection,
    handle: OwnedObjectPath,
    streams: Vec<PortalStream>,
    restore_token: Option<String>,
    closed: Arc<AtomicBool>,
    started_at: i64,
}

impl std::fmt::Debug for PortalSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalSession")
            .field("handle", &self.handle)
            .field("streams", &self.streams)
            .finish_non_exhaustive()
    }
}

impl PortalSession {
    /// The streams, in the portal's order.
    pub(crate) fn streams(&self) -> &[PortalStream] {
        &self.streams
    }

    /// The token that restores this choice later, when the portal gave one.
    pub(crate) fn restore_token(&self) -> Option<&str> {
        self.restore_token.as_deref()
    }

    /// Whether the portal closed the session (or the bus connection is gone).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// `CLOCK_MONOTONIC` nanoseconds just before `Start`.
    pub(crate) fn started_at(&self) -> i64 {
        self.started_at
    }
}

impl Drop for PortalSession {
    fn drop(&mut self) {
        if self.is_closed() {
            return;
        }
        // Errors are ignored: the portal may already be gone.
        let _ = self.connection.call_method(
            Some(PORTAL),
            self.handle.as_str(),
            Some(SESSION),
            "Close",
            &(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_modes_fall_back_to_what_keeps_the_frames_the_same() {
        let offer = |cursor_modes| Offer {
            source_types: MONITOR,
            cursor_modes,
            version: 4,
        };
        assert_eq!(
            offer(7).cursor_mode(PortalCursor::Embedded),
            Some(PortalCursor::Embedded)
        );
        assert_eq!(
            offer(4).cursor_mode(PortalCursor::Hidden),
            Some(PortalCursor::Metadata)
        );
        assert_eq!(offer(5).cursor_mode(PortalCursor::Embedded), None);
        assert_eq!(offer(0).cursor_mode(PortalCursor::Hidden), None);
    }

    #[test]
    fn streams_are_read_from_start_s_results() {
        let mut properties = HashMap::new();
        properties.insert("position", Value::from((640i32, 0i32)));
        properties.insert("size", Value::from((320i32, 240i32)));
        properties.insert("source_type", Value::from(1u32));
        let streams = vec![(42u32, properties), (43u32, HashMap::new())];
        let value = OwnedValue::try_from(Value::from(streams)).unwrap();
        assert_eq!(
            read_streams(&value).unwrap(),
            [
                PortalStream {
                    node: 42,
                    position: Some((640, 0)),
                    size: Some((320, 240)),
                    source_type: Some(1),
                },
                PortalStream {
                    node: 43,
                    position: None,
                    size: None,
                    source_type: None,
                },
            ]
        );
        let not_streams = OwnedValue::try_from(Value::from(7u32)).unwrap();
        assert!(read_streams(&not_streams).is_none());
    }
}
