//! The known pattern every test scene shows, and pixel-exact frame comparison.
//!
//! Every pixel's colour encodes its coordinates, so a frame taken from the wrong place, with
//! rows shifted or channels swapped, fails on its very first pixels, and a wrong pixel can be
//! traced back to where it came from ([`pattern_position`]).
//!
//! For `x` and `y` below 4096 the colour is:
//!
//! - red   = `(x * 149) mod 256`,
//! - green = `(y * 107) mod 256`,
//! - blue  = `(x >> 8) | (y >> 8) << 4`, XOR `((x mod 256 + 3 * (y mod 256)) * 45) mod 256`.
//!
//! Multiplying by an odd number is a bijection modulo 256, so the low bytes of `x` and `y` can
//! be recovered from red and green, and then the high nibbles from blue: every colour is
//! unique on screens up to 4096x4096. The multiplications scramble neighbouring pixels into
//! very different colours, so an off-by-one still shows on 16-bit screens, which keep only
//! the top 5 or 6 bits of each channel.

use std::fmt;

use mss_core::{Frame, PixelFormat, Region, Rgba};

const RED_FACTOR: u32 = 149;
const GREEN_FACTOR: u32 = 107;
const BLUE_FACTOR: u32 = 45;

/// The pattern's colour at screen coordinates `(x, y)`, before the screen's format quantises
/// it.
pub fn pattern_colour(x: u32, y: u32) -> Rgba {
    let (x_low, y_low) = (x & 0xFF, y & 0xFF);
    let high = ((x >> 8) & 0xF) | (((y >> 8) & 0xF) << 4);
    Rgba::rgb(
        (x_low * RED_FACTOR) as u8,
        (y_low * GREEN_FACTOR) as u8,
        (high ^ blue_scramble(x_low, y_low)) as u8,
    )
}

/// The coordinates (below 4096) whose pattern colour is `colour`; every opaque colour is the
/// colour of exactly one such position. Only exact for 24- and 30-bit screens, where the
/// pattern is not quantised.
pub fn pattern_position(colour: Rgba) -> (u32, u32) {
    let x_low = (u32::from(colour.r) * inverse_mod_256(RED_FACTOR)) & 0xFF;
    let y_low = (u32::from(colour.g) * inverse_mod_256(GREEN_FACTOR)) & 0xFF;
    let high = u32::from(colour.b) ^ blue_scramble(x_low, y_low);
    (x_low | ((high & 0xF) << 8), y_low | ((high >> 4) << 8))
}

/// The colour a screen of `format` shows for `colour`: encoded into its pixel and decoded back.
pub fn quantise(format: PixelFormat, colour: Rgba) -> Rgba {
    let bytes = format.encode(colour).to_le_bytes();
    format.decode(&bytes[..format.bytes_per_pixel()])
}

/// The pattern at `(x, y)` as a screen of `format` shows it.
pub fn expected_colour(format: PixelFormat, x: u32, y: u32) -> Rgba {
    quantise(format, pattern_colour(x, y))
}

fn blue_scramble(x_low: u32, y_low: u32) -> u32 {
    ((x_low + 3 * y_low) * BLUE_FACTOR) & 0xFF
}

/// The multiplicative inverse of an odd number modulo 256.
const fn inverse_mod_256(factor: u32) -> u32 {
    let mut candidate = 1;
    while (candidate * factor) & 0xFF != 1 {
        candidate += 2;
    }
    candidate
}

/// One wrong pixel, in screen coordinates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PixelMismatch {
    /// Screen x coordinate.
    pub x: i64,
    /// Screen y coordinate.
    pub y: i64,
    /// What the screen shows there, or `None` when the position is not on the screen.
    pub expected: Option<Rgba>,
    /// What the frame holds (through [`Frame::pixel`]).
    pub actual: Rgba,
    /// What [`Frame::to_rgba`] gave, when it disagrees with [`Frame::pixel`].
    pub converted: Option<Rgba>,
}

/// How a frame differs from what the screen shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameMismatch {
    /// The frame's region.
    pub region: Region,
    /// The frame's format, and the screen's when they differ.
    pub formats: Option<(PixelFormat, PixelFormat)>,
    /// How many pixels are wrong.
    pub wrong_pixels: u64,
    /// The first few wrong pixels, in row order.
    pub examples: Vec<PixelMismatch>,
}

impl fmt::Display for FrameMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "frame of region {}", self.region)?;
        if let Some((frame, screen)) = self.formats {
            return write!(f, " has format {frame:?}, but the screen's is {screen:?}");
        }
        write!(
            f,
            ": {} of {} pixels differ from the screen",
            self.wrong_pixels,
            self.region.area()
        )?;
        for example in &self.examples {
            let (from_x, from_y) = pattern_position(example.actual);
            write!(f, "\n  at ({}, {}): expected ", example.x, example.y)?;
            match example.expected {
                Some(colour) => write!(f, "{}", hex(colour))?,
                None => write!(f, "nothing (off the screen)")?,
            }
            write!(
                f,
                ", got {} (the pattern's colour at ({from_x}, {from_y}))",
                hex(example.actual)
            )?;
            if let Some(converted) = example.converted {
                write!(f, ", to_rgba gave {}", hex(converted))?;
            }
        }
        Ok(())
    }
}

fn hex(colour: Rgba) -> String {
    format!(
        "#{:02x}{:02x}{:02x}{:02x}",
        colour.r, colour.g, colour.b, colour.a
    )
}

/// How many wrong pixels a [`FrameMismatch`] lists.
const EXAMPLES: usize = 8;

/// Compares every pixel of `frame` with `expected(x, y)` at the screen coordinates the frame
/// shows, through both [`Frame::pixel`] and [`Frame::to_rgba`], after checking that the frame
/// has the screen's `format`. `expected` returns `None` for positions not on the screen.
///
/// # Errors
///
/// A [`FrameMismatch`] describing the wrong pixels.
pub fn check_frame(
    frame: &Frame,
    format: PixelFormat,
    expected: impl Fn(i64, i64) -> Option<Rgba>,
) -> Result<(), FrameMismatch> {
    let region = frame.region();
    let mut mismatch = FrameMismatch {
        region,
        formats: None,
        wrong_pixels: 0,
        examples: Vec::new(),
    };
    if frame.format() != format {
        mismatch.formats = Some((frame.format(), format));
        return Err(mismatch);
    }
    let rgba = frame.to_rgba();
    let mut converted_pixels = rgba.chunks_exact(4);
    for frame_y in 0..frame.height() {
        for frame_x in 0..frame.width() {
            let actual = frame
                .pixel(frame_x, frame_y)
                .expect("coordinates are inside the frame");
            let converted = converted_pixels
                .next()
                .map(|bytes| Rgba {
                    r: bytes[0],
                    g: bytes[1],
                    b: bytes[2],
                    a: bytes[3],
                })
                .unwrap_or_default();
            let x = i64::from(region.left()) + i64::from(frame_x);
            let y = i64::from(region.top()) + i64::from(frame_y);
            let wanted = expected(x, y);
            if wanted != Some(actual) || converted != actual {
                mismatch.wrong_pixels += 1;
                if mismatch.examples.len() < EXAMPLES {
                    mismatch.examples.push(PixelMismatch {
                        x,
                        y,
                        expected: wanted,
                        actual,
                        converted: (converted != actual).then_some(converted),
                    });
                }
            }
        }
    }
    if mismatch.wrong_pixels == 0 {
        Ok(())
    } else {
        Err(mismatch)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Uniqueness, proved in two cheap steps instead of comparing 16 million colours: red and
    /// green already tell the low bytes of `x` and `y` apart, and with those fixed, blue is
    /// the high nibbles XOR a constant, which is one-to-one.
    #[test]
    fn colours_are_unique_up_to_4096_squared() {
        let mut seen = vec![false; 1 << 16];
        for y in 0..256 {
            for x in 0..256 {
                let colour = pattern_colour(x, y);
                let key = (usize::from(colour.r) << 8) | usize::from(colour.g);
                assert!(!seen[key], "({x}, {y}) repeats red and green");
                seen[key] = true;
            }
        }
        for (x_low, y_low) in [(0, 0), (1, 0), (0, 1), (200, 77), (255, 255)] {
            let mut blues = vec![false; 256];
            for high in 0..256 {
                let (x, y) = (x_low | ((high & 0xF) << 8), y_low | ((high >> 4) << 8));
                let blue = usize::from(pattern_colour(x, y).b);
                assert!(!blues[blue], "({x}, {y}) repeats blue");
                blues[blue] = true;
            }
        }
    }

    proptest! {
        #[test]
        fn position_inverts_colour(x in 0u32..4096, y in 0u32..4096) {
            prop_assert_eq!(pattern_position(pattern_colour(x, y)), (x, y));
        }
    }

    #[test]
    fn neighbours_differ_even_in_rgb565() {
        for y in 0..300 {
            for x in 0..300 {
                let here = expected_colour(PixelFormat::Rgb565, x, y);
                assert_ne!(here, expected_colour(PixelFormat::Rgb565, x + 1, y));
                assert_ne!(here, expected_colour(PixelFormat::Rgb565, x, y + 1));
            }
        }
    }

    fn frame_of(region: Region, format: PixelFormat, colour: impl Fn(u32, u32) -> Rgba) -> Frame {
        let mut bytes = Vec::new();
        for y in 0..region.height() {
            for x in 0..region.width() {
                let screen_x = (region.left() + x as i32) as u32;
                let screen_y = (region.top() + y as i32) as u32;
                let pixel = format.encode(colour(screen_x, screen_y)).to_le_bytes();
                bytes.extend_from_slice(&pixel[..format.bytes_per_pixel()]);
            }
        }
        Frame::from_vec(bytes, region, format).unwrap()
    }

    #[test]
    fn check_frame_accepts_the_pattern_and_reports_wrong_pixels() {
        let format = PixelFormat::Bgrx8888;
        let region = Region::new(10, 20, 7, 5).unwrap();
        let expected = |x: i64, y: i64| Some(expected_colour(format, x as u32, y as u32));
        let good = frame_of(region, format, pattern_colour);
        assert_eq!(check_frame(&good, format, expected), Ok(()));

        // A frame taken one pixel to the right: every pixel is wrong, and the message says
        // where each actually came from.
        let shifted = frame_of(region, format, |x, y| pattern_colour(x + 1, y));
        let mismatch = check_frame(&shifted, format, expected).unwrap_err();
        assert_eq!(mismatch.wrong_pixels, 35);
        assert_eq!(mismatch.examples.len(), EXAMPLES);
        assert_eq!((mismatch.examples[0].x, mismatch.examples[0].y), (10, 20));
        let message = mismatch.to_string();
        assert!(
            message.starts_with("frame of region 7x5 at (10, 20): 35 of 35 pixels differ"),
            "{message}"
        );
        assert!(
            message.contains("(the pattern's colour at (11, 20))"),
            "{message}"
        );

        let wrong_format = check_frame(&good, PixelFormat::Xrgb2101010, expected).unwrap_err();
        assert_eq!(
            wrong_format.formats,
            Some((PixelFormat::Bgrx8888, PixelFormat::Xrgb2101010))
        );
    }

    #[test]
    fn off_screen_positions_are_wrong() {
        let format = PixelFormat::Rgb565;
        let region = Region::new(0, 0, 3, 1).unwrap();
        let frame = frame_of(region, format, pattern_colour);
        let mismatch = check_frame(&frame, format, |x, y| {
            (x < 2).then(|| expected_colour(format, x as u32, y as u32))
        })
        .unwrap_err();
        assert_eq!(mismatch.wrong_pixels, 1);
        assert_eq!(mismatch.examples[0].expected, None);
        assert!(
            mismatch
                .to_string()
                .contains("expected nothing (off the screen)")
        );
    }
}
