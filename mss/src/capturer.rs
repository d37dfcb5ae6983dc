//! [`Mss`] and [`MssBuilder`]: opening the chosen backend, and the capturer that wraps it.

use mss_core::{
    BackendStatus, Capture, CursorImage, DisplaySystem, Frame, FrameStream, Monitors, Region,
    ScreenInfo, StreamOptions,
};

use std::time::Duration;

use crate::registry::{BACKEND_ENV_VAR, OpenOptions, backend_from_env};
use crate::{Backend, Error, Session};

/// Opens the default display with the best backend for the session (see
/// [`MssBuilder::chosen_backend`]): on X11, `x11-shm` when compiled in (which itself falls
/// back to `GetImage`, saying why, when shared memory cannot work), else `x11-getimage`.
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

    /// The backend [`open`](Self::open) would use, in this order: the one set with
    /// [`backend`](Self::backend); else the one `MSS_BACKEND` names (unless
    /// [`ignore_env`](Self::ignore_env)); else the best compiled-in backend for the session
    /// ([`Backend::best_for`]): a Wayland backend on a Wayland session, an X11 backend on an X11
    /// session, `x11-shm` before `x11-getimage`.
    ///
    /// # Errors
    ///
    /// When `MSS_BACKEND` names a backend that does not exist or is not compiled in.
    pub fn chosen_backend(&self) -> Result<Backend, Error> {
        if let Some(backend) = self.backend {
            return Ok(backend);
        }
        if !self.ignore_env {
            if let Some(backend) = backend_from_env(std::env::var_os(BACKEND_ENV_VAR).as_deref())? {
                return Ok(backend);
            }
        }
        Ok(Backend::best_for(&self.chosen_session()))
    }

    /// Connects to the display with the chosen backend.
    ///
    /// # Errors
    ///
    /// - [`Error::UnknownBackend`] or [`Error::BackendNotCompiled`] for a bad backend choice.
    /// - [`Error::Capture`] with [`mss_core::Error::DisplayUnavailable`] when the display
    ///   cannot be opened, [`mss_core::Error::XWaylandRoot`] when an X11 backend meets
    ///   XWayland without [`allow_xwayland`](Self::allow_xwayland), and the backend's other
    ///   setup errors.
    pub fn open(self) -> Result<Mss, Error> {
        let backend = self.chosen_backend()?;
        let options = OpenOptions {
            display: self.display.clone(),
            allow_xwayland: self.allow_xwayland,
            timeout: self.timeout.unwrap_or(Some(DEFAULT_TIMEOUT)),
        };
        let inner = backend.open(&options).map_err(|error| match error {
            Error::Capture(mss_core::Error::XWaylandRoot {
                display, evidence, ..
            }) => Error::Capture(mss_core::Error::XWaylandRoot {
                display,
                evidence,
                instead: xwayland_advice(),
            }),
            other => other,
        })?;
        let mut mss = Mss {
            inner,
            backend,
            with_cursor: false,
            backend_cursor: false,
            timeout: options.timeout,
        };
        mss.set_with_cursor(self.with_cursor);
        Ok(mss)
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

/// How long each wait on a display may take unless [`MssBuilder::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A screen capturer on the backend chosen at run time; itself a [`Capture`], so it plugs into
/// code that takes `&mut dyn Capture`.
///
/// With [`MssBuilder::with_cursor`] every grab (and so [`Capture::grab_monitor`] and
/// [`Capture::grab_screen`]) draws the pointer onto the frame.
pub struct Mss {
    inner: Box<dyn Capture>,
    backend: Backend,
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
