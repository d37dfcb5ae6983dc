//! Layouts whose outputs leave parts of their bounding box empty: outputs of different sizes
//! side by side (an empty corner below the smaller one) and outputs far apart. Where no output
//! is, a frame is opaque black; a region that touches no output is an error naming it; a frame
//! past the size limit is refused before anything is allocated; streams of such regions say
//! the same.

use std::time::{Duration, Instant};

use mss_core::{Capture, Error, Frame, Region, Rgba, StreamOptions, StreamTarget};
use mss_testkit::{SwayOptions, WaylandScene, WaylandServer};
use mss_wayland::WaylandCapture;

use super::{display, region, sway};

/// 1280x720 beside 640x480: the bounding box is 1920x720, and its bottom-right corner below the
/// second output (640x240 at (1280, 480)) is on no output.
const SIDE_BY_SIDE: [(u32, u32); 2] = [(1280, 720), (640, 480)];

/// Where the outputs of [`SIDE_BY_SIDE`] are.
fn side_by_side_outputs() -> [Region; 2] {
    [region(0, 0, 1280, 720), region(1280, 0, 640, 480)]
}

/// The empty corner of [`SIDE_BY_SIDE`].
fn empty_corner() -> Region {
    region(1280, 480, 640, 240)
}

/// Asserts that every pixel of `frame` outside `outputs` holds exactly the bytes of opaque
/// black in the frame's format (zero bytes; alpha 0xff where the format has alpha), and that
/// there is at least one such pixel.
fn assert_opaque_black_off_the_outputs(frame: &Frame, outputs: &[Region]) {
    let format = frame.format();
    let step = format.bytes_per_pixel();
    let black = format.encode(Rgba::rgb(0, 0, 0)).to_le_bytes();
    let placed = frame.region();
    let mut off_the_outputs = 0;
    for (y, row) in frame.rows().enumerate() {
        for (x, pixel) in row.chunks_exact(step).enumerate() {
            let (screen_x, screen_y) = (placed.left() + x as i32, placed.top() + y as i32);
            if outputs
                .iter()
                .any(|output| output.contains_point(screen_x, screen_y))
            {
                continue;
            }
            off_the_outputs += 1;
            assert_eq!(
                pixel,
                &black[..step],
                "({screen_x}, {screen_y}) is on no output"
            );
        }
    }
    assert!(off_the_outputs > 0, "{placed} lies on the outputs only");
}

#[test]
fn a_region_across_the_empty_corner_is_the_outputs_pixels_and_black_elsewhere() {
    let server = sway(&SIDE_BY_SIDE);
    let scene = WaylandScene::paint(&display(&server)).unwrap();
    let mut capture = WaylandCapture::open(Some(&display(&server))).unwrap();
    let outputs = side_by_side_outputs();
    // Across both outputs and the corner; then across the first output and the corner only.
    for across in [region(1200, 400, 200, 200), region(1270, 700, 20, 20)] {
        let frame = capture.grab(across).unwrap();
        assert_eq!(frame.region(), across);
        scene.assert_frame(&frame);
        assert_opaque_black_off_the_outputs(&frame, &outputs);
    }
    // Monitor 0 is the whole bounding box, the corner included.
    let screen = capture.grab_monitor(0).unwrap();
    assert_eq!(screen.region(), region(0, 0, 1920, 720));
    scene.assert_frame(&screen);
    assert_opaque_black_off_the_outputs(&screen, &outputs);
}

#[test]
fn a_region_that_touches_no_output_is_an_error_naming_it_in_the_gap() {
    let server = sway(&SIDE_BY_SIDE);
    let scene = WaylandScene::paint(&display(&server)).unwrap();
    let mut capture = WaylandCapture::open(Some(&display(&server))).unwrap();
    let screen = region(0, 0, 1920, 720);
    // Inside the corner, and the whole corner exactly.
    for gap in [region(1400, 600, 50, 50), empty_corner()] {
        let error = capture.grab(gap).unwrap_err();
        assert!(
            matches!(&error, Error::RegionOutOfBounds { region, screen: s, display: d }
                if *region == gap && *s == screen && *d == display(&server)),
            "{gap}: {error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(&gap.to_string()), "{message}");
        assert!(message.contains("gap between"), "{message}");
    }
    // The capturer still works after refusing.
    scene.assert_frame(&capture.grab(region(1270, 470, 20, 20)).unwrap());
}

#[test]
fn streams_of_regions_by_the_empty_corner_give_exact_frames_or_the_named_error() {
    let server = sway(&SIDE_BY_SIDE);
    let scene = WaylandScene::paint(&display(&server)).unwrap();
    let mut capture = WaylandCapture::open(Some(&display(&server))).unwrap();
    let across = region(1200, 400, 200, 200);
    {
        let mut stream = capture
            .stream(&StreamOptions::new().target(StreamTarget::Region(across)))
            .unwrap();
        for sequence in 0..3 {
            let frame = stream.next_frame().unwrap();
            assert_eq!(frame.sequence, sequence);
            assert_eq!(frame.frame.region(), across);
            scene.assert_frame(&frame.frame);
            assert_opaque_black_off_the_outputs(&frame.frame, &side_by_side_outputs());
        }
    }
    let gap = region(1400, 600, 50, 50);
    let mut stream = capture
        .stream(&StreamOptions::new().target(StreamTarget::Region(gap)))
        .unwrap();
    let error = stream
        .next_frame_before(Some(Instant::now() + Duration::from_secs(60)))
        .unwrap_err();
    assert!(
        matches!(&error, Error::RegionOutOfBounds { region, .. } if *region == gap),
        "{error:?}"
    );
    assert!(error.to_string().contains("gap between"), "{error}");
}

#[test]
fn a_frame_past_the_size_limit_is_refused_saying_so_and_each_output_still_grabs() {
    // Far apart: the bounding box is 20320x20240, about 1.6 GB at 4 bytes a pixel.
    let server = WaylandServer::start(
        &SwayOptions::new().outputs_at(&[(0, 0, 640, 480), (20000, 20000, 320, 240)]),
    )
    .unwrap_or_else(|error| panic!("cannot start sway ({error})"));
    let scene = WaylandScene::paint(&display(&server)).unwrap();
    let mut capture = WaylandCapture::open(Some(&display(&server))).unwrap();
    let monitors = capture.monitors().unwrap();
    assert_eq!(monitors.all(), region(0, 0, 20320, 20240));
    for error in [
        capture.grab_monitor(0).unwrap_err(),
        capture.grab(region(500, 400, 19800, 19700)).unwrap_err(),
    ] {
        assert!(
            matches!(&error, Error::Unsupported { backend: "wayland", reason, .. }
                if reason.contains("limit of 1073741824 bytes")),
            "{error:?}"
        );
    }
    // Within the limit, a region partly on the first output is assembled, black off it.
    let within = region(600, 440, 100, 100);
    let frame = capture.grab(within).unwrap();
    assert_eq!(frame.region(), within);
    scene.assert_frame(&frame);
    assert_opaque_black_off_the_outputs(&frame, &[region(0, 0, 640, 480)]);
    for number in [1, 2] {
        scene.assert_frame(&capture.grab_monitor(number).unwrap());
    }
}
