//! PNG files: a shot saved (`MSS.save()`, `shot()`), and `mss.tools.to_png` of packed RGB,
//! both through the facade's encoder and its careful write (atomic for regular files), with
//! the GIL released.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{self, Failure};
use crate::screenshot::ScreenShot;

/// Writes `shot` to `output` as a PNG at compression `level` (0-9); returns the path written.
#[pyfunction]
pub fn save_png(
    py: Python<'_>,
    shot: &Bound<'_, ScreenShot>,
    output: PathBuf,
    level: u8,
) -> PyResult<PathBuf> {
    let frame = ScreenShot::frame(shot);
    py.detach(move || mss::write_png(&frame, output, level))
        .map_err(|error| Failure::from(error).into_py_err(py))
}

/// `data`, packed 8-bit RGB of `size` (`(width, height)`), as a PNG at compression `level`:
/// the file's bytes when `output` is `None`, else written to `output` (returning `None`).
#[pyfunction]
#[pyo3(signature = (data, size, *, level=6, output=None))]
pub fn to_png<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    size: (u32, u32),
    level: u8,
    output: Option<PathBuf>,
) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let (width, height) = size;
    let rgb = pyo3::buffer::PyBuffer::<u8>::get(data)?.to_vec(py)?;
    let expected = width as usize * height as usize * 3;
    if rgb.len() != expected {
        return Err(errors::error(
            py,
            "ScreenShotError",
            "SizeMismatch",
            format!(
                "{width}x{height} RGB pixels are {expected} bytes, not the {} given",
                rgb.len()
            ),
        ));
    }
    let encoded = py.detach(move || -> Result<Option<Vec<u8>>, Failure> {
        // Encoded from the RGB given, with no conversion.
        let shown = output.as_deref().unwrap_or(std::path::Path::new("<bytes>"));
        let mut png = Vec::new();
        mss::encode_png_rgb(&rgb, (width, height), level, &mut png, shown)?;
        match output {
            Some(path) => {
                mss::destination::write_bytes(&path, &png)?;
                Ok(None)
            }
            None => Ok(Some(png)),
        }
    });
    match encoded {
        Ok(Some(png)) => Ok(Some(PyBytes::new(py, &png))),
        Ok(None) => Ok(None),
        Err(failure) => Err(failure.into_py_err(py)),
    }
}
