use mss_core::{Capture, PixelFormat, Region};
use mss_testkit::{KnownScene, backend_test};

/// Grabs `region` and checks every pixel against the scene.
fn check(
    capture: &mut dyn Capture,
    scene: &dyn KnownScene,
    left: i32,
    top: i32,
    width: u32,
    height: u32,
) {
    let region = Region::new(left, top, width, height).unwrap();
    let frame = capture
        .grab(region)
        .unwrap_or_else(|error| panic!("grabbing {region}: {error}"));
    assert_eq!(frame.region(), region);
    assert_eq!((frame.width(), frame.height()), (width, height));
    scene.assert_frame(&frame);
}

/// Every width 1..=`max_width` and height 1..=`max_height` at an odd offset, so that row
/// padding and unaligned starts show.
fn check_odd_sizes(
    capture: &mut dyn Capture,
    scene: &dyn KnownScene,
    max_width: u32,
    max_height: u32,
) {
    for width in 1..=max_width {
        for height in 1..=max_height {
            check(capture, scene, 101, 53, width, height);
        }
    }
}

/// Regions touching each edge and each corner, and single pixels at the corners and centre.
fn check_edges_and_corners(capture: &mut dyn Capture, scene: &dyn KnownScene) {
    let (width, height) = (scene.region().width(), scene.region().height());
    let (right, bottom) = (width as i32, height as i32);
    let (strip_width, strip_height) = (37, 23);
    let (sw, sh) = (strip_width as i32, strip_height as i32);
    let regions = [
        // Touching one edge each: left, top, right, bottom.
        (0, 40, strip_width, strip_height),
        (40, 0, strip_width, strip_height),
        (right - sw, 40, strip_width, strip_height),
        (40, bottom - sh, strip_width, strip_height),
        // Each corner.
        (0, 0, strip_width, strip_height),
        (right - sw, 0, strip_width, strip_height),
        (0, bottom - sh, strip_width, strip_height),
        (right - sw, bottom - sh, strip_width, strip_height),
        // Full-width and full-height strips.
        (0, 17, width, 3),
        (17, 0, 3, height),
        // Single pixels: corners and centre.
        (0, 0, 1, 1),
        (right - 1, 0, 1, 1),
        (0, bottom - 1, 1, 1),
        (right - 1, bottom - 1, 1, 1),
        (right / 2, bottom / 2, 1, 1),
    ];
    for (left, top, region_width, region_height) in regions {
        check(capture, scene, left, top, region_width, region_height);
    }
}

backend_test!(fn full_screen_is_pixel_exact(capture, scene) {
    let frame = capture.grab_screen().unwrap();
    assert_eq!(frame.region(), Region::new(0, 0, 640, 480).unwrap());
    assert_eq!(frame.format(), PixelFormat::Bgrx8888);
    scene.assert_frame(&frame);
    let status = capture.status();
    assert!(status.proven, "{status}");
    assert_eq!(status.backend, capture.backend_name());
});

backend_test!(fn edges_corners_and_single_pixels_are_exact(capture, scene) {
    check_edges_and_corners(capture, scene);
});

backend_test!(fn odd_sizes_at_odd_offsets_are_exact(capture, scene) {
    check_odd_sizes(capture, scene, 9, 5);
});

#[cfg(any(feature = "x11-shm", feature = "x11-getimage"))]
backend_test!(#[server(mss_testkit::XvfbOptions::new(333, 211, 16))]
fn rgb565_screens_are_exact_after_conversion(capture, scene) {
    assert_eq!(scene.format(), PixelFormat::Rgb565);
    assert_eq!(capture.screen().unwrap().format, PixelFormat::Rgb565);
    scene.assert_frame(&capture.grab_screen().unwrap());
    check_edges_and_corners(capture, scene);
    check_odd_sizes(capture, scene, 5, 3);
});

#[cfg(any(feature = "x11-shm", feature = "x11-getimage"))]
backend_test!(#[server(mss_testkit::XvfbOptions::new(333, 211, 30))]
fn depth_30_screens_are_exact_after_conversion(capture, scene) {
    assert_eq!(scene.format(), PixelFormat::Xrgb2101010);
    assert_eq!(capture.screen().unwrap().depth, 30);
    scene.assert_frame(&capture.grab_screen().unwrap());
    check_edges_and_corners(capture, scene);
    check_odd_sizes(capture, scene, 5, 3);
});

#[cfg(any(feature = "x11-shm", feature = "x11-getimage"))]
backend_test!(#[server(mss_testkit::XvfbOptions::new(257, 129, 24).disable_extension("MIT-SHM"))]
fn screens_without_mit_shm_are_exact(capture, scene) {
    scene.assert_frame(&capture.grab_screen().unwrap());
    check(capture, scene, 255, 127, 2, 2);
    // Without MIT-SHM every backend ends up grabbing with plain GetImage, and says so.
    let status = capture.status();
    assert_eq!(status.method, "GetImage", "{status}");
    assert!(!status.zero_copy, "{status}");
});

/// Grabs `region` once the screen shows `scene`: at once where captures see changes at once
/// (X11, wlr-screencopy); where the compositor pushes frames after showing them (a PipeWire
/// screen cast), grabs are taken until one shows the change, for at most a minute.
fn grab_after_change(
    capture: &mut dyn Capture,
    scene: &dyn KnownScene,
    region: Region,
) -> mss_core::Frame {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let frame = capture.grab(region).unwrap();
        if scene.captures_see_changes_at_once() || scene.check_frame(&frame).is_ok() {
            return frame;
        }
        if std::time::Instant::now() >= deadline {
            return frame;
        }
    }
}

backend_test!(fn a_changed_scene_shows_in_the_next_grab(capture, scene, server) {
    let before = capture.grab(Region::new(10, 10, 20, 20).unwrap()).unwrap();
    scene.assert_frame(&before);
    // A second scene painted on the same server replaces the first; frames follow the screen.
    let mut repainted = server.paint_scene().unwrap();
    let colour = mss_core::Rgba::rgb(200, 100, 50);
    repainted.paint_rect(Region::new(15, 15, 5, 5).unwrap(), colour).unwrap();
    let after = grab_after_change(capture, repainted.as_ref(), Region::new(10, 10, 20, 20).unwrap());
    repainted.assert_frame(&after);
    assert_eq!(after.pixel(5, 5), Some(colour));
    assert!(scene.check_frame(&after).is_err());
});
