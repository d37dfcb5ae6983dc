//! [`Segments`]: the capturer's shared memory, in use (a bounded pool of segments sized for
//! the screen) or not and why, shared by the grab, the window grab and the stream.

use mss_buffer::{AcquireError, Lease, Pool, PoolStats};
use mss_core::Error;
use mss_x11::{DamageTracker, WindowSource, X11Connection, X11Display, describe_x11_error};
use x11rb::protocol::shm::{self, ConnectionExt as _};
use x11rb::protocol::xproto::ImageFormat;

use crate::segment::{Segment, SegmentError};

/// The oldest MIT-SHM version with `ShmAttachFd`, which memfd segments need.
const REQUIRED_VERSION: (u16, u16) = (1, 2);

/// The capturer's shared memory.
pub(crate) struct Segments {
    shm: Shm,
    /// Bytes every new segment gets: the whole screen at its current size, so any region
    /// fits any segment. Idle segments of another size are replaced as they are met: smaller
    /// ones because a region may not fit, larger ones so memory follows a shrinking screen.
    segment_len: usize,
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
    /// Why streams take whole frames instead of copying only what changed, if they must.
    whole_frames_reason: Option<String>,
}

impl Segments {
    /// Sets up shared memory on `display`, whose screen size is current, with at most
    /// `max_buffers` segments; shared memory that cannot work is noted with the reason, not an
    /// error.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] or [`Error::Protocol`] if the server fails in a way that is
    /// not about shared memory.
    pub(crate) fn set_up<C: X11Connection>(
        display: &mut X11Display<C>,
        max_buffers: usize,
    ) -> Result<Self, Error> {
        let segment_len = screen_bytes(display);
        let shm = match set_up_shared_memory(display, segment_len, max_buffers)? {
            Ok((pool, shared_pixmaps)) => {
                let whole_frames_reason = if shared_pixmaps {
                    DamageTracker::unavailable(display)?
                } else {
                    Some("the X server makes no pixmaps in shared memory".to_owned())
                };
                Shm::Active(ActiveShm {
                    pool,
                    whole_frames_reason,
                })
            }
            Err(reason) => Shm::Unavailable(reason),
        };
        Ok(Self { shm, segment_len })
    }

    /// Whether shared memory is in use (as opposed to the `GetImage` fallback).
    pub(crate) fn is_active(&self) -> bool {
        matches!(self.shm, Shm::Active(_))
    }

    /// Why shared memory is not in use, or `None` when it is.
    pub(crate) fn fallback_reason(&self) -> Option<&str> {
        match &self.shm {
            Shm::Active(_) => None,
            Shm::Unavailable(reason) => Some(reason),
        }
    }

    /// The pool's counts, or `None` without shared memory.
    pub(crate) fn pool_stats(&self) -> Option<PoolStats> {
        match &self.shm {
            Shm::Active(active) => Some(active.pool.stats()),
            Shm::Unavailable(_) => None,
        }
    }

    /// Why streams must take whole frames (no DAMAGE, no XFixes 2, no shared pixmaps, no
    /// shared memory), or `None` when they can copy only what changed.
    pub(crate) fn whole_frames_reason(&self) -> Option<&str> {
        match &self.shm {
            Shm::Active(active) => active.whole_frames_reason.as_deref(),
            Shm::Unavailable(reason) => Some(reason),
        }
    }

    /// Whether `source`'s pixels can go into one of the pooled segments: shared memory in use,
    /// the screen's format, and no larger than the screen.
    pub(crate) fn fits<C: X11Connection>(
        &self,
        display: &X11Display<C>,
        source: &WindowSource,
    ) -> bool {
        source.format == display.format()
            && source.stride * usize::from(source.height) <= screen_bytes(display)
            && self.is_active()
    }

    /// Leases a segment for a capture, after [`X11Display::check_region`] left the screen's
    /// current size in the cache: segments follow the screen, and idle ones of another size (or
    /// that failed) are detached, after `retire` saw each (to free what a stream made on it).
    pub(crate) fn lease<C: X11Connection>(
        &mut self,
        display: &X11Display<C>,
        retire: &mut dyn FnMut(&X11Display<C>, &Segment),
    ) -> Result<Lease<Segment>, Error> {
        let screen_len = screen_bytes(display);
        let shrank = screen_len < self.segment_len;
        self.segment_len = screen_len;
        let Shm::Active(active) = &self.shm else {
            unreachable!("segments are only leased with shared memory active")
        };
        let pool = &active.pool;
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
                segment_error(display.display_name(), segment_len, error)
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
    pub(crate) fn discard<C: X11Connection>(
        &mut self,
        display: &X11Display<C>,
        mut lease: Lease<Segment>,
        retire: &mut dyn FnMut(&X11Display<C>, &Segment),
    ) {
        lease.mark_failed();
        drop(lease);
        if let Shm::Active(active) = &self.shm {
            for segment in active.pool.evict_free(Segment::is_failed) {
                retire(display, &segment);
                drop(segment.detach(display.connection()));
            }
        }
    }

    /// Stops using shared memory for good, detaching the idle segments.
    pub(crate) fn fall_back<C: X11Connection>(&mut self, display: &X11Display<C>, reason: String) {
        if let Shm::Active(active) = std::mem::replace(&mut self.shm, Shm::Unavailable(reason)) {
            detach_all(display.connection(), active.pool.close());
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

/// Sets up shared memory: `Ok(Ok((pool, shared pixmaps)))` when it works (with whether the
/// server makes pixmaps in shared memory, in the `ZPixmap` layout, which streams copy changed
/// rectangles into), `Ok(Err(reason))` when it cannot (the capturer then falls back), `Err`
/// only when the connection itself failed.
fn set_up_shared_memory<C: X11Connection>(
    display: &X11Display<C>,
    segment_len: usize,
    max_buffers: usize,
) -> Result<Result<(Pool<Segment>, bool), String>, Error> {
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
    Ok(Ok((pool, shared_pixmaps)))
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
