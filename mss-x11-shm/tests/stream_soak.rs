//! 100,000 streamed frames: memory and file descriptors stay flat while the screen changes,
//! frames are held, and slots rotate.
//!
//! Its own test binary, so its own process: resident memory and open descriptors are
//! process-wide, and other tests running in parallel threads would move both.
#![forbid(unsafe_code)]

#[path = "it/support.rs"]
#[allow(
    dead_code,
    reason = "shared with the `it` binary, which uses all of it"
)]
mod support;

#[path = "it/process_stats.rs"]
mod process_stats;

use mss_core::{Capture, Changes, Region, Rgba, StreamOptions};
use mss_x11_shm::ShmOptions;

use process_stats::{open_descriptors, resident_bytes};
use support::{default_painted, open};

const FRAMES: u64 = 100_000;

#[test]
fn a_hundred_thousand_streamed_frames_keep_memory_and_descriptors_flat() {
    let mut painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new());
    let mut stream = capture.stream(&StreamOptions::new().in_flight(2)).unwrap();
    let square = |index: u64| {
        Region::new((index * 7 % 600) as i32, (index * 3 % 440) as i32, 24, 24).unwrap()
    };
    let mut held = None;
    let mut before = None;
    let mut painted_count = 0u64;
    let mut next_sequence = 0u64;
    for index in 0..FRAMES {
        // Every 50th frame the screen changes, so rectangles are copied into rotating slots
        // (with two in flight, the change shows one or two frames later).
        if index % 50 == 0 {
            painted_count += 1;
            let colour = Rgba::rgb(index as u8, (index >> 8) as u8, 0x80);
            painted.scene.paint_rect(square(index), colour).unwrap();
        }
        let frame = stream.next_frame().unwrap();
        assert_eq!(frame.sequence, next_sequence, "no gaps in the sequence");
        next_sequence += 1;
        if index % 5_000 == 4_999 {
            // Idle after the last change (49 frames ago): once the captures in flight are
            // through, a frame with nothing changed comes, and it is exact.
            let mut waited = 0;
            let settled = loop {
                let frame = stream.next_frame().unwrap();
                next_sequence += 1;
                if frame.changes == Changes::Rectangles(Vec::new()) {
                    break frame;
                }
                waited += 1;
                assert!(
                    waited <= 2,
                    "the changes never settled: {:?}",
                    frame.changes
                );
            };
            painted.scene.assert_frame(&settled.frame);
        }
        // Hold every other frame across the next one.
        held = (index % 2 == 0).then_some(frame);
        if index == 10_000 {
            before = Some((resident_bytes(), open_descriptors()));
        }
    }
    drop(held);
    let (memory_before, descriptors_before) = before.unwrap();
    let (memory_after, descriptors_after) = (resident_bytes(), open_descriptors());
    assert_eq!(
        descriptors_after, descriptors_before,
        "file descriptors leaked"
    );
    let growth = memory_after.saturating_sub(memory_before);
    assert!(
        growth < 4 << 20,
        "resident memory grew by {growth} bytes over {} frames",
        FRAMES - 10_000
    );
    assert_eq!(painted_count, FRAMES / 50);
    drop(stream);
    assert!(capture.pool_stats().unwrap().live <= 8);
}
