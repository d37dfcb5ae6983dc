//! Finding what a path names, relative to directory descriptors, with the kernel's rules for
//! shared directories applied whatever the system's settings.
//!
//! The directory part of a path is opened by the kernel (`O_PATH`), as a plain `open` would
//! walk it; from then on everything happens relative to that descriptor, so a neighbour who
//! renames or replaces a directory along the way cannot redirect the write. The last
//! component is looked at without following it: a symbolic link is opened (`O_PATH |
//! O_NOFOLLOW`), checked, read and followed one step at a time, again relative to the
//! directory that holds it.
//!
//! In a sticky, world-writable directory (`/tmp`), an entry owned neither by this user nor by
//! the directory's owner is never followed (a link) or written (a file, FIFO, socket or
//! device): the kernel's `protected_symlinks`, `protected_regular` and `protected_fifos` rules,
//! which stop a plain `open` only when those settings are on, hold here always.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};

/// How many symbolic links are followed before giving up, as the kernel's own limit.
const MAX_LINKS: usize = 40;

/// A name in a directory held open.
#[derive(Debug)]
pub(super) struct Place {
    /// The directory, opened with `O_PATH`.
    pub directory: OwnedFd,
    /// The name in it (one component).
    pub name: OsString,
    /// The path for messages: as given, with the links followed.
    pub shown: PathBuf,
}

/// What a path names.
#[derive(Debug)]
pub(super) enum Resolved {
    /// A descriptor this process has: `-`, `/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`, or
    /// a link to one of them.
    Descriptor(i32),
    /// An existing FIFO, socket or device.
    Special { place: Place, stat: Stat },
    /// A regular file, or nothing yet.
    File {
        place: Place,
        existing: Option<Stat>,
    },
    /// A name in a directory of `/proc` (another process's descriptor): opened for writing by
    /// the kernel and written in place, never created or replaced.
    Proc { place: Place },
}

/// Finds what `path` names (see the [module docs](self)).
///
/// # Errors
///
/// The I/O error, for the path in [`Place::shown`] order: a missing directory, a directory
/// named as the file, a loop of links, an entry another user owns in a shared directory.
pub(super) fn resolve(path: &Path) -> Result<Resolved, (PathBuf, io::Error)> {
    if path == Path::new("-") {
        return Ok(Resolved::Descriptor(1));
    }
    if let Some(number) = descriptor_number(path.as_os_str().as_bytes()) {
        return Ok(Resolved::Descriptor(number));
    }
    let mut shown = path.to_owned();
    let fail = |shown: &Path, error: io::Error| (shown.to_owned(), error);
    let (directory_text, name) = split(path.as_os_str()).map_err(|error| fail(&shown, error))?;
    let mut directory =
        open_directory(rustix::fs::CWD, directory_text).map_err(|error| fail(&shown, error))?;
    let mut name = name.to_owned();
    for _ in 0..MAX_LINKS {
        let step = look(&directory, &name).map_err(|error| fail(&shown, error))?;
        match step {
            Look::Absent => {
                return Ok(Resolved::File {
                    place: Place {
                        directory,
                        name,
                        shown,
                    },
                    existing: None,
                });
            }
            Look::Proc => {
                return Ok(Resolved::Proc {
                    place: Place {
                        directory,
                        name,
                        shown,
                    },
                });
            }
            Look::Regular(stat) => {
                return Ok(Resolved::File {
                    place: Place {
                        directory,
                        name,
                        shown,
                    },
                    existing: Some(stat),
                });
            }
            Look::Special(stat) => {
                return Ok(Resolved::Special {
                    place: Place {
                        directory,
                        name,
                        shown,
                    },
                    stat,
                });
            }
            Look::Link(target) => {
                if let Some(number) = descriptor_number(target.as_bytes()) {
                    return Ok(Resolved::Descriptor(number));
                }
                let target_path = Path::new(&target);
                shown = match shown.parent() {
                    Some(parent) if target_path.is_relative() => parent.join(target_path),
                    _ => target_path.to_owned(),
                };
                let (directory_text, target_name) =
                    split(&target).map_err(|error| fail(&shown, error))?;
                directory = if target_path.is_absolute() {
                    open_directory(rustix::fs::CWD, directory_text)
                } else {
                    open_directory(&directory, directory_text)
                }
                .map_err(|error| fail(&shown, error))?;
                name = target_name.to_owned();
            }
        }
    }
    Err(fail(
        path,
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("more than {MAX_LINKS} symbolic links in a row"),
        ),
    ))
}

/// What one name in a directory is.
enum Look {
    Absent,
    Regular(Stat),
    Special(Stat),
    /// A symbolic link that may be followed, and its target.
    Link(OsString),
    /// The directory is part of `/proc`.
    Proc,
}

/// Looks at `name` in `directory` without following it, applying the shared-directory rules.
fn look(directory: &OwnedFd, name: &OsStr) -> io::Result<Look> {
    if rustix::fs::fstatfs(directory)?.f_type == rustix::fs::PROC_SUPER_MAGIC {
        return Ok(Look::Proc);
    }
    let directory_stat = rustix::fs::fstat(directory)?;
    // The entry itself, held open so that what is checked is what is used.
    let entry = match rustix::fs::openat(
        directory,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(entry) => entry,
        Err(rustix::io::Errno::NOENT) => return Ok(Look::Absent),
        Err(error) => return Err(error.into()),
    };
    let stat = rustix::fs::fstat(&entry)?;
    let file_type = FileType::from_raw_mode(stat.st_mode);
    check_shared_directory(&directory_stat, &stat, file_type)?;
    match file_type {
        FileType::Symlink => {
            let target = rustix::fs::readlinkat(&entry, "", Vec::new())?;
            Ok(Look::Link(OsString::from_vec(target.into_bytes())))
        }
        FileType::Directory => Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a directory",
        )),
        FileType::RegularFile => Ok(Look::Regular(stat)),
        _ => Ok(Look::Special(stat)),
    }
}

/// The kernel's rules for sticky, world-writable directories (`/tmp`), applied whatever
/// `fs.protected_*` say: an entry owned neither by this user nor by the directory's owner is
/// not followed (a link) or written (anything else).
fn check_shared_directory(directory: &Stat, entry: &Stat, file_type: FileType) -> io::Result<()> {
    let shared = directory.st_mode & 0o1000 != 0 && directory.st_mode & 0o002 != 0;
    let user = rustix::process::geteuid().as_raw();
    if !shared || entry.st_uid == user || entry.st_uid == directory.st_uid {
        return Ok(());
    }
    let what = match file_type {
        FileType::Symlink => {
            "it is a symbolic link owned by another user (uid {uid}) in a \
                             sticky, world-writable directory, and mss does not follow it (the \
                             kernel's protected_symlinks rule)"
        }
        FileType::RegularFile => {
            "the file belongs to another user (uid {uid}) in a sticky, \
                                  world-writable directory, and mss does not replace it (the \
                                  kernel's protected_regular rule)"
        }
        _ => {
            "it belongs to another user (uid {uid}) in a sticky, world-writable directory, and \
              mss does not write into it (the kernel's protected_fifos rule)"
        }
    };
    Err(io::Error::new(
        io::ErrorKind::PermissionDenied,
        what.replace("{uid}", &entry.st_uid.to_string()),
    ))
}

/// Opens directory `text` relative to `base` for use as a base itself (`O_PATH`).
fn open_directory(base: impl AsFd, text: &OsStr) -> io::Result<OwnedFd> {
    rustix::fs::openat(
        base,
        text,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|error| match error {
        rustix::io::Errno::NOENT => io::Error::new(
            io::ErrorKind::NotFound,
            format!("the directory {} does not exist", Path::new(text).display()),
        ),
        rustix::io::Errno::NOTDIR => io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", Path::new(text).display()),
        ),
        other => other.into(),
    })
}

/// Splits `path` into its directory (`.` when it has none) and its last component, which must
/// name a file: not `.` or `..`, and no slash at the end.
fn split(path: &OsStr) -> io::Result<(&OsStr, &OsStr)> {
    let bytes = path.as_bytes();
    if bytes.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path is empty",
        ));
    }
    let (directory, name) = match bytes.iter().rposition(|&byte| byte == b'/') {
        Some(0) => (&b"/"[..], &bytes[1..]),
        Some(slash) => (&bytes[..slash], &bytes[slash + 1..]),
        None => (&b"."[..], bytes),
    };
    if name.is_empty() || name == b"." || name == b".." {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a directory",
        ));
    }
    Ok((OsStr::from_bytes(directory), OsStr::from_bytes(name)))
}

/// The descriptor a name stands for: `/dev/stdin`, `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`,
/// `/proc/self/fd/N`, `/proc/thread-self/fd/N` and `/proc/PID/fd/N` of this process.
pub(super) fn descriptor_number(text: &[u8]) -> Option<i32> {
    match text {
        b"/dev/stdin" => return Some(0),
        b"/dev/stdout" => return Some(1),
        b"/dev/stderr" => return Some(2),
        _ => {}
    }
    let own = format!("/proc/{}/fd/", std::process::id());
    let digits = [
        &b"/dev/fd/"[..],
        b"/proc/self/fd/",
        b"/proc/thread-self/fd/",
        own.as_bytes(),
    ]
    .into_iter()
    .find_map(|prefix| text.strip_prefix(prefix))?;
    if digits.is_empty() || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Whether a regular file at `place` may be written by this user, as `cp` asks before it
/// replaces one (root may write any).
pub(super) fn check_writable(place: &Place) -> io::Result<()> {
    rustix::fs::accessat(
        &place.directory,
        &place.name,
        rustix::fs::Access::WRITE_OK,
        AtFlags::EACCESS,
    )
    .map_err(|error| {
        let error = io::Error::from(error);
        io::Error::new(
            error.kind(),
            format!(
                "the file exists and this user may not write it ({error}); it was left unchanged"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_names_are_recognised_and_nothing_else() {
        let own = format!("/proc/{}/fd/7", std::process::id());
        for (text, number) in [
            ("/dev/stdout", Some(1)),
            ("/dev/stderr", Some(2)),
            ("/dev/stdin", Some(0)),
            ("/dev/fd/3", Some(3)),
            ("/proc/self/fd/12", Some(12)),
            ("/proc/thread-self/fd/1", Some(1)),
            (own.as_str(), Some(7)),
            ("/proc/1/fd/1", None),
            ("/dev/fd/", None),
            ("/dev/fd/3x", None),
            ("/dev/fd/9999999999", None),
            ("dev/stdout", None),
            ("/dev/stdout/", None),
        ] {
            assert_eq!(descriptor_number(text.as_bytes()), number, "{text}");
        }
    }

    #[test]
    fn paths_split_into_a_directory_and_a_file_name() {
        for (path, directory, name) in [
            ("shot.png", ".", "shot.png"),
            ("a/b/shot.png", "a/b", "shot.png"),
            ("/shot.png", "/", "shot.png"),
            ("/tmp//shot.png", "/tmp/", "shot.png"),
        ] {
            let (d, n) = split(OsStr::new(path)).unwrap();
            assert_eq!((d, n), (OsStr::new(directory), OsStr::new(name)), "{path}");
        }
        for path in ["", "dir/", ".", "..", "a/..", "/"] {
            assert!(split(OsStr::new(path)).is_err(), "{path}");
        }
    }
}
