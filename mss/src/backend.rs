//! [`Backend`]: the capture backends this crate can open, and how one is chosen.

use std::ffi::OsStr;
use std::fmt;

use crate::Error;

/// The environment variable that overrides the automatic backend choice.
pub const BACKEND_ENV_VAR: &str = "MSS_BACKEND";

/// A capture backend, named as its Cargo feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// `x11-shm`: MIT-SHM into pooled shared memory, zero-copy frames, falling back to
    /// `GetImage` with a stated reason when shared memory cannot work.
    X11Shm,
    /// `x11-getimage`: the core `GetImage` request; works everywhere, one copy per frame.
    X11GetImage,
}

impl Backend {
    /// Every backend this crate knows, compiled in or not, in the order of preference.
    pub const ALL: &'static [Backend] = &[Backend::X11Shm, Backend::X11GetImage];

    /// The backend's name, equal to its Cargo feature.
    pub const fn name(self) -> &'static str {
        match self {
            Self::X11Shm => "x11-shm",
            Self::X11GetImage => "x11-getimage",
        }
    }

    /// Whether this build carries the backend (its Cargo feature is on).
    pub const fn is_compiled_in(self) -> bool {
        match self {
            Self::X11Shm => cfg!(feature = "x11-shm"),
            Self::X11GetImage => cfg!(feature = "x11-getimage"),
        }
    }

    /// The backends this build carries, in the order of preference (`x11-shm` first).
    pub fn compiled_in() -> Vec<Backend> {
        Self::ALL
            .iter()
            .copied()
            .filter(|backend| backend.is_compiled_in())
            .collect()
    }

    /// The backend opened when none is asked for: the first one compiled in.
    pub fn preferred() -> Backend {
        Self::compiled_in()
            .first()
            .copied()
            .expect("the crate does not build without a backend feature")
    }

    /// The backend named `name` (`x11-shm`, `x11-getimage`), if this build carries it.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownBackend`] for a name no backend has, [`Error::BackendNotCompiled`] for
    /// a known backend whose feature is off; both list the backends available.
    pub fn from_name(name: &str) -> Result<Backend, Error> {
        let available = available_names();
        let backend = Self::ALL
            .iter()
            .copied()
            .find(|backend| backend.name() == name)
            .ok_or_else(|| Error::UnknownBackend {
                name: name.to_owned(),
                available: available.clone(),
            })?;
        if backend.is_compiled_in() {
            Ok(backend)
        } else {
            Err(Error::BackendNotCompiled {
                name: name.to_owned(),
                available,
            })
        }
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
    use std::ffi::OsString;

    use super::*;

    #[test]
    fn names_round_trip_for_compiled_backends() {
        for backend in Backend::compiled_in() {
            assert_eq!(Backend::from_name(backend.name()).unwrap(), backend);
        }
        assert_eq!(Backend::preferred(), Backend::compiled_in()[0]);
        if Backend::X11Shm.is_compiled_in() {
            assert_eq!(Backend::preferred(), Backend::X11Shm);
        }
    }

    #[test]
    fn unknown_names_list_the_available_backends() {
        let error = Backend::from_name("wayland").unwrap_err();
        assert!(matches!(&error, Error::UnknownBackend { name, .. } if name == "wayland"));
        let message = error.to_string();
        for backend in Backend::compiled_in() {
            assert!(message.contains(backend.name()), "{message}");
        }
    }

    #[test]
    fn backends_not_compiled_in_are_named_as_such() {
        for backend in Backend::ALL.iter().filter(|b| !b.is_compiled_in()) {
            let error = Backend::from_name(backend.name()).unwrap_err();
            assert!(
                matches!(error, Error::BackendNotCompiled { .. }),
                "{error:?}"
            );
            assert!(error.to_string().contains("not compiled in"), "{error}");
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
