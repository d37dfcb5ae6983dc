//! Opening the X11 backends.

use mss_core::{Capture, Error};

use crate::registry::OpenOptions;

/// The plumbing's options for `options`.
fn x11_options(options: &OpenOptions) -> mss_x11::X11Options {
    mss_x11::X11Options::new()
        .allow_xwayland(options.allow_xwayland)
        .timeout(options.timeout)
}

/// Opens `x11-shm`.
#[cfg(feature = "x11-shm")]
pub(crate) fn open_shm(options: &OpenOptions) -> Result<Box<dyn Capture>, Error> {
    let shm_options = mss_x11_shm::ShmOptions::new().x11(x11_options(options));
    let capture = mss_x11_shm::ShmCapture::open_with(options.display.as_deref(), shm_options)?;
    Ok(Box::new(capture))
}

/// Opens `x11-getimage`.
#[cfg(feature = "x11-getimage")]
pub(crate) fn open_getimage(options: &OpenOptions) -> Result<Box<dyn Capture>, Error> {
    let capture = mss_x11_getimage::GetImageCapture::open_with(
        options.display.as_deref(),
        x11_options(options),
    )?;
    Ok(Box::new(capture))
}
