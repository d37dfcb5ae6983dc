//! `ScreenShot`: a captured frame as python-mss shows it, which *is* the frame (the pooled
//! shared-memory slot, or the reply buffer) exported through the buffer protocol by its base
//! class, [`PixelBuffer`].

use std::sync::Arc;

use mss_core::{Changes, Frame, PixelFormat, Region};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyMemoryView, PyTuple, PyType};

use crate::buffer::PixelBuffer;
use crate::errors;
use crate::region::{region_from_py, region_to_py};

/// What a stream says of one of its frames.
#[derive(Clone, Debug)]
pub struct StreamInfo {
    /// 0, 1, 2, ... with no gaps.
    pub sequence: u64,
    /// Ticks that gave no frame since the previous one.
    pub missed: u64,
    /// The rectangles that changed since the previous frame; `None` when not known (the first
    /// frame, or a stream that compares nothing).
    pub changes: Option<Vec<Region>>,
}

impl StreamInfo {
    /// The information of a stream frame.
    pub fn new(sequence: u64, missed: u64, changes: &Changes) -> Self {
        let changes = match changes {
            Changes::Rectangles(rectangles) => Some(rectangles.clone()),
            _ => None,
        };
        Self {
            sequence,
            missed,
            changes,
        }
    }
}

/// `frame` with packed 4-byte BGRx or BGRA pixels, as python-mss's `bgra` promises: the frame
/// itself when it already is (every 24- and 32-bit X11 screen; XRGB and ARGB Wayland outputs),
/// else a converted copy.
pub fn packed_bgra(frame: Frame) -> Frame {
    let four_byte_bgr = matches!(
        frame.format(),
        PixelFormat::Bgrx8888 | PixelFormat::Bgra8888
    );
    if four_byte_bgr && frame.is_packed() {
        return frame;
    }
    let format = if frame.format().has_alpha() {
        PixelFormat::Bgra8888
    } else {
        PixelFormat::Bgrx8888
    };
    let mut pixels = frame.to_rgba();
    for pixel in pixels.chunks_exact_mut(4) {
        pixel.swap(0, 2);
    }
    Frame::from_vec(pixels, frame.region(), format).expect("a packed copy fits its layout")
}

/// A screenshot: BGRA pixels (`bgra`, the buffer protocol, `__array_interface__`), RGB
/// conversions (`rgb`, `pixels`, `pixel()`), and where it was taken (`pos`, `size`, `left`,
/// `top`, `width`, `height`).
///
/// `ScreenShot(data, monitor, *, size=None)` wraps pixels as python-mss's does: `data` is
/// another `ScreenShot` (shared, no copy) or any buffer of `width * height * 4` BGRA bytes
/// (copied), `monitor` any region (`Monitor`, `Region`, a mapping, a 4-tuple). Subclasses
/// work as `MSS.cls_image`.
#[pyclass(module = "mss", extends = PixelBuffer, subclass, frozen)]
pub struct ScreenShot {
    left: i32,
    top: i32,
    width: u32,
    height: u32,
    stream: Option<StreamInfo>,
    rgb: PyOnceLock<Py<PyAny>>,
    pixels: PyOnceLock<Py<PyList>>,
}

impl ScreenShot {
    /// A new `ScreenShot` of `frame` (packed BGRx or BGRA, see [`packed_bgra`]), placed at the
    /// frame's region.
    pub fn create(
        py: Python<'_>,
        frame: Frame,
        stream: Option<StreamInfo>,
    ) -> PyResult<Bound<'_, ScreenShot>> {
        let region = frame.region();
        Bound::new(py, Self::initializer(Arc::new(frame), region, stream))
    }

    fn initializer(
        frame: Arc<Frame>,
        region: Region,
        stream: Option<StreamInfo>,
    ) -> PyClassInitializer<Self> {
        let shot = ScreenShot {
            left: region.left(),
            top: region.top(),
            width: frame.width(),
            height: frame.height(),
            stream,
            rgb: PyOnceLock::new(),
            pixels: PyOnceLock::new(),
        };
        PyClassInitializer::from(PixelBuffer::image(frame)).add_subclass(shot)
    }

    /// The frame.
    pub fn frame(slf: &Bound<'_, Self>) -> Arc<Frame> {
        Arc::clone(
            slf.as_super()
                .get()
                .frame()
                .expect("a ScreenShot's buffer is a frame"),
        )
    }

    fn bytes<'a>(slf: &'a Bound<'_, Self>) -> &'a [u8] {
        slf.as_super().get().bytes()
    }
}

#[pymethods]
impl ScreenShot {
    #[new]
    #[pyo3(signature = (data, monitor, *, size=None))]
    fn new(
        data: &Bound<'_, PyAny>,
        monitor: &Bound<'_, PyAny>,
        size: Option<(u32, u32)>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let py = data.py();
        let region = region_from_py(monitor)?;
        let (width, height) = size.unwrap_or((region.width(), region.height()));
        if let Ok(shot) = data.cast::<PixelBuffer>()
            && let Some(frame) = shot.get().frame()
        {
            if (frame.width(), frame.height()) != (width, height) {
                return Err(errors::error(
                    py,
                    "ScreenShotError",
                    "SizeMismatch",
                    format!(
                        "the pixels are {}x{}, not the {width}x{height} given",
                        frame.width(),
                        frame.height()
                    ),
                ));
            }
            return Ok(Self::initializer(Arc::clone(frame), region, None));
        }
        let buffer = pyo3::buffer::PyBuffer::<u8>::get(data)?;
        let bytes = buffer.to_vec(py)?;
        let expected = width as usize * height as usize * 4;
        if bytes.len() != expected {
            return Err(errors::error(
                py,
                "ScreenShotError",
                "SizeMismatch",
                format!(
                    "{width}x{height} BGRA pixels are {expected} bytes, not the {} given",
                    bytes.len()
                ),
            ));
        }
        let pixels_region = Region::new(region.left(), region.top(), width, height)
            .map_err(|error| errors::Failure::from(error).into_py_err(py))?;
        let frame = Frame::from_vec(bytes, pixels_region, PixelFormat::Bgrx8888)
            .map_err(|error| errors::Failure::from(error).into_py_err(py))?;
        Ok(Self::initializer(Arc::new(frame), region, None))
    }

    /// `cls(data, Region(0, 0, width, height))`, as python-mss's `from_size`.
    #[classmethod]
    fn from_size<'py>(
        cls: &Bound<'py, PyType>,
        data: &Bound<'py, PyAny>,
        width: u32,
        height: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let region = Region::new(0, 0, width, height)
            .map_err(|error| errors::Failure::from(error).into_py_err(cls.py()))?;
        cls.call1((data, region_to_py(cls.py(), region)?))
    }

    /// The BGRA pixels, rows packed: a read-only, flat `memoryview` of the frame itself.
    #[getter]
    fn bgra<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        PyMemoryView::from(slf.as_any())?.call_method1("cast", ("B",))
    }

    /// Deprecated: `bgra`.
    #[getter]
    fn raw<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let warnings = py.import("warnings")?;
        let category = py.get_type::<pyo3::exceptions::PyDeprecationWarning>();
        warnings.call_method1(
            "warn",
            (
                "The raw property is deprecated.  Use bgra instead.",
                category,
                2,
            ),
        )?;
        Self::bgra(slf)
    }

    /// The pixels as packed RGB, 3 bytes a pixel: a read-only, flat `memoryview`, converted
    /// once (without the GIL) and kept.
    #[getter]
    fn rgb(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let this = slf.get();
        if let Some(rgb) = this.rgb.get(py) {
            return Ok(rgb.clone_ref(py));
        }
        let frame = Self::frame(slf);
        let rgb = py.detach(|| frame.to_rgb());
        let buffer = Bound::new(py, PixelBuffer::flat(rgb.into_boxed_slice()))?;
        let view = PyMemoryView::from(buffer.as_any())?.into_any().unbind();
        // Two threads may both convert; the first to finish is kept.
        let _ = this.rgb.set(py, view);
        Ok(this.rgb.get(py).expect("set just above").clone_ref(py))
    }

    /// The pixels as rows of `(R, G, B)` tuples, made once and kept.
    #[getter]
    fn pixels(slf: &Bound<'_, Self>) -> PyResult<Py<PyList>> {
        let py = slf.py();
        let this = slf.get();
        if let Some(pixels) = this.pixels.get(py) {
            return Ok(pixels.clone_ref(py));
        }
        let bytes = Self::bytes(slf);
        let row_bytes = this.width as usize * 4;
        let rows = PyList::empty(py);
        if row_bytes > 0 {
            for row in bytes.chunks_exact(row_bytes) {
                let pixels = row
                    .chunks_exact(4)
                    .map(|pixel| PyTuple::new(py, [pixel[2], pixel[1], pixel[0]]))
                    .collect::<PyResult<Vec<_>>>()?;
                rows.append(PyList::new(py, pixels)?)?;
            }
        }
        let _ = this.pixels.set(py, rows.unbind());
        Ok(this.pixels.get(py).expect("set just above").clone_ref(py))
    }

    /// The `(R, G, B)` of the pixel at `(x, y)`, from the top-left corner of the shot.
    ///
    /// Unlike python-mss, negative coordinates are out of range, not counted from the end.
    fn pixel(slf: &Bound<'_, Self>, x: i64, y: i64) -> PyResult<(u8, u8, u8)> {
        let this = slf.get();
        let inside =
            (0..i64::from(this.width)).contains(&x) && (0..i64::from(this.height)).contains(&y);
        if !inside {
            return Err(errors::error(
                slf.py(),
                "PixelOutOfRangeError",
                "PixelOutOfRange",
                format!(
                    "Pixel location ({x}, {y}) is out of range: the shot is {}x{}.",
                    this.width, this.height
                ),
            ));
        }
        let start = (y as usize * this.width as usize + x as usize) * 4;
        let bytes = Self::bytes(slf);
        Ok((bytes[start + 2], bytes[start + 1], bytes[start]))
    }

    /// `Size(width, height)`, in pixels.
    #[getter]
    fn size<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let this = slf.get();
        model(slf.py(), "Size")?.call1((this.width, this.height))
    }

    /// `Pos(left, top)`, on the screen.
    #[getter]
    fn pos<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let this = slf.get();
        model(slf.py(), "Pos")?.call1((this.left, this.top))
    }

    /// The left edge on the screen.
    #[getter]
    fn left(&self) -> i32 {
        self.left
    }

    /// The top edge on the screen.
    #[getter]
    fn top(&self) -> i32 {
        self.top
    }

    /// The width in pixels.
    #[getter]
    fn width(&self) -> u32 {
        self.width
    }

    /// The height in pixels.
    #[getter]
    fn height(&self) -> u32 {
        self.height
    }

    /// NumPy's array interface: `(height, width, 4)` unsigned bytes over the shot itself, so
    /// `numpy.asarray(shot)` shares its memory and `numpy.array(shot)` copies it.
    #[getter]
    fn __array_interface__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        let py = slf.py();
        let this = slf.get();
        let interface = PyDict::new(py);
        interface.set_item("version", 3)?;
        interface.set_item("shape", (this.height, this.width, 4))?;
        interface.set_item("typestr", "|u1")?;
        interface.set_item("data", slf)?;
        Ok(interface)
    }

    /// For a frame of a stream, its number: 0, 1, 2, ... with no gaps; `None` for a grab.
    #[getter]
    fn sequence(&self) -> Option<u64> {
        self.stream.as_ref().map(|stream| stream.sequence)
    }

    /// For a frame of a stream, the ticks since the previous frame that gave none (dropped
    /// while the consumer was late, or skipped because nothing changed); `None` for a grab.
    #[getter]
    fn missed(&self) -> Option<u64> {
        self.stream.as_ref().map(|stream| stream.missed)
    }

    /// For a frame of a stream, the `Region`s that changed since the previous frame (they
    /// cover every changed pixel); `None` when unknown (a grab, a stream's first frame, a
    /// stream without change tracking).
    #[getter]
    fn changes<'py>(&self, py: Python<'py>) -> PyResult<Option<Vec<Bound<'py, PyAny>>>> {
        let Some(changes) = self
            .stream
            .as_ref()
            .and_then(|stream| stream.changes.as_ref())
        else {
            return Ok(None);
        };
        changes
            .iter()
            .map(|region| region_to_py(py, *region))
            .collect::<PyResult<Vec<_>>>()
            .map(Some)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let this = slf.get();
        Ok(format!(
            "<{} pos={},{} size={}x{}>",
            slf.get_type().name()?,
            this.left,
            this.top,
            this.width,
            this.height
        ))
    }
}

/// A class of `mss.models`.
fn model<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("mss.models")?.getattr(name)
}
