//! The cross-backend conformance suite: every test here runs against every backend of the
//! registry compiled into this build (through `backend_test!` or `backends_under_test()`), on
//! private display servers with the known scene painted.

/// Pixel-exact grabs: whole screen, edges, corners, single pixels, odd sizes, 16- and 30-bit
/// screens.
mod pixels;

/// Regions not on the screen: the exact error kind and message.
mod bad_regions;

/// Monitor lists on Xvfb (with and without RandR) and on Xorg with the dummy driver.
#[cfg(any(feature = "x11-shm", feature = "x11-getimage"))]
mod monitors;

/// Monitor lists on sway: outputs at different positions, mode changes, names.
#[cfg(feature = "wayland")]
mod wayland_monitors;

/// Downstream code that depends on mss-core alone (consumer-example), on each backend and on
/// the fake backend.
mod consumer;

/// Frames as values: thread safety, and life after their capturer.
mod frames;

/// Streams: exact frames in order, changes, changes-only, rates.
mod stream;

/// Windows: listing with and without a window manager, whole contents when covered or cut by
/// the screen's edge (also at the first capture of a window its application repaints, and of
/// ImageMagick's `display`), errors for windows unmapped, minimized and gone, reused ids, and
/// window streams.
#[cfg(any(feature = "x11-shm", feature = "x11-getimage"))]
mod windows;
