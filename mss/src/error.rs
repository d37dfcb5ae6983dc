//! [`Error`]: what the facade can report, wrapping capture errors from [`mss_core`].

use std::path::PathBuf;

/// Everything the facade can fail with: a capture error from the backend, a backend choice
/// that cannot be honoured, or a file that cannot be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The backend failed (display, region, monitor, connection...); see [`mss_core::Error`].
    #[error(transparent)]
    Capture(#[from] mss_core::Error),

    /// A backend name that no backend has.
    #[error("unknown backend {name:?}; available: {available}")]
    UnknownBackend {
        /// The name as given.
        name: String,
        /// The backends this build carries, comma separated.
        available: String,
    },

    /// A known backend whose Cargo feature is off in this build.
    #[error("backend {name:?} is not compiled in; available: {available}")]
    BackendNotCompiled {
        /// The name as given.
        name: String,
        /// The backends this build carries, comma separated.
        available: String,
    },

    /// No candidate backend could open the session's display; every candidate's answer, in
    /// the order asked (see [`Backend::candidates`](crate::Backend::candidates)).
    #[error("{0}")]
    NoBackendOpened(crate::Refusals),

    /// A file name template that cannot be rendered.
    #[error("output template {template:?}: {reason}")]
    Template {
        /// The template as given.
        template: String,
        /// What is wrong with it.
        reason: String,
    },

    /// Saving several monitors, some could not be saved; the others were.
    #[error(
        "{} of {total} monitors could not be saved: {}",
        failures.len(),
        failures.iter().map(|(monitor, error)| format!("monitor {monitor}: {error}")).collect::<Vec<_>>().join("; ")
    )]
    MonitorsFailed {
        /// How many monitors were to be saved.
        total: usize,
        /// The files written, in monitor order.
        written: Vec<PathBuf>,
        /// Each monitor that failed, with its error.
        failures: Vec<(i64, Box<Error>)>,
    },

    /// A PNG compression level outside 0-9.
    #[error("PNG compression level {level} is not in 0-9")]
    InvalidLevel {
        /// The level as given.
        level: u8,
    },

    /// A file could not be written (or its directory used).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file that was being written.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The PNG encoder failed.
    #[cfg(feature = "png")]
    #[error("cannot encode {} as PNG: {source}", path.display())]
    Encode {
        /// The file that was being written.
        path: PathBuf,
        /// The encoder's error.
        #[source]
        source: png::EncodingError,
    },
}
