//! Integration tests of the mss facade against private display servers: opening, backend
//! choice, saving, the pointer, and the cross-backend conformance suite, which runs every
//! compiled-in backend of the registry.
#![forbid(unsafe_code)]

/// Opening, backend choice, grabbing and saving through the facade, on X11.
#[cfg(any(feature = "x11-shm", feature = "x11-getimage"))]
mod capture;

/// The conformance suite every backend must pass.
mod conformance;

/// The pointer drawn onto frames (X11's XFixes pointer).
#[cfg(any(feature = "x11-shm", feature = "x11-getimage"))]
mod cursor;

/// The test-only `fake` backend, opened by name through the registry.
#[cfg(feature = "fake")]
mod fake;

/// The facade on a Wayland session: the default backend, saving, the pointer.
#[cfg(feature = "wayland")]
mod wayland;

/// The facade on a GNOME session (mutter): the `pipewire` backend chosen by itself.
#[cfg(feature = "pipewire")]
mod gnome;

use mss::{Backend, Capture, DisplaySystem, Mss};
use mss_testkit::{BackendUnderTest, ServerFamily};

/// A registry backend as the test kit's harness sees it: opened through the facade, as
/// applications open it.
struct RegistryBackend(Backend);

impl BackendUnderTest for RegistryBackend {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn system(&self) -> DisplaySystem {
        self.0.display_system()
    }

    /// GNOME's screen cast is only on mutter; every other backend runs on its display
    /// system's servers.
    fn family(&self) -> ServerFamily {
        if self.0 == Backend::PIPEWIRE {
            ServerFamily::Gnome
        } else {
            ServerFamily::of(self.0.display_system())
        }
    }

    fn open(&self, display: &str) -> Result<Box<dyn Capture>, mss_core::Error> {
        let screen = Mss::builder()
            .display(display)
            .backend(self.0)
            .open()
            .map_err(|error| match error {
                mss::Error::Capture(error) => error,
                other => panic!("backend {}: {other}", self.0),
            })?;
        Ok(Box::new(screen))
    }
}

/// Every compiled-in backend of the registry that captures a display server (test backends of
/// no server have their own tests), for `backend_test!` and the suite's loops.
pub fn backends_under_test() -> Vec<Box<dyn BackendUnderTest>> {
    let backends: Vec<Box<dyn BackendUnderTest>> = Backend::compiled_in()
        .into_iter()
        .filter(|backend| backend.display_system() != DisplaySystem::Virtual)
        .map(|backend| Box::new(RegistryBackend(backend)) as Box<dyn BackendUnderTest>)
        .collect();
    assert!(
        !backends.is_empty(),
        "the conformance suite needs a backend of a display server: build the facade with one"
    );
    backends
}

/// The compiled-in registry backends of display system `system`.
#[allow(
    dead_code,
    reason = "used by the tests of whichever display systems are compiled in"
)]
pub fn backends_of(system: DisplaySystem) -> Vec<Backend> {
    Backend::compiled_in()
        .into_iter()
        .filter(|backend| backend.display_system() == system)
        .collect()
}
