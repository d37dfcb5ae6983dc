//! Streams, on every backend: frames exact and in order while the screen changes, changes that
//! cover what changed, changes-only on an idle screen, and a fixed rate.

use std::time::{Duration, Instant};

use mss_core::{Changes, Rate, Region, Rgba, StreamOptions, StreamTarget};
use mss_testkit::backend_test;

/// The rectangle painted before frame `index`, and its colour.
fn painted(index: u32) -> (Region, Rgba) {
    let region = Region::new(
        20 + 45 * index as i32,
        15 + 33 * index as i32,
        17 + index,
        11,
    )
    .unwrap();
    (
        region,
        Rgba::rgb(40 * index as u8, 255 - 30 * index as u8, 90),
    )
}

/// Checks that `changes` covers `drawn`: a list of rectangles must be exactly it (the server's
/// change tracking reports the rectangle filled); unknown changes cover everything.
fn assert_changes_cover(changes: &Changes, drawn: Region) {
    match changes {
        Changes::Rectangles(rectangles) => assert_eq!(rectangles, &[drawn], "{changes:?}"),
        Changes::Unknown => {}
        other => panic!("unexpected changes {other:?}"),
    }
}

backend_test!(fn stream_frames_are_exact_and_in_order_while_the_screen_changes(capture, scene, server) {
    let mut scene = server.paint_scene().unwrap();
    let options = StreamOptions::new().in_flight(1);
    let mut stream = capture.stream(&options).unwrap();
    let first = stream.next_frame().unwrap();
    assert_eq!(first.sequence, 0);
    assert_eq!(first.changes, Changes::Unknown, "the first frame is whole");
    assert_eq!(first.frame.region(), Region::new(0, 0, 640, 480).unwrap());
    scene.assert_frame(&first.frame);
    let mut last_time = first.captured_at;
    for index in 1..=4 {
        let (region, colour) = painted(index);
        scene.paint_rect(region, colour).unwrap();
        let next = stream.next_frame().unwrap();
        assert_eq!(next.sequence, u64::from(index));
        assert!(next.captured_at >= last_time);
        last_time = next.captured_at;
        scene.assert_frame(&next.frame);
        assert_changes_cover(&next.changes, region);
        // Frames held at once are independent: the first still shows the first screen.
        assert_eq!(first.frame.pixel(region.left() as u32, region.top() as u32).map(|p| p == colour), Some(false));
    }
});

backend_test!(fn changes_only_delivers_nothing_while_idle_and_one_frame_per_change(capture, scene, server) {
    let mut scene = server.paint_scene().unwrap();
    // With several captures in flight too: a frame already asked for is handed over at once,
    // not held back until the deadline.
    for (round, in_flight) in [1, 3].into_iter().enumerate() {
        let options = StreamOptions::new().in_flight(in_flight).changes_only(true);
        let mut stream = capture.stream(&options).unwrap();
        // A frame held back until the deadline would come after a minute; one handed over
        // at once comes long before half of it, however loaded the machine.
        let soon = |stream: &mut Box<dyn mss_core::FrameStream + '_>| {
            let asked = Instant::now();
            let frame = stream
                .next_frame_before(Some(asked + Duration::from_secs(60)))
                .unwrap()
                .expect("a frame");
            assert!(asked.elapsed() < Duration::from_secs(30), "{in_flight} in flight: {:?}", asked.elapsed());
            frame
        };
        let first = soon(&mut stream);
        scene.assert_frame(&first.frame);
        drop(first);
        let idle = stream.next_frame_before(Some(Instant::now() + Duration::from_millis(300))).unwrap();
        assert!(idle.is_none(), "nothing changed: {idle:?}");
        let (region, colour) = painted(2 + round as u32);
        scene.paint_rect(region, colour).unwrap();
        let changed = soon(&mut stream);
        assert_eq!(changed.sequence, 1);
        scene.assert_frame(&changed.frame);
        assert_changes_cover(&changed.changes, region);
    }
});

/// The stream's ticks, as a consumer sees them: frame `j` is tick `n_j = j + every tick missed
/// so far` of a clock that started while the stream opened, between `opened` and `open`.
struct Ticks {
    period: Duration,
    opened: Instant,
    open: Instant,
    tick: Option<u64>,
}

impl Ticks {
    /// Follows `frame`, asked for at `asked`, and checks it against the clock: a tick is never
    /// taken before it falls (`captured_at >= start + n * period`), and the tick taken is the
    /// latest that had fallen when the frame was taken, so every tick passed over is counted
    /// (`(n + 1) * period > asked - start`). Both hold however loaded the machine is.
    fn follow(&mut self, frame: &mss_core::StreamFrame, asked: Instant) {
        let tick = self
            .tick
            .map_or(frame.missed, |last| last + 1 + frame.missed);
        self.tick = Some(tick);
        let at = |tick: u64| self.period * u32::try_from(tick).unwrap();
        assert!(
            frame.captured_at >= self.opened + at(tick),
            "tick {tick} taken {:?} after the stream opened: early ({frame:?})",
            frame.captured_at - self.opened
        );
        assert!(
            self.open + at(tick + 1) > asked,
            "tick {tick} taken though {:?} had passed since the stream opened: ticks went \
             uncounted ({frame:?})",
            asked - self.open
        );
    }
}

backend_test!(fn a_fixed_rate_keeps_its_cadence_and_counts_what_a_slow_consumer_misses(capture, scene) {
    let options = StreamOptions::new()
        .rate(Rate::PerSecond(25.0))
        .target(StreamTarget::Region(Region::new(100, 100, 64, 48).unwrap()));
    let opened = Instant::now();
    let mut stream = capture.stream(&options).unwrap();
    let mut ticks = Ticks { period: Duration::from_millis(40), opened, open: Instant::now(), tick: None };
    let mut last = None;
    for _ in 0..26 {
        let asked = Instant::now();
        let frame = stream.next_frame().unwrap();
        scene.assert_frame(&frame.frame);
        ticks.follow(&frame, asked);
        last = Some(frame);
    }
    // A consumer away for 130 ms after a frame comes back after three more ticks (40, 80 and
    // 120 ms after the last one), or more on a loaded machine: the latest is taken, the ones
    // before it are missed and counted.
    let away = Instant::now();
    drop(last);
    std::thread::sleep(Duration::from_millis(130));
    let asked = Instant::now();
    let late = stream.next_frame().unwrap();
    assert!(asked >= away + Duration::from_millis(130));
    ticks.follow(&late, asked);
    assert!(late.missed >= 2, "{late:?}");
    scene.assert_frame(&late.frame);
});

backend_test!(fn a_monitor_can_be_streamed_and_a_missing_one_is_refused(capture, scene) {
    let mut stream = capture
        .stream(&StreamOptions::new().target(StreamTarget::Monitor(1)))
        .unwrap();
    scene.assert_frame(&stream.next_frame().unwrap().frame);
    drop(stream);
    let error = capture
        .stream(&StreamOptions::new().target(StreamTarget::Monitor(7)))
        .err()
        .expect("monitor 7 does not exist");
    assert!(matches!(error, mss_core::Error::MonitorNotFound { number: 7, .. }), "{error:?}");
    let error = capture
        .stream(&StreamOptions::new().rate(Rate::PerSecond(0.0)))
        .err()
        .expect("a rate of 0 is refused");
    assert!(matches!(error, mss_core::Error::InvalidRate { .. }), "{error:?}");
});

backend_test!(fn changes_outside_a_streamed_region_give_no_frame_and_no_gap_in_the_numbering(capture, scene, server) {
    let mut scene = server.paint_scene().unwrap();
    let target = Region::new(200, 150, 120, 90).unwrap();
    let options = StreamOptions::new()
        .target(StreamTarget::Region(target))
        .in_flight(2)
        .changes_only(true);
    let mut stream = capture.stream(&options).unwrap();
    let first = stream.next_frame().unwrap();
    assert_eq!((first.sequence, first.frame.region()), (0, target));
    scene.assert_frame(&first.frame);
    // Beside the region, then overlapping it: only the second is a frame, numbered 1, with the
    // part inside the region as its change.
    // The change beside it is already known to the server when the wait starts; a second
    // gives the stream time to capture it and find nothing inside, however loaded.
    scene.paint_rect(Region::new(10, 10, 50, 40).unwrap(), Rgba::rgb(1, 2, 3)).unwrap();
    let outside = stream.next_frame_before(Some(Instant::now() + Duration::from_secs(1))).unwrap();
    assert!(outside.is_none(), "{outside:?}");
    let across = Region::new(300, 200, 60, 60).unwrap();
    scene.paint_rect(across, Rgba::rgb(200, 100, 50)).unwrap();
    let inside = stream
        .next_frame_before(Some(Instant::now() + Duration::from_secs(60)))
        .unwrap()
        .expect("a frame for the change inside");
    assert_eq!(inside.sequence, 1);
    assert!(inside.missed >= 1, "the capture with nothing inside counts as missed: {inside:?}");
    scene.assert_frame(&inside.frame);
    assert_changes_cover(&inside.changes, across.intersection(&target).unwrap());
});
