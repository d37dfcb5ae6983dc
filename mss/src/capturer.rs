//! [`Mss`] and [`MssBuilder`]: opening the chosen backend, and the capturer that wraps it.

use mss_core::{
    BackendStatus, Capture, CursorImage, DisplaySystem, Frame, FrameStream, Monitors, OpenOptions,
    Region, ScreenInfo, StreamOptions,
};

use std::time::Duration;

use crate::choice::{self, Choice, ForcedBy};
use crate::registry::{BACKEND_ENV_VAR, backend_from_env};
use crate::{Backend, Error, Session};

/// Opens the default display with the first backend of the session's candidates that opens
/// (see [`MssBuilder::candidates`]): on a Wayland session its Wayland backends first; on X11,
/// `x11-shm` (which itself falls back to `GetImage`, saying why, when shared memory cannot
/// work), then `x11-getimage`.
///
/// # Errors
///
/// As [`MssBuilder::open`].
pub fn open() -> Result<Mss, Error> {
    Mss::builder().open()
}

/// Settings for opening an [`Mss`]; made by [`Mss::builder`].
#[derive(Clone, Debug, Default)]
pub struct MssBuilder {
    display: Option<String>,
    backend: Option<Backend>,
    ignore_env: bool,
    with_cursor: bool,
    allow_xwayland: bool,
    session: Option<Session>,
    timeout: Option<Option<Duration>>,
    restore_token: Option<String>,
    never_ask_user: bool,
}

impl MssBuilder {
    /// The display to open (`:1`, `localhost:10.0`); the session's (`$DISPLAY`) when not set.
    #[must_use]
    pub fn display(mut self, display: impl Into<String>) -> Self {
        self.display = Some(display.into());
        self
    }

    /// Uses this backend, whatever `MSS_BACKEND` and the session say.
    #[must_use]
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = Some(backend);
        self
    }

    /// Ignores the `MSS_BACKEND` environment variable.
    #[must_use]
    pub fn ignore_env(mut self) -> Self {
        self.ignore_env = true;
        self
    }

    /// Draws the mouse pointer onto every frame (XFixes; see [`crate::cursor`]).
    #[must_use]
    pub fn with_cursor(mut self, with_cursor: bool) -> Self {
        self.with_cursor = with_cursor;
        self
    }

    /// Lets an X11 backend capture the root window of XWayland, the X server of a Wayland
    /// compositor, knowing that it is not the Wayland desktop: a rootful XWayland's root is an
    /// X11 desktop of its own, a rootless one's (what compositors start) holds no pixels and
    /// gives black frames. Without this, opening XWayland fails with
    /// [`mss_core::Error::XWaylandRoot`]. The status then carries a caveat saying which.
    #[must_use]
    pub fn allow_xwayland(mut self, allow: bool) -> Self {
        self.allow_xwayland = allow;
        self
    }

    /// How long each wait on the display may take (a reply, the connection setup), by default
    /// [`DEFAULT_TIMEOUT`] (10 s); `None` waits without limit. Past it the capturer's connection
    /// is closed and the call fails with [`mss_core::Error::Timeout`] naming the display and
    /// what was waited for (a client holding a server grab, a stopped server, a silent network);
    /// later calls fail saying so.
    #[must_use]
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// A restore token from an earlier capturer ([`Capture::restore_token`]): backends that
    /// ask the user before capturing (the `pipewire` backend through the screen-cast portal)
    /// restore the user's earlier choice with it instead of asking again. Without it, the
    /// `MSS_PORTAL_RESTORE_TOKEN` environment variable's (unless
    /// [`ignore_env`](Self::ignore_env)); the `pipewire` backend also keeps the portal's
    /// token between runs by itself (see its docs).
    #[must_use]
    pub fn restore_token(mut self, token: impl Into<String>) -> Self {
        self.restore_token = Some(token.into());
        self
    }

    /// Whether a backend may ask the user before it captures (the screen-cast portal's
    /// dialog), `true` by default; `false` for code that only probes what backends would
    /// answer ([`mss_core::OpenOptions::may_ask_user`]).
    #[must_use]
    pub fn may_ask_user(mut self, may: bool) -> Self {
        self.never_ask_user = !may;
        self
    }

    /// Chooses the backend for this session instead of the one read from the environment
    /// (`$WAYLAND_DISPLAY`, `$DISPLAY`); for tests and for programs that know better.
    #[must_use]
    pub fn session(mut self, session: Session) -> Self {
        self.session = Some(session);
        self
    }

    /// The session the choice is made for: the one given, else the display's when one is
    /// named, else the environment's.
    fn chosen_session(&self) -> Session {
        if let Some(session) = &self.session {
            return session.clone();
        }
        match &self.display {
            Some(display) => Session::for_display(display),
            None => Session::from_env(),
        }
    }

    /// The backend forced on the choice, and by whom: the one set with
    /// [`backend`](Self::backend), else the one `MSS_BACKEND` names (unless
    /// [`ignore_env`](Self::ignore_env)); `None` when the session's candidates are asked.
    ///
    /// # Errors
    ///
    /// When `MSS_BACKEND` names a backend that does not exist or is not compiled in.
    pub fn forced_backend(&self) -> Result<Option<(Backend, ForcedBy)>, Error> {
        if let Some(backend) = self.backend {
            return Ok(Some((backend, ForcedBy::Caller)));
        }
        if !self.ignore_env
            && let Some(backend) = backend_from_env(std::env::var_os(BACKEND_ENV_VAR).as_deref())?
        {
            return Ok(Some((backend, ForcedBy::Environment)));
        }
        Ok(None)
    }

    /// The backends [`open`](Self::open) asks, in order: the forced one alone (see
    /// [`forced_backend`](Self::forced_backend)), else the session's candidates
    /// ([`Backend::candidates`]): a Wayland session's Wayland backends, then its X11 ones;
    /// `x11-shm` before `x11-getimage`.
    ///
    /// # Errors
    ///
    /// As [`forced_backend`](Self::forced_backend).
    pub fn candidates(&self) -> Result<Vec<Backend>, Error> {
        Ok(match self.forced_backend()? {
            Some((backend, _)) => vec![backend],
            None => Backend::candidates(&self.chosen_session()),
        })
    }

    /// What every backend is opened with: the display, the timeout, the XWayland choice,
    /// the restore token (the one given, else `MSS_PORTAL_RESTORE_TOKEN`'s unless the
    /// environment is ignored).
    pub fn open_options(&self) -> OpenOptions {
        let restore_token = self.restore_token.clone().or_else(|| {
            (!self.ignore_env)
                .then(|| std::env::var(RESTORE_TOKEN_VARIABLE).ok())
                .flatten()
                .filter(|token| !token.is_empty())
        });
        OpenOptions::new()
            .display_or_session(self.display.clone())
            .timeout(self.timeout.unwrap_or(Some(DEFAULT_TIMEOUT)))
            .allow_xwayland(self.allow_xwayland)
            .restore_token(restore_token)
            .may_ask_user(!self.never_ask_user)
    }

    /// Connects to the display: with the forced backend if there is one, else with the first
    /// of the session's candidates that opens ([`candidates`](Self::candidates)). What each
    /// candidate answered is kept: [`Mss::choice`].
    ///
    /// # Errors
    ///
    /// - [`Error::UnknownBackend`] or [`Error::BackendNotCompiled`] for a bad backend choice.
    /// - A forced backend's own error as [`Error::Capture`]:
    ///   [`mss_core::Error::DisplayUnavailable`] when the display cannot be opened,
    ///   [`mss_core::Error::XWaylandRoot`] when an X11 backend meets XWayland without
    ///   [`allow_xwayland`](Self::allow_xwayland), and the backend's other setup errors.
    /// - When no candidate opens, [`Error::NoBackendOpened`] listing every answer; or, when
    ///   the only refusal is the display's own (unreachable, not answering in time, an
    ///   XWayland root), that error as [`Error::Capture`].
    pub fn open(self) -> Result<Mss, Error> {
        let options = self.open_options();
        let (inner, choice) = match self.forced_backend()? {
            Some((backend, forced_by)) => {
                choice::open_forced(backend, forced_by, &options, with_xwayland_advice)?
            }
            None => choice::open_first(&self.chosen_session(), &options, with_xwayland_advice)?,
        };
        let backend = choice
            .chosen()
            .expect("a choice that opened a capturer names its backend");
        let mut mss = Mss {
            inner,
            backend,
            choice,
            with_cursor: false,
            backend_cursor: false,
            timeout: options.wait_timeout(),
        };
        mss.set_with_cursor(self.with_cursor);
        Ok(mss)
    }
}

/// `error` with the advice for XWayland this build can give.
fn with_xwayland_advice(error: mss_core::Error) -> mss_core::Error {
    match error {
        mss_core::Error::XWaylandRoot {
            display, evidence, ..
        } => mss_core::Error::XWaylandRoot {
            display,
            evidence,
            instead: xwayland_advice(),
        },
        other => other,
    }
}

/// What to do on XWayland, given the backends this build carries.
fn xwayland_advice() -> String {
    let wayland: Vec<&str> = Backend::compiled_in()
        .into_iter()
        .filter(|backend| backend.display_system() == DisplaySystem::Wayland)
        .map(Backend::name)
        .collect();
    let opt_in = "to capture this X server's root anyway (an X11 desktop on a rootful XWayland, \
                  black on a rootless one), pass `--xwayland` (mss command) or \
                  `MssBuilder::allow_xwayland(true)`";
    if wayland.is_empty() {
        format!(
            "this build of mss has no Wayland backend to capture the Wayland desktop with; {opt_in}"
        )
    } else {
        format!(
            "capture the Wayland desktop with the {} backend instead (the default on a Wayland \
             session); {opt_in}",
            wayland.join(" or ")
        )
    }
}

/// How long each wait on a display may take unless [`MssBuilder::timeout`] says otherwise
/// (the same for every backend: [`OpenOptions::DEFAULT_TIMEOUT`]).
pub const DEFAULT_TIMEOUT: Duration = OpenOptions::DEFAULT_TIMEOUT;

/// The environment variable a restore token is read from when none is given
/// ([`MssBuilder::restore_token`]): an environment variable rather than a command-line
/// argument, since other users can read a process's arguments (`ps`) but not its environment.
pub const RESTORE_TOKEN_VARIABLE: &str = "MSS_PORTAL_RESTORE_TOKEN";

/// A screen capturer on the backend chosen at run time; itself a [`Capture`], so it plugs into
/// code that takes `&mut dyn Capture`.
///
/// With [`MssBuilder::with_cursor`] every grab (and so [`Capture::grab_monitor`] and
/// [`Capture::grab_screen`]) draws the pointer onto the frame.
pub struct Mss {
    inner: Box<dyn Capture>,
    backend: Backend,
    choice: Choice,
    with_cursor: bool,
    /// The backend draws the pointer into its frames itself (a Wayland compositor does).
    backend_cursor: bool,
    /// The limit on each wait ([`MssBuilder::timeout`]), for the files it saves too.
    timeout: Option<Duration>,
}

impl Mss {
    /// Settings for opening a capturer.
    pub fn builder() -> MssBuilder {
        MssBuilder::default()
    }

    /// Wraps a capturer of your own (another backend, a fake in tests).
    pub fn from_capture(inner: Box<dyn Capture>, backend: Backend) -> Self {
        Self {
            inner,
            backend,
            choice: Choice::given(backend),
            with_cursor: false,
            backend_cursor: false,
            timeout: Some(DEFAULT_TIMEOUT),
        }
    }

    /// How long each wait may take, as [`MssBuilder::timeout`] set it: on the display, and
    /// when saving (a FIFO's reader, a reader that stops reading).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The backend that was opened. [`Capture::status`] tells how it grabs now (MIT-SHM, or
    /// `GetImage` and why).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How the backend was chosen: forced or not, and what every candidate answered.
    pub fn choice(&self) -> &Choice {
        &self.choice
    }

    /// Whether grabs draw the pointer.
    pub fn draws_cursor(&self) -> bool {
        self.with_cursor
    }

    /// Turns drawing the pointer on or off. A backend whose display draws it into frames
    /// (Wayland screencopy's overlay cursor) is asked to; otherwise it is drawn here from
    /// [`Capture::cursor`].
    pub fn set_with_cursor(&mut self, with_cursor: bool) {
        self.with_cursor = with_cursor;
        self.backend_cursor = self.inner.draw_cursor(with_cursor) && with_cursor;
    }

    /// The backend's capturer.
    pub fn into_inner(self) -> Box<dyn Capture> {
        self.inner
    }
}

impl Capture for Mss {
    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }

    fn status(&self) -> BackendStatus {
        self.inner.status()
    }

    fn screen(&mut self) -> Result<ScreenInfo, mss_core::Error> {
        self.inner.screen()
    }

    fn monitors(&mut self) -> Result<Monitors, mss_core::Error> {
        self.inner.monitors()
    }

    fn grab(&mut self, region: Region) -> Result<Frame, mss_core::Error> {
        let mut frame = self.inner.grab(region)?;
        if self.with_cursor && !self.backend_cursor {
            // A separate request after the image, as every X11 grabber does: the pointer may
            // have moved in between, which is at most one frame of lag.
            let cursor = self.inner.cursor()?;
            crate::cursor::composite_cursor(&mut frame, &cursor);
        }
        Ok(frame)
    }

    fn cursor(&mut self) -> Result<CursorImage, mss_core::Error> {
        self.inner.cursor()
    }

    fn restore_token(&self) -> Option<String> {
        self.inner.restore_token()
    }

    fn windows(&mut self) -> Result<Vec<mss_core::Window>, mss_core::Error> {
        self.inner.windows()
    }

    /// The backend's window grab, with the pointer drawn on where it lies over the window
    /// when this capturer draws it.
    fn grab_window(&mut self, window: u64) -> Result<Frame, mss_core::Error> {
        let mut frame = self.inner.grab_window(window)?;
        if self.with_cursor && !self.backend_cursor {
            let cursor = self.inner.cursor()?;
            crate::cursor::composite_cursor(&mut frame, &cursor);
        }
        Ok(frame)
    }

    /// Sets [`set_with_cursor`](Mss::set_with_cursor): this capturer draws the pointer one
    /// way or the other.
    fn draw_cursor(&mut self, draw: bool) -> bool {
        self.set_with_cursor(draw);
        true
    }

    /// The backend's own stream (the MIT-SHM one keeps captures in flight and copies only what
    /// changed), with the pointer drawn on when this capturer draws it.
    fn stream(
        &mut self,
        options: &StreamOptions,
    ) -> Result<Box<dyn FrameStream + '_>, mss_core::Error> {
        let options = options
            .clone()
            .with_cursor(options.with_cursor || self.with_cursor);
        self.inner.stream(&options)
    }
}

impl std::fmt::Debug for Mss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mss")
            .field("backend", &self.backend)
            .field("status", &self.inner.status())
            .field("with_cursor", &self.with_cursor)
            .finish_non_exhaustive()
    }
}
