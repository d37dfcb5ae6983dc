//! Recording: a stream's frames written as they come, as a PNG sequence or as raw frames for
//! ffmpeg. The command line's `mss record` and the Python module's `MSS.record()` are both
//! this module with their own front: arguments, signals, progress.
//!
//! [`record`] runs on the calling thread, which only captures: it pulls frames from the
//! backend's stream (pipelined and paced there) and hands each one, still in the backend's
//! buffer, over a bounded channel to the writers (PNG encoders, one per core up to two, or one
//! writer of a single destination). When the writers fall behind, the channel is full, the
//! capturing thread waits, and the stream drops the ticks it missed and counts them; nothing
//! queues without bound.
//!
//! Where frames go ([`RecordOptions::new`]'s output and [`RecordFormat`]):
//!
//! - PNG with `{n}` in the name (the frame number from 1, `{n:05}` zero-padded, besides the
//!   placeholders of [`render_template`](crate::render_template)): one file per frame, each
//!   written atomically, so a recording killed at any point leaves whole PNGs only.
//! - PNG into `-`, a descriptor, a FIFO or a device: the PNGs one after another, as ffmpeg's
//!   `image2pipe` reads them.
//! - Raw: the frames' own bytes, rows packed, one frame after another, into a descriptor, a
//!   FIFO, a device or a file. A file grows as a visible `NAME.part` and is named `NAME` at the
//!   end (see [`destination::Output`](crate::destination::Output)); a write that fails part
//!   way (a full disk, a file-size limit) ends the recording with the whole frames kept under
//!   `NAME`. Raw frames carry no header: [`ffmpeg_input`] gives the arguments that read them,
//!   from the first frame's own size (on a scaled Wayland output, device pixels), and a frame
//!   of another size (a mode or scale change) ends the recording with an error.
//!
//! Stopping: after [`frames`](RecordOptions::frames) or [`duration`](RecordOptions::duration)
//! (counted from the first frame's capture), when the observer's
//! [`should_stop`](RecordObserver::should_stop) says so (asked at least every 100 ms), when
//! the reader of a pipe goes away (not an error), or at the first error. Every frame already
//! captured is then written whole and a raw file is named. A writer that takes no frame within
//! the write timeout (a write that never returns) ends the recording with an error saying so.

mod writers;

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mss_core::{Capture, PixelFormat, Rate, Region, StreamOptions};

use crate::destination::WriteOptions;
use crate::{Error, TemplateValues};
use writers::{Job, Stop, Writers};

/// How long the capturing thread waits for a frame before it asks the observer again.
const POLL: Duration = Duration::from_millis(100);

/// What a recording writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordFormat {
    /// One PNG per frame: a sequence of files, or PNGs one after another into a descriptor, a
    /// FIFO or a device.
    Png,
    /// The frames' own bytes, rows packed, one frame after another.
    Raw,
}

/// What to record, where, and when to stop.
#[derive(Clone, Debug)]
pub struct RecordOptions {
    output: String,
    format: RecordFormat,
    stream: StreamOptions,
    frames: Option<u64>,
    duration: Option<Duration>,
    level: u8,
    write: WriteOptions,
    monitor: i64,
}

impl RecordOptions {
    /// Frames of the whole screen, as fast as they come, in `format`, to `output`: a file
    /// name template with `{n}` for a PNG sequence, else a path (`-` is standard output);
    /// PNG level [`DEFAULT_LEVEL`](crate::DEFAULT_LEVEL), existing files replaced, waits of
    /// at most [`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT); no end but the observer's.
    pub fn new(output: impl Into<String>, format: RecordFormat) -> Self {
        Self {
            output: output.into(),
            format,
            stream: StreamOptions::new(),
            frames: None,
            duration: None,
            level: crate::DEFAULT_LEVEL,
            write: WriteOptions::new(),
            monitor: 0,
        }
    }

    /// The stream to record: its target (the screen, a monitor, a region or a window), rate,
    /// captures in flight, changes only, damage and pointer.
    #[must_use]
    pub fn stream(mut self, stream: StreamOptions) -> Self {
        self.stream = stream;
        self
    }

    /// Stops after this many frames.
    #[must_use]
    pub fn frames(mut self, frames: u64) -> Self {
        self.frames = Some(frames);
        self
    }

    /// Stops this long after the first frame's capture.
    #[must_use]
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// The PNG compression level, 0-9 (see [`png_file`](crate::png_file)).
    #[must_use]
    pub fn level(mut self, level: u8) -> Self {
        self.level = level;
        self
    }

    /// What happens to existing files, and how long a write may wait.
    #[must_use]
    pub fn write_options(mut self, write: WriteOptions) -> Self {
        self.write = write;
        self
    }

    /// The monitor number file name templates show as `{mon}` (0 by default).
    #[must_use]
    pub fn monitor_number(mut self, monitor: i64) -> Self {
        self.monitor = monitor;
        self
    }

    /// The output as given.
    pub fn output(&self) -> &str {
        &self.output
    }

    /// The format.
    pub fn format(&self) -> RecordFormat {
        self.format
    }

    /// The stream's settings.
    pub fn stream_options(&self) -> &StreamOptions {
        &self.stream
    }

    /// Checks what can be checked before a display is opened: the output (a PNG sequence
    /// needs `{n}` unless it goes to one destination), the template, the level and the rate.
    ///
    /// # Errors
    ///
    /// [`RecordError::NeedsFrameNumber`], or [`Error::Template`], [`Error::InvalidLevel`] and
    /// [`mss_core::Error::InvalidRate`] in [`RecordError::Mss`].
    pub fn check(&self) -> Result<(), RecordError> {
        crate::check_level(self.level)?;
        self.stream.period()?;
        Plan::new(&self.output, self.format).map(drop)
    }
}

/// Where frames go, decided before anything is captured.
enum Plan {
    /// One PNG file per frame, named by the template.
    Files { template: String },
    /// Every frame, one after another, into one destination.
    Stream { path: PathBuf, format: RecordFormat },
}

impl Plan {
    /// The plan for `output` in `format`.
    fn new(output: &str, format: RecordFormat) -> Result<Self, RecordError> {
        Ok(match format {
            RecordFormat::Raw => Plan::Stream {
                path: PathBuf::from(output),
                format,
            },
            RecordFormat::Png => {
                let placeholder = Region::new(0, 0, 1, 1).expect("a 1x1 region");
                let name = |frame| {
                    crate::render_template(
                        output,
                        &TemplateValues::new(0, placeholder).with_frame(frame),
                    )
                };
                if name(1)? != name(2)? {
                    Plan::Files {
                        template: output.to_owned(),
                    }
                } else if crate::destination::descriptor_named(Path::new(output)).is_some()
                    || is_special(Path::new(output))
                {
                    Plan::Stream {
                        path: PathBuf::from(output),
                        format,
                    }
                } else {
                    return Err(RecordError::NeedsFrameNumber {
                        output: output.to_owned(),
                    });
                }
            }
        })
    }
}

/// Whether `path` exists and is neither a regular file nor a directory (a FIFO, a device or a
/// socket), links followed.
fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|metadata| !metadata.is_file() && !metadata.is_dir())
}

/// The ffmpeg input arguments that read raw frames of `width`x`height` in `format` at `rate`
/// from `input` (`-` for standard input):
/// `-f rawvideo -pixel_format bgr0 -video_size 1920x1080 -framerate 30 -i -`. Frames taken as
/// fast as possible get no `-framerate` (ffmpeg then assumes 25).
pub fn ffmpeg_input(
    format: PixelFormat,
    (width, height): (u32, u32),
    rate: Rate,
    input: &Path,
) -> String {
    let rate = match rate {
        Rate::PerSecond(fps) => format!(" -framerate {fps}"),
        // As fast as possible (and any rate this version does not know): no steady rate.
        _ => String::new(),
    };
    let input = if input == Path::new("-") {
        "-".to_owned()
    } else {
        input.display().to_string()
    };
    format!(
        "-f rawvideo -pixel_format {} -video_size {width}x{height}{rate} -i {input}",
        format.ffmpeg_pixel_format(),
    )
}

/// What a recording tells its caller while it runs, and asks it. Every method has a default
/// that does nothing (and never stops), so an observer implements only what it needs; `()`
/// is the observer that does nothing.
pub trait RecordObserver {
    /// The stream is open; `description` says how it captures
    /// ([`FrameStream::describe`](mss_core::FrameStream::describe)).
    fn started(&mut self, description: &str) {
        let _ = description;
    }

    /// The first frame was captured: its layout and size, which every raw frame keeps.
    fn first_frame(&mut self, format: PixelFormat, size: (u32, u32)) {
        let _ = (format, size);
    }

    /// A frame was handed to the writers: `frames` so far, and the ticks `missed` so far
    /// (unchanged, or dropped while the writers were busy).
    fn progress(&mut self, frames: u64, missed: u64) {
        let _ = (frames, missed);
    }

    /// Whether to stop now: asked before every frame and at least every 100 ms while none
    /// comes. The frames captured so far are written whole.
    fn should_stop(&mut self) -> bool {
        false
    }
}

impl RecordObserver for () {}

/// Why a recording ended without an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordEnd {
    /// The frames or the duration asked for were recorded.
    Limit,
    /// The observer said stop.
    Stopped,
    /// The reader of the pipe or socket went away.
    ReaderClosed,
}

/// A recording that ended without an error.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Recorded {
    /// The frames handed to the writers, all written.
    pub frames: u64,
    /// Ticks that gave no frame (unchanged screen, or dropped while the writers were busy).
    pub missed: u64,
    /// Why it ended.
    pub end: RecordEnd,
    /// The first frame's layout and size (`None` when no frame came).
    pub first_frame: Option<(PixelFormat, (u32, u32))>,
}

/// A raw frame's size and layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameShape {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The layout of its pixels.
    pub format: PixelFormat,
}

impl std::fmt::Display for FrameShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}x{} {}",
            self.width,
            self.height,
            self.format.ffmpeg_pixel_format()
        )
    }
}

/// What a recording that failed part-way left in its file.
#[derive(Debug)]
#[non_exhaustive]
pub enum Kept {
    /// Nothing to say: the frames went to a pipe, a device or a socket, or each PNG of a
    /// sequence was written whole on its own.
    AsWritten,
    /// The file holds this many whole frames, under its name.
    Frames {
        /// How many.
        count: u64,
        /// The file.
        path: PathBuf,
    },
    /// No whole frame was written, so nothing was named (an old file stays as it was).
    Nothing,
    /// Keeping the whole frames failed too.
    Failed(Box<Error>),
}

impl std::fmt::Display for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kept::AsWritten => Ok(()),
            Kept::Frames { count, path } => write!(
                f,
                "; the {count} whole frames written before are in {}",
                path.display()
            ),
            Kept::Nothing => f.write_str("; no whole frame was written"),
            Kept::Failed(error) => write!(f, "; then {error}"),
        }
    }
}

/// How a recording failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// A PNG output without `{n}` that is not one destination (a descriptor, a FIFO, a
    /// device): every frame would replace the last.
    #[error(
        "{output:?}: a PNG sequence needs {{n}} in the file name (frame-{{n:05}}.png), unless it \
         goes to -, a FIFO or a device"
    )]
    NeedsFrameNumber {
        /// The output as given.
        output: String,
    },

    /// A file to be written exists, and the options keep existing files
    /// ([`Existing::Refuse`](crate::destination::Existing::Refuse)); it is left as it was.
    #[error("{}", exists_message(.error))]
    Exists {
        /// The refusal ([`Error::Write`] of kind [`io::ErrorKind::AlreadyExists`]).
        error: Error,
    },

    /// No writer took a frame within the write timeout: a write that never returns.
    #[error(
        "{destination}: no frame was taken by the writer within {} s (frame {frame} was \
         waiting); writing is stuck, so the recording ended",
        waited.as_secs_f64()
    )]
    WriterStuck {
        /// Where the frames go.
        destination: String,
        /// How long the frame waited.
        waited: Duration,
        /// The frame's number, from 1.
        frame: u64,
    },

    /// A raw frame of another size or layout than the first (the output's mode or scale
    /// changed): raw video has one frame size.
    #[error(
        "{}: frame {frame} is {shape}, but the recording's frames are {first} (the output's \
         mode or scale changed); raw video has one frame size, so the recording ended{kept}",
        path.display()
    )]
    SizeChanged {
        /// The destination.
        path: PathBuf,
        /// The frame's number, from 1.
        frame: u64,
        /// Its size and layout.
        shape: FrameShape,
        /// The first frame's.
        first: FrameShape,
        /// What the file keeps.
        kept: Kept,
    },

    /// Writing failed (a full disk, a file-size limit, an encoder error).
    #[error("{error}{kept}")]
    Write {
        /// The failure, naming the path.
        error: Error,
        /// What the file keeps.
        kept: Kept,
    },

    /// The capture, the stream, the template or the level.
    #[error(transparent)]
    Mss(#[from] Error),
}

impl From<mss_core::Error> for RecordError {
    fn from(error: mss_core::Error) -> Self {
        RecordError::Mss(Error::from(error))
    }
}

impl RecordError {
    /// Whether the recording stopped at a file that exists because the options keep existing
    /// files: a front end says how to replace them (`--overwrite`, `overwrite=True`).
    pub fn is_existing_file(&self) -> bool {
        matches!(self, RecordError::Exists { .. })
    }
}

/// `PATH: the file exists`, or the refusal's own message when it says more (a leftover
/// `NAME.part`).
fn exists_message(error: &Error) -> String {
    match error {
        Error::Write { path, source } if source.to_string().starts_with("the file exists") => {
            format!("{}: the file exists", path.display())
        }
        other => other.to_string(),
    }
}

/// The refusal of `path`, which exists.
fn exists(path: PathBuf) -> RecordError {
    RecordError::Exists {
        error: Error::Write {
            path,
            source: io::Error::new(io::ErrorKind::AlreadyExists, "the file exists"),
        },
    }
}

/// Records `options`' stream from `capture`, telling `observer` how it goes; see the
/// [module docs](self).
///
/// # Errors
///
/// [`RecordError`]: the output refused before anything is captured (no `{n}`, the first file
/// exists, a destination that cannot be opened), a capture error (the frames captured before
/// it are written), a write that failed (what the file keeps is said), a stuck writer, a raw
/// frame of another size.
pub fn record(
    capture: &mut dyn Capture,
    options: &RecordOptions,
    observer: &mut dyn RecordObserver,
) -> Result<Recorded, RecordError> {
    options.check()?;
    let plan = Plan::new(&options.output, options.format)?;
    let region = options.stream.target_region(capture)?;
    let writers = Writers::start(plan, options, region)?;
    let mut stream = match capture.stream(&options.stream) {
        Ok(stream) => stream,
        Err(error) => {
            // No frame was sent: the writers name nothing and leave no `NAME.part`.
            let _ = writers.finish();
            return Err(error.into());
        }
    };
    observer.started(&stream.describe());

    let mut recorded = Recorded {
        frames: 0,
        missed: 0,
        end: RecordEnd::Limit,
        first_frame: None,
    };
    let mut end = None;
    let mut failure = None;
    loop {
        if observer.should_stop() {
            recorded.end = RecordEnd::Stopped;
            break;
        }
        if writers.stopped() || options.frames.is_some_and(|limit| recorded.frames >= limit) {
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
                    options
                        .duration
                        .and_then(|duration| frame.captured_at.checked_add(duration))
                        .unwrap_or_else(|| far_future(frame.captured_at))
                });
                if frame.captured_at >= end {
                    break;
                }
                recorded.frames += 1;
                recorded.missed += frame.missed;
                if recorded.first_frame.is_none() {
                    // The frames' own size: on a scaled output, device pixels.
                    let first = (
                        frame.frame.format(),
                        (frame.frame.width(), frame.frame.height()),
                    );
                    recorded.first_frame = Some(first);
                    observer.first_frame(first.0, first.1);
                }
                let job = Job {
                    frame,
                    number: recorded.frames,
                };
                // `false`: the writers have all stopped; their outcome says why.
                if !writers.send(job)? {
                    break;
                }
                observer.progress(recorded.frames, recorded.missed);
            }
            Ok(None) => {}
            Err(error) => {
                failure = Some(RecordError::from(error));
                break;
            }
        }
    }
    drop(stream);
    match (writers.finish(), failure) {
        (Err(Stop::Failed(error)), _) => Err(error),
        (_, Some(failure)) => Err(failure),
        (Err(Stop::Closed), None) => {
            recorded.end = RecordEnd::ReaderClosed;
            Ok(recorded)
        }
        (Ok(()), None) => Ok(recorded),
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
        let size = (640, 480);
        assert_eq!(
            ffmpeg_input(
                PixelFormat::Bgrx8888,
                size,
                Rate::PerSecond(30.0),
                Path::new("-")
            ),
            "-f rawvideo -pixel_format bgr0 -video_size 640x480 -framerate 30 -i -"
        );
        assert_eq!(
            ffmpeg_input(
                PixelFormat::Rgb565,
                size,
                Rate::AsFastAsPossible,
                Path::new("out.raw")
            ),
            "-f rawvideo -pixel_format rgb565le -video_size 640x480 -i out.raw"
        );
        assert_eq!(
            ffmpeg_input(
                PixelFormat::Xrgb2101010,
                size,
                Rate::PerSecond(59.94),
                Path::new("-")
            ),
            "-f rawvideo -pixel_format x2rgb10le -video_size 640x480 -framerate 59.94 -i -"
        );
    }

    #[test]
    fn a_png_output_needs_a_frame_number_unless_it_is_one_destination() {
        let check = |output: &str, format| RecordOptions::new(output, format).check();
        assert!(check("frame-{n:05}.png", RecordFormat::Png).is_ok());
        assert!(check("-", RecordFormat::Png).is_ok());
        assert!(check("/dev/null", RecordFormat::Png).is_ok());
        assert!(check("out.raw", RecordFormat::Raw).is_ok());
        let error = check("same.png", RecordFormat::Png).unwrap_err();
        assert!(
            matches!(&error, RecordError::NeedsFrameNumber { output } if output == "same.png"),
            "{error:?}"
        );
        assert!(
            error.to_string().starts_with(
                "\"same.png\": a PNG sequence needs {n} in the file name (frame-{n:05}.png)"
            ),
            "{error}"
        );
        let level = RecordOptions::new("f-{n}.png", RecordFormat::Png)
            .level(10)
            .check()
            .unwrap_err();
        assert!(
            matches!(level, RecordError::Mss(Error::InvalidLevel { level: 10 })),
            "{level:?}"
        );
        assert!(matches!(
            check("f-{nope}.png", RecordFormat::Png).unwrap_err(),
            RecordError::Mss(Error::Template { .. })
        ));
        let rate = RecordOptions::new("f-{n}.png", RecordFormat::Png)
            .stream(StreamOptions::new().rate(Rate::PerSecond(0.0)))
            .check()
            .unwrap_err();
        assert!(
            matches!(
                rate,
                RecordError::Mss(Error::Capture(mss_core::Error::InvalidRate { .. }))
            ),
            "{rate:?}"
        );
    }

    #[test]
    fn an_existing_file_is_named_with_or_without_more_to_say() {
        assert_eq!(
            exists(PathBuf::from("shots/f-1.png")).to_string(),
            "shots/f-1.png: the file exists"
        );
        let leftover = RecordError::Exists {
            error: Error::Write {
                path: PathBuf::from("out.raw"),
                source: io::Error::new(io::ErrorKind::AlreadyExists, "out.raw.part is left over"),
            },
        };
        assert!(leftover.is_existing_file());
        assert_eq!(
            leftover.to_string(),
            "cannot write out.raw: out.raw.part is left over"
        );
    }
}
