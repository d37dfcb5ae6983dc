//! Private X servers for tests: [`XServer`] starts Xvfb or Xorg with the dummy driver on a
//! display the server picks itself, and stops it when dropped.
//!
//! # Design
//!
//! - **No fixed display numbers, no sleeps.** The server is started with `-displayfd`, which
//!   makes it choose a free display and write its number once it accepts connections. That
//!   answer is the readiness signal; a test connection then proves the display works.
//! - **Bounded waits.** Every wait has a time limit (10 s for Xvfb, 30 s for Xorg by default)
//!   and fails with the server's log in the message, so a broken server never hangs a test.
//! - **Clean exits.** Dropping an [`XServer`] sends SIGTERM (so the server removes its socket
//!   and lock file), kills it if it has not exited after 5 s, reaps it (no zombies) and removes
//!   its temporary directory (log and config files).
//! - **`-noreset`** everywhere: without it a server resets (and forgets the painted scene)
//!   whenever its last client disconnects.
//! - A missing server binary is an error that says to run `cargo xtask test`, which installs
//!   the packages; tests that need a server fail with it, they are never skipped.

mod mutter;
mod pointer;
mod portal;
mod process;
mod sway;
mod xorg;
mod xvfb;

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use tempfile::TempDir;

pub use mutter::{MutterOptions, MutterServer};
pub use pointer::VirtualPointer;
pub use portal::{DialogAnswer, FakePortal, FakePortalOptions};
pub use sway::{SwayOptions, WaylandServer};
pub use xorg::DummyOptions;
pub use xvfb::XvfbOptions;

use crate::scene::{Scene, SceneError};

/// How long helper programs such as `xrandr` may run.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a test server could not be started or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The program is not installed (or not at the path given).
    #[error(
        "{binary:?} was not found; run `cargo xtask test`, which installs the X servers and tools the tests need"
    )]
    BinaryMissing {
        /// The program that was looked for.
        binary: PathBuf,
    },

    /// The program exists but could not be started.
    #[error("cannot start {binary:?}: {source}")]
    Spawn {
        /// The program.
        binary: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The server did not report a display in time.
    #[error("{binary:?} did not report its display within {seconds} s; its log ends with:\n{log}")]
    StartTimeout {
        /// The server program.
        binary: PathBuf,
        /// The time limit.
        seconds: f64,
        /// The end of the server's log.
        log: String,
    },

    /// The server exited (or answered nonsense) instead of reporting its display.
    #[error("{binary:?} failed to start ({status}); its log ends with:\n{log}")]
    Exited {
        /// The server program.
        binary: PathBuf,
        /// Its exit status, or what it did wrong.
        status: String,
        /// The end of the server's log.
        log: String,
    },

    /// The server reported a display, but connecting to it failed.
    #[error("server on display {display} started, but connecting to it failed: {reason}")]
    Connect {
        /// The display.
        display: String,
        /// The connection error, in words.
        reason: String,
    },

    /// A helper program (`xrandr`, ...) exited with an error.
    #[error("`{command}` failed ({status}): {stderr}")]
    CommandFailed {
        /// The command line.
        command: String,
        /// Its exit status.
        status: String,
        /// What it wrote to standard error.
        stderr: String,
    },

    /// A helper program did not finish in time and was killed.
    #[error("`{command}` did not finish within {seconds} s and was killed")]
    CommandTimeout {
        /// The command line.
        command: String,
        /// The time limit.
        seconds: f64,
    },

    /// A request that the server's layout cannot satisfy (for example a mode name that is not
    /// `WIDTHxHEIGHT` and not known to the server).
    #[error("display {display}: {reason}")]
    Layout {
        /// The display.
        display: String,
        /// What is wrong.
        reason: String,
    },

    /// A temporary file or directory could not be written.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the path.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// Which server program runs behind an [`XServer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerKind {
    /// Xvfb, the virtual framebuffer server.
    Xvfb,
    /// Xorg with the `dummy` video driver.
    XorgDummy,
    /// A rootful XWayland, a client of a headless Wayland compositor.
    XWayland,
}

/// A private X server that lives as long as this value.
///
/// Dropping it stops the server (SIGTERM, then SIGKILL after 5 s), reaps the process and
/// removes its temporary files. Errors while stopping are ignored: there is nobody to report
/// them to, and the process is reaped either way.
#[derive(Debug)]
pub struct XServer {
    child: Child,
    kind: ServerKind,
    display: String,
    tcp_display: Option<String>,
    temp_dir: TempDir,
}

impl XServer {
    /// Starts Xvfb as `options` describe.
    ///
    /// # Errors
    ///
    /// [`ServerError::BinaryMissing`] when Xvfb is not installed, [`ServerError::StartTimeout`]
    /// or [`ServerError::Exited`] when it does not come up, [`ServerError::Connect`] when its
    /// display cannot be opened.
    pub fn xvfb(options: &XvfbOptions) -> Result<Self, ServerError> {
        xvfb::start(options)
    }

    /// Starts a 640x480 Xvfb of depth 24 with every extension it has.
    ///
    /// # Errors
    ///
    /// As [`xvfb`](Self::xvfb).
    pub fn xvfb_default() -> Result<Self, ServerError> {
        Self::xvfb(&XvfbOptions::default())
    }

    /// Starts Xorg with the dummy video driver, as `options` describe. Output `DUMMY0` is
    /// connected and primary; `DUMMY1` to `DUMMY15` are disconnected until
    /// [`enable_output`](Self::enable_output) turns them on.
    ///
    /// # Errors
    ///
    /// As [`xvfb`](Self::xvfb), plus [`ServerError::Io`] when the configuration file cannot be
    /// written.
    pub fn xorg_dummy(options: &DummyOptions) -> Result<Self, ServerError> {
        xorg::start(options)
    }

    /// The display name, `:N`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The loopback TCP display name, `127.0.0.1:N`, when the server listens on TCP
    /// ([`XvfbOptions::listen_tcp`]).
    pub fn tcp_display(&self) -> Option<&str> {
        self.tcp_display.as_deref()
    }

    /// Which server program this is.
    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// The server's process id (for tests that check it is gone after drop).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The end of the server's log.
    pub fn log(&self) -> String {
        process::read_log(&self.log_path())
    }

    /// Paints the known [`Scene`] on this server's root window.
    ///
    /// # Errors
    ///
    /// As [`Scene::paint`].
    pub fn paint_scene(&self) -> Result<Scene, SceneError> {
        Scene::paint(&self.display)
    }

    /// Runs `program` with `DISPLAY` set to this server and returns its standard output.
    ///
    /// # Errors
    ///
    /// [`ServerError::BinaryMissing`] when the program is not installed,
    /// [`ServerError::CommandFailed`] (with its standard error) when it exits unsuccessfully,
    /// [`ServerError::CommandTimeout`] when it runs longer than 10 s.
    pub fn run<I, S>(&self, program: &str, arguments: I) -> Result<String, ServerError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new(program);
        command.args(arguments).env("DISPLAY", &self.display);
        process::run_with_timeout(command, COMMAND_TIMEOUT)
    }

    /// Runs `xrandr` with `arguments` on this server and returns its standard output.
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    pub fn xrandr(&self, arguments: &[&str]) -> Result<String, ServerError> {
        self.run("xrandr", arguments)
    }

    fn log_path(&self) -> PathBuf {
        self.temp_dir.path().join("server.log")
    }
}

impl Drop for XServer {
    fn drop(&mut self) {
        process::stop(&mut self.child);
        // The temporary directory removes itself when `temp_dir` drops, after the server that
        // wrote into it is gone.
    }
}

/// Creates the temporary directory a server keeps its log (and config) in.
fn server_temp_dir() -> Result<TempDir, ServerError> {
    tempfile::Builder::new()
        .prefix("mss-testkit-")
        .tempdir()
        .map_err(|source| ServerError::Io {
            context: "creating a temporary directory for a test server".to_owned(),
            source,
        })
}

/// Checks that a freshly started server's display accepts a connection.
fn check_connection(display: &str) -> Result<(), ServerError> {
    x11rb::connect(Some(display))
        .map(drop)
        .map_err(|error| ServerError::Connect {
            display: display.to_owned(),
            reason: error.to_string(),
        })
}

/// Starts a server program and wraps it, checking its display.
fn launch(
    binary: &std::path::Path,
    arguments: &[std::ffi::OsString],
    kind: ServerKind,
    temp_dir: TempDir,
    timeout: Duration,
    listen_tcp: bool,
) -> Result<XServer, ServerError> {
    let log_path = temp_dir.path().join("server.log");
    let started = process::start_with_displayfd(binary, arguments, &log_path, timeout)?;
    let server = XServer {
        child: started.child,
        kind,
        display: format!(":{}", started.display_number),
        tcp_display: listen_tcp.then(|| format!("127.0.0.1:{}", started.display_number)),
        temp_dir,
    };
    // On failure the server value drops here, which stops the process.
    check_connection(&server.display)?;
    Ok(server)
}

#[cfg(test)]
mod tests;
