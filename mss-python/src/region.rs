//! Regions as Python gives them to `grab()` and `ScreenShot(...)`, and regions given back to
//! Python as `mss.models.Region`.
//!
//! python-mss takes a region in three shapes, and so does this module: a 4-tuple (or list) in
//! PIL's order `(left, top, right, bottom)`; a mapping with the keys `left`, `top`, `width`
//! and `height` (other keys, such as `mon`, are ignored); or any object with those four
//! attributes (`Monitor`, `Region`, a `ScreenShot`). Coordinates must be integers
//! (`operator.index` rules: `True` counts, `1.0` does not).

use mss_core::Region;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyMapping, PyTuple};

use crate::errors::Failure;

/// The four numbers of a region as given, before they are checked.
struct Numbers {
    left: i64,
    top: i64,
    width: i64,
    height: i64,
}

/// The region `value` describes, checked.
///
/// # Errors
///
/// `TypeError` for a value of none of the three shapes or with non-integer coordinates;
/// `InvalidRegionError` for a zero or negative size, or edges outside the coordinate range.
pub fn region_from_py(value: &Bound<'_, PyAny>) -> PyResult<Region> {
    let numbers = numbers(value)?;
    Region::from_signed(numbers.left, numbers.top, numbers.width, numbers.height)
        .map_err(|error| Failure::from(error).into_py_err(value.py()))
}

fn numbers(value: &Bound<'_, PyAny>) -> PyResult<Numbers> {
    let integer = |item: Bound<'_, PyAny>, name: &str| -> PyResult<i64> {
        item.extract::<i64>().map_err(|_| {
            PyTypeError::new_err(format!(
                "region {name} must be an integer, not {}",
                type_name(&item)
            ))
        })
    };
    if value.is_instance_of::<PyTuple>() || value.is_instance_of::<PyList>() {
        if value.len()? != 4 {
            return Err(PyTypeError::new_err(format!(
                "a region tuple is (left, top, right, bottom), not {} items",
                value.len()?
            )));
        }
        let left = integer(value.get_item(0)?, "left")?;
        let top = integer(value.get_item(1)?, "top")?;
        let right = integer(value.get_item(2)?, "right")?;
        let bottom = integer(value.get_item(3)?, "bottom")?;
        return Ok(Numbers {
            left,
            top,
            width: right.saturating_sub(left),
            height: bottom.saturating_sub(top),
        });
    }
    if let Ok(mapping) = value.cast::<PyMapping>() {
        let key = |name: &str| -> PyResult<i64> {
            let item = mapping.get_item(name).map_err(|_| {
                PyTypeError::new_err(format!(
                    "a region mapping needs the keys left, top, width and height; {name:?} is missing"
                ))
            })?;
            integer(item, name)
        };
        return Ok(Numbers {
            left: key("left")?,
            top: key("top")?,
            width: key("width")?,
            height: key("height")?,
        });
    }
    let attribute = |name: &str| -> PyResult<i64> {
        let item = value.getattr(name).map_err(|_| {
            PyTypeError::new_err(format!(
                "a region is a (left, top, right, bottom) tuple, a mapping or an object with \
                 left, top, width and height, not {}",
                type_name(value)
            ))
        })?;
        integer(item, name)
    };
    Ok(Numbers {
        left: attribute("left")?,
        top: attribute("top")?,
        width: attribute("width")?,
        height: attribute("height")?,
    })
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |name| name.to_string())
}

/// `region` as a new `mss.models.Region`.
pub fn region_to_py<'py>(py: Python<'py>, region: Region) -> PyResult<Bound<'py, PyAny>> {
    py.import("mss.models")?.getattr("Region")?.call1((
        region.left(),
        region.top(),
        region.width(),
        region.height(),
    ))
}
