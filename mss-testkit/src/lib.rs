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
//!   rootful XWayland beside it. [`MutterServer`] starts GNOME's compositor headless
//!   ([`MutterOptions`]: its virtual monitors) with a private session bus, PipeWire and
//!   WirePlumber, for screen casts; [`FakePortal`] runs the real desktop portal
//!   (`xdg-desktop-portal`) on its bus with a screen-cast backend of the test kit's own
//!   ([`FakePortalOptions`]: with or without a screen cast, what its dialog answers), whose
//!   streams are mutter's casts, which hands out and checks restore data, counts its dialogs
//!   and ends its sessions on command. [`VirtualPointer`] puts mutter's pointer at a known
//!   place (its remote-desktop interface); mutter shows the Adwaita theme's pointer.
//! - [`xcursor`]: pointer images read from an Xcursor theme file, the reference for the
//!   pointer a compositor shows.
//! - [`xdg_scene`]: [`FullscreenScene`], the pattern full-screen on one output through
//!   xdg-shell, for compositors without wlr-layer-shell (mutter), with rectangles painted on
//!   command; [`XdgScene`], one on every output (mutter's known scene).
//! - [`repainting_window`]: [`RepaintingWindow`], a full-screen xdg-shell window that
//!   repaints a numbered square at every frame callback, so a compositor produces one frame
//!   per refresh and each frame says which commit it shows: the producer of the screen-cast
//!   benchmarks.
//! - [`scene`]: [`Scene`] paints a pattern whose every pixel encodes its coordinates on an X
//!   root window, encoded for the screen's own format, and checks frames against it pixel by
//!   pixel ([`Scene::assert_frame`]).
//! - [`fake`]: [`FakeCapture`], a [`mss_core::Capture`] with no display server, showing the
//!   same pattern, with injectable failures.
//! - [`fake_compositor`]: [`FakeCompositor`], a Wayland compositor in the test's process
//!   (`wayland-server`, a thread, a private socket) that speaks just enough wlr-screencopy for
//!   mss-wayland and answers as a test scripts it: any output layout and names, any buffer
//!   layouts, damage and flags, events repeated by the thousand or without end, failing,
//!   silence, dying mid-frame.
//! - [`fake_x_server`]: [`FakeXServer`](fake_x_server::FakeXServer), a small X server in the
//!   test process answering as an [`XScript`](fake_x_server::XScript) says, hostile answers
//!   included, with `proptest` strategies for such scripts and the checks the backends'
//!   property tests make of each case.
//! - [`harness`] and [`backend_test!`]: the display-server abstraction ([`TestServer`],
//!   [`ServerSpec`], [`KnownScene`]) and the runner that takes a test crate's
//!   [`BackendUnderTest`]s and runs one test body against each, on a server of its
//!   [`ServerFamily`] (X11, wlroots or GNOME).
//! - [`pattern`]: the pattern itself and the frame comparison every scene shares.
//! - [`filesystem`]: [`SmallTmpfs`], a tmpfs of a few pages for tests of full disks, and
//!   [`root_or_explain`], the rule for tests that need root (they fail under `CI=true`).
//! - [`memory`]: a process's file mappings, to check that a frame is the shared memory a
//!   display server maps, not a copy.
//!
//! # Design choices
//!
//! - **No backend here.** mss-testkit depends on `mss-core` and the display servers' protocols
//!   only; the crate whose tests run knows its backends (the facade builds them from its
//!   registry). So the test kit never builds a backend, and a backend can depend on it.
//! - Tests never skip: a missing Xvfb, Xorg, sway or mutter is an error telling you to run
//!   `cargo xtask test`, which installs them.
//! - Every wait is bounded (server start, helper programs, server stop), so a broken server
//!   fails a test with its log instead of hanging it.
//! - Servers are private to each test and cheap (Xvfb starts in about 0.2 s), so tests run
//!   in parallel and never share state.
#![forbid(unsafe_code)]

pub mod fake;
pub mod fake_compositor;
pub mod fake_x_server;
pub mod filesystem;
pub mod harness;
mod macros;
pub mod memory;
pub mod pattern;
pub mod repainting_window;
pub mod scene;
pub mod server;
pub mod wayland_scene;
pub mod x11_windows;
pub mod xcursor;
pub mod xdg_scene;

pub use fake::{FakeCapture, FakeFailure};
pub use fake_compositor::FakeCompositor;
pub use filesystem::{SmallTmpfs, root_or_explain};
pub use harness::{BackendUnderTest, KnownScene, ServerFamily, ServerSpec, TestServer};
pub use repainting_window::RepaintingWindow;
pub use scene::{Scene, SceneError};
pub use server::{
    DialogAnswer, DummyOptions, FakePortal, FakePortalOptions, MutterOptions, MutterServer,
    ServerError, ServerKind, SwayOptions, VirtualPointer, WaylandServer, XServer, XvfbOptions,
};
pub use wayland_scene::WaylandScene;
pub use x11_windows::{TestWindows, WindowManager};
pub use xdg_scene::{FullscreenScene, XdgScene};

/// The core crate, re-exported so [`backend_test!`] can name its types from any crate.
pub use mss_core;
