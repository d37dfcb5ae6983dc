//! The MIT-SHM stream: what changed is copied into pooled slots that rotate, frames stay
//! exact and untouched while held, buffers run out with an error, and a dying server is
//! reported at once.

use std::time::{Duration, Instant};

use mss_core::{Capture, Changes, Error, Region, Rgba, StreamOptions};
use mss_testkit::fake_x_server::checks::check_root_frame;
use mss_testkit::fake_x_server::{FakeShm, FakeXServer, XScript};
use mss_x11::{ConnectionPreference, X11Options};
use mss_x11_shm::ShmOptions;

use crate::support::{default_painted, open};

fn rect(left: i32, top: i32, width: u32, height: u32) -> Region {
    Region::new(left, top, width, height).unwrap()
}

#[test]
fn slots_rotate_refilled_only_where_changed_and_held_frames_never_change() {
    let mut painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new());
    let mut stream = capture.stream(&StreamOptions::new().in_flight(1)).unwrap();
    assert!(
        stream
            .describe()
            .contains("changes from DAMAGE, only changed pixels copied"),
        "{}",
        stream.describe()
    );
    let mut held = Vec::new();
    let mut seed = 0x2545_F491_u32;
    for index in 0..24u32 {
        // Pseudo-random rectangles, so slots that were filled at different times must each
        // receive exactly what they lack.
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let region = rect(
            (seed % 600) as i32,
            (seed / 600 % 440) as i32,
            1 + seed % 37,
            1 + seed / 7 % 29,
        );
        let colour = Rgba::rgb(seed as u8, (seed >> 8) as u8, index as u8 * 10);
        painted.scene.paint_rect(region, colour).unwrap();
        let frame = stream.next_frame().unwrap();
        painted.scene.assert_frame(&frame.frame);
        if index > 0 {
            assert_eq!(frame.changes, Changes::Rectangles(vec![region]));
        }
        // Hold every third frame for a while: new slots are made and old ones come back.
        if index % 3 == 0 {
            let copy = frame.frame.to_owned_frame();
            held.push((frame, copy));
        }
        if held.len() > 3 {
            let (frame, copy) = held.remove(0);
            assert_eq!(frame.frame.bytes(), copy.bytes(), "a held frame changed");
        }
    }
    drop(stream);
    assert!(capture.pool_stats().unwrap().live >= 2);
}

#[test]
fn frames_of_a_stream_are_copied_before_they_are_written() {
    let painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new());
    let mut stream = capture.stream(&StreamOptions::new().in_flight(1)).unwrap();
    let mut frame = stream.next_frame().unwrap().frame;
    let shared = frame.bytes().as_ptr();
    frame.bytes_mut()[0] = 0x12;
    assert_ne!(frame.bytes().as_ptr(), shared, "written on a copy");
    drop(frame);
    let next = stream.next_frame().unwrap();
    painted.scene.assert_frame(&next.frame);
}

#[test]
fn holding_every_buffer_is_an_error_not_a_stall() {
    let painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new().max_buffers(3));
    let mut stream = capture.stream(&StreamOptions::new().in_flight(2)).unwrap();
    let mut held = Vec::new();
    // A stream that waited for a buffer to come back would wait for good (every one is held
    // here): it would reach this deadline and hand over nothing instead of failing.
    let deadline = Instant::now() + Duration::from_secs(60);
    let error = loop {
        match stream.next_frame_before(Some(deadline)) {
            Ok(Some(frame)) => held.push(frame),
            Ok(None) => panic!("the stream stalled until the deadline instead of failing"),
            Err(error) => break error,
        }
        assert!(held.len() <= 3, "more frames than buffers");
    };
    assert!(
        matches!(error, Error::BuffersExhausted { limit: 3 }),
        "{error:?}"
    );
    assert_eq!(held.len(), 3);
    // Letting one go lets the stream go on.
    held.remove(0);
    painted
        .scene
        .assert_frame(&stream.next_frame().unwrap().frame);
}

/// A changes-only stream of whole frames: `reason` in its description, exact frames, nothing
/// while idle, one frame after a change (found by comparing).
fn assert_whole_frames_compared(
    painted: &mut crate::support::Painted,
    capture: &mut mss_x11_shm::ShmCapture,
    options: &StreamOptions,
    reason: &str,
) {
    let mut stream = capture.stream(&options.clone().changes_only(true)).unwrap();
    assert!(
        stream
            .describe()
            .contains(&format!("whole frames ({reason})")),
        "{}",
        stream.describe()
    );
    let first = stream.next_frame().unwrap();
    painted.scene.assert_frame(&first.frame);
    assert_eq!(first.changes, Changes::Unknown);
    let idle = stream
        .next_frame_before(Some(Instant::now() + Duration::from_millis(200)))
        .unwrap();
    assert!(idle.is_none());
    painted
        .scene
        .paint_rect(rect(5, 6, 7, 8), Rgba::rgb(1, 2, 3))
        .unwrap();
    let changed = stream
        .next_frame_before(Some(Instant::now() + Duration::from_secs(60)))
        .unwrap()
        .expect("the change is seen by comparing");
    assert_eq!(changed.sequence, 1);
    painted.scene.assert_frame(&changed.frame);
    assert_eq!(changed.changes, Changes::Unknown);
}

#[test]
fn without_damage_whole_frames_are_taken_and_compared() {
    let mut painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new());
    assert!(capture.status().caveats.is_empty(), "{}", capture.status());
    assert_whole_frames_compared(
        &mut painted,
        &mut capture,
        &StreamOptions::new().use_damage(false),
        "change tracking turned off",
    );
}

#[test]
fn a_server_without_damage_says_so_in_the_status_and_streams_whole_frames() {
    let mut painted = crate::support::painted(
        &mss_testkit::XvfbOptions::new(640, 480, 24).disable_extension("DAMAGE"),
    );
    let mut capture = open(painted.server.display(), ShmOptions::new());
    let status = capture.status();
    assert_eq!(
        status.caveats,
        ["streams take whole frames, not only what changed: the X server has no DAMAGE extension"],
        "{status}"
    );
    assert!(status.zero_copy, "grabs still share memory: {status}");
    assert_whole_frames_compared(
        &mut painted,
        &mut capture,
        &StreamOptions::new(),
        "the X server has no DAMAGE extension",
    );
}

#[test]
fn a_server_that_dies_mid_stream_is_reported_at_once() {
    let painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new());
    let in_flight = 2;
    let mut stream = capture
        .stream(&StreamOptions::new().in_flight(in_flight))
        .unwrap();
    painted
        .scene
        .assert_frame(&stream.next_frame().unwrap().frame);
    let crate::support::Painted { server, scene } = painted;
    drop(scene);
    // Dropping the server returns once its process is gone.
    drop(server);
    // At most the captures already answered can still be handed over; then the closed
    // connection is reported, not waited on (that would be a timeout, after 10 s) and not
    // hidden behind frames. The deadline only turns a hang into a failure.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut delivered = 0;
    let error = loop {
        match stream.next_frame_before(Some(deadline)) {
            Ok(Some(_)) => delivered += 1,
            Ok(None) => panic!("no frame and no error for a minute"),
            Err(error) => break error,
        }
        assert!(
            delivered <= in_flight,
            "{delivered} frames from a dead server"
        );
    };
    assert!(matches!(error, Error::ConnectionLost { .. }), "{error:?}");
}

/// Counts, on the test kit's fake server, the `ShmGetImage`s that reached it: when a frame is
/// handed over, the capture sent ahead of it has been written to the server, so the server
/// works on it while the consumer works on the frame. Over libxcb (the default connection)
/// it would otherwise wait in libxcb's buffer: a wait for a reply writes nothing when the
/// request waited for was written already, so every other capture reached the server only at
/// the next call, after the consumer was done (and, on a changing screen, after the next
/// painting). The fake server answers every request, so no count is a matter of time; the
/// deadline only turns a capture that never arrives into a failure.
#[test]
fn a_capture_sent_ahead_reaches_the_server_before_the_frame_is_handed_over() {
    for preference in [ConnectionPreference::Libxcb, ConnectionPreference::PureRust] {
        let mut script = XScript::new(64, 48);
        script.extensions.shm = Some(FakeShm {
            version: (1, 2),
            attach: true,
        });
        let server = FakeXServer::start(script).unwrap();
        let options = ShmOptions::new().x11(
            X11Options::new()
                .connection(preference)
                .timeout(Some(Duration::from_secs(10))),
        );
        let mut capture = open(server.display(), options);
        let screen = rect(0, 0, 64, 48);
        let in_flight = 2;
        let mut stream = capture
            .stream(&StreamOptions::new().in_flight(in_flight))
            .unwrap();
        // The fake server has no pixmaps in shared memory: whole frames.
        assert!(
            stream.describe().contains("ShmGetImage, 2 in flight"),
            "{}",
            stream.describe()
        );
        let sent_before = server.requests("ShmGetImage");
        for delivered in 1..=6 {
            let frame = stream.next_frame().unwrap();
            check_root_frame(&frame.frame, screen, &server.script().screen).unwrap();
            // The frames handed over so far, and the one capture in flight behind them.
            let expected = sent_before + delivered + in_flight - 1;
            let deadline = Instant::now() + Duration::from_secs(20);
            while server.requests("ShmGetImage") < expected && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            assert_eq!(
                server.requests("ShmGetImage"),
                expected,
                "{preference:?}: frame {delivered} handed over"
            );
        }
    }
}
