//! Integration tests of the Wayland backend on a private headless sway.

use mss_core::{Capture, Region, Rgba};
use mss_testkit::{SwayOptions, WaylandScene, WaylandServer};
use mss_wayland::WaylandCapture;

#[test]
fn smoke() {
    let server =
        WaylandServer::start(&SwayOptions::new().outputs(&[(640, 480), (320, 240)])).unwrap();
    let display = server.wayland_display().to_str().unwrap().to_owned();
    let mut scene = WaylandScene::paint(&display).unwrap();
    let mut capture = WaylandCapture::open(Some(&display)).unwrap();
    let frame = capture.grab_monitor(1).unwrap();
    scene.assert_frame(&frame);
    let frame = capture.grab_monitor(2).unwrap();
    scene.assert_frame(&frame);
    let frame = capture.grab_screen().unwrap();
    scene.assert_frame(&frame);
    scene
        .paint_rect(
            Region::new(600, 100, 100, 50).unwrap(),
            Rgba::rgb(10, 200, 30),
        )
        .unwrap();
    let frame = capture.grab_screen().unwrap();
    scene.assert_frame(&frame);
}
