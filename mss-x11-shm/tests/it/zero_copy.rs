//! Frames point into the segment the server wrote, and segments are reused.

use mss_core::{Capture, Frame, Region};
use mss_testkit::XServer;
use mss_testkit::memory::{Mapping, mapping_holding, mappings};
use mss_x11_shm::ShmOptions;

use crate::support::{default_painted, open};

/// The memfd mapping of this process that holds every byte of `frame`, checked to be mapped
/// by `server`'s process too: the server's and this process's view of the same memory, which
/// is where the server wrote the pixels. A frame copied out of a segment, into the heap or
/// into any memory of this process alone, fails here.
fn shared_with_the_server(frame: &Frame, server: &XServer) -> Mapping {
    let bytes = frame.bytes();
    let mapping = mapping_holding(bytes.as_ptr(), bytes.len())
        .unwrap()
        .unwrap_or_else(|| panic!("no mapping of this process holds the frame's bytes"));
    assert!(mapping.is_memfd(), "the frame is not in a memfd: {mapping}");
    let servers = mappings(Some(server.pid())).unwrap();
    assert!(
        servers.iter().any(|theirs| theirs.same_file(&mapping)),
        "the X server does not map the frame's memfd ({mapping}); it maps:\n{}",
        servers
            .iter()
            .filter(|theirs| theirs.is_memfd())
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    mapping
}

#[test]
fn a_frame_is_the_segment_the_server_wrote_and_the_next_grab_reuses_it() {
    let painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new());
    let first = capture.grab_screen().unwrap();
    painted.scene.assert_frame(&first);
    let segment = shared_with_the_server(&first, &painted.server);
    let address = first.bytes().as_ptr();
    drop(first);

    // Same memory, different content: the server wrote the new region into the same segment.
    let region = Region::new(100, 50, 17, 9).unwrap();
    let second = capture.grab(region).unwrap();
    assert_eq!(second.bytes().as_ptr(), address);
    assert_eq!(shared_with_the_server(&second, &painted.server), segment);
    painted.scene.assert_frame(&second);
    assert_eq!(capture.pool_stats().unwrap().live, 1);
    // A frame grabbed while it is held is another segment, which the server maps as well.
    let third = capture.grab(Region::new(3, 4, 50, 60).unwrap()).unwrap();
    painted.scene.assert_frame(&third);
    assert!(!shared_with_the_server(&third, &painted.server).same_file(&segment));
    assert_eq!(capture.pool_stats().unwrap().live, 2);
}

#[test]
fn window_grabs_and_stream_frames_are_the_servers_memory_too() {
    let painted = default_painted();
    let mut windows = mss_testkit::TestWindows::connect(painted.server.display()).unwrap();
    let window = windows
        .create(
            Region::new(40, 30, 200, 150).unwrap(),
            "Shared",
            ("shared", "TestApp"),
            1,
        )
        .unwrap();
    let mut capture = open(painted.server.display(), ShmOptions::new());
    let frame = capture.grab_window(u64::from(window)).unwrap();
    windows.assert_window_frame(window, &frame);
    shared_with_the_server(&frame, &painted.server);
    drop(frame);
    // Both stream paths: copies of what changed into a shared pixmap, and whole frames.
    let beside = mss_core::StreamTarget::Region(Region::new(300, 250, 120, 90).unwrap());
    for options in [
        mss_core::StreamOptions::new().target(beside),
        mss_core::StreamOptions::new()
            .target(beside)
            .use_damage(false),
    ] {
        let mut stream = capture.stream(&options).unwrap();
        let streamed = stream.next_frame().unwrap();
        painted.scene.assert_frame(&streamed.frame);
        shared_with_the_server(&streamed.frame, &painted.server);
    }
}

#[test]
fn frames_can_be_written_in_place_without_a_copy() {
    let painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new());
    let mut frame = capture.grab(Region::new(0, 0, 4, 4).unwrap()).unwrap();
    let address = frame.bytes().as_ptr();
    let segment = shared_with_the_server(&frame, &painted.server);
    frame.bytes_mut()[..4].copy_from_slice(&[1, 2, 3, 0]);
    assert_eq!(
        frame.bytes().as_ptr(),
        address,
        "shared memory is writable: no copy on write"
    );
    assert_eq!(shared_with_the_server(&frame, &painted.server), segment);
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
