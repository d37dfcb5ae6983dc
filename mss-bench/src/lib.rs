//! Benchmarks of mss-rs against their floors: what the backends cost beyond the X request they
//! cannot avoid, and what conversions cost beyond copying the bytes.
//!
//! # What it is for
//!
//! The project's claims are ratios: an SHM grab costs within 1.10x of a bare `ShmGetImage` loop,
//! a `GetImage` grab within 1.15x of a bare `GetImage` loop, and so on. A ratio only means
//! something when both sides run in the same process, against the same server, minutes apart.
//! This crate therefore provides, besides the criterion benchmarks in `benches/mss`:
//!
//! - the **floors** come from `mss-floor` (`ShmFloor`, `GetImageFloor`, their window forms, and
//!   `MemcpyFloor`): request loops over libxcb through the `xcb` crate, sharing none of the code
//!   they measure, the same ones `mss bench` uses;
//! - the **screens**: [`BenchScreen`] starts a private Xvfb of a given size, paints the known
//!   scene and checks that every backend and floor captures it, before anything is timed;
//! - the **plan**: [`BenchPlan`] names the screen sizes and the region of a run, full or quick.
//!
//! Run everything with `cargo xtask bench` (or `cargo xtask bench --quick` for a smoke run):
//! it runs `cargo bench -p mss-bench --bench mss`, then reads criterion's estimates, prints the
//! ratios beside their targets and writes a JSON file and an SVG chart. `BENCHMARKS.md` at the
//! repository root explains every row.
//!
//! # Design choices
//!
//! - **Floors in the same run.** Absolute times on a shared two-core machine drift by tens of
//!   percent between runs; ratios within one run are what the targets speak of.
//! - **One place for the floors.** They live in `mss-floor`, a crate of their own that depends
//!   on no backend, no plumbing and no x11rb, so the benchmarks here and `mss bench` compare
//!   against the same loops.
//! - **Checked before timed.** A benchmark of black frames or of a fallback path would be
//!   meaningless, so [`BenchScreen::check_backends`] compares full frames with the scene and
//!   insists that the SHM backend really uses shared memory.
#![forbid(unsafe_code)]

mod consumer;
mod plan;
mod screen;

pub use consumer::{cpu_time, minor_page_faults, precise_cpu_time, read_every_byte};
pub use plan::{BenchPlan, ScreenSize};
pub use screen::{BenchScreen, ScreenError};
