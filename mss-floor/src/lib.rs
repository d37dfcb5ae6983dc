//! The floors of mss-rs's benchmarks: the cheapest request loops over libxcb a frame can come
//! from, and a memcpy. What a capture costs beyond its floor is what mss adds.
//!
//! # What it is for
//!
//! The project's speed claims are ratios: an SHM grab within 1.10x of a bare `ShmGetImage`
//! loop, a `GetImage` grab within 1.15x of a bare `GetImage` loop. This crate is the bare
//! side of those ratios, in one place for everyone who measures: the criterion benchmarks
//! (`mss-bench`) and `mss bench` on the command line.
//!
//! - [`ShmFloor`]: `ShmGetImage` of one fixed region into one memfd segment attached once: no
//!   pool, no lease, no frame, no check of the reply beyond its arrival.
//! - [`GetImageFloor`]: core `GetImage` of one fixed region, the reply libxcb allocated handed
//!   back and freed by the caller.
//! - [`ShmFloor::open_window`] and [`GetImageFloor::open_window`]: the same of a window's
//!   Composite pixmap, named once, the least a window capture can cost.
//! - [`MemcpyFloor`]: one frame's bytes copied into a reused buffer, the cost of touching every
//!   byte once.
//!
//! # Design choices
//!
//! - **Nothing shared with what is measured.** The request loops go through libxcb, the C
//!   library under every X11 desktop's clients, with the `xcb` crate's bindings, which share no
//!   code with x11rb (the backends' stack). A floor built on the backends' own connection could
//!   not show that the connection itself is slow. So this crate depends on `mss-core` (for
//!   [`Region`](mss_core::Region)) and never on `mss-x11`, a backend or x11rb; `cargo xtask
//!   tidy` checks it.
//! - **libxcb loaded at run time.** The `xcb` crate's `dl` feature opens `libxcb.so.1` when a
//!   floor connects, so a program with floors (the `mss` binary) links no C library and builds
//!   without libxcb's headers; without libxcb a floor says so
//!   ([`FloorError::LibxcbUnavailable`]) and the program goes on.
//! - **No unsafe, no mapping.** The SHM floor never maps its segment: the server writes it and
//!   nobody reads it while timing, exactly the work a grab cannot avoid. Tests read it back
//!   through the memfd with positioned reads ([`ShmFloor::read_back`]).
//! - **The screen's own layout.** A frame is as the server lays it out for the drawable's
//!   depth (bits a pixel, rows padded to the scanline pad): 4 bytes a pixel on every 24- and
//!   32-bit screen, 2 on a 16-bit one.
#![forbid(unsafe_code)]

mod error;
mod getimage;
mod memcpy;
mod shm;
mod x11;

pub use error::FloorError;
pub use getimage::{GetImageFloor, GetImageReply};
pub use memcpy::MemcpyFloor;
pub use shm::ShmFloor;
