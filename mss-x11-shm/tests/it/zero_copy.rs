//! Frames point into the segment the server wrote, and segments are reused.

use mss_core::{Capture, Region};
use mss_x11_shm::ShmOptions;

use crate::support::{default_painted, open};

#[test]
fn a_frame_is_the_segment_the_server_wrote_and_the_next_grab_reuses_it() {
    let painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new());
    let first = capture.grab_screen().unwrap();
    painted.scene.assert_frame(&first);
    let address = first.bytes().as_ptr();
    drop(first);

    // Same memory, different content: the server wrote the new region into the same segment.
    let region = Region::new(100, 50, 17, 9).unwrap();
    let second = capture.grab(region).unwrap();
    assert_eq!(second.bytes().as_ptr(), address);
    painted.scene.assert_frame(&second);
    assert_eq!(capture.pool_stats().unwrap().live, 1);
}

#[test]
fn frames_can_be_written_in_place_without_a_copy() {
    let painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new());
    let mut frame = capture.grab(Region::new(0, 0, 4, 4).unwrap()).unwrap();
    let address = frame.bytes().as_ptr();
    frame.bytes_mut()[..4].copy_from_slice(&[1, 2, 3, 0]);
    assert_eq!(
        frame.bytes().as_ptr(),
        address,
        "shared memory is writable: no copy on write"
    );
    assert_eq!(frame.pixel(0, 0), Some(mss_core::Rgba::rgb(3, 2, 1)));
}

#[test]
fn rows_are_tightly_packed_at_depth_24() {
    let painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new());
    let frame = capture.grab(Region::new(3, 3, 7, 5).unwrap()).unwrap();
    assert_eq!(frame.stride(), 7 * 4);
    assert!(frame.is_packed());
}
