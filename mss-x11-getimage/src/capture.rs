//! [`GetImageCapture`]: the `x11-getimage` backend.

use mss_core::{BackendStatus, Capture, CursorImage, Error, Frame, Monitors, Region, ScreenInfo};
use mss_x11::{AutoConnection, X11Connection, X11Display, X11Options};

/// The backend's name, equal to its Cargo feature.
pub const BACKEND_NAME: &str = "x11-getimage";
/// The method it grabs with, as [`BackendStatus::method`] reports it.
pub const METHOD: &str = "GetImage";

/// Captures with the core `GetImage` request: works on every X server and every connection,
/// local or remote, and copies each frame once (from the socket into the reply buffer, which
/// the frame then owns).
///
/// It is `Send`; frames it returns do not borrow it and outlive it.
#[derive(Debug)]
pub struct GetImageCapture<C: X11Connection = AutoConnection> {
    display: X11Display<C>,
    proven: bool,
}

impl GetImageCapture<AutoConnection> {
    /// Connects to `display` (or `$DISPLAY` when `None`) over libxcb loaded at run time, or
    /// x11rb's pure-Rust connection where libxcb cannot be loaded.
    ///
    /// # Errors
    ///
    /// As [`X11Display::open`].
    pub fn open(display: Option<&str>) -> Result<Self, Error> {
        X11Display::open(display).map(Self::from_display)
    }

    /// [`open`](Self::open) with options.
    ///
    /// # Errors
    ///
    /// As [`X11Display::open`].
    pub fn open_with(display: Option<&str>, options: X11Options) -> Result<Self, Error> {
        X11Display::open_with(display, options).map(Self::from_display)
    }
}

impl<C: X11Connection> GetImageCapture<C> {
    /// Captures screen `screen_number` over an open connection, for example x11rb's
    /// `RustConnection` or libxcb's `XCBConnection` (possibly wrapping the application's
    /// `xcb::Connection`, feature `xcb`).
    ///
    /// # Errors
    ///
    /// As [`X11Display::from_connection`].
    pub fn from_connection(
        connection: C,
        screen_number: usize,
        display_name: impl Into<String>,
    ) -> Result<Self, Error> {
        X11Display::from_connection(connection, screen_number, display_name).map(Self::from_display)
    }

    /// Captures through an already opened [`X11Display`].
    pub fn from_display(display: X11Display<C>) -> Self {
        Self {
            display,
            proven: false,
        }
    }

    /// The X11 plumbing, for requests of your own.
    pub fn display(&self) -> &X11Display<C> {
        &self.display
    }

    /// Gives the X11 plumbing back, closing nothing.
    pub fn into_display(self) -> X11Display<C> {
        self.display
    }
}

impl<C: X11Connection> Capture for GetImageCapture<C> {
    fn backend_name(&self) -> &'static str {
        BACKEND_NAME
    }

    fn status(&self) -> BackendStatus {
        let mut status = BackendStatus::new(BACKEND_NAME, METHOD)
            .with_proven(self.proven)
            .with_connection(self.display.describe_connection());
        for caveat in self.display.caveats() {
            status = status.with_caveat(caveat);
        }
        status
    }

    fn screen(&mut self) -> Result<ScreenInfo, Error> {
        self.display.screen_info()
    }

    fn monitors(&mut self) -> Result<Monitors, Error> {
        self.display.monitors()
    }

    fn grab(&mut self, region: Region) -> Result<Frame, Error> {
        let frame = self.display.get_image(region)?;
        self.proven = true;
        Ok(frame)
    }

    fn cursor(&mut self) -> Result<CursorImage, Error> {
        self.display.cursor_image(BACKEND_NAME)
    }

    fn windows(&mut self) -> Result<Vec<mss_core::Window>, Error> {
        self.display.windows()
    }

    /// The window's whole contents through Composite (see `mss_x11`'s window docs), read with
    /// `GetImage`.
    fn grab_window(&mut self, window: u64) -> Result<Frame, Error> {
        let frame = self.display.get_window_image(window);
        self.proven |= frame.is_ok();
        frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capturer_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<GetImageCapture>();
        assert_send::<GetImageCapture<mss_x11::x11rb::rust_connection::RustConnection>>();
    }
}
