//! [`PipeWireError`]: everything that can go wrong in this crate.

use std::io;
use std::sync::Arc;

/// What went wrong, in words a user can act on.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipeWireError {
    /// libpipewire could not be loaded.
    #[error(
        "cannot load {library}, the PipeWire client library: {reason}; install the Debian package {package} (or your distribution's PipeWire client library)"
    )]
    LibraryMissing {
        /// The file that was loaded.
        library: String,
        /// The Debian package that ships it.
        package: &'static str,
        /// The dynamic loader's message.
        reason: String,
    },
    /// The library lacks a function this crate calls.
    #[error("{library} has no function {symbol}: PipeWire 0.3.40 or later is needed")]
    SymbolMissing {
        /// The file loaded.
        library: String,
        /// The function missing.
        symbol: &'static str,
    },
    /// A libpipewire call failed.
    #[error("{call} failed: {source}")]
    Call {
        /// The function, by name.
        call: &'static str,
        /// The error it reported (from `errno` or its negative return value).
        #[source]
        source: Arc<io::Error>,
    },
    /// A string given for PipeWire holds a NUL byte.
    #[error("{what} holds a NUL byte: {text:?}")]
    Nul {
        /// Which string.
        what: &'static str,
        /// The string.
        text: String,
    },
    /// Bytes that are not one whole POD.
    #[error("not a POD: {reason}")]
    InvalidPod {
        /// What is wrong.
        reason: String,
    },
    /// Waiting for a stream's event from a thread that holds the thread loop's lock, which
    /// the loop needs to deliver it.
    #[error("waiting for a stream event while holding the thread loop's lock would deadlock")]
    WaitWhileLocked,
}

impl PipeWireError {
    /// A failed call, from a negative errno-style return value.
    pub(crate) fn from_result(call: &'static str, result: i32) -> Self {
        Self::Call {
            call,
            source: Arc::new(io::Error::from_raw_os_error(result.saturating_neg())),
        }
    }

    /// A failed call that returned null and set `errno`.
    pub(crate) fn from_errno(call: &'static str) -> Self {
        Self::Call {
            call,
            source: Arc::new(io::Error::last_os_error()),
        }
    }
}
