//! `mss record`: frames continuously, as a PNG sequence or raw frames for ffmpeg.
//!
//! The capturing thread only captures: it pulls frames from the backend's stream (pipelined
//! and paced there) and hands each one, still in the backend's buffer, over a bounded channel
//! to the writers (PNG encoders, one per core up to two, or one raw writer). When the writers
//! fall behind, the channel is full, the capturing thread waits, and the stream drops the
//! ticks it missed and counts them; nothing queues without bound.
//!
//! Stopping: after `--frames` or `--duration`, at the first interrupt (`SIGINT`, `SIGTERM`,
//! `SIGHUP`), when the reader of a pipe goes away (quietly), or at the first error. Every frame
//! already captured is then written whole, a raw file is named, and a second interrupt ends
//! the process at once. A writer that takes no frame within `--timeout` (a write that never
//! returns) ends the recording with an error saying so.
//!
//! Raw frames carry no header, so their size is printed for ffmpeg from the first frame (on a
//! scaled Wayland output, device pixels: twice the region's size at scale 2), and a frame of
//! another size (a mode or scale change) ends the recording with an error.

mod writers;

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mss::{Capture, PixelFormat, Rate, Region, StreamOptions, StreamTarget, TemplateValues};

use crate::Failure;
use crate::cli::{RecordArgs, RecordFormat};
use crate::shot;
use writers::{Job, Stop, Writers};

/// The PNG template when `-o` is not given.
const PNG_TEMPLATE: &str = "frame-{n:05}.png";

/// How long the capturing thread waits for a frame before it looks at the stop flags again.
const POLL: Duration = Duration::from_millis(100);

/// Where frames go, decided before the display is opened.
enum Plan {
    /// One PNG file per frame, named by the template.
    Files { template: String },
    /// Every frame, one after another, into one destination.
    Stream { path: PathBuf, format: RecordFormat },
}

impl Plan {
    /// The plan `arguments` ask for, or a usage error.
    fn new(arguments: &RecordArgs) -> Result<Self, Failure> {
        let output = arguments
            .output
            .as_deref()
            .unwrap_or(match arguments.format {
                RecordFormat::Png => PNG_TEMPLATE,
                RecordFormat::Raw => "-",
            });
        let plan = match arguments.format {
            RecordFormat::Raw => Plan::Stream {
                path: PathBuf::from(output),
                format: RecordFormat::Raw,
            },
            RecordFormat::Png => {
                let placeholder = Region::new(0, 0, 1, 1).expect("a 1x1 region");
                let name = |frame| {
                    mss::render_template(
                        output,
                        &TemplateValues::new(0, placeholder).with_frame(frame),
                    )
                };
                if name(1)? != name(2)? {
                    Plan::Files {
                        template: output.to_owned(),
                    }
                } else if mss::destination::descriptor_named(Path::new(output)).is_some()
                    || is_special(Path::new(output))
                {
                    Plan::Stream {
                        path: PathBuf::from(output),
                        format: RecordFormat::Png,
                    }
                } else {
                    return Err(Failure::Usage(format!(
                        "-o {output:?}: a PNG sequence needs {{n}} in the file name \
                         (frame-{{n:05}}.png), unless it goes to -, a FIFO or a device"
                    )));
                }
            }
        };
        if let Plan::Stream { path, .. } = &plan
            && mss::destination::descriptor_named(path) == Some(1)
            && std::io::stdout().is_terminal()
        {
            return Err(Failure::Usage(
                "standard output is a terminal, and frames are binary: pipe them \
                 (mss record --format raw -o - | ffmpeg ...) or name a file with -o"
                    .to_owned(),
            ));
        }
        Ok(plan)
    }
}

/// Whether `path` exists and is neither a regular file nor a directory (a FIFO, a device or a
/// socket), links followed.
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|metadata| !metadata.is_file() && !metadata.is_dir())
}

/// The ffmpeg input arguments that read raw frames of `width`x`height` in `format`.
fn ffmpeg_input(
    format: PixelFormat,
    (width, height): (u32, u32),
    fps: f64,
    output: &Path,
) -> String {
    let rate = if fps > 0.0 {
        format!(" -framerate {fps}")
    } else {
        String::new()
    };
    let input = if output == Path::new("-") {
        "-".to_owned()
    } else {
        output.display().to_string()
    };
    format!(
        "-f rawvideo -pixel_format {} -video_size {width}x{height}{rate} -i {input}",
        format.ffmpeg_pixel_format(),
    )
}

/// Prints the ffmpeg input arguments for raw frames of `size` in `format`, and a note when
/// they are not evenly spaced.
fn print_ffmpeg_input(
    arguments: &RecordArgs,
    format: PixelFormat,
    size: (u32, u32),
    output: &Path,
) {
    eprintln!(
        "mss: ffmpeg input: {}",
        ffmpeg_input(format, size, arguments.fps, output)
    );
    if arguments.fps == 0.0 || arguments.changes_only {
        eprintln!(
            "mss: note: frames are not evenly spaced ({}); raw video has no timestamps",
            if arguments.changes_only {
                "--changes-only"
            } else {
                "--fps 0"
            }
        );
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

/// Runs `mss record`.
pub fn run(arguments: &RecordArgs) -> Result<(), Failure> {
    // Everything that can be checked without a display first, so usage errors win.
    let coordinates = shot::parse_placement(
        arguments.coordinates.as_deref(),
        arguments.region.as_deref(),
    )?;
    let plan = Plan::new(arguments)?;

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
    let raw_output = match &plan {
        Plan::Stream {
            path,
            format: RecordFormat::Raw,
        } => Some(path.clone()),
        _ => None,
    };
    let writers = Writers::start(plan, arguments, arguments.monitor, region)?;
    let stop = stop_on_signals()?;

    let rate = if arguments.fps > 0.0 {
        Rate::PerSecond(arguments.fps)
    } else {
        Rate::AsFastAsPossible
    };
    let options = StreamOptions::new()
        .target(StreamTarget::Region(region))
        .rate(rate)
        .in_flight(usize::from(arguments.in_flight))
        .changes_only(arguments.changes_only)
        .use_damage(!arguments.no_damage)
        .with_cursor(arguments.with_cursor);
    let mut stream = screen.stream(&options)?;
    if !arguments.quiet {
        eprintln!("mss: recording {region} with {}", stream.describe());
    }

    let bar = progress(arguments.quiet);
    let mut delivered = 0u64;
    let mut missed = 0u64;
    let mut end = None;
    let mut failure = None;
    loop {
        if stop.load(Ordering::SeqCst) || writers.stopped() {
            break;
        }
        if arguments.frames.is_some_and(|limit| delivered >= limit) {
            break;
        }
        let now = Instant::now();
        if end.is_some_and(|end| now >= end) {
            break;
        }
        let wake = now + POLL;
        let deadline = end.map_or(wake, |end: Instant| end.min(wake));
        match stream.next_frame_before(Some(deadline)) {
            Ok(Some(frame)) => {
                // The duration counts from the first frame's capture.
                let end = *end.get_or_insert_with(|| {
                    arguments
                        .duration
                        .and_then(|duration| frame.captured_at.checked_add(duration))
                        .unwrap_or_else(|| far_future(frame.captured_at))
                });
                if frame.captured_at >= end {
                    break;
                }
                delivered += 1;
                missed += frame.missed;
                if delivered == 1
                    && !arguments.quiet
                    && let Some(output) = &raw_output
                {
                    // The frames' own size: on a scaled output, device pixels.
                    let size = (frame.frame.width(), frame.frame.height());
                    print_ffmpeg_input(arguments, frame.frame.format(), size, output);
                }
                match writers.send(Job {
                    frame,
                    number: delivered,
                }) {
                    Ok(true) => {}
                    Ok(false) => break,
                    // The writers are stuck: leave them, and say so.
                    Err(failure) => return Err(failure),
                }
                bar.set_position(delivered);
                if missed > 0 {
                    bar.set_message(format!("({missed} ticks without a new frame)"));
                }
            }
            Ok(None) => {}
            Err(error) => {
                failure = Some(Failure::from(error));
                break;
            }
        }
    }
    drop(stream);
    bar.finish_and_clear();
    let written = writers.finish();
    let interrupted = stop.load(Ordering::SeqCst);
    match (written, failure) {
        (Err(Stop::Failed(message)), _) => Err(Failure::Capture(message)),
        (_, Some(failure)) => Err(failure),
        (Ok(()) | Err(Stop::Closed), None) => {
            if !arguments.quiet {
                eprintln!(
                    "mss: {delivered} frames recorded{}{}",
                    if missed > 0 {
                        format!(", {missed} ticks without a new frame (unchanged or dropped)")
                    } else {
                        String::new()
                    },
                    if interrupted {
                        ", stopped by a signal"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
    }
}

/// An instant far enough ahead to mean "no end".
fn far_future(from: Instant) -> Instant {
    from + Duration::from_secs(100 * 365 * 24 * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ffmpeg_input_names_the_layout_size_and_rate() {
        let region = (640, 480);
        assert_eq!(
            ffmpeg_input(PixelFormat::Bgrx8888, region, 30.0, Path::new("-")),
            "-f rawvideo -pixel_format bgr0 -video_size 640x480 -framerate 30 -i -"
        );
        assert_eq!(
            ffmpeg_input(PixelFormat::Rgb565, region, 0.0, Path::new("out.raw")),
            "-f rawvideo -pixel_format rgb565le -video_size 640x480 -i out.raw"
        );
        assert_eq!(
            ffmpeg_input(PixelFormat::Xrgb2101010, region, 59.94, Path::new("-")),
            "-f rawvideo -pixel_format x2rgb10le -video_size 640x480 -framerate 59.94 -i -"
        );
    }
}
