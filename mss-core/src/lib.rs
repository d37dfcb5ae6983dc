//! The contract of mss-rs: the [`Capture`] trait and the plain types it speaks in.
//!
//! # Who should depend on this crate
//!
//! Libraries that consume screen captures (encoders, recorders, vision pipelines, test helpers)
//! should depend on `mss-core` alone and take a `&mut dyn Capture` (or a generic `C: Capture`).
//! They then work with every backend (today `mss-x11-shm`, `mss-x11-getimage`, `mss-wayland`
//! and `mss-pipewire`) without pulling in X11, Wayland or any other platform code.
//! Applications pick a backend, usually through the `mss` facade crate.
//!
//! # What a backend is
//!
//! A crate that implements [`Capture`] and exports one function of type [`OpenBackend`],
//! `pub fn open(options: &OpenOptions) -> Result<Box<dyn Capture>, Error>`: the display and
//! the caller's choices in, a capturer or the reason it cannot capture that display out. The
//! facade's registry names that function, so code that chooses among backends never knows
//! more of one.
//!
//! # What it promises
//!
//! - It does no I/O and has no platform dependency: only `std` and `thiserror` (and, with the
//!   `simd` feature, `fearless_simd`, which has no dependencies of its own). Everything here can
//!   be built and tested on any machine.
//! - It changes rarely. Public enums are `#[non_exhaustive]` so that new pixel formats, errors
//!   and statuses are not breaking changes; structs that backends build have constructors.
//! - [`Frame`] can own pixels that live in memory the backend reuses (a shared-memory slot from
//!   a pool) without copying them: the frame holds the backend's storage behind the
//!   [`PixelStorage`] trait, and dropping the frame drops that storage, which is how a slot goes
//!   back to its pool.
//!
//! # Thread safety
//!
//! [`Frame`] is `Send + Sync`: it can be read from several threads at once and dropped on any
//! thread. Every [`Capture`] implementation is `Send`, so a capturer can be moved to a worker
//! thread; it is not required to be `Sync` because a grab needs `&mut self` (wrap it in a
//! `Mutex` to share one capturer, or open one per thread, which is faster).
//!
//! # Pixel formats and byte order
//!
//! Frames carry the screen's native format ([`PixelFormat`]); nothing is converted unless you
//! ask. [`Frame::to_rgb`] and [`Frame::to_rgba`] convert any format to packed 8-bit RGB(A), and
//! [`Frame::write_rgb`] and [`Frame::write_rgba`] do the same into a buffer reused across
//! frames.
//!
//! # Features
//!
//! - `simd` (off by default; the `mss` facade turns it on): the conversions of the 32-bit
//!   formats (`Bgrx8888`, `Bgra8888`, `Rgbx8888`, `Rgba8888`) are compiled for AVX-512, AVX2 and
//!   SSE4.2 as well as x86-64's baseline, and the best the processor has is chosen at run time
//!   by the `fearless_simd` crate (safe to call, no dependencies of its own; Rust 1.89 or newer).
//!   They then run at about the speed of copying the frame; without it RGBA does nearly as well,
//!   RGB (whose packing needs byte shuffles the baseline lacks) about half as well. The results are
//!   the same bytes either way.
#![forbid(unsafe_code)]

pub mod assemble;
mod capture;
#[cfg(test)]
mod conversion_oracle;
mod convert;
pub mod cursor;
mod error;
mod format;
mod frame;
mod monitor;
mod open;
mod region;
pub mod stream;
mod window;

pub use capture::{BackendStatus, Capture, CursorImage, DisplaySystem, ScreenInfo};
pub use error::{BoxError, Error};
pub use format::{PixelFormat, Rgba};
pub use frame::{Frame, PixelStorage};
pub use monitor::{Monitor, Monitors, Transform};
pub use open::{OpenBackend, OpenOptions};
pub use region::Region;
pub use stream::{Changes, FrameStream, Rate, StreamFrame, StreamOptions, StreamTarget};
pub use window::{Window, WindowProblem, printable};
