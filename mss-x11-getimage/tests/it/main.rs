//! Integration tests of the `x11-getimage` backend on private X servers started by
//! mss-testkit. Cross-backend pixel checks live in the facade's conformance suite and monitor
//! listing in mss-x11's tests; these cover the backend over every connection, depth and bad
//! input.
#![forbid(unsafe_code)]

/// Shared helpers: starting servers, regions, grab checks.
mod support;

/// Pixel-exact grabs over every kind of connection (RustConnection, libxcb, an existing
/// `xcb::Connection`); Send; frames outliving the capturer.
mod connections;
/// Root depths other than 24: native formats captured exactly, depth 8 refused.
mod depths;
/// Hostile X servers (the test kit's fake one, scripted by proptest): errors or exact frames,
/// never a panic or a hang.
mod hostile_server;
/// Bad display names fail fast and name the display.
mod open_errors;
/// Regions off the screen or outside the protocol's ranges.
mod regions;
