//! The floors do the work they stand for: the server writes the region's real pixels.

use mss_bench::{BenchScreen, FloorError, GetImageFloor, ScreenSize, ShmFloor};
use mss_core::Region;

fn screen() -> BenchScreen {
    BenchScreen::start(ScreenSize::new(800, 600))
        .unwrap_or_else(|error| panic!("{error} (run `cargo xtask test`, which installs Xvfb)"))
}

#[test]
fn every_backend_and_floor_captures_the_scene() {
    let screen = screen();
    screen
        .check_backends(Region::new(0, 0, 800, 600).unwrap())
        .unwrap();
    screen
        .check_backends(Region::new(17, 33, 640, 480).unwrap())
        .unwrap();
}

#[test]
fn shm_floor_reports_the_bytes_the_server_wrote() {
    let screen = screen();
    let region = Region::new(100, 50, 320, 200).unwrap();
    let floor = ShmFloor::open(screen.display(), region).unwrap();
    assert_eq!(floor.frame_len(), 320 * 200 * 4);
    assert_eq!(floor.grab().unwrap() as usize, floor.frame_len());
    let bytes = floor.read_back().unwrap();
    // Pixel (0, 0) of the segment is the screen's (100, 50), in BGRX byte order.
    let expected = screen.scene().expected(100, 50);
    assert_eq!(&bytes[..3], &[expected.b, expected.g, expected.r]);
}

#[test]
fn getimage_floor_returns_header_and_pixels() {
    let screen = screen();
    let region = Region::new(5, 7, 64, 32).unwrap();
    let floor = GetImageFloor::open(screen.display(), region).unwrap();
    let reply = floor.grab().unwrap();
    assert_eq!(reply.data().len(), 64 * 32 * 4);
    let expected = screen.scene().expected(5, 7);
    assert_eq!(&reply.data()[..3], &[expected.b, expected.g, expected.r]);
}

#[test]
fn a_region_off_the_protocol_range_is_refused_by_name() {
    let screen = screen();
    let region = Region::new(0, 0, 70_000, 10).unwrap();
    let error = ShmFloor::open(screen.display(), region).unwrap_err();
    assert!(matches!(error, FloorError::Unsupported { .. }), "{error:?}");
    assert!(error.to_string().contains("width"), "{error}");
}

#[test]
fn a_missing_display_is_a_connect_error_naming_it() {
    let region = Region::new(0, 0, 10, 10).unwrap();
    let error = GetImageFloor::open(":4094", region).unwrap_err();
    assert!(matches!(error, FloorError::Connect { .. }), "{error:?}");
    assert!(error.to_string().contains(":4094"), "{error}");
}
