//! The `mss` binary: the command line of [`mss_cli`], run with the process's arguments.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(mss_cli::run(std::env::args_os()))
}
