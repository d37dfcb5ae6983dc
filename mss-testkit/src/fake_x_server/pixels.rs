//! The fake server's pixels: every drawable shows a pattern in which each pixel's bytes are a
//! hash of the drawable's seed and the pixel's coordinates, so a test knows every byte a
//! capture must hold, and a pixel read from the wrong place, the wrong row or the wrong
//! drawable is caught.

/// The seed of the root window's pixels; a window's seed is its id.
pub const ROOT_SEED: u32 = 0;

/// The value of pixel (`x`, `y`) of the drawable seeded `seed`, of which an image of
/// `bits_per_pixel` carries the low bytes, least significant first.
pub fn fake_pixel(seed: u32, x: i32, y: i32) -> u32 {
    // SplitMix64's finaliser over the three numbers: every bit of each moves every output bit.
    let mut value = (u64::from(seed) << 40) ^ (u64::from(x as u32) << 20) ^ u64::from(y as u32);
    value = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    value = (value ^ (value >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (value ^ (value >> 31)) as u32
}

/// The bytes of `width` pixels of row `y` from column `x` of the drawable seeded `seed`, as an
/// image of `bits_per_pixel` (16 or 32) carries them: what a captured frame's row must be.
pub fn fake_row(seed: u32, x: i32, y: i32, width: u32, bits_per_pixel: u8) -> Vec<u8> {
    let bytes = usize::from(bits_per_pixel / 8);
    (0..width)
        .flat_map(|column| {
            let column = i32::try_from(column).unwrap_or(i32::MAX);
            fake_pixel(seed, x.saturating_add(column), y).to_le_bytes()
        })
        .collect::<Vec<u8>>()
        .chunks(4)
        .flat_map(|pixel| pixel[..bytes].to_vec())
        .collect()
}

/// Bytes from one row of a `width`-pixel image to the next, padded to `scanline_pad` bits.
pub fn fake_stride(width: u16, bits_per_pixel: u8, scanline_pad: u8) -> usize {
    let pad = usize::from(scanline_pad.max(8));
    (usize::from(width) * usize::from(bits_per_pixel)).div_ceil(pad) * pad / 8
}

/// The image of a `width` x `height` rectangle at (`x`, `y`) of the drawable seeded `seed`:
/// rows at the padded stride, padding bytes `0xA5` (never pixels), the whole padded to a
/// multiple of 4 bytes as replies are.
pub fn fake_image(
    seed: u32,
    (x, y, width, height): (i16, i16, u16, u16),
    bits_per_pixel: u8,
    scanline_pad: u8,
) -> Vec<u8> {
    let stride = fake_stride(width, bits_per_pixel, scanline_pad);
    let mut image = Vec::with_capacity(stride * usize::from(height) + 3);
    for row in 0..height {
        let start = image.len();
        image.extend(fake_row(
            seed,
            i32::from(x),
            i32::from(y) + i32::from(row),
            u32::from(width),
            bits_per_pixel,
        ));
        image.resize(start + stride, 0xA5);
    }
    image.resize(image.len().next_multiple_of(4), 0xA5);
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_the_low_bytes_of_each_pixel_and_images_pad_rows() {
        let row = fake_row(7, 3, 4, 2, 16);
        let (first, second) = (fake_pixel(7, 3, 4), fake_pixel(7, 4, 4));
        assert_eq!(
            row,
            [&first.to_le_bytes()[..2], &second.to_le_bytes()[..2]].concat()
        );
        // Three 16-bit pixels padded to 32 bits: 8 bytes a row.
        let image = fake_image(7, (3, 4, 3, 2), 16, 32);
        assert_eq!(image.len(), 16);
        assert_eq!(&image[..6], &fake_row(7, 3, 4, 3, 16)[..]);
        assert_eq!(&image[6..8], &[0xA5, 0xA5]);
        assert_eq!(&image[8..14], &fake_row(7, 3, 5, 3, 16)[..]);
        assert_ne!(fake_pixel(0, 1, 2), fake_pixel(0, 2, 1));
        assert_ne!(fake_pixel(1, 0, 0), fake_pixel(2, 0, 0));
    }
}
