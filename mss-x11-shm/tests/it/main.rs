//! Integration tests of the MIT-SHM backend against real Xvfb servers.
//!
//! Pixel-exactness and geometry common to every backend live in the facade's conformance
//! suite; here is what only this backend has: the zero-copy pool, its limits and lifetimes,
//! the fallback to GetImage, and resource use over many grabs.
#![forbid(unsafe_code)]

mod connections;
mod fallback;
/// Hostile X servers (the test kit's fake one, scripted by proptest): errors or exact frames
/// from segments or the GetImage fallback, never a panic or a hang.
mod hostile_server;
/// A connection that changes chosen MIT-SHM requests and replies, for the fallback rules.
mod intercept;
mod lifecycle;
mod resize;
mod stream;
mod support;
mod windows;
mod zero_copy;
