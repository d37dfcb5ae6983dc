//! The `mss` binary: the command line of [`mss_cli`], run with the process's arguments.
#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    // A write past a file-size limit (`ulimit -f`) then fails with EFBIG, reported as an error
    // naming the file, instead of SIGXFSZ ending the process with a core dump. (Python, which
    // runs the same command line through its module, ignores SIGXFSZ itself.)
    let _ = signal_hook::flag::register(
        signal_hook::consts::SIGXFSZ,
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    );
    ExitCode::from(mss_cli::run(std::env::args_os()))
}
