//! The test oracle of the conversions: `Frame::to_rgb`, `to_rgba`, `write_rgb` and `write_rgba`
//! as they were written before the conversions were brought to memory speed, kept word for word
//! (over the frame's public API) so that every later version is checked against the same bytes.
//!
//! The tests below compare the conversions with it for every format, widths on both sides of
//! every block size the kernels use, rows with padding, first pixels at any offset, and targets
//! that are empty, of the right size with stale bytes, or of another size.

use crate::{Frame, PixelFormat, Region};

/// `Frame::to_rgb` as it was: a zeroed vector, then each row converted.
pub(crate) fn to_rgb(frame: &Frame) -> Vec<u8> {
    convert(frame, 3, row_to_rgb)
}

/// `Frame::to_rgba` as it was.
pub(crate) fn to_rgba(frame: &Frame) -> Vec<u8> {
    convert(frame, 4, row_to_rgba)
}

fn convert(
    frame: &Frame,
    bytes_per_target_pixel: usize,
    convert_row: fn(PixelFormat, &[u8], &mut [u8]),
) -> Vec<u8> {
    let target_row = frame.width() as usize * bytes_per_target_pixel;
    let mut target = vec![0; target_row * frame.height() as usize];
    for (source, row) in frame.rows().zip(target.chunks_exact_mut(target_row)) {
        convert_row(frame.format(), source, row);
    }
    target
}

fn row_to_rgba(format: PixelFormat, source: &[u8], target: &mut [u8]) {
    match format {
        PixelFormat::Bgrx8888 => bgr32_to_rgba(source, target, 0xFF00_0000),
        PixelFormat::Bgra8888 => bgr32_to_rgba(source, target, 0),
        _ => {
            let step = format.bytes_per_pixel();
            for (s, t) in source.chunks_exact(step).zip(target.chunks_exact_mut(4)) {
                let pixel = format.decode(s);
                t.copy_from_slice(&[pixel.r, pixel.g, pixel.b, pixel.a]);
            }
        }
    }
}

fn row_to_rgb(format: PixelFormat, source: &[u8], target: &mut [u8]) {
    match format {
        PixelFormat::Bgrx8888 | PixelFormat::Bgra8888 => bgr32_to_rgb(source, target),
        _ => {
            let step = format.bytes_per_pixel();
            for (s, t) in source.chunks_exact(step).zip(target.chunks_exact_mut(3)) {
                let pixel = format.decode(s);
                t.copy_from_slice(&[pixel.r, pixel.g, pixel.b]);
            }
        }
    }
}

fn bgr32_to_rgba(source: &[u8], target: &mut [u8], alpha_bits: u32) {
    for (s, t) in source.chunks_exact(4).zip(target.chunks_exact_mut(4)) {
        let pixel = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
        let swapped = pixel.swap_bytes().rotate_right(8) | alpha_bits;
        t.copy_from_slice(&swapped.to_le_bytes());
    }
}

fn bgr32_to_rgb(source: &[u8], target: &mut [u8]) {
    let mut source_blocks = source.chunks_exact(16);
    let mut target_blocks = target.chunks_exact_mut(12);
    for (s, t) in (&mut source_blocks).zip(&mut target_blocks) {
        let rgb =
            |i: usize| u32::from_le_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]]).swap_bytes() >> 8;
        let (first, second, third, fourth) = (rgb(0), rgb(4), rgb(8), rgb(12));
        t[0..4].copy_from_slice(&(first | second << 24).to_le_bytes());
        t[4..8].copy_from_slice(&(second >> 8 | third << 16).to_le_bytes());
        t[8..12].copy_from_slice(&(third >> 16 | fourth << 8).to_le_bytes());
    }
    let tail = source_blocks.remainder().chunks_exact(4);
    for (s, t) in tail.zip(target_blocks.into_remainder().chunks_exact_mut(3)) {
        t.copy_from_slice(&[s[2], s[1], s[0]]);
    }
}

// Test helpers, shared with the kernels' own tests.

/// Every format.
pub(crate) const FORMATS: [PixelFormat; 7] = [
    PixelFormat::Bgrx8888,
    PixelFormat::Bgra8888,
    PixelFormat::Rgb565,
    PixelFormat::Xrgb1555,
    PixelFormat::Xrgb2101010,
    PixelFormat::Rgbx8888,
    PixelFormat::Rgba8888,
];

/// Bytes from a xorshift generator: every bit pattern, padding bytes included.
pub(crate) fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// A frame of noise at (-3, 4): `padding` bytes after each row, the first pixel at `offset`.
pub(crate) fn noise_frame(
    format: PixelFormat,
    width: u32,
    height: u32,
    padding: usize,
    offset: usize,
    seed: u64,
) -> Frame {
    let stride = width as usize * format.bytes_per_pixel() + padding;
    let bytes = noise(offset + stride * height as usize, seed);
    let region = Region::new(-3, 4, width, height).unwrap();
    Frame::new(bytes, offset, region, stride, format).unwrap()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Every way of asking for a conversion gives the oracle's bytes.
    fn assert_matches_oracle(frame: &Frame) -> Result<(), TestCaseError> {
        let (rgb, rgba) = (to_rgb(frame), to_rgba(frame));
        prop_assert_eq!(&frame.to_rgb(), &rgb);
        prop_assert_eq!(&frame.to_rgba(), &rgba);
        // Into an empty vector, one of the right size holding stale bytes, and ones too short
        // and too long.
        for stale_len in [0, rgb.len(), rgba.len(), 1, rgba.len() + 7] {
            let mut target = vec![0xA5; stale_len];
            frame.write_rgb(&mut target);
            prop_assert_eq!(&target, &rgb, "write_rgb over {} stale bytes", stale_len);
            let mut target = vec![0x5A; stale_len];
            frame.write_rgba(&mut target);
            prop_assert_eq!(&target, &rgba, "write_rgba over {} stale bytes", stale_len);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Widths 1-80 cover every tail of blocks of 4, 8 and 16 pixels; padding (any byte
        /// count, not only X11's 32-bit units) makes rows that are not contiguous; the offset
        /// moves the first pixel off any alignment.
        #[test]
        fn conversions_equal_the_oracle(
            format_index in 0..FORMATS.len(),
            width in 1u32..80,
            height in 1u32..6,
            padding in prop_oneof![Just(0usize), 1usize..13],
            offset in 0usize..8,
            seed in any::<u64>(),
        ) {
            let format = FORMATS[format_index];
            assert_matches_oracle(&noise_frame(format, width, height, padding, offset, seed))?;
        }
    }

    /// Frames far wider and larger than any block or piece the conversions split their work
    /// into, packed and padded, in every format.
    #[test]
    fn large_frames_equal_the_oracle() {
        for format in FORMATS {
            for (width, height, padding) in
                [(4099, 3, 0), (4099, 3, 4), (1920, 9, 0), (777, 41, 12)]
            {
                let frame = noise_frame(format, width, height, padding, 1, u64::from(width) * 31);
                assert_matches_oracle(&frame).unwrap_or_else(|error| {
                    panic!("{format:?} {width}x{height}+{padding}: {error}")
                });
            }
        }
    }
}
