//! Window captures with a pool that runs out: the error is clear, no pixmap the capture named
//! is left on the server, and a window that moved or resized is captured with a single
//! segment.

use mss_core::{Capture, Error, Region};
use mss_testkit::TestWindows;
use mss_x11_shm::ShmOptions;

use crate::support::{default_painted, open};

fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
    Region::new(left, top, width, height).unwrap()
}

#[test]
fn a_held_pool_fails_window_grabs_clearly_and_leaves_no_pixmap_behind() {
    let painted = default_painted();
    let display = painted.server.display();
    let mut windows = TestWindows::connect(display).unwrap();
    let window = windows
        .create(region(40, 30, 200, 150), "Held", ("held", "TestApp"), 1)
        .unwrap();
    let mut capture = open(display, ShmOptions::new().max_buffers(1));
    let held = capture.grab_window(u64::from(window)).unwrap();
    windows.assert_window_frame(window, &held);
    let pixmaps = windows.server_pixmaps().unwrap();
    for _ in 0..20 {
        let error = capture.grab_window(u64::from(window)).unwrap_err();
        assert!(
            matches!(error, Error::BuffersExhausted { limit: 1 }),
            "{error:?}"
        );
    }
    assert_eq!(windows.server_pixmaps().unwrap(), pixmaps);
    // The window changed while the pool was held: the same, with the guess wrong.
    windows.resize(window, 180, 120).unwrap();
    capture.grab_window(u64::from(window)).unwrap_err();
    assert_eq!(windows.server_pixmaps().unwrap(), pixmaps);
    drop(held);
    windows.assert_window_frame(window, &capture.grab_window(u64::from(window)).unwrap());
}

#[test]
fn a_window_moved_or_resized_is_captured_with_a_single_segment() {
    let painted = default_painted();
    let display = painted.server.display();
    let mut windows = TestWindows::connect(display).unwrap();
    let window = windows
        .create(region(40, 30, 200, 150), "Single", ("single", "TestApp"), 2)
        .unwrap();
    let mut capture = open(display, ShmOptions::new().max_buffers(1));
    windows.assert_window_frame(window, &capture.grab_window(u64::from(window)).unwrap());
    // Each change makes the last capture's guess wrong: its segment must go back before
    // the right one is asked for.
    windows.resize(window, 160, 100).unwrap();
    let resized = capture.grab_window(u64::from(window)).unwrap();
    assert_eq!(resized.region(), region(40, 30, 160, 100));
    windows.assert_window_frame(window, &resized);
    drop(resized);
    windows.move_to(window, 300, 200).unwrap();
    let moved = capture.grab_window(u64::from(window)).unwrap();
    assert_eq!(moved.region(), region(300, 200, 160, 100));
    windows.assert_window_frame(window, &moved);
}
