//! The help text of `cargo xtask`, in a module of its own so that the error type can show it
//! without importing the crate root.

/// The help text, also shown after a usage error.
pub const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  test       install the system packages the tests need (as root), then run every crate's
             tests, and each backend feature alone
  ci         cargo fmt --check, tidy, clippy -D warnings, rustdoc -D warnings, then `test`
  demo       capture the screen to PNG; without DISPLAY (or with --virtual) on a private Xvfb
             showing a known scene, checked pixel for pixel
               --virtual            use a private Xvfb even when DISPLAY is set
               --output-dir DIR     where the PNGs go (default: target/xtask-demo)
  bench      run the mss-bench criterion benchmarks, then the Python benchmarks (mss-rs's
             module against Rust and python-mss, on Debian's Python and 3.13 from pyenv),
             print the ratios and write target/mss-bench/{results.json,results.md,chart.svg}
               --quick              smoke mode for CI (tiny times, small screen, one Python)
               --python-only        the Python benchmarks alone
               other arguments      passed to criterion (filters, --sample-size N, ...);
                                    with a filter the Python benchmarks are not run
             MSS_BENCH_PYTHON_MSS_MAIN=DIR takes python-mss's main branch from a local copy
             of its repository instead of GitHub
  valgrind   run the tests of the crates with unsafe code (memfd, libpipewire), of the pool
             and of the backends whose frames are memory shared with a server (MIT-SHM,
             Wayland, PipeWire), under valgrind memcheck
  tidy       check the project rules (forbid(unsafe_code) in every crate root, SAFETY
             comments, no ignored tests or stubs, README set-up commands, workspace lints,
             allowed dependencies between crates, every backend feature forwarded by the
             command line but the test-only ones)
  help       show this text";
