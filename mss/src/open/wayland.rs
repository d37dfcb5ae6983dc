//! Opening the Wayland backend.

use mss_core::{Capture, Error};

use crate::registry::OpenOptions;

/// Opens `wayland` on `options.display` (a socket name or path; `$WAYLAND_DISPLAY` when not
/// given).
pub(crate) fn open(options: &OpenOptions) -> Result<Box<dyn Capture>, Error> {
    let wayland_options = mss_wayland::WaylandOptions::new().timeout(options.timeout);
    let capture =
        mss_wayland::WaylandCapture::open_with(options.display.as_deref(), wayland_options)?;
    Ok(Box::new(capture))
}
