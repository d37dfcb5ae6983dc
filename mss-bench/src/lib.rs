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
//! - the **floors**: [`ShmFloor`] (`ShmGetImage` into one reused memfd segment, no frame, no
//!   pool) and [`GetImageFloor`] (`GetImage`, reply read raw and dropped), written
//!   directly over libxcb (the `xcb` crate) so that they share none of the code they measure;
//!   [`ShmFloor::open_window`] and [`GetImageFloor::open_window`] read a window's Composite
//!   pixmap, named once;
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
//! - **No unsafe, no mapping.** The SHM floor never maps its segment: the server writes it and
//!   nobody reads it, exactly the work a grab cannot avoid. Tests read it back through the
//!   memfd with ordinary positioned reads ([`ShmFloor::read_back`]).
//! - **Checked before timed.** A benchmark of black frames or of a fallback path would be
//!   meaningless, so [`BenchScreen::check_backends`] compares full frames with the scene and
//!   insists that the SHM backend really uses shared memory.
#![forbid(unsafe_code)]

mod consumer;
mod floor;
mod plan;
mod screen;

pub use consumer::{cpu_time, read_every_byte};
pub use floor::{FloorError, GetImageFloor, ShmFloor};
pub use plan::{BenchPlan, ScreenSize};
pub use screen::{BenchScreen, ScreenError};
