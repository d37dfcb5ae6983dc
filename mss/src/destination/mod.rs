//! Where saved bytes go, and how they get there without surprising anyone.
//!
//! A path given for a screenshot may name many things. Each is written the way a careful
//! command-line tool writes it:
//!
//! - `-`: standard output.
//! - An existing character device, FIFO or socket (`/dev/null`, a named pipe, `/dev/stdout`
//!   when it is a pipe or terminal): written to directly, never replaced.
//! - A symbolic link: followed, and the file it points to is written (replaced atomically in
//!   its own directory, or created when the link dangles); the link stays a link.
//! - A regular file, or nothing yet: written atomically. The bytes go to an unnamed file in
//!   the target's directory (`O_TMPFILE`), which is flushed to disk and only then given its
//!   name; an existing file is replaced in one `rename`. A process killed while writing leaves
//!   nothing behind and the old file untouched. A new file gets mode `0666 & !umask`, as `cp`
//!   and shells give; a replaced file keeps its mode (and, when mss runs as root, its owner).
//!   A file this user may not write is refused, as `cp` refuses it, and left unchanged, even
//!   though its directory would allow replacing it.
//!
//! Where `O_TMPFILE` is not available (some network and FUSE file systems, or no `/proc` to
//! name the unnamed file through), a named temporary file `.NAME.mss-XXXXXX` is written
//! instead, with `SIGINT`, `SIGTERM`, `SIGHUP` and `SIGQUIT` held back on the writing thread
//! until it is renamed, so that an interrupt does not leave it behind. With `O_TMPFILE` they
//! are held back only for the instant between naming and renaming. (A program whose other
//! threads take those signals with their default action can still die in that instant.)
//!
//! [`write_bytes`] writes one buffer; [`Output`] takes bytes over time (a recording) by the
//! same rules, naming a regular file only when it is finished. [`Existing::Refuse`] keeps an
//! existing regular file instead of replacing it.
//!
//! Not kept when a file is replaced: its extended attributes and ACLs, and its owner when mss
//! does not run as root; the new file is a new inode, so hard links to the old one keep the old
//! picture.

use std::ffi::OsString;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};
use rustix::fs::{AtFlags, Mode, OFlags};

use crate::Error;

/// How many symbolic links are followed before giving up, as the kernel's own limit.
const MAX_LINKS: usize = 40;

/// What to do when a regular file already has the name being written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Existing {
    /// Replace it atomically (if this user may write it), keeping its mode.
    Replace,
    /// Refuse with an error of kind [`io::ErrorKind::AlreadyExists`], leaving it unchanged.
    /// Checked when the output is created and again, atomically, when it is named.
    Refuse,
}

/// Writes `bytes` to `path` as the [module docs](self) describe, and returns the path.
///
/// # Errors
///
/// [`Error::Write`] naming `path` (or the file a link points to) and the step that failed.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<PathBuf, Error> {
    write_bytes_with(path, bytes, Existing::Replace)
}

/// [`write_bytes`], saying what happens to an existing regular file.
///
/// # Errors
///
/// As [`write_bytes`]; with [`Existing::Refuse`], also when a regular file (or a link to one)
/// already has the name.
pub fn write_bytes_with(path: &Path, bytes: &[u8], existing: Existing) -> Result<PathBuf, Error> {
    // One short write: interrupts are held back for all of it on the named fallback.
    let mut output = Output::open(path, existing, true)?;
    output
        .write_all(bytes)
        .map_err(|source| output.error(source))?;
    output.finish()
}

/// A destination being written, for output longer than one buffer (a raw recording): the
/// same rules as [`write_bytes`], with the bytes arriving over time.
///
/// Standard output, devices, FIFOs and sockets receive the bytes as they are written. A
/// regular file receives them unnamed and gets its name only in [`finish`](Self::finish):
/// until then the old file (if any) is untouched, and dropping the output without finishing
/// it (an error, a panic) leaves nothing behind. On a file system without `O_TMPFILE`, a
/// named temporary file `.NAME.mss-XXXXXX` takes the bytes and is removed when the output is
/// dropped unfinished; a process killed by a signal mid-write leaves it behind.
#[derive(Debug)]
pub struct Output {
    /// The path as given, for messages and the return value.
    path: PathBuf,
    sink: Sink,
}

#[derive(Debug)]
enum Sink {
    /// Standard output, a device or a FIFO (written in place) or a connected socket.
    Direct(File),
    Socket(UnixStream),
    /// A regular file: unnamed until finished.
    Unnamed {
        file: File,
        target: Target,
    },
    /// A regular file on a file system without `O_TMPFILE`.
    Named {
        file: tempfile::NamedTempFile,
        target: Target,
        /// Interrupts held back until the file is named (one-shot writes only: the mask is
        /// the creating thread's).
        held: Option<HeldSignals>,
    },
}

/// The regular file an [`Output`] will name.
#[derive(Debug)]
struct Target {
    /// The file itself, links followed.
    path: PathBuf,
    directory: PathBuf,
    file_name: OsString,
    /// Whether a file had the name when the output was created.
    replacing: bool,
    existing: Existing,
}

impl Output {
    /// Opens `path` for writing as the [module docs](self) describe.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] naming the path: a directory, a missing directory, a file this user
    /// may not write, a loop of links, or (with [`Existing::Refuse`]) a file that exists.
    pub fn create(path: &Path, existing: Existing) -> Result<Self, Error> {
        Self::open(path, existing, false)
    }

    /// The path as given to [`create`](Self::create).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The error for `source` at this output, naming its path.
    fn error(&self, source: io::Error) -> Error {
        Error::Write {
            path: match &self.sink {
                Sink::Unnamed { target, .. } | Sink::Named { target, .. } => target.path.clone(),
                Sink::Direct(_) | Sink::Socket(_) => self.path.clone(),
            },
            source,
        }
    }

    fn open(path: &Path, existing: Existing, hold_signals: bool) -> Result<Self, Error> {
        let write_error = |source| Error::Write {
            path: path.to_owned(),
            source,
        };
        let sink = if path == Path::new("-") {
            // Flush what Rust buffered for standard output, then write to its descriptor
            // unbuffered: frames are large, and a line buffer would scan them for newlines.
            io::stdout().flush().map_err(write_error)?;
            let fd = io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .map_err(write_error)?;
            Sink::Direct(File::from(fd))
        } else {
            match std::fs::metadata(path) {
                // Following links: /dev/stdout leads to a pipe, a terminal or a file.
                Ok(metadata) if metadata.is_dir() => {
                    return Err(write_error(io::Error::new(
                        io::ErrorKind::IsADirectory,
                        "it is a directory",
                    )));
                }
                Ok(metadata) if metadata.file_type().is_socket() => {
                    Sink::Socket(UnixStream::connect(path).map_err(write_error)?)
                }
                // A device or a FIFO: written in place, never created, truncated or replaced.
                Ok(metadata) if !metadata.is_file() => Sink::Direct(
                    OpenOptions::new()
                        .write(true)
                        .custom_flags(OFlags::NOCTTY.bits() as i32)
                        .open(path)
                        .map_err(write_error)?,
                ),
                Ok(_) => {
                    let real = std::fs::canonicalize(path).map_err(write_error)?;
                    regular_file(&real, existing, true, hold_signals)?
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    let target = follow_dangling_links(path)?;
                    regular_file(&target, existing, true, hold_signals)?
                }
                Err(error) => return Err(write_error(error)),
            }
        };
        Ok(Self {
            path: path.to_owned(),
            sink,
        })
    }

    /// Flushes everything to its destination and, for a regular file, flushes it to disk and
    /// gives it its name (replacing the old file in one step). Returns the path as given.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] naming the path; the old file, if any, is then untouched.
    pub fn finish(self) -> Result<PathBuf, Error> {
        let result = match &self.sink {
            Sink::Direct(file) => (&*file).flush(),
            Sink::Socket(stream) => (&*stream).flush(),
            Sink::Unnamed { file, target } => file.sync_all().and_then(|()| target.publish(file)),
            Sink::Named { .. } => Ok(()),
        };
        result.map_err(|source| self.error(source))?;
        if let Sink::Named { file, target, held } = self.sink {
            let persisted = file
                .as_file()
                .sync_all()
                .and_then(|()| match target.existing {
                    Existing::Replace => file.persist(&target.path).map(drop).map_err(|e| e.error),
                    Existing::Refuse => file
                        .persist_noclobber(&target.path)
                        .map(drop)
                        .map_err(|e| e.error),
                });
            drop(held);
            persisted.map_err(|source| Error::Write {
                path: target.path.clone(),
                source,
            })?;
        }
        Ok(self.path)
    }

    /// The writer under the sink.
    fn writer(&mut self) -> &mut dyn Write {
        match &mut self.sink {
            Sink::Direct(file) | Sink::Unnamed { file, .. } => file,
            Sink::Socket(stream) => stream,
            Sink::Named { file, .. } => file,
        }
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

/// The file a chain of dangling links ends at (or `path` itself when it is no link), to be
/// created.
fn follow_dangling_links(path: &Path) -> Result<PathBuf, Error> {
    let mut current = path.to_owned();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let target = std::fs::read_link(&current).map_err(|source| Error::Write {
                    path: current.clone(),
                    source,
                })?;
                current = match current.parent() {
                    Some(parent) if target.is_relative() => parent.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(Error::Write {
        path: path.to_owned(),
        source: io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("more than {MAX_LINKS} symbolic links in a row"),
        ),
    })
}

/// The sink for the regular file (or new file) `path`: unnamed when `try_unnamed` and the
/// system allows it, else a named temporary file.
fn regular_file(
    path: &Path,
    existing_policy: Existing,
    try_unnamed: bool,
    hold_signals: bool,
) -> Result<Sink, Error> {
    let fail = |source: io::Error| Error::Write {
        path: path.to_owned(),
        source,
    };
    let existing = match std::fs::symlink_metadata(path) {
        Ok(metadata) => Some(metadata),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(fail(error)),
    };
    if existing.is_some() {
        if existing_policy == Existing::Refuse {
            return Err(fail(already_exists()));
        }
        // Replacing only needs the directory to be writable; like cp, refuse a file this user
        // may not write (root may).
        rustix::fs::accessat(
            rustix::fs::CWD,
            path,
            rustix::fs::Access::WRITE_OK,
            AtFlags::EACCESS,
        )
        .map_err(|error| {
            let error = io::Error::from(error);
            fail(io::Error::new(
                error.kind(),
                format!(
                    "the file exists and this user may not write it ({error}); it was left \
                     unchanged"
                ),
            ))
        })?;
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| fail(io::Error::new(io::ErrorKind::InvalidInput, "no file name")))?;
    let target = Target {
        path: path.to_owned(),
        directory: directory.to_owned(),
        file_name: file_name.to_owned(),
        replacing: existing.is_some(),
        existing: existing_policy,
    };
    // A new file: 0666 less the umask, which the kernel applies. A replaced one: its mode.
    let mode = existing
        .as_ref()
        .map_or(0o666, |metadata| metadata.mode() & 0o7777);
    let unnamed = if try_unnamed {
        unnamed_file(directory, mode)
    } else {
        Err(io::Error::new(io::ErrorKind::Unsupported, "not tried"))
    };
    match unnamed {
        Ok(file) => {
            take_over(&file, existing.as_ref()).map_err(fail)?;
            Ok(Sink::Unnamed { file, target })
        }
        Err(_) => {
            // No O_TMPFILE here: a named temporary file.
            let held = hold_signals.then(HeldSignals::hold);
            let temporary = tempfile::Builder::new()
                .prefix(&format!(".{}.mss-", file_name.to_string_lossy()))
                .tempfile_in(directory)
                .map_err(fail)?;
            // A named file is created 0600 whatever the umask; a new one gets what the kernel
            // would have given it.
            let named_mode = if existing.is_some() {
                mode
            } else {
                mode & !current_umask()
            };
            rustix::fs::fchmod(temporary.as_file(), Mode::from_raw_mode(named_mode))
                .map_err(|error| fail(error.into()))?;
            take_over(temporary.as_file(), existing.as_ref()).map_err(fail)?;
            Ok(Sink::Named {
                file: temporary,
                target,
                held,
            })
        }
    }
}

/// The error for a file that exists when replacing it was not asked for.
fn already_exists() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "the file exists, and replacing it was not asked for; it was left unchanged",
    )
}

/// The process's umask, read without changing it (`/proc/self/status`, Linux 4.7 and later);
/// `022`, the usual one, where it cannot be read.
fn current_umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|line| line.starts_with("Umask:"))?;
            u32::from_str_radix(line.trim_start_matches("Umask:").trim(), 8).ok()
        })
        .unwrap_or(0o022)
}

/// An unnamed file in `directory` (`O_TMPFILE`), when the file system and `/proc` allow naming
/// it later.
fn unnamed_file(directory: &Path, mode: u32) -> io::Result<File> {
    if !Path::new("/proc/self/fd").is_dir() {
        return Err(io::Error::new(io::ErrorKind::Unsupported, "no /proc"));
    }
    let fd = rustix::fs::openat(
        rustix::fs::CWD,
        directory,
        OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
        Mode::from_raw_mode(mode),
    )?;
    let file = File::from(fd);
    if mode & 0o7000 != 0 {
        // The umask does not apply here, and creation drops special bits; set them as they were.
        rustix::fs::fchmod(&file, Mode::from_raw_mode(mode))?;
    }
    Ok(file)
}

/// A replacement gets the old file's mode and, as root, its owner.
fn take_over(file: &File, existing: Option<&Metadata>) -> io::Result<()> {
    if let Some(metadata) = existing {
        rustix::fs::fchmod(file, Mode::from_raw_mode(metadata.mode() & 0o7777))?;
        if rustix::process::geteuid().is_root() {
            rustix::fs::fchown(
                file.as_fd(),
                Some(rustix::process::Uid::from_raw(metadata.uid())),
                Some(rustix::process::Gid::from_raw(metadata.gid())),
            )?;
            // chown clears set-id bits; put the mode back.
            rustix::fs::fchmod(file, Mode::from_raw_mode(metadata.mode() & 0o7777))?;
        }
    }
    Ok(())
}

impl Target {
    /// Gives the unnamed `file` its name: straight to the path when nothing is there, else
    /// (when replacing) through a temporary name and a `rename` over the old file, with
    /// interrupts held back in between.
    fn publish(&self, file: &File) -> io::Result<()> {
        let proc_path = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(file));
        let link = |to: &Path| {
            rustix::fs::linkat(
                rustix::fs::CWD,
                proc_path.as_str(),
                rustix::fs::CWD,
                to,
                AtFlags::SYMLINK_FOLLOW,
            )
        };
        if !self.replacing || self.existing == Existing::Refuse {
            match link(&self.path) {
                Ok(()) => return Ok(()),
                Err(rustix::io::Errno::EXIST) if self.existing == Existing::Refuse => {
                    return Err(already_exists());
                }
                // Created by someone else meanwhile: replace it as below.
                Err(rustix::io::Errno::EXIST) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let _held = HeldSignals::hold();
        for attempt in 0..100u32 {
            let temporary = self.directory.join(format!(
                ".{}.mss-{}-{attempt}",
                self.file_name.to_string_lossy(),
                std::process::id()
            ));
            match link(&temporary) {
                Ok(()) => {
                    return std::fs::rename(&temporary, &self.path).inspect_err(|_| {
                        let _ = std::fs::remove_file(&temporary);
                    });
                }
                Err(rustix::io::Errno::EXIST) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free temporary name in the directory",
        ))
    }
}

/// `SIGINT`, `SIGTERM`, `SIGHUP` and `SIGQUIT` held back on this thread while it lives; any
/// that arrived are delivered when it drops.
#[derive(Debug)]
struct HeldSignals {
    previous: Option<SigSet>,
}

impl HeldSignals {
    fn hold() -> Self {
        let mut set = SigSet::empty();
        for signal in [
            Signal::SIGINT,
            Signal::SIGTERM,
            Signal::SIGHUP,
            Signal::SIGQUIT,
        ] {
            set.add(signal);
        }
        let mut previous = SigSet::empty();
        let held = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), Some(&mut previous));
        Self {
            previous: held.ok().map(|()| previous),
        }
    }
}

impl Drop for HeldSignals {
    fn drop(&mut self) {
        if let Some(previous) = &self.previous {
            let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(previous), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;
    use std::os::unix::fs::{PermissionsExt as _, symlink};

    use super::*;

    /// The names in `directory`, sorted: what a save left behind.
    fn names(directory: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Writes through a named temporary file, as where `O_TMPFILE` is missing.
    fn write_named(path: &Path, bytes: &[u8]) {
        let sink = regular_file(path, Existing::Replace, false, true).unwrap();
        let mut output = Output {
            path: path.to_owned(),
            sink,
        };
        assert!(matches!(output.sink, Sink::Named { .. }));
        output.write_all(bytes).unwrap();
        output.finish().unwrap();
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn a_new_file_appears_whole_with_nothing_else_beside_it() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("new.png");
        assert_eq!(write_bytes(&path, b"picture").unwrap(), path);
        assert_eq!(std::fs::read(&path).unwrap(), b"picture");
        assert_eq!(names(directory.path()), ["new.png"]);
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_owner() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("kept.png");
        std::fs::write(&path, b"an older and longer picture").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let root = rustix::process::geteuid().is_root();
        if root {
            // Owned by someone else: root replaces it and gives it back to them.
            std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        }
        write_bytes(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(mode(&path), 0o640);
        if root {
            let metadata = std::fs::metadata(&path).unwrap();
            assert_eq!((metadata.uid(), metadata.gid()), (65534, 65534));
        }
        assert_eq!(names(directory.path()), ["kept.png"]);
    }

    #[test]
    fn links_are_followed_and_stay_links() {
        let directory = tempfile::tempdir().unwrap();
        let target = directory.path().join("target.png");
        std::fs::write(&target, b"old").unwrap();
        let link = directory.path().join("link.png");
        symlink("target.png", &link).unwrap();
        assert_eq!(write_bytes(&link, b"through the link").unwrap(), link);
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"through the link");

        // A dangling link, through another link and into a subdirectory: the file it names is
        // created.
        std::fs::create_dir(directory.path().join("sub")).unwrap();
        let dangling = directory.path().join("dangling.png");
        symlink("sub/made.png", &dangling).unwrap();
        let chained = directory.path().join("chained.png");
        symlink(&dangling, &chained).unwrap();
        write_bytes(&chained, b"created").unwrap();
        assert_eq!(
            std::fs::read(directory.path().join("sub/made.png")).unwrap(),
            b"created"
        );
        assert!(
            std::fs::symlink_metadata(&dangling)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(names(&directory.path().join("sub")), ["made.png"]);
    }

    #[test]
    fn a_fifo_is_written_to_and_stays_a_fifo() {
        let directory = tempfile::tempdir().unwrap();
        let fifo = directory.path().join("pipe");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, Mode::from_raw_mode(0o600)).unwrap();
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                File::open(fifo).unwrap().read_to_end(&mut bytes).unwrap();
                bytes
            })
        };
        write_bytes(&fifo, b"streamed").unwrap();
        assert_eq!(reader.join().unwrap(), b"streamed");
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
        assert_eq!(names(directory.path()), ["pipe"]);
    }

    #[test]
    fn a_device_is_written_to_not_replaced() {
        write_bytes(Path::new("/dev/null"), b"discarded").unwrap();
        assert!(
            std::fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }

    #[test]
    fn a_socket_is_connected_to() {
        let directory = tempfile::tempdir().unwrap();
        let socket = directory.path().join("socket");
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let reader = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut bytes = Vec::new();
            stream.read_to_end(&mut bytes).unwrap();
            bytes
        });
        write_bytes(&socket, b"sent").unwrap();
        assert_eq!(reader.join().unwrap(), b"sent");
    }

    #[test]
    fn a_directory_or_a_missing_directory_is_an_error_naming_the_path() {
        let directory = tempfile::tempdir().unwrap();
        let error = write_bytes(directory.path(), b"x").unwrap_err();
        assert!(error.to_string().contains("it is a directory"), "{error}");
        let missing = directory.path().join("no/such.png");
        let error = write_bytes(&missing, b"x").unwrap_err();
        assert!(
            matches!(&error, Error::Write { path, .. } if *path == missing),
            "{error:?}"
        );
        assert!(names(directory.path()).is_empty());
    }

    #[test]
    fn without_unnamed_files_a_named_temporary_one_does_the_same() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("named.png");
        write_named(&path, b"first");
        assert_eq!(names(directory.path()), ["named.png"]);
        assert_eq!(
            mode(&path),
            0o666 & !current_umask(),
            "a new file follows the umask"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).unwrap();
        write_named(&path, b"second");
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(mode(&path), 0o604);
        assert_eq!(names(directory.path()), ["named.png"]);
    }

    #[test]
    fn a_streamed_file_is_named_only_when_finished() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("frames.raw");
        std::fs::write(&path, b"old recording").unwrap();
        let mut output = Output::create(&path, Existing::Replace).unwrap();
        for chunk in [&b"frame 1,"[..], b"frame 2,", b"frame 3"] {
            output.write_all(chunk).unwrap();
            // Until finished, readers see the old file and nothing else.
            assert_eq!(std::fs::read(&path).unwrap(), b"old recording");
            assert_eq!(names(directory.path()), ["frames.raw"]);
        }
        assert_eq!(output.finish().unwrap(), path);
        assert_eq!(std::fs::read(&path).unwrap(), b"frame 1,frame 2,frame 3");
        assert_eq!(names(directory.path()), ["frames.raw"]);
    }

    #[rstest::rstest]
    fn an_unfinished_output_leaves_nothing_behind(#[values(true, false)] unnamed: bool) {
        let directory = tempfile::tempdir().unwrap();
        let old = directory.path().join("old.raw");
        std::fs::write(&old, b"kept").unwrap();
        let new = directory.path().join("new.raw");
        for path in [&old, &new] {
            let sink = regular_file(path, Existing::Replace, unnamed, false).unwrap();
            let mut output = Output {
                path: path.clone(),
                sink,
            };
            output.write_all(b"half a frame").unwrap();
            drop(output);
        }
        assert_eq!(std::fs::read(&old).unwrap(), b"kept");
        assert_eq!(names(directory.path()), ["old.raw"]);
    }

    #[rstest::rstest]
    fn refusing_keeps_an_existing_file(#[values(true, false)] unnamed: bool) {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("frame-1.png");
        std::fs::write(&path, b"earlier").unwrap();
        let error = write_bytes_with(&path, b"later", Existing::Refuse).unwrap_err();
        assert!(
            matches!(&error, Error::Write { source, .. } if source.kind() == io::ErrorKind::AlreadyExists),
            "{error:?}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"earlier");

        // A file that appears while the output is written is not replaced either.
        let racing = directory.path().join("frame-2.png");
        let sink = regular_file(&racing, Existing::Refuse, unnamed, false).unwrap();
        let mut output = Output {
            path: racing.clone(),
            sink,
        };
        output.write_all(b"ours").unwrap();
        std::fs::write(&racing, b"theirs").unwrap();
        let error = output.finish().unwrap_err();
        assert!(
            matches!(&error, Error::Write { source, .. } if source.kind() == io::ErrorKind::AlreadyExists),
            "{error:?}"
        );
        assert_eq!(std::fs::read(&racing).unwrap(), b"theirs");
        assert_eq!(names(directory.path()), ["frame-1.png", "frame-2.png"]);

        // Devices are written whatever the setting.
        write_bytes_with(Path::new("/dev/null"), b"x", Existing::Refuse).unwrap();
    }

    #[test]
    fn links_that_loop_are_an_error() {
        let directory = tempfile::tempdir().unwrap();
        let a = directory.path().join("a.png");
        let b = directory.path().join("b.png");
        symlink(&b, &a).unwrap();
        symlink(&a, &b).unwrap();
        let error = write_bytes(&a, b"x").unwrap_err();
        assert!(matches!(error, Error::Write { .. }), "{error:?}");
        assert_eq!(names(directory.path()), ["a.png", "b.png"]);
    }

    #[test]
    fn the_umask_is_read_without_changing_it() {
        let read = current_umask();
        assert_eq!(read & !0o777, 0);
        assert_eq!(current_umask(), read);
    }

    #[test]
    fn signals_held_back_arrive_after() {
        // Held back on this thread only, then the mask is as before.
        let before = SigSet::thread_get_mask().unwrap();
        {
            let _held = HeldSignals::hold();
            let during = SigSet::thread_get_mask().unwrap();
            assert!(during.contains(Signal::SIGINT) && during.contains(Signal::SIGTERM));
        }
        let after = SigSet::thread_get_mask().unwrap();
        assert_eq!(
            after.contains(Signal::SIGINT),
            before.contains(Signal::SIGINT)
        );
    }
}
