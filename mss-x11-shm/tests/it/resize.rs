//! A screen that grows while the capturer lives: segments follow it.

use mss_core::{Capture, Region};
use mss_testkit::server::{DummyOptions, XServer};
use mss_x11_shm::ShmOptions;

use crate::support::open;

#[test]
fn when_the_screen_grows_too_small_segments_are_replaced_not_accumulated() {
    let server =
        XServer::xorg_dummy(&DummyOptions::new()).unwrap_or_else(|error| panic!("{error}"));
    server.set_mode("DUMMY0", "1024x768").unwrap();
    let scene = server
        .paint_scene()
        .unwrap_or_else(|error| panic!("{error}"));
    let mut capture = open(server.display(), ShmOptions::new());
    let before = capture.grab_screen().unwrap();
    assert_eq!((before.width(), before.height()), (1024, 768));
    scene.assert_frame(&before);
    drop(before);
    assert_eq!(capture.pool_stats().unwrap().live, 1);

    server
        .enable_output("DUMMY1", "800x600", Some("DUMMY0"))
        .unwrap();
    let after = capture.grab_screen().unwrap();
    assert_eq!((after.width(), after.height()), (1824, 768));
    // The painted area is unchanged; the new area shows whatever the server fills it with.
    let original = Region::new(0, 0, 1024, 768).unwrap();
    let original_part = capture.grab(original);
    assert!(matches!(capture.status().method, mss_x11_shm::METHOD_SHM));
    let stats = capture.pool_stats().unwrap();
    assert_eq!(
        (stats.live, stats.leased),
        (2, 2),
        "the 1024x768 segment was detached and replaced; two frames hold the two live ones"
    );
    scene.assert_frame(&original_part.unwrap());
    drop(after);
}
