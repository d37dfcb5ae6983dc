//! `mss`: screenshots to PNG, display information and capture benchmarks from the command line.
//!
//! This library is the command line itself, so that every way of running it runs the same
//! argument handling: the `mss` binary (`src/main.rs`) calls [`run`] with its arguments, and
//! the Python module (`mss-python`) calls it from its `mss` console script. It has no other
//! public API.
//!
//! `mss` (or `mss shot`) takes python-mss's flags with their meanings, so scripts move over
//! unchanged; `mss info` describes the display and the backends; `mss windows` lists the
//! applications' windows (and `mss --window ID` saves one); `mss record` captures
//! continuously (a PNG sequence, or raw frames for ffmpeg); `mss bench` measures grabs per
//! second and streams. Exit codes: 0 success, 1 capture failure (display, monitor, region, file),
//! 2 bad usage (flags, geometry, template, backend name). Every error is one line on
//! standard error, `mss: error: ...`.
#![forbid(unsafe_code)]

mod bench;
mod cli;
mod geometry;
mod info;
mod record;
mod shot;
mod windows;

use std::ffi::OsString;
use std::io::Write as _;

use clap::Parser as _;

/// A failure, with the exit code it maps to.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage: exit code 2.
    Usage(String),
    /// The capture or the file failed: exit code 1.
    Capture(String),
    /// Several captures or files failed (monitors of `-m 0`): exit code 1, one line each.
    Captures(Vec<String>),
}

impl From<mss::Error> for Failure {
    fn from(error: mss::Error) -> Self {
        match error {
            mss::Error::UnknownBackend { .. }
            | mss::Error::BackendNotCompiled { .. }
            | mss::Error::Template { .. }
            | mss::Error::InvalidLevel { .. } => Failure::Usage(error.to_string()),
            other => Failure::Capture(other.to_string()),
        }
    }
}

impl From<mss::CaptureError> for Failure {
    fn from(error: mss::CaptureError) -> Self {
        Failure::from(mss::Error::from(error))
    }
}

/// Runs the command line with `arguments` (the program's name first, as in `std::env::args_os`)
/// and returns its exit code: 0 success, 1 capture failure, 2 bad usage. Everything it prints
/// goes to the process's standard output and error, flushed before it returns.
pub fn run<I, T>(arguments: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let code = run_unflushed(arguments);
    // A caller that goes on running (the Python module's console script) must not keep
    // output in the buffer; a failed flush (a closed pipe) changes nothing now.
    let _ = std::io::stdout().flush();
    code
}

fn run_unflushed<I, T>(arguments: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(arguments) {
        Ok(cli) => cli,
        Err(error) => {
            use clap::error::ErrorKind;
            if matches!(
                error.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                // Help and version go to standard output with success.
                let _ = error.print();
                return 0;
            }
            return report(Failure::Usage(clap_message(&error)));
        }
    };
    let result = match cli.command {
        Some(cli::Command::Shot(arguments)) => shot::run(&arguments),
        Some(cli::Command::Info(arguments)) => info::run(&arguments),
        Some(cli::Command::Windows(arguments)) => windows::run(&arguments),
        Some(cli::Command::Record(arguments)) => record::run(&arguments),
        Some(cli::Command::Bench(arguments)) => bench::run(&arguments),
        None => shot::run(&cli.shot),
    };
    match result {
        Ok(()) => 0,
        Err(failure) => report(failure),
    }
}

/// A clap error on one line, without its `error: ` prefix: the message and what it lists
/// (a missing argument's name sits on the next line), without the usage and the hint.
fn clap_message(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let message: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.trim().is_empty() && !line.starts_with("Usage:"))
        .map(str::trim)
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    if message.is_empty() {
        "invalid arguments".to_owned()
    } else {
        message.to_owned()
    }
}

fn report(failure: Failure) -> u8 {
    let (messages, code) = match failure {
        Failure::Usage(message) => (vec![message], 2),
        Failure::Capture(message) => (vec![message], 1),
        Failure::Captures(messages) => (messages, 1),
    };
    for message in messages {
        // One line per error, whatever the message holds.
        let message = message.replace(['\n', '\r'], " ");
        eprintln!("mss: error: {message}");
    }
    code
}
