//! How much the backend takes from a compositor: how large a frame may be, and how many of
//! its events it keeps, whatever the compositor sends.

use mss_core::Error;

use crate::connection::BACKEND_NAME;

/// The most bytes one frame may take: 1 GiB, a frame of 16384x16384 pixels at 4 bytes each.
///
/// Why this number: 16384 pixels is the largest texture side of common GPUs, and so of the
/// outputs a compositor renders, so a frame of that size holds any one output at any scale and
/// any real desk of monitors (four 8K monitors in a square take 15360x8640). A larger frame is
/// mostly the empty space between outputs placed far apart (monitor 0 is their bounding box),
/// and allocating it would let the layout, not the pixels, decide how much memory a grab
/// takes. The limit is also below the 2 GiB that Wayland allows one shared buffer, so every
/// buffer within it can be shared with the compositor.
pub(crate) const MAX_FRAME_BYTES: u64 = 1 << 30;

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

/// Fails with [`Error::Unsupported`] when a frame of `bytes` is past [`MAX_FRAME_BYTES`];
/// `subject` says in words what the frame is of (called only then).
pub(crate) fn check_frame_size(bytes: u64, subject: impl FnOnce() -> String) -> Result<(), Error> {
    if bytes <= MAX_FRAME_BYTES {
        return Ok(());
    }
    Err(Error::Unsupported {
        backend: BACKEND_NAME,
        what: "a frame larger than 1 GiB",
        reason: format!(
            "{} would take {bytes} bytes, past the limit of {MAX_FRAME_BYTES} bytes (16384x16384 \
             pixels) on one frame; capture each monitor, or a smaller region, instead",
            subject()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_up_to_the_limit_pass_and_larger_ones_are_refused_saying_so() {
        assert!(check_frame_size(0, || unreachable!()).is_ok());
        assert!(check_frame_size(16384 * 16384 * 4, || unreachable!()).is_ok());
        let error = check_frame_size(16384 * 16384 * 4 + 1, || "region 1x1 at (0, 0)".to_owned())
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "wayland: a frame larger than 1 GiB is not supported: region 1x1 at (0, 0) would \
             take 1073741825 bytes, past the limit of 1073741824 bytes (16384x16384 pixels) on \
             one frame; capture each monitor, or a smaller region, instead"
        );
    }
}
