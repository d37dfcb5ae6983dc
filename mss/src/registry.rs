//! The backend registry: every capture backend this crate knows, described once.
//!
//! An entry says what a backend is called (its name is its Cargo feature, and the feature turns
//! on the crate `mss-<name>`), which display system it captures, what it does in a line, and how
//! to open it (the [`OpenBackend`] its crate exports). Everything that deals in backends reads
//! this table: the run-time choice ([`crate::MssBuilder`]), the command line (`-b`,
//! `mss info`, `mss bench`), the facade's conformance tests, and `cargo xtask`, which finds the
//! backend features by the naming rule. Adding a backend means one crate, one feature and one
//! entry in [`registry!`] below; the constants, the list and the build error without any
//! backend all come from that entry.

use std::ffi::OsStr;
use std::fmt;

use mss_core::{DisplaySystem, OpenBackend, OpenOptions};

use crate::Error;
use crate::session::Session;

/// The environment variable that overrides the automatic backend choice.
pub const BACKEND_ENV_VAR: &str = "MSS_BACKEND";

/// One registry entry.
struct Entry {
    name: &'static str,
    system: DisplaySystem,
    summary: &'static str,
    /// `None` when the backend's feature is off in this build.
    open: Option<OpenBackend>,
}

/// Declares the registry from one line per backend: the backend's constant on [`Backend`],
/// the list in order of preference, and the build error when no backend feature is on. The
/// `open` function (the backend crate's [`OpenBackend`]) is only compiled, and only named,
/// when the feature is on.
macro_rules! registry {
    ($(
        $(#[$doc:meta])*
        $constant:ident {
            name: $name:literal,
            system: $system:ident,
            summary: $summary:literal,
            open: $open:path $(,)?
        }
    ),+ $(,)?) => {
        impl Backend {
            $(
                $(#[$doc])*
                pub const $constant: Backend = Backend(&Entry {
                    name: $name,
                    system: DisplaySystem::$system,
                    summary: $summary,
                    open: {
                        #[cfg(feature = $name)]
                        let open: Option<OpenBackend> = Some($open);
                        #[cfg(not(feature = $name))]
                        let open: Option<OpenBackend> = None;
                        open
                    },
                });
            )+
        }

        /// Every backend, in order of preference within a display system.
        static REGISTRY: &[Backend] = &[$(Backend::$constant),+];

        #[cfg(not(any($(feature = $name),+)))]
        compile_error!(concat!(
            "the mss crate needs a capture backend: enable at least one of the features",
            $(" `", $name, "`",)+
        ));
    };
}

// Adding a backend: its crate `mss-<name>` exports `open` (an `OpenBackend`), the facade's
// Cargo.toml gets the feature `<name> = ["dep:mss-<name>"]`, and one entry joins here.
// ARCHITECTURE.md ("Adding a backend") has the whole recipe.
registry! {
    /// `x11-shm`: MIT-SHM into pooled shared memory, zero-copy frames, falling back to
    /// `GetImage` (with a stated reason) when shared memory cannot work.
    X11_SHM {
        name: "x11-shm",
        system: X11,
        summary: "X11, MIT-SHM into pooled shared memory: zero-copy frames; falls back to GetImage with a stated reason",
        open: mss_x11_shm::open,
    },
    /// `x11-getimage`: the core `GetImage` request; works on every X server and connection, one
    /// copy per frame.
    X11_GETIMAGE {
        name: "x11-getimage",
        system: X11,
        summary: "X11, the core GetImage request: every server and connection (TCP too), one copy per frame",
        open: mss_x11_getimage::open,
    },
    /// `wayland`: wlr-screencopy (sway, Hyprland, river, wayfire, labwc, niri and other
    /// wlroots-based compositors) into pooled shared memory, zero-copy frames.
    WAYLAND {
        name: "wayland",
        system: Wayland,
        summary: "Wayland, wlr-screencopy (wlroots compositors: sway, Hyprland, river, ...) into pooled shared memory: zero-copy frames",
        open: mss_wayland::open,
    },
    /// `pipewire`: screen casts read from PipeWire, zero-copy frames: GNOME's own
    /// (`org.gnome.Mutter.ScreenCast`, no dialog), else the desktop portal's (KDE, COSMIC,
    /// Hyprland...: a dialog once); after `wayland`, so wlroots compositors keep
    /// wlr-screencopy.
    PIPEWIRE {
        name: "pipewire",
        system: Wayland,
        summary: "Wayland, screen casts through PipeWire: GNOME's own (org.gnome.Mutter.ScreenCast, no dialog), else the desktop portal's (a dialog once): zero-copy frames",
        open: mss_pipewire::open,
    },
    /// `fake`: a made-up screen of no display server, for tests; never chosen automatically.
    FAKE { name: "fake", system: Virtual, summary: "a made-up screen showing the test kit's pattern, no display server (tests only; opened by name)", open: mss_fake::open },
}

/// A capture backend: a handle on its registry entry, named as its Cargo feature.
///
/// The constants ([`Backend::X11_SHM`], [`Backend::X11_GETIMAGE`], [`Backend::WAYLAND`],
/// [`Backend::PIPEWIRE`]) name every backend this crate knows, whether or not this build
/// carries it; [`Backend::compiled_in`] lists the ones it does.
#[derive(Clone, Copy)]
pub struct Backend(&'static Entry);

impl Backend {
    /// Every backend this crate knows, compiled in or not, in order of preference within each
    /// display system.
    pub fn all() -> &'static [Backend] {
        REGISTRY
    }

    /// The backends this build carries, in order of preference.
    pub fn compiled_in() -> Vec<Backend> {
        REGISTRY
            .iter()
            .copied()
            .filter(|backend| backend.is_compiled_in())
            .collect()
    }

    /// The backend's name, equal to its Cargo feature (`x11-shm`).
    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// The display system it captures.
    pub fn display_system(self) -> DisplaySystem {
        self.0.system
    }

    /// What it does, in a line, for `mss info` and help texts.
    pub fn summary(self) -> &'static str {
        self.0.summary
    }

    /// Whether this build carries the backend (its Cargo feature is on).
    pub fn is_compiled_in(self) -> bool {
        self.0.open.is_some()
    }

    /// The backend named `name` (`x11-shm`, `x11-getimage`), if this build carries it.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownBackend`] for a name no backend has, [`Error::BackendNotCompiled`] for
    /// a known backend whose feature is off; both list the backends available.
    pub fn from_name(name: &str) -> Result<Backend, Error> {
        let backend = REGISTRY
            .iter()
            .copied()
            .find(|backend| backend.name() == name)
            .ok_or_else(|| Error::UnknownBackend {
                name: name.to_owned(),
                available: available_names(),
            })?;
        if backend.is_compiled_in() {
            Ok(backend)
        } else {
            Err(Error::BackendNotCompiled {
                name: name.to_owned(),
                available: available_names(),
            })
        }
    }

    /// The backends the automatic choice tries for `session`, in this order: those of each of
    /// the session's display systems ([`Session::display_systems`]: Wayland before X11 on a
    /// Wayland session), each system's in the registry's order of preference (`x11-shm` before
    /// `x11-getimage`). When the build has no backend for any of them, every compiled-in
    /// backend of a real display system, so that each can say why it cannot open the display.
    /// Backends of no display server ([`DisplaySystem::Virtual`], test backends) are never
    /// tried: they are opened only when named.
    pub fn candidates(session: &Session) -> Vec<Backend> {
        let compiled = Self::compiled_in();
        let of_session: Vec<Backend> = session
            .display_systems()
            .into_iter()
            .flat_map(|system| {
                compiled
                    .iter()
                    .copied()
                    .filter(move |backend| backend.display_system() == system)
            })
            .collect();
        if !of_session.is_empty() {
            return of_session;
        }
        compiled
            .into_iter()
            .filter(|backend| backend.display_system() != DisplaySystem::Virtual)
            .collect()
    }

    /// Opens the backend with its crate's [`OpenBackend`].
    ///
    /// # Errors
    ///
    /// [`Error::BackendNotCompiled`] when this build does not carry it, else the backend's own
    /// answer as [`Error::Capture`].
    pub fn open(self, options: &OpenOptions) -> Result<Box<dyn mss_core::Capture>, Error> {
        match self.0.open {
            Some(open) => Ok(open(options)?),
            None => Err(Error::BackendNotCompiled {
                name: self.name().to_owned(),
                available: available_names(),
            }),
        }
    }
}

impl PartialEq for Backend {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Backend {}

impl std::hash::Hash for Backend {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backend")
            .field("name", &self.name())
            .field("display_system", &self.display_system())
            .field("compiled_in", &self.is_compiled_in())
            .finish()
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The backends compiled in, as `x11-shm, x11-getimage`, for error messages.
pub(crate) fn available_names() -> String {
    Backend::compiled_in()
        .iter()
        .map(|backend| backend.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads the backend override from the value of `MSS_BACKEND` (passed in, so this stays a
/// pure function): `None` when unset, empty or `auto`, else the named backend.
///
/// # Errors
///
/// As [`Backend::from_name`], plus [`Error::UnknownBackend`] for a value that is not UTF-8;
/// messages name the variable.
pub fn backend_from_env(value: Option<&OsStr>) -> Result<Option<Backend>, Error> {
    let Some(value) = value else {
        return Ok(None);
    };
    let Some(name) = value.to_str() else {
        return Err(Error::UnknownBackend {
            name: format!("{BACKEND_ENV_VAR}={}", value.to_string_lossy()),
            available: available_names(),
        });
    };
    let name = name.trim();
    if name.is_empty() || name == "auto" {
        return Ok(None);
    }
    Backend::from_name(name)
        .map(Some)
        .map_err(|error| match error {
            Error::UnknownBackend { name, available } => Error::UnknownBackend {
                name: format!("{BACKEND_ENV_VAR}={name}"),
                available,
            },
            Error::BackendNotCompiled { name, available } => Error::BackendNotCompiled {
                name: format!("{BACKEND_ENV_VAR}={name}"),
                available,
            },
            other => other,
        })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::ffi::OsString;

    use super::*;

    #[test]
    fn names_are_unique_and_round_trip_for_compiled_backends() {
        let names: HashSet<_> = Backend::all()
            .iter()
            .map(|backend| backend.name())
            .collect();
        assert_eq!(names.len(), Backend::all().len());
        for backend in Backend::compiled_in() {
            assert_eq!(Backend::from_name(backend.name()).unwrap(), backend);
        }
        assert_eq!(Backend::X11_SHM.name(), "x11-shm");
        assert_eq!(Backend::X11_GETIMAGE.display_system(), DisplaySystem::X11);
    }

    #[test]
    fn compiled_in_follows_the_features() {
        assert_eq!(Backend::X11_SHM.is_compiled_in(), cfg!(feature = "x11-shm"));
        assert_eq!(Backend::WAYLAND.is_compiled_in(), cfg!(feature = "wayland"));
        assert_eq!(
            Backend::PIPEWIRE.is_compiled_in(),
            cfg!(feature = "pipewire")
        );
        assert_eq!(Backend::FAKE.is_compiled_in(), cfg!(feature = "fake"));
        assert_eq!(
            Backend::X11_GETIMAGE.is_compiled_in(),
            cfg!(feature = "x11-getimage")
        );
    }

    /// The registry's rule, checked against the manifest: every entry's name is a feature of
    /// this crate that turns on the crate `mss-<name>`, and every such feature has an entry.
    #[test]
    fn every_entry_is_a_feature_turning_on_its_crate_and_the_other_way_round() {
        let manifest = include_str!("../Cargo.toml");
        let features: Vec<(String, String)> = manifest
            .split("[features]")
            .nth(1)
            .expect("the manifest has features")
            .split("\n[")
            .next()
            .unwrap_or_default()
            .lines()
            .filter_map(|line| {
                let (name, value) = line.split_once('=')?;
                Some((name.trim().to_owned(), value.trim().to_owned()))
            })
            .collect();
        let backend_features: Vec<&str> = features
            .iter()
            .filter(|(name, value)| value.contains(&format!("\"dep:mss-{name}\"")))
            .map(|(name, _)| name.as_str())
            .collect();
        let entries: Vec<&str> = Backend::all()
            .iter()
            .map(|backend| backend.name())
            .collect();
        assert_eq!(backend_features, entries, "features: {features:?}");
    }

    #[test]
    fn unknown_names_list_the_available_backends() {
        let error = Backend::from_name("vnc").unwrap_err();
        assert!(matches!(&error, Error::UnknownBackend { name, .. } if name == "vnc"));
        let message = error.to_string();
        for backend in Backend::compiled_in() {
            assert!(message.contains(backend.name()), "{message}");
        }
    }

    #[test]
    fn backends_not_compiled_in_are_named_as_such() {
        for backend in Backend::all().iter().filter(|b| !b.is_compiled_in()) {
            let error = Backend::from_name(backend.name()).unwrap_err();
            assert!(
                matches!(error, Error::BackendNotCompiled { .. }),
                "{error:?}"
            );
            assert!(error.to_string().contains("not compiled in"), "{error}");
        }
    }

    #[test]
    fn the_candidates_follow_the_session() {
        let of = |system| {
            Backend::compiled_in()
                .into_iter()
                .filter(move |backend| backend.display_system() == system)
        };
        let real = || {
            Backend::compiled_in()
                .into_iter()
                .filter(|backend| backend.display_system() != DisplaySystem::Virtual)
                .collect::<Vec<_>>()
        };
        // An X11 session tries its X11 backends in order (`x11-shm` first); a build without
        // them tries what it has, which then says why it cannot open an X11 display.
        let x11 = Session::new(None, Some(":0".to_owned()));
        let expected: Vec<Backend> = of(DisplaySystem::X11).collect();
        let expected = if expected.is_empty() {
            real()
        } else {
            expected
        };
        assert_eq!(Backend::candidates(&x11), expected);
        if Backend::X11_SHM.is_compiled_in() {
            assert_eq!(Backend::candidates(&x11)[0], Backend::X11_SHM);
        }
        // A Wayland session with XWayland tries its Wayland backends, then the X11 ones (which
        // refuse an XWayland root unless allowed, and say so).
        let wayland = Session::new(Some("wayland-1".to_owned()), Some(":0".to_owned()));
        let expected: Vec<Backend> = of(DisplaySystem::Wayland)
            .chain(of(DisplaySystem::X11))
            .collect();
        assert_eq!(Backend::candidates(&wayland), expected);
        // No display at all: every real backend, each to say why.
        assert_eq!(Backend::candidates(&Session::new(None, None)), real());
        for session in [x11, wayland, Session::new(None, None)] {
            assert!(
                Backend::candidates(&session)
                    .iter()
                    .all(|backend| backend.display_system() != DisplaySystem::Virtual),
                "test backends are opened only by name"
            );
        }
    }

    #[test]
    fn environment_override_is_parsed_purely() {
        assert_eq!(backend_from_env(None).unwrap(), None);
        assert_eq!(backend_from_env(Some(OsStr::new(""))).unwrap(), None);
        assert_eq!(backend_from_env(Some(OsStr::new("auto"))).unwrap(), None);
        for backend in Backend::compiled_in() {
            let value = OsString::from(format!(" {} ", backend.name()));
            assert_eq!(backend_from_env(Some(&value)).unwrap(), Some(backend));
        }
        let error = backend_from_env(Some(OsStr::new("xlib"))).unwrap_err();
        assert!(
            error.to_string().contains("MSS_BACKEND=xlib"),
            "the message names the variable: {error}"
        );
    }
}
