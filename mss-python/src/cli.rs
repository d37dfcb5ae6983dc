//! The `mss` console command: the command line of `mss-cli`, run in this process.

use pyo3::prelude::*;

/// Runs the `mss` command line with `arguments` (the program's name first, as `sys.argv`)
/// and returns its exit code. It prints to the process's standard output and error, and runs
/// without the GIL, so a recording can go on while other Python threads run.
#[pyfunction]
pub fn cli_main(py: Python<'_>, arguments: Vec<std::ffi::OsString>) -> u8 {
    py.detach(move || mss_cli::run(arguments))
}
