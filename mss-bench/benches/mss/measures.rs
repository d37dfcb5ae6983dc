//! Measurements that are not a time per iteration, so not criterion's: a stream left running
//! for a while at a fixed rate, on the largest screen of the plan.
//!
//! - `idle_changes_only_60fps`: a changes-only stream at 60 frames a second on the still
//!   scene, polled as `mss record` polls it (a deadline every 100 ms). The CPU time of this
//!   process over the run, in percent of one core, and the frames delivered after the first
//!   (there should be none); the X server's CPU time beside it.
//! - `fixed_rate_60fps`: a stream at 60 frames a second, every frame taken: how many frames in
//!   the run against the ticks it spans, and the spread of the intervals between captures.
//!
//! Each is a record of [`crate::measure_file`], with the bounds the project claims.

use std::time::{Duration, Instant};

use mss_bench::{BenchScreen, cpu_time};
use mss_core::{Capture as _, Rate, StreamOptions};
use serde_json::Value;

use crate::measure_file::measure;

/// How often the consumer looks up from waiting, as `mss record` does.
const POLL: Duration = Duration::from_millis(100);

/// Runs both measurements for `run_for` each, on the largest screen of the plan.
pub fn run(screen: &BenchScreen, run_for: Duration) -> Vec<Value> {
    let mut measures = idle_changes_only(screen, run_for);
    measures.extend(fixed_rate(screen, run_for));
    measures
}

fn idle_changes_only(screen: &BenchScreen, run_for: Duration) -> Vec<Value> {
    let mut capture = screen.open_shm().expect("SHM capturer");
    let options = StreamOptions::new()
        .rate(Rate::PerSecond(60.0))
        .changes_only(true);
    let mut stream = capture.stream(&options).expect("stream");
    screen
        .scene()
        .assert_frame(&stream.next_frame().expect("the first frame").frame);
    let (ours, server) = (
        cpu_time(None).expect("own CPU time"),
        cpu_time(Some(screen.server_pid())).expect("Xvfb's CPU time"),
    );
    let start = Instant::now();
    let end = start + run_for;
    let mut frames = 0u32;
    while Instant::now() < end {
        let deadline = end.min(Instant::now() + POLL);
        if stream
            .next_frame_before(Some(deadline))
            .expect("stream")
            .is_some()
        {
            frames += 1;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let percent = |spent: Duration| 100.0 * spent.as_secs_f64() / elapsed;
    let ours = percent(cpu_time(None).expect("own CPU time") - ours);
    let server = percent(cpu_time(Some(screen.server_pid())).expect("Xvfb's CPU time") - server);
    let size = screen.size().label();
    vec![
        measure(
            "idle_changes_only_60fps/cpu_percent_of_one_core",
            ours,
            "%",
            (None, Some(2.0)),
            format!(
                "{size}, {elapsed:.1} s, {}; Xvfb used {server:.2} %",
                stream.describe()
            ),
        ),
        measure(
            "idle_changes_only_60fps/frames_after_the_first",
            f64::from(frames),
            "frames",
            (None, Some(0.0)),
            format!("{size}, {elapsed:.1} s on a still screen"),
        ),
    ]
}

fn fixed_rate(screen: &BenchScreen, run_for: Duration) -> Vec<Value> {
    let mut capture = screen.open_shm().expect("SHM capturer");
    let mut stream = capture
        .stream(&StreamOptions::new().rate(Rate::PerSecond(60.0)))
        .expect("stream");
    let first = stream.next_frame().expect("the first frame");
    let start = first.captured_at;
    drop(first);
    let end = start + run_for;
    let mut captures = vec![start];
    let mut missed = 0u64;
    loop {
        let frame = stream.next_frame().expect("frame");
        if frame.captured_at >= end {
            break;
        }
        missed += frame.missed;
        captures.push(frame.captured_at);
    }
    let expected = (run_for.as_secs_f64() * 60.0).round();
    let mut intervals: Vec<f64> = captures
        .windows(2)
        .map(|pair| (pair[1] - pair[0]).as_secs_f64() * 1000.0)
        .collect();
    intervals.sort_by(f64::total_cmp);
    let quantile = |q: f64| intervals[((intervals.len() - 1) as f64 * q).round() as usize];
    let mean = intervals.iter().sum::<f64>() / intervals.len() as f64;
    let deviation = (intervals
        .iter()
        .map(|interval| (interval - mean).powi(2))
        .sum::<f64>()
        / intervals.len() as f64)
        .sqrt();
    let spread = format!(
        "intervals ms: min {:.2}, median {:.2}, p99 {:.2}, max {:.2}, mean {mean:.3}, std dev {deviation:.3}; {missed} ticks missed",
        quantile(0.0),
        quantile(0.5),
        quantile(0.99),
        quantile(1.0)
    );
    let size = screen.size().label();
    vec![
        measure(
            "fixed_rate_60fps/frames",
            captures.len() as f64,
            "frames",
            (Some(expected * 0.99), Some(expected * 1.01)),
            format!("{size}, {run_for:?}: {expected} ticks; {spread}"),
        ),
        measure(
            "fixed_rate_60fps/interval_p99_ms",
            quantile(0.99),
            "ms",
            (None, None),
            spread,
        ),
    ]
}
