//! Test support for mss-rs: private display servers, known on-screen scenes, a fake backend,
//! and a harness that runs one test against every backend a test crate hands in.
//!
//! # What is here
//!
//! - [`server`]: [`XServer`] starts a private Xvfb ([`XvfbOptions`]: size, depth 8/16/24/30,
//!   extensions off, TCP) or Xorg with the dummy driver ([`DummyOptions`], with `xrandr`
//!   helpers for multi-monitor layouts), on a display it picks itself (`-displayfd`), and
//!   stops it on drop. [`WaylandServer`] starts a headless sway ([`SwayOptions`]), as an
//!   unprivileged user when the tests run as root, optionally with XWayland, and can start a
//!   rootful XWayland beside it.
//! - [`scene`]: [`Scene`] paints a pattern whose every pixel encodes its coordinates on an X
//!   root window, encoded for the screen's own format, and checks frames against it pixel by
//!   pixel ([`Scene::assert_frame`]).
//! - [`fake`]: [`FakeCapture`], a [`mss_core::Capture`] with no display server, showing the
//!   same pattern, with injectable failures.
//! - [`fake_x_server`]: [`FakeXServer`](fake_x_server::FakeXServer), a small X server in the
//!   test process answering as an [`XScript`](fake_x_server::XScript) says, hostile answers
//!   included, with `proptest` strategies for such scripts and the checks the backends'
//!   property tests make of each case.
//! - [`harness`] and [`backend_test!`]: the display-server abstraction ([`TestServer`],
//!   [`ServerSpec`], [`KnownScene`]) and the runner that takes a test crate's
//!   [`BackendUnderTest`]s and runs one test body against each, on a server of its display
//!   system.
//! - [`pattern`]: the pattern itself and the frame comparison every scene shares.
//!
//! # Design choices
//!
//! - **No backend here.** mss-testkit depends on `mss-core` and the display servers' protocols
//!   only; the crate whose tests run knows its backends (the facade builds them from its
//!   registry). So the test kit never builds a backend, and a backend can depend on it.
//! - Tests never skip: a missing Xvfb, Xorg or sway is an error telling you to run
//!   `cargo xtask test`, which installs them.
//! - Every wait is bounded (server start, helper programs, server stop), so a broken server
//!   fails a test with its log instead of hanging it.
//! - Servers are private to each test and cheap (Xvfb starts in about 0.2 s), so tests run
//!   in parallel and never share state.
#![forbid(unsafe_code)]

pub mod fake;
pub mod fake_x_server;
pub mod harness;
mod macros;
pub mod pattern;
pub mod scene;
pub mod server;
pub mod wayland_scene;
pub mod x11_windows;

pub use fake::{FakeCapture, FakeFailure};
pub use harness::{BackendUnderTest, KnownScene, ServerSpec, TestServer};
pub use scene::{Scene, SceneError};
pub use server::{
    DummyOptions, ServerError, ServerKind, SwayOptions, WaylandServer, XServer, XvfbOptions,
};
pub use wayland_scene::WaylandScene;
pub use x11_windows::{TestWindows, WindowManager};

/// The core crate, re-exported so [`backend_test!`] can name its types from any crate.
pub use mss_core;
