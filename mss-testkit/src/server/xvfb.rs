//! [`XvfbOptions`] and starting Xvfb.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use super::{ServerError, ServerKind, XServer, launch, server_temp_dir};

/// How an Xvfb server is started: screen size and depth, extensions turned off, TCP.
///
/// ```
/// use mss_testkit::XvfbOptions;
///
/// let options = XvfbOptions::new(333, 211, 16).disable_extension("MIT-SHM");
/// assert_eq!(options.depth(), 16);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct XvfbOptions {
    width: u32,
    height: u32,
    depth: u8,
    disabled_extensions: Vec<String>,
    resets: bool,
    listen_tcp: bool,
    binary: PathBuf,
    timeout: Duration,
}

impl Default for XvfbOptions {
    /// 640x480 at depth 24.
    fn default() -> Self {
        Self::new(640, 480, 24)
    }
}

impl XvfbOptions {
    /// A screen of `width` x `height` pixels at root depth `depth` (Xvfb accepts 8, 16, 24 and
    /// 30; depth 8 gives a palette visual).
    pub fn new(width: u32, height: u32, depth: u8) -> Self {
        Self {
            width,
            height,
            depth,
            disabled_extensions: Vec::new(),
            resets: false,
            listen_tcp: false,
            binary: PathBuf::from("Xvfb"),
            timeout: Duration::from_secs(10),
        }
    }

    /// Turns an extension off (`-extension NAME`), for example `MIT-SHM` or `RANDR`.
    #[must_use]
    pub fn disable_extension(mut self, name: &str) -> Self {
        self.disabled_extensions.push(name.to_owned());
        self
    }

    /// Lets the server reset itself whenever its last client leaves, as Xvfb does by default
    /// (the tests' servers run with `-noreset` otherwise). A client that connects during the
    /// reset is dropped; see the connection's retries.
    #[must_use]
    pub fn resetting(mut self) -> Self {
        self.resets = true;
        self
    }

    /// Listens on loopback TCP too (`-listen tcp`), so that [`XServer::tcp_display`] gives a
    /// display name that reaches the server over TCP, where MIT-SHM cannot work.
    #[must_use]
    pub fn listen_tcp(mut self) -> Self {
        self.listen_tcp = true;
        self
    }

    /// Runs this program instead of `Xvfb` from `PATH`.
    #[must_use]
    pub fn binary(mut self, binary: impl Into<PathBuf>) -> Self {
        self.binary = binary.into();
        self
    }

    /// How long the server may take to report its display (10 s by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Screen width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Screen height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Root depth in bits.
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// The command-line arguments, without `-displayfd`.
    pub fn arguments(&self) -> Vec<OsString> {
        let mut arguments: Vec<OsString> = vec![
            "-screen".into(),
            "0".into(),
            format!("{}x{}x{}", self.width, self.height, self.depth).into(),
        ];
        if !self.resets {
            arguments.push("-noreset".into());
        }
        if self.listen_tcp {
            arguments.extend(["-listen".into(), "tcp".into()]);
        } else {
            arguments.extend(["-nolisten".into(), "tcp".into()]);
        }
        for extension in &self.disabled_extensions {
            arguments.extend(["-extension".into(), extension.into()]);
        }
        arguments
    }
}

pub(super) fn start(options: &XvfbOptions) -> Result<XServer, ServerError> {
    launch(
        &options.binary,
        &options.arguments(),
        ServerKind::Xvfb,
        server_temp_dir()?,
        options.timeout,
        options.listen_tcp,
    )
}
