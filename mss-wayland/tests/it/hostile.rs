//! The backend against the test kit's fake compositor answering as no compositor should:
//! strides smaller than a row, damage whose coordinates overflow, events repeated by the
//! thousand or without end, names with control and bidirectional characters, failing, silence,
//! dying mid-frame. Each is an error of its kind or a correct frame, never a panic or a hang.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use mss_core::{Capture, Changes, Error, Frame, Region, StreamOptions, StreamTarget};
use mss_testkit::fake_compositor::{
    Answer, Behaviour, FakeCompositor, FakeOutput, FrameScript, LayoutSpec, XRGB8888, fake_pixel,
};
use mss_wayland::{WaylandCapture, WaylandOptions};

use super::region;

/// The timeout the capturers here are opened with.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(2);

/// How long a call may take before the test calls it hung: far past [`TIMEOUT`], so that only a
/// call that never returns fails.
pub(crate) const HUNG: Duration = Duration::from_secs(60);

/// Opens the fake compositor with [`TIMEOUT`].
pub(crate) fn open(fake: &FakeCompositor) -> Result<WaylandCapture, Error> {
    WaylandCapture::open_with(
        Some(fake.display()),
        WaylandOptions::new().timeout(Some(TIMEOUT)),
    )
}

/// Runs `work` on a thread of its own and returns its result, failing the test if it has not
/// returned within [`HUNG`].
pub(crate) fn within_deadline<T: Send + 'static>(
    what: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(work());
    });
    match receiver.recv_timeout(HUNG) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: hung for {HUNG:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    }
}

/// Asserts that `frame` holds exactly the fake's pixels of output `output` from device pixel
/// (`left`, `top`).
pub(crate) fn assert_fake_pixels(frame: &Frame, output: usize, left: u32, top: u32) {
    for (y, row) in frame.rows().enumerate() {
        for (x, pixel) in row.chunks_exact(4).enumerate() {
            let expected = fake_pixel(output, left + x as u32, top + y as u32);
            assert_eq!(pixel, expected, "pixel ({x}, {y}) of {}", frame.region());
        }
    }
}

/// One 32x24 output and every frame answered by `script`.
fn one_output(script: FrameScript) -> Behaviour {
    Behaviour {
        outputs: vec![FakeOutput::new(0, 0, 32, 24)],
        frames: vec![script],
        ..Behaviour::default()
    }
}

/// A layout in XRGB8888 of the natural size with `stride`.
fn with_stride(stride: u32) -> LayoutSpec {
    LayoutSpec {
        stride: Some(stride),
        ..LayoutSpec::natural(XRGB8888)
    }
}

#[test]
fn a_buffer_with_a_stride_smaller_than_a_row_or_no_pixels_is_an_error_naming_it() {
    let bad = [
        (with_stride(4), "stride 4 bytes"),
        (with_stride(0), "stride 0 bytes"),
        // One byte short of a row: 10 pixels within one output, 5 on each side across two.
        (with_stride(10 * 4 - 1), "stride 39 bytes"),
        (with_stride(5 * 4 - 1), "stride 19 bytes"),
        (
            LayoutSpec {
                width: Some(0),
                ..LayoutSpec::natural(XRGB8888)
            },
            " 0x6 pixels",
        ),
        (
            LayoutSpec {
                height: Some(0),
                ..LayoutSpec::natural(XRGB8888)
            },
            "x0 pixels",
        ),
    ];
    for (layout, named) in bad {
        // Within one output, and across two (the frame assembled from both).
        let behaviour = Behaviour {
            outputs: vec![
                FakeOutput::new(0, 0, 32, 24),
                FakeOutput::new(32, 0, 32, 24),
            ],
            frames: vec![FrameScript {
                layouts: vec![layout],
                ..FrameScript::default()
            }],
            ..Behaviour::default()
        };
        let within = region(3, 4, 10, 6);
        let across = region(27, 4, 10, 6);
        for grabbed in [within, across] {
            if layout.stride == Some(39) && grabbed == across {
                // Rows of 5 pixels fit in 39 bytes.
                continue;
            }
            let fake = FakeCompositor::start(behaviour.clone()).unwrap();
            let mut capture = open(&fake).unwrap();
            let error = within_deadline("grab", move || capture.grab(grabbed).map(drop))
                .expect_err("a buffer that cannot hold the frame");
            let message = error.to_string();
            assert!(
                matches!(&error, Error::Protocol { request, .. } if request.contains("buffer")),
                "{layout:?} for {grabbed}: {error:?}"
            );
            assert!(message.contains(named), "{layout:?}: {message}");
            // Nothing was copied into a buffer the client should have refused.
            assert!(fake.log().copies.is_empty(), "{:?}", fake.log());
        }
    }
}

#[test]
fn a_usable_layout_is_taken_when_a_bad_one_is_offered_beside_it() {
    let fake = FakeCompositor::start(one_output(FrameScript {
        layouts: vec![with_stride(4), with_stride(12 * 4)],
        ..FrameScript::default()
    }))
    .unwrap();
    let mut capture = open(&fake).unwrap();
    let frame = capture.grab(region(1, 2, 10, 6)).unwrap();
    assert_eq!(frame.region(), region(1, 2, 10, 6));
    assert_fake_pixels(&frame, 0, 1, 2);
}

/// The changes of the first changes-only frame of `behaviour` on `streamed`, after the
/// stream's first frame (taken whole), within [`HUNG`], with the most events the capturer kept
/// for one frame.
fn first_changes(behaviour: Behaviour, streamed: Region) -> (Changes, FakeCompositor, usize) {
    let fake = FakeCompositor::start(behaviour).unwrap();
    let display = fake.display().to_owned();
    let (changes, most_kept) = within_deadline("stream", move || {
        let mut capture =
            WaylandCapture::open_with(Some(&display), WaylandOptions::new().timeout(Some(TIMEOUT)))
                .unwrap();
        let options = StreamOptions::new()
            .changes_only(true)
            .target(StreamTarget::Region(streamed));
        let mut stream = capture.stream(&options).unwrap();
        let first = stream.next_frame().unwrap();
        assert_eq!(first.changes, Changes::Unknown);
        let deadline = Instant::now() + Duration::from_secs(20);
        let next = stream
            .next_frame_before(Some(deadline))
            .unwrap()
            .expect("a frame with damage");
        assert_fake_pixels(
            &next.frame,
            0,
            streamed.left() as u32,
            streamed.top() as u32,
        );
        drop(stream);
        (next.changes, capture.most_frame_events_kept())
    });
    (changes, fake, most_kept)
}

#[test]
fn damage_whose_coordinates_overflow_is_clamped_to_the_region() {
    let streamed = region(4, 2, 20, 10);
    let damage = vec![
        // Past the right edge, x + width overflowing u32.
        [u32::MAX - 5, 0, 10, 10],
        // Below the bottom edge, y + height overflowing.
        [0, u32::MAX, 3, 3],
        // From (2, 3) to far past every edge: clamped to the region.
        [2, 3, u32::MAX, u32::MAX],
    ];
    let (changes, _fake, _) = first_changes(
        one_output(FrameScript {
            damage,
            ..FrameScript::default()
        }),
        streamed,
    );
    assert_eq!(changes, Changes::Rectangles(vec![region(4, 3, 20, 9)]));
}

#[test]
fn events_repeated_by_the_thousand_are_kept_within_a_bound() {
    let mut output = FakeOutput::new(0, 0, 32, 24).named("DP-1", "A monitor");
    output.name_repeats = 3000;
    // 200 different rectangles of one pixel, each sent 50 times.
    let damage: Vec<[u32; 4]> = (0..200).map(|at| [at % 32, at / 32, 1, 1]).collect();
    let behaviour = Behaviour {
        outputs: vec![output],
        shm_format_repeats: 3000,
        frames: vec![FrameScript {
            layout_repeats: 3000,
            damage: damage.clone(),
            damage_repeats: 50,
            ..FrameScript::default()
        }],
        ..Behaviour::default()
    };
    let streamed = region(0, 0, 32, 24);
    let (changes, fake, most_kept) = first_changes(behaviour, streamed);
    assert!(
        most_kept <= 16 + mss_wayland::MAX_DAMAGE_RECTANGLES,
        "{most_kept} events kept for one frame"
    );
    assert!(fake.log().events_sent > 10_000 + 3000, "{:?}", fake.log());
    let Changes::Rectangles(rectangles) = changes else {
        panic!("{changes:?}");
    };
    assert!(
        rectangles.len() <= mss_wayland::MAX_DAMAGE_RECTANGLES,
        "{} rectangles kept",
        rectangles.len()
    );
    // Whatever was merged, every damaged pixel is still inside the changes.
    for [x, y, _, _] in damage {
        let pixel = region(x as i32, y as i32, 1, 1);
        assert!(
            rectangles
                .iter()
                .any(|rectangle| rectangle.contains(&pixel)),
            "{pixel} in {rectangles:?}"
        );
    }
}

#[test]
fn a_compositor_repeating_an_event_without_end_is_an_error_and_no_hang() {
    for (after_offer, after_copy) in [
        (Answer::Endless, Answer::Proceed),
        (Answer::Proceed, Answer::Endless),
    ] {
        let fake = FakeCompositor::start(one_output(FrameScript {
            after_offer,
            after_copy,
            ..FrameScript::default()
        }))
        .unwrap();
        let mut capture = open(&fake).unwrap();
        let error = within_deadline("grab", move || capture.grab(region(0, 0, 8, 8)).map(drop))
            .unwrap_err();
        // The timeout or the limit on events, whichever comes first.
        assert!(
            matches!(&error, Error::Timeout { seconds, .. } if *seconds == TIMEOUT.as_secs_f64())
                || flooded(&error),
            "{after_offer:?}, {after_copy:?}: {error:?}"
        );
        assert!(fake.log().events_sent > 0, "{:?}", fake.log());
    }
}

/// Whether `error` says the compositor repeats events without end.
fn flooded(error: &Error) -> bool {
    matches!(error, Error::Protocol { message, .. } if message.contains("repeats events without end"))
}

#[test]
fn more_events_than_a_wait_takes_end_it_at_once_with_an_error_saying_so() {
    // 70,000 layouts then silence: the wait ends when the events pass the limit (65,536), long
    // before the timeout of a minute.
    let fake = FakeCompositor::start(one_output(FrameScript {
        layout_repeats: 70_000,
        after_offer: Answer::Silent,
        ..FrameScript::default()
    }))
    .unwrap();
    let display = fake.display().to_owned();
    let error = within_deadline("grab", move || {
        let mut capture = WaylandCapture::open_with(
            Some(&display),
            WaylandOptions::new().timeout(Some(Duration::from_secs(60))),
        )
        .unwrap();
        let error = capture.grab(region(0, 0, 8, 8)).map(drop).unwrap_err();
        // The connection is closed, and later calls say why.
        let later = capture.monitors().unwrap_err();
        assert!(
            matches!(&later, Error::ConnectionLost { reason, .. } if reason.contains("without end")),
            "{later:?}"
        );
        error
    });
    assert!(flooded(&error), "{error:?}");
    assert!(error.to_string().contains("65536 events"), "{error}");
}

#[test]
fn output_names_and_descriptions_are_made_printable() {
    // An escape sequence, a right-to-left override, an isolate and bytes that are not UTF-8.
    let name = b"DP-1\x1b[2J\xe2\x80\xae\xff".to_vec();
    let description = "Dell \u{2067}U2720Q\u{2069} \u{202E}(DP-1)"
        .as_bytes()
        .to_vec();
    let fake = FakeCompositor::start(Behaviour {
        outputs: vec![FakeOutput::new(0, 0, 32, 24).named(name, description)],
        ..Behaviour::default()
    })
    .unwrap();
    let mut capture = open(&fake).unwrap();
    let monitors = capture.monitors().unwrap();
    let monitor = &monitors.monitors()[0];
    assert_eq!(monitor.output(), Some("DP-1\u{FFFD}[2J\u{FFFD}\u{FFFD}"));
    assert_eq!(
        monitor.description(),
        Some("Dell \u{FFFD}U2720Q\u{FFFD} \u{FFFD}(DP-1)")
    );
}

#[test]
fn failing_silent_and_dying_compositors_are_errors_of_their_kind() {
    /// The kind of error expected.
    #[derive(Debug)]
    enum Kind {
        Timeout,
        Lost,
        Failed,
    }
    let cases = [
        (Answer::Fail, Answer::Proceed, Kind::Failed),
        (Answer::Silent, Answer::Proceed, Kind::Timeout),
        (Answer::Disconnect, Answer::Proceed, Kind::Lost),
        (Answer::Proceed, Answer::Fail, Kind::Failed),
        (Answer::Proceed, Answer::Silent, Kind::Timeout),
        (Answer::Proceed, Answer::Disconnect, Kind::Lost),
    ];
    for (after_offer, after_copy, expected) in cases {
        let fake = FakeCompositor::start(one_output(FrameScript {
            after_offer,
            after_copy,
            ..FrameScript::default()
        }))
        .unwrap();
        let mut capture = open(&fake).unwrap();
        let error = within_deadline("grab", move || capture.grab(region(0, 0, 8, 8)).map(drop))
            .unwrap_err();
        let matched = match expected {
            Kind::Timeout => matches!(error, Error::Timeout { .. }),
            Kind::Lost => matches!(error, Error::ConnectionLost { .. }),
            Kind::Failed => matches!(&error, Error::Protocol { message, .. }
                if message.contains("reported that the capture failed")),
        };
        assert!(
            matched,
            "{after_offer:?}, {after_copy:?}: {expected:?}, {error:?}"
        );
    }
}

#[test]
fn a_changes_only_stream_on_screencopy_version_1_compares_frames_instead_of_asking_for_damage() {
    // copy_with_damage came with version 2: asking a version 1 compositor for it is a protocol
    // error that ends the connection.
    let fake = FakeCompositor::start(Behaviour {
        screencopy_version: 1,
        ..one_output(FrameScript::default())
    })
    .unwrap();
    let display = fake.display().to_owned();
    let streamed = region(2, 3, 12, 8);
    let (first, second, described) = within_deadline("stream", move || {
        let mut capture =
            WaylandCapture::open_with(Some(&display), WaylandOptions::new().timeout(Some(TIMEOUT)))
                .unwrap();
        let options = StreamOptions::new()
            .changes_only(true)
            .target(StreamTarget::Region(streamed));
        let mut stream = capture.stream(&options).unwrap();
        let described = stream.describe();
        let first = stream.next_frame().unwrap();
        assert_fake_pixels(&first.frame, 0, 2, 3);
        // The fake's picture never changes: no frame before the deadline, and no error.
        let second = stream
            .next_frame_before(Some(Instant::now() + Duration::from_millis(300)))
            .map(|frame| frame.map(|frame| frame.sequence));
        (first.changes, second, described)
    });
    assert_eq!(first, Changes::Unknown);
    assert!(matches!(second, Ok(None)), "{second:?}");
    assert!(described.contains("comparing frames"), "{described}");
    let log = fake.log();
    assert!(log.copies.len() >= 2, "{log:?}");
    assert!(log.copies.iter().all(|copy| !copy.with_damage), "{log:?}");
}
