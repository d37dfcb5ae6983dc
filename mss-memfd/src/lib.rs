//! Sealed, mapped memfd segments: the memory a display server writes captured pixels into, and
//! read-only mappings of the sealed memfds a PipeWire producer shares.
//!
//! # What it is for
//!
//! Zero-copy capture hands the display server a piece of this process's memory and lets it
//! write a frame there: X11's MIT-SHM (`ShmAttachFd`, then `ShmGetImage`) and Wayland's
//! `wl_shm` (a `wl_shm_pool` the compositor copies an output into) both take a file
//! descriptor of shared memory. [`SharedMemory`] is that memory, made the same way for every
//! backend: an anonymous `memfd`, sized once, sealed, and mapped read-write here. Backends pass
//! its descriptor to their server and read frames straight out of the mapping.
//!
//! [`ForeignMemory`] is the other direction: a memfd another process made and shares with
//! this one (a PipeWire producer's frame buffer), mapped read-only after checking that it
//! cannot shrink under the mapping.
//!
//! This crate holds two `unsafe` blocks (the two mappings). Every other crate of the workspace
//! forbids unsafe code, except the libpipewire FFI (`mss-libpipewire`); `cargo xtask tidy`
//! checks it.
//!
//! # How a segment is made, and why
//!
//! 1. `memfd_create` with `MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL`. The memfd has
//!    no path (no other local user can open it, unlike a SysV segment or a file in
//!    `/dev/shm`), is not inherited by child processes, and, from Linux 6.3, is sealed against
//!    ever becoming executable. A kernel older than 6.3 rejects `MFD_NOEXEC_SEAL` with
//!    `EINVAL`, so creation is retried without it there; where the administrator demands it
//!    (`vm.memfd_noexec = 2`), asking for it is what makes creation succeed at all, and Linux
//!    6.3 and later log a warning for every memfd created without either exec flag.
//! 2. `ftruncate` to the requested size, then the seals `F_SEAL_SHRINK | F_SEAL_GROW |
//!    F_SEAL_SEAL`: from here on nobody, this process or the server, can change the size.
//! 3. `mmap` of the whole file, shared and read-write.
//!
//! # The safety argument, and the trust it rests on
//!
//! Mapping a file is unsafe in Rust because the memory can change or vanish under a reference
//! to it. Here it cannot vanish: the size is sealed, so the mapping is backed for its whole
//! life and reading it never raises `SIGBUS`; the mapping is unmapped only when the
//! [`SharedMemory`] is dropped. It can change, by design, because the display server writes
//! into it. Backends make that sound by protocol: they lend a segment to the server for one
//! request while holding it exclusively (a `&mut` borrow or an exclusive lease), wait for the
//! server's answer, and only then hand out read-only views of it.
//!
//! That argument trusts the display server, and on X11 it trusts more: MIT-SHM segment ids are
//! server-global, so **any other client of the same X server** that guesses or learns a
//! segment id can ask the server to write into it (`ShmGetImage`, `ShmPutImage` target) while
//! a frame is being read. Such a client could change pixels under a reader, never memory
//! outside the segment. Every X client can already read and forge the whole screen, so this
//! grants no new power over what is captured; what it adds is that bytes of a frame can change
//! while the frame is read. Applications that must not see that (for example ones that hash a
//! frame, then act on its contents) should copy the frame first ([`Frame::to_owned_frame`] in
//! mss-core), or use a backend that does not share memory (`x11-getimage`). On Wayland the
//! `wl_buffer` of a segment is private to this client's connection.
//!
//! # Foreign memfds: the argument for [`ForeignMemory`]
//!
//! A PipeWire producer (GNOME's mutter, a portal backend) allocates each frame buffer as a
//! memfd and sends its descriptor; the consumer maps it and reads frames straight out of it.
//! The memory belongs to the producer, so the argument differs:
//!
//! - **It cannot vanish.** Whoever holds a memfd can truncate it, and reading a page past the
//!   new end raises `SIGBUS`, which kills the process. A memfd sealed with `F_SEAL_SHRINK`
//!   can never be made smaller again, by anyone (seals can only be added). So a mapping is
//!   made only after `F_GET_SEALS` shows that seal (a descriptor that is not a memfd cannot
//!   carry seals and is refused), and only of a range inside the file's size, read after the
//!   seal was seen. A memfd on hugetlbfs is refused too: its pages can fail to appear when
//!   the system runs out of huge pages, which is also a `SIGBUS`. PipeWire producers that seal
//!   their buffers (mutter does: `F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL`) are mapped;
//!   for others, a consumer reads the bytes with `pread` instead, a copy but no risk.
//! - **It is never written here.** The mapping is read-only (`PROT_READ`).
//! - **It can change,** as the X server's writes can: the producer writes a buffer while it
//!   owns it and, by PipeWire's protocol, leaves it alone while the consumer holds it
//!   dequeued. A producer that breaks the protocol can change pixels while they are read, and
//!   nothing else: bytes are plain `u8`s, any value is valid, and no pointer or length is ever
//!   read from this memory. The producer already decides every pixel of the screen cast, so
//!   this grants it nothing new; applications that must not see a frame change while reading
//!   it copy it first, as above.
//! - **It outlives everything else.** The mapping keeps the memory alive after the
//!   descriptor is closed, the stream destroyed and the producer gone; only dropping the
//!   [`ForeignMemory`] unmaps it.
//!
//! [`Frame::to_owned_frame`]: https://docs.rs/mss-core/latest/mss_core/struct.Frame.html#method.to_owned_frame
//!
//! # Thread safety
//!
//! [`SharedMemory`] is `Send + Sync` through its fields (a memory map and a file descriptor);
//! no implementation is written by hand. Shared references read, `&mut` writes.
//! [`ForeignMemory`] is `Send + Sync` the same way, and read-only.
#![deny(unsafe_op_in_unsafe_fn)]

use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use memmap2::MmapMut;
use rustix::fs::{MemfdFlags, SealFlags};
use rustix::io::Errno;

mod foreign;

pub use foreign::{ForeignMemory, ForeignMemoryError};

/// Which step of making a segment failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// `memfd_create`.
    Create,
    /// `ftruncate` to the requested size.
    Size,
    /// Adding the size seals.
    Seal,
    /// `mmap`.
    Map,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Create => "creating the memfd",
            Step::Size => "sizing the memfd",
            Step::Seal => "sealing the memfd's size",
            Step::Map => "mapping the memfd",
        })
    }
}

/// Why a segment could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MemfdError {
    /// A segment of zero bytes was asked for; no mapping can be empty.
    #[error("a shared-memory segment needs at least one byte")]
    Empty,
    /// The operating system refused a step.
    #[error("{step} ({len} bytes) failed: {source}")]
    System {
        /// The step that failed.
        step: Step,
        /// The size asked for.
        len: usize,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

impl MemfdError {
    /// The step that failed, if the operating system refused one.
    pub fn step(&self) -> Option<Step> {
        match self {
            MemfdError::Empty => None,
            MemfdError::System { step, .. } => Some(*step),
        }
    }
}

/// An anonymous memfd of fixed size, sealed and mapped read-write: memory a display server can
/// be given (by its file descriptor) and write frames into.
///
/// See the [crate documentation](crate) for how it is made and the safety argument. Dropping it
/// unmaps the memory and closes the descriptor if this process still holds it; it never talks
/// to a display server, so it may be dropped on any thread, at any time.
pub struct SharedMemory {
    map: MmapMut,
    fd: Option<OwnedFd>,
    noexec_sealed: bool,
}

impl SharedMemory {
    /// Creates a segment of `len` bytes, named `name` (the name shows in `/proc/PID/fd` and
    /// `/proc/PID/maps` only; it need not be unique).
    ///
    /// The memory starts zeroed, and pages are only backed once written.
    ///
    /// # Errors
    ///
    /// [`MemfdError::Empty`] for `len == 0`; [`MemfdError::System`] naming the step and the
    /// size when the operating system refuses one (no memfd support, out of memory, a
    /// resource limit).
    pub fn create(name: &str, len: usize) -> Result<Self, MemfdError> {
        Self::create_with(name, len, |name, flags| {
            rustix::fs::memfd_create(name, flags)
        })
    }

    /// [`create`](Self::create) with the `memfd_create` call given, so the retry without
    /// `MFD_NOEXEC_SEAL` can be tested on any kernel.
    fn create_with(
        name: &str,
        len: usize,
        memfd_create: impl Fn(&str, MemfdFlags) -> Result<OwnedFd, Errno>,
    ) -> Result<Self, MemfdError> {
        if len == 0 {
            return Err(MemfdError::Empty);
        }
        let system = |step| {
            move |source: Errno| MemfdError::System {
                step,
                len,
                source: source.into(),
            }
        };
        let base = MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING;
        let (fd, noexec_sealed) = match memfd_create(name, base | MemfdFlags::NOEXEC_SEAL) {
            Ok(fd) => (fd, true),
            // Kernels before 6.3 do not know the flag.
            Err(Errno::INVAL) => (
                memfd_create(name, base).map_err(system(Step::Create))?,
                false,
            ),
            Err(error) => return Err(system(Step::Create)(error)),
        };
        rustix::fs::ftruncate(&fd, len as u64).map_err(system(Step::Size))?;
        // With the size sealed, nobody (this process or the server) can shrink the file under
        // the mapping, so reading it can never raise SIGBUS.
        rustix::fs::fcntl_add_seals(&fd, SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL)
            .map_err(system(Step::Seal))?;
        // SAFETY: `fd` is a memfd created above. It has no path and its descriptor has not been
        // given to anyone yet, so no other process can map, truncate or resize it behind our
        // back, and its size is sealed (SHRINK | GROW | SEAL, the seal itself sealed), so the
        // whole mapping stays backed by the file for as long as it exists: reads and writes
        // through it never fault. Its contents may later be written by a display server that
        // receives the descriptor; that is the purpose of this memory, and the crate's
        // contract (its documentation, "The safety argument") puts the duty on backends to lend
        // a segment to a server only while they hold it exclusively and to read it only after
        // the server answered.
        let map = unsafe { MmapMut::map_mut(&fd) }.map_err(|source| MemfdError::System {
            step: Step::Map,
            len,
            source,
        })?;
        Ok(Self {
            map,
            fd: Some(fd),
            noexec_sealed,
        })
    }

    /// The segment's size in bytes (at least 1).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Always `false`: a segment has at least one byte. Present for the `len` convention.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The segment's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// The segment's bytes, writable.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.map
    }

    /// The segment's file descriptor, to pass to a server that borrows it (Wayland's
    /// `wl_shm.create_pool`), or `None` after [`take_fd`](Self::take_fd).
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd.as_ref().map(AsFd::as_fd)
    }

    /// Takes the file descriptor out, to hand to a server that takes ownership of it (X11's
    /// `ShmAttachFd`, which closes it once sent). The mapping stays valid: it does not need the
    /// descriptor. `None` if it was taken before.
    pub fn take_fd(&mut self) -> Option<OwnedFd> {
        self.fd.take()
    }

    /// Whether the memfd carries the no-exec seal (`MFD_NOEXEC_SEAL`, Linux 6.3 and later).
    pub fn is_noexec_sealed(&self) -> bool {
        self.noexec_sealed
    }
}

impl fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedMemory")
            .field("len", &self.map.len())
            .field("holds_fd", &self.fd.is_some())
            .field("noexec_sealed", &self.noexec_sealed)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// Calls the real `memfd_create`, after recording the flags and refusing those `refuse`
    /// says to refuse, with the error it gives.
    fn recording(
        calls: &RefCell<Vec<MemfdFlags>>,
        refuse: impl Fn(MemfdFlags) -> Option<Errno>,
    ) -> impl Fn(&str, MemfdFlags) -> Result<OwnedFd, Errno> {
        move |name, flags| {
            calls.borrow_mut().push(flags);
            match refuse(flags) {
                Some(error) => Err(error),
                None => rustix::fs::memfd_create(name, flags),
            }
        }
    }

    #[test]
    fn a_kernel_without_noexec_seal_gets_a_second_try_without_it() {
        let calls = RefCell::new(Vec::new());
        let old_kernel = |flags: MemfdFlags| {
            flags
                .contains(MemfdFlags::NOEXEC_SEAL)
                .then_some(Errno::INVAL)
        };
        let memory =
            SharedMemory::create_with("test", 4096, recording(&calls, old_kernel)).unwrap();
        assert!(!memory.is_noexec_sealed());
        let calls = calls.into_inner();
        assert_eq!(calls.len(), 2);
        assert!(calls[0].contains(MemfdFlags::NOEXEC_SEAL));
        assert!(!calls[1].contains(MemfdFlags::NOEXEC_SEAL));
        assert!(calls[1].contains(MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING));
    }

    #[test]
    fn other_refusals_are_errors_naming_the_step_not_retries() {
        let calls = RefCell::new(Vec::new());
        let error =
            SharedMemory::create_with("test", 4096, recording(&calls, |_| Some(Errno::ACCESS)))
                .unwrap_err();
        assert_eq!(calls.into_inner().len(), 1);
        assert_eq!(error.step(), Some(Step::Create));
        assert_eq!(
            error.to_string(),
            format!(
                "creating the memfd (4096 bytes) failed: {}",
                io::Error::from(Errno::ACCESS)
            )
        );
    }

    #[test]
    fn empty_segments_are_refused() {
        assert!(matches!(
            SharedMemory::create("test", 0),
            Err(MemfdError::Empty)
        ));
    }
}
