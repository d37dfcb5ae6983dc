//! [`X11Options`]: the choices an [`X11Display`](crate::X11Display) is opened with.

use std::time::Duration;

use crate::auto_connection::ConnectionPreference;

/// Where [`X11Display::monitors`](crate::X11Display::monitors) takes the monitor list from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MonitorSource {
    /// RandR 1.5 `GetMonitors` when the server has it, else RandR 1.2 CRTCs, else the root
    /// window as the only monitor.
    #[default]
    Auto,
    /// RandR 1.2 CRTCs (`GetScreenResourcesCurrent` and `GetCrtcInfo`) even on a server with
    /// RandR 1.5; the root window when RandR is older or absent. Virtual monitors made with
    /// `xrandr --setmonitor` do not show up this way.
    Crtcs,
    /// The root window as the only monitor, without asking RandR.
    RootOnly,
}

/// Choices for [`X11Display`](crate::X11Display) (and the capturers built on it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct X11Options {
    monitor_source: MonitorSource,
    watch_screen_changes: bool,
    connection: ConnectionPreference,
    allow_xwayland: bool,
    timeout: Option<Duration>,
}

/// How long each wait on the display may take by default: far beyond any healthy answer (a
/// 4K `GetImage` over a local socket takes milliseconds), short enough that a stuck display
/// is reported rather than waited on for good. The same for every backend
/// ([`mss_core::OpenOptions::DEFAULT_TIMEOUT`]).
pub const DEFAULT_TIMEOUT: Duration = mss_core::OpenOptions::DEFAULT_TIMEOUT;

impl Default for X11Options {
    fn default() -> Self {
        Self {
            monitor_source: MonitorSource::Auto,
            watch_screen_changes: true,
            connection: ConnectionPreference::Auto,
            allow_xwayland: false,
            timeout: Some(DEFAULT_TIMEOUT),
        }
    }
}

impl X11Options {
    /// The defaults: [`MonitorSource::Auto`], screen changes watched, libxcb when it loads
    /// ([`ConnectionPreference::Auto`]), XWayland refused, [`DEFAULT_TIMEOUT`] per wait.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where monitors are read from.
    #[must_use]
    pub fn monitor_source(mut self, source: MonitorSource) -> Self {
        self.monitor_source = source;
        self
    }

    /// Whether to select RandR `ScreenChangeNotify` events on the root window and read them
    /// before each grab, so the cached screen size follows mode changes with no round trip
    /// (the default).
    ///
    /// Reading them drains the connection's event queue: every other event on it is
    /// discarded. Turn this off when the application reads events from the same connection;
    /// the screen size is then re-read from the server only when a region looks out of
    /// bounds or the server refuses a grab, which is slower after a change but still correct.
    #[must_use]
    pub fn watch_screen_changes(mut self, watch: bool) -> Self {
        self.watch_screen_changes = watch;
        self
    }

    /// Which connection [`X11Display::open`](crate::X11Display::open) makes: libxcb loaded at
    /// run time when it can be (the default), or one of the two for certain. Displays built
    /// from a connection of the caller's ignore this.
    #[must_use]
    pub fn connection(mut self, preference: ConnectionPreference) -> Self {
        self.connection = preference;
        self
    }

    /// Whether the root window of XWayland, the X server of a Wayland compositor, may be
    /// captured. It is refused by default with [`mss_core::Error::XWaylandRoot`], because it is
    /// not the Wayland desktop: a rootless XWayland's root (what compositors start) holds no
    /// pixels and gives black frames, a rootful one's is an X11 desktop of its own. Turn this on
    /// to capture it knowingly; the backends' status then carries a caveat saying which.
    #[must_use]
    pub fn allow_xwayland(mut self, allow: bool) -> Self {
        self.allow_xwayland = allow;
        self
    }

    /// How long each wait on the display may take (a reply, an error check, the connection
    /// setup): past it the connection is closed and the call fails with
    /// [`mss_core::Error::Timeout`], naming the display and what was waited for; later calls
    /// fail saying the connection was closed. `None` waits without limit. Applies to
    /// connections [`X11Display::open`](crate::X11Display::open) makes; a connection of the
    /// caller's has the deadlines it was made with.
    #[must_use]
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The configured time per wait.
    pub(crate) fn wait_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The configured monitor source.
    pub(crate) fn source(&self) -> MonitorSource {
        self.monitor_source
    }

    /// Whether screen changes are watched through events.
    pub(crate) fn watches_screen_changes(&self) -> bool {
        self.watch_screen_changes
    }

    /// The configured connection preference.
    pub(crate) fn connection_preference(&self) -> ConnectionPreference {
        self.connection
    }

    /// Whether XWayland roots may be captured.
    pub(crate) fn allows_xwayland(&self) -> bool {
        self.allow_xwayland
    }
}

impl From<&mss_core::OpenOptions> for X11Options {
    /// The defaults, with the timeout and the XWayland choice every backend is opened with.
    fn from(options: &mss_core::OpenOptions) -> Self {
        Self::new()
            .timeout(options.wait_timeout())
            .allow_xwayland(options.allows_xwayland())
    }
}
