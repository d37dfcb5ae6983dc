use mss_core::{Capture, Error, PixelFormat};
use mss_x11_getimage::GetImageCapture;
use rstest::rstest;

use crate::support::{assert_grabs_match_scene, scene, xvfb};

#[rstest]
#[case(16, PixelFormat::Rgb565)]
#[case(15, PixelFormat::Xrgb1555)]
#[case(24, PixelFormat::Bgrx8888)]
#[case(30, PixelFormat::Xrgb2101010)]
fn native_formats_are_captured_exactly(#[case] depth: u8, #[case] format: PixelFormat) {
    let server = xvfb(320, 240, depth);
    let scene = scene(&server);
    assert_eq!(scene.format(), format);
    let mut capture = GetImageCapture::open(Some(server.display())).unwrap();
    let screen = capture.screen().unwrap();
    assert_eq!((screen.width, screen.height), (320, 240));
    assert_eq!((screen.depth, screen.format), (depth, format));
    assert_eq!(capture.display().format(), format);
    assert_grabs_match_scene(&mut capture, &scene);
}

#[test]
fn rows_of_16_bit_frames_carry_the_servers_padding() {
    let server = xvfb(320, 240, 16);
    let mut capture = GetImageCapture::open(Some(server.display())).unwrap();
    let frame = capture.grab(crate::support::region(1, 1, 3, 2)).unwrap();
    // Three 2-byte pixels padded to 32 bits per row.
    assert_eq!(frame.stride(), 8);
    assert!(!frame.is_packed());
}

#[test]
fn depth_8_is_refused_naming_the_depth() {
    let server = xvfb(320, 240, 8);
    let error = GetImageCapture::open(Some(server.display())).unwrap_err();
    assert!(
        matches!(&error, Error::UnsupportedFormat { display, depth: 8, .. } if display == server.display()),
        "{error:?}"
    );
    let message = error.to_string();
    let prefix = format!(
        "display {:?}: screen of depth 8 cannot be captured: the root visual ",
        server.display()
    );
    assert!(message.starts_with(&prefix), "{message}");
    assert!(
        message.ends_with(
            "is of class PseudoColor, which maps pixels through a colormap; only TrueColor and \
             DirectColor screens are supported"
        ),
        "{message}"
    );
}
