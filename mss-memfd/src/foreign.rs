//! [`ForeignMemory`]: a read-only mapping of a memfd another process made and shares (a
//! PipeWire producer's buffer), after checking that it cannot shrink under the mapping.

use std::fmt;
use std::io;
use std::os::fd::BorrowedFd;

use memmap2::{Mmap, MmapOptions};
use rustix::fs::SealFlags;
use rustix::io::Errno;

/// `HUGETLBFS_MAGIC` (`linux/magic.h`): the file system of memfds made with `MFD_HUGETLB`.
const HUGETLBFS_MAGIC: u64 = 0x9584_58f6;

/// Why a foreign memfd was not mapped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ForeignMemoryError {
    /// A mapping of zero bytes was asked for.
    #[error("a mapping needs at least one byte")]
    Empty,
    /// The descriptor is not a file that can carry seals (not a memfd).
    #[error("the descriptor is not a memfd (it cannot carry seals): {source}")]
    NotAMemfd {
        /// The error of `F_GET_SEALS`.
        #[source]
        source: io::Error,
    },
    /// The memfd is not sealed against shrinking, so its owner could truncate it under the
    /// mapping, and reading the lost pages would kill this process (`SIGBUS`).
    #[error(
        "the memfd is not sealed against shrinking (its seals: {seals:?}), so it could be truncated under a reader"
    )]
    NotSealed {
        /// The seals it has.
        seals: SealFlags,
    },
    /// The memfd lives on hugetlbfs, where reading a page can fail with `SIGBUS` when the
    /// system runs out of huge pages.
    #[error("the memfd lives on hugetlbfs, whose pages can fail to appear (SIGBUS)")]
    HugePages,
    /// The range asked for goes past the end of the file.
    #[error("{len} bytes at offset {offset} do not fit in a memfd of {file_size} bytes")]
    OutOfRange {
        /// The offset asked for.
        offset: u64,
        /// The length asked for.
        len: usize,
        /// The file's size.
        file_size: u64,
    },
    /// The operating system refused `fstat`, `fstatfs` or `mmap`.
    #[error("{call} of the memfd failed: {source}")]
    System {
        /// The call.
        call: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

/// A read-only, shared mapping of part of a memfd that another process made and writes (a
/// PipeWire producer's buffer).
///
/// It is mapped only when the memfd is sealed against shrinking (`F_SEAL_SHRINK`), is not on
/// hugetlbfs, and holds the whole range, so reading it can never raise `SIGBUS`; see the
/// [crate documentation](crate) for the whole argument. The mapping does not need the
/// descriptor once made, so it outlives it, the stream it came from and the producer.
/// Dropping it unmaps the memory; it may be dropped on any thread.
///
/// # Thread safety
///
/// `Send + Sync` through its field (a read-only memory map); nothing is written by hand.
pub struct ForeignMemory {
    map: Mmap,
    offset: u64,
}

impl ForeignMemory {
    /// Maps `len` bytes of `fd` from `offset` (any offset: the mapping starts at the page
    /// below it, and [`bytes`](Self::bytes) starts exactly at it).
    ///
    /// # Errors
    ///
    /// [`ForeignMemoryError::Empty`] for `len == 0`, [`ForeignMemoryError::NotAMemfd`],
    /// [`ForeignMemoryError::NotSealed`], [`ForeignMemoryError::HugePages`],
    /// [`ForeignMemoryError::OutOfRange`], or [`ForeignMemoryError::System`] when the
    /// operating system refuses a step.
    pub fn map(fd: BorrowedFd<'_>, offset: u64, len: usize) -> Result<Self, ForeignMemoryError> {
        if len == 0 {
            return Err(ForeignMemoryError::Empty);
        }
        let system = |call| {
            move |error: Errno| ForeignMemoryError::System {
                call,
                source: error.into(),
            }
        };
        // The seal first: once F_SEAL_SHRINK is there it stays (seals can only be added), so
        // the size read next can only grow afterwards.
        let seals =
            rustix::fs::fcntl_get_seals(fd).map_err(|error| ForeignMemoryError::NotAMemfd {
                source: error.into(),
            })?;
        if !seals.contains(SealFlags::SHRINK) {
            return Err(ForeignMemoryError::NotSealed { seals });
        }
        let file_system = rustix::fs::fstatfs(fd).map_err(system("fstatfs"))?;
        if file_system.f_type as u64 == HUGETLBFS_MAGIC {
            return Err(ForeignMemoryError::HugePages);
        }
        let file_size = rustix::fs::fstat(fd).map_err(system("fstat"))?.st_size as u64;
        let fits = offset
            .checked_add(len as u64)
            .is_some_and(|end| end <= file_size);
        if !fits {
            return Err(ForeignMemoryError::OutOfRange {
                offset,
                len,
                file_size,
            });
        }
        // SAFETY: mapping a file is unsafe because the file can be truncated (reading the
        // lost pages raises SIGBUS) or changed under the mapping. Truncation: the file carries
        // F_SEAL_SHRINK (checked above; seals are never removed), it held at least
        // `offset + len` bytes after the seal was seen, and it is a memfd (it accepts seals)
        // not on hugetlbfs (checked), whose pages are always backed by memory or swap, so
        // every page of the range stays readable for the mapping's whole life, whoever holds
        // the file. Changes: the mapping is shared and read-only (PROT_READ), so this process
        // never writes it; the producer may, and the bytes are plain `u8`s, every value of
        // which is valid. Callers read frames only while the producer has handed the buffer
        // over (PipeWire's protocol: a dequeued buffer is not written until queued back), and
        // the crate documentation states what a misbehaving producer could still do: change
        // the pixels being read, never memory outside the mapping.
        let mapped = unsafe { MmapOptions::new().offset(offset).len(len).map(&fd) };
        let map = mapped.map_err(|source| ForeignMemoryError::System {
            call: "mmap",
            source,
        })?;
        Ok(Self { map, offset })
    }

    /// The mapped bytes, from the offset given.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// How many bytes are mapped (at least 1).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Always `false`: a mapping has at least one byte. Present for the `len` convention.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The offset in the file the mapping starts at.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl fmt::Debug for ForeignMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForeignMemory")
            .field("offset", &self.offset)
            .field("len", &self.map.len())
            .finish()
    }
}
