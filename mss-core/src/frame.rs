//! [`Frame`]: captured pixels, in whatever storage the backend captured them into.

use std::fmt;
use std::sync::Arc;

use crate::convert::{self, Packed, Runs};
use crate::{Error, PixelFormat, Region, Rgba};

/// Memory that holds a frame's pixels: a `Vec` filled by the backend, a reply buffer from the
/// server, or a lease on a reusable shared-memory slot.
///
/// This trait is how a frame stays zero-copy: the backend gives the frame its storage as it
/// is, and whatever dropping that storage does (free a reply, return a slot to its pool)
/// happens when the frame is dropped, on whichever thread drops it.
///
/// Implementations must be `Send + Sync` (a frame can be shared and dropped anywhere) and must
/// return the same bytes on every call for as long as they live.
pub trait PixelStorage: Send + Sync + 'static {
    /// The bytes, read-only.
    fn bytes(&self) -> &[u8];

    /// The bytes, writable, if this storage can be written in place.
    ///
    /// The default is `None`, which makes [`Frame::bytes_mut`] copy the pixels into a `Vec`
    /// first (copy on write).
    fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        None
    }
}

impl PixelStorage for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }

    fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        Some(self)
    }
}

impl PixelStorage for Box<[u8]> {
    fn bytes(&self) -> &[u8] {
        self
    }

    fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        Some(self)
    }
}

impl PixelStorage for Arc<[u8]> {
    fn bytes(&self) -> &[u8] {
        self
    }

    fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        Arc::get_mut(self)
    }
}

/// A captured image: its pixels in the screen's native [`PixelFormat`], its size, its row
/// stride and the screen region it shows.
///
/// Rows are `stride` bytes apart; only the first `width * bytes_per_pixel` bytes of a row are
/// pixels, the rest is padding (X11 pads rows to 32 bits, which matters for 16-bit formats at
/// odd widths). [`bytes`](Self::bytes) returns the whole buffer including padding;
/// [`rows`](Self::rows) yields just the pixel bytes of each row.
///
/// A frame may point straight into memory the backend reuses, such as a shared-memory slot
/// the X server wrote into. Dropping the frame gives that memory back. Holding frames
/// therefore holds buffers: a pool-based backend fails with [`Error::BuffersExhausted`] if
/// frames are held past its limit.
///
/// `Frame` is `Send + Sync`; it is not `Clone` (cloning would hold a reusable slot twice as
/// long without saying so): wrap it in an `Arc` to share it, or use
/// [`to_owned_frame`](Self::to_owned_frame) to copy the pixels out.
pub struct Frame {
    storage: Box<dyn PixelStorage>,
    offset: usize,
    region: Region,
    stride: usize,
    format: PixelFormat,
}

impl Frame {
    /// Wraps captured pixels.
    ///
    /// `storage` holds the pixels, the first one at `offset`; each row is `stride` bytes.
    /// `region` is where on the screen the pixels come from; its size is the frame's size.
    ///
    /// # Errors
    ///
    /// [`Error::FrameLayout`] when the rows do not fit in the storage or a row is shorter than
    /// its pixels. Backends build frames; this check keeps a backend bug from reading out of
    /// bounds.
    pub fn new(
        storage: impl PixelStorage,
        offset: usize,
        region: Region,
        stride: usize,
        format: PixelFormat,
    ) -> Result<Self, Error> {
        let storage: Box<dyn PixelStorage> = Box::new(storage);
        let len = storage.bytes().len();
        let bytes_per_pixel = format.bytes_per_pixel();
        let row_bytes = region.width() as usize * bytes_per_pixel;
        // The last row need not carry its padding; everything else must be inside the storage.
        let needed = (region.height() as usize - 1)
            .checked_mul(stride)
            .and_then(|rows| rows.checked_add(row_bytes))
            .and_then(|bytes| bytes.checked_add(offset));
        if stride < row_bytes || needed.is_none_or(|needed| needed > len) {
            return Err(Error::FrameLayout {
                width: region.width(),
                height: region.height(),
                stride,
                bytes_per_pixel,
                offset,
                len,
            });
        }
        Ok(Self {
            storage,
            offset,
            region,
            stride,
            format,
        })
    }

    /// Builds a frame that owns a copy of tightly packed pixels (`stride = width * bpp`).
    ///
    /// # Errors
    ///
    /// [`Error::FrameLayout`] when `pixels` is shorter than the region needs.
    pub fn from_vec(pixels: Vec<u8>, region: Region, format: PixelFormat) -> Result<Self, Error> {
        let stride = region.width() as usize * format.bytes_per_pixel();
        Self::new(pixels, 0, region, stride, format)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.region.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.region.height()
    }

    /// Bytes from the start of one row to the start of the next.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The layout of each pixel.
    pub fn format(&self) -> PixelFormat {
        self.format
    }

    /// The screen region these pixels show.
    pub fn region(&self) -> Region {
        self.region
    }

    /// All pixel bytes in native format, rows `stride` apart, starting at the first pixel.
    /// The last row may end without its padding.
    pub fn bytes(&self) -> &[u8] {
        let end = self.offset + self.data_len();
        &self.storage.bytes()[self.offset..end]
    }

    /// The pixel bytes, writable (for drawing onto a frame, for example a cursor).
    ///
    /// Storage that can be written in place (a `Vec`, a shared-memory slot) is; otherwise the
    /// pixels are first copied into a `Vec` the frame then owns.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let len = self.data_len();
        if self.storage.bytes_mut().is_none() {
            let copy = self.bytes().to_vec();
            self.storage = Box::new(copy);
            self.offset = 0;
        }
        let offset = self.offset;
        let bytes = self
            .storage
            .bytes_mut()
            .expect("storage is writable or was just replaced by a Vec");
        &mut bytes[offset..offset + len]
    }

    /// The pixel bytes of each row, without padding.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        let row_bytes = self.row_bytes();
        let bytes = self.bytes();
        (0..self.height() as usize).map(move |row| {
            let start = row * self.stride;
            &bytes[start..start + row_bytes]
        })
    }

    /// Whether rows are packed with no padding, so [`bytes`](Self::bytes) is exactly
    /// `width * height * bytes_per_pixel` pixel bytes.
    pub fn is_packed(&self) -> bool {
        self.stride == self.row_bytes()
    }

    /// The colour at `(x, y)`, relative to the frame's top-left corner, or `None` outside the
    /// frame.
    pub fn pixel(&self, x: u32, y: u32) -> Option<Rgba> {
        if x >= self.width() || y >= self.height() {
            return None;
        }
        let bytes_per_pixel = self.format.bytes_per_pixel();
        let start = y as usize * self.stride + x as usize * bytes_per_pixel;
        Some(
            self.format
                .decode(&self.bytes()[start..start + bytes_per_pixel]),
        )
    }

    /// The pixels as packed 8-bit RGB, 3 bytes a pixel, rows without padding, in a new vector.
    ///
    /// The vector is written once, never zeroed first. How fast the 32-bit formats convert
    /// depends on the `simd` feature (see the crate docs); the bytes do not.
    pub fn to_rgb(&self) -> Vec<u8> {
        let mut target = Vec::new();
        self.write_rgb(&mut target);
        target
    }

    /// The pixels as packed 8-bit RGBA, 4 bytes a pixel, rows without padding, in a new vector.
    /// Formats without alpha give 255.
    pub fn to_rgba(&self) -> Vec<u8> {
        let mut target = Vec::new();
        self.write_rgba(&mut target);
        target
    }

    /// Like [`to_rgb`](Self::to_rgb), into a buffer the caller reuses across frames: `target`
    /// ends up holding exactly `width * height * 3` bytes. A buffer of that length already is
    /// overwritten in place, with no allocation.
    pub fn write_rgb(&self, target: &mut Vec<u8>) {
        convert::convert(self.format, self.runs(), Packed::Rgb, target);
    }

    /// Like [`to_rgba`](Self::to_rgba), into a buffer the caller reuses across frames: `target`
    /// ends up holding exactly `width * height * 4` bytes. A buffer of that length already is
    /// overwritten in place, with no allocation.
    pub fn write_rgba(&self, target: &mut Vec<u8>) {
        convert::convert(self.format, self.runs(), Packed::Rgba, target);
    }

    /// A frame that owns a packed copy of these pixels, releasing nothing the backend reuses.
    pub fn to_owned_frame(&self) -> Frame {
        let mut pixels = Vec::with_capacity(self.row_bytes() * self.height() as usize);
        for row in self.rows() {
            pixels.extend_from_slice(row);
        }
        Frame::from_vec(pixels, self.region, self.format)
            .expect("a packed copy always fits its layout")
    }

    /// The pixel bytes as runs of contiguous pixels, for the conversions.
    pub(crate) fn runs(&self) -> Runs<'_> {
        Runs::new(
            self.bytes(),
            self.row_bytes(),
            self.stride,
            self.height() as usize,
        )
    }

    fn row_bytes(&self) -> usize {
        self.width() as usize * self.format.bytes_per_pixel()
    }

    fn data_len(&self) -> usize {
        (self.height() as usize - 1) * self.stride + self.row_bytes()
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("region", &self.region)
            .field("format", &self.format)
            .field("stride", &self.stride)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn region(width: u32, height: u32) -> Region {
        Region::new(5, 7, width, height).unwrap()
    }

    #[test]
    fn frame_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Frame>();
    }

    #[test]
    fn layout_must_fit_storage() {
        let format = PixelFormat::Bgrx8888;
        // 2x2 at stride 12 with offset 4: needs 4 + 12 + 8 = 24 bytes.
        assert!(Frame::new(vec![0u8; 24], 4, region(2, 2), 12, format).is_ok());
        let error = Frame::new(vec![0u8; 23], 4, region(2, 2), 12, format).unwrap_err();
        assert!(
            matches!(
                error,
                Error::FrameLayout {
                    len: 23,
                    offset: 4,
                    stride: 12,
                    ..
                }
            ),
            "{error:?}"
        );
        let error = Frame::new(vec![0u8; 64], 0, region(2, 2), 7, format).unwrap_err();
        assert!(
            matches!(error, Error::FrameLayout { stride: 7, .. }),
            "stride shorter than a row: {error:?}"
        );
        let error = Frame::new(vec![0u8; 64], usize::MAX, region(2, 2), 8, format).unwrap_err();
        assert!(
            matches!(error, Error::FrameLayout { .. }),
            "overflowing offset: {error:?}"
        );
    }

    /// A 3x2 RGB565 frame with 2 bytes of row padding, as X pads 16-bit rows to 32 bits.
    fn padded_565() -> Frame {
        let pixel = |value: u16| value.to_le_bytes();
        let mut bytes = vec![0xEE; 3];
        for row in [[0xF800u16, 0x07E0, 0x001F], [0xFFFF, 0x0000, 0x8410]] {
            for value in row {
                bytes.extend_from_slice(&pixel(value));
            }
            bytes.extend_from_slice(&[0xEE, 0xEE]);
        }
        Frame::new(bytes, 3, region(3, 2), 8, PixelFormat::Rgb565).unwrap()
    }

    #[test]
    fn rows_and_pixels_skip_offset_and_padding() {
        let frame = padded_565();
        assert!(!frame.is_packed());
        assert_eq!(frame.rows().len(), 2);
        assert!(frame.rows().all(|row| row.len() == 6));
        assert_eq!(frame.pixel(0, 0), Some(Rgba::rgb(255, 0, 0)));
        assert_eq!(frame.pixel(2, 0), Some(Rgba::rgb(0, 0, 255)));
        assert_eq!(frame.pixel(0, 1), Some(Rgba::rgb(255, 255, 255)));
        assert_eq!(frame.pixel(2, 1), Some(Rgba::rgb(0x84, 0x82, 0x84)));
        assert_eq!(frame.pixel(3, 0), None);
        assert_eq!(frame.pixel(0, 2), None);
    }

    #[test]
    fn conversions_are_packed_and_exact() {
        let frame = padded_565();
        assert_eq!(
            frame.to_rgb(),
            [
                255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0x84, 0x82, 0x84
            ]
        );
        let rgba = frame.to_rgba();
        assert_eq!(rgba.len(), 3 * 2 * 4);
        assert_eq!(&rgba[..8], &[255, 0, 0, 255, 0, 255, 0, 255]);

        let bgrx = Frame::from_vec(
            vec![1, 2, 3, 0, 4, 5, 6, 9],
            region(2, 1),
            PixelFormat::Bgrx8888,
        )
        .unwrap();
        assert_eq!(bgrx.to_rgb(), [3, 2, 1, 6, 5, 4]);
        assert_eq!(bgrx.to_rgba(), [3, 2, 1, 255, 6, 5, 4, 255]);
        let bgra = Frame::from_vec(
            vec![1, 2, 3, 7, 4, 5, 6, 9],
            region(2, 1),
            PixelFormat::Bgra8888,
        )
        .unwrap();
        assert_eq!(bgra.to_rgba(), [3, 2, 1, 7, 6, 5, 4, 9]);
    }

    proptest::proptest! {
        /// The word-at-a-time conversions agree with decoding pixel by pixel, for every width
        /// (block and tail paths), padding and format.
        #[test]
        fn conversions_agree_with_per_pixel_decoding(
            width in 1u32..23,
            height in 1u32..4,
            padding in 0usize..9,
            format_index in 0usize..5,
            seed in proptest::prelude::any::<u64>(),
        ) {
            let format = [
                PixelFormat::Bgrx8888,
                PixelFormat::Bgra8888,
                PixelFormat::Rgb565,
                PixelFormat::Xrgb1555,
                PixelFormat::Xrgb2101010,
            ][format_index];
            let stride = width as usize * format.bytes_per_pixel() + padding;
            let mut state = seed | 1;
            let bytes: Vec<u8> = (0..stride * height as usize)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            let frame = Frame::new(bytes, 0, region(width, height), stride, format).unwrap();
            let mut expected_rgb = Vec::new();
            let mut expected_rgba = Vec::new();
            for y in 0..height {
                for x in 0..width {
                    let pixel = frame.pixel(x, y).unwrap();
                    expected_rgb.extend_from_slice(&[pixel.r, pixel.g, pixel.b]);
                    expected_rgba.extend_from_slice(&[pixel.r, pixel.g, pixel.b, pixel.a]);
                }
            }
            proptest::prop_assert_eq!(frame.to_rgb(), expected_rgb);
            proptest::prop_assert_eq!(frame.to_rgba(), expected_rgba);
        }
    }

    #[test]
    fn write_into_reuses_and_resizes_the_target() {
        let frame = padded_565();
        let mut target = vec![0xAB; 1000];
        frame.write_rgba(&mut target);
        assert_eq!(target, frame.to_rgba());
        frame.write_rgb(&mut target);
        assert_eq!(target, frame.to_rgb());
    }

    #[test]
    fn owned_copy_is_packed_and_equal() {
        let frame = padded_565();
        let copy = frame.to_owned_frame();
        assert!(copy.is_packed());
        assert_eq!(copy.region(), frame.region());
        assert_eq!(copy.to_rgba(), frame.to_rgba());
    }

    /// Read-only storage whose drops are counted, standing in for a server reply.
    struct ReadOnly(Vec<u8>, Arc<AtomicUsize>);

    impl PixelStorage for ReadOnly {
        fn bytes(&self) -> &[u8] {
            &self.0
        }
    }

    impl Drop for ReadOnly {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn bytes_mut_copies_read_only_storage_once_and_releases_it() {
        let drops = Arc::new(AtomicUsize::new(0));
        let storage = ReadOnly(vec![9, 1, 2, 3, 0, 4, 5, 6, 0], drops.clone());
        let mut frame = Frame::new(storage, 1, region(2, 1), 8, PixelFormat::Bgrx8888).unwrap();
        frame.bytes_mut()[0] = 0xFF;
        assert_eq!(
            drops.load(Ordering::SeqCst),
            1,
            "the read-only storage is released after the copy"
        );
        assert_eq!(frame.pixel(0, 0), Some(Rgba::rgb(3, 2, 0xFF)));
        frame.bytes_mut()[4] = 0x10;
        assert_eq!(frame.pixel(1, 0), Some(Rgba::rgb(6, 5, 0x10)));
    }

    #[test]
    fn writable_storage_is_written_in_place_and_dropped_with_the_frame() {
        let mut frame = Frame::new(
            vec![0u8, 1, 2, 3, 0],
            1,
            region(1, 1),
            4,
            PixelFormat::Bgrx8888,
        )
        .unwrap();
        frame.bytes_mut()[2] = 0x77;
        assert_eq!(frame.pixel(0, 0), Some(Rgba::rgb(0x77, 2, 1)));
    }
}
