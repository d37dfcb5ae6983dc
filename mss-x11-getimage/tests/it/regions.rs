use mss_core::{Capture, Error, Region};
use mss_x11_getimage::GetImageCapture;

use crate::support::{region, scene, xvfb};

/// Regions partly or wholly off a 320x240 screen, including ones beyond the protocol's
/// int16 positions and uint16 sizes.
fn off_screen_regions() -> Vec<(&'static str, Region)> {
    vec![
        ("partly right", region(300, 0, 40, 10)),
        ("partly below", region(0, 235, 10, 10)),
        ("partly left", region(-5, 0, 10, 10)),
        ("partly above", region(0, -1, 10, 10)),
        ("the screen and more", region(-1, -1, 322, 242)),
        ("one pixel too wide", region(0, 0, 321, 240)),
        ("wholly off", region(400, 300, 10, 10)),
        ("wholly off, negative", region(-100, -100, 10, 10)),
        ("beyond int16 position", region(40_000, 0, 10, 10)),
        ("beyond int16, negative", region(0, -40_000, 10, 10)),
        ("beyond uint16 size", region(0, 0, 70_000, 1)),
        ("extreme", region(i32::MIN, i32::MIN, u32::MAX, u32::MAX)),
    ]
}

#[test]
fn regions_off_the_screen_are_refused_with_their_geometry() {
    let server = xvfb(320, 240, 24);
    let scene = scene(&server);
    let mut capture = GetImageCapture::open(Some(server.display())).unwrap();
    let screen = region(0, 0, 320, 240);
    for (case, asked) in off_screen_regions() {
        let error = capture.grab(asked).unwrap_err();
        assert!(
            matches!(&error, Error::RegionOutOfBounds { display, region, screen: actual }
                if display == server.display() && *region == asked && *actual == screen),
            "{case}: {error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "region {}x{} at ({}, {}) is not inside the screen of display {:?}, which is \
                 320x240 at (0, 0)",
                asked.width(),
                asked.height(),
                asked.left(),
                asked.top(),
                server.display()
            ),
            "{case}"
        );
    }
    // Refusals leave the capturer usable.
    scene.assert_frame(&capture.grab(screen).unwrap());
}

#[test]
fn the_screen_edges_are_inside() {
    let server = xvfb(320, 240, 24);
    let scene = scene(&server);
    let mut capture = GetImageCapture::open(Some(server.display())).unwrap();
    for asked in [
        region(319, 0, 1, 240),
        region(0, 239, 320, 1),
        region(319, 239, 1, 1),
    ] {
        scene.assert_frame(&capture.grab(asked).unwrap());
    }
}
