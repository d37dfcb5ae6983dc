//! [`FloorError`]: why a floor could not be set up or could not grab.

use std::io;

/// Why a floor could not be set up or could not grab.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FloorError {
    /// libxcb could not be loaded at run time (`libxcb.so.1` is missing).
    #[error("libxcb could not be loaded (libxcb.so.1), so there is no floor over it")]
    LibxcbUnavailable,
    /// The display could not be opened.
    #[error("cannot open display {display}: {reason}")]
    Connect {
        /// The display name.
        display: String,
        /// What libxcb said.
        reason: String,
    },
    /// The screen, region or server is not what the floors measure (a region beyond the
    /// protocol's 16-bit fields, a server without MIT-SHM or Composite).
    #[error("display {display} cannot be used for the floor: {reason}")]
    Unsupported {
        /// The display name.
        display: String,
        /// What is missing.
        reason: String,
    },
    /// A request failed.
    #[error("display {display}: {request} failed: {reason}")]
    Request {
        /// The display name.
        display: String,
        /// The request, such as `ShmGetImage`.
        request: &'static str,
        /// What libxcb said.
        reason: String,
    },
    /// The operating system refused a step with the memfd.
    #[error("{step} failed: {source}")]
    System {
        /// The step, in words.
        step: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}
