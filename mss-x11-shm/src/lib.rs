//! The `x11-shm` backend of mss-rs: zero-copy capture with MIT-SHM into pooled memfd slots,
//! falling back to `GetImage` with a stated reason.
//!
//! # How a grab works
//!
//! [`ShmCapture`] owns a bounded [`mss_buffer::Pool`] of shared-memory segments. A grab leases
//! a segment, asks the server to write the region straight into it (`ShmGetImage`), and
//! returns an [`mss_core::Frame`] whose storage *is* the lease: the caller reads the memory the
//! server wrote, with no copy in between. Dropping the frame, on any thread, returns the
//! segment to the pool for the next grab.
//!
//! Segments are anonymous `memfd`s ([`mss_memfd::SharedMemory`]: close-on-exec, sealed
//! against resizing and execution, mapped read-write here) passed to the server with
//! `ShmAttachFd` (MIT-SHM 1.2). No SysV segment is ever made, so no other local user can read
//! captured pixels and nothing leaks if the process dies. Like every MIT-SHM segment, an
//! attached one can be named by other clients of the same X server, which could make the
//! server write into it while a frame is read; `mss-memfd`'s documentation ("The safety
//! argument") says what that means and what to do about it.
//!
//! # Buffers held by frames
//!
//! Every live frame holds one segment. The pool grows lazily, one segment per frame held at
//! the same time, up to [`ShmOptions::max_buffers`] (8 by default); a grab beyond that fails
//! with [`mss_core::Error::BuffersExhausted`] instead of growing without bound. Segments are
//! sized for the whole screen as it is now, so any region fits any segment; memfd pages are
//! only backed by memory once the server writes them, so small grabs cost little memory. When
//! the screen changes size, idle segments of the old size are detached (at once when it
//! shrank, as they are met otherwise), so memory follows the screen down as well as up. A
//! segment the server refused a request on after shared memory had worked is detached, never
//! reused.
//!
//! # When MIT-SHM cannot work
//!
//! The capturer falls back to `GetImage` (the shared plumbing's path in `mss-x11`, whose reply
//! buffer becomes the frame with no further copy) and says why in
//! [`mss_core::Capture::status`]:
//!
//! - at construction: the extension is missing (checked before any MIT-SHM request, so a
//!   server without it never leaves the connection broken or a grab hanging, unlike ffmpeg's
//!   x11grab); its version is older than 1.2; the memfd cannot be created, sealed or mapped;
//!   or the server refuses `ShmAttachFd` (a display reached over TCP cannot receive file
//!   descriptors);
//! - at the first grab: `ShmGetImage` fails while `GetImage` of the same region succeeds.
//!
//! **The rule after MIT-SHM has worked once:** errors are reported, never papered over. Once
//! a `ShmGetImage` has succeeded, a later failure is returned to the caller as an error and the
//! capturer does not switch paths silently, because a change of path mid-stream hides real
//! faults (a dying server, exhausted memory) and changes performance without a word. Failing
//! to create a segment when the pool grows is also an error, not a fallback.
//!
//! # Lifetimes and threads
//!
//! Frames outlive the capturer: dropping the capturer closes its pool (idle segments are
//! unmapped) and then the connection, while segments held by frames stay mapped and readable;
//! when such a frame is dropped later, its segment is unmapped and nothing else happens.
//! Releasing a segment never talks to the X server, so late releases cannot race with the
//! connection's close. [`ShmCapture`] is `Send`; frames are `Send + Sync`.
#![forbid(unsafe_code)]

mod capture;
mod names;
mod request;
mod segment;
mod segments;
mod storage;
mod stream;
mod window;

pub use capture::{ShmCapture, ShmOptions};
pub use mss_buffer::PoolStats;
pub use mss_x11::{AutoConnection, ConnectionPreference, MonitorSource, X11Connection, X11Options};
pub use names::{BACKEND_NAME, METHOD_GET_IMAGE, METHOD_SHM};

/// Opens the `x11-shm` backend on `options.display_name()` (`$DISPLAY` when not given), with
/// the default [`ShmOptions`] and the options' timeout and XWayland choice: the
/// [`mss_core::OpenBackend`] the facade's registry names.
///
/// # Errors
///
/// As [`ShmCapture::open_with`].
pub fn open(
    options: &mss_core::OpenOptions,
) -> Result<Box<dyn mss_core::Capture>, mss_core::Error> {
    let shm_options = ShmOptions::new().x11(X11Options::from(options));
    let capture = ShmCapture::open_with(options.display_name(), shm_options)?;
    Ok(Box::new(capture))
}
