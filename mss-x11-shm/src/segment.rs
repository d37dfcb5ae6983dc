//! One shared-memory segment: a sealed memfd ([`SharedMemory`]), attached to the X server.

use std::fmt;

use mss_memfd::{MemfdError, SharedMemory};
use mss_x11::X11Connection;
use x11rb::errors::{ConnectionError, ReplyError, ReplyOrIdError};
use x11rb::protocol::shm::{self, ConnectionExt as _};

/// A memory segment the X server can write captured pixels into.
///
/// The memory is a [`SharedMemory`] (an anonymous memfd, sealed, mapped here), whose
/// descriptor is handed to the server with `ShmAttachFd`. The server closes its copy of the
/// descriptor when the segment is detached or the connection closes; this process keeps only
/// the mapping.
///
/// Dropping a `Segment` unmaps it and nothing else: it never talks to the server, so it is
/// safe to drop on any thread, after the connection is gone (the server forgets every segment
/// of a closed connection). While the connection lives, [`Segment::detach`] is how a segment is
/// retired on the server side as well.
pub(crate) struct Segment {
    id: shm::Seg,
    memory: SharedMemory,
    /// Set when the server refused a request on this segment: it is detached, not reused.
    failed: bool,
}

/// Why a segment could not be made.
#[derive(Debug)]
pub(crate) enum SegmentError {
    /// The operating system refused a step (memfd, size, seal, map).
    System(MemfdError),
    /// The server refused `ShmAttachFd` (for example because the client is remote and the
    /// descriptor did not arrive). The connection is still usable.
    Refused(x11rb::x11_utils::X11Error),
    /// The connection failed; nothing more can be done on it.
    Connection(ConnectionError),
}

impl Segment {
    /// Creates a segment of `len` bytes and attaches it to the server of `connection`.
    ///
    /// Waits for the server's answer to the attach, so a refused attach is known here and
    /// not at the first grab.
    pub(crate) fn create<C: X11Connection>(
        connection: &C,
        len: usize,
    ) -> Result<Self, SegmentError> {
        let mut memory =
            SharedMemory::create("mss-rs-capture", len).map_err(SegmentError::System)?;
        let fd = memory
            .take_fd()
            .expect("a new segment holds its descriptor");
        let id = connection.generate_x11_id().map_err(|error| match error {
            ReplyOrIdError::ConnectionError(error) => SegmentError::Connection(error),
            ReplyOrIdError::X11Error(error) => SegmentError::Refused(error),
            ReplyOrIdError::IdsExhausted => SegmentError::Connection(ConnectionError::UnknownError),
        })?;
        // The server writes into this memory only in answer to a ShmGetImage for this segment,
        // which the capture code sends while it holds the segment exclusively (a lease) and
        // waits on before anyone reads: the contract of `SharedMemory`.
        let attached = connection
            .shm_attach_fd(id, fd, false)
            .map_err(SegmentError::Connection)?
            .check();
        match attached {
            Ok(()) => Ok(Self {
                id,
                memory,
                failed: false,
            }),
            Err(ReplyError::X11Error(error)) => Err(SegmentError::Refused(error)),
            Err(ReplyError::ConnectionError(error)) => Err(SegmentError::Connection(error)),
        }
    }

    /// Marks the segment as one the server refused a request on.
    pub(crate) fn mark_failed(&mut self) {
        self.failed = true;
    }

    /// Whether the server refused a request on this segment.
    pub(crate) fn is_failed(&self) -> bool {
        self.failed
    }

    /// The segment's id on the server.
    pub(crate) fn id(&self) -> shm::Seg {
        self.id
    }

    /// The segment's size in bytes.
    pub(crate) fn len(&self) -> usize {
        self.memory.len()
    }

    /// The segment's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.memory.bytes()
    }

    /// The segment's bytes, writable (for drawing on a frame in place).
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        self.memory.bytes_mut()
    }

    /// Detaches the segment on the server, then unmaps it.
    ///
    /// The request is not waited on, and its error, if any, is discarded: detaching a
    /// segment this connection attached cannot fail, and a round trip per retired segment
    /// would buy nothing.
    pub(crate) fn detach<C: X11Connection>(self, connection: &C) -> Result<(), ConnectionError> {
        connection.shm_detach(self.id)?.ignore_error();
        Ok(())
    }
}

impl fmt::Debug for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Segment")
            .field("id", &self.id)
            .field("len", &self.memory.len())
            .finish()
    }
}
