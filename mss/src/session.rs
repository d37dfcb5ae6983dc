//! [`Session`]: which display systems the program runs in, read from the environment.

use std::ffi::OsString;

use mss_core::DisplaySystem;

/// The display systems of the running session, as the environment tells them.
///
/// A Wayland session sets `WAYLAND_DISPLAY`; an X11 session, and a Wayland session that runs
/// XWayland for X11 programs, sets `DISPLAY`. On a Wayland session the `DISPLAY` server is
/// almost always XWayland, whose root window holds no Wayland windows: the automatic backend
/// choice asks its Wayland backends first ([`Backend::candidates`](crate::Backend::candidates)),
/// and the X11 backends refuse an XWayland root unless the caller opted in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Session {
    wayland_display: Option<String>,
    x11_display: Option<String>,
}

impl Session {
    /// The session of this process: `$WAYLAND_DISPLAY` and `$DISPLAY` (unset, empty or
    /// non-UTF-8 values count as unset).
    pub fn from_env() -> Self {
        Self::from_values(
            std::env::var_os("WAYLAND_DISPLAY"),
            std::env::var_os("DISPLAY"),
        )
    }

    /// A session from the values of `$WAYLAND_DISPLAY` and `$DISPLAY`, as [`from_env`]
    /// reads them.
    ///
    /// [`from_env`]: Self::from_env
    pub fn from_values(wayland_display: Option<OsString>, x11_display: Option<OsString>) -> Self {
        let usable = |value: Option<OsString>| {
            value
                .and_then(|value| value.into_string().ok())
                .filter(|value| !value.trim().is_empty())
        };
        Self::new(usable(wayland_display), usable(x11_display))
    }

    /// A session with these displays.
    pub fn new(wayland_display: Option<String>, x11_display: Option<String>) -> Self {
        Self {
            wayland_display,
            x11_display,
        }
    }

    /// A session for an explicitly named display: `:1` or `host:0.0` (any name with a colon)
    /// is an X11 display, anything else a Wayland socket name (`wayland-1`).
    pub fn for_display(name: &str) -> Self {
        if name.contains(':') {
            Self::new(None, Some(name.to_owned()))
        } else {
            Self::new(Some(name.to_owned()), None)
        }
    }

    /// The Wayland socket name, when this is a Wayland session.
    pub fn wayland_display(&self) -> Option<&str> {
        self.wayland_display.as_deref()
    }

    /// The X11 display name, when one is set (on a Wayland session, usually XWayland's).
    pub fn x11_display(&self) -> Option<&str> {
        self.x11_display.as_deref()
    }

    /// Whether this is a Wayland session.
    pub fn is_wayland(&self) -> bool {
        self.wayland_display.is_some()
    }

    /// The display system whose backends suit this session best: Wayland on a Wayland
    /// session, X11 with only `$DISPLAY`, `None` with neither.
    pub fn display_system(&self) -> Option<DisplaySystem> {
        if self.is_wayland() {
            Some(DisplaySystem::Wayland)
        } else if self.x11_display.is_some() {
            Some(DisplaySystem::X11)
        } else {
            None
        }
    }

    /// The session in words, for errors: `the Wayland display "wayland-1" or the X11 display
    /// ":0"`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::with_capacity(2);
        if let Some(wayland) = &self.wayland_display {
            parts.push(format!("the Wayland display {wayland:?}"));
        }
        if let Some(x11) = &self.x11_display {
            parts.push(format!("the X11 display {x11:?}"));
        }
        if parts.is_empty() {
            "a display (neither WAYLAND_DISPLAY nor DISPLAY is set)".to_owned()
        } else {
            parts.join(" or ")
        }
    }

    /// The display systems this session has, in the order their backends are tried: Wayland
    /// first on a Wayland session (its `$DISPLAY` is then XWayland, whose root is not the
    /// desktop), then X11 when an X11 display is set.
    pub fn display_systems(&self) -> Vec<DisplaySystem> {
        let mut systems = Vec::with_capacity(2);
        if self.is_wayland() {
            systems.push(DisplaySystem::Wayland);
        }
        if self.x11_display.is_some() {
            systems.push(DisplaySystem::X11);
        }
        systems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(wayland: Option<&str>, x11: Option<&str>) -> Session {
        Session::from_values(wayland.map(OsString::from), x11.map(OsString::from))
    }

    #[test]
    fn the_environment_decides_the_display_system() {
        let check = |wayland, x11, expected| {
            assert_eq!(
                session(wayland, x11).display_system(),
                expected,
                "{wayland:?} {x11:?}"
            );
        };
        check(None, Some(":0"), Some(DisplaySystem::X11));
        check(Some("wayland-0"), Some(":0"), Some(DisplaySystem::Wayland));
        check(Some("wayland-0"), None, Some(DisplaySystem::Wayland));
        check(None, None, None);
        // Set but empty is unset, as for every X11 client.
        check(Some(""), Some(":0"), Some(DisplaySystem::X11));
        check(None, Some(" "), None);
    }

    #[test]
    fn a_wayland_session_tries_wayland_before_its_xwayland() {
        use DisplaySystem::{Wayland, X11};
        let check = |wayland, x11, expected: &[DisplaySystem]| {
            assert_eq!(session(wayland, x11).display_systems(), expected);
        };
        check(Some("wayland-0"), Some(":0"), &[Wayland, X11]);
        check(Some("wayland-0"), None, &[Wayland]);
        check(None, Some(":0"), &[X11]);
        check(None, None, &[]);
    }

    #[test]
    fn explicit_display_names_tell_their_system() {
        assert_eq!(
            Session::for_display(":1").display_system(),
            Some(DisplaySystem::X11)
        );
        assert_eq!(
            Session::for_display("localhost:10.0").x11_display(),
            Some("localhost:10.0")
        );
        assert_eq!(
            Session::for_display("wayland-1").display_system(),
            Some(DisplaySystem::Wayland)
        );
    }
}
