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
//! Segments are anonymous `memfd`s (close-on-exec, sealed against resizing), mapped read-write
//! here and passed to the server with `ShmAttachFd` (MIT-SHM 1.2). No SysV segment is ever
//! made, so no other local user can read captured pixels and nothing leaks if the process
//! dies.
//!
//! # Buffers held by frames
//!
//! Every live frame holds one segment. The pool grows lazily, one segment per frame held at
//! the same time, up to [`ShmOptions::max_buffers`] (8 by default); a grab beyond that fails
//! with [`mss_core::Error::BuffersExhausted`] instead of growing without bound. Segments are
//! sized for the whole screen, so any region fits any segment; memfd pages are only backed by
//! memory once the server writes them, so small grabs cost little memory.
//!
//! # When MIT-SHM cannot work
//!
//! The capturer falls back to `GetImage` (the [`mss_x11_getimage`] path, whose reply buffer
//! becomes the frame with no further copy) and says why in [`mss_core::Capture::status`]:
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
#![deny(unsafe_op_in_unsafe_fn)]

mod capture;
mod segment;
mod storage;

pub use capture::{BACKEND_NAME, METHOD_GET_IMAGE, METHOD_SHM, ShmCapture, ShmOptions};
pub use mss_buffer::PoolStats;
pub use mss_x11_getimage::x11rb;
