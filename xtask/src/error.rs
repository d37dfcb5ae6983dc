//! The one error type of xtask: every failure names the command, file or step it concerns.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can make an xtask command fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum XtaskError {
    /// The command line given to xtask was not understood.
    #[error("{message}\n\n{usage}", usage = crate::usage::USAGE)]
    Usage {
        /// What was wrong with the arguments.
        message: String,
    },

    /// A program could not be started at all (usually: it is not installed).
    #[error("could not start `{command}`: {source}")]
    CommandNotStarted {
        /// The command line, as shown to the user.
        command: String,
        /// Why the operating system refused to start it.
        #[source]
        source: std::io::Error,
    },

    /// A program ran and exited unsuccessfully.
    #[error("`{command}` failed ({status})")]
    CommandFailed {
        /// The command line, as shown to the user.
        command: String,
        /// How it exited.
        status: std::process::ExitStatus,
    },

    /// Reading or writing a file or directory failed.
    #[error("{action} {path}: {source}", path = path.display())]
    File {
        /// What xtask was doing, such as "cannot read".
        action: &'static str,
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// Output of a tool (cargo's JSON, Xvfb's display number) was not what xtask expects.
    #[error("unexpected output from `{command}`: {detail}")]
    UnexpectedOutput {
        /// The command line, as shown to the user.
        command: String,
        /// What was wrong with it.
        detail: String,
    },

    /// System packages are missing and xtask may not install them (it is not root).
    #[error(
        "missing system packages: {packages}\n\
         install them with:\n    {install_command}\n\
         (`cargo xtask test` installs them itself when run as root)",
        packages = packages.join(" ")
    )]
    MissingPackages {
        /// The Debian package names that are missing.
        packages: Vec<String>,
        /// The exact command that installs them.
        install_command: String,
    },

    /// Something did not happen within its time limit.
    #[error("timed out after {waited:?} waiting for {what}")]
    Timeout {
        /// What xtask was waiting for.
        what: String,
        /// How long it waited.
        waited: Duration,
    },

    /// The demo or the valgrind run found a problem that is not a failed command.
    #[error("{0}")]
    Check(String),

    /// One or more steps of `test` or `ci` failed; their output is above.
    #[error("failed steps: {}", failed_steps.join(", "))]
    StepsFailed {
        /// The headings of the failed steps.
        failed_steps: Vec<String>,
    },
}

/// The result type of every fallible xtask function.
pub type Result<T, E = XtaskError> = std::result::Result<T, E>;
