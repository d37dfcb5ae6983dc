//! How much the backend takes from a compositor: how large a frame may be, and how many of
//! its events it keeps, whatever the compositor sends.

use mss_core::Error;

use crate::BACKEND_NAME;

/// The most distinct buffer layouts kept for one screencopy frame. A compositor offers one
/// per kind of buffer (shared memory, dmabuf), so 16 is far more than any sends; a compositor
/// repeating `buffer` events keeps no more than this many in memory, the first ones.
pub(crate) const MAX_LAYOUTS: usize = 16;

/// The most damage rectangles kept for one screencopy frame (and so given to a stream frame's
/// [`Changes::Rectangles`](mss_core::Changes::Rectangles)). wlroots sends the rectangles of a
/// pixman region, a handful for ordinary changes; past this many, every rectangle of the frame
/// is merged into their bounding box, which still holds every damaged pixel.
pub const MAX_DAMAGE_RECTANGLES: usize = 64;

/// The most globals kept from the registry. A desktop announces a few dozen; a global
/// announced again under the same name replaces the first, and globals past this many are
/// ignored (a compositor announcing globals without end cannot grow the list).
pub(crate) const MAX_GLOBALS: usize = 1024;

/// The most events read during one wait on the compositor (for the globals, the outputs'
/// descriptions, a frame's layouts, a copy). One wait sees a few dozen events, a frame with
/// much damage some hundreds; past this many, the compositor is repeating events without end,
/// and the wait ends with [`Error::Protocol`] saying so and closes the connection, instead of
/// reading until the timeout (or forever, when the events come as fast as they are read).
pub(crate) const MAX_EVENTS_PER_WAIT: usize = 1 << 16;

/// Fails with [`Error::Unsupported`] when a frame of `bytes` is past mss-core's
/// [`MAX_FRAME_BYTES`](mss_core::assemble::MAX_FRAME_BYTES), which every backend that
/// assembles frames shares; `subject` says in words what the frame is of (called only then).
pub(crate) fn check_frame_size(bytes: u64, subject: impl FnOnce() -> String) -> Result<(), Error> {
    mss_core::assemble::check_frame_size(BACKEND_NAME, bytes, subject)
}
