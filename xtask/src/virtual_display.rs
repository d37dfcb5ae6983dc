//! A private Xvfb for the demo, killed when its guard is dropped.
//!
//! The server picks a free display number itself and reports it through `-displayfd`; giving it
//! its own standard output as that descriptor avoids passing an extra file descriptor (which
//! would need unsafe code). `-noreset` keeps what the demo paints on the root window when the
//! painting client disconnects.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::error::{Result, XtaskError};
use crate::shell::Cmd;

/// How long the server may take to report its display number.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// A running Xvfb. Dropping it kills the server; errors while killing are ignored because the
/// server may already have exited, and there is nothing more to do about it then.
#[derive(Debug)]
pub struct VirtualDisplay {
    server: Child,
    display_name: String,
    log_path: PathBuf,
}

impl VirtualDisplay {
    /// Starts Xvfb with one screen of `width` x `height` pixels at `depth` bits, writing its log
    /// to `log_path`.
    ///
    /// # Errors
    ///
    /// Fails when Xvfb cannot start, exits early (the error quotes its log) or does not report
    /// a display within the time limit.
    pub fn start(width: u32, height: u32, depth: u32, log_path: &Path) -> Result<Self> {
        let log_file = std::fs::File::create(log_path).map_err(|source| XtaskError::File {
            action: "cannot create the Xvfb log",
            path: log_path.to_owned(),
            source,
        })?;
        let command = Cmd::new("Xvfb").args([
            "-displayfd".to_owned(),
            "1".to_owned(),
            "-screen".to_owned(),
            "0".to_owned(),
            format!("{width}x{height}x{depth}"),
            "-nolisten".to_owned(),
            "tcp".to_owned(),
            "-noreset".to_owned(),
        ]);
        command.echo();
        let mut server = command
            .to_command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .map_err(|source| XtaskError::CommandNotStarted {
                command: command.display(),
                source,
            })?;
        let server_stdout = server.stdout.take();
        let (sender, receiver) = mpsc::channel();
        // Reading blocks until Xvfb writes or exits, so it happens on a thread that the time limit
        // below can abandon.
        std::thread::spawn(move || {
            let mut line = String::new();
            if let Some(server_stdout) = server_stdout {
                let _ = std::io::BufReader::new(server_stdout).read_line(&mut line);
            }
            let _ = sender.send(line);
        });
        let mut display = Self {
            server,
            display_name: String::new(),
            log_path: log_path.to_owned(),
        };
        let reported = receiver
            .recv_timeout(START_TIMEOUT)
            .map_err(|_| XtaskError::Timeout {
                what: format!("Xvfb to report its display (log: {})", log_path.display()),
                waited: START_TIMEOUT,
            })?;
        let number = reported.trim();
        if number.is_empty() || !number.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(XtaskError::UnexpectedOutput {
                command: command.display(),
                detail: format!(
                    "it reported no display number (got {reported:?}); it exited with {}; its log:\n{}",
                    display.exit_description(),
                    display.log()
                ),
            });
        }
        display.display_name = format!(":{number}");
        Ok(display)
    }

    /// The display name to put in `DISPLAY`, such as `:3`.
    pub fn name(&self) -> &str {
        &self.display_name
    }

    /// What the server wrote to its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    fn exit_description(&mut self) -> String {
        // Give a server that is dying a moment to finish, so its status and log are complete.
        for _ in 0..20 {
            if let Ok(Some(status)) = self.server.try_wait() {
                return status.to_string();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        "no status yet (still running)".to_owned()
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_path(name: &str) -> PathBuf {
        let directory = crate::paths::project_root().join("target/xtask-tests");
        std::fs::create_dir_all(&directory).unwrap();
        directory.join(format!("{name}-{}.log", std::process::id()))
    }

    #[test]
    fn started_display_answers_and_is_gone_after_drop() {
        let display = VirtualDisplay::start(64, 48, 24, &log_path("xvfb-up")).unwrap();
        let name = display.name().to_owned();
        assert!(name.starts_with(':'), "{name}");
        let query = Cmd::new("xdpyinfo").env("DISPLAY", &name);
        let description = query.read().unwrap();
        assert!(
            description.contains("dimensions:    64x48 pixels"),
            "{description}"
        );
        drop(display);
        let after = query.output_unchecked().unwrap();
        assert!(!after.status.success(), "{name} still answers after drop");
    }

    #[test]
    fn refused_screen_depth_is_reported_with_the_server_log() {
        // Xvfb refuses depth 32 for the root window, so it exits without reporting a display.
        let error = VirtualDisplay::start(64, 48, 32, &log_path("xvfb-depth-32")).unwrap_err();
        assert!(
            matches!(error, XtaskError::UnexpectedOutput { .. }),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("reported no display number"), "{message}");
        assert!(message.contains("its log:"), "{message}");
    }
}
