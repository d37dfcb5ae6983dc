//! Integration tests of the `x11-getimage` backend on private X servers started by
//! mss-testkit. Cross-backend pixel checks live in mss-testkit's conformance suite; these cover
//! what is specific to this backend and its X11 plumbing.
#![forbid(unsafe_code)]

/// Shared helpers: starting servers, regions, grab checks.
mod support;

/// Pixel-exact grabs over every kind of connection (RustConnection, libxcb, an existing
/// `xcb::Connection`); Send; frames outliving the capturer.
mod connections;
/// Root depths other than 24: native formats captured exactly, depth 8 refused.
mod depths;
/// RandR monitor listing on Xvfb (with and without RandR) and on an Xorg dummy server with
/// two outputs, following layout changes.
mod monitors;
/// Bad display names fail fast and name the display.
mod open_errors;
/// Regions off the screen or outside the protocol's ranges.
mod regions;
