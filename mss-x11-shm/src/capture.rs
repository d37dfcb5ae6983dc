//! [`ShmCapture`]: the MIT-SHM capturer, its setup, grab and fallback.

use mss_buffer::{AcquireError, Pool, PoolStats};
use mss_core::stream::GrabStream;
use mss_core::{
    BackendStatus, Capture, CursorImage, Error, Frame, FrameStream, Monitors, Region, ScreenInfo,
    StreamOptions, StreamTarget,
};
use mss_x11::{
    AutoConnection, DamageTracker, WindowSource, X11Connection, X11Display, X11Options,
    describe_x11_error,
};
use x11rb::connection::SequenceNumber;
use x11rb::errors::ReplyError;
use x11rb::protocol::shm::{self, ConnectionExt as _};
use x11rb::protocol::xproto::ImageFormat;

use crate::request::{SHM_GET_IMAGE, ShmGetImage};
use crate::segment::{Segment, SegmentError};
use crate::storage::LeasedSegment;

/// The backend's name, equal to its Cargo feature.
pub const BACKEND_NAME: &str = "x11-shm";

/// The method name in [`BackendStatus`] while MIT-SHM is in use.
pub const METHOD_SHM: &str = "MIT-SHM";

/// The method name in [`BackendStatus`] after falling back to `GetImage`.
pub const METHOD_GET_IMAGE: &str = "GetImage";

/// The oldest MIT-SHM version with `ShmAttachFd`, which memfd segments need.
const REQUIRED_VERSION: (u16, u16) = (1, 2);

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
    shm: Shm,
    display: X11Display<C>,
    /// Bytes every new segment gets: the whole screen at its current size, so any region
    /// fits any segment. Idle segments of another size are replaced as they are met: smaller
    /// ones because a region may not fit, larger ones so memory follows a shrinking screen.
    segment_len: usize,
    /// Whether a grab has succeeded with the current method.
    proven: bool,
}

/// Whether shared memory is in use.
enum Shm {
    /// In use: segments come from this pool.
    Active(ActiveShm),
    /// Not in use, for this reason; grabs use `GetImage`.
    Unavailable(String),
}

/// Shared memory in use.
struct ActiveShm {
    pool: Pool<Segment>,
    /// Whether the server makes pixmaps in shared memory (in the ZPixmap layout), which
    /// streams copy changed rectangles into.
    shared_pixmaps: bool,
    /// Why streams take whole frames instead of copying only what changed, if they must.
    whole_frames_reason: Option<String>,
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
        let segment_len = screen_bytes(&display);
        let shm = match set_up_shared_memory(&display, segment_len, options.max_buffers.max(1))? {
            Ok(mut active) => {
                active.whole_frames_reason = if active.shared_pixmaps {
                    DamageTracker::unavailable(&mut display)?
                } else {
                    Some("the X server makes no pixmaps in shared memory".to_owned())
                };
                Shm::Active(active)
            }
            Err(reason) => Shm::Unavailable(reason),
        };
        Ok(Self {
            shm,
            display,
            segment_len,
            proven: false,
        })
    }

    /// The X11 plumbing, for callers that need the connection.
    pub fn display(&self) -> &X11Display<C> {
        &self.display
    }

    /// Whether grabs use shared memory (as opposed to the `GetImage` fallback).
    pub fn is_shm_active(&self) -> bool {
        matches!(self.shm, Shm::Active(_))
    }

    /// The segment pool's counts (segments alive, leased to frames, idle), or `None` after a
    /// fallback to `GetImage`.
    pub fn pool_stats(&self) -> Option<PoolStats> {
        match &self.shm {
            Shm::Active(active) => Some(active.pool.stats()),
            Shm::Unavailable(_) => None,
        }
    }

    /// The display, for streams.
    pub(crate) fn display_mut(&mut self) -> &mut X11Display<C> {
        &mut self.display
    }

    /// Why streams must take whole frames (no DAMAGE, no XFixes 2, no shared pixmaps), or
    /// `None` when they can copy only what changed.
    pub(crate) fn whole_frames_reason(&self) -> Option<&str> {
        match &self.shm {
            Shm::Active(active) => active.whole_frames_reason.as_deref(),
            Shm::Unavailable(reason) => Some(reason),
        }
    }

    /// Leases a segment for a capture, after [`X11Display::check_region`] left the screen's
    /// current size in the cache: segments follow the screen, and idle ones of another size (or
    /// that failed) are detached, after `retire` saw each (to free what a stream made on it).
    pub(crate) fn lease_segment(
        &mut self,
        retire: &mut dyn FnMut(&X11Display<C>, &Segment),
    ) -> Result<mss_buffer::Lease<Segment>, Error> {
        let screen_len = screen_bytes(&self.display);
        let shrank = screen_len < self.segment_len;
        self.segment_len = screen_len;
        let Shm::Active(active) = &self.shm else {
            unreachable!("segments are only leased with shared memory active")
        };
        let pool = &active.pool;
        let display = &self.display;
        let connection = display.connection();
        let segment_len = self.segment_len;
        if shrank {
            // Idle segments sized for the larger screen go now; leased ones when they come
            // back and an acquire meets them.
            for segment in pool.evict_free(|segment| segment.len() > segment_len) {
                retire(display, &segment);
                drop(segment.detach(connection));
            }
        }
        pool.acquire(
            |segment| segment.len() == segment_len && !segment.is_failed(),
            || Segment::create(connection, segment_len),
            // A segment of another screen size, or one a request failed on. If the detach
            // cannot even be sent, the connection is broken and the next request will say so.
            |stale| {
                retire(display, &stale);
                drop(stale.detach(connection));
            },
        )
        .map_err(|error| match error {
            AcquireError::Exhausted { limit } => Error::BuffersExhausted { limit },
            AcquireError::Create(error) => {
                segment_error(self.display.display_name(), segment_len, error)
            }
            // `AcquireError` may grow variants; none exists today.
            other => Error::SharedMemory {
                bytes: segment_len,
                reason: other.to_string(),
                source: None,
            },
        })
    }

    /// Marks a segment a request failed on, returns it to the pool, and detaches every idle
    /// failed segment (after `retire` saw each).
    pub(crate) fn discard_segment(
        &mut self,
        mut lease: mss_buffer::Lease<Segment>,
        retire: &mut dyn FnMut(&X11Display<C>, &Segment),
    ) {
        lease.mark_failed();
        drop(lease);
        if let Shm::Active(active) = &self.shm {
            for segment in active.pool.evict_free(Segment::is_failed) {
                retire(&self.display, &segment);
                drop(segment.detach(self.display.connection()));
            }
        }
    }

    /// Whether `source`'s pixels can go into one of the pooled segments: shared memory in use,
    /// the screen's format, and no larger than the screen.
    fn fits_segment(&self, source: &WindowSource) -> bool {
        source.format == self.display.format()
            && source.stride * usize::from(source.height) <= screen_bytes(&self.display)
            && matches!(self.shm, Shm::Active(_))
    }

    /// Sends `ShmGetImage` of `source` into a leased segment.
    fn send_window_shm(
        &mut self,
        source: &WindowSource,
    ) -> Result<(mss_buffer::Lease<Segment>, SequenceNumber), Error> {
        let lease = self.lease_segment(&mut |_, _| {})?;
        let sequence = ShmGetImage::window(source).send(&self.display, lease.id(), 0)?;
        Ok((lease, sequence))
    }

    /// Reads a window's pixels as [`grab_window`](Capture::grab_window) says, in one round
    /// trip: the pixels are asked for where they were at the last capture, with the checks of
    /// the window (see `X11Display::probe_window`).
    fn grab_window_shared(&mut self, window: u64) -> Result<Frame, Error> {
        self.display.screen_info()?;
        let (probe, guess) = self.display.probe_window(window)?;
        let early = match guess.filter(|guess| self.fits_segment(guess)) {
            Some(guess) => match self.send_window_shm(&guess) {
                Ok((lease, sequence)) => Some((guess, lease, sequence)),
                Err(error) => {
                    // No segment (all held, say): the probe's replies are read and its pixmap
                    // freed all the same.
                    if let Ok(source) = self.display.finish_probe(probe) {
                        self.display.release_window_source(&source);
                    }
                    return Err(error);
                }
            },
            None => None,
        };
        let source = match self.display.finish_probe(probe) {
            Ok(source) => source,
            Err(error) => {
                if let Some((_, _, sequence)) = early {
                    ShmGetImage::discard(&self.display, sequence);
                }
                return Err(error);
            }
        };
        if !self.fits_segment(&source) {
            if let Some((_, _, sequence)) = early {
                ShmGetImage::discard(&self.display, sequence);
            }
            self.display.release_window_source(&source);
            return self.display.get_window_image(window);
        }
        let (lease, sequence) = match early {
            Some((guess, lease, sequence)) if guess == source => (lease, sequence),
            other => {
                if let Some((_, early_lease, sequence)) = other {
                    ShmGetImage::discard(&self.display, sequence);
                    // Its segment goes back before another is leased (the server handles the
                    // discarded request before any later one that could write the segment).
                    drop(early_lease);
                }
                match self.send_window_shm(&source) {
                    Ok(sent) => sent,
                    Err(error) => {
                        self.display.release_window_source(&source);
                        return Err(error);
                    }
                }
            }
        };
        let reply = ShmGetImage::receive(&self.display, sequence);
        self.display.release_window_source(&source);
        match reply {
            Ok(reply) => {
                self.display
                    .check_window_reply(&source, SHM_GET_IMAGE, reply.depth)?;
                ShmGetImage::window(&source).check(&self.display, &reply)?;
                Frame::new(
                    LeasedSegment(lease),
                    0,
                    source.region,
                    source.stride,
                    source.format,
                )
            }
            Err(error) => Err(self.display.window_grab_error(window, SHM_GET_IMAGE, error)),
        }
    }

    /// Grabs with shared memory; on a first-ever failure that `GetImage` does not share, falls
    /// back for good.
    fn grab_shared(&mut self, region: Region) -> Result<Frame, Error> {
        let rectangle = self.display.check_region(region)?;
        let request = ShmGetImage::screen(&self.display, rectangle);
        let lease = self.lease_segment(&mut |_, _| {})?;
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
                self.fall_back(format!(
                    "ShmGetImage failed ({}) where GetImage works",
                    describe_x11_error(&error)
                ));
                self.proven = true;
                Ok(frame)
            }
            Err(error) => {
                // The server refused a request on this segment after shared memory had
                // worked: it is not trusted again.
                self.discard_segment(lease, &mut |_, _| {});
                Err(self.display.grab_error(region, SHM_GET_IMAGE, error))
            }
        }
    }

    /// Stops using shared memory for good, detaching the idle segments.
    fn fall_back(&mut self, reason: String) {
        if let Shm::Active(active) = std::mem::replace(&mut self.shm, Shm::Unavailable(reason)) {
            detach_all(self.display.connection(), active.pool.close());
        }
    }
}

impl<C: X11Connection> Capture for ShmCapture<C> {
    fn backend_name(&self) -> &'static str {
        BACKEND_NAME
    }

    fn status(&self) -> BackendStatus {
        let status = match &self.shm {
            Shm::Active(_) => BackendStatus::new(BACKEND_NAME, METHOD_SHM).with_zero_copy(true),
            Shm::Unavailable(reason) => BackendStatus::new(BACKEND_NAME, METHOD_GET_IMAGE)
                .with_fallback_reason(reason.clone()),
        };
        let mut status = status
            .with_proven(self.proven)
            .with_connection(self.display.describe_connection());
        if let Shm::Active(ActiveShm {
            whole_frames_reason: Some(reason),
            ..
        }) = &self.shm
        {
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
        let frame = match self.grab_window_shared(window) {
            Err(error) if self.display.retry_window_capture(window, &error) => {
                self.grab_window_shared(window)
            }
            frame => frame,
        };
        self.proven |= frame.is_ok();
        frame
    }

    /// With shared memory in use, a stream that keeps captures in flight and, where the server
    /// has DAMAGE and shared pixmaps, copies only what changed (see the `stream` module docs of
    /// this crate); the default one-grab-a-time stream after a fallback to `GetImage`, and for
    /// a window.
    fn stream(&mut self, options: &StreamOptions) -> Result<Box<dyn FrameStream + '_>, Error> {
        match self.shm {
            // A window streams through window grabs.
            Shm::Active(_) if !matches!(options.target, StreamTarget::Window(_)) => {
                Ok(Box::new(crate::stream::ShmStream::open(self, options)?))
            }
            _ => Ok(Box::new(GrabStream::new(self, options)?)),
        }
    }

    fn grab(&mut self, region: Region) -> Result<Frame, Error> {
        match self.shm {
            Shm::Active(_) => self.grab_shared(region),
            Shm::Unavailable(_) => {
                let frame = self.display.get_image(region)?;
                self.proven = true;
                Ok(frame)
            }
        }
    }
}

/// Bytes of a segment that holds the whole screen as `display` knows it now.
fn screen_bytes<C: X11Connection>(display: &X11Display<C>) -> usize {
    let screen = display.known_screen();
    let width = u16::try_from(screen.width()).unwrap_or(u16::MAX);
    let height = usize::from(u16::try_from(screen.height()).unwrap_or(u16::MAX));
    display.stride_for(width) * height
}

/// Detaches `segments` from the server and unmaps them. A detach that cannot be sent means a
/// broken connection, which the next request reports.
fn detach_all<C: X11Connection>(connection: &C, segments: Vec<Segment>) {
    for segment in segments {
        drop(segment.detach(connection));
    }
}

/// Sets up shared memory: `Ok(Ok(shared memory))` when it works, `Ok(Err(reason))` when it cannot
/// (the capturer then falls back), `Err` only when the connection itself failed.
fn set_up_shared_memory<C: X11Connection>(
    display: &X11Display<C>,
    segment_len: usize,
    max_buffers: usize,
) -> Result<Result<ActiveShm, String>, Error> {
    let connection = display.connection();
    // Asking before sending any MIT-SHM request matters: on a server without the extension,
    // a request to it would break a libxcb connection (and hang ffmpeg's x11grab).
    let present = connection
        .extension_information(shm::X11_EXTENSION_NAME)
        .map_err(|error| display.connection_lost(error))?;
    if present.is_none() {
        return Ok(Err("the X server has no MIT-SHM extension".to_owned()));
    }
    let version = connection
        .shm_query_version()
        .map_err(|error| display.connection_lost(error))?
        .reply()
        .map_err(|error| display.reply_error("ShmQueryVersion", error))?;
    // Pixmaps in shared memory must be ZPixmap, the layout frames are read in.
    let shared_pixmaps =
        version.shared_pixmaps && version.pixmap_format == u8::from(ImageFormat::Z_PIXMAP);
    let version = (version.major_version, version.minor_version);
    if version < REQUIRED_VERSION {
        return Ok(Err(format!(
            "the X server's MIT-SHM is version {}.{}; file-descriptor passing needs 1.2",
            version.0, version.1
        )));
    }
    // One segment now, so that a server that refuses shared memory is found here and not at
    // the first grab.
    let first = match Segment::create(connection, segment_len) {
        Ok(segment) => segment,
        Err(SegmentError::Connection(error)) => return Err(display.connection_lost(error)),
        Err(error) => return Ok(Err(fallback_reason(&error))),
    };
    let pool = Pool::new(max_buffers);
    let lease = pool
        .acquire(|_| true, || Ok::<_, SegmentError>(first), drop)
        .map_err(|_| ())
        .expect("an empty pool with room for a slot accepts it");
    drop(lease);
    Ok(Ok(ActiveShm {
        pool,
        shared_pixmaps,
        whole_frames_reason: None,
    }))
}

/// Why a segment failure at setup means falling back, in words.
fn fallback_reason(error: &SegmentError) -> String {
    match error {
        SegmentError::System(error) => error.to_string(),
        SegmentError::Refused(error) => format!(
            "the X server refused ShmAttachFd ({}); a display reached over TCP cannot share memory",
            describe_x11_error(error)
        ),
        SegmentError::Connection(error) => format!("the connection failed: {error}"),
    }
}

/// The error for a segment that could not be made while the pool grows (not a fallback).
fn segment_error(display: &str, bytes: usize, error: SegmentError) -> Error {
    match error {
        SegmentError::System(error) => Error::SharedMemory {
            bytes,
            reason: error.step().map_or_else(
                || "the segment is empty".to_owned(),
                |step| format!("{step} failed"),
            ),
            source: Some(error.into()),
        },
        SegmentError::Refused(error) => Error::SharedMemory {
            bytes,
            reason: format!(
                "the X server refused ShmAttachFd: {}",
                describe_x11_error(&error)
            ),
            source: None,
        },
        SegmentError::Connection(error) => Error::ConnectionLost {
            display: display.to_owned(),
            reason: error.to_string(),
            source: Some(Box::new(error)),
        },
    }
}
