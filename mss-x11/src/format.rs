//! Screen format validation: from the connection setup alone, decide how the root window's
//! pixels are laid out, or say exactly which rule the screen breaks.

use mss_core::{Error, PixelFormat};
use x11rb::protocol::xproto::{ImageOrder, Setup, VisualClass, Visualid, Window};

/// How the pixels of one screen's root window are laid out, as the connection setup states it.
///
/// Built by [`validate_screen_format`]; every field was checked against the others, so a
/// backend can trust it when it sizes buffers and builds frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ScreenFormat {
    /// The root window.
    pub root: Window,
    /// The root window's depth in bits.
    pub depth: u8,
    /// The root window's visual.
    pub visual: Visualid,
    /// Bits one pixel takes in a ZPixmap image of this depth (16 or 32).
    pub bits_per_pixel: u8,
    /// Bits every ZPixmap row is padded to (8, 16 or 32).
    pub scanline_pad: u8,
    /// The layout of one pixel.
    pub format: PixelFormat,
}

impl ScreenFormat {
    /// Bytes from one row of a ZPixmap image `width` pixels wide to the next, padding
    /// included, as the server lays out GetImage and ShmGetImage results.
    pub fn stride_for(&self, width: u16) -> usize {
        let row_bits = usize::from(width) * usize::from(self.bits_per_pixel);
        let pad = usize::from(self.scanline_pad);
        row_bits.div_ceil(pad) * pad / 8
    }
}

/// Checks that screen `screen_index` of `setup` can be captured and returns its layout.
///
/// This is a pure function of the setup the server sent when the connection opened (no
/// request is made), so it is cheap and can be tested with made-up setups. The rules, in the
/// order they are checked: the screen exists; images are LSB-first; the root depth has a
/// depth entry listing the root visual; the visual is TrueColor or DirectColor (palette and
/// grey-scale screens cannot be converted to colours without a colormap); the depth has a
/// pixmap format; that format uses 16 or 32 bits per pixel and pads rows to 8, 16 or 32 bits;
/// and the depth, bits per pixel and channel masks are one of [`PixelFormat`]'s layouts.
///
/// # Errors
///
/// [`Error::UnsupportedFormat`] naming `display`, the root depth and the first rule broken;
/// [`Error::DisplayUnavailable`] if the setup has no screen `screen_index`.
pub(crate) fn validate_screen_format(
    setup: &Setup,
    screen_index: usize,
    display: &str,
) -> Result<ScreenFormat, Error> {
    let Some(screen) = setup.roots.get(screen_index) else {
        return Err(Error::DisplayUnavailable {
            display: display.to_owned(),
            reason: format!(
                "the server has no screen {screen_index} (it has {})",
                setup.roots.len()
            ),
            source: None,
        });
    };
    validate_visual(
        setup,
        screen,
        (screen.root_depth, screen.root_visual, "the root visual"),
        display,
    )
}

/// Checks that images of `depth` with visual `visual_id` (called `which` in messages) on
/// `screen` can be captured (the rules of [`validate_screen_format`] after the screen's
/// existence) and returns their layout. Windows of another depth than the root (a 32-bit ARGB window on
/// a 24-bit screen) go through this too.
///
/// # Errors
///
/// [`Error::UnsupportedFormat`] naming `display`, `depth` and the first rule broken.
pub(crate) fn validate_visual(
    setup: &Setup,
    screen: &x11rb::protocol::xproto::Screen,
    (depth, visual_id, which): (u8, Visualid, &str),
    display: &str,
) -> Result<ScreenFormat, Error> {
    let unsupported = |reason: String| Error::UnsupportedFormat {
        display: display.to_owned(),
        depth,
        reason,
    };

    if setup.image_byte_order != ImageOrder::LSB_FIRST {
        return Err(unsupported(
            "the server sends images MSB-first (big-endian); only LSB-first servers are supported"
                .to_owned(),
        ));
    }
    let depth_entry = screen
        .allowed_depths
        .iter()
        .find(|entry| entry.depth == depth)
        .ok_or_else(|| unsupported(format!("the screen lists no visuals for depth {depth}")))?;
    let visual = depth_entry
        .visuals
        .iter()
        .find(|visual| visual.visual_id == visual_id)
        .ok_or_else(|| {
            unsupported(format!(
                "{which} {:#x} is not listed for depth {depth}",
                visual_id
            ))
        })?;
    if visual.class != VisualClass::TRUE_COLOR && visual.class != VisualClass::DIRECT_COLOR {
        return Err(unsupported(format!(
            "{which} {:#x} is of class {}, which maps pixels through a colormap; only \
             TrueColor and DirectColor screens are supported",
            visual_id,
            visual_class_name(visual.class)
        )));
    }
    let pixmap_format = setup
        .pixmap_formats
        .iter()
        .find(|format| format.depth == depth)
        .ok_or_else(|| {
            unsupported(format!(
                "the server lists no pixmap format for depth {depth}"
            ))
        })?;
    let bits_per_pixel = pixmap_format.bits_per_pixel;
    if bits_per_pixel != 16 && bits_per_pixel != 32 {
        return Err(unsupported(format!(
            "images of depth {depth} use {bits_per_pixel} bits per pixel; only 16 and 32 are \
             supported"
        )));
    }
    let scanline_pad = pixmap_format.scanline_pad;
    if ![8, 16, 32].contains(&scanline_pad) {
        return Err(unsupported(format!(
            "images of depth {depth} pad rows to {scanline_pad} bits; only 8, 16 and 32 are \
             valid"
        )));
    }
    let format = PixelFormat::from_masks(
        depth,
        bits_per_pixel,
        visual.red_mask,
        visual.green_mask,
        visual.blue_mask,
    )
    .ok_or_else(|| {
        unsupported(format!(
            "channel masks red {:#x}, green {:#x}, blue {:#x} at {bits_per_pixel} bits per \
             pixel are not a supported layout",
            visual.red_mask, visual.green_mask, visual.blue_mask
        ))
    })?;
    Ok(ScreenFormat {
        root: screen.root,
        depth,
        visual: visual_id,
        bits_per_pixel,
        scanline_pad,
        format,
    })
}

/// The protocol's name of a visual class, for error messages.
fn visual_class_name(class: VisualClass) -> String {
    match class {
        VisualClass::STATIC_GRAY => "StaticGray".to_owned(),
        VisualClass::GRAY_SCALE => "GrayScale".to_owned(),
        VisualClass::STATIC_COLOR => "StaticColor".to_owned(),
        VisualClass::PSEUDO_COLOR => "PseudoColor".to_owned(),
        VisualClass::TRUE_COLOR => "TrueColor".to_owned(),
        VisualClass::DIRECT_COLOR => "DirectColor".to_owned(),
        other => format!("{}", u8::from(other)),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use x11rb::protocol::xproto::{Depth, Format, Screen, Visualtype};

    use super::*;

    const ROOT: Window = 0x1ab;
    const VISUAL: Visualid = 0x21;

    /// A setup like a depth-24 Xvfb's: LSB-first, 32 bpp, pad 32, BGRx masks.
    fn setup(depth: u8, bits_per_pixel: u8, masks: (u32, u32, u32)) -> Setup {
        let visual = Visualtype {
            visual_id: VISUAL,
            class: VisualClass::TRUE_COLOR,
            bits_per_rgb_value: 8,
            colormap_entries: 256,
            red_mask: masks.0,
            green_mask: masks.1,
            blue_mask: masks.2,
        };
        let screen = Screen {
            root: ROOT,
            root_visual: VISUAL,
            root_depth: depth,
            width_in_pixels: 320,
            height_in_pixels: 240,
            allowed_depths: vec![
                Depth {
                    depth: 1,
                    visuals: vec![],
                },
                Depth {
                    depth,
                    visuals: vec![visual],
                },
            ],
            ..Screen::default()
        };
        Setup {
            image_byte_order: ImageOrder::LSB_FIRST,
            pixmap_formats: vec![
                Format {
                    depth: 1,
                    bits_per_pixel: 1,
                    scanline_pad: 32,
                },
                Format {
                    depth,
                    bits_per_pixel,
                    scanline_pad: 32,
                },
            ],
            roots: vec![screen],
            ..Setup::default()
        }
    }

    fn depth24() -> Setup {
        setup(24, 32, (0xFF0000, 0xFF00, 0xFF))
    }

    fn reason_of(result: Result<ScreenFormat, Error>) -> (u8, String) {
        match result {
            Err(Error::UnsupportedFormat {
                display,
                depth,
                reason,
            }) => {
                assert_eq!(display, ":42");
                (depth, reason)
            }
            other => panic!("expected UnsupportedFormat, got {other:?}"),
        }
    }

    #[rstest]
    #[case(24, 32, PixelFormat::Bgrx8888)]
    #[case(32, 32, PixelFormat::Bgra8888)]
    #[case(16, 16, PixelFormat::Rgb565)]
    #[case(15, 16, PixelFormat::Xrgb1555)]
    #[case(30, 32, PixelFormat::Xrgb2101010)]
    fn supported_layouts_are_recognised(
        #[case] depth: u8,
        #[case] bits_per_pixel: u8,
        #[case] expected: PixelFormat,
    ) {
        let setup = setup(depth, bits_per_pixel, expected.channel_masks());
        let format = validate_screen_format(&setup, 0, ":42").unwrap();
        assert_eq!(
            format,
            ScreenFormat {
                root: ROOT,
                depth,
                visual: VISUAL,
                bits_per_pixel,
                scanline_pad: 32,
                format: expected,
            }
        );
    }

    #[test]
    fn direct_color_is_accepted() {
        let mut setup = depth24();
        setup.roots[0].allowed_depths[1].visuals[0].class = VisualClass::DIRECT_COLOR;
        assert_eq!(
            validate_screen_format(&setup, 0, ":42").unwrap().format,
            PixelFormat::Bgrx8888
        );
    }

    /// One mutation of a valid setup per rule, and the words its error must contain.
    #[rstest]
    #[case::msb_first(|s: &mut Setup| s.image_byte_order = ImageOrder::MSB_FIRST, 24, "MSB-first")]
    #[case::no_depth_entry(|s: &mut Setup| s.roots[0].allowed_depths.truncate(1), 24, "no visuals for depth 24")]
    #[case::no_visual(|s: &mut Setup| s.roots[0].allowed_depths[1].visuals.clear(), 24, "root visual 0x21 is not listed for depth 24")]
    #[case::static_gray(|s: &mut Setup| s.roots[0].allowed_depths[1].visuals[0].class = VisualClass::STATIC_GRAY, 24, "class StaticGray")]
    #[case::pseudo_color(|s: &mut Setup| s.roots[0].allowed_depths[1].visuals[0].class = VisualClass::PSEUDO_COLOR, 24, "class PseudoColor")]
    #[case::no_pixmap_format(|s: &mut Setup| s.pixmap_formats.truncate(1), 24, "no pixmap format for depth 24")]
    #[case::packed_24_bpp(|s: &mut Setup| s.pixmap_formats[1].bits_per_pixel = 24, 24, "24 bits per pixel")]
    #[case::bpp_16_for_depth_24(|s: &mut Setup| s.pixmap_formats[1].bits_per_pixel = 16, 24, "channel masks")]
    #[case::odd_pad(|s: &mut Setup| s.pixmap_formats[1].scanline_pad = 12, 24, "pad rows to 12 bits")]
    #[case::red_mask_zero(|s: &mut Setup| s.roots[0].allowed_depths[1].visuals[0].red_mask = 0, 24, "red 0x0, green 0xff00, blue 0xff")]
    #[case::rgb_not_bgr(|s: &mut Setup| s.roots[0].allowed_depths[1].visuals[0].blue_mask = 0xFF0000, 24, "channel masks")]
    fn each_broken_rule_has_its_own_error(
        #[case] mutate: fn(&mut Setup),
        #[case] depth: u8,
        #[case] fragment: &str,
    ) {
        let mut setup = depth24();
        mutate(&mut setup);
        let (actual_depth, reason) = reason_of(validate_screen_format(&setup, 0, ":42"));
        assert_eq!(actual_depth, depth);
        assert!(
            reason.contains(fragment),
            "{reason:?} should contain {fragment:?}"
        );
    }

    #[test]
    fn depth_8_palette_screen_is_refused_by_name() {
        let mut setup = setup(8, 8, (0, 0, 0));
        setup.roots[0].allowed_depths[1].visuals[0].class = VisualClass::PSEUDO_COLOR;
        let error = validate_screen_format(&setup, 0, ":42").unwrap_err();
        assert_eq!(
            error.to_string(),
            "display \":42\": screen of depth 8 cannot be captured: the root visual 0x21 is of \
             class PseudoColor, which maps pixels through a colormap; only TrueColor and \
             DirectColor screens are supported"
        );
    }

    #[test]
    fn missing_screen_is_display_unavailable() {
        let error = validate_screen_format(&depth24(), 1, ":42").unwrap_err();
        assert!(
            matches!(&error, Error::DisplayUnavailable { display, .. } if display == ":42"),
            "{error:?}"
        );
        assert!(error.to_string().contains("no screen 1 (it has 1)"));
    }

    #[rstest]
    #[case(32, 32, 1, 4)]
    #[case(32, 32, 7, 28)]
    #[case(16, 32, 1, 4)]
    #[case(16, 32, 3, 8)]
    #[case(16, 32, 4, 8)]
    #[case(16, 16, 3, 6)]
    #[case(16, 8, 3, 6)]
    #[case(32, 32, u16::MAX, 262_140)]
    fn stride_pads_rows(
        #[case] bits_per_pixel: u8,
        #[case] scanline_pad: u8,
        #[case] width: u16,
        #[case] stride: usize,
    ) {
        let mut format = validate_screen_format(&depth24(), 0, ":42").unwrap();
        format.bits_per_pixel = bits_per_pixel;
        format.scanline_pad = scanline_pad;
        assert_eq!(format.stride_for(width), stride);
    }
}
