//! `Capturer.record`: the facade's recording ([`mss::record`]) from Python, without the GIL.
//!
//! The recording runs on the calling thread with the GIL released, on a capturer of its own
//! (opened as the `MSS` was, which stays free for grabs meanwhile). The facade asks its
//! observer whether to stop at least every 100 ms; the observer then takes the GIL for a
//! moment to run Python's signal handlers (so Ctrl-C on the main thread is seen) and to ask
//! the caller's `stop` object, if any (`threading.Event().is_set()`). Either ends the recording
//! cleanly: every frame captured is written whole, a raw file is named, and then the
//! `KeyboardInterrupt` (or any error of `stop`) is raised.

use std::time::Duration;

use mss::destination::Existing;
use mss::record::{RecordEnd, RecordFormat, RecordObserver, RecordOptions, Recorded};
use mss::{MssBuilder, PixelFormat, Rate, StreamOptions, StreamTarget};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::Failure;

/// What `record` was asked for, read from Python's arguments with the GIL held.
pub struct Request {
    /// The output: a template with `{n}`, or a path.
    pub output: String,
    /// `None`: the whole screen.
    pub target: StreamTarget,
    /// `png` or `raw`.
    pub format: RecordFormat,
    /// `None`: as fast as possible.
    pub fps: Option<f64>,
    /// Stop after this many frames.
    pub frames: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// PNG level.
    pub level: u8,
    /// Only frames that changed.
    pub changes_only: bool,
    /// Captures in flight.
    pub in_flight: usize,
    /// Changes from X11 DAMAGE.
    pub use_damage: bool,
    /// The pointer drawn in.
    pub with_cursor: bool,
    /// Replace existing files.
    pub overwrite: bool,
    /// An object whose `is_set()` says stop.
    pub stop: Option<Py<PyAny>>,
}

impl Request {
    /// The format named `name`.
    pub fn format(name: &str) -> PyResult<RecordFormat> {
        match name.to_ascii_lowercase().as_str() {
            "png" => Ok(RecordFormat::Png),
            "raw" => Ok(RecordFormat::Raw),
            _ => Err(pyo3::exceptions::PyValueError::new_err(format!(
                "format must be 'png' or 'raw', not {name:?}"
            ))),
        }
    }

    fn rate(&self) -> Rate {
        self.fps.map_or(Rate::AsFastAsPossible, Rate::PerSecond)
    }

    fn options(&self) -> RecordOptions {
        let stream = StreamOptions::new()
            .target(self.target)
            .rate(self.rate())
            .in_flight(self.in_flight)
            .changes_only(self.changes_only)
            .use_damage(self.use_damage)
            .with_cursor(self.with_cursor);
        let mut options = RecordOptions::new(self.output.clone(), self.format)
            .stream(stream)
            .level(self.level);
        if let Some(frames) = self.frames {
            options = options.frames(frames);
        }
        if let Some(duration) = self.duration {
            options = options.duration(duration);
        }
        options
    }
}

/// Asks Python, with the GIL taken for a moment, whether to stop.
struct Observer {
    stop: Option<Py<PyAny>>,
    /// The `KeyboardInterrupt` (or the error of `stop.is_set()`) to raise once the recording
    /// has ended cleanly.
    raised: Option<PyErr>,
}

impl RecordObserver for Observer {
    fn should_stop(&mut self) -> bool {
        if self.raised.is_some() {
            return true;
        }
        Python::attach(|py| {
            let asked = py.check_signals().and_then(|()| match &self.stop {
                Some(stop) => stop.bind(py).call_method0("is_set")?.is_truthy(),
                None => Ok(false),
            });
            match asked {
                Ok(stop) => stop,
                Err(error) => {
                    self.raised = Some(error);
                    true
                }
            }
        })
    }
}

/// Records `request` on a new capturer built by `builder`; returns the summary as a dict
/// (`frames`, `missed`, `ended`, `size`, `pixel_format`, `ffmpeg_input`).
pub fn record<'py>(
    py: Python<'py>,
    builder: MssBuilder,
    mut request: Request,
) -> PyResult<Bound<'py, PyDict>> {
    request.options().check().map_err(Failure::Record)?;
    let mut observer = Observer {
        stop: request.stop.take(),
        raised: None,
    };
    let options = request.options();
    let recorded = py.detach(|| -> Result<Recorded, Failure> {
        let mut mss = builder.open()?;
        let existing = if request.overwrite {
            Existing::Replace
        } else {
            Existing::Refuse
        };
        let options = options.write_options(mss.write_options().existing(existing));
        mss::record::record(&mut mss, &options, &mut observer).map_err(Failure::Record)
    });
    let recorded = recorded.map_err(|failure| failure.into_py_err(py))?;
    if let Some(raised) = observer.raised {
        return Err(raised);
    }
    summary(py, &request, &recorded)
}

/// The summary of `recorded` for Python.
fn summary<'py>(
    py: Python<'py>,
    request: &Request,
    recorded: &Recorded,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("frames", recorded.frames)?;
    dict.set_item("missed", recorded.missed)?;
    let ended = match recorded.end {
        RecordEnd::Limit => "limit",
        RecordEnd::Stopped => "stopped",
        RecordEnd::ReaderClosed => "reader closed",
        _ => "other",
    };
    dict.set_item("ended", ended)?;
    let first: Option<(PixelFormat, (u32, u32))> = recorded.first_frame;
    dict.set_item("size", first.map(|(_, size)| size))?;
    dict.set_item(
        "pixel_format",
        first.map(|(format, _)| format.ffmpeg_pixel_format()),
    )?;
    let ffmpeg_input = match (request.format, first) {
        (RecordFormat::Raw, Some((format, size))) => Some(mss::record::ffmpeg_input(
            format,
            size,
            request.rate(),
            std::path::Path::new(&request.output),
        )),
        _ => None,
    };
    dict.set_item("ffmpeg_input", ffmpeg_input)?;
    Ok(dict)
}
