//! The producer of the PipeWire measures, end to end: the test kit's repainting window on a
//! headless mutter, captured by the pipewire backend. Every wait is a condition with a
//! deadline against hangs; nothing is decided by the clock.

use std::time::{Duration, Instant};

use mss_core::{Capture as _, Region, StreamOptions};
use mss_pipewire::mutter::MutterDbus;
use mss_pipewire::{PipeWireCapture, PipeWireOptions};
use mss_testkit::{MutterOptions, MutterServer, RepaintingWindow};

const HANG_GUARD: Duration = Duration::from_secs(60);

/// Waits until `done`, failing with `what` after [`HANG_GUARD`].
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + HANG_GUARD;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {HANG_GUARD:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn the_repainting_window_numbers_every_frame_a_stream_shows() {
    let server = MutterServer::start(
        &MutterOptions::new()
            .monitors(&[(320, 240)])
            .refresh_rate(120),
    )
    .unwrap_or_else(|error| panic!("{error} (run `cargo xtask test`, which installs mutter)"));
    let monitors = MutterDbus::connect(server.bus_address(), Some(HANG_GUARD))
        .and_then(|dbus| dbus.monitors())
        .unwrap();
    assert!(
        (monitors[0].refresh_rate - 120.0).abs() < 1.0,
        "the monitor runs at the rate asked for: {monitors:?}"
    );
    let window = RepaintingWindow::show(&server.wayland_display())
        .unwrap_or_else(|error| panic!("{error}\n{}", server.log()));
    assert_eq!(window.size(), (320, 240));
    assert_eq!(window.committed(), 0);
    let mut capture = PipeWireCapture::open_with(
        Some(server.wayland_display_name()),
        PipeWireOptions::new().timeout(Some(HANG_GUARD)),
    )
    .unwrap();
    let region = Region::new(0, 0, 320, 240).unwrap();
    // Shown and still: the square at number 0, everything else the background.
    let frame = capture.grab(region).unwrap();
    assert_eq!(window.check_frame(&frame), Ok(0));
    drop(frame);

    // Repainting at a rate: every frame of a stream is whole and exact, and its number never
    // goes back.
    window.start_at(60.0);
    let mut stream = capture.stream(&StreamOptions::new()).unwrap();
    let mut last = 0;
    while last < 5 {
        let frame = stream
            .next_frame_before(Some(Instant::now() + HANG_GUARD))
            .unwrap()
            .expect("a frame within the guard");
        let number = window
            .check_frame(&frame.frame)
            .unwrap_or_else(|mismatch| panic!("{mismatch}"));
        assert_eq!(window.frame_number(&frame.frame), Some(number));
        assert!(
            RepaintingWindow::commits_between(last, number) < 1000,
            "{number} after {last}"
        );
        assert!(u64::from(number) <= window.committed());
        last = number;
    }
    drop(stream);
    assert!(window.thread_cpu_time() > Duration::ZERO);

    // Paused, then started at every frame callback: numbering goes on from the last commit.
    window.pause();
    let paused_at = window.committed();
    window.start();
    wait_until("commits after starting again", || {
        window.committed() > paused_at + 3
    });
}
