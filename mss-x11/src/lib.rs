//! The X11 plumbing of mss-rs: everything the X11 backends (`mss-x11-getimage`,
//! `mss-x11-shm`) share, and nothing that only one of them needs.
//!
//! [`X11Display`] is one screen of an X connection, checked and ready to capture from: it opens
//! the connection, validates the screen's pixel layout, keeps the root size current, lists
//! monitors, checks regions, grabs with the core `GetImage` request (every backend's fallback),
//! lists windows and captures them whole, reads the pointer, maps server errors to
//! [`mss_core::Error`] and refuses XWayland roots. A backend adds its own way of grabbing on top
//! (MIT-SHM segments, say: its own requests through [`X11Display::connection`], and its own
//! image request for window captures, a [`WindowImageRequest`]) and implements
//! [`mss_core::Capture`]. [`DamageTracker`] tells what changed on the screen, for streams.
//!
//! # Design choices
//!
//! - **libxcb's speed, no C library at build time.** The default connection,
//!   [`AutoConnection`], loads libxcb with `dlopen` (x11rb's `dl-libxcb`) and falls back to
//!   x11rb's pure-Rust connection where libxcb cannot be loaded, saying why. A whole-screen
//!   `GetImage` reply is read three times faster by libxcb than by x11rb 0.14's pure-Rust
//!   reader at 4K (see [`AutoConnection`] and BENCHMARKS.md).
//! - **Any x11rb connection.** Everything is generic over [`X11Connection`]: the default,
//!   either connection alone, or (feature `xcb`) libxcb wrapping an application's own
//!   `xcb::Connection`.
//! - **Strict, native formats.** The screen's pixel layout is checked once, from the
//!   connection setup, by a pure function. Depths 15, 16, 24, 30 and 32 are captured in their
//!   native [`mss_core::PixelFormat`], row padding is carried as the frame's stride; palette
//!   screens (depth 8) and MSB-first servers are refused with an error naming the rule.
//! - **No copy after the socket.** [`X11Display::get_image`] reads the `GetImage` reply raw
//!   and the reply buffer becomes the frame's storage.
//! - **No silent clipping, no stale geometry.** A region must lie on the screen
//!   ([`mss_core::Error::RegionOutOfBounds`] otherwise). The root size is cached and kept
//!   current through RandR `ScreenChangeNotify` events read before each grab (no round trip);
//!   it is re-read before reporting a region out of bounds and when the server refuses a grab
//!   with `BadMatch`. Monitors are read fresh on every call (RandR 1.5 `GetMonitors`, or 1.2
//!   CRTCs, or the root window alone), with output names and EDID display names.
//! - **No black frames from XWayland.** The root of XWayland, the X server of a Wayland
//!   compositor, holds only X11 windows over black; opening one is refused with
//!   [`mss_core::Error::XWaylandRoot`] unless [`X11Options::allow_xwayland`] says otherwise.
//! - **Clear errors.** Every error names the display; server errors name the request.
//! - **Bounded, whatever the server.** Every wait has a deadline ([`X11Options::timeout`]),
//!   opening the connection included (host lookup, socket, authority file, setup, libxcb's own
//!   setup). What a server says is checked before it is used: a reply of the wrong length, a
//!   flood of events, a window tree with cycles or without end, sizes and offsets beyond the
//!   protocol's fields give errors, never a loop, a panic or memory without bound, and names
//!   from the server reach errors and listings only made printable.
//!
//! # Features
//!
//! - `xcb`: capture through an application's own `xcb::Connection`. The `xcb` crate links
//!   libxcb at build time, which the default build avoids.
#![forbid(unsafe_code)]

mod auto_connection;
mod connect;
mod connection;
mod cursor;
mod damage;
mod display;
mod edid;
mod errors;
mod format;
mod grab;
mod monitors;
mod options;
mod watchdog;
mod window_state;
mod windows;
mod xwayland;

pub use auto_connection::{AutoBuf, AutoConnection, ConnectionPreference};
pub use connect::AutoConnectError;
pub use connection::{ExpiredWait, X11Connection};
pub use damage::DamageTracker;
pub use display::X11Display;
pub use errors::describe_x11_error;
pub use options::{DEFAULT_TIMEOUT, MonitorSource, X11Options};
pub use window_state::WindowSource;
pub use windows::{WindowImage, WindowImageRequest};

/// x11rb, as this crate uses it, so backends and callers name the same connection types.
pub use x11rb;
