//! `mss bench`: grabs per second with each available backend.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use mss::{Backend, Capture, Mss};
use serde_json::json;

use crate::Failure;
use crate::cli::BenchArgs;

/// One backend's measurement.
struct Measurement {
    backend: &'static str,
    method: &'static str,
    width: u32,
    height: u32,
    frames: u32,
    milliseconds_per_frame: f64,
}

/// Runs `mss bench`.
pub fn run(arguments: &BenchArgs) -> Result<(), Failure> {
    if let Some(region) = &arguments.region {
        crate::geometry::parse_geometry(region, crate::geometry::CommaOrder::LeftTop)
            .map_err(|error| Failure::Usage(format!("--region: {error}")))?;
    }
    let backends = match &arguments.connect.backend {
        Some(name) => vec![Backend::from_name(name)?],
        None => Backend::compiled_in(),
    };
    let mut results = Vec::new();
    for backend in backends {
        let mut builder = Mss::builder()
            .backend(backend)
            .allow_xwayland(arguments.connect.xwayland);
        if let Some(display) = &arguments.connect.display {
            builder = builder.display(display);
        }
        let mut screen = builder.open()?;
        let region = match &arguments.region {
            Some(text) => crate::shot::absolute_region(text, &mut screen)?,
            None => screen.monitors()?.get(arguments.monitor)?,
        };
        // One grab first: it sets up buffers and proves the method, which is not what is timed.
        drop(screen.grab(region)?);
        let progress = ProgressBar::new(u64::from(arguments.frames)).with_message(backend.name());
        progress.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {per_sec}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        let started = Instant::now();
        for _ in 0..arguments.frames {
            drop(screen.grab(region)?);
            progress.inc(1);
        }
        let elapsed = started.elapsed();
        progress.finish_and_clear();
        results.push(Measurement {
            backend: backend.name(),
            method: screen.status().method,
            width: region.width(),
            height: region.height(),
            frames: arguments.frames,
            milliseconds_per_frame: elapsed.as_secs_f64() * 1000.0 / f64::from(arguments.frames),
        });
    }
    if arguments.json {
        let document: Vec<_> = results
            .iter()
            .map(|result| {
                json!({
                    "backend": result.backend,
                    "method": result.method,
                    "width": result.width,
                    "height": result.height,
                    "frames": result.frames,
                    "milliseconds_per_frame": result.milliseconds_per_frame,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&document).expect("JSON values always serialise")
        );
    } else {
        for result in &results {
            println!(
                "{:<13} {:<9} {}x{}: {} frames, {:.3} ms/frame, {:.1} grabs/s",
                result.backend,
                result.method,
                result.width,
                result.height,
                result.frames,
                result.milliseconds_per_frame,
                1000.0 / result.milliseconds_per_frame
            );
        }
    }
    Ok(())
}
