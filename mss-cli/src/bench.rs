//! `mss bench`: milliseconds per grab with each available backend, beside its floor.
//!
//! The floor is the cheapest loop of the same request over libxcb, from `mss-floor` (libxcb
//! loaded at run time, raw requests, no mss code): the same floors the criterion benchmarks
//! compare against. Backend and floor calls alternate, one each per frame, so both see the
//! same machine load, and their ratio is what a slow layer in mss would show as.
//!
//! With `--stream`, a consumer reads every byte of every frame, and grab-then-read one at a
//! time is timed against the backend's stream (which overlaps the display's copy with the
//! consumer's reading, and copies only what changed unless `--no-damage`).

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use mss::{Backend, Capture, DisplaySystem, Mss};
use mss_floor::{GetImageFloor, ShmFloor};
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
    floor: Result<FloorMeasurement, String>,
}

/// The floor's side of a measurement.
struct FloorMeasurement {
    describe: &'static str,
    milliseconds_per_frame: f64,
}

impl Measurement {
    fn ratio(&self) -> Option<f64> {
        self.floor
            .as_ref()
            .ok()
            .map(|floor| self.milliseconds_per_frame / floor.milliseconds_per_frame)
    }
}

/// The floor beside one backend: the same request as its grabs, looped over libxcb.
enum Floor {
    /// `ShmGetImage` into one segment, beside a backend grabbing with MIT-SHM.
    Shm(ShmFloor),
    /// `GetImage`, reply freed, beside a backend grabbing with `GetImage`.
    GetImage(GetImageFloor),
}

impl Floor {
    /// The floor for a backend of `system` grabbing with `method` on `display`, or why there
    /// is none.
    fn for_backend(
        system: DisplaySystem,
        method: &str,
        display: &str,
        region: mss::Region,
    ) -> Result<Self, String> {
        if system != DisplaySystem::X11 {
            return Err(format!("no floor for {system} backends"));
        }
        let floor = match method {
            "MIT-SHM" => ShmFloor::open(display, region).map(Self::Shm),
            "GetImage" => GetImageFloor::open(display, region).map(Self::GetImage),
            other => return Err(format!("no floor for the method {other}")),
        };
        floor.map_err(|error| error.to_string())
    }

    /// What the floor does, in words.
    fn describe(&self) -> &'static str {
        match self {
            Self::Shm(_) => "ShmGetImage loop over libxcb",
            Self::GetImage(_) => "GetImage loop over libxcb",
        }
    }

    /// One request, waited on (a `GetImage` reply is freed at once).
    fn grab(&self) -> Result<(), String> {
        match self {
            Self::Shm(floor) => floor.grab().map(drop),
            Self::GetImage(floor) => floor.grab().map(drop),
        }
        .map_err(|error| error.to_string())
    }
}

/// The floor for what `screen` grabs with, or why there is none.
fn open_floor(screen: &mut Mss, backend: Backend, region: mss::Region) -> Result<Floor, String> {
    let display = screen.screen().map_err(|error| error.to_string())?.display;
    Floor::for_backend(
        backend.display_system(),
        screen.status().method,
        &display,
        region,
    )
}

/// Runs `mss bench`.
pub fn run(arguments: &BenchArgs) -> Result<(), Failure> {
    if let Some(region) = &arguments.region {
        crate::geometry::parse_geometry(region, crate::geometry::CommaOrder::LeftTop)
            .map_err(|error| Failure::Usage(format!("--region: {error}")))?;
    }
    let backends = match &arguments.connect.backend {
        Some(name) => vec![Backend::from_name(name)?],
        None => {
            // Every backend of the session's display system (of the display named, with
            // --display): an X11 backend cannot open a Wayland socket, nor the other way.
            let session = match &arguments.connect.display {
                Some(display) => mss::Session::for_display(display),
                None => mss::Session::from_env(),
            };
            let system = session.display_system();
            Backend::compiled_in()
                .into_iter()
                .filter(|backend| system.is_none_or(|system| backend.display_system() == system))
                .collect()
        }
    };
    let named = arguments.connect.backend.is_some();
    let mut results = Vec::new();
    let mut streams = Vec::new();
    let mut not_measured = Vec::new();
    for backend in backends {
        let connect = crate::cli::ConnectArgs {
            backend: None,
            ..arguments.connect.clone()
        };
        // A backend that would ask the user (the screen-cast portal's dialog) is asked only
        // when named, or when nothing before it could be measured: `mss bench` on sway
        // measures wlr-screencopy and shows no portal dialog.
        let may_ask_user = named || (results.is_empty() && streams.is_empty());
        let builder = crate::shot::builder(&connect)?
            .backend(backend)
            .may_ask_user(may_ask_user);
        let mut screen = match builder.open() {
            Ok(screen) => screen,
            // Without a backend named, each of the session's display system is measured; one
            // that cannot capture this display (wlr-screencopy on GNOME, GNOME's screen cast on
            // sway) is left out, saying why, when another can.
            Err(error) if !named => {
                let error = error.to_string();
                let reason = error
                    .strip_prefix(&format!("{backend}: "))
                    .unwrap_or(&error);
                not_measured.push(format!("{backend} not measured: {reason}"));
                continue;
            }
            Err(error) => return Err(error.into()),
        };
        let region = match &arguments.region {
            Some(text) => crate::shot::absolute_region(text, &mut screen)?,
            None => screen.monitors()?.get(arguments.monitor)?,
        };
        // One grab first: it sets up buffers and proves the method, which is not what is timed.
        drop(screen.grab(region)?);
        if arguments.stream {
            streams.push(measure_stream(&mut screen, backend, region, arguments)?);
            continue;
        }
        let floor = open_floor(&mut screen, backend, region);
        if let Ok(floor) = &floor {
            floor.grab().map_err(Failure::Capture)?;
        }
        let progress = ProgressBar::new(u64::from(arguments.frames)).with_message(backend.name());
        progress.set_style(
            ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {per_sec}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        let (mut backend_time, mut floor_time) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..arguments.frames {
            let started = Instant::now();
            drop(screen.grab(region)?);
            let grabbed = Instant::now();
            backend_time += grabbed - started;
            if let Ok(floor) = &floor {
                floor.grab().map_err(Failure::Capture)?;
                floor_time += grabbed.elapsed();
            }
            progress.inc(1);
        }
        progress.finish_and_clear();
        let per_frame =
            |total: Duration| total.as_secs_f64() * 1000.0 / f64::from(arguments.frames);
        results.push(Measurement {
            backend: backend.name(),
            method: screen.status().method,
            width: region.width(),
            height: region.height(),
            frames: arguments.frames,
            milliseconds_per_frame: per_frame(backend_time),
            floor: floor.map(|floor| FloorMeasurement {
                describe: floor.describe(),
                milliseconds_per_frame: per_frame(floor_time),
            }),
        });
    }
    if results.is_empty() && streams.is_empty() && !not_measured.is_empty() {
        return Err(Failure::Captures(not_measured));
    }
    for line in &not_measured {
        eprintln!("mss: {line}");
    }
    if arguments.stream {
        print_streams(&streams, arguments.json);
        return Ok(());
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
                    "floor": result.floor.as_ref().ok().map(|floor| floor.describe),
                    "floor_milliseconds_per_frame": result
                        .floor
                        .as_ref()
                        .ok()
                        .map(|floor| floor.milliseconds_per_frame),
                    "ratio_to_floor": result.ratio(),
                    "floor_unavailable": result.floor.as_ref().err(),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&document).expect("JSON values always serialise")
        );
    } else {
        for result in &results {
            let floor = match (&result.floor, result.ratio()) {
                (Ok(floor), Some(ratio)) => format!(
                    "; floor ({}) {:.3} ms/frame, ratio {ratio:.3}",
                    floor.describe, floor.milliseconds_per_frame
                ),
                (Err(reason), _) => format!("; no floor: {reason}"),
                (Ok(_), None) => String::new(),
            };
            println!(
                "{:<13} {:<9} {}x{}: {} frames, {:.3} ms/frame, {:.1} grabs/s{floor}",
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

/// One backend's stream measurement.
struct StreamMeasurement {
    backend: &'static str,
    /// The stream's own description (method, frames in flight, how changes are found).
    stream: String,
    width: u32,
    height: u32,
    frames: u32,
    sequential_ms_per_frame: f64,
    stream_ms_per_frame: f64,
}

/// Reads every byte of `frame`, as a consumer that looks at the whole picture does (a video
/// encoder, a vision model): eight bytes at a time, summed so that nothing can be skipped.
fn read_every_byte(frame: &mss::Frame) -> u64 {
    let mut sum = 0u64;
    for row in frame.rows() {
        let mut chunks = row.chunks_exact(8);
        for chunk in &mut chunks {
            sum = sum.wrapping_add(u64::from_ne_bytes(
                chunk.try_into().expect("chunks of eight bytes"),
            ));
        }
        for &byte in chunks.remainder() {
            sum = sum.wrapping_add(u64::from(byte));
        }
    }
    std::hint::black_box(sum)
}

/// Rounds of sequential and streamed frames alternate, so both see the same machine load.
const STREAM_ROUNDS: u32 = 5;

/// Frames each fresh stream delivers before timing starts (its buffers are set up then).
const STREAM_WARM_UP: u32 = 2;

/// Times grab-then-read against the stream, in alternating rounds.
fn measure_stream(
    screen: &mut Mss,
    backend: Backend,
    region: mss::Region,
    arguments: &BenchArgs,
) -> Result<StreamMeasurement, Failure> {
    let options = mss::StreamOptions::new()
        .target(mss::StreamTarget::Region(region))
        .in_flight(usize::from(arguments.in_flight))
        .use_damage(!arguments.no_damage);
    let rounds = STREAM_ROUNDS.min(arguments.frames);
    let progress = ProgressBar::new(u64::from(arguments.frames) * 2).with_message(backend.name());
    progress.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {per_sec}")
            .expect("the template is valid")
            .progress_chars("=> "),
    );
    let (mut sequential, mut streamed) = (Duration::ZERO, Duration::ZERO);
    let mut description = String::new();
    for round in 0..rounds {
        // The frames split as evenly as they go over the rounds.
        let frames = arguments.frames / rounds + u32::from(round < arguments.frames % rounds);
        let started = Instant::now();
        for _ in 0..frames {
            read_every_byte(&screen.grab(region)?);
            progress.inc(1);
        }
        sequential += started.elapsed();

        let mut stream = screen.stream(&options)?;
        description = stream.describe();
        let limit = crate::shot::wait_limit(&arguments.connect);
        for _ in 0..STREAM_WARM_UP {
            read_every_byte(&next_frame_within(stream.as_mut(), limit, backend)?.frame);
        }
        let started = Instant::now();
        for _ in 0..frames {
            read_every_byte(&next_frame_within(stream.as_mut(), limit, backend)?.frame);
            progress.inc(1);
        }
        streamed += started.elapsed();
    }
    progress.finish_and_clear();
    let per_frame = |total: Duration| total.as_secs_f64() * 1000.0 / f64::from(arguments.frames);
    Ok(StreamMeasurement {
        backend: backend.name(),
        stream: description,
        width: region.width(),
        height: region.height(),
        frames: arguments.frames,
        sequential_ms_per_frame: per_frame(sequential),
        stream_ms_per_frame: per_frame(streamed),
    })
}

/// The stream's next frame, waiting at most `limit` (`--timeout`): a stream of a screen cast
/// gets frames only when the screen changes, so on a still screen it would wait for ever.
fn next_frame_within(
    stream: &mut dyn mss::FrameStream,
    limit: Option<Duration>,
    backend: Backend,
) -> Result<mss::StreamFrame, Failure> {
    let deadline = limit.map(|limit| Instant::now() + limit);
    match stream.next_frame_before(deadline)? {
        Some(frame) => Ok(frame),
        None => Err(Failure::Capture(format!(
            "the {backend} stream gave no frame within {} s (a stream of a screen cast gets a \
             frame only when the screen changes)",
            limit.unwrap_or_default().as_secs_f64()
        ))),
    }
}

/// Prints stream measurements as text or JSON.
fn print_streams(measurements: &[StreamMeasurement], json: bool) {
    if json {
        let document: Vec<_> = measurements
            .iter()
            .map(|measurement| {
                json!({
                    "backend": measurement.backend,
                    "stream": measurement.stream,
                    "width": measurement.width,
                    "height": measurement.height,
                    "frames": measurement.frames,
                    "sequential_ms_per_frame": measurement.sequential_ms_per_frame,
                    "stream_ms_per_frame": measurement.stream_ms_per_frame,
                    "speedup": measurement.sequential_ms_per_frame / measurement.stream_ms_per_frame,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&document).expect("JSON values always serialise")
        );
        return;
    }
    for measurement in measurements {
        println!(
            "{:<13} {}x{}: {} frames read in full; grab then read {:.3} ms/frame, stream {:.3} ms/frame, {:.2}x ({})",
            measurement.backend,
            measurement.width,
            measurement.height,
            measurement.frames,
            measurement.sequential_ms_per_frame,
            measurement.stream_ms_per_frame,
            measurement.sequential_ms_per_frame / measurement.stream_ms_per_frame,
            measurement.stream,
        );
    }
}
