//! Where a desktop session's services are: the session bus mutter (or the desktop portal) is
//! on, and the PipeWire daemon screen casts go through.
//!
//! Without a display name, the session of the environment: the bus at
//! `$DBUS_SESSION_BUS_ADDRESS` (else `$XDG_RUNTIME_DIR/bus`, the user bus of systemd
//! sessions), and PipeWire where libpipewire looks for it (`$PIPEWIRE_REMOTE`, a path or a
//! name in `$PIPEWIRE_RUNTIME_DIR` or `$XDG_RUNTIME_DIR`; `pipewire-0` by default). With a
//! display name (a Wayland socket, as the `wayland` backend takes it: a path, or a name in
//! `$XDG_RUNTIME_DIR`), the session whose runtime directory holds that socket: its bus is
//! `bus` and its PipeWire `pipewire-0` in the same directory, as a systemd user session (GNOME,
//! KDE) lays them out.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use mss_core::Error;

use crate::BACKEND_NAME;

/// The session's services, found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SessionPlaces {
    /// The display, in the caller's terms: the name given, else `$WAYLAND_DISPLAY`, else the
    /// bus's address.
    pub(crate) display: String,
    /// The session bus's address.
    pub(crate) bus: String,
    /// PipeWire's socket.
    pub(crate) pipewire: PathBuf,
}

/// The environment variables the session is found from, read once (a pure function of them
/// is what the tests check).
#[derive(Clone, Debug, Default)]
pub(crate) struct Environment {
    pub(crate) wayland_display: Option<OsString>,
    pub(crate) runtime_dir: Option<OsString>,
    pub(crate) bus: Option<OsString>,
    pub(crate) pipewire_remote: Option<OsString>,
    pub(crate) pipewire_runtime_dir: Option<OsString>,
}

impl Environment {
    /// This process's environment.
    pub(crate) fn of_process() -> Self {
        let get = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        Self {
            wayland_display: get("WAYLAND_DISPLAY"),
            runtime_dir: get("XDG_RUNTIME_DIR"),
            bus: get("DBUS_SESSION_BUS_ADDRESS"),
            pipewire_remote: get("PIPEWIRE_REMOTE"),
            pipewire_runtime_dir: get("PIPEWIRE_RUNTIME_DIR"),
        }
    }
}

/// Finds the services of the session of `display` (see the [module docs](self)).
///
/// # Errors
///
/// [`Error::DisplayUnavailable`] for a display name whose socket is not there (or a name
/// without `$XDG_RUNTIME_DIR`); [`Error::Unsupported`] when there is no session bus to ask
/// (no address, no socket), since mutter's interfaces are only there.
pub(crate) fn find(
    display: Option<&str>,
    environment: &Environment,
) -> Result<SessionPlaces, Error> {
    match display {
        Some(name) => of_socket(name, environment),
        None => of_environment(environment),
    }
}

fn of_socket(name: &str, environment: &Environment) -> Result<SessionPlaces, Error> {
    let unavailable = |reason: String| Error::DisplayUnavailable {
        display: name.to_owned(),
        reason,
        source: None,
    };
    let socket = if name.starts_with('/') {
        PathBuf::from(name)
    } else {
        let runtime_dir = environment.runtime_dir.as_ref().ok_or_else(|| {
            unavailable(
                "a Wayland display name without a path is looked for in $XDG_RUNTIME_DIR, which \
                 is not set"
                    .to_owned(),
            )
        })?;
        Path::new(runtime_dir).join(name)
    };
    if !socket.exists() {
        return Err(unavailable(format!(
            "there is no Wayland socket at {}",
            socket.display()
        )));
    }
    let directory = socket.parent().unwrap_or(Path::new("/"));
    let bus = directory.join("bus");
    if !bus.exists() {
        return Err(no_bus(format!(
            "the session of {name} has no bus beside its socket ({} does not exist), so \
             neither org.gnome.Mutter.ScreenCast nor the screen-cast portal can be asked",
            bus.display()
        )));
    }
    Ok(SessionPlaces {
        display: name.to_owned(),
        bus: format!("unix:path={}", escape(&bus)),
        pipewire: directory.join("pipewire-0"),
    })
}

fn of_environment(environment: &Environment) -> Result<SessionPlaces, Error> {
    let runtime_dir = environment.runtime_dir.as_ref().map(PathBuf::from);
    let bus = match (&environment.bus, &runtime_dir) {
        (Some(address), _) => address.to_string_lossy().into_owned(),
        (None, Some(directory)) if directory.join("bus").exists() => {
            format!("unix:path={}", escape(&directory.join("bus")))
        }
        (None, _) => {
            return Err(no_bus(
                "there is no session bus ($DBUS_SESSION_BUS_ADDRESS is not set, and there is no \
                 bus in $XDG_RUNTIME_DIR), so neither org.gnome.Mutter.ScreenCast nor the \
                 screen-cast portal can be asked"
                    .to_owned(),
            ));
        }
    };
    let remote = environment
        .pipewire_remote
        .clone()
        .unwrap_or_else(|| OsString::from("pipewire-0"));
    let pipewire = if Path::new(&remote).is_absolute() {
        PathBuf::from(remote)
    } else {
        let directory = environment
            .pipewire_runtime_dir
            .as_ref()
            .map(PathBuf::from)
            .or(runtime_dir)
            .unwrap_or_default();
        directory.join(remote)
    };
    let display = environment
        .wayland_display
        .as_ref()
        .map_or_else(|| bus.clone(), |name| name.to_string_lossy().into_owned());
    Ok(SessionPlaces {
        display,
        bus,
        pipewire,
    })
}

fn no_bus(reason: String) -> Error {
    Error::Unsupported {
        backend: BACKEND_NAME,
        what: "capturing through screen casts",
        reason,
    }
}

/// A path as a D-Bus address value: bytes other than the few D-Bus leaves as they are are
/// written `%XX`.
fn escape(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt as _;
    let mut escaped = String::new();
    for &byte in path.as_os_str().as_bytes() {
        if byte.is_ascii_alphanumeric() || b"-_/.\\*".contains(&byte) {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("%{byte:02x}"));
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environment(directory: &Path) -> Environment {
        Environment {
            wayland_display: Some("wayland-0".into()),
            runtime_dir: Some(directory.into()),
            bus: Some("unix:path=/run/user/1000/bus".into()),
            pipewire_remote: None,
            pipewire_runtime_dir: None,
        }
    }

    #[test]
    fn the_environment_names_the_bus_and_pipewire() {
        let directory = tempfile::tempdir().unwrap();
        let places = find(None, &environment(directory.path())).unwrap();
        assert_eq!(places.display, "wayland-0");
        assert_eq!(places.bus, "unix:path=/run/user/1000/bus");
        assert_eq!(places.pipewire, directory.path().join("pipewire-0"));
        // PIPEWIRE_REMOTE: a name in PIPEWIRE_RUNTIME_DIR, or a path.
        let mut other = environment(directory.path());
        other.pipewire_remote = Some("pipewire-1".into());
        other.pipewire_runtime_dir = Some("/run/pw".into());
        assert_eq!(
            find(None, &other).unwrap().pipewire,
            Path::new("/run/pw/pipewire-1")
        );
        other.pipewire_remote = Some("/sock/pw".into());
        assert_eq!(find(None, &other).unwrap().pipewire, Path::new("/sock/pw"));
        // No WAYLAND_DISPLAY: the bus names the session.
        other.wayland_display = None;
        assert_eq!(
            find(None, &other).unwrap().display,
            "unix:path=/run/user/1000/bus"
        );
    }

    #[test]
    fn without_a_bus_address_the_runtime_directory_s_bus_is_used_and_without_either_it_is_unsupported()
     {
        let directory = tempfile::tempdir().unwrap();
        let mut without = environment(directory.path());
        without.bus = None;
        let error = find(None, &without).unwrap_err();
        assert!(matches!(error, Error::Unsupported { .. }), "{error:?}");
        assert!(error.to_string().contains("no session bus"), "{error}");
        std::fs::write(directory.path().join("bus"), b"").unwrap();
        let places = find(None, &without).unwrap();
        assert_eq!(
            places.bus,
            format!("unix:path={}", escape(&directory.path().join("bus")))
        );
    }

    #[test]
    fn a_display_names_the_session_whose_runtime_directory_holds_its_socket() {
        let directory = tempfile::tempdir().unwrap();
        let socket = directory.path().join("wayland-mutter");
        std::fs::write(&socket, b"").unwrap();
        let name = socket.to_str().unwrap();
        // No bus beside the socket (a wlroots session): GNOME's interface cannot be there.
        let error = find(Some(name), &Environment::default()).unwrap_err();
        assert!(matches!(error, Error::Unsupported { .. }), "{error:?}");
        assert!(
            error.to_string().contains("has no bus beside its socket"),
            "{error}"
        );
        std::fs::write(directory.path().join("bus"), b"").unwrap();
        let places = find(Some(name), &Environment::default()).unwrap();
        assert_eq!(places.display, name);
        assert_eq!(
            places.bus,
            format!("unix:path={}", escape(&directory.path().join("bus")))
        );
        assert_eq!(places.pipewire, directory.path().join("pipewire-0"));
        // A name is looked for in XDG_RUNTIME_DIR.
        let places = find(Some("wayland-mutter"), &environment(directory.path())).unwrap();
        assert_eq!(places.pipewire, directory.path().join("pipewire-0"));
        // A socket that is not there is the display's own error.
        for missing in ["/nonexistent/wayland-9", "wayland-9"] {
            let error = find(Some(missing), &environment(directory.path())).unwrap_err();
            assert!(
                matches!(error, Error::DisplayUnavailable { .. }),
                "{error:?}"
            );
        }
        let error = find(Some("wayland-9"), &Environment::default()).unwrap_err();
        assert!(error.to_string().contains("XDG_RUNTIME_DIR"), "{error}");
    }

    #[test]
    fn paths_are_escaped_as_d_bus_addresses_want() {
        assert_eq!(
            escape(Path::new("/run/user/1000/bus")),
            "/run/user/1000/bus"
        );
        assert_eq!(escape(Path::new("/tmp/a b,c=d;")), "/tmp/a%20b%2cc%3dd%3b");
    }
}
