//! One shared-memory segment: a sealed memfd, mapped here and attached to the X server.

use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;

use memmap2::MmapMut;
use mss_x11_getimage::X11Connection;
use rustix::fs::{MemfdFlags, SealFlags};
use x11rb::errors::{ConnectionError, ReplyError, ReplyOrIdError};
use x11rb::protocol::shm::{self, ConnectionExt as _};

/// A memory segment the X server can write captured pixels into.
///
/// The memory is an anonymous `memfd` (close-on-exec, no path, so no other local user can
/// open it), sized once and sealed against shrinking and growing, mapped read-write in this
/// process and handed to the server with `ShmAttachFd`. The server closes its copy of the file
/// descriptor when the segment is detached or the connection closes; this process keeps only
/// the mapping.
///
/// Dropping a `Segment` unmaps it and nothing else: it never talks to the server, so it is
/// safe to drop on any thread, after the connection is gone (the server forgets every segment
/// of a closed connection). While the connection lives, [`Segment::detach`] is how a segment is
/// retired on the server side as well.
pub(crate) struct Segment {
    id: shm::Seg,
    map: MmapMut,
}

/// Why a segment could not be made.
#[derive(Debug)]
pub(crate) enum SegmentError {
    /// The operating system refused a step (memfd, size, seal, map).
    System {
        /// The step, in words.
        step: &'static str,
        /// The operating system's error.
        source: io::Error,
    },
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
        let system = |step| {
            move |source: rustix::io::Errno| SegmentError::System {
                step,
                source: source.into(),
            }
        };
        let fd = rustix::fs::memfd_create(
            "mss-rs-capture",
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )
        .map_err(system("creating the memfd"))?;
        rustix::fs::ftruncate(&fd, len as u64).map_err(system("sizing the memfd"))?;
        // With the size sealed, nobody (this process or the server) can shrink the file under
        // the mapping, so reading it can never raise SIGBUS.
        rustix::fs::fcntl_add_seals(&fd, SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL)
            .map_err(system("sealing the memfd's size"))?;
        let file = File::from(fd);
        // SAFETY: `file` is a memfd created above: it has no path and its descriptor has not
        // been shared yet, so no other process can map or resize it behind our back; its size
        // is sealed, so the mapping stays backed for its whole life. The X server will get the
        // descriptor and write into this memory, but only in answer to a ShmGetImage request
        // for this segment, and the capture code sends that request only while it holds the
        // segment exclusively (a `&mut` borrow) and waits for the reply before anyone reads.
        let map = unsafe { MmapMut::map_mut(&file) }.map_err(|source| SegmentError::System {
            step: "mapping the memfd",
            source,
        })?;
        let id = connection.generate_x11_id().map_err(|error| match error {
            ReplyOrIdError::ConnectionError(error) => SegmentError::Connection(error),
            ReplyOrIdError::X11Error(error) => SegmentError::Refused(error),
            ReplyOrIdError::IdsExhausted => SegmentError::Connection(ConnectionError::UnknownError),
        })?;
        let attached = connection
            .shm_attach_fd(id, OwnedFd::from(file), false)
            .map_err(SegmentError::Connection)?
            .check();
        match attached {
            Ok(()) => Ok(Self { id, map }),
            Err(ReplyError::X11Error(error)) => Err(SegmentError::Refused(error)),
            Err(ReplyError::ConnectionError(error)) => Err(SegmentError::Connection(error)),
        }
    }

    /// The segment's id on the server.
    pub(crate) fn id(&self) -> shm::Seg {
        self.id
    }

    /// The segment's size in bytes.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// The segment's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// The segment's bytes, writable (for drawing on a frame in place).
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.map
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

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("id", &self.id)
            .field("len", &self.map.len())
            .finish()
    }
}
