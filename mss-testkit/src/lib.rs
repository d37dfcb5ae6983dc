//! Test support for mss-rs: private X servers, a known on-screen scene, a fake backend, and a
//! macro that runs one test against every backend.
//!
//! # What is here
//!
//! - [`server`]: [`XServer`] starts a private Xvfb ([`XvfbOptions`]: size, depth 8/16/24/30,
//!   extensions off, TCP) or Xorg with the dummy driver ([`DummyOptions`], with `xrandr`
//!   helpers for multi-monitor layouts), on a display it picks itself (`-displayfd`), and
//!   stops it on drop.
//! - [`scene`]: [`Scene`] paints a pattern whose every pixel encodes its coordinates on the
//!   root window, encoded for the screen's own format, and checks frames against it pixel by
//!   pixel ([`Scene::assert_frame`]).
//! - [`fake`]: [`FakeCapture`], a [`mss_core::Capture`] with no X server, showing the same
//!   pattern, with injectable failures.
//! - [`backends`] and [`backend_test!`]: the real backends enabled by this crate's features,
//!   and a macro that expands one test body to one test per backend.
//! - [`pattern`]: the pattern itself and the frame comparison both scenes share.
//!
//! # Design choices
//!
//! - Tests never skip: a missing Xvfb or Xorg is an error telling you to run
//!   `cargo xtask test`, which installs them.
//! - Every wait is bounded (server start, helper programs, server stop), so a broken server
//!   fails a test with its log instead of hanging it.
//! - Servers are private to each test and cheap (Xvfb starts in about 0.2 s), so tests run
//!   in parallel and never share state.
//!
//! # Features
//!
//! - `x11-getimage`: test the `mss-x11-getimage` backend (on by default).
//! - `x11-shm`: test the `mss-x11-shm` backend (on by default).
//!
//! Crates whose own tests only need servers and scenes (the backends themselves) can take
//! this crate with `default-features = false`, which avoids building the other backends.
//!
//! [`backend_test!`] generates tests for the backends enabled here, in mss-testkit, whatever
//! the calling crate's features are.
#![forbid(unsafe_code)]

pub mod backends;
pub mod fake;
mod macros;
pub mod pattern;
pub mod scene;
pub mod server;

pub use backends::Backend;
pub use fake::{FakeCapture, FakeFailure};
pub use scene::{Scene, SceneError};
pub use server::{
    DummyOptions, ServerError, ServerKind, SwayOptions, WaylandServer, XServer, XvfbOptions,
};

/// The core crate, re-exported so [`backend_test!`] can name its types from any crate.
pub use mss_core;
