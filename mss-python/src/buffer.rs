//! [`PixelBuffer`]: pixels exported through Python's buffer protocol without a copy. This is
//! the crate's only `unsafe` code (the crate root denies it everywhere else).
//!
//! # Why `unsafe`
//!
//! A Python object hands its memory to `memoryview`, NumPy, Pillow or `bytes` by filling a
//! `Py_buffer` (PEP 3118) with raw pointers: to the bytes, to the shape and strides, to the
//! format string. PyO3 exposes that slot only as `unsafe fn __getbuffer__`, since nothing it can
//! check says the pointers stay valid; the argument below does.
//!
//! # The argument
//!
//! A [`PixelBuffer`] is `frozen`: after construction nothing, Rust or Python, can get a
//! `&mut` to it, so its bytes (a frame, which holds a pooled shared-memory slot or a reply
//! buffer, or a boxed slice), its shape and its strides never change and never move for as
//! long as the Python object lives (CPython never moves objects; the bytes live on the heap or
//! in a mapping, owned by the object). Each view takes a strong reference to the object
//! (`view.obj`), which the consumer gives back in `PyBuffer_Release`, so the object, and so
//! the slot, outlives every view: the slot returns to its pool when the last view and the
//! last Python reference are gone, on whichever thread that happens. Views are read-only
//! (a writable request is refused), so nobody writes through the pointer while Rust code
//! reads the same bytes with the GIL released (conversions, PNG encoding).
//!
//! Nothing is allocated per view (the format is a static string, the shape and strides live
//! in the object), so there is nothing to free when a view is released and no
//! `__releasebuffer__`: CPython then only drops the reference in `view.obj`.
//!
//! What the display server may do to a slot is `mss-memfd`'s argument, unchanged here: a
//! frame's slot is leased to it, and the server writes into a slot only when asked to for a
//! lease that is not this frame's.

use std::ffi::{c_char, c_int, c_void};
use std::sync::Arc;

use mss_core::Frame;
use pyo3::exceptions::PyBufferError;
use pyo3::ffi;
use pyo3::prelude::*;

/// The bytes a [`PixelBuffer`] exports.
enum Bytes {
    /// A captured frame, packed (rows `width * 4` bytes apart, no padding).
    Frame(Arc<Frame>),
    /// Bytes the module made (a conversion to RGB).
    Owned(Box<[u8]>),
}

/// Pixels readable through the buffer protocol, without a copy: the base class of
/// `ScreenShot`, and what `ScreenShot.rgb` views.
///
/// Views are read-only and keep the pixels alive: a captured frame's shared-memory slot goes
/// back to its pool when the last view of it and the last reference to it are gone.
#[pyclass(module = "mss", subclass, frozen)]
pub struct PixelBuffer {
    bytes: Bytes,
    /// 3 for an image (`height, width, channels`), 1 for flat bytes.
    dimensions: usize,
    shape: [ffi::Py_ssize_t; 3],
    strides: [ffi::Py_ssize_t; 3],
}

impl PixelBuffer {
    /// An image of `frame`, whose pixels must be packed 4-byte pixels: shape
    /// `(height, width, 4)`.
    ///
    /// # Panics
    ///
    /// When the frame is not packed or its pixels are not 4 bytes: the caller converts such
    /// frames first (`screenshot::packed_bgra`).
    pub fn image(frame: Arc<Frame>) -> Self {
        assert!(
            frame.is_packed() && frame.format().bytes_per_pixel() == 4,
            "PixelBuffer::image takes packed 4-byte frames"
        );
        let (width, height) = (size(frame.width()), size(frame.height()));
        Self {
            bytes: Bytes::Frame(frame),
            dimensions: 3,
            shape: [height, width, 4],
            strides: [width * 4, 4, 1],
        }
    }

    /// Flat bytes: shape `(len,)`.
    pub fn flat(bytes: Box<[u8]>) -> Self {
        let len = ffi::Py_ssize_t::try_from(bytes.len()).expect("a buffer fits in Py_ssize_t");
        Self {
            bytes: Bytes::Owned(bytes),
            dimensions: 1,
            shape: [len, 0, 0],
            strides: [1, 0, 0],
        }
    }

    /// The frame, for an image.
    pub fn frame(&self) -> Option<&Arc<Frame>> {
        match &self.bytes {
            Bytes::Frame(frame) => Some(frame),
            Bytes::Owned(_) => None,
        }
    }

    /// The exported bytes.
    pub fn bytes(&self) -> &[u8] {
        match &self.bytes {
            Bytes::Frame(frame) => frame.bytes(),
            Bytes::Owned(bytes) => bytes,
        }
    }
}

fn size(value: u32) -> ffi::Py_ssize_t {
    ffi::Py_ssize_t::try_from(value).expect("a frame side fits in Py_ssize_t")
}

/// What a consumer asked for that this exporter cannot give, if anything.
fn refusal(flags: c_int, dimensions: usize) -> Option<&'static str> {
    if flags & ffi::PyBUF_WRITABLE == ffi::PyBUF_WRITABLE {
        return Some(
            "mss pixels are read-only: copy them to write (numpy.array(shot), bytearray(shot))",
        );
    }
    // Rows are packed, so the bytes are C-contiguous; Fortran order only holds for one
    // dimension.
    let fortran = ffi::PyBUF_F_CONTIGUOUS & !ffi::PyBUF_STRIDES;
    if flags & fortran == fortran && dimensions > 1 {
        return Some(
            "mss pixels are C-contiguous (rows, then columns, then channels), not Fortran-contiguous",
        );
    }
    None
}

#[pymethods]
impl PixelBuffer {
    /// Fills `view` for a consumer (PEP 3118).
    ///
    /// # Safety
    ///
    /// Called by PyO3 from the type's `bf_getbuffer` slot, with the interpreter attached and
    /// `view` as CPython passes it: null, or a `Py_buffer` the consumer owns, to be filled.
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        if view.is_null() {
            return Err(PyBufferError::new_err("no Py_buffer to fill"));
        }
        let this = slf.get();
        if let Some(reason) = refusal(flags, this.dimensions) {
            // SAFETY: `view` is non-null and the consumer's to fill (the caller's contract);
            // on failure the protocol asks the exporter to set `obj` to NULL.
            unsafe { (*view).obj = std::ptr::null_mut() };
            return Err(PyBufferError::new_err(reason));
        }
        let bytes = this.bytes();
        let len = ffi::Py_ssize_t::try_from(bytes.len()).expect("a buffer fits in Py_ssize_t");
        let wants = |flag: c_int| flags & flag == flag;
        let format: *mut c_char = if wants(ffi::PyBUF_FORMAT) {
            c"B".as_ptr().cast_mut()
        } else {
            std::ptr::null_mut()
        };
        // Without PyBUF_ND the consumer takes the bytes as one flat run (shape must be NULL).
        let (dimensions, shape) = if wants(ffi::PyBUF_ND) {
            (this.dimensions, this.shape.as_ptr().cast_mut())
        } else {
            (1, std::ptr::null_mut())
        };
        let strides = if wants(ffi::PyBUF_STRIDES) {
            this.strides.as_ptr().cast_mut()
        } else {
            std::ptr::null_mut()
        };
        // SAFETY: `view` is non-null and the consumer's to fill (the caller's contract). Every
        // pointer stored stays valid while the view holds `obj`, a new strong reference to
        // this frozen object (the module's argument): `buf` points to `len` bytes the object
        // owns and never changes, `shape` and `strides` to arrays inside the object (read,
        // never written, by consumers), `format` to a static C string. `readonly` is 1 and
        // writable requests were refused above, so the bytes are never written through it.
        unsafe {
            (*view).obj = slf.clone().into_any().into_ptr();
            (*view).buf = bytes.as_ptr().cast_mut().cast::<c_void>();
            (*view).len = len;
            (*view).readonly = 1;
            (*view).itemsize = 1;
            (*view).format = format;
            (*view).ndim = c_int::try_from(dimensions).expect("1 or 3 dimensions");
            (*view).shape = shape;
            (*view).strides = strides;
            (*view).suboffsets = std::ptr::null_mut();
            (*view).internal = std::ptr::null_mut();
        }
        Ok(())
    }
}
