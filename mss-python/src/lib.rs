//! The native part of the `mss` Python package: python-mss's API backed by mss-rs.
//!
//! The package (`python/mss/`) is Python where python-mss's API is Python's business (the
//! `MSS` class, its `save()` generator and file name templates, `Monitor` and `Region`, the
//! exceptions) and this crate where pixels are: the capturer, the screenshots, the streams,
//! recordings, the PNG writer and the `mss` console command. It is built with maturin into `mss._mss`.
//!
//! # The data path
//!
//! A grab runs `Capture::grab` of an [`mss::Mss`] without the GIL, and the frame it returns,
//! which holds the pooled shared-memory slot the display server wrote (or its reply buffer),
//! becomes a `ScreenShot` as it is: `ScreenShot` extends `PixelBuffer` (`src/buffer.rs`),
//! which exports the frame's bytes through the buffer protocol, so `memoryview(shot)`, `numpy.asarray(shot)`
//! and `shot.bgra` read the slot itself. Every view holds a reference to the shot; when the
//! last one goes, on any thread, the frame is dropped and its slot returns to the pool.
//! Frames of another layout (16-bit screens, RGBx Wayland buffers, padded rows) are converted
//! once to packed BGRx, which is what python-mss promises.
//!
//! # Unsafe code
//!
//! The buffer protocol is `unsafe` in PyO3 (raw pointers handed to C), so `src/buffer.rs`
//! holds the crate's only `unsafe`, each block with its `SAFETY` argument. The crate root cannot forbid
//! `unsafe_code`, since a forbid cannot be lifted for one module; it denies it, and only
//! `buffer` allows it. xtask's tidy names this crate and that file as the one exception
//! besides `mss-memfd`.
//!
//! # The GIL
//!
//! Everything that waits on the display, converts pixels or encodes PNG runs in
//! `Python::detach` (PyO3's name for releasing the GIL), so other Python threads run
//! meanwhile; locks are taken only once the GIL is released.
#![deny(unsafe_code)]

#[allow(unsafe_code)]
mod buffer;
mod capturer;
mod cli;
mod errors;
mod png;
mod record;
mod region;
mod screenshot;
mod stream;

use pyo3::prelude::*;

/// `mss._mss`: the native module.
#[pymodule]
fn _mss(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add_class::<buffer::PixelBuffer>()?;
    module.add_class::<screenshot::ScreenShot>()?;
    module.add_class::<capturer::Capturer>()?;
    module.add_class::<stream::Stream>()?;
    module.add_function(wrap_pyfunction!(png::save_png, module)?)?;
    module.add_function(wrap_pyfunction!(png::to_png, module)?)?;
    module.add_function(wrap_pyfunction!(cli::cli_main, module)?)?;
    module.add_function(wrap_pyfunction!(backends, module)?)?;
    Ok(())
}

/// Every backend this module carries, in order of preference: `(name, display system,
/// summary)`.
#[pyfunction]
fn backends() -> Vec<(&'static str, &'static str, &'static str)> {
    mss::Backend::compiled_in()
        .into_iter()
        .map(|backend| {
            (
                backend.name(),
                backend.display_system().name(),
                backend.summary(),
            )
        })
        .collect()
}
