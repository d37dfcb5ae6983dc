//! [`OpenOptions`] and [`OpenBackend`]: what every backend is opened with, and the shape of
//! the function each backend crate exports to open it.
//!
//! This is the plug between backends and the code that chooses among them. Each backend crate
//! exports `pub fn open(options: &OpenOptions) -> Result<Box<dyn Capture>, Error>`, an
//! [`OpenBackend`]; the `mss` facade's registry names that function and nothing else of the
//! crate, so a new backend joins with one crate, one Cargo feature and one registry line.

use std::time::Duration;

use crate::{Capture, Error};

/// How a backend crate is opened: every backend exports one such function, named `open`.
///
/// It connects to [`OpenOptions::display`] (the session's display when `None`) and returns the
/// capturer, or the reason this backend cannot capture that display (the display is
/// unreachable, a protocol it needs is missing, an XWayland root it must refuse...). Callers
/// that try several backends in turn report each one's answer.
pub type OpenBackend = fn(&OpenOptions) -> Result<Box<dyn Capture>, Error>;

/// What a backend is opened with: the display and the caller's choices.
///
/// Every backend reads the same options, so the code that chooses a backend never needs to
/// know which one it opens. A backend ignores what does not concern it (an X11 backend ignores
/// nothing here; a Wayland backend ignores [`allow_xwayland`](Self::allow_xwayland)).
///
/// ```
/// use std::time::Duration;
/// use mss_core::OpenOptions;
///
/// let options = OpenOptions::new().display(":1").timeout(Some(Duration::from_secs(2)));
/// assert_eq!(options.display_name(), Some(":1"));
/// assert_eq!(options.wait_timeout(), Some(Duration::from_secs(2)));
/// assert!(!options.allows_xwayland());
/// assert_eq!(OpenOptions::new().wait_timeout(), Some(OpenOptions::DEFAULT_TIMEOUT));
/// ```
// Non-exhaustive with a builder, so that options a future backend needs (the screen-cast
// portal's restore token joined so) can join without breaking backends or callers.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenOptions {
    display: Option<String>,
    timeout: Option<Duration>,
    allow_xwayland: bool,
    restore_token: Option<String>,
    may_ask_user: bool,
}

impl std::fmt::Debug for OpenOptions {
    /// The restore token is not shown: it lets its holder capture the screen without asking.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenOptions")
            .field("display", &self.display)
            .field("timeout", &self.timeout)
            .field("allow_xwayland", &self.allow_xwayland)
            .field("may_ask_user", &self.may_ask_user)
            .field(
                "restore_token",
                &self.restore_token.as_ref().map(|_| "(given)"),
            )
            .finish()
    }
}

impl OpenOptions {
    /// How long each wait on the display may take unless [`timeout`](Self::timeout) says
    /// otherwise: 10 seconds, long enough for a loaded machine and a remote display, short
    /// enough that a stopped server is reported rather than hung on.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// The session's display, [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT), XWayland refused.
    pub fn new() -> Self {
        Self {
            display: None,
            timeout: Some(Self::DEFAULT_TIMEOUT),
            allow_xwayland: false,
            restore_token: None,
            may_ask_user: true,
        }
    }

    /// The display to open: `:1` or `host:0.0` for X11, a socket name (`wayland-1`) or path
    /// for Wayland. Without it, the backend opens the session's (`$DISPLAY`,
    /// `$WAYLAND_DISPLAY`).
    #[must_use]
    pub fn display(mut self, display: impl Into<String>) -> Self {
        self.display = Some(display.into());
        self
    }

    /// Sets or clears the display to open; see [`display`](Self::display).
    #[must_use]
    pub fn display_or_session(mut self, display: Option<String>) -> Self {
        self.display = display;
        self
    }

    /// How long each wait on the display may take (a reply, the connection setup, a frame);
    /// `None` waits without limit. Past it the backend fails with [`Error::Timeout`] naming
    /// the display and what it waited for.
    #[must_use]
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Lets an X11 backend capture the root window of XWayland, which is not the Wayland
    /// desktop (see [`Error::XWaylandRoot`]); the backend's status then carries a caveat.
    #[must_use]
    pub fn allow_xwayland(mut self, allow: bool) -> Self {
        self.allow_xwayland = allow;
        self
    }

    /// A restore token from an earlier capturer ([`Capture::restore_token`]), for backends
    /// that ask the user before they capture (the screen-cast portal's dialog): given back,
    /// the user's earlier choice is restored without asking again, when the portal still
    /// knows it. Other backends ignore it.
    #[must_use]
    pub fn restore_token(mut self, token: Option<String>) -> Self {
        self.restore_token = token;
        self
    }

    /// Whether the backend may ask the user before it captures (the screen-cast portal's
    /// dialog); `true` by default. Code that only probes what a backend would answer (`mss
    /// info` asking the candidates it did not need, `mss bench` measuring every backend)
    /// says `false`, and such a backend then refuses with [`Error::Unsupported`] saying it
    /// would have asked, rather than show a dialog nobody expects.
    #[must_use]
    pub fn may_ask_user(mut self, may: bool) -> Self {
        self.may_ask_user = may;
        self
    }

    /// The display asked for; `None` for the session's.
    pub fn display_name(&self) -> Option<&str> {
        self.display.as_deref()
    }

    /// The limit on each wait; `None` for none.
    pub fn wait_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether an XWayland root may be captured.
    pub fn allows_xwayland(&self) -> bool {
        self.allow_xwayland
    }

    /// Whether the backend may ask the user; see [`may_ask_user`](Self::may_ask_user).
    pub fn asks_user(&self) -> bool {
        self.may_ask_user
    }

    /// The restore token given, if any; see [`restore_token`](Self::restore_token).
    pub fn given_restore_token(&self) -> Option<&str> {
        self.restore_token.as_deref()
    }
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self::new()
    }
}
