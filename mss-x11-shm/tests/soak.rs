//! Many grabs: memory and file descriptors stay flat.
//!
//! This is its own test binary, so its own process: resident memory and open descriptors are
//! process-wide, and the tests of `it` running in parallel threads would move both.
#![forbid(unsafe_code)]

#[path = "it/support.rs"]
#[allow(
    dead_code,
    reason = "shared with the `it` binary, which uses all of it"
)]
mod support;

#[path = "it/process_stats.rs"]
mod process_stats;

use mss_core::{Capture, Region};
use mss_x11_shm::ShmOptions;

use process_stats::{open_descriptors, resident_bytes};
use support::{assert_pattern, default_painted, open};

#[test]
fn ten_thousand_grabs_keep_memory_and_descriptors_flat() {
    let painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new().max_buffers(2));
    let mut grab = |index: u32| {
        // Alternate the whole screen and a moving region, holding one frame across the next
        // grab half the time, so both segments and both code paths are exercised.
        let region = if index.is_multiple_of(2) {
            Region::new(0, 0, 640, 480).unwrap()
        } else {
            Region::new((index % 600) as i32, (index % 440) as i32, 40, 40).unwrap()
        };
        capture.grab(region).unwrap()
    };
    let mut previous = None;
    for index in 0..1_000 {
        let frame = grab(index);
        previous = (index % 2 == 0).then_some(frame);
    }
    let (memory_before, descriptors_before) = (resident_bytes(), open_descriptors());
    for index in 0..10_000 {
        let frame = grab(index);
        if index % 1000 == 0 {
            assert_pattern(&frame);
        }
        previous = (index % 2 == 0).then_some(frame);
    }
    drop(previous);
    let (memory_after, descriptors_after) = (resident_bytes(), open_descriptors());
    assert_eq!(
        descriptors_after, descriptors_before,
        "file descriptors leaked"
    );
    let growth = memory_after.saturating_sub(memory_before);
    assert!(
        growth < 4 << 20,
        "resident memory grew by {growth} bytes over 10,000 grabs"
    );
    assert_eq!(capture.pool_stats().unwrap().live, 2);
}
