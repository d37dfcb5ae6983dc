//! The `x11-getimage` backend of mss-rs: capture with the core `GetImage` request.
//!
//! [`GetImageCapture`] works on every X server and over every connection, local or remote
//! (TCP, SSH forwarding, containers with their own IPC namespace), where shared memory cannot.
//! It copies each frame once, from the socket into the reply buffer, which becomes the frame's
//! storage. Everything X11 about it (connection, screen format, monitors, region checks,
//! cursor, XWayland refusal) is the shared plumbing of `mss-x11`; this crate adds the
//! [`mss_core::Capture`] implementation.
//!
//! By default the connection is libxcb loaded at run time, which reads large replies at
//! libxcb's speed, or x11rb's pure-Rust connection where libxcb cannot be loaded;
//! [`Capture::status`](mss_core::Capture::status) names the one in use.
//!
//! # Features
//!
//! - `xcb`: capture through an application's own `xcb::Connection` (links libxcb at build
//!   time).
#![forbid(unsafe_code)]

mod capture;

pub use capture::{BACKEND_NAME, GetImageCapture, METHOD};
pub use mss_x11::{AutoConnection, ConnectionPreference, MonitorSource, X11Connection, X11Options};

/// Opens the `x11-getimage` backend on `options.display_name()` (`$DISPLAY` when not given),
/// with the options' timeout and XWayland choice: the [`mss_core::OpenBackend`] the facade's
/// registry names.
///
/// # Errors
///
/// As [`GetImageCapture::open_with`].
pub fn open(
    options: &mss_core::OpenOptions,
) -> Result<Box<dyn mss_core::Capture>, mss_core::Error> {
    let capture = GetImageCapture::open_with(options.display_name(), X11Options::from(options))?;
    Ok(Box::new(capture))
}
