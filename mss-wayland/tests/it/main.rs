//! Integration tests of the Wayland backend on private compositors: headless sway (with
//! wlr-screencopy) and headless weston (without): buffers held and exhausted, a compositor
//! without the protocol, a stopped compositor, one killed mid-stream, the stream's frames in
//! flight, grim on the same output, and layouts with empty corners (in `layouts`).

/// Layouts with empty corners and gaps between outputs: black where no output is, regions in
/// the gap, the frame size limit.
mod layouts;

use std::time::{Duration, Instant};

use mss_core::{Capture, Changes, Error, Region, Rgba, StreamOptions};
use mss_testkit::{SwayOptions, WaylandScene, WaylandServer};
use mss_wayland::{WaylandCapture, WaylandOptions};

fn sway(outputs: &[(u32, u32)]) -> WaylandServer {
    WaylandServer::start(&SwayOptions::new().outputs(outputs)).unwrap_or_else(|error| {
        panic!("cannot start sway ({error}); run `cargo xtask test`, which installs it")
    })
}

fn display(server: &WaylandServer) -> String {
    server.wayland_display().to_str().unwrap().to_owned()
}

fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
    Region::new(left, top, width, height).unwrap()
}

#[test]
fn frames_are_the_pooled_buffers_held_until_dropped_and_exhaustion_is_an_error() {
    let server = sway(&[(320, 240)]);
    let scene = WaylandScene::paint(&display(&server)).unwrap();
    let mut capture = WaylandCapture::open_with(
        Some(&display(&server)),
        WaylandOptions::new().max_buffers(2),
    )
    .unwrap();
    let first = capture.grab(region(10, 20, 64, 48)).unwrap();
    let second = capture.grab(region(10, 20, 64, 48)).unwrap();
    scene.assert_frame(&first);
    scene.assert_frame(&second);
    assert_eq!(capture.pool_stats().leased, 2);
    let error = capture.grab(region(10, 20, 64, 48)).unwrap_err();
    assert!(
        matches!(error, Error::BuffersExhausted { limit: 2 }),
        "{error:?}"
    );
    // A frame dropped on another thread gives its buffer back; the next grab reuses it.
    std::thread::spawn(move || drop(first)).join().unwrap();
    let third = capture.grab(region(10, 20, 64, 48)).unwrap();
    scene.assert_frame(&third);
    assert_eq!(capture.pool_stats().live, 2);
    // Windows are not offered: an error naming the protocols, not an empty list.
    for error in [
        capture.windows().map(|_| ()).unwrap_err(),
        capture.grab_window(1).map(|_| ()).unwrap_err(),
    ] {
        assert!(
            matches!(&error, Error::Unsupported { backend: "wayland", reason, .. }
                if reason.contains("ext-foreign-toplevel-list")),
            "{error:?}"
        );
    }
    // A frame outlives its capturer.
    drop(capture);
    scene.assert_frame(&second);
    scene.assert_frame(&third);
}

#[test]
fn a_compositor_without_screencopy_is_refused_at_once_naming_the_protocol() {
    let weston = WaylandServer::start_weston()
        .unwrap_or_else(|error| panic!("cannot start weston ({error}); run `cargo xtask test`"));
    let started = Instant::now();
    let error = WaylandCapture::open(Some(&display(&weston))).unwrap_err();
    // From the globals, not after waiting for something that never comes (the default
    // deadline, 10 s), however loaded the machine.
    assert!(
        started.elapsed() < mss_core::OpenOptions::DEFAULT_TIMEOUT / 2,
        "{:?}",
        started.elapsed()
    );
    let message = error.to_string();
    assert!(
        matches!(
            error,
            Error::Unsupported {
                backend: "wayland",
                ..
            }
        ),
        "{error:?}"
    );
    for fragment in ["zwlr_screencopy_manager_v1", "portal", "not implement"] {
        assert!(message.contains(fragment), "{message}");
    }
}

#[test]
fn no_compositor_is_a_clear_error() {
    let directory = tempfile::tempdir().unwrap();
    let missing = directory.path().join("wayland-9");
    let error = WaylandCapture::open(Some(missing.to_str().unwrap())).unwrap_err();
    assert!(
        matches!(&error, Error::DisplayUnavailable { reason, .. } if reason.contains("no Wayland compositor answers")),
        "{error:?}"
    );
}

#[test]
fn a_stopped_compositor_times_out_and_the_capturer_says_it_is_closed() {
    let server = sway(&[(160, 120)]);
    let mut capture = WaylandCapture::open_with(
        Some(&display(&server)),
        WaylandOptions::new().timeout(Some(Duration::from_millis(500))),
    )
    .unwrap();
    capture.grab_screen().unwrap();
    let pid = rustix::process::Pid::from_raw(compositor_pid(&server)).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::STOP).unwrap();
    let started = Instant::now();
    let error = capture.grab_screen().unwrap_err();
    let waited = started.elapsed();
    rustix::process::kill_process(pid, rustix::process::Signal::CONT).unwrap();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    // Its own limit ends the wait, not the default one.
    assert!(
        waited >= Duration::from_millis(450) && waited < mss_core::OpenOptions::DEFAULT_TIMEOUT / 2,
        "{waited:?}"
    );
    let later = capture.grab_screen().unwrap_err();
    assert!(
        matches!(&later, Error::ConnectionLost { reason, .. } if reason.contains("did not answer within 0.5 s")),
        "{later:?}"
    );
}

/// sway's own pid (the test kit starts it through runuser when the tests run as root).
fn compositor_pid(server: &WaylandServer) -> i32 {
    let group = server.pid();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "sway")
                && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                    stat.rsplit(')')
                        .next()
                        .and_then(|rest| rest.split(' ').nth(3))
                        == Some(group.to_string().as_str())
                })
        })
        .expect("sway runs")
}

#[test]
fn a_compositor_that_dies_mid_stream_is_reported_at_once() {
    let server = sway(&[(160, 120)]);
    let mut capture = WaylandCapture::open(Some(&display(&server))).unwrap();
    let mut stream = capture.stream(&StreamOptions::new()).unwrap();
    stream.next_frame().unwrap();
    drop(server);
    // At most the capture already asked for can still be handed over; then the closed
    // connection is reported, not waited on (a timeout) nor hidden. The deadline only turns
    // a hang into a failure.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut delivered = 0;
    let error = loop {
        match stream.next_frame_before(Some(deadline)) {
            Ok(Some(_)) => delivered += 1,
            Ok(None) => panic!("no frame and no error for a minute"),
            Err(error) => break error,
        }
        assert!(delivered <= 1, "{delivered} frames from a dead compositor");
    };
    assert!(matches!(error, Error::ConnectionLost { .. }), "{error:?}");
}

#[test]
fn the_stream_keeps_captures_in_flight_and_reports_damage() {
    let server = sway(&[(320, 240)]);
    let mut scene = WaylandScene::paint(&display(&server)).unwrap();
    let mut capture = WaylandCapture::open(Some(&display(&server))).unwrap();
    {
        let mut stream = capture.stream(&StreamOptions::new().in_flight(3)).unwrap();
        assert_eq!(
            stream.describe(),
            "wayland: wlr-screencopy, the next capture asked for before each frame is handed over, a frame every repaint"
        );
        // Frames held across later ones stay as they were.
        let held = stream.next_frame().unwrap();
        scene.assert_frame(&held.frame);
        for sequence in 1..6 {
            let frame = stream.next_frame().unwrap();
            assert_eq!(frame.sequence, sequence);
            scene.assert_frame(&frame.frame);
        }
        scene.assert_frame(&held.frame);
    }
    let mut stream = capture
        .stream(
            &StreamOptions::new()
                .changes_only(true)
                .target(mss_core::StreamTarget::Region(region(50, 40, 200, 150))),
        )
        .unwrap();
    let first = stream.next_frame().unwrap();
    assert_eq!(first.changes, Changes::Unknown);
    scene.assert_frame(&first.frame);
    drop(first);
    let drawn = region(60, 50, 30, 20);
    scene.paint_rect(drawn, Rgba::rgb(9, 99, 199)).unwrap();
    let changed = stream
        .next_frame_before(Some(Instant::now() + Duration::from_secs(60)))
        .unwrap()
        .expect("a frame after the change");
    scene.assert_frame(&changed.frame);
    match &changed.changes {
        Changes::Rectangles(rectangles) => assert!(
            rectangles
                .iter()
                .any(|rectangle| rectangle.contains(&drawn)),
            "{rectangles:?}"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn grim_on_the_same_output_sees_the_same_pixels() {
    let server = sway(&[(200, 150), (120, 90)]);
    let scene = WaylandScene::paint(&display(&server)).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let grim_png = directory.path().join("grim.png");
    let output = std::process::Command::new("grim")
        .args(["-t", "png", "-o", "HEADLESS-2"])
        .arg(&grim_png)
        .env("WAYLAND_DISPLAY", server.wayland_display())
        .env("XDG_RUNTIME_DIR", server.runtime_dir())
        .output()
        .expect("grim runs (cargo xtask test installs it)");
    assert!(output.status.success(), "{output:?}");
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&grim_png).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(info.buffer_size());
    let step = info.color_type.samples();
    let mut capture = WaylandCapture::open(Some(&display(&server))).unwrap();
    let ours = capture.grab_monitor(2).unwrap();
    scene.assert_frame(&ours);
    assert_eq!((info.width, info.height), (ours.width(), ours.height()));
    for y in 0..ours.height() {
        for x in 0..ours.width() {
            let at = (y * ours.width() + x) as usize * step;
            let theirs = Rgba::rgb(pixels[at], pixels[at + 1], pixels[at + 2]);
            assert_eq!(ours.pixel(x, y), Some(theirs), "({x}, {y})");
        }
    }
}

#[test]
fn a_scaled_output_is_its_logical_size_on_the_screen_and_its_device_pixels_in_frames() {
    let server = sway(&[(640, 480), (320, 240)]);
    server
        .swaymsg(["output", "HEADLESS-1", "scale", "2"])
        .unwrap();
    server
        .swaymsg(["output", "HEADLESS-2", "position", "320", "0"])
        .unwrap();
    let mut capture = WaylandCapture::open(Some(&display(&server))).unwrap();
    let monitors = capture.monitors().unwrap();
    let scaled = &monitors.monitors()[0];
    assert_eq!(scaled.region(), region(0, 0, 320, 240));
    assert_eq!(scaled.pixel_size(), (640, 480));
    assert_eq!(scaled.scale(), 2.0);
    assert_eq!(monitors.monitors()[1].scale(), 1.0);
    // A logical region of the scaled output: twice its size in device pixels, at its place.
    let frame = capture.grab(region(10, 20, 100, 50)).unwrap();
    assert_eq!(frame.region(), region(10, 20, 200, 100));
    // Across outputs of different scales: refused, saying why, rather than a wrong picture.
    let error = capture.grab(region(300, 0, 40, 40)).unwrap_err();
    assert!(
        matches!(&error, Error::Unsupported { what, .. } if what.contains("different scales")),
        "{error:?}"
    );
}
