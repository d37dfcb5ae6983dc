//! Grabs on one monitor: the first frame of a cast, every region exact, zero copy, an idle
//! screen answered with the picture already there, frames that outlive everything.

use std::time::Duration;

use mss_core::{Capture, Error, PixelFormat, Rgba};
use mss_pipewire::{PipeWireCapture, PipeWireOptions};
use mss_testkit::memory;

use crate::support::{HANG_GUARD, mutter, open, region, scene};

/// The first frame of a cast is the screen as it was shown before the cast started, with no
/// retry: every capturer here is new, so every grab is a cast's first frame, with the pointer
/// hidden and drawn by mutter alike.
#[test]
fn the_first_frame_of_a_cast_shows_the_screen_as_shown_before_it_started() {
    let server = mutter(&[(640, 480)]);
    let scene = scene(&server);
    for round in 0..3 {
        for draw in [false, true] {
            let mut capture = open(&server);
            assert!(
                capture.draw_cursor(draw),
                "mutter draws the pointer when asked"
            );
            let frame = capture.grab_screen().unwrap();
            if let Err(mismatch) = scene.check_frame(&frame) {
                panic!(
                    "round {round}, pointer drawn {draw}: the first frame is not the screen: {mismatch}"
                );
            }
        }
    }
}

/// Regions touching each edge and corner, single pixels and odd sizes: exact, each a window
/// into mutter's buffer (the buffer's stride, pixels in a memfd mutter maps too).
#[test]
fn every_region_is_exact_and_a_window_into_mutter_s_buffer() {
    let server = mutter(&[(640, 480)]);
    let scene = scene(&server);
    let mut capture = open(&server);
    let screen = capture.screen().unwrap();
    assert_eq!(screen.display, server.wayland_display_name());
    assert_eq!((screen.width, screen.height), (640, 480));
    assert_eq!(screen.format, PixelFormat::Bgrx8888);
    let whole = capture.grab_screen().unwrap();
    assert_eq!(whole.region(), region(0, 0, 640, 480));
    assert_eq!(whole.format(), PixelFormat::Bgrx8888);
    scene.assert_frame(&whole);
    let mut regions = vec![
        region(0, 0, 37, 23),
        region(603, 0, 37, 23),
        region(0, 457, 37, 23),
        region(603, 457, 37, 23),
        region(0, 17, 640, 3),
        region(17, 0, 3, 480),
        region(639, 479, 1, 1),
        region(320, 240, 1, 1),
    ];
    for width in 1..=7 {
        for height in 1..=3 {
            regions.push(region(101, 53, width, height));
        }
    }
    for wanted in regions {
        let frame = capture.grab(wanted).unwrap();
        assert_eq!(frame.region(), wanted);
        assert_eq!(
            frame.stride(),
            whole.stride(),
            "a window into the buffer: {wanted}"
        );
        scene.assert_frame(&frame);
    }
    // The pixels lie in a memfd that mutter maps too: the memory it wrote, not a copy.
    let part = capture.grab(region(10, 20, 30, 40)).unwrap();
    let ours = memory::mapping_holding(part.bytes().as_ptr(), part.bytes().len())
        .unwrap()
        .expect("the frame's bytes are mapped");
    assert!(ours.is_memfd(), "{ours:?}");
    let mutter_pid = *server.pids().last().expect("mutter's pid");
    let theirs = memory::mappings(Some(mutter_pid)).unwrap();
    assert!(
        theirs.iter().any(|mapping| mapping.same_file(&ours)),
        "mutter maps the frame's memfd {ours:?}"
    );
    let status = capture.status();
    assert_eq!(
        (status.backend, status.method),
        ("pipewire", "org.gnome.Mutter.ScreenCast")
    );
    assert!(status.zero_copy && status.proven, "{status}");
    let connection = status.connection.unwrap_or_default();
    assert!(
        connection.contains(server.runtime_dir().to_str().unwrap()),
        "{connection}"
    );
}

/// On a screen where nothing changes mutter sends nothing: grabs are answered with the
/// picture the cast already has, all of them frames over one buffer.
#[test]
fn an_idle_screen_is_answered_with_the_picture_already_there() {
    let server = mutter(&[(640, 480)]);
    let scene = scene(&server);
    let mut capture = open(&server);
    let first = capture.grab(region(0, 0, 640, 480)).unwrap();
    let casts = capture.casts();
    assert_eq!(casts.len(), 1, "{casts:?}");
    assert_eq!(casts[0].0, "Meta-0");
    assert!(
        casts[0].1 >= 4,
        "mutter gave the buffers asked for: {casts:?}"
    );
    let frames: Vec<_> = (0..20)
        .map(|_| capture.grab(region(0, 0, 640, 480)).unwrap())
        .collect();
    for frame in &frames {
        scene.assert_frame(frame);
        assert_eq!(
            frame.bytes().as_ptr(),
            first.bytes().as_ptr(),
            "every grab shares the one buffer mutter sent"
        );
    }
    // A part of it is the same memory at its offset.
    let part = capture.grab(region(5, 7, 10, 10)).unwrap();
    let offset = part.bytes().as_ptr() as usize - first.bytes().as_ptr() as usize;
    assert_eq!(offset, 7 * first.stride() + 5 * 4);
}

/// Frames are read-only views of the buffer they share: writing to one works on a copy,
/// which leaves the buffer, and every other frame over it, as they were.
#[test]
fn writing_to_a_frame_works_on_a_copy() {
    let server = mutter(&[(320, 240)]);
    let scene = scene(&server);
    let mut capture = open(&server);
    let mut written = capture.grab(region(0, 0, 320, 240)).unwrap();
    let untouched = capture.grab(region(0, 0, 320, 240)).unwrap();
    written.bytes_mut()[..4].copy_from_slice(&[1, 2, 3, 0]);
    assert_eq!(written.pixel(0, 0), Some(Rgba::rgb(3, 2, 1)));
    assert_ne!(written.bytes().as_ptr(), untouched.bytes().as_ptr());
    scene.assert_frame(&untouched);
    scene.assert_frame(&capture.grab(region(0, 0, 320, 240)).unwrap());
}

/// Frames stay exact after the capturer, PipeWire, mutter and the bus are gone; the capturer
/// refuses what it cannot do, naming it.
#[test]
fn frames_outlive_the_capturer_pipewire_and_mutter() {
    let server = mutter(&[(640, 480)]);
    let scene = scene(&server);
    let mut capture = open(&server);
    let whole = capture.grab_screen().unwrap();
    let part = capture.grab(region(3, 5, 17, 11)).unwrap();
    for error in [
        capture.windows().map(drop).unwrap_err(),
        capture.grab_window(1).map(drop).unwrap_err(),
    ] {
        assert!(
            matches!(
                error,
                Error::Unsupported {
                    backend: "pipewire",
                    ..
                }
            ),
            "{error:?}"
        );
    }
    // A headless mutter shows no pointer (it has no pointer device): nothing to read (from
    // casts of its own, with the pointer as metadata; the frames' cast is untouched).
    let error = capture.cursor().map(drop).unwrap_err();
    assert!(
        matches!(error, Error::CursorUnavailable { .. }),
        "{error:?}"
    );
    drop(capture);
    let pids = server.pids();
    drop(server);
    assert!(
        pids.iter()
            .all(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()),
        "mutter, PipeWire, WirePlumber and the bus are gone"
    );
    let part = std::thread::spawn(move || {
        scene.assert_frame(&part);
        scene.assert_frame(&whole);
        part
    })
    .join()
    .unwrap();
    assert_eq!(part.region(), region(3, 5, 17, 11));
}

/// PipeWire 0.3 can lose a cast's first buffer (the consumer's start resets the hand-over),
/// and on a still screen mutter sends no other: a grab starts such a cast again after a grace
/// period instead of waiting out its timeout. The capturer's first casts drop every buffer
/// here (a test-only option), as such a cast looks; with one lost the grab shows the screen,
/// with as many lost as the grab starts casts it fails with a timeout naming the wait.
#[test]
fn a_cast_silent_from_its_start_is_started_again_and_the_grab_shows_the_screen() {
    let server = mutter(&[(640, 480)]);
    let scene = scene(&server);
    let options = |lost: usize, timeout: Duration| {
        PipeWireOptions::new()
            .timeout(Some(timeout))
            .lose_frames_of_first_casts(lost)
    };
    let open_with = |options: PipeWireOptions| {
        PipeWireCapture::open_with(Some(server.wayland_display_name()), options)
            .unwrap_or_else(|error| panic!("{error}\n{}", server.log()))
    };
    for lost in [1, 2] {
        let mut capture = open_with(options(lost, HANG_GUARD));
        let frame = capture.grab_screen().unwrap_or_else(|error| {
            panic!(
                "{lost} silent casts, then a grab: {error}\n{}",
                server.log()
            )
        });
        scene.assert_frame(&frame);
    }
    // Every cast the grab starts is silent: the grab ends within its timeout, saying so.
    let mut capture = open_with(options(3, Duration::from_secs(5)));
    match capture.grab_screen() {
        Err(Error::Timeout { waiting_for, .. }) => assert!(
            waiting_for.contains("a frame of the screen cast of monitor"),
            "{waiting_for}"
        ),
        other => panic!("three silent casts: {other:?}"),
    }
}

/// A stream's first frame, on a cast silent from its start, is the screen too: the stream
/// starts the cast again as a grab does.
#[test]
fn a_stream_whose_first_cast_is_silent_starts_it_again() {
    let server = mutter(&[(640, 480)]);
    let scene = scene(&server);
    let mut capture = PipeWireCapture::open_with(
        Some(server.wayland_display_name()),
        PipeWireOptions::new()
            .timeout(Some(HANG_GUARD))
            .lose_frames_of_first_casts(1),
    )
    .unwrap_or_else(|error| panic!("{error}\n{}", server.log()));
    let mut stream = capture.stream(&mss_core::StreamOptions::new()).unwrap();
    let first = stream
        .next_frame()
        .unwrap_or_else(|error| panic!("the first frame: {error}\n{}", server.log()));
    scene.assert_frame(&first.frame);
}
