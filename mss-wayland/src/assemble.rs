//! Frames of regions across outputs: each output's part is copied once into a new frame, and
//! what no output shows is opaque black.
//!
//! The empty parts are filled the way an X11 root shows areas outside every monitor (CRTC):
//! black, that is zero bytes, with alpha 0xff where the format has alpha. Opaque rather than
//! transparent, so that a frame converted to RGBA, saved or composited shows black where no
//! output is, as it would on X11, and not holes.

use mss_core::{Error, Frame, PixelFormat, Region, Rgba};

/// A frame of a region being put together from the parts the outputs show.
#[derive(Debug)]
pub(crate) struct Assembly {
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
    /// An opaque black frame of `region` in `format`. The caller has checked its size against
    /// the limit (`limit::MAX_FRAME_BYTES`).
    pub(crate) fn new(region: Region, format: PixelFormat) -> Self {
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

    /// Copies `part` (screen coordinates, inside the region) into the frame from `source`,
    /// rows of `source_stride` bytes in `source_format`, re-encoding each pixel when that is
    /// not the frame's format.
    pub(crate) fn paste(
        &mut self,
        part: Region,
        source: &[u8],
        source_stride: usize,
        source_format: PixelFormat,
    ) {
        let step = self.format.bytes_per_pixel();
        let x = (part.left() - self.region.left()) as usize;
        let y = (part.top() - self.region.top()) as usize;
        let row_bytes = part.width() as usize * step;
        for row in 0..part.height() as usize {
            let from = &source[row * source_stride..];
            let to = &mut self.bytes[(y + row) * self.stride + x * step..];
            if source_format == self.format {
                to[..row_bytes].copy_from_slice(&from[..row_bytes]);
            } else {
                // Outputs in different formats: each pixel re-encoded.
                for column in 0..part.width() as usize {
                    let colour = source_format.decode(&from[column * step..]);
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
    pub(crate) fn into_frame(self) -> Result<Frame, Error> {
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
    fn what_no_output_shows_is_opaque_black_zero_bytes_with_alpha_0xff_where_there_is_alpha() {
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
}
