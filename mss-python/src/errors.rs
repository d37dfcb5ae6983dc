//! Errors as Python exceptions: every failure is raised as a subclass of `ScreenShotError`
//! (defined in `mss/exception.py`) named for the kind of the Rust error, with the Rust message,
//! the kind's name (`error.kind`) and the fields of the kind (`error.details`).
//!
//! The failures of the module itself ([`Failure`]) are made on threads without the GIL, so they
//! are plain Rust values until [`Failure::into_py_err`] runs with the GIL.

use mss_core::{Region, WindowProblem};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// Everything the module can fail with before it is a Python exception.
#[derive(Debug)]
pub enum Failure {
    /// An error of the facade, or of a backend through it.
    Mss(mss::Error),
    /// A recording that failed (its frames captured before are written).
    Record(mss::record::RecordError),
    /// The capturer was closed.
    Closed {
        /// What was asked for.
        what: &'static str,
    },
    /// The stream was closed, or its worker stopped.
    StreamClosed,
    /// A failure of the module's own, with the exception class and kind to raise it as.
    Other {
        /// The class in `mss.exception`.
        class: &'static str,
        /// `error.kind`.
        kind: &'static str,
        /// The message.
        message: String,
    },
}

impl From<mss::Error> for Failure {
    fn from(error: mss::Error) -> Self {
        Failure::Mss(error)
    }
}

impl From<mss_core::Error> for Failure {
    fn from(error: mss_core::Error) -> Self {
        Failure::Mss(mss::Error::from(error))
    }
}

impl From<Failure> for PyErr {
    fn from(failure: Failure) -> Self {
        Python::attach(|py| failure.into_py_err(py))
    }
}

/// A region as `(left, top, width, height)`, as `details` carry it.
fn region_tuple(region: &Region) -> (i32, i32, u32, u32) {
    (region.left(), region.top(), region.width(), region.height())
}

impl Failure {
    /// The exception to raise: its class in `mss.exception`, its kind, its message and its
    /// details.
    pub fn into_py_err(self, py: Python<'_>) -> PyErr {
        match self.build(py) {
            Ok(error) => error,
            Err(error) => error,
        }
    }

    fn build(self, py: Python<'_>) -> PyResult<PyErr> {
        let details = PyDict::new(py);
        let message = self.to_string();
        let (class, kind) = match self {
            Failure::Mss(error) => describe_mss(&error, &details)?,
            Failure::Record(error) => describe_record(&error, &details)?,
            Failure::Closed { what } => {
                details.set_item("operation", what)?;
                ("ClosedError", "Closed")
            }
            Failure::StreamClosed => ("ClosedError", "StreamClosed"),
            Failure::Other { class, kind, .. } => (class, kind),
        };
        raise(py, class, kind, &message, details)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Mss(error) => write!(f, "{error}"),
            Failure::Record(error) if error.is_existing_file() => {
                write!(f, "{error} (overwrite=True replaces it)")
            }
            Failure::Record(error) => write!(f, "{error}"),
            Failure::Closed { what } => {
                write!(f, "cannot {what}: the capturer is closed")
            }
            Failure::StreamClosed => f.write_str("the stream is closed"),
            Failure::Other { message, .. } => f.write_str(message),
        }
    }
}

/// An instance of `mss.exception.<class>(message, kind=kind, details=details)` as a `PyErr`.
pub fn raise(
    py: Python<'_>,
    class: &str,
    kind: &str,
    message: &str,
    details: Bound<'_, PyDict>,
) -> PyResult<PyErr> {
    let exception = py.import("mss.exception")?.getattr(class)?;
    let keywords = PyDict::new(py);
    keywords.set_item("kind", kind)?;
    keywords.set_item("details", details)?;
    let instance = exception.call((message,), Some(&keywords))?;
    Ok(PyErr::from_value(instance))
}

/// A plain `ScreenShotError` subclass of the module's own, with no details.
pub fn error(py: Python<'_>, class: &'static str, kind: &'static str, message: String) -> PyErr {
    Failure::Other {
        class,
        kind,
        message,
    }
    .into_py_err(py)
}

/// The class and kind of a recording's failure, its fields put into `details`.
fn describe_record(
    error: &mss::record::RecordError,
    details: &Bound<'_, PyDict>,
) -> PyResult<(&'static str, &'static str)> {
    use mss::record::RecordError as R;
    Ok(match error {
        R::NeedsFrameNumber { output } => {
            details.set_item("template", output)?;
            ("TemplateError", "NeedsFrameNumber")
        }
        R::Exists { error } => {
            if let mss::Error::Write { path, .. } = error {
                details.set_item("path", path)?;
            }
            ("ExistingFileError", "Exists")
        }
        R::WriterStuck {
            destination,
            waited,
            frame,
        } => {
            details.set_item("destination", destination)?;
            details.set_item("seconds", waited.as_secs_f64())?;
            details.set_item("frame", frame)?;
            ("RecordingError", "WriterStuck")
        }
        R::SizeChanged {
            path,
            frame,
            shape,
            first,
            kept,
        } => {
            details.set_item("path", path)?;
            details.set_item("frame", frame)?;
            details.set_item("size", (shape.width, shape.height))?;
            details.set_item("first_size", (first.width, first.height))?;
            details.set_item("kept", kept.to_string().trim_start_matches("; "))?;
            ("RecordingError", "SizeChanged")
        }
        R::Write { error, kept } => {
            details.set_item("kept", kept.to_string().trim_start_matches("; "))?;
            describe_mss(error, details)?
        }
        R::Mss(error) => describe_mss(error, details)?,
        _ => ("RecordingError", "Other"),
    })
}

/// The class and kind of a facade error, its fields put into `details`.
fn describe_mss(
    error: &mss::Error,
    details: &Bound<'_, PyDict>,
) -> PyResult<(&'static str, &'static str)> {
    Ok(match error {
        mss::Error::Capture(error) => describe_capture(error, details)?,
        mss::Error::UnknownBackend { name, available } => {
            details.set_item("name", name)?;
            details.set_item("available", available)?;
            ("UnknownBackendError", "UnknownBackend")
        }
        mss::Error::BackendNotCompiled { name, available } => {
            details.set_item("name", name)?;
            details.set_item("available", available)?;
            ("UnknownBackendError", "BackendNotCompiled")
        }
        mss::Error::NoBackendOpened(refusals) => {
            let answers: Vec<(&str, String)> = refusals
                .candidates()
                .iter()
                .map(|candidate| (candidate.backend().name(), candidate.answer().to_string()))
                .collect();
            details.set_item("session", refusals.session())?;
            details.set_item("answers", answers)?;
            ("DisplayUnavailableError", "NoBackendOpened")
        }
        mss::Error::Template { template, reason } => {
            details.set_item("template", template)?;
            details.set_item("reason", reason)?;
            ("TemplateError", "Template")
        }
        mss::Error::MonitorsFailed {
            total,
            written,
            failures,
        } => {
            details.set_item("total", total)?;
            details.set_item("written", written)?;
            let failures: Vec<(i64, String)> = failures
                .iter()
                .map(|(monitor, error)| (*monitor, error.to_string()))
                .collect();
            details.set_item("failures", failures)?;
            ("ScreenShotError", "MonitorsFailed")
        }
        mss::Error::InvalidLevel { level } => {
            details.set_item("level", level)?;
            ("InvalidLevelError", "InvalidLevel")
        }
        mss::Error::Write { path, source } => {
            details.set_item("path", path)?;
            details.set_item("errno", source.raw_os_error())?;
            ("WriteError", "Write")
        }
        mss::Error::Encode { path, .. } => {
            details.set_item("path", path)?;
            ("WriteError", "Encode")
        }
        _ => ("ScreenShotError", "Other"),
    })
}

/// The class and kind of a capture error, its fields put into `details`.
fn describe_capture(
    error: &mss_core::Error,
    details: &Bound<'_, PyDict>,
) -> PyResult<(&'static str, &'static str)> {
    use mss_core::Error as E;
    Ok(match error {
        E::DisplayUnavailable {
            display, reason, ..
        } => {
            details.set_item("display", display)?;
            details.set_item("reason", reason)?;
            ("DisplayUnavailableError", "DisplayUnavailable")
        }
        E::UnsupportedFormat {
            display,
            depth,
            reason,
        } => {
            details.set_item("display", display)?;
            details.set_item("depth", depth)?;
            details.set_item("reason", reason)?;
            ("UnsupportedError", "UnsupportedFormat")
        }
        E::InvalidRegion { region, reason } => {
            details.set_item("region", region)?;
            details.set_item("reason", reason)?;
            ("InvalidRegionError", "InvalidRegion")
        }
        E::RegionOutOfBounds {
            display,
            region,
            screen,
        } => {
            details.set_item("display", display)?;
            details.set_item("region", region_tuple(region))?;
            details.set_item("screen", region_tuple(screen))?;
            ("RegionOutOfBoundsError", "RegionOutOfBounds")
        }
        E::MonitorNotFound {
            display,
            number,
            count,
        } => {
            details.set_item("display", display)?;
            details.set_item("number", number)?;
            details.set_item("count", count)?;
            ("MonitorNotFoundError", "MonitorNotFound")
        }
        E::WindowUnavailable {
            display,
            window,
            problem,
        } => {
            details.set_item("display", display)?;
            details.set_item("window", window)?;
            let problem = match problem {
                WindowProblem::Gone => "gone",
                WindowProblem::Unmapped => "unmapped",
                WindowProblem::Minimized => "minimized",
                _ => "other",
            };
            details.set_item("problem", problem)?;
            ("WindowUnavailableError", "WindowUnavailable")
        }
        E::CursorUnavailable { display, reason } => {
            details.set_item("display", display)?;
            details.set_item("reason", reason)?;
            ("CursorUnavailableError", "CursorUnavailable")
        }
        E::Unsupported {
            backend,
            what,
            reason,
        } => {
            details.set_item("backend", backend)?;
            details.set_item("what", what)?;
            details.set_item("reason", reason)?;
            ("UnsupportedError", "Unsupported")
        }
        E::XWaylandRoot {
            display,
            evidence,
            instead,
        } => {
            details.set_item("display", display)?;
            details.set_item("evidence", evidence)?;
            details.set_item("instead", instead)?;
            ("XWaylandRootError", "XWaylandRoot")
        }
        E::Protocol {
            display,
            request,
            message,
            ..
        } => {
            details.set_item("display", display)?;
            details.set_item("request", request)?;
            details.set_item("message", message)?;
            ("ProtocolError", "Protocol")
        }
        E::ConnectionLost {
            display, reason, ..
        } => {
            details.set_item("display", display)?;
            details.set_item("reason", reason)?;
            ("ConnectionLostError", "ConnectionLost")
        }
        E::Timeout {
            display,
            waiting_for,
            seconds,
        } => {
            details.set_item("display", display)?;
            details.set_item("waiting_for", waiting_for)?;
            details.set_item("seconds", seconds)?;
            ("DisplayTimeoutError", "Timeout")
        }
        E::InvalidRate { rate } => {
            details.set_item("rate", rate)?;
            ("InvalidRateError", "InvalidRate")
        }
        E::BuffersExhausted { limit } => {
            details.set_item("limit", limit)?;
            ("BuffersExhaustedError", "BuffersExhausted")
        }
        E::SharedMemory { bytes, reason, .. } => {
            details.set_item("bytes", bytes)?;
            details.set_item("reason", reason)?;
            ("SharedMemoryError", "SharedMemory")
        }
        E::FrameLayout { .. } => ("ScreenShotError", "FrameLayout"),
        E::Io { context, source } => {
            details.set_item("context", context)?;
            details.set_item("errno", source.raw_os_error())?;
            ("ScreenShotError", "Io")
        }
        _ => ("ScreenShotError", "Other"),
    })
}
