//! The `x11-getimage` backend of mss-rs, and the X11 plumbing both X11 backends share.
//!
//! [`GetImageCapture`] captures with the core `GetImage` request. It works on every X
//! server and over every connection, local or remote, which also makes it the fallback of
//! the MIT-SHM backend (`mss-x11-shm`), built on the same [`X11Display`].
//!
//! # Design choices
//!
//! - **Any x11rb connection.** Everything is generic over `x11rb::connection::Connection`:
//!   x11rb's pure-Rust `RustConnection` (the default, no C library) or libxcb through
//!   `XCBConnection`, which can also wrap an application's existing `xcb::Connection`
//!   (`XCBConnection::from_existing_connection`).
//! - **Strict, native formats.** The screen's pixel layout is checked once, from the
//!   connection setup ([`validate_screen_format`], a pure function). Depths 15, 16, 24, 30
//!   and 32 are captured in their native [`mss_core::PixelFormat`], row padding is carried
//!   as the frame's stride; palette screens (depth 8) and MSB-first servers are refused with
//!   an error naming the rule.
//! - **No copy after the socket.** A grab reads the `GetImage` reply raw and the reply
//!   buffer becomes the frame's storage ([`ReplyStorage`]).
//! - **No silent clipping, no stale geometry.** A region must lie on the screen
//!   ([`mss_core::Error::RegionOutOfBounds`] otherwise). The root size is cached and kept
//!   current through RandR `ScreenChangeNotify` events read before each grab (no round trip);
//!   it is re-read before reporting a region out of bounds and when the server refuses a grab
//!   with `BadMatch`. Monitors are read fresh on every call (RandR 1.5 `GetMonitors`, or 1.2
//!   CRTCs, or the root window alone), with output names and EDID display names.
//! - **Clear errors.** Every error names the display; server errors name the request.
#![forbid(unsafe_code)]

mod capture;
mod connection;
mod cursor;
mod display;
mod edid;
mod errors;
mod format;
mod grab;
mod monitors;

pub use capture::{BACKEND_NAME, GetImageCapture, METHOD};
pub use connection::X11Connection;
pub use display::{MonitorSource, X11Display, X11Options, resolve_display_name};
pub use edid::edid_display_name;
pub use errors::{
    connection_lost, describe_x11_error, display_unavailable, region_to_protocol, reply_error,
};
pub use format::{ScreenFormat, validate_screen_format};
pub use grab::{GET_IMAGE_HEADER_LEN, ReplyStorage};

/// x11rb, as this crate uses it, so callers name the same connection types.
pub use x11rb;
