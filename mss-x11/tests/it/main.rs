//! Integration tests of the X11 plumbing on private X servers started by mss-testkit: the
//! connections it opens, the monitors it lists and the displays it refuses. Grabbing through
//! each backend is tested in the backend crates and in the facade's conformance suite.
#![forbid(unsafe_code)]

/// Shared helpers: servers, regions, and a minimal `Capture` over `X11Display`.
mod support;

/// The default connection: libxcb when it loads, pure Rust on request; what each reports.
mod connections;
/// The plumbing against the test kit's fake X server: display names that are socket paths,
/// deadlines on every step of opening a connection, and hostile servers.
mod fake_server;
/// DAMAGE against the fake X server: change rectangles of any number, place and size.
mod hostile_damage;
/// Window listing and capture against hostile window trees from the fake X server.
mod hostile_windows;
/// RandR monitor listing on Xvfb (with and without RandR) and on an Xorg dummy server with
/// two outputs, following layout changes.
mod monitors;
/// Deadlines on every wait: server grabs, stopped servers.
mod timeouts;
/// XWayland recognised (rootless and rootful), refused by default, allowed on request.
mod xwayland;
