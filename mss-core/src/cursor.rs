//! Drawing the mouse pointer onto a frame: one pixel rule for every backend, and for the
//! streams and the facade that composite it.
//!
//! # The alpha rule
//!
//! XFixes sends cursor pixels as 32-bit ARGB words with **premultiplied** alpha: the colour
//! channels are already multiplied by alpha (a 50 % white pixel is `0x80808080`, not
//! `0x80FFFFFF`). That is how the X server stores ARGB cursors made with RENDER, and how
//! ffmpeg's x11grab blends them. Each channel is therefore composited with the "over"
//! operator for premultiplied sources:
//!
//! ```text
//! dst = src + round(dst * (255 - a) / 255)      (clamped to 255)
//! ```
//!
//! python-mss instead treats the pixels as straight alpha (`src * a / 255 + dst * (1 - a /
//! 255)`, truncated), which darkens every semi-transparent pixel a second time: its cursor
//! shadows and antialiased edges come out too dark. Opaque and fully transparent pixels give
//! the same result under both rules, which is why Xvfb's default (opaque) cursor cannot tell
//! them apart. mss-rs deliberately follows the premultiplied rule.
//!
//! Only the overlap of the cursor with the frame is touched; a cursor off the frame changes
//! nothing. Formats narrower than 8 bits a channel are decoded to 8-bit, blended and encoded
//! back ([`PixelFormat::decode`], [`PixelFormat::encode`]). A frame with an alpha channel
//! (`Bgra8888`) gets its alpha blended the same way; the padding byte of `Bgrx8888` is left as
//! it was.

use crate::{CursorImage, Frame, PixelFormat, Rgba};

/// One premultiplied channel over a destination channel: `src + round(dst * (255 - a) / 255)`.
pub fn blend_channel(source: u8, alpha: u8, destination: u8) -> u8 {
    let kept = u32::from(destination) * (255 - u32::from(alpha));
    // 255 is odd, so `kept / 255` is never exactly halfway and adding 127 rounds to nearest.
    let kept = (kept + 127) / 255;
    (u32::from(source) + kept).min(255) as u8
}

/// Blends one premultiplied ARGB cursor word over an 8-bit colour.
pub fn blend_pixel(cursor: u32, destination: Rgba) -> Rgba {
    let [blue, green, red, alpha] = cursor.to_le_bytes();
    Rgba {
        r: blend_channel(red, alpha, destination.r),
        g: blend_channel(green, alpha, destination.g),
        b: blend_channel(blue, alpha, destination.b),
        a: blend_channel(alpha, alpha, destination.a),
    }
}

/// Draws `cursor` onto `frame` where they overlap (see the [module docs](self) for the rule).
///
/// Frames whose storage cannot be written in place are copied once first
/// ([`Frame::bytes_mut`]).
pub fn composite_cursor(frame: &mut Frame, cursor: &CursorImage) {
    let Some(overlap) = frame.region().intersection(&cursor.region()) else {
        return;
    };
    let format = frame.format();
    let bytes_per_pixel = format.bytes_per_pixel();
    let stride = frame.stride();
    let frame_region = frame.region();
    let cursor_region = cursor.region();
    let cursor_width = cursor_region.width() as usize;
    let pixels = cursor.pixels();
    let bytes = frame.bytes_mut();
    for y in overlap.top()..overlap.bottom() {
        let frame_row = (y - frame_region.top()) as usize * stride;
        let cursor_row = (y - cursor_region.top()) as usize * cursor_width;
        for x in overlap.left()..overlap.right() {
            let word = pixels[cursor_row + (x - cursor_region.left()) as usize];
            if word == 0 {
                // Fully transparent: nothing to do (the common case around the arrow).
                continue;
            }
            let start = frame_row + (x - frame_region.left()) as usize * bytes_per_pixel;
            let pixel = &mut bytes[start..start + bytes_per_pixel];
            blend_into(format, word, pixel);
        }
    }
}

fn blend_into(format: PixelFormat, word: u32, pixel: &mut [u8]) {
    let [blue, green, red, alpha] = word.to_le_bytes();
    match format {
        PixelFormat::Bgrx8888 => {
            pixel[0] = blend_channel(blue, alpha, pixel[0]);
            pixel[1] = blend_channel(green, alpha, pixel[1]);
            pixel[2] = blend_channel(red, alpha, pixel[2]);
        }
        PixelFormat::Bgra8888 => {
            pixel[0] = blend_channel(blue, alpha, pixel[0]);
            pixel[1] = blend_channel(green, alpha, pixel[1]);
            pixel[2] = blend_channel(red, alpha, pixel[2]);
            pixel[3] = blend_channel(alpha, alpha, pixel[3]);
        }
        _ => {
            let blended = blend_pixel(word, format.decode(pixel));
            let encoded = format.encode(blended).to_le_bytes();
            let width = pixel.len();
            pixel.copy_from_slice(&encoded[..width]);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Region;
    use proptest::prelude::*;
    use rstest::rstest;

    use super::*;

    /// The rule written with floating point, as a check on the integer version.
    fn reference(source: u8, alpha: u8, destination: u8) -> u8 {
        let value = f64::from(source) + f64::from(destination) * (255.0 - f64::from(alpha)) / 255.0;
        value.round().min(255.0) as u8
    }

    proptest! {
        #[test]
        fn integer_blend_rounds_like_the_exact_formula(alpha in any::<u8>(), fraction in 0u8..=255, destination in any::<u8>()) {
            // A well-formed premultiplied channel is at most alpha.
            let source = (u32::from(fraction) * u32::from(alpha) / 255) as u8;
            prop_assert_eq!(blend_channel(source, alpha, destination), reference(source, alpha, destination));
        }
    }

    #[rstest]
    #[case::opaque(0xFF, 0xFF, 0x40, 0xFF)]
    #[case::transparent(0x00, 0x00, 0x40, 0x40)]
    #[case::half_white_over_64(0x80, 0x80, 0x40, 0x80 + 32)]
    #[case::half_black_over_200(0x00, 0x80, 200, 100)]
    fn known_blends(
        #[case] source: u8,
        #[case] alpha: u8,
        #[case] destination: u8,
        #[case] expected: u8,
    ) {
        assert_eq!(blend_channel(source, alpha, destination), expected);
    }

    fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
        Region::new(left, top, width, height).unwrap()
    }

    #[rstest]
    #[case(PixelFormat::Bgrx8888)]
    #[case(PixelFormat::Bgra8888)]
    #[case(PixelFormat::Rgb565)]
    #[case(PixelFormat::Xrgb1555)]
    #[case(PixelFormat::Xrgb2101010)]
    fn only_the_overlap_changes_in_every_format(#[case] format: PixelFormat) {
        let background = Rgba {
            r: 0x20,
            g: 0x40,
            b: 0x60,
            a: 0xFF,
        };
        let frame_region = region(10, 20, 4, 3);
        let bytes_per_pixel = format.bytes_per_pixel();
        let mut bytes = Vec::new();
        for _ in 0..frame_region.area() {
            bytes.extend_from_slice(&format.encode(background).to_le_bytes()[..bytes_per_pixel]);
        }
        let mut frame = Frame::from_vec(bytes, frame_region, format).unwrap();
        let before = frame.pixel(0, 0).unwrap();
        // A 2x2 cursor hanging off the bottom-right corner: only (13, 22) overlaps.
        let cursor = CursorImage::new(region(13, 22, 2, 2), vec![0xFF00_FF00; 4]).unwrap();
        composite_cursor(&mut frame, &cursor);
        for y in 0..3 {
            for x in 0..4 {
                let pixel = frame.pixel(x, y).unwrap();
                if (x, y) == (3, 2) {
                    let expected = format.decode(
                        &format
                            .encode(Rgba {
                                r: 0,
                                g: 0xFF,
                                b: 0,
                                a: 0xFF,
                            })
                            .to_le_bytes(),
                    );
                    assert_eq!(pixel, expected, "{format:?}");
                } else {
                    assert_eq!(pixel, before, "{format:?} at ({x}, {y})");
                }
            }
        }
    }

    #[test]
    fn a_cursor_off_the_frame_changes_nothing() {
        let mut frame =
            Frame::from_vec(vec![7; 16], region(0, 0, 2, 2), PixelFormat::Bgrx8888).unwrap();
        let cursor = CursorImage::new(region(2, 0, 1, 1), vec![0xFFFF_FFFF]).unwrap();
        composite_cursor(&mut frame, &cursor);
        assert_eq!(frame.bytes(), &[7; 16]);
    }
}
