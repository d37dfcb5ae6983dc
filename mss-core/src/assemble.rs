//! Frames of regions across monitors: each monitor's part is copied once into a new frame,
//! and what no monitor shows is opaque black; and the size past which no such frame is made.
//!
//! Backends whose display captures one monitor at a time (a Wayland output through
//! wlr-screencopy, a PipeWire stream per monitor) build a region across monitors with an
//! [`Assembly`]: a packed frame of the region, black until the parts are pasted. The empty
//! parts are filled the way an X11 root shows areas outside every monitor (CRTC): black, that
//! is zero bytes, with alpha 0xff where the format has alpha. Opaque rather than transparent,
//! so that a frame converted to RGBA, saved or composited shows black where no monitor is, as
//! it would on X11, and not holes.
//!
//! Monitors placed far apart make their bounding box (monitor 0) large with little in it but
//! empty space, so a backend checks the frame's size with [`check_frame_size`] before
//! anything is allocated: no frame is larger than [`MAX_FRAME_BYTES`].

use crate::{Error, Frame, PixelFormat, Region, Rgba};

/// The most bytes one frame may take: 1 GiB, a frame of 16384x16384 pixels at 4 bytes each.
///
/// Why this number: 16384 pixels is the largest texture side of common GPUs, and so of the
/// monitors a compositor renders, so a frame of that size holds any one monitor at any scale
/// and any real desk of monitors (four 8K monitors in a square take 15360x8640). A larger
/// frame is mostly the empty space between monitors placed far apart (monitor 0 is their
/// bounding box), and allocating it would let the layout, not the pixels, decide how much
/// memory a grab takes. The limit is also below the 2 GiB that Wayland allows one shared
/// buffer, so every buffer within it can be shared with a compositor.
pub const MAX_FRAME_BYTES: u64 = 1 << 30;

/// Fails with [`Error::Unsupported`] for `backend` when a frame of `bytes` is past
/// [`MAX_FRAME_BYTES`]; `subject` says in words what the frame is of (called only then).
///
/// # Errors
///
/// [`Error::Unsupported`] naming the subject, its size and the limit.
///
/// ```
/// use mss_core::assemble::check_frame_size;
///
/// assert!(check_frame_size("wayland", 16384 * 16384 * 4, || unreachable!()).is_ok());
/// let error = check_frame_size("wayland", 1 << 31, || "monitor 0".to_owned()).unwrap_err();
/// assert!(error.to_string().starts_with("wayland: a frame larger than 1 GiB"));
/// ```
pub fn check_frame_size(
    backend: &'static str,
    bytes: u64,
    subject: impl FnOnce() -> String,
) -> Result<(), Error> {
    if bytes <= MAX_FRAME_BYTES {
        return Ok(());
    }
    Err(Error::Unsupported {
        backend,
        what: "a frame larger than 1 GiB",
        reason: format!(
            "{} would take {bytes} bytes, past the limit of {MAX_FRAME_BYTES} bytes (16384x16384 \
             pixels) on one frame; capture each monitor, or a smaller region, instead",
            subject()
        ),
    })
}

/// A frame of a region being put together from the parts the monitors show; see the
/// [module docs](self).
///
/// ```
/// use mss_core::assemble::Assembly;
/// use mss_core::{PixelFormat, Region, Rgba};
///
/// // A 4x1 region whose right half one monitor shows (two BGRx pixels, rows of 8 bytes).
/// let mut assembly = Assembly::new(Region::new(0, 0, 4, 1)?, PixelFormat::Bgrx8888);
/// assembly.paste(Region::new(2, 0, 2, 1)?, &[10, 20, 30, 0, 40, 50, 60, 0], 8, PixelFormat::Bgrx8888);
/// let frame = assembly.into_frame()?;
/// assert_eq!(frame.pixel(0, 0), Some(Rgba::rgb(0, 0, 0)));
/// assert_eq!(frame.pixel(3, 0), Some(Rgba::rgb(60, 50, 40)));
/// # Ok::<(), mss_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Assembly {
    /// The region the frame shows, in screen coordinates.
    region: Region,
    /// The frame's format (the first part's; other parts are re-encoded into it).
    format: PixelFormat,
    /// Bytes per row: the frame is packed.
    stride: usize,
    /// The pixels, opaque black until parts are pasted.
    bytes: Vec<u8>,
}

impl Assembly {
    /// An opaque black frame of `region` in `format`. The caller has checked its size with
    /// [`check_frame_size`].
    pub fn new(region: Region, format: PixelFormat) -> Self {
        let step = format.bytes_per_pixel();
        let stride = region.width() as usize * step;
        let len = stride * region.height() as usize;
        let black = format.encode(Rgba::rgb(0, 0, 0)).to_le_bytes();
        let bytes = if black[..step].iter().all(|&byte| byte == 0) {
            // Formats without alpha: zeroed memory comes from the allocator without a pass.
            vec![0; len]
        } else {
            black[..step].repeat(len / step)
        };
        Self {
            region,
            format,
            stride,
            bytes,
        }
    }

    /// The region the frame shows.
    pub fn region(&self) -> Region {
        self.region
    }

    /// Copies `part` (screen coordinates) into the frame from `source`, whose first byte is
    /// the part's top-left pixel, rows of `source_stride` bytes in `source_format`,
    /// re-encoding each pixel when that is not the frame's format. What of `part` lies
    /// outside the frame's region is left out.
    ///
    /// # Panics
    ///
    /// When `source` holds fewer rows than `part` needs (a backend bug: the caller checked
    /// its buffer's layout).
    pub fn paste(
        &mut self,
        part: Region,
        source: &[u8],
        source_stride: usize,
        source_format: PixelFormat,
    ) {
        let Some(inside) = part.intersection(&self.region) else {
            return;
        };
        let source_step = source_format.bytes_per_pixel();
        // Where the visible part starts in the source.
        let skip_rows = (inside.top() - part.top()) as usize;
        let skip_columns = (inside.left() - part.left()) as usize;
        let step = self.format.bytes_per_pixel();
        let x = (inside.left() - self.region.left()) as usize;
        let y = (inside.top() - self.region.top()) as usize;
        let width = inside.width() as usize;
        for row in 0..inside.height() as usize {
            let from = &source[(skip_rows + row) * source_stride + skip_columns * source_step..];
            let to = &mut self.bytes[(y + row) * self.stride + x * step..];
            if source_format == self.format {
                to[..width * step].copy_from_slice(&from[..width * step]);
            } else {
                // Parts in different formats: each pixel re-encoded.
                for column in 0..width {
                    let colour = source_format.decode(&from[column * source_step..]);
                    let encoded = self.format.encode(colour).to_le_bytes();
                    to[column * step..(column + 1) * step].copy_from_slice(&encoded[..step]);
                }
            }
        }
    }

    /// The frame.
    ///
    /// # Errors
    ///
    /// None in practice: the bytes are sized for the region (`Frame::from_vec` checks).
    pub fn into_frame(self) -> Result<Frame, Error> {
        Frame::from_vec(self.bytes, self.region, self.format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
        Region::new(left, top, width, height).unwrap()
    }

    #[test]
    fn what_no_monitor_shows_is_opaque_black_zero_bytes_with_alpha_0xff_where_there_is_alpha() {
        for (format, black) in [
            (PixelFormat::Bgrx8888, [0, 0, 0, 0]),
            (PixelFormat::Rgbx8888, [0, 0, 0, 0]),
            (PixelFormat::Bgra8888, [0, 0, 0, 0xff]),
            (PixelFormat::Rgba8888, [0, 0, 0, 0xff]),
        ] {
            let frame = Assembly::new(region(-3, 7, 5, 2), format)
                .into_frame()
                .unwrap();
            assert_eq!(frame.region(), region(-3, 7, 5, 2));
            assert_eq!(frame.bytes(), black.repeat(10), "{format:?}");
            assert_eq!(frame.pixel(4, 1), Some(Rgba::rgb(0, 0, 0)), "{format:?}");
        }
    }

    #[test]
    fn parts_land_at_their_place_and_other_formats_are_re_encoded() {
        let mut assembly = Assembly::new(region(10, 20, 4, 3), PixelFormat::Bgra8888);
        // A 2x2 part at (11, 21) in the same format, rows padded to 12 bytes.
        let same: Vec<u8> = (1..=24).collect();
        assembly.paste(region(11, 21, 2, 2), &same, 12, PixelFormat::Bgra8888);
        // A 1x1 part at (13, 20) in red-first order.
        assembly.paste(
            region(13, 20, 1, 1),
            &[200, 100, 50, 255],
            4,
            PixelFormat::Rgba8888,
        );
        let frame = assembly.into_frame().unwrap();
        let black = [0, 0, 0, 0xff];
        let rows: Vec<&[u8]> = frame.rows().collect();
        assert_eq!(rows[0], [black, black, black, [50, 100, 200, 255]].concat());
        assert_eq!(rows[1], [&black[..], &same[0..8], &black].concat());
        assert_eq!(rows[2], [&black[..], &same[12..20], &black].concat());
    }

    #[test]
    fn what_of_a_part_lies_outside_the_frame_is_left_out() {
        // A 3x3 part at (-1, -1) over a 2x2 frame at (0, 0): only its bottom-right 2x2 lands.
        let source: Vec<u8> = (0..36).collect();
        let mut assembly = Assembly::new(region(0, 0, 2, 2), PixelFormat::Bgrx8888);
        assembly.paste(region(-1, -1, 3, 3), &source, 12, PixelFormat::Bgrx8888);
        let frame = assembly.into_frame().unwrap();
        let rows: Vec<&[u8]> = frame.rows().collect();
        assert_eq!(rows[0], &source[16..24]);
        assert_eq!(rows[1], &source[28..36]);
        // A part wholly outside changes nothing.
        let mut assembly = Assembly::new(region(0, 0, 2, 2), PixelFormat::Bgrx8888);
        assembly.paste(region(5, 5, 1, 1), &[9, 9, 9, 9], 4, PixelFormat::Bgrx8888);
        assert_eq!(assembly.into_frame().unwrap().bytes(), [0; 16]);
    }

    #[test]
    fn frames_up_to_the_limit_pass_and_larger_ones_are_refused_saying_so() {
        assert!(check_frame_size("wayland", 0, || unreachable!()).is_ok());
        assert!(check_frame_size("wayland", 16384 * 16384 * 4, || unreachable!()).is_ok());
        let error = check_frame_size("wayland", 16384 * 16384 * 4 + 1, || {
            "region 1x1 at (0, 0)".to_owned()
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "wayland: a frame larger than 1 GiB is not supported: region 1x1 at (0, 0) would \
             take 1073741825 bytes, past the limit of 1073741824 bytes (16384x16384 pixels) on \
             one frame; capture each monitor, or a smaller region, instead"
        );
    }
}
