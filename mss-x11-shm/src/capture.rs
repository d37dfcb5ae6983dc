//! [`ShmCapture`]: the MIT-SHM capturer, its setup, grab and fallback.

use mss_buffer::PoolStats;
use mss_core::stream::GrabStream;
use mss_core::{
    BackendStatus, Capture, CursorImage, Error, Frame, FrameStream, Monitors, Region, ScreenInfo,
    StreamOptions, StreamTarget,
};
use mss_x11::{AutoConnection, X11Connection, X11Display, X11Options, describe_x11_error};
use x11rb::errors::ReplyError;

use crate::names::{BACKEND_NAME, METHOD_GET_IMAGE, METHOD_SHM};
use crate::request::{SHM_GET_IMAGE, ShmGetImage};
use crate::segments::Segments;
use crate::storage::LeasedSegment;
use crate::stream::ShmStream;
use crate::window::ShmWindow;

/// Settings of an [`ShmCapture`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ShmOptions {
    /// The most shared-memory segments the capturer keeps, which is the most frames it can
    /// have alive at once. At least 1; default 8.
    pub max_buffers: usize,
    /// Settings of the X11 plumbing (monitor source, screen-change watching).
    pub x11: X11Options,
}

impl ShmOptions {
    /// The defaults: up to 8 buffers, default X11 settings.
    pub fn new() -> Self {
        Self {
            max_buffers: 8,
            x11: X11Options::new(),
        }
    }

    /// Sets [`max_buffers`](Self::max_buffers); values below 1 count as 1.
    #[must_use]
    pub fn max_buffers(mut self, max_buffers: usize) -> Self {
        self.max_buffers = max_buffers.max(1);
        self
    }

    /// Sets the X11 plumbing's settings.
    #[must_use]
    pub fn x11(mut self, x11: X11Options) -> Self {
        self.x11 = x11;
        self
    }
}

impl Default for ShmOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// A capturer that grabs with MIT-SHM into pooled shared memory, handing out zero-copy
/// frames, and falls back to `GetImage` when shared memory cannot work.
///
/// See the [crate documentation](crate) for the grab path, the fallback rules and the
/// lifetime rules. Generic over the x11rb connection ([`AutoConnection`] by default: libxcb
/// loaded at run time, else x11rb's pure-Rust connection).
///
/// # Thread safety
///
/// `ShmCapture` is `Send` (move it to a worker thread); a grab takes `&mut self`. Its frames
/// are `Send + Sync` and may be dropped on any thread, before or after the capturer.
pub struct ShmCapture<C: X11Connection = AutoConnection> {
    // Fields drop in declaration order: the pool closes (idle segments unmapped) before the
    // connection closes. Segments still held by frames are unmapped when those frames drop,
    // without talking to the server, which forgets a closed connection's segments itself.
    segments: Segments,
    display: X11Display<C>,
    /// Whether a grab has succeeded with the current method.
    proven: bool,
}

impl ShmCapture<AutoConnection> {
    /// Opens `display` (or `$DISPLAY` when `None`) with the default connection and options.
    ///
    /// # Errors
    ///
    /// As [`open_with`](Self::open_with).
    pub fn open(display: Option<&str>) -> Result<Self, Error> {
        Self::open_with(display, ShmOptions::new())
    }

    /// Opens `display` (or `$DISPLAY`) with the given options.
    ///
    /// Shared memory that cannot work is not an error: the capturer falls back to `GetImage`
    /// and [`status`](Capture::status) says why.
    ///
    /// # Errors
    ///
    /// [`Error::DisplayUnavailable`] when the display cannot be opened,
    /// [`Error::UnsupportedFormat`] when its screen cannot be captured, and
    /// [`Error::ConnectionLost`] or [`Error::Protocol`] if the server fails during setup.
    pub fn open_with(display: Option<&str>, options: ShmOptions) -> Result<Self, Error> {
        let display = X11Display::open_with(display, options.x11.clone())?;
        Self::from_display(display, options)
    }
}

impl<C: X11Connection> ShmCapture<C> {
    /// Builds a capturer on an opened display, setting up shared memory or noting why not.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] or [`Error::Protocol`] if the server fails during setup in a
    /// way that is not about shared memory.
    pub fn from_display(mut display: X11Display<C>, options: ShmOptions) -> Result<Self, Error> {
        display.screen_info()?;
        let segments = Segments::set_up(&mut display, options.max_buffers.max(1))?;
        Ok(Self {
            segments,
            display,
            proven: false,
        })
    }

    /// The X11 plumbing, for callers that need the connection.
    pub fn display(&self) -> &X11Display<C> {
        &self.display
    }

    /// Whether grabs use shared memory (as opposed to the `GetImage` fallback).
    pub fn is_shm_active(&self) -> bool {
        self.segments.is_active()
    }

    /// The segment pool's counts (segments alive, leased to frames, idle), or `None` after a
    /// fallback to `GetImage`.
    pub fn pool_stats(&self) -> Option<PoolStats> {
        self.segments.pool_stats()
    }

    /// Grabs with shared memory; on a first-ever failure that `GetImage` does not share, falls
    /// back for good.
    fn grab_shared(&mut self, region: Region) -> Result<Frame, Error> {
        let rectangle = self.display.check_region(region)?;
        let request = ShmGetImage::screen(&self.display, rectangle);
        let lease = self.segments.lease(&self.display, &mut |_, _| {})?;
        let sequence = request.send(&self.display, lease.id(), 0)?;
        match ShmGetImage::receive(&self.display, sequence) {
            Ok(reply) => {
                request.check(&self.display, &reply)?;
                self.proven = true;
                Frame::new(
                    LeasedSegment(lease),
                    0,
                    region,
                    request.stride(),
                    self.display.format(),
                )
            }
            Err(ReplyError::X11Error(error)) if !self.proven => {
                drop(lease);
                // Shared memory has never worked here: the fault may be shared memory's (a
                // server that advertises it but cannot use it) or the request's. GetImage
                // of the same region tells which.
                let frame = self.display.get_image(region)?;
                self.segments.fall_back(
                    &self.display,
                    format!(
                        "ShmGetImage failed ({}) where GetImage works",
                        describe_x11_error(&error)
                    ),
                );
                self.proven = true;
                Ok(frame)
            }
            Err(error) => {
                // The server refused a request on this segment after shared memory had
                // worked: it is not trusted again.
                self.segments.discard(&self.display, lease, &mut |_, _| {});
                Err(self.display.grab_error(region, SHM_GET_IMAGE, error))
            }
        }
    }
}

impl<C: X11Connection> Capture for ShmCapture<C> {
    fn backend_name(&self) -> &'static str {
        BACKEND_NAME
    }

    fn status(&self) -> BackendStatus {
        let status = match self.segments.fallback_reason() {
            None => BackendStatus::new(BACKEND_NAME, METHOD_SHM).with_zero_copy(true),
            Some(reason) => BackendStatus::new(BACKEND_NAME, METHOD_GET_IMAGE)
                .with_fallback_reason(reason.to_owned()),
        };
        let mut status = status
            .with_proven(self.proven)
            .with_connection(self.display.describe_connection());
        if let (true, Some(reason)) = (
            self.segments.is_active(),
            self.segments.whole_frames_reason(),
        ) {
            status = status.with_caveat(format!(
                "streams take whole frames, not only what changed: {reason}"
            ));
        }
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

    fn cursor(&mut self) -> Result<CursorImage, Error> {
        self.display.cursor_image(BACKEND_NAME)
    }

    fn windows(&mut self) -> Result<Vec<mss_core::Window>, Error> {
        self.display.windows()
    }

    /// The window's whole contents through Composite (see `mss_x11`'s window docs), written
    /// into a pooled segment with `ShmGetImage` (zero-copy, as a grab); `GetImage` without
    /// shared memory, or for a window larger than the screen or of another depth.
    fn grab_window(&mut self, window: u64) -> Result<Frame, Error> {
        let mut request = ShmWindow {
            segments: &mut self.segments,
        };
        let frame = self.display.grab_window_with(window, &mut request);
        self.proven |= frame.is_ok();
        frame
    }

    /// With shared memory in use, a stream that keeps captures in flight and, where the server
    /// has DAMAGE and shared pixmaps, copies only what changed (see the `stream` module docs of
    /// this crate); the default one-grab-a-time stream after a fallback to `GetImage`, and for
    /// a window.
    fn stream(&mut self, options: &StreamOptions) -> Result<Box<dyn FrameStream + '_>, Error> {
        // A window streams through window grabs.
        if self.segments.is_active() && !matches!(options.target, StreamTarget::Window(_)) {
            let period = options.period()?;
            let region = options.target_region(self)?;
            Ok(Box::new(ShmStream::open(
                &mut self.display,
                &mut self.segments,
                options,
                period,
                region,
            )?))
        } else {
            Ok(Box::new(GrabStream::new(self, options)?))
        }
    }

    fn grab(&mut self, region: Region) -> Result<Frame, Error> {
        if self.segments.is_active() {
            self.grab_shared(region)
        } else {
            let frame = self.display.get_image(region)?;
            self.proven = true;
            Ok(frame)
        }
    }
}
