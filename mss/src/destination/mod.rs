//! Where saved bytes go, and how they get there without surprising anyone.
//!
//! A path given for a screenshot may name many things. Each is written the way a careful
//! command-line tool writes it:
//!
//! - `-`, `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N` (or a link to one of
//!   them): the descriptor this process already has, written through itself. A regular file
//!   there is written at its offset, appending if it was opened to append (`>>`), never
//!   replaced; a socket is sent to, never connected to again.
//! - An existing character device, FIFO or socket (`/dev/null`, a named pipe): written to
//!   directly, never replaced.
//! - A symbolic link: followed, and the file it points to is written (replaced atomically in
//!   its own directory, or created when the link dangles); the link stays a link.
//! - A regular file, or nothing yet: written atomically. The bytes go to an unnamed file in
//!   the target's directory (`O_TMPFILE`), which is flushed to disk and only then given its
//!   name; an existing file is replaced in one `rename`. A process killed while writing leaves
//!   nothing behind and the old file untouched (but see the one exception below). A new file
//!   gets mode `0666 & !umask`, applied by the kernel, as `cp` and shells give; a replaced
//!   file keeps its mode (and, when mss runs as root, its owner). A file this user may not
//!   write is refused, as `cp` refuses it, and left unchanged, even though its directory
//!   would allow replacing it.
//!
//! The path is resolved relative to directory descriptors (see `resolve`): the directory is
//! opened once by the kernel and every later step names files relative to it, so a neighbour
//! racing in a shared directory cannot redirect the write. In a sticky, world-writable
//! directory (`/tmp`) a link, file, FIFO or socket owned by another user (neither this user
//! nor the directory's owner) is refused, as the kernel's protected-symlinks, protected-regular
//! and protected-FIFO rules refuse them, whatever those settings are on this system.
//!
//! Every wait has a deadline ([`WriteOptions::timeout`], 10 s by default): a FIFO nobody opens
//! for reading, a socket whose listener does not accept, a reader that stops reading. Past it
//! the write fails with an error naming the path and what was waited for.
//!
//! Where unnamed files are not available (some network and FUSE file systems, or neither
//! `/proc` nor the privilege to name such a file), a hidden file `.NAME.mss-PID-N` is written
//! instead (created by the kernel with the umask applied), with `SIGINT`, `SIGTERM`, `SIGHUP`
//! and `SIGQUIT` held back on the writing thread until it is renamed, so that an interrupt does
//! not leave it behind. With unnamed files they are held back only for the instant between
//! naming a replacement and renaming it over the old file. That instant (two system calls) is
//! the one place where a process killed outright (`SIGKILL`) leaves a hidden `.NAME.mss-PID-N`
//! beside the old file, holding the complete new picture: Linux cannot replace a file with an
//! unnamed one in one step. (A program whose other threads take those signals with their
//! default action can still die in that instant.)
//!
//! [`write_bytes`] writes one buffer; [`Output`] takes bytes over time (a recording) by the
//! same rules, except that a regular file is a visible, growing `NAME.part` beside the target,
//! renamed to `NAME` when finished: a recording killed at any point leaves every whole frame
//! written so far in `NAME.part`, and the old `NAME`, if any, untouched. [`Existing::Refuse`]
//! keeps an existing regular file instead of replacing it.
//!
//! Not kept when a file is replaced: its extended attributes and ACLs, and its owner when mss
//! does not run as root; the new file is a new inode, so hard links to the old one keep the old
//! picture.

mod hold;
mod regular;
mod resolve;
mod stream;
#[cfg(test)]
mod tests;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[doc(hidden)]
pub use hold::hold_for_tests;
use regular::{Atomic, Growing};
use resolve::{Place, Resolved};
use stream::Direct;

use crate::Error;

/// What to do when a regular file already has the name being written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Replace it atomically (if this user may write it), keeping its mode.
    Replace,
    /// Refuse with an error of kind [`io::ErrorKind::AlreadyExists`], leaving it unchanged.
    /// Checked when the output is created and again, atomically, when it is named.
    Refuse,
}

/// How a destination is written: what happens to an existing file, and how long a wait may
/// take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteOptions {
    existing: Existing,
    timeout: Option<Duration>,
}

impl Default for WriteOptions {
    /// [`Existing::Replace`], waits of at most [`crate::DEFAULT_TIMEOUT`] (10 s).
    fn default() -> Self {
        Self::new()
    }
}

impl WriteOptions {
    /// [`Existing::Replace`], waits of at most [`crate::DEFAULT_TIMEOUT`] (10 s).
    pub const fn new() -> Self {
        Self {
            existing: Existing::Replace,
            timeout: Some(crate::DEFAULT_TIMEOUT),
        }
    }

    /// What happens to an existing regular file.
    #[must_use]
    pub const fn existing(mut self, existing: Existing) -> Self {
        self.existing = existing;
        self
    }

    /// How long each wait may take: for a FIFO's reader to open it, a socket's listener to
    /// accept, a reader to take bytes. `None` waits without limit.
    #[must_use]
    pub const fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The rule for existing files.
    pub const fn existing_rule(&self) -> Existing {
        self.existing
    }

    /// The limit on each wait.
    pub const fn wait_limit(&self) -> Option<Duration> {
        self.timeout
    }
}

/// The descriptor of this process that `path` names, as the [module docs](self) list them:
/// `-` and `/dev/stdout` are 1, `/dev/fd/N` and `/proc/self/fd/N` are N; `None` for any
/// other path (a link to one of them is only found when it is followed).
pub fn descriptor_named(path: &Path) -> Option<i32> {
    use std::os::unix::ffi::OsStrExt as _;
    if path == Path::new("-") {
        return Some(1);
    }
    resolve::descriptor_number(path.as_os_str().as_bytes())
}

/// Writes `bytes` to `path` as the [module docs](self) describe, and returns the path.
///
/// # Errors
///
/// [`Error::Write`] naming `path` (or the file a link points to) and the step that failed.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<PathBuf, Error> {
    write_bytes_with(path, bytes, &WriteOptions::new())
}

/// [`write_bytes`] with `options`: what happens to an existing regular file, how long waits
/// may take.
///
/// # Errors
///
/// As [`write_bytes`]; with [`Existing::Refuse`], also when a regular file (or a link to one)
/// already has the name; a wait past the timeout.
pub fn write_bytes_with(
    path: &Path,
    bytes: &[u8],
    options: &WriteOptions,
) -> Result<PathBuf, Error> {
    let mut output = Output::open(path, options, FileKind::Atomic { try_unnamed: true })?;
    output
        .write_all(bytes)
        .map_err(|source| output.error(source))?;
    output.finish()
}

/// A destination being written, for output longer than one buffer (a recording): the same
/// rules as [`write_bytes`], with the bytes arriving over time.
///
/// Descriptors, devices, FIFOs and sockets receive the bytes as they are written. A regular
/// file receives them as `NAME.part` beside it, visible and growing, renamed to `NAME` in
/// [`finish`](Self::finish): until then the old file (if any) is untouched, and a recording
/// that ends any other way (an error, a panic, a kill) leaves `NAME.part` with everything
/// written so far. With [`Existing::Refuse`] an existing `NAME` or `NAME.part` is refused, and
/// a `NAME` that appears meanwhile is not replaced at the end.
#[derive(Debug)]
pub struct Output {
    /// The path as given, for the return value.
    path: PathBuf,
    /// The path for messages: links followed.
    shown: PathBuf,
    sink: Sink,
}

#[derive(Debug)]
enum Sink {
    Direct(Direct),
    /// Boxed: it carries the old file's metadata and a signal mask.
    Atomic(Box<Atomic>),
    Growing(Growing),
}

/// How a regular file is written.
#[derive(Clone, Copy, Debug)]
enum FileKind {
    /// Whole, then named (one buffer); `try_unnamed` false only to test the named fallback.
    Atomic { try_unnamed: bool },
    /// As a growing `NAME.part`, renamed at the end (a recording).
    Growing,
}

impl Output {
    /// Opens `path` for writing as the [module docs](self) describe.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] naming the path: a directory, a missing directory, a file this user
    /// may not write, a loop of links, an entry another user owns in a shared directory, a
    /// FIFO nobody opened for reading within the timeout, or (with [`Existing::Refuse`]) a
    /// file that exists.
    pub fn create(path: &Path, options: &WriteOptions) -> Result<Self, Error> {
        Self::open(path, options, FileKind::Growing)
    }

    fn open(path: &Path, options: &WriteOptions, kind: FileKind) -> Result<Self, Error> {
        let (sink, shown) = match resolve::resolve(path) {
            Ok(resolved) => open_resolved(path, resolved, options, kind)?,
            Err((shown, source)) => {
                return Err(Error::Write {
                    path: shown,
                    source,
                });
            }
        };
        Ok(Self {
            path: path.to_owned(),
            shown,
            sink,
        })
    }

    /// The path as given to [`create`](Self::create).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path being written, links followed: for a regular file, its name once finished.
    pub fn target(&self) -> &Path {
        &self.shown
    }

    /// The name a regular file has while it is written (`NAME.part` beside the target), or
    /// `None` for a descriptor, device, FIFO or socket.
    pub fn partial_path(&self) -> Option<PathBuf> {
        match &self.sink {
            Sink::Growing(growing) => Some(self.shown.with_file_name(growing.part())),
            Sink::Direct(_) | Sink::Atomic(_) => None,
        }
    }

    /// Whether the bytes go to a regular file that mss names, whose length
    /// [`finish_truncated`](Self::finish_truncated) can cut.
    pub fn is_named_file(&self) -> bool {
        !matches!(self.sink, Sink::Direct(_))
    }

    /// The error for `source` at this output, naming its path.
    fn error(&self, source: io::Error) -> Error {
        Error::Write {
            path: self.shown.clone(),
            source,
        }
    }

    /// Flushes everything to its destination and, for a regular file, flushes it to disk and
    /// gives it its name (replacing the old file in one step). Returns the path as given.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] naming the path; the old file, if any, is then untouched.
    pub fn finish(self) -> Result<PathBuf, Error> {
        self.end(None)
    }

    /// Ends a recording that failed part-way (a full disk, a file-size limit, a frame of
    /// another size): a regular file is cut to `length` bytes (the whole frames written), then
    /// flushed and named as [`finish`](Self::finish) does; other destinations are only flushed.
    ///
    /// # Errors
    ///
    /// As [`finish`](Self::finish).
    pub fn finish_truncated(self, length: u64) -> Result<PathBuf, Error> {
        self.end(Some(length))
    }

    /// Ends without naming anything (a recording that wrote no whole frame): a regular
    /// file's `NAME.part` is removed and the old file, if any, stays as it was; other
    /// destinations are only flushed.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] naming the path when `NAME.part` cannot be removed.
    pub fn discard(self) -> Result<(), Error> {
        let Self {
            shown, mut sink, ..
        } = self;
        let result = match sink {
            Sink::Direct(ref mut direct) => direct.writer().flush(),
            // Dropped unfinished: nothing was named.
            Sink::Atomic(atomic) => {
                drop(atomic);
                Ok(())
            }
            Sink::Growing(growing) => growing.discard(),
        };
        result.map_err(|source| Error::Write {
            path: shown,
            source,
        })
    }

    fn end(self, length: Option<u64>) -> Result<PathBuf, Error> {
        let Self {
            path,
            shown,
            mut sink,
        } = self;
        let fail = |source| Error::Write {
            path: shown.clone(),
            source,
        };
        match sink {
            Sink::Direct(ref mut direct) => direct.writer().flush().map_err(fail)?,
            Sink::Atomic(atomic) => (*atomic).finish().map_err(fail)?,
            Sink::Growing(growing) => growing.finish(length).map_err(fail)?,
        }
        Ok(path)
    }

    /// The writer under the sink.
    fn writer(&mut self) -> &mut dyn Write {
        match &mut self.sink {
            Sink::Direct(direct) => direct.writer(),
            Sink::Atomic(atomic) => atomic.file(),
            Sink::Growing(growing) => growing.file(),
        }
    }
}

/// Opens what `path` was `resolved` to; returns the sink and the path for messages.
fn open_resolved(
    path: &Path,
    resolved: Resolved,
    options: &WriteOptions,
    kind: FileKind,
) -> Result<(Sink, PathBuf), Error> {
    let timeout = options.timeout;
    let opened = match resolved {
        Resolved::Descriptor(number) => {
            let shown = if path == Path::new("-") {
                PathBuf::from("standard output")
            } else {
                path.to_owned()
            };
            stream::descriptor(number, timeout)
                .map(Sink::Direct)
                .map_err(|source| (shown.clone(), source))
                .map(|sink| (sink, shown))
        }
        Resolved::Special { place, stat } => with_place(place, |place| {
            stream::special(place, &stat, timeout).map(Sink::Direct)
        }),
        Resolved::Proc { place } => with_place(place, |place| {
            stream::proc_entry(place, timeout).map(Sink::Direct)
        }),
        Resolved::File { place, existing } => {
            let shown = place.shown.clone();
            match kind {
                FileKind::Atomic { try_unnamed } => {
                    Atomic::create(place, existing, options.existing, try_unnamed)
                        .map(|atomic| Sink::Atomic(Box::new(atomic)))
                }
                FileKind::Growing => {
                    Growing::create(place, existing, options.existing).map(Sink::Growing)
                }
            }
            .map(|sink| (sink, shown.clone()))
            .map_err(|source| (shown, source))
        }
    };
    opened.map_err(|(path, source)| Error::Write { path, source })
}

/// Runs `open` on `place` and pairs its result with the place's path for messages.
fn with_place(
    place: Place,
    open: impl FnOnce(&Place) -> io::Result<Sink>,
) -> Result<(Sink, PathBuf), (PathBuf, io::Error)> {
    match open(&place) {
        Ok(sink) => Ok((sink, place.shown)),
        Err(source) => Err((place.shown, source)),
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer().flush()
    }
}
