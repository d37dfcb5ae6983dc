//! The writer threads of a recording and the bounded channel that feeds them.
//!
//! A PNG sequence is written by up to two encoders, each PNG atomically (a kill leaves every
//! finished PNG whole and no other name). One destination (raw frames, or PNGs one after
//! another) has one writer: into a regular file it writes a visible, growing `NAME.part`,
//! renamed to `NAME` at the end; a write that fails part-way (a full disk, a file-size limit)
//! or a frame of another size ends the recording with the whole frames kept under `NAME`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam::channel::{Receiver, SendTimeoutError, Sender};
use mss_core::{Region, StreamFrame};

use super::{FrameShape, Kept, Plan, RecordError, RecordFormat, RecordOptions, exists};
use crate::destination::{Existing, Output, WriteOptions, hold_for_tests};
use crate::{Error, TemplateValues};

/// The most PNG encoders: with the frames queued and in flight, well inside the backend's
/// pool of buffers (a held frame holds one).
const MAX_ENCODERS: usize = 2;

/// A frame on its way to a writer, numbered from 1.
pub(super) struct Job {
    pub(super) frame: StreamFrame,
    pub(super) number: u64,
}

/// Why a writer stopped early.
#[derive(Debug)]
pub(super) enum Stop {
    /// The reader of a pipe or socket went away: the recording ends quietly.
    Closed,
    /// Writing failed.
    Failed(RecordError),
}

/// The writer threads and the channel that feeds them.
pub(super) struct Writers {
    sender: Option<Sender<Job>>,
    threads: Vec<JoinHandle<Result<(), Stop>>>,
    /// Set by a writer that stopped early, so the capturing thread stops too.
    stopped: Arc<AtomicBool>,
    /// How long the capturing thread waits for a writer to take a frame.
    timeout: Option<Duration>,
    /// Where the frames go, for messages.
    destination: String,
}

/// A write that failed: the end of a pipe (quiet), an existing file refused, or a failure
/// with what the destination keeps.
fn write_failure(error: Error, kept: Kept) -> Stop {
    match &error {
        Error::Write { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe => {
            Stop::Closed
        }
        Error::Write { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists => {
            Stop::Failed(RecordError::Exists { error })
        }
        _ => Stop::Failed(RecordError::Write { error, kept }),
    }
}

impl Writers {
    /// Starts the writers for `plan`; `region` is the one recorded, for the first file name.
    pub(super) fn start(
        plan: Plan,
        options: &RecordOptions,
        region: Region,
    ) -> Result<Self, RecordError> {
        let write = options.write;
        let timeout = write.wait_limit();
        let level = options.level;
        let monitor = options.monitor;
        let stopped = Arc::new(AtomicBool::new(false));
        let (sender, receiver) = crossbeam::channel::bounded::<Job>(1);
        let mut threads = Vec::new();
        let destination = match plan {
            Plan::Files { template } => {
                // The first name is checked now, so an existing file stops the recording
                // before anything is captured.
                let first = crate::render_template(
                    &template,
                    &TemplateValues::new(monitor, region).with_frame(1),
                )?;
                if write.existing_rule() == Existing::Refuse
                    && std::fs::metadata(&first).is_ok_and(|file| file.is_file())
                {
                    return Err(exists(PathBuf::from(first)));
                }
                let encoders = std::thread::available_parallelism()
                    .map_or(1, usize::from)
                    .min(MAX_ENCODERS);
                for _ in 0..encoders {
                    let receiver = receiver.clone();
                    let template = template.clone();
                    let stopped = Arc::clone(&stopped);
                    threads.push(std::thread::spawn(move || {
                        let result = write_files(&receiver, &template, monitor, level, &write);
                        if result.is_err() {
                            stopped.store(true, Ordering::SeqCst);
                        }
                        result
                    }));
                }
                template
            }
            Plan::Stream { path, format } => {
                let output = Output::create(&path, &write).map_err(|error| match &error {
                    Error::Write { source, .. }
                        if source.kind() == std::io::ErrorKind::AlreadyExists =>
                    {
                        RecordError::Exists { error }
                    }
                    _ => RecordError::Mss(error),
                })?;
                let destination = output.target().display().to_string();
                let stopped = Arc::clone(&stopped);
                threads.push(std::thread::spawn(move || {
                    let result = write_stream(&receiver, output, format, level);
                    if result.is_err() {
                        stopped.store(true, Ordering::SeqCst);
                    }
                    result
                }));
                destination
            }
        };
        Ok(Self {
            sender: Some(sender),
            threads,
            stopped,
            timeout,
            destination,
        })
    }

    /// Hands `job` to a writer, waiting at most the timeout while they are all busy; `false`
    /// when they have all stopped.
    ///
    /// # Errors
    ///
    /// When no writer took the frame in time: the writers are stuck (a write that never
    /// returns), and the recording ends saying so.
    pub(super) fn send(&self, job: Job) -> Result<bool, RecordError> {
        let Some(sender) = &self.sender else {
            return Ok(false);
        };
        let number = job.number;
        let sent = match self.timeout {
            Some(timeout) => sender.send_timeout(job, timeout),
            None => sender
                .send(job)
                .map_err(|error| SendTimeoutError::Disconnected(error.0)),
        };
        match sent {
            Ok(()) => Ok(true),
            Err(SendTimeoutError::Disconnected(_)) => Ok(false),
            Err(SendTimeoutError::Timeout(_)) => Err(RecordError::WriterStuck {
                destination: self.destination.clone(),
                waited: self.timeout.unwrap_or_default(),
                frame: number,
            }),
        }
    }

    /// Whether a writer stopped early.
    pub(super) fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Lets the writers finish every frame handed over, and returns the first failure.
    pub(super) fn finish(mut self) -> Result<(), Stop> {
        drop(self.sender.take());
        let mut outcome = Ok(());
        for thread in self.threads.drain(..) {
            let result = thread.join().unwrap_or_else(|_| {
                Err(Stop::Failed(RecordError::Write {
                    error: Error::Write {
                        path: PathBuf::from(&self.destination),
                        source: std::io::Error::other("a writer thread panicked"),
                    },
                    kept: Kept::AsWritten,
                }))
            });
            if let (Ok(()), Err(stop)) = (&outcome, result) {
                outcome = Err(stop);
            }
        }
        outcome
    }
}

/// A PNG encoder: each frame to its own file, written atomically.
fn write_files(
    receiver: &Receiver<Job>,
    template: &str,
    monitor: i64,
    level: u8,
    options: &WriteOptions,
) -> Result<(), Stop> {
    let mut png = Vec::new();
    for job in receiver {
        let values = TemplateValues::new(monitor, job.frame.frame.region()).with_frame(job.number);
        let name = crate::render_template(template, &values)
            .map_err(|error| Stop::Failed(RecordError::Mss(error)))?;
        let path = PathBuf::from(name);
        png.clear();
        crate::encode_png(&job.frame.frame, level, &mut png, &path)
            .map_err(|error| write_failure(error, Kept::AsWritten))?;
        let number = job.number;
        // The backend's buffer goes back before the file is written.
        drop(job);
        crate::destination::write_bytes_with(&path, &png, options)
            .map_err(|error| write_failure(error, Kept::AsWritten))?;
        hold_for_tests(&format!("record:frame-written:{number}"));
    }
    Ok(())
}

/// The one writer of a single destination: PNGs or raw frames one after another, then the
/// output finished (a regular file named).
pub(super) fn write_stream(
    receiver: &Receiver<Job>,
    mut output: Output,
    format: RecordFormat,
    level: u8,
) -> Result<(), Stop> {
    let path = output.target().to_owned();
    let mut png = Vec::new();
    // Bytes and count of the whole frames written.
    let mut whole = 0u64;
    let mut frames = 0u64;
    let mut first: Option<FrameShape> = None;
    for job in receiver {
        let frame = &job.frame.frame;
        if format == RecordFormat::Raw {
            let shape = FrameShape {
                width: frame.width(),
                height: frame.height(),
                format: frame.format(),
            };
            match first {
                None => first = Some(shape),
                Some(first) if first != shape => {
                    let kept = end_early(output, whole, frames);
                    return Err(Stop::Failed(RecordError::SizeChanged {
                        path,
                        frame: job.number,
                        shape,
                        first,
                        kept,
                    }));
                }
                Some(_) => {}
            }
        }
        let written = match format {
            RecordFormat::Raw => write_raw(&mut output, frame),
            RecordFormat::Png => {
                png.clear();
                crate::encode_png(frame, level, &mut png, &path)
                    .map_err(|error| write_failure(error, Kept::AsWritten))?;
                std::io::Write::write_all(&mut output, &png).map(|()| png.len() as u64)
            }
        };
        let bytes = match written {
            Ok(bytes) => bytes,
            Err(source) => {
                let error = Error::Write {
                    path: path.clone(),
                    source,
                };
                return Err(match write_failure(error, Kept::AsWritten) {
                    Stop::Failed(RecordError::Write { error, .. }) => {
                        let kept = end_early(output, whole, frames);
                        Stop::Failed(RecordError::Write { error, kept })
                    }
                    other => other,
                });
            }
        };
        whole += bytes;
        frames += 1;
        hold_for_tests(&format!("record:frame-written:{}", job.number));
    }
    if frames == 0 {
        // Stopped before the first frame: no file named, an old one left as it was.
        output
            .discard()
            .map_err(|error| write_failure(error, Kept::AsWritten))?;
        return Ok(());
    }
    output
        .finish()
        .map_err(|error| write_failure(error, Kept::AsWritten))?;
    Ok(())
}

/// Writes `frame`'s rows packed (with no copy when they already are); returns the bytes.
fn write_raw(output: &mut Output, frame: &mss_core::Frame) -> std::io::Result<u64> {
    use std::io::Write as _;
    if frame.is_packed() {
        output.write_all(frame.bytes())?;
        return Ok(frame.bytes().len() as u64);
    }
    let mut bytes = 0;
    for row in frame.rows() {
        output.write_all(row)?;
        bytes += row.len() as u64;
    }
    Ok(bytes)
}

/// Ends a recording that cannot go on: a regular file keeps its `frames` whole frames
/// (`whole` bytes) under its name; with none, nothing is named. Returns what it keeps.
fn end_early(output: Output, whole: u64, frames: u64) -> Kept {
    if !output.is_named_file() {
        return Kept::AsWritten;
    }
    let target = output.target().to_owned();
    if frames == 0 {
        return match output.discard() {
            Ok(()) => Kept::Nothing,
            Err(error) => Kept::Failed(Box::new(error)),
        };
    }
    match output.finish_truncated(whole) {
        Ok(_) => Kept::Frames {
            count: frames,
            path: target,
        },
        Err(error) => Kept::Failed(Box::new(error)),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Instant;

    use mss_core::{Changes, Frame, PixelFormat};

    use super::*;

    /// A frame of `width`x`height` whose every byte is `value`.
    fn frame(width: u32, height: u32, value: u8, number: u64) -> Job {
        let region = Region::new(0, 0, width, height).unwrap();
        let bytes = vec![value; width as usize * height as usize * 4];
        let frame = Frame::from_vec(bytes, region, PixelFormat::Bgrx8888).unwrap();
        Job {
            frame: StreamFrame::new(frame, number - 1, Instant::now(), Changes::Unknown, 0),
            number,
        }
    }

    /// Runs the raw writer over `jobs` into `path`.
    fn record_raw(path: &Path, jobs: Vec<Job>) -> Result<(), Stop> {
        let (sender, receiver) = crossbeam::channel::unbounded();
        for job in jobs {
            sender.send(job).unwrap();
        }
        drop(sender);
        let output = Output::create(path, &WriteOptions::new()).unwrap();
        write_stream(&receiver, output, RecordFormat::Raw, 6)
    }

    #[test]
    fn a_frame_of_another_size_ends_a_raw_recording_with_the_frames_before_it() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("frames.raw");
        let stop = record_raw(
            &path,
            vec![
                frame(4, 2, 1, 1),
                frame(4, 2, 2, 2),
                // The output's mode or scale changed.
                frame(8, 4, 3, 3),
                frame(4, 2, 4, 4),
            ],
        )
        .unwrap_err();
        let Stop::Failed(error) = stop else {
            panic!("{stop:?}")
        };
        assert!(
            matches!(
                &error,
                RecordError::SizeChanged {
                    frame: 3,
                    kept: Kept::Frames { count: 2, .. },
                    ..
                }
            ),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(
            message.contains(
                "frame 3 is 8x4 bgr0, but the recording's frames are 4x2 bgr0 (the output's \
                 mode or scale changed)"
            ),
            "{message}"
        );
        assert!(
            message.contains("the 2 whole frames written before are in"),
            "{message}"
        );
        let mut expected = vec![1u8; 32];
        expected.extend([2u8; 32]);
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    }

    #[test]
    fn a_raw_recording_writes_every_frame_then_names_the_file() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("same.raw");
        record_raw(&path, (1..=3).map(|n| frame(4, 2, n as u8, n)).collect()).unwrap();
        let mut expected = Vec::new();
        for value in 1..=3u8 {
            expected.extend([value; 32]);
        }
        assert_eq!(std::fs::read(&path).unwrap(), expected);
    }

    #[test]
    fn a_recording_with_no_frame_names_nothing() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("kept.raw");
        std::fs::write(&path, b"an earlier recording").unwrap();
        record_raw(&path, Vec::new()).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"an earlier recording");
        let names: Vec<_> = std::fs::read_dir(directory.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
