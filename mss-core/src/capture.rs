//! [`Capture`]: the trait every backend implements, and the records it returns.

use std::fmt;

use crate::stream::{FrameStream, GrabStream, StreamOptions};
use crate::{Error, Frame, Monitors, PixelFormat, Region};

/// A screen capturer: lists monitors and grabs regions of one display.
///
/// The trait is object safe: code that should work with any backend takes
/// `&mut dyn Capture` (or `Box<dyn Capture>`).
///
/// Implementations are `Send` so a capturer can move to a worker thread. Grabbing takes
/// `&mut self`: one capturer serves one caller at a time. To grab from several threads, give
/// each its own capturer (they run in parallel), or share one behind a `Mutex`.
///
/// Frames returned by [`grab`](Self::grab) are independent of the capturer's lifetime: they
/// stay valid and readable after the capturer is dropped.
pub trait Capture: Send {
    /// The backend's name, equal to its Cargo feature (`x11-shm`, `x11-getimage`, `fake`).
    fn backend_name(&self) -> &'static str;

    /// How grabs are being done right now, and why not faster if they could be.
    fn status(&self) -> BackendStatus;

    /// The display's screen: its name, size, depth and pixel format, as of now.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] or [`Error::Protocol`] if the display cannot be asked.
    fn screen(&mut self) -> Result<ScreenInfo, Error>;

    /// The monitors as they are now. Backends do not cache this across screen changes: a
    /// monitor enabled or a mode changed shows in the next call.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] or [`Error::Protocol`] if the display cannot be asked.
    fn monitors(&mut self) -> Result<Monitors, Error>;

    /// Captures `region` of the screen, in the screen's native pixel format.
    ///
    /// # Errors
    ///
    /// - [`Error::RegionOutOfBounds`] if the region is not entirely on the screen; mss-rs
    ///   does not clip silently.
    /// - [`Error::BuffersExhausted`] if the backend reuses buffers and too many frames are
    ///   still held.
    /// - [`Error::ConnectionLost`], [`Error::Protocol`] or [`Error::SharedMemory`] when the
    ///   display fails.
    fn grab(&mut self, region: Region) -> Result<Frame, Error>;

    /// The mouse pointer's image and position, for drawing onto frames.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] when the backend or the display cannot tell (the default);
    /// [`Error::CursorUnavailable`] when it can, but the pointer is hidden or on no monitor it
    /// sees now.
    fn cursor(&mut self) -> Result<CursorImage, Error> {
        Err(Error::Unsupported {
            backend: self.backend_name(),
            what: "reading the cursor",
            reason: "this backend does not implement it".to_owned(),
        })
    }

    /// The applications' top-level windows, bottom of the stacking order first (the last is
    /// on top).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] when the backend or the display cannot list windows (the
    /// default), and the display's errors.
    fn windows(&mut self) -> Result<Vec<crate::Window>, Error> {
        Err(Error::Unsupported {
            backend: self.backend_name(),
            what: "listing windows",
            reason: "this backend does not implement it".to_owned(),
        })
    }

    /// Captures the whole contents of window `window` (an id from
    /// [`windows`](Self::windows)), where other windows cover it and where the screen edge cuts
    /// it too, when the display allows. The frame's region is the window's place on the screen.
    ///
    /// # Errors
    ///
    /// [`Error::WindowUnavailable`] for a window that is gone, not shown or minimized;
    /// [`Error::Unsupported`] when the backend cannot capture windows (the default).
    fn grab_window(&mut self, window: u64) -> Result<Frame, Error> {
        let _ = window;
        Err(Error::Unsupported {
            backend: self.backend_name(),
            what: "capturing a window",
            reason: "this backend does not implement it".to_owned(),
        })
    }

    /// A token that restores the user's permission to capture without asking again, for
    /// backends that ask (the screen-cast portal's dialog: the token it handed out for the
    /// choice in use); pass it to a later open ([`crate::OpenOptions::restore_token`]).
    /// `None` (the default) for backends that never ask, or when the portal gave none. It
    /// lets its holder capture the screen without asking: keep it private.
    fn restore_token(&self) -> Option<String> {
        None
    }

    /// Asks the backend to draw the pointer into its frames itself, as a Wayland compositor
    /// does when asked (screencopy's `overlay_cursor`), and returns whether it will. When it
    /// will not (the default, and every X11 backend), callers that want the pointer draw
    /// [`cursor`](Self::cursor) onto the frames; [`crate::cursor`] has the function.
    fn draw_cursor(&mut self, draw: bool) -> bool {
        let _ = draw;
        false
    }

    /// Captures monitor `number`, numbered as python-mss does (0 is the whole screen, 1 to N
    /// the monitors; see [`Monitors::get`]).
    ///
    /// # Errors
    ///
    /// [`Error::MonitorNotFound`] for a number that does not exist, and every error of
    /// [`monitors`](Self::monitors) and [`grab`](Self::grab).
    fn grab_monitor(&mut self, number: i64) -> Result<Frame, Error> {
        let region = self.monitors()?.get(number)?;
        self.grab(region)
    }

    /// Captures the whole screen (every monitor in one image).
    ///
    /// # Errors
    ///
    /// As [`grab`](Self::grab).
    fn grab_screen(&mut self) -> Result<Frame, Error> {
        let region = self.screen()?.region();
        self.grab(region)
    }

    /// Streams frames as `options` say (see [`crate::stream`]). The default is a
    /// [`GrabStream`]: one [`grab`](Self::grab) per tick. Backends that can do better (keep
    /// several captures in flight, copy only what changed) override it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRate`], [`Error::MonitorNotFound`] for a target that does not exist,
    /// and the backend's errors setting the stream up.
    fn stream(&mut self, options: &StreamOptions) -> Result<Box<dyn FrameStream + '_>, Error> {
        Ok(Box::new(GrabStream::new(self, options)?))
    }
}

/// The kind of display server a backend captures from.
///
/// Backends are grouped by it, and a program picks the family that suits the session it runs
/// in: an X11 backend cannot see a Wayland desktop, and the other way round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisplaySystem {
    /// The X Window System (an X server: Xorg, Xvfb, XWayland).
    X11,
    /// A Wayland compositor.
    Wayland,
    /// No display server: a made-up screen, as a test backend shows. A session never is of
    /// this system, so its backends are opened only when named.
    Virtual,
}

impl DisplaySystem {
    /// The system's name, as users know it: `X11`, `Wayland`.
    pub fn name(self) -> &'static str {
        match self {
            DisplaySystem::X11 => "X11",
            DisplaySystem::Wayland => "Wayland",
            DisplaySystem::Virtual => "virtual",
        }
    }
}

impl fmt::Display for DisplaySystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A display's screen.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScreenInfo {
    /// The display's name (`:0`, `localhost:10.0`, `wayland-1`).
    pub display: String,
    /// The x coordinate of the screen's left edge: 0 on X11; on Wayland, where outputs may sit
    /// anywhere, the left edge of the leftmost one.
    pub left: i32,
    /// The y coordinate of the screen's top edge (0 on X11).
    pub top: i32,
    /// Screen width in pixels.
    pub width: u32,
    /// Screen height in pixels.
    pub height: u32,
    /// Root depth in bits.
    pub depth: u8,
    /// The layout frames from this screen have.
    pub format: PixelFormat,
}

impl ScreenInfo {
    /// Describes a screen.
    pub fn new(display: impl Into<String>, width: u32, height: u32, format: PixelFormat) -> Self {
        Self {
            display: display.into(),
            left: 0,
            top: 0,
            width,
            height,
            depth: format.depth(),
            format,
        }
    }

    /// The same screen with its top-left corner at `(left, top)`.
    #[must_use]
    pub fn with_origin(mut self, left: i32, top: i32) -> Self {
        self.left = left;
        self.top = top;
        self
    }

    /// The whole screen as a region.
    ///
    /// # Panics
    ///
    /// If the screen has a zero size, which no display reports.
    pub fn region(&self) -> Region {
        Region::new(self.left, self.top, self.width, self.height)
            .expect("a screen has a non-zero size")
    }
}

/// How a backend is capturing, for logs and for `mss info`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BackendStatus {
    /// The backend's name (its Cargo feature).
    pub backend: &'static str,
    /// The method grabs use now (`MIT-SHM`, `GetImage`).
    pub method: &'static str,
    /// Whether frames point into memory the server wrote, with no copy.
    pub zero_copy: bool,
    /// Whether a grab has succeeded with this method yet.
    pub proven: bool,
    /// Why a faster method is not in use, when one was tried and failed.
    pub fallback_reason: Option<String>,
    /// What carries the requests to the display, when the backend has a choice (`libxcb
    /// (loaded at run time)`, `x11rb pure Rust (libxcb could not be loaded: ...)`).
    pub connection: Option<String>,
    /// What frames may lack, in words, when the caller chose a capture that cannot be complete
    /// (an XWayland root, which holds only X11 windows).
    pub caveats: Vec<String>,
}

impl BackendStatus {
    /// A status for `backend` grabbing with `method`, not yet proven, no fallback.
    pub fn new(backend: &'static str, method: &'static str) -> Self {
        Self {
            backend,
            method,
            zero_copy: false,
            proven: false,
            fallback_reason: None,
            connection: None,
            caveats: Vec::new(),
        }
    }

    /// Sets [`zero_copy`](Self::zero_copy).
    #[must_use]
    pub fn with_zero_copy(mut self, zero_copy: bool) -> Self {
        self.zero_copy = zero_copy;
        self
    }

    /// Sets [`proven`](Self::proven).
    #[must_use]
    pub fn with_proven(mut self, proven: bool) -> Self {
        self.proven = proven;
        self
    }

    /// Sets [`fallback_reason`](Self::fallback_reason).
    #[must_use]
    pub fn with_fallback_reason(mut self, reason: impl Into<String>) -> Self {
        self.fallback_reason = Some(reason.into());
        self
    }

    /// Sets [`connection`](Self::connection).
    #[must_use]
    pub fn with_connection(mut self, connection: impl Into<String>) -> Self {
        self.connection = Some(connection.into());
        self
    }

    /// Adds a caveat to [`caveats`](Self::caveats).
    #[must_use]
    pub fn with_caveat(mut self, caveat: impl Into<String>) -> Self {
        self.caveats.push(caveat.into());
        self
    }
}

impl fmt::Display for BackendStatus {
    /// `x11-shm: MIT-SHM, zero-copy; connection: libxcb (loaded at run time)` or
    /// `x11-shm: GetImage (fallback: MIT-SHM extension not present)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.backend, self.method)?;
        if self.zero_copy {
            write!(f, ", zero-copy")?;
        }
        if let Some(reason) = &self.fallback_reason {
            write!(f, " (fallback: {reason})")?;
        }
        if let Some(connection) = &self.connection {
            write!(f, "; connection: {connection}")?;
        }
        for caveat in &self.caveats {
            write!(f, "; caveat: {caveat}")?;
        }
        Ok(())
    }
}

/// The mouse pointer: its image, and where that image sits on the screen.
///
/// Pixels are 32-bit ARGB words, row by row, with **premultiplied** alpha, as X11's XFixes
/// extension sends them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CursorImage {
    region: Region,
    pixels: Vec<u32>,
}

impl CursorImage {
    /// A cursor image covering `region` (its top-left corner is the pointer position minus the
    /// hotspot).
    ///
    /// # Errors
    ///
    /// [`Error::FrameLayout`] when `pixels` does not hold exactly `width * height` words.
    pub fn new(region: Region, pixels: Vec<u32>) -> Result<Self, Error> {
        if pixels.len() as u64 != region.area() {
            return Err(Error::FrameLayout {
                width: region.width(),
                height: region.height(),
                stride: region.width() as usize * 4,
                bytes_per_pixel: 4,
                offset: 0,
                len: pixels.len() * 4,
            });
        }
        Ok(Self { region, pixels })
    }

    /// Where the image sits on the screen.
    pub fn region(&self) -> Region {
        self.region
    }

    /// The premultiplied ARGB words, row by row.
    pub fn pixels(&self) -> &[u32] {
        &self.pixels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_says_method_and_fallback() {
        let status = BackendStatus::new("x11-shm", "GetImage")
            .with_fallback_reason("MIT-SHM extension not present");
        assert_eq!(
            status.to_string(),
            "x11-shm: GetImage (fallback: MIT-SHM extension not present)"
        );
        let status = BackendStatus::new("x11-shm", "MIT-SHM")
            .with_zero_copy(true)
            .with_proven(true);
        assert_eq!(status.to_string(), "x11-shm: MIT-SHM, zero-copy");
        let status = BackendStatus::new("x11-getimage", "GetImage").with_connection("libxcb");
        assert_eq!(
            status.to_string(),
            "x11-getimage: GetImage; connection: libxcb"
        );
        let status = status.with_caveat("X11 windows only");
        assert_eq!(
            status.to_string(),
            "x11-getimage: GetImage; connection: libxcb; caveat: X11 windows only"
        );
    }

    #[test]
    fn cursor_pixels_must_match_the_region() {
        let region = Region::new(3, 4, 2, 2).unwrap();
        assert!(CursorImage::new(region, vec![0; 4]).is_ok());
        assert!(matches!(
            CursorImage::new(region, vec![0; 3]),
            Err(Error::FrameLayout { .. })
        ));
    }

    #[test]
    fn capture_trait_is_object_safe() {
        fn takes_any(_capture: Option<&mut dyn Capture>) {}
        takes_any(None);
        fn assert_send<T: Send + ?Sized>() {}
        assert_send::<dyn Capture>();
        assert_send::<Box<dyn Capture>>();
    }
}
