use mss_core::{BackendStatus, Capture, CursorImage, Error, Frame, Monitors, Region, ScreenInfo};
use mss_testkit::scene::Scene;
use mss_testkit::server::{XServer, XvfbOptions};
use mss_x11::{X11Connection, X11Display, X11Options};

/// Starts a private Xvfb of the given size and depth, or fails the test saying why.
pub fn xvfb(width: u32, height: u32, depth: u8) -> XServer {
    xvfb_with(&XvfbOptions::new(width, height, depth))
}

/// Starts a private Xvfb as `options` say, or fails the test saying why.
pub fn xvfb_with(options: &XvfbOptions) -> XServer {
    XServer::xvfb(options).unwrap_or_else(|error| panic!("cannot start Xvfb: {error}"))
}

/// Paints the known scene on `server`, or fails the test saying why.
pub fn scene(server: &XServer) -> Scene {
    server
        .paint_scene()
        .unwrap_or_else(|error| panic!("cannot paint the scene: {error}"))
}

/// A region the test knows is valid.
pub fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
    Region::new(left, top, width, height).expect("test regions are valid")
}

/// The plumbing alone as a `Capture`, grabbing with `GetImage`, so tests of the plumbing can use
/// the contract's methods (`grab_monitor`, ...) without a backend crate.
pub struct DisplayCapture<C: X11Connection> {
    display: X11Display<C>,
}

impl DisplayCapture<mss_x11::AutoConnection> {
    /// Opens `server`'s display with `options`, or fails the test saying why.
    pub fn open(server: &XServer, options: X11Options) -> Self {
        let display = X11Display::open_with(Some(server.display()), options)
            .unwrap_or_else(|error| panic!("cannot open {}: {error}", server.display()));
        Self { display }
    }
}

impl<C: X11Connection> DisplayCapture<C> {
    /// Wraps an opened display.
    pub fn from_display(display: X11Display<C>) -> Self {
        Self { display }
    }

    /// The plumbing.
    pub fn display(&self) -> &X11Display<C> {
        &self.display
    }
}

impl<C: X11Connection> Capture for DisplayCapture<C> {
    fn backend_name(&self) -> &'static str {
        "mss-x11 tests"
    }

    fn status(&self) -> BackendStatus {
        BackendStatus::new("mss-x11 tests", "GetImage")
            .with_connection(self.display.describe_connection())
    }

    fn screen(&mut self) -> Result<ScreenInfo, Error> {
        self.display.screen_info()
    }

    fn monitors(&mut self) -> Result<Monitors, Error> {
        self.display.monitors()
    }

    fn grab(&mut self, region: Region) -> Result<Frame, Error> {
        self.display.get_image(region)
    }

    fn cursor(&mut self) -> Result<CursorImage, Error> {
        self.display.cursor_image("mss-x11 tests")
    }
}
