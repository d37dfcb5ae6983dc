//! The pool's limits and the lifetimes of frames, capturers and threads.

use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use mss_core::{Capture, Error, Frame, Region};
use mss_x11_shm::{PoolStats, ShmOptions};

use crate::support::{assert_pattern, default_painted, open};

fn stats(capture: &mss_x11_shm::ShmCapture) -> PoolStats {
    capture.pool_stats().expect("shared memory is active")
}

#[test]
fn held_frames_grow_the_pool_up_to_its_limit_then_grabs_fail_clearly() {
    let painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new().max_buffers(3));
    let regions = [
        Region::new(0, 0, 640, 480).unwrap(),
        Region::new(10, 20, 30, 40).unwrap(),
        Region::new(600, 400, 40, 80).unwrap(),
    ];
    let mut held: Vec<Frame> = Vec::new();
    for (count, region) in regions.into_iter().enumerate() {
        held.push(capture.grab(region).unwrap());
        let stats = stats(&capture);
        assert_eq!(
            (stats.live, stats.leased, stats.free),
            (count + 1, count + 1, 0)
        );
    }

    let error = capture.grab(regions[1]).unwrap_err();
    assert!(
        matches!(error, Error::BuffersExhausted { limit: 3 }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("all 3 capture buffers are held by live frames"),
        "{error}"
    );

    // Every held frame still shows what it captured, and releasing one makes room.
    for frame in &held {
        painted.scene.assert_frame(frame);
    }
    held.remove(1);
    let frame = capture.grab(regions[1]).unwrap();
    painted.scene.assert_frame(&frame);
    assert_eq!(
        stats(&capture).live,
        3,
        "the released segment was reused, not a new one made"
    );
}

#[test]
fn frames_dropped_on_other_threads_go_back_to_the_pool() {
    let painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new().max_buffers(4));
    for round in 0..5 {
        let frames: Vec<Frame> = (0..4)
            .map(|index| {
                capture
                    .grab(Region::new(index * 50, round * 10, 50, 60).unwrap())
                    .unwrap()
            })
            .collect();
        assert_eq!(stats(&capture).leased, 4);
        let workers: Vec<_> = frames
            .into_iter()
            .map(|frame| thread::spawn(move || assert_pattern(&frame)))
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        let stats = stats(&capture);
        assert_eq!(
            (stats.live, stats.leased, stats.free),
            (4, 0, 4),
            "round {round}"
        );
    }
}

#[test]
fn frames_stay_readable_after_the_capturer_and_even_the_server_are_gone() {
    let painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new());
    let full = capture.grab_screen().unwrap();
    let corner = capture
        .grab(Region::new(600, 440, 40, 40).unwrap())
        .unwrap();
    drop(capture);
    drop(painted);
    // The memory is this process's mapping: nothing the server does can take it away.
    let reader = thread::spawn(move || {
        assert_pattern(&full);
        full
    });
    assert_pattern(&corner);
    drop(corner);
    drop(reader.join().unwrap());
}

#[test]
fn releases_racing_the_capturer_drop_from_many_threads_are_safe() {
    let painted = default_painted();
    for _ in 0..10 {
        let mut capture = open(painted.server.display(), ShmOptions::new().max_buffers(8));
        let frames: Vec<Frame> = (0..8)
            .map(|index| {
                capture
                    .grab(Region::new(index * 8, 0, 8, 8).unwrap())
                    .unwrap()
            })
            .collect();
        let start = Arc::new(Barrier::new(frames.len() + 1));
        let workers: Vec<_> = frames
            .into_iter()
            .map(|frame| {
                let start = Arc::clone(&start);
                thread::spawn(move || {
                    start.wait();
                    assert_pattern(&frame);
                    drop(frame);
                })
            })
            .collect();
        start.wait();
        drop(capture);
        for worker in workers {
            worker.join().unwrap();
        }
    }
}

#[test]
fn eight_threads_grab_a_thousand_times_each_without_error() {
    let painted = default_painted();
    let display = painted.server.display().to_owned();
    let workers: Vec<_> = (0..8u32)
        .map(|worker| {
            let display = display.clone();
            thread::spawn(move || {
                let mut capture = open(&display, ShmOptions::new());
                for grab in 0..1000u32 {
                    let region = Region::new(
                        ((worker * 37 + grab) % 600) as i32,
                        (grab % 440) as i32,
                        40,
                        40,
                    )
                    .unwrap();
                    let frame = capture.grab(region).unwrap();
                    // Spot-check every grab, check every pixel of some.
                    if grab % 100 == 0 {
                        assert_pattern(&frame);
                    } else {
                        let expected = mss_testkit::pattern::expected_colour(
                            frame.format(),
                            region.left() as u32 + 39,
                            region.top() as u32 + 39,
                        );
                        assert_eq!(frame.pixel(39, 39), Some(expected));
                    }
                }
                assert!(capture.is_shm_active());
                assert_eq!(
                    capture.pool_stats().unwrap().live,
                    1,
                    "dropping each frame reuses one segment"
                );
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
}

#[test]
fn one_capturer_shared_behind_a_mutex_serves_several_threads() {
    let painted = default_painted();
    let capture = Arc::new(Mutex::new(open(
        painted.server.display(),
        ShmOptions::new().max_buffers(8),
    )));
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let capture = Arc::clone(&capture);
            thread::spawn(move || {
                for grab in 0..100 {
                    let region = Region::new(worker * 100 + grab, grab, 33, 17).unwrap();
                    let frame = capture.lock().unwrap().grab(region).unwrap();
                    // Read and drop outside the lock, as a real pipeline would.
                    assert_pattern(&frame);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let stats = capture.lock().unwrap().pool_stats().unwrap();
    assert_eq!(stats.leased, 0);
    assert!(
        stats.live <= 5,
        "at most one frame per thread was alive at once, plus one: {stats:?}"
    );
}
