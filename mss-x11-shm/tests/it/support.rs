//! Shared set-up: a server with the scene painted and a capturer on it.

use mss_testkit::{Scene, XServer, XvfbOptions};
use mss_x11_shm::{ShmCapture, ShmOptions};

/// A private Xvfb with the known scene painted.
pub struct Painted {
    pub server: XServer,
    pub scene: Scene,
}

/// Starts an Xvfb with `options` and paints the scene.
pub fn painted(options: &XvfbOptions) -> Painted {
    let server = XServer::xvfb(options).unwrap_or_else(|error| panic!("{error}"));
    let scene = server
        .paint_scene()
        .unwrap_or_else(|error| panic!("{error}"));
    Painted { server, scene }
}

/// A 640x480x24 painted Xvfb.
pub fn default_painted() -> Painted {
    painted(&XvfbOptions::new(640, 480, 24))
}

/// Opens an SHM capturer with `options` on `display`.
pub fn open(display: &str, options: ShmOptions) -> ShmCapture {
    ShmCapture::open_with(Some(display), options).unwrap_or_else(|error| panic!("{error}"))
}

/// Asserts that `frame` shows the scene's pattern, without needing the `Scene` (which holds
/// an X connection) on this thread.
pub fn assert_pattern(frame: &mss_core::Frame) {
    let format = frame.format();
    mss_testkit::pattern::check_frame(frame, format, |x, y| {
        Some(mss_testkit::pattern::expected_colour(
            format, x as u32, y as u32,
        ))
    })
    .unwrap_or_else(|mismatch| panic!("{mismatch}"));
}
