//! Wayland measurements, on a private headless sway showing the known scene, each against the
//! floor that bounds it:
//!
//! - `wayland_shot_process`: the whole `mss -o shot.png` process against `grim shot.png`, the
//!   compositor world's own screenshot tool, on the same output, alternated run by run
//!   (ratio of mean wall times; below 1 means mss is faster).
//! - `wayland_grab_latency_60hz`: one grab of the whole output, whose copy completes at the
//!   output's next repaint, against the refresh interval (16.7 ms at 60 Hz): the median grab
//!   over the interval.
//! - `wayland_stream_144hz`: frames a second of a stream as fast as possible on a 144 Hz
//!   output, pipelined, with a consumer that reads every frame and takes 4 ms with it (the
//!   claim: the refresh rate); pipelined against one capture at a time with a consumer slower
//!   than a repaint (9 ms); and the ticks a 144 fps stream misses (the claim: none).
//!
//! The `mss` binary is the one `cargo xtask bench` builds beside the bench
//! (`MSS_BENCH_MSS_BINARY`); without it the process comparison is left out and says so.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use mss_bench::read_every_byte;
use mss_core::{Capture as _, Rate, StreamOptions};
use mss_testkit::{SwayOptions, WaylandScene, WaylandServer};
use mss_wayland::WaylandCapture;
use serde_json::Value;

use crate::measure_file::measure;

/// How long the stream measures' consumer takes with each frame: less than a 144 Hz repaint
/// interval (6.9 ms), and more.
const QUICK_CONSUMER: Duration = Duration::from_millis(4);
const SLOW_CONSUMER: Duration = Duration::from_millis(9);

/// The output the process comparison and the latency run on.
const OUTPUT: (u32, u32) = (1920, 1080);

pub fn measures(quick: bool) -> Vec<Value> {
    let server = WaylandServer::start(&SwayOptions::new().outputs(&[OUTPUT]))
        .unwrap_or_else(|error| panic!("cannot start sway for the Wayland measures: {error}"));
    let display = server.wayland_display().to_str().unwrap().to_owned();
    let scene = WaylandScene::paint(&display).expect("the scene on sway");
    let mut capture = WaylandCapture::open(Some(&display)).expect("the Wayland backend");
    scene.assert_frame(&capture.grab_screen().expect("a grab"));
    let mut results = Vec::new();
    results.extend(shot_process(&server, quick));
    results.push(grab_latency(&mut capture, quick));
    drop(capture);
    results.extend(stream_at_144hz(&server, &display, quick));
    results
}

/// `mss -o` against `grim` on the same output, alternated.
fn shot_process(server: &WaylandServer, quick: bool) -> Vec<Value> {
    let Some(binary) = std::env::var_os("MSS_BENCH_MSS_BINARY").map(PathBuf::from) else {
        eprintln!(
            "mss-bench: the whole-process comparison with grim needs MSS_BENCH_MSS_BINARY (cargo xtask bench sets it)"
        );
        return Vec::new();
    };
    let directory = tempfile::tempdir().expect("a temporary directory");
    let run = |program: &std::path::Path, arguments: &[&str]| -> Duration {
        let started = Instant::now();
        let output = Command::new(program)
            .args(arguments)
            .current_dir(directory.path())
            .env_remove("DISPLAY")
            .env_remove("MSS_BACKEND")
            .env("WAYLAND_DISPLAY", server.wayland_display())
            .env("XDG_RUNTIME_DIR", server.runtime_dir())
            .output()
            .unwrap_or_else(|error| panic!("{}: {error}", program.display()));
        let elapsed = started.elapsed();
        assert!(output.status.success(), "{}: {output:?}", program.display());
        elapsed
    };
    let grim = std::path::Path::new("grim");
    let runs = if quick { 3 } else { 20 };
    let (mut ours, mut theirs) = (Duration::ZERO, Duration::ZERO);
    // One of each first, unmeasured: page cache and the compositor warm up.
    run(&binary, &["-m", "1", "-q", "-o", "warm.png"]);
    run(grim, &["warm-grim.png"]);
    for _ in 0..runs {
        ours += run(&binary, &["-m", "1", "-q", "-o", "shot.png"]);
        theirs += run(grim, &["grim.png"]);
    }
    let size = |name: &str| {
        std::fs::metadata(directory.path().join(name)).map_or(0, |metadata| metadata.len())
    };
    let (ours_ms, theirs_ms) = (
        ours.as_secs_f64() * 1000.0 / f64::from(runs),
        theirs.as_secs_f64() * 1000.0 / f64::from(runs),
    );
    vec![measure(
        "wayland_shot_process/mss_over_grim",
        ours_ms / theirs_ms,
        "ratio",
        (None, None),
        format!(
            "{}x{} output, {runs} alternating runs each: mss -o shot.png {ours_ms:.1} ms ({} bytes), grim {theirs_ms:.1} ms ({} bytes)",
            OUTPUT.0,
            OUTPUT.1,
            size("shot.png"),
            size("grim.png")
        ),
    )]
}

/// The median of `samples` (not empty).
fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// One-shot grabs of the whole 60 Hz output against its refresh interval.
fn grab_latency(capture: &mut WaylandCapture, quick: bool) -> Value {
    let samples: Vec<Duration> = (0..if quick { 5 } else { 60 })
        .map(|_| {
            let started = Instant::now();
            drop(capture.grab_screen().expect("a grab"));
            started.elapsed()
        })
        .collect();
    let interval = Duration::from_secs_f64(1.0 / 60.0);
    let (min, max) = (
        *samples.iter().min().expect("samples"),
        *samples.iter().max().expect("samples"),
    );
    let median = median(samples);
    measure(
        "wayland_grab_latency_60hz/median_over_refresh_interval",
        median.as_secs_f64() / interval.as_secs_f64(),
        "ratio",
        (None, None),
        format!(
            "{}x{} at 60 Hz: median {:.2} ms (min {:.2}, max {:.2}) against {:.2} ms a repaint",
            OUTPUT.0,
            OUTPUT.1,
            median.as_secs_f64() * 1000.0,
            min.as_secs_f64() * 1000.0,
            max.as_secs_f64() * 1000.0,
            interval.as_secs_f64() * 1000.0
        ),
    )
}

/// Frames a second on a 144 Hz output, with two captures in flight and with one.
fn stream_at_144hz(server: &WaylandServer, display: &str, quick: bool) -> Vec<Value> {
    server
        .swaymsg(["output", "HEADLESS-1", "mode", "1280x720@144Hz"])
        .expect("a 144 Hz mode");
    let run_for = if quick {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(5)
    };
    let mut capture = WaylandCapture::open(Some(display)).expect("the Wayland backend");
    // A consumer that reads every byte of every frame and takes `busy` with it, as an encoder
    // would.
    let mut rate = |options: StreamOptions, busy: Duration| -> (f64, u64, u64) {
        let consume = |frame: &mss_core::Frame| {
            let started = Instant::now();
            read_every_byte(frame);
            std::thread::sleep(busy.saturating_sub(started.elapsed()));
        };
        let mut stream = capture.stream(&options).expect("a stream");
        // The first frames settle the pipeline.
        for _ in 0..5 {
            consume(&stream.next_frame().expect("a frame").frame);
        }
        let started = Instant::now();
        let mut frames = 0u64;
        let mut missed = 0u64;
        while started.elapsed() < run_for {
            let frame = stream.next_frame().expect("a frame");
            consume(&frame.frame);
            missed += frame.missed;
            frames += 1;
        }
        (
            frames as f64 / started.elapsed().as_secs_f64(),
            frames,
            missed,
        )
    };
    let pipelined = || StreamOptions::new().in_flight(2);
    let one_at_a_time = || StreamOptions::new().in_flight(1);
    let (fast, _, _) = rate(pipelined(), QUICK_CONSUMER);
    let (fast_single, _, _) = rate(one_at_a_time(), QUICK_CONSUMER);
    let (slow, _, _) = rate(pipelined(), SLOW_CONSUMER);
    let (slow_single, _, _) = rate(one_at_a_time(), SLOW_CONSUMER);
    let (_, paced, missed) = rate(
        StreamOptions::new().rate(Rate::PerSecond(144.0)),
        QUICK_CONSUMER,
    );
    let ticks = (run_for.as_secs_f64() * 144.0).round();
    vec![
        measure(
            "wayland_stream_144hz/frames_per_second",
            fast,
            "frames/s",
            (Some(144.0 * 0.97), None),
            format!(
                "1280x720 at 144 Hz, {run_for:?}, pipelined, a consumer taking {QUICK_CONSUMER:?} a frame; one capture at a time: {fast_single:.1} frames/s"
            ),
        ),
        measure(
            "wayland_stream_144hz/pipelined_over_one_at_a_time_slow_consumer",
            slow / slow_single,
            "ratio",
            (None, None),
            format!(
                "a consumer taking {SLOW_CONSUMER:?} a frame (longer than a repaint): pipelined {slow:.1} frames/s, one capture at a time {slow_single:.1} frames/s"
            ),
        ),
        measure(
            "wayland_stream_144hz/ticks_missed_at_144_fps",
            missed as f64,
            "ticks",
            (None, Some((ticks * 0.01).floor())),
            format!("a 144 fps stream for {run_for:?}: {paced} frames of {ticks} ticks"),
        ),
    ]
}
