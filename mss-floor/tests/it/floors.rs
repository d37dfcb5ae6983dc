//! The floors do the work they stand for: the server writes the region's real pixels.

use mss_core::{Frame, PixelFormat, Region};
use mss_floor::{FloorError, GetImageFloor, MemcpyFloor, ShmFloor};
use mss_testkit::{Scene, TestWindows, XServer, XvfbOptions};

/// A private Xvfb at `depth` showing the known scene (the scene drops first, closing its
/// connection before the server stops).
fn screen(width: u32, height: u32, depth: u8) -> (Scene, XServer) {
    let server = XServer::xvfb(&XvfbOptions::new(width, height, depth))
        .unwrap_or_else(|error| panic!("{error} (run `cargo xtask test`, which installs Xvfb)"));
    let scene = server.paint_scene().unwrap();
    (scene, server)
}

#[test]
fn shm_floor_reports_the_bytes_the_server_wrote() {
    let (scene, server) = screen(800, 600, 24);
    let region = Region::new(100, 50, 320, 200).unwrap();
    let floor = ShmFloor::open(server.display(), region).unwrap();
    assert_eq!(floor.frame_len(), 320 * 200 * 4);
    assert_eq!(floor.grab().unwrap() as usize, floor.frame_len());
    let bytes = floor.read_back().unwrap();
    // Pixel (0, 0) of the segment is the screen's (100, 50), in BGRX byte order.
    let expected = scene.expected(100, 50);
    assert_eq!(&bytes[..3], &[expected.b, expected.g, expected.r]);
    // And every other pixel of the region too.
    scene.assert_frame(&Frame::from_vec(bytes, region, PixelFormat::Bgrx8888).unwrap());
}

#[test]
fn getimage_floor_returns_header_and_pixels() {
    let (scene, server) = screen(800, 600, 24);
    let region = Region::new(5, 7, 64, 32).unwrap();
    let floor = GetImageFloor::open(server.display(), region).unwrap();
    let reply = floor.grab().unwrap();
    assert_eq!(reply.data().len(), 64 * 32 * 4);
    let expected = scene.expected(5, 7);
    assert_eq!(&reply.data()[..3], &[expected.b, expected.g, expected.r]);
    scene.assert_frame(
        &Frame::from_vec(reply.data().to_vec(), region, PixelFormat::Bgrx8888).unwrap(),
    );
}

#[test]
fn a_16_bit_screen_is_measured_in_its_own_layout() {
    let (scene, server) = screen(320, 240, 16);
    let region = Region::new(10, 20, 64, 30).unwrap();
    let floor = ShmFloor::open(server.display(), region).unwrap();
    assert_eq!(floor.frame_len(), 64 * 30 * 2);
    assert_eq!(floor.grab().unwrap() as usize, floor.frame_len());
    let frame = Frame::from_vec(floor.read_back().unwrap(), region, PixelFormat::Rgb565).unwrap();
    scene.assert_frame(&frame);
    let reply = GetImageFloor::open(server.display(), region)
        .unwrap()
        .grab()
        .unwrap();
    assert_eq!(reply.data().len(), 64 * 30 * 2);
}

#[test]
fn window_floors_read_the_whole_window_covered_parts_included() {
    let (_scene, server) = screen(640, 480, 24);
    let mut windows = TestWindows::connect(server.display()).unwrap();
    let placed = Region::new(40, 30, 200, 100).unwrap();
    let window = windows
        .create(placed, "mss-floor window", ("floor", "MssFloor"), 3)
        .unwrap();
    windows
        .create(
            Region::new(140, 80, 200, 100).unwrap(),
            "cover",
            ("cover", "MssFloor"),
            4,
        )
        .unwrap();
    let shm = ShmFloor::open_window(server.display(), window).unwrap();
    assert_eq!(shm.frame_len(), 200 * 100 * 4);
    shm.grab().unwrap();
    let frame = |bytes| Frame::from_vec(bytes, placed, PixelFormat::Bgrx8888).unwrap();
    windows.assert_window_frame(window, &frame(shm.read_back().unwrap()));
    let getimage = GetImageFloor::open_window(server.display(), window).unwrap();
    windows.assert_window_frame(window, &frame(getimage.grab().unwrap().data().to_vec()));
}

#[test]
fn a_region_off_the_protocol_range_is_refused_by_name() {
    let (_scene, server) = screen(800, 600, 24);
    let region = Region::new(0, 0, 70_000, 10).unwrap();
    let error = ShmFloor::open(server.display(), region).unwrap_err();
    assert!(matches!(error, FloorError::Unsupported { .. }), "{error:?}");
    assert!(error.to_string().contains("width"), "{error}");
}

#[test]
fn a_server_without_mit_shm_has_no_shm_floor_and_says_why() {
    let server = XServer::xvfb(&XvfbOptions::new(64, 48, 24).disable_extension("MIT-SHM"))
        .unwrap_or_else(|error| panic!("{error} (run `cargo xtask test`, which installs Xvfb)"));
    let region = Region::new(0, 0, 64, 48).unwrap();
    let error = ShmFloor::open(server.display(), region).unwrap_err();
    assert!(matches!(error, FloorError::Unsupported { .. }), "{error:?}");
    assert!(error.to_string().contains("MIT-SHM"), "{error}");
    // GetImage works on every server.
    GetImageFloor::open(server.display(), region)
        .unwrap()
        .grab()
        .unwrap();
}

#[test]
fn a_missing_display_is_a_connect_error_naming_it() {
    let region = Region::new(0, 0, 10, 10).unwrap();
    let error = GetImageFloor::open(":4094", region).unwrap_err();
    assert!(matches!(error, FloorError::Connect { .. }), "{error:?}");
    assert!(error.to_string().contains(":4094"), "{error}");
    let error = ShmFloor::open(":0\0", region).unwrap_err();
    assert!(
        matches!(&error, FloorError::Connect { reason, .. } if reason.contains("NUL")),
        "{error:?}"
    );
}

#[test]
fn memcpy_floor_copies_every_byte() {
    let source: Vec<u8> = (0..=255).cycle().take(4096).collect();
    let mut floor = MemcpyFloor::new(source.len());
    assert_eq!(floor.frame_len(), 4096);
    floor.copy(&source);
    assert_eq!(floor.copied(), source.as_slice());
}
