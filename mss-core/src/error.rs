//! [`Error`]: the one error type of the capture API.

use crate::Region;

/// A boxed error from a lower layer (an X connection, the operating system), kept as the
/// `source` of an [`Error`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong while capturing.
///
/// Every message names what is at fault in the caller's terms: the display, the region and the
/// screen size, the depth, the monitor number. The lower-level cause, where there is one, is
/// kept as [`std::error::Error::source`].
///
/// The enum is `#[non_exhaustive]`: new failure kinds can be added without breaking callers,
/// so match the variants you handle and keep a catch-all arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The display could not be opened (unset or malformed name, no server there, refused
    /// authentication).
    #[error("cannot open display {display:?}: {reason}")]
    DisplayUnavailable {
        /// The display name as given (or as read from `$DISPLAY`).
        display: String,
        /// What went wrong, in words.
        reason: String,
        /// The lower-level error, if any.
        #[source]
        source: Option<BoxError>,
    },

    /// The screen uses a pixel layout this backend cannot capture, for example a depth-8
    /// palette screen or MSB-first image byte order.
    #[error("display {display:?}: screen of depth {depth} cannot be captured: {reason}")]
    UnsupportedFormat {
        /// The display whose screen is at fault.
        display: String,
        /// The screen's root depth in bits.
        depth: u8,
        /// Which rule the screen breaks.
        reason: String,
    },

    /// A region that is not a valid rectangle: zero or negative size, or edges outside the
    /// coordinate range.
    #[error("invalid region {region}: {reason}")]
    InvalidRegion {
        /// The values as given, `WIDTHxHEIGHT at (LEFT, TOP)`.
        region: String,
        /// Which rule they break.
        reason: String,
    },

    /// A valid region that is not entirely on the screen: partly or wholly outside the
    /// screen's rectangle, or inside it but on no monitor at all (where monitors of different
    /// sizes leave parts of their bounding box empty, as Wayland outputs can; the message then
    /// says the region lies in the gap between outputs).
    #[error("{}", region_out_of_bounds(display, region, screen))]
    RegionOutOfBounds {
        /// The display captured.
        display: String,
        /// The region asked for.
        region: Region,
        /// The screen's rectangle at the time of the request (on Wayland, the outputs'
        /// bounding box).
        screen: Region,
    },

    /// A monitor number that does not exist.
    #[error("monitor {number} does not exist: display {display:?} has {count} monitor(s)")]
    MonitorNotFound {
        /// The display asked.
        display: String,
        /// The number asked for.
        number: i64,
        /// How many monitors the display has.
        count: usize,
    },

    /// A window that cannot be captured: gone, not shown or minimized. Nothing stale is
    /// returned in its place.
    #[error("window {window:#x} on display {display:?} cannot be captured: {problem}")]
    WindowUnavailable {
        /// The display.
        display: String,
        /// The window's id.
        window: u64,
        /// What is wrong with it.
        problem: crate::WindowProblem,
    },

    /// The pointer cannot be read now, though the backend can read it: it is hidden, or on no
    /// monitor the backend sees (a screen cast's cursor metadata says nothing of a pointer
    /// elsewhere). Nothing made up is returned in its place; a later call may succeed.
    #[error("display {display:?}: the pointer cannot be read now: {reason}")]
    CursorUnavailable {
        /// The display.
        display: String,
        /// Why not, in words.
        reason: String,
    },

    /// The backend cannot do this at all (for example read the cursor on a backend without
    /// XFixes).
    #[error("{backend}: {what} is not supported: {reason}")]
    Unsupported {
        /// The backend's name.
        backend: &'static str,
        /// The operation asked for.
        what: &'static str,
        /// Why not.
        reason: String,
    },

    /// The display is XWayland, the X server a Wayland compositor runs for X11 programs. Its
    /// root window is not the Wayland desktop: a rootless XWayland's root holds no pixels at all
    /// (X11 windows are drawn off-screen), a rootful one's is an X11 desktop shown in one
    /// Wayland window. A capture of it would look like one that worked and not show what the
    /// user sees, so it is refused unless the caller opted in.
    #[error(
        "display {display:?} is XWayland, the X server of a Wayland compositor, and its root window is not the Wayland desktop ({evidence}), so it is not captured; {instead}"
    )]
    XWaylandRoot {
        /// The display.
        display: String,
        /// How it was recognised and what its root holds, in words.
        evidence: String,
        /// What to do instead, in words.
        instead: String,
    },

    /// The server answered a request with an error.
    #[error("display {display:?}: {request} failed: {message}")]
    Protocol {
        /// The display asked.
        display: String,
        /// The request that failed, by name (`GetImage`, `ShmGetImage`, `RRGetMonitors`, ...).
        request: &'static str,
        /// The server's answer, in words.
        message: String,
        /// The lower-level error, if any.
        #[source]
        source: Option<BoxError>,
    },

    /// The connection to the display broke; the capturer cannot be used any more.
    #[error("connection to display {display:?} lost: {reason}")]
    ConnectionLost {
        /// The display whose connection broke.
        display: String,
        /// What broke, in words.
        reason: String,
        /// The lower-level error, if any.
        #[source]
        source: Option<BoxError>,
    },

    /// The display did not answer in time: a client holds a server grab, the server is
    /// stopped, or the network to it went silent. The connection is closed at that moment, so
    /// the capturer cannot be used again (later calls fail with [`Error::ConnectionLost`]
    /// saying so); open a new one.
    #[error(
        "display {display:?} did not answer within {seconds} s while waiting for {waiting_for}; the connection was closed, so this capturer cannot be used again"
    )]
    Timeout {
        /// The display.
        display: String,
        /// What was being waited for (`GetImage`, `the connection setup`, ...).
        waiting_for: String,
        /// The time allowed, in seconds.
        seconds: f64,
    },

    /// A stream rate that is not a positive, finite number of frames a second.
    #[error("a stream rate must be a positive, finite number of frames a second, not {rate}")]
    InvalidRate {
        /// The rate as given.
        rate: f64,
    },

    /// Every reusable buffer is held by a live frame and the pool may not grow further.
    #[error(
        "all {limit} capture buffers are held by live frames; drop frames before grabbing more, or raise the buffer limit"
    )]
    BuffersExhausted {
        /// The pool's limit.
        limit: usize,
    },

    /// Shared memory for a capture buffer could not be created, sized, mapped or attached.
    #[error("shared memory buffer of {bytes} bytes: {reason}")]
    SharedMemory {
        /// The size asked for.
        bytes: usize,
        /// Which step failed.
        reason: String,
        /// The lower-level error, if any.
        #[source]
        source: Option<BoxError>,
    },

    /// A backend handed over pixel storage that does not match the frame it describes. This
    /// is a bug in the backend, reported instead of reading out of bounds.
    #[error(
        "frame layout does not fit its storage: {width}x{height}, stride {stride}, {bytes_per_pixel} bytes per pixel, offset {offset}, but only {len} bytes"
    )]
    FrameLayout {
        /// Frame width in pixels.
        width: u32,
        /// Frame height in pixels.
        height: u32,
        /// Bytes per row.
        stride: usize,
        /// Bytes per pixel of the format.
        bytes_per_pixel: usize,
        /// Where the first pixel starts in the storage.
        offset: usize,
        /// The storage's length.
        len: usize,
    },

    /// An input/output error outside the display (writing a file, reading `/proc`).
    #[error("{context}: {source}")]
    Io {
        /// What was being done, naming the path.
        context: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// The message of [`Error::RegionOutOfBounds`]. A region inside the screen's rectangle can only
/// be refused because no monitor shows any of it (an X11 root shows its whole rectangle, while
/// Wayland outputs of different sizes leave parts of their bounding box empty), so the message
/// says that instead of calling it outside the screen.
fn region_out_of_bounds(display: &str, region: &Region, screen: &Region) -> String {
    let (width, height, left, top) = (screen.width(), screen.height(), screen.left(), screen.top());
    if screen.contains(region) {
        format!(
            "region {region} lies in the gap between the outputs of display {display:?}: no \
             output shows any of it (their bounding box is {width}x{height} at ({left}, {top}))"
        )
    } else {
        format!(
            "region {region} is not inside the screen of display {display:?}, which is \
             {width}x{height} at ({left}, {top})"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out_of_bounds(region: Region) -> String {
        Error::RegionOutOfBounds {
            display: "wayland-1".to_owned(),
            region,
            screen: Region::new(0, 0, 1920, 720).unwrap(),
        }
        .to_string()
    }

    #[test]
    fn a_region_off_the_screen_names_the_screen_and_one_in_a_gap_says_so() {
        assert_eq!(
            out_of_bounds(Region::new(1900, 0, 50, 50).unwrap()),
            "region 50x50 at (1900, 0) is not inside the screen of display \"wayland-1\", which \
             is 1920x720 at (0, 0)"
        );
        assert_eq!(
            out_of_bounds(Region::new(1400, 600, 50, 50).unwrap()),
            "region 50x50 at (1400, 600) lies in the gap between the outputs of display \
             \"wayland-1\": no output shows any of it (their bounding box is 1920x720 at (0, 0))"
        );
    }
}
