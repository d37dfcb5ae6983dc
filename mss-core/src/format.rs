//! [`PixelFormat`]: the layouts a frame's bytes can have, and their conversion to 8-bit RGB(A).

/// One pixel as 8-bit red, green, blue and alpha.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rgba {
    /// Red, 0-255.
    pub r: u8,
    /// Green, 0-255.
    pub g: u8,
    /// Blue, 0-255.
    pub b: u8,
    /// Alpha, 0-255; 255 (opaque) for formats without alpha.
    pub a: u8,
}

impl Rgba {
    /// An opaque colour.
    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Self { r, g, b, a: 255 }
    }
}

/// How the bytes of one pixel are laid out.
///
/// Every multi-byte format is **little-endian**: the bytes of a pixel, read as a little-endian
/// integer, give the channel bits named below (most significant first). These are the layouts
/// of an X server with LSB-first image byte order, which is what every x86 and ARM server uses.
/// Conversion to 8-bit channels is exact and documented per format: channels narrower than 8
/// bits are widened by bit replication (so 0 stays 0 and the maximum becomes 255), channels
/// wider than 8 bits keep their 8 most significant bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PixelFormat {
    /// Depth 24 in 32 bits: bytes `B, G, R, X` (integer `0xXXRRGGBB`). The fourth byte is
    /// padding with no meaning; X servers usually leave it 0. The common case.
    Bgrx8888,
    /// Depth 32: bytes `B, G, R, A` (integer `0xAARRGGBB`), alpha straight.
    Bgra8888,
    /// Depth 16: two bytes, integer `RRRRRGGG GGGBBBBB` (5-6-5).
    Rgb565,
    /// Depth 15: two bytes, integer `XRRRRRGG GGGBBBBB` (1-5-5-5, top bit unused).
    Xrgb1555,
    /// Depth 30 in 32 bits: integer `XXRRRRRR RRRRGGGG GGGGGGBB BBBBBBBB` (2-10-10-10).
    Xrgb2101010,
    /// Depth 24 in 32 bits, red first: bytes `R, G, B, X` (integer `0xXXBBGGRR`; Wayland's and
    /// DRM's `XBGR8888`). The fourth byte is padding.
    Rgbx8888,
    /// Depth 32, red first: bytes `R, G, B, A` (integer `0xAABBGGRR`; `ABGR8888`), alpha
    /// straight.
    Rgba8888,
}

impl PixelFormat {
    /// Bytes one pixel takes in memory (X11's bits per pixel / 8).
    pub const fn bytes_per_pixel(self) -> usize {
        match self {
            Self::Bgrx8888
            | Self::Bgra8888
            | Self::Xrgb2101010
            | Self::Rgbx8888
            | Self::Rgba8888 => 4,
            Self::Rgb565 | Self::Xrgb1555 => 2,
        }
    }

    /// The number of significant bits per pixel (X11's depth).
    pub const fn depth(self) -> u8 {
        match self {
            Self::Bgrx8888 => 24,
            Self::Bgra8888 => 32,
            Self::Rgb565 => 16,
            Self::Xrgb1555 => 15,
            Self::Xrgb2101010 => 30,
            Self::Rgbx8888 => 24,
            Self::Rgba8888 => 32,
        }
    }

    /// Whether the format carries real alpha.
    pub const fn has_alpha(self) -> bool {
        matches!(self, Self::Bgra8888 | Self::Rgba8888)
    }

    /// The red, green and blue masks of the pixel read as a little-endian integer, as an X11
    /// visual states them.
    pub const fn channel_masks(self) -> (u32, u32, u32) {
        match self {
            Self::Bgrx8888 | Self::Bgra8888 => (0x00FF_0000, 0x0000_FF00, 0x0000_00FF),
            Self::Rgb565 => (0xF800, 0x07E0, 0x001F),
            Self::Xrgb1555 => (0x7C00, 0x03E0, 0x001F),
            Self::Xrgb2101010 => (0x3FF0_0000, 0x000F_FC00, 0x0000_03FF),
            Self::Rgbx8888 | Self::Rgba8888 => (0x0000_00FF, 0x0000_FF00, 0x00FF_0000),
        }
    }

    /// ffmpeg's name for the same byte layout (`-pixel_format` of its `rawvideo` input), so
    /// packed frames pipe straight into ffmpeg: `bgr0`, `bgra`, `rgb565le`, `rgb555le`,
    /// `x2rgb10le`, `rgb0`, `rgba`.
    pub const fn ffmpeg_pixel_format(self) -> &'static str {
        match self {
            Self::Bgrx8888 => "bgr0",
            Self::Bgra8888 => "bgra",
            Self::Rgb565 => "rgb565le",
            Self::Xrgb1555 => "rgb555le",
            Self::Xrgb2101010 => "x2rgb10le",
            Self::Rgbx8888 => "rgb0",
            Self::Rgba8888 => "rgba",
        }
    }

    /// The format with the given depth, bits per pixel and channel masks, if it is one of ours.
    ///
    /// Backends use this to turn a server's visual into a format; `None` means the screen
    /// cannot be captured.
    pub fn from_masks(
        depth: u8,
        bits_per_pixel: u8,
        red: u32,
        green: u32,
        blue: u32,
    ) -> Option<Self> {
        [
            Self::Bgrx8888,
            Self::Bgra8888,
            Self::Rgb565,
            Self::Xrgb1555,
            Self::Xrgb2101010,
        ]
        .into_iter()
        .find(|format| {
            format.depth() == depth
                && format.bytes_per_pixel() * 8 == usize::from(bits_per_pixel)
                && format.channel_masks() == (red, green, blue)
        })
    }

    /// Decodes one pixel from its bytes.
    ///
    /// # Panics
    ///
    /// If `bytes` is shorter than [`bytes_per_pixel`](Self::bytes_per_pixel).
    pub fn decode(self, bytes: &[u8]) -> Rgba {
        match self {
            Self::Bgrx8888 => Rgba::rgb(bytes[2], bytes[1], bytes[0]),
            Self::Bgra8888 => Rgba {
                r: bytes[2],
                g: bytes[1],
                b: bytes[0],
                a: bytes[3],
            },
            Self::Rgb565 => {
                let value = u16::from_le_bytes([bytes[0], bytes[1]]);
                Rgba::rgb(
                    widen5((value >> 11) as u8),
                    widen6((value >> 5) as u8 & 0x3F),
                    widen5(value as u8 & 0x1F),
                )
            }
            Self::Xrgb1555 => {
                let value = u16::from_le_bytes([bytes[0], bytes[1]]);
                Rgba::rgb(
                    widen5((value >> 10) as u8 & 0x1F),
                    widen5((value >> 5) as u8 & 0x1F),
                    widen5(value as u8 & 0x1F),
                )
            }
            Self::Xrgb2101010 => {
                let value = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                Rgba::rgb((value >> 22) as u8, (value >> 12) as u8, (value >> 2) as u8)
            }
            Self::Rgbx8888 => Rgba::rgb(bytes[0], bytes[1], bytes[2]),
            Self::Rgba8888 => Rgba {
                r: bytes[0],
                g: bytes[1],
                b: bytes[2],
                a: bytes[3],
            },
        }
    }

    /// Encodes an 8-bit colour in this format (the inverse of [`decode`](Self::decode) up to
    /// the precision of the format). Tests use it to draw known colours.
    pub fn encode(self, colour: Rgba) -> u32 {
        let (r, g, b) = (
            u32::from(colour.r),
            u32::from(colour.g),
            u32::from(colour.b),
        );
        match self {
            Self::Bgrx8888 => (r << 16) | (g << 8) | b,
            Self::Bgra8888 => (u32::from(colour.a) << 24) | (r << 16) | (g << 8) | b,
            Self::Rgb565 => ((r >> 3) << 11) | ((g >> 2) << 5) | (b >> 3),
            Self::Xrgb1555 => ((r >> 3) << 10) | ((g >> 3) << 5) | (b >> 3),
            // Widen 8 to 10 bits by replication, so decode(encode(c)) == c.
            Self::Xrgb2101010 => {
                let widen = |c: u32| (c << 2) | (c >> 6);
                (widen(r) << 20) | (widen(g) << 10) | widen(b)
            }
            Self::Rgbx8888 => (b << 16) | (g << 8) | r,
            Self::Rgba8888 => (u32::from(colour.a) << 24) | (b << 16) | (g << 8) | r,
        }
    }
}

/// Widens a 5-bit channel to 8 bits by bit replication.
const fn widen5(value: u8) -> u8 {
    (value << 3) | (value >> 2)
}

/// Widens a 6-bit channel to 8 bits by bit replication.
const fn widen6(value: u8) -> u8 {
    (value << 2) | (value >> 4)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rstest::rstest;

    use super::*;

    /// The formats an X11 visual can be (`from_masks` finds each of them).
    const X11: [PixelFormat; 5] = [
        PixelFormat::Bgrx8888,
        PixelFormat::Bgra8888,
        PixelFormat::Rgb565,
        PixelFormat::Xrgb1555,
        PixelFormat::Xrgb2101010,
    ];

    const ALL: [PixelFormat; 7] = [
        PixelFormat::Bgrx8888,
        PixelFormat::Bgra8888,
        PixelFormat::Rgb565,
        PixelFormat::Xrgb1555,
        PixelFormat::Xrgb2101010,
        PixelFormat::Rgbx8888,
        PixelFormat::Rgba8888,
    ];

    #[rstest]
    #[case(PixelFormat::Bgrx8888, &[0x30, 0x20, 0x10, 0x00], Rgba::rgb(0x10, 0x20, 0x30))]
    #[case(PixelFormat::Bgra8888, &[0x30, 0x20, 0x10, 0x80], Rgba { r: 0x10, g: 0x20, b: 0x30, a: 0x80 })]
    // 0xF800 = pure red, 0x07E0 = pure green, 0x001F = pure blue; bytes little-endian.
    #[case(PixelFormat::Rgb565, &[0x00, 0xF8], Rgba::rgb(255, 0, 0))]
    #[case(PixelFormat::Rgb565, &[0xE0, 0x07], Rgba::rgb(0, 255, 0))]
    #[case(PixelFormat::Rgb565, &[0x1F, 0x00], Rgba::rgb(0, 0, 255))]
    // 0b10000_100000_10000: every channel at its midpoint, widened by replication.
    #[case(PixelFormat::Rgb565, &[0x10, 0x84], Rgba::rgb(0x84, 0x82, 0x84))]
    #[case(PixelFormat::Xrgb1555, &[0x00, 0x7C], Rgba::rgb(255, 0, 0))]
    #[case(PixelFormat::Xrgb1555, &[0x1F, 0x80], Rgba::rgb(0, 0, 255))]
    #[case(PixelFormat::Xrgb2101010, &[0x00, 0x00, 0xF0, 0x3F], Rgba::rgb(255, 0, 0))]
    #[case(PixelFormat::Xrgb2101010, &[0xFF, 0x03, 0x00, 0xC0], Rgba::rgb(0, 0, 255))]
    // Red 0x201 (10 bits) keeps its top 8 bits: 0x80.
    #[case(PixelFormat::Xrgb2101010, &[0x00, 0x00, 0x10, 0x20], Rgba::rgb(0x80, 0, 0))]
    #[case(PixelFormat::Rgbx8888, &[0x10, 0x20, 0x30, 0x00], Rgba::rgb(0x10, 0x20, 0x30))]
    #[case(PixelFormat::Rgba8888, &[0x10, 0x20, 0x30, 0x80], Rgba { r: 0x10, g: 0x20, b: 0x30, a: 0x80 })]
    fn decodes_documented_layouts(
        #[case] format: PixelFormat,
        #[case] bytes: &[u8],
        #[case] expected: Rgba,
    ) {
        assert_eq!(format.decode(bytes), expected);
    }

    #[test]
    fn masks_identify_each_format_and_nothing_else() {
        for format in X11 {
            let (r, g, b) = format.channel_masks();
            let bpp = (format.bytes_per_pixel() * 8) as u8;
            assert_eq!(
                PixelFormat::from_masks(format.depth(), bpp, r, g, b),
                Some(format)
            );
            assert_eq!(
                PixelFormat::from_masks(format.depth(), bpp, b, g, r),
                None,
                "{format:?} with red and blue swapped"
            );
        }
        assert_eq!(PixelFormat::from_masks(8, 8, 0, 0, 0), None);
        assert_eq!(
            PixelFormat::from_masks(24, 24, 0xFF0000, 0xFF00, 0xFF),
            None,
            "packed 24 bpp"
        );
    }

    proptest! {
        #[test]
        fn encode_then_decode_keeps_the_precision_of_the_format(r: u8, g: u8, b: u8, a: u8) {
            for format in ALL {
                let colour = Rgba { r, g, b, a: if format.has_alpha() { a } else { 255 } };
                let bytes = format.encode(colour).to_le_bytes();
                let decoded = format.decode(&bytes[..format.bytes_per_pixel()]);
                let keep = |bits: u32, value: u8| value >> (8 - bits);
                let (rb, gb, bb) = match format {
                    PixelFormat::Rgb565 => (5, 6, 5),
                    PixelFormat::Xrgb1555 => (5, 5, 5),
                    _ => (8, 8, 8),
                };
                prop_assert_eq!(keep(rb, decoded.r), keep(rb, r));
                prop_assert_eq!(keep(gb, decoded.g), keep(gb, g));
                prop_assert_eq!(keep(bb, decoded.b), keep(bb, b));
                prop_assert_eq!(decoded.a, colour.a);
                if rb == 8 {
                    prop_assert_eq!(decoded, colour);
                }
            }
        }
    }
}
