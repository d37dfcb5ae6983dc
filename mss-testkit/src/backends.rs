//! [`Backend`]: the real capture backends this crate was built with, and how to open each on
//! a display. [`crate::backend_test!`] runs one test body per backend.

use mss_core::{Capture, Error};

use crate::scene::Scene;
use crate::server::{XServer, XvfbOptions};

/// A real capture backend enabled by this crate's Cargo features (`x11-getimage`, `x11-shm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// `mss-x11-getimage`: the core GetImage request.
    #[cfg(feature = "x11-getimage")]
    X11GetImage,
    /// `mss-x11-shm`: MIT-SHM into pooled shared memory, falling back to GetImage.
    #[cfg(feature = "x11-shm")]
    X11Shm,
}

impl Backend {
    /// Every backend this crate was built with, in a fixed order.
    pub fn enabled() -> Vec<Backend> {
        vec![
            #[cfg(feature = "x11-getimage")]
            Backend::X11GetImage,
            #[cfg(feature = "x11-shm")]
            Backend::X11Shm,
        ]
    }

    /// The backend's name, equal to its Cargo feature and to [`Capture::backend_name`].
    pub fn name(self) -> &'static str {
        match self {
            #[cfg(feature = "x11-getimage")]
            Backend::X11GetImage => "x11-getimage",
            #[cfg(feature = "x11-shm")]
            Backend::X11Shm => "x11-shm",
        }
    }

    /// Opens this backend on `display`.
    ///
    /// # Errors
    ///
    /// Whatever the backend's `open` returns, usually [`Error::DisplayUnavailable`] or
    /// [`Error::UnsupportedFormat`].
    #[allow(unused_variables, reason = "unused when no backend feature is on")]
    pub fn open(self, display: &str) -> Result<Box<dyn Capture>, Error> {
        match self {
            #[cfg(feature = "x11-getimage")]
            Backend::X11GetImage => {
                let capture = mss_x11_getimage::GetImageCapture::open(Some(display))?;
                Ok(Box::new(capture))
            }
            #[cfg(feature = "x11-shm")]
            Backend::X11Shm => {
                let capture = mss_x11_shm::ShmCapture::open(Some(display))?;
                Ok(Box::new(capture))
            }
        }
    }
}

/// The body of a [`crate::backend_test!`] test.
pub type BackendTestBody = fn(&mut dyn Capture, &Scene, &XServer);

/// Runs `body` against `backend` on a fresh Xvfb started with `options`, with the scene
/// painted. [`crate::backend_test!`] expands to calls of this.
///
/// # Panics
///
/// With a message naming the backend when the server cannot start, the scene cannot be
/// painted or the backend cannot open the display (and whenever `body` panics).
pub fn run_backend_test(backend: Backend, options: &XvfbOptions, body: BackendTestBody) {
    let server = XServer::xvfb(options).unwrap_or_else(|error| panic!("{error}"));
    let scene = server
        .paint_scene()
        .unwrap_or_else(|error| panic!("{error}"));
    let mut capture = backend.open(server.display()).unwrap_or_else(|error| {
        panic!(
            "backend {} cannot open display {}: {error}",
            backend.name(),
            server.display()
        )
    });
    assert_eq!(capture.backend_name(), backend.name());
    body(capture.as_mut(), &scene, &server);
    // The capturer closes its connection before the scene and the server go away.
    drop(capture);
}
