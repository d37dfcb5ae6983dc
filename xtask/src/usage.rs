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
  bench      run the mss-bench criterion benchmarks, then print the ratios to their floors
             and write target/mss-bench/{results.json,results.md,chart.svg}
               --quick              smoke mode for CI (tiny times, small screen)
               other arguments      passed to criterion (filters, --sample-size N, ...)
  valgrind   run the tests of the crate with unsafe code, and of the pool and the backends
             that lend its memory to a server (MIT-SHM, Wayland), under valgrind memcheck
  tidy       check the project rules (forbid(unsafe_code) in every crate root, SAFETY
             comments, no ignored tests or stubs, README set-up commands, workspace lints,
             allowed dependencies between crates, every backend feature forwarded by the
             command line but the test-only ones)
  help       show this text";
