//! `cargo xtask bench [--quick] [criterion flags]`: runs the mss-bench criterion binary, then
//! turns criterion's estimates into the ratios the project's claims are about.
//!
//! Criterion prints each benchmark as it runs. Afterwards this module reads every
//! `target/criterion/**/new/estimates.json` written by this run (older ones are skipped by
//! their modification time, so a quick run never reports a full run's figures), pairs each
//! subject with its floor inside the same group by the [`judge::PAIRS`] table, and writes:
//!
//! - a table on standard output (markdown, so it can be pasted into `BENCHMARKS.md`), also
//!   saved as `target/mss-bench/results.md`;
//! - `target/mss-bench/results.json`: every benchmark's estimates and every ratio;
//! - `target/mss-bench/chart.svg`: milliseconds per frame by backend and size beside the
//!   floors. The SVG is written by hand (a few rectangles and labels): the `plotters` crate
//!   would add a dozen crates to xtask, which must stay quick to build.
//!
//! Then the Python benchmarks ([`python`]) time mss-rs's module against the same grab from
//! Rust and against python-mss on each Python, and add their measures to the same table.
//!
//! Ratios use the median of criterion's samples, which a shared machine's occasional stall
//! moves less than the mean. A missed target is printed as `MISS` but fails nothing: timings
//! on a shared two-core machine are evidence, not a gate. `--quick` is the CI smoke mode: tiny
//! sample times and a small screen, checking only that every benchmark runs and reports.
//!
//! The module has one file per job, and imports run one way (`run` at the top, `results` at
//! the bottom):
//!
//! - [`options`]: the command line of `cargo xtask bench`;
//! - [`results`]: reading what the bench wrote (criterion's estimates, the paired totals, the
//!   measures), and how milliseconds are shown;
//! - [`judge`]: which subject is compared with which reference, the ratios, and the verdicts
//!   against the targets;
//! - [`chart`]: the SVG chart;
//! - [`report`]: the markdown tables and the JSON document;
//! - [`python`]: the Python benchmarks (interpreters, environments, the driver's plan);
//! - [`mod@run`]: the whole command, from the build to the files written.

mod chart;
mod judge;
mod options;
mod python;
mod report;
mod results;
mod run;

pub use options::BenchOptions;
pub use run::run;
