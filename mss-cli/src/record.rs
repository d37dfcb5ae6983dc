//! `mss record`: frames continuously, as a PNG sequence or raw frames for ffmpeg.
//!
//! The recording itself is the facade's ([`mss::record`]): the capturing thread, the writers
//! and their bounded channel, every frame written whole, raw files named at the end. This
//! module is its front: the arguments, checked before the display is opened; the first
//! interrupt (`SIGINT`, `SIGTERM`, `SIGHUP`) stops the recording cleanly and a second ends the
//! process at once; the ffmpeg input arguments printed from the first frame; the progress line
//! and the summary.

use std::io::IsTerminal as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mss::destination::{Existing, WriteOptions};
use mss::record::{RecordEnd, RecordError, RecordFormat, RecordObserver, RecordOptions};
use mss::{Capture as _, PixelFormat, Rate, Region, StreamOptions, StreamTarget};

use crate::Failure;
use crate::cli::{self, RecordArgs};
use crate::shot;

/// The PNG template when `-o` is not given.
const PNG_TEMPLATE: &str = "frame-{n:05}.png";

/// The recording's failure as the command line says it.
fn failure(error: RecordError) -> Failure {
    match error {
        RecordError::NeedsFrameNumber { .. } => Failure::Usage(format!("-o {error}")),
        RecordError::Mss(error) => Failure::from(error),
        error if error.is_existing_file() => {
            Failure::Capture(format!("{error} (--overwrite replaces it)"))
        }
        error => Failure::Capture(error.to_string()),
    }
}

/// The facade's options for `arguments`, writing to `output`; the region is placed later.
fn options(arguments: &RecordArgs, output: &str) -> RecordOptions {
    let format = match arguments.format {
        cli::RecordFormat::Png => RecordFormat::Png,
        cli::RecordFormat::Raw => RecordFormat::Raw,
    };
    let existing = if arguments.overwrite {
        Existing::Replace
    } else {
        Existing::Refuse
    };
    let write = WriteOptions::new()
        .existing(existing)
        .timeout(shot::wait_limit(&arguments.connect));
    let mut options = RecordOptions::new(output, format)
        .level(arguments.level)
        .write_options(write)
        .monitor_number(arguments.monitor);
    if let Some(frames) = arguments.frames {
        options = options.frames(frames);
    }
    if let Some(duration) = arguments.duration {
        options = options.duration(duration);
    }
    options
}

/// The rate `--fps` asks for.
fn rate(arguments: &RecordArgs) -> Rate {
    if arguments.fps > 0.0 {
        Rate::PerSecond(arguments.fps)
    } else {
        Rate::AsFastAsPossible
    }
}

/// Sets a flag at the first `SIGINT`, `SIGTERM` or `SIGHUP`; the second ends the process.
fn stop_on_signals() -> Result<Arc<AtomicBool>, Failure> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM, SIGHUP] {
        // Registered first, so it sees the flag before the second registration sets it.
        signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&flag))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&flag)))
            .map_err(|error| Failure::Capture(format!("cannot handle signal {signal}: {error}")))?;
    }
    Ok(flag)
}

/// The progress line: on a terminal only, and not with `-q`.
fn progress(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} frames in {elapsed} {msg}")
            .expect("a valid template"),
    );
    bar
}

/// What the command line shows while recording, and the interrupts that stop it.
struct Front<'a> {
    arguments: &'a RecordArgs,
    /// The region recorded, for the first line.
    region: Region,
    /// Where raw frames go, for the ffmpeg arguments; `None` for PNG.
    raw_output: Option<&'a Path>,
    stop: Arc<AtomicBool>,
    bar: ProgressBar,
}

impl RecordObserver for Front<'_> {
    fn started(&mut self, description: &str) {
        if !self.arguments.quiet {
            eprintln!("mss: recording {} with {description}", self.region);
        }
    }

    fn first_frame(&mut self, format: PixelFormat, size: (u32, u32)) {
        let Some(output) = self.raw_output else {
            return;
        };
        if self.arguments.quiet {
            return;
        }
        eprintln!(
            "mss: ffmpeg input: {}",
            mss::record::ffmpeg_input(format, size, rate(self.arguments), output)
        );
        if self.arguments.fps == 0.0 || self.arguments.changes_only {
            eprintln!(
                "mss: note: frames are not evenly spaced ({}); raw video has no timestamps",
                if self.arguments.changes_only {
                    "--changes-only"
                } else {
                    "--fps 0"
                }
            );
        }
    }

    fn progress(&mut self, frames: u64, missed: u64) {
        self.bar.set_position(frames);
        if missed > 0 {
            self.bar
                .set_message(format!("({missed} ticks without a new frame)"));
        }
    }

    fn should_stop(&mut self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// Runs `mss record`.
pub fn run(arguments: &RecordArgs) -> Result<(), Failure> {
    // Everything that can be checked without a display first, so usage errors win.
    let coordinates = shot::parse_placement(
        arguments.coordinates.as_deref(),
        arguments.region.as_deref(),
    )?;
    let output = arguments
        .output
        .as_deref()
        .unwrap_or(match arguments.format {
            cli::RecordFormat::Png => PNG_TEMPLATE,
            cli::RecordFormat::Raw => "-",
        });
    let options = options(arguments, output);
    options.check().map_err(failure)?;
    if mss::destination::descriptor_named(Path::new(output)) == Some(1)
        && std::io::stdout().is_terminal()
    {
        return Err(Failure::Usage(
            "standard output is a terminal, and frames are binary: pipe them \
             (mss record --format raw -o - | ffmpeg ...) or name a file with -o"
                .to_owned(),
        ));
    }

    let mut screen = shot::open(&arguments.connect, false)?;
    let region = match shot::place(
        &mut screen,
        coordinates.as_ref(),
        arguments.region.as_deref(),
        arguments.monitor,
    )? {
        Some(region) => region,
        None => match arguments.monitor {
            0 | -1 => screen.monitors()?.all(),
            number => screen.monitors()?.get(number)?,
        },
    };
    let stream = StreamOptions::new()
        .target(StreamTarget::Region(region))
        .rate(rate(arguments))
        .in_flight(usize::from(arguments.in_flight))
        .changes_only(arguments.changes_only)
        .use_damage(!arguments.no_damage)
        .with_cursor(arguments.with_cursor);
    let options = options.stream(stream);
    let mut front = Front {
        arguments,
        region,
        raw_output: (options.format() == RecordFormat::Raw).then_some(Path::new(output)),
        stop: stop_on_signals()?,
        bar: progress(arguments.quiet),
    };
    let recorded = mss::record::record(&mut screen, &options, &mut front);
    front.bar.finish_and_clear();
    let recorded = recorded.map_err(failure)?;
    if !arguments.quiet {
        eprintln!(
            "mss: {} frames recorded{}{}",
            recorded.frames,
            if recorded.missed > 0 {
                format!(
                    ", {} ticks without a new frame (unchanged or dropped)",
                    recorded.missed
                )
            } else {
                String::new()
            },
            if recorded.end == RecordEnd::Stopped {
                ", stopped by a signal"
            } else {
                ""
            }
        );
    }
    Ok(())
}
