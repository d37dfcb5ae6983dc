//! Where screen casts come from: a [`Source`] lists the monitors and starts a cast of one,
//! handing back the PipeWire node to read, and holds the PipeWire connection casts are made
//! on. [`MutterSource`] asks GNOME's compositor directly (`org.gnome.Mutter.ScreenCast`, no
//! dialog); [`PortalSource`] asks the desktop portal (`org.freedesktop.portal.ScreenCast`:
//! KDE, COSMIC, Hyprland and the others, and GNOME for a sandboxed application), which may
//! show a dialog once. Everything after the node (the stream, its frames, grabs and streams
//! of mss-core) is the same whatever the source.
//!
//! # The order
//!
//! [`open`] asks mutter's interface first, when it is on the session bus (no dialog, every
//! monitor), else the portal; when neither can cast, the refusal says what each answered.
//! [`CastSource`] forces one.

use std::time::Duration;

use mss_core::{Error, Monitor, Region};

use crate::layout::{self, Placed};
use crate::mutter::{self, CursorMode, MutterDbus, MutterError};
use crate::pipewire::{self, PipeWire};
use crate::portal::{Offer, PortalCursor, PortalDbus, PortalError, PortalSession};
use crate::session::SessionPlaces;
use crate::token::{TokenFile, TokenStore};
use crate::{BACKEND_NAME, METHOD, PORTAL_METHOD};

/// Which interface a capturer asks for its screen casts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CastSource {
    /// mutter's own interface when it is on the session bus, else the screen-cast portal.
    #[default]
    Automatic,
    /// mutter's `org.gnome.Mutter.ScreenCast` only.
    Mutter,
    /// The screen-cast portal only (`org.freedesktop.portal.ScreenCast`), even where mutter's
    /// interface is there, as a sandboxed application (Flatpak) reaches GNOME: through its
    /// dialog.
    Portal,
}

/// A cast a source started.
pub(crate) struct Started {
    /// The PipeWire node to connect a stream to.
    pub(crate) node: u32,
    /// `CLOCK_MONOTONIC` nanoseconds just before the cast started: frames recorded earlier
    /// are not the screen as it is.
    pub(crate) started_at: i64,
    /// What keeps the cast going; dropping it ends the cast.
    pub(crate) keep: Box<dyn Send>,
}

/// Where screen casts come from; see the [module docs](self).
pub(crate) trait Source: Send {
    /// The monitors, as they are now.
    ///
    /// # Errors
    ///
    /// The source's errors, as mss-core's.
    fn monitors(&mut self) -> Result<Vec<Placed>, Error>;

    /// Starts a cast of `monitor`, the pointer shown as `cursor` says.
    ///
    /// # Errors
    ///
    /// The source's errors, as mss-core's.
    fn start(&mut self, monitor: &Placed, cursor: CursorMode) -> Result<Started, Error>;

    /// The PipeWire connection the source's casts are read through.
    fn pipewire(&self) -> &PipeWire;

    /// The method the status names (the D-Bus interface).
    fn method(&self) -> &'static str;

    /// What the source is, for the status (`org.gnome.Mutter.ScreenCast on the session bus
    /// at ...; PipeWire at ...`).
    fn describe(&self) -> String;

    /// Whether a cast that ended may be started again (mutter: a new cast; the portal: its
    /// streams are the session's, and a stream that ended is gone with it).
    fn restarts_ended_casts(&self) -> bool;

    /// Whether the monitors' pixel sizes are known before their first frame (mutter's modes);
    /// otherwise the first frame of a monitor's cast says it (the portal gives sizes in the
    /// compositor's coordinates only).
    fn pixel_sizes_known(&self) -> bool;

    /// Whether the pointer can be drawn into frames.
    fn can_draw_cursor(&self) -> bool;

    /// Whether casts can send the pointer as metadata (its image and position), and if not,
    /// why not.
    ///
    /// # Errors
    ///
    /// The reason, in words.
    fn sends_cursor(&self) -> Result<(), String>;

    /// Whether a cast may run with another pointer mode than the casts running already
    /// (mutter: each cast is a session of its own; the portal: one session, one mode, for
    /// every stream).
    fn mixes_cursor_modes(&self) -> bool;

    /// The portal's restore token for the choice in use, when there is one.
    fn restore_token(&self) -> Option<String> {
        None
    }

    /// What the status should warn about.
    fn caveats(&self) -> Vec<String> {
        Vec::new()
    }
}

/// What [`open`] needs besides the session.
#[derive(Clone, Debug)]
pub(crate) struct SourceOptions {
    pub(crate) source: CastSource,
    pub(crate) timeout: Option<Duration>,
    pub(crate) restore_token: Option<String>,
    pub(crate) token_store: TokenStore,
    pub(crate) may_ask_user: bool,
}

/// The source of the session at `places`, in the order of the [module docs](self).
///
/// # Errors
///
/// [`Error::DisplayUnavailable`] when the bus cannot be reached (or the user refused the
/// portal's dialog); [`Error::Timeout`] when it does not answer in time;
/// [`Error::Unsupported`] when neither mutter's interface nor the portal's screen cast is
/// there, naming what each answered.
pub(crate) fn open(
    places: &SessionPlaces,
    options: &SourceOptions,
) -> Result<Box<dyn Source>, Error> {
    let display = places.display.as_str();
    let timeout = options.timeout;
    let bus = MutterDbus::connect(&places.bus, timeout).map_err(|error| match error {
        MutterError::Connect { .. } | MutterError::Dbus { .. } => Error::DisplayUnavailable {
            display: display.to_owned(),
            reason: error.to_string(),
            source: Some(Box::new(error)),
        },
        other => as_core_error(display, timeout, other),
    })?;
    let mutter_answer = match options.source {
        CastSource::Portal => None,
        _ => Some(mutter_is_there(&bus, places, timeout)),
    };
    match mutter_answer {
        Some(Ok(())) => Ok(Box::new(MutterSource::new(bus, places, timeout)?)),
        Some(Err(refusal)) if options.source == CastSource::Mutter => Err(refusal),
        Some(Err(refusal)) => {
            let mutter_reason = match &refusal {
                Error::Unsupported { reason, .. } => reason.clone(),
                // Not a refusal of the interface: the bus itself failed.
                _ => return Err(refusal),
            };
            PortalSource::open(&bus, places, options)
                .map(|source| Box::new(source) as Box<dyn Source>)
                .map_err(|error| match error {
                    Error::Unsupported { reason, .. } => Error::Unsupported {
                        backend: BACKEND_NAME,
                        what: "capturing the screen",
                        reason: format!(
                            "neither GNOME's screen cast nor the screen-cast portal can be \
                             used: {mutter_reason}; and {reason}"
                        ),
                    },
                    other => other,
                })
        }
        None => Ok(Box::new(PortalSource::open(&bus, places, options)?)),
    }
}

/// Whether mutter's interfaces are on the bus: `Err` is the refusal saying they are not.
fn mutter_is_there(
    bus: &MutterDbus,
    places: &SessionPlaces,
    timeout: Option<Duration>,
) -> Result<(), Error> {
    for name in [mutter::SCREEN_CAST, mutter::DISPLAY_CONFIG] {
        let owned = bus
            .has_owner(name)
            .map_err(|error| as_core_error(&places.display, timeout, error))?;
        if !owned {
            return Err(Error::Unsupported {
                backend: BACKEND_NAME,
                what: "capturing the screen",
                reason: format!(
                    "{name} is not on the session bus at {}: the compositor is not GNOME's \
                     mutter, which offers it",
                    places.bus
                ),
            });
        }
    }
    Ok(())
}

/// GNOME's compositor, asked directly over the session bus.
pub(crate) struct MutterSource {
    mutter: MutterDbus,
    pipewire: PipeWire,
    pipewire_socket: String,
    display: String,
    timeout: Option<Duration>,
}

impl MutterSource {
    /// The source over `mutter` (whose interfaces were found on the bus), its casts read
    /// through the session's PipeWire.
    fn new(
        mutter: MutterDbus,
        places: &SessionPlaces,
        timeout: Option<Duration>,
    ) -> Result<Self, Error> {
        let mut source = Self {
            pipewire: {
                // The layout is read first, so a session that shows nothing is refused at
                // once.
                let state = mutter
                    .display_state()
                    .map_err(|error| as_core_error(&places.display, timeout, error))?;
                layout::monitors(&state)?;
                let socket = pipewire::connect_socket(&places.pipewire, &places.display)?;
                PipeWire::connect(socket, &places.display)?
            },
            mutter,
            pipewire_socket: places.pipewire.display().to_string(),
            display: places.display.clone(),
            timeout,
        };
        source.monitors()?;
        Ok(source)
    }
}

impl Source for MutterSource {
    fn monitors(&mut self) -> Result<Vec<Placed>, Error> {
        let state = self
            .mutter
            .display_state()
            .map_err(|error| as_core_error(&self.display, self.timeout, error))?;
        layout::monitors(&state)
    }

    fn start(&mut self, monitor: &Placed, cursor: CursorMode) -> Result<Started, Error> {
        let cast = self
            .mutter
            .record_monitor(&monitor.connector, cursor, self.timeout)
            .map_err(|error| as_core_error(&self.display, self.timeout, error))?;
        Ok(Started {
            node: cast.node_id(),
            started_at: cast.started_at(),
            keep: Box::new(cast),
        })
    }

    fn pipewire(&self) -> &PipeWire {
        &self.pipewire
    }

    fn method(&self) -> &'static str {
        METHOD
    }

    fn describe(&self) -> String {
        format!(
            "{METHOD} on the session bus at {}; PipeWire at {} (libpipewire-0.3, loaded at run \
             time)",
            self.mutter.address(),
            self.pipewire_socket
        )
    }

    fn restarts_ended_casts(&self) -> bool {
        true
    }

    fn pixel_sizes_known(&self) -> bool {
        true
    }

    fn can_draw_cursor(&self) -> bool {
        true
    }

    fn sends_cursor(&self) -> Result<(), String> {
        Ok(())
    }

    fn mixes_cursor_modes(&self) -> bool {
        true
    }
}

/// The restore tokens of a portal source: the caller's, the one kept in a file, the newest.
struct Tokens {
    /// The caller's own, tried first (once).
    given: Option<String>,
    file: Option<TokenFile>,
    /// The newest the portal handed out.
    latest: Option<String>,
    /// Why the newest could not be kept, for the status.
    problem: Option<String>,
}

impl Tokens {
    /// The token to pass to the next session.
    fn next_to_try(&mut self) -> Option<String> {
        self.latest
            .clone()
            .or_else(|| self.given.take())
            .or_else(|| self.file.as_ref().and_then(TokenFile::read))
    }

    /// The portal refused `token`: it is forgotten everywhere.
    fn refused(&mut self, token: &str) {
        if self.latest.as_deref() == Some(token) {
            self.latest = None;
        }
        if let Some(file) = &self.file
            && file.read().as_deref() == Some(token)
        {
            let _ = file.remove();
        }
    }

    /// The portal's answer to a session: its new token, or none (the old one was used up).
    fn answered(&mut self, token: Option<&str>) {
        self.latest = token.map(str::to_owned);
        let Some(file) = &self.file else {
            return;
        };
        let kept = match token {
            Some(token) => file.write(token),
            None => file.remove(),
        };
        self.problem = kept.err().map(|error| {
            format!(
                "the screen-cast portal's restore token could not be kept in {}: {error} (its \
                 dialog will be shown again next time)",
                file.path().display()
            )
        });
    }
}

/// The desktop portal's screen cast: one session of every monitor the user chose.
pub(crate) struct PortalSource {
    portal: PortalDbus,
    offer: Offer,
    bus: String,
    display: String,
    timeout: Option<Duration>,
    /// The session in use (`None` only while it is replaced).
    session: Option<PortalSession>,
    /// The pointer setting the session was started with.
    cursor: CursorMode,
    /// The streams started at least once (a restart reads pictures from then on).
    started: Vec<bool>,
    pipewire: PipeWire,
    tokens: Tokens,
    /// Why there is no session, when a new one could not be started.
    no_session: Option<String>,
}

impl PortalSource {
    /// Starts a session of the portal on `bus` (the pointer hidden): the dialog, unless a
    /// restore token restores the user's last choice.
    fn open(
        bus: &MutterDbus,
        places: &SessionPlaces,
        options: &SourceOptions,
    ) -> Result<Self, Error> {
        let display = places.display.as_str();
        if !options.may_ask_user {
            return Err(Error::Unsupported {
                backend: BACKEND_NAME,
                what: "capturing the screen",
                reason: "the screen-cast portal was not asked: it may show a dialog, and this \
                         open may not ask the user"
                    .to_owned(),
            });
        }
        let portal = PortalDbus::new(bus.connection().clone(), options.timeout);
        let offer = portal
            .offer()
            .map_err(|error| portal_error(display, options.timeout, error))?;
        let mut tokens = Tokens {
            given: options.restore_token.clone(),
            file: TokenFile::of_process(&options.token_store),
            latest: None,
            problem: None,
        };
        let (session, pipewire) = begin(
            &portal,
            &offer,
            &mut tokens,
            CursorMode::Hidden,
            display,
            options.timeout,
        )?;
        let started = vec![false; session.streams().len()];
        Ok(Self {
            portal,
            offer,
            bus: places.bus.clone(),
            display: display.to_owned(),
            timeout: options.timeout,
            session: Some(session),
            cursor: CursorMode::Hidden,
            started,
            pipewire,
            tokens,
            no_session: None,
        })
    }

    fn session(&self) -> Result<&PortalSession, Error> {
        match &self.session {
            Some(session) if !session.is_closed() => Ok(session),
            _ => Err(Error::ConnectionLost {
                display: self.display.clone(),
                reason: self.no_session.clone().unwrap_or_else(|| {
                    "the desktop portal closed the screen-cast session (the portal, its \
                     backend or the compositor stopped it or went away)"
                        .to_owned()
                }),
                source: None,
            }),
        }
    }
}

/// The portal's cursor mode asked for `cursor` (see [`Offer::cursor_mode`]).
fn portal_cursor(offer: &Offer, cursor: CursorMode) -> Option<PortalCursor> {
    offer.cursor_mode(match cursor {
        CursorMode::Embedded => PortalCursor::Embedded,
        CursorMode::Metadata => PortalCursor::Metadata,
        _ => PortalCursor::Hidden,
    })
}

/// A session of the portal with the pointer as `cursor` says, and its PipeWire connection: the
/// token in use passed, and when the portal refuses it (not a token it can read), asked once
/// more without it.
fn begin(
    portal: &PortalDbus,
    offer: &Offer,
    tokens: &mut Tokens,
    cursor: CursorMode,
    display: &str,
    timeout: Option<Duration>,
) -> Result<(PortalSession, PipeWire), Error> {
    let mode = portal_cursor(offer, cursor);
    let token = tokens.next_to_try();
    let started = match portal.start_session(mode, token.as_deref()) {
        Err(error) if error.is_invalid_argument() && token.is_some() => {
            tokens.refused(token.as_deref().unwrap_or_default());
            portal.start_session(mode, None)
        }
        other => other,
    };
    let session = started.map_err(|error| portal_error(display, timeout, error))?;
    tokens.answered(session.restore_token());
    let socket = portal
        .open_pipewire_remote(&session)
        .map_err(|error| portal_error(display, timeout, error))?;
    let pipewire = PipeWire::connect(socket, display)?;
    Ok((session, pipewire))
}

impl Source for PortalSource {
    fn monitors(&mut self) -> Result<Vec<Placed>, Error> {
        let session = self.session()?;
        let mut placed = Vec::new();
        let mut next_left = 0i64;
        for (index, stream) in session.streams().iter().enumerate() {
            let Some((width, height)) = stream.size else {
                return Err(Error::Protocol {
                    display: self.display.clone(),
                    request: "the screen-cast portal's Start",
                    message: format!("stream {index} (node {}) has no size", stream.node),
                    source: None,
                });
            };
            // Streams without a place (a single monitor) are laid side by side.
            let (left, top) = stream
                .position
                .map_or((next_left, 0), |(x, y)| (i64::from(x), i64::from(y)));
            let region = Region::from_signed(left, top, i64::from(width), i64::from(height))
                .map_err(|_| Error::Protocol {
                    display: self.display.clone(),
                    request: "the screen-cast portal's Start",
                    message: format!(
                        "stream {index} (node {}) is {width}x{height} at ({left}, {top})",
                        stream.node
                    ),
                    source: None,
                })?;
            next_left = next_left.max(left + i64::from(width));
            placed.push(Placed {
                connector: stream_key(index),
                monitor: Monitor::new(region).with_primary(index == 0),
            });
        }
        Ok(placed)
    }

    fn start(&mut self, monitor: &Placed, cursor: CursorMode) -> Result<Started, Error> {
        self.session()?;
        // A hidden pointer may already be asked as metadata (when the portal does not offer
        // hiding it): then the session serves both.
        if portal_cursor(&self.offer, cursor) != portal_cursor(&self.offer, self.cursor) {
            // The pointer is chosen with the sources: a new session, restored from the token
            // the last one handed out (no dialog where the portal keeps choices).
            self.session = None;
            let (session, pipewire) = begin(
                &self.portal,
                &self.offer,
                &mut self.tokens,
                cursor,
                &self.display,
                self.timeout,
            )
            .inspect_err(|error| {
                self.no_session = Some(format!(
                    "a new screen-cast session of the portal (for the pointer's new mode) could \
                     not be started: {error}"
                ));
            })?;
            self.started = vec![false; session.streams().len()];
            self.session = Some(session);
            self.pipewire = pipewire;
            self.cursor = cursor;
        }
        let session = self.session()?;
        let index = (0..session.streams().len())
            .find(|index| stream_key(*index) == monitor.connector)
            .ok_or_else(|| Error::ConnectionLost {
                display: self.display.clone(),
                reason: format!(
                    "the screen-cast portal's new session has no stream {} (the restored \
                     choice has fewer monitors)",
                    monitor.connector
                ),
                source: None,
            })?;
        let node = session.streams()[index].node;
        let started_at = if self.started[index] {
            // Started again (the producer ran out of buffers): pictures from now on.
            crate::clock::monotonic_nanoseconds()
        } else {
            session.started_at()
        };
        self.started[index] = true;
        Ok(Started {
            node,
            started_at,
            keep: Box::new(()),
        })
    }

    fn pipewire(&self) -> &PipeWire {
        &self.pipewire
    }

    fn method(&self) -> &'static str {
        PORTAL_METHOD
    }

    fn describe(&self) -> String {
        format!(
            "{PORTAL_METHOD} (the desktop portal, screen cast version {}) on the session bus at \
             {}; PipeWire through the portal's OpenPipeWireRemote (libpipewire-0.3, loaded at \
             run time)",
            self.offer.version, self.bus
        )
    }

    fn restarts_ended_casts(&self) -> bool {
        false
    }

    fn pixel_sizes_known(&self) -> bool {
        false
    }

    fn can_draw_cursor(&self) -> bool {
        self.offer.cursor_mode(PortalCursor::Embedded).is_some()
    }

    fn sends_cursor(&self) -> Result<(), String> {
        match self.offer.cursor_mode(PortalCursor::Metadata) {
            Some(_) => Ok(()),
            None => Err(format!(
                "the screen-cast portal does not offer the pointer as metadata (its \
                 AvailableCursorModes are {})",
                self.offer.cursor_modes
            )),
        }
    }

    fn mixes_cursor_modes(&self) -> bool {
        false
    }

    fn restore_token(&self) -> Option<String> {
        self.tokens.latest.clone()
    }

    fn caveats(&self) -> Vec<String> {
        self.tokens.problem.iter().cloned().collect()
    }
}

impl Drop for PortalSource {
    /// The session is closed first, while the client's connection (closed with the client)
    /// is still there.
    fn drop(&mut self) {
        drop(self.session.take());
    }
}

/// The key of the portal's stream `index` among a source's monitors.
fn stream_key(index: usize) -> String {
    format!("portal-stream-{index}")
}

/// mss-core's error for `error` from the portal, for `display`, whose waits are given
/// `timeout`.
fn portal_error(display: &str, timeout: Option<Duration>, error: PortalError) -> Error {
    match error {
        PortalError::NoPortal { .. }
        | PortalError::NoScreenCast { .. }
        | PortalError::NoMonitors { .. } => Error::Unsupported {
            backend: BACKEND_NAME,
            what: "capturing the screen",
            reason: error.to_string(),
        },
        PortalError::Refused { .. } | PortalError::Cancelled { .. } => Error::DisplayUnavailable {
            display: display.to_owned(),
            reason: error.to_string(),
            source: Some(Box::new(error)),
        },
        PortalError::Timeout {
            call,
            waiting,
            seconds,
        } => Error::Timeout {
            display: display.to_owned(),
            waiting_for: format!("the desktop portal's answer to {call} ({waiting})"),
            seconds,
        },
        error if error.is_timeout() => Error::Timeout {
            display: display.to_owned(),
            waiting_for: format!("the desktop portal's answer: {error}"),
            seconds: timeout.unwrap_or_default().as_secs_f64(),
        },
        error if error.is_gone() => Error::ConnectionLost {
            display: display.to_owned(),
            reason: format!("the desktop portal is gone from the session bus: {error}"),
            source: Some(Box::new(error)),
        },
        error => Error::Protocol {
            display: display.to_owned(),
            request: "the desktop portal's screen cast",
            message: error.to_string(),
            source: Some(Box::new(error)),
        },
    }
}

/// mss-core's error for `error` from mutter's bus, for `display`, whose calls are given
/// `timeout`.
fn as_core_error(display: &str, timeout: Option<Duration>, error: MutterError) -> Error {
    if error.is_timeout() {
        let waiting_for = match &error {
            MutterError::Timeout { waiting_for, .. } => format!("mutter's {waiting_for}"),
            MutterError::Dbus { call, .. } => format!("mutter's answer to {call}"),
            _ => "mutter".to_owned(),
        };
        let seconds = match &error {
            MutterError::Timeout { seconds, .. } => *seconds,
            _ => timeout.unwrap_or_default().as_secs_f64(),
        };
        return Error::Timeout {
            display: display.to_owned(),
            waiting_for,
            seconds,
        };
    }
    if error.is_gone() {
        return Error::ConnectionLost {
            display: display.to_owned(),
            reason: format!("mutter is gone from the session bus: {error}"),
            source: Some(Box::new(error)),
        };
    }
    let request = match &error {
        MutterError::Dbus { call, .. } | MutterError::Unexpected { call, .. } => *call,
        _ => "the session bus",
    };
    Error::Protocol {
        display: display.to_owned(),
        request,
        message: error.to_string(),
        source: Some(Box::new(error)),
    }
}
