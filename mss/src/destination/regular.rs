//! Regular files named by mss: written atomically (one buffer, a screenshot), or as a growing
//! `NAME.part` renamed at the end (a recording). Every step is relative to the directory held
//! open by [`resolve`](super::resolve).

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd as _, AsRawFd as _};
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};

use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags, Stat};
use rustix::io::Errno;

use super::Existing;
use super::hold::{HeldSignals, hold_for_tests};
use super::resolve::{Place, check_writable};

/// The longest file name most Linux file systems take (`NAME_MAX`).
const NAME_MAX: usize = 255;

/// How much of a file's name its temporary names repeat, so that a name of any length leaves
/// room for the suffix.
const TEMPORARY_NAME_PREFIX: usize = 64;

/// A file written whole, then named: unnamed until finished (`O_TMPFILE`), or, where that is
/// not possible, under a hidden temporary name with interrupts held back until it is renamed.
#[derive(Debug)]
pub(super) struct Atomic {
    file: File,
    place: Place,
    /// The file being replaced, as found.
    existing: Option<Stat>,
    policy: Existing,
    /// The hidden name of the named fallback; `None` for an unnamed file.
    temporary: Option<OsString>,
    /// Interrupts held back while the named fallback's temporary name exists.
    held: Option<HeldSignals>,
    /// Named: nothing to clean up.
    done: bool,
}

impl Atomic {
    /// Creates the file for `place` (`existing` as found there). `try_unnamed` is false only in
    /// tests of the named fallback.
    pub(super) fn create(
        place: Place,
        existing: Option<Stat>,
        policy: Existing,
        try_unnamed: bool,
    ) -> io::Result<Self> {
        if existing.is_some() {
            if policy == Existing::Refuse {
                return Err(already_exists());
            }
            check_writable(&place)?;
        }
        let unnamed = if try_unnamed && can_name_unnamed_files() {
            // A new file's mode is 0666 less the umask (and the directory's default ACL),
            // applied by the kernel; a replacement takes the old file's below.
            rustix::fs::openat(
                &place.directory,
                ".",
                OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o666),
            )
            .map_err(io::Error::from)
        } else {
            Err(io::Error::from(io::ErrorKind::Unsupported))
        };
        let atomic = match unnamed {
            Ok(fd) => Self {
                file: File::from(fd),
                place,
                existing,
                policy,
                temporary: None,
                held: None,
                done: false,
            },
            Err(_) => {
                // No O_TMPFILE here (some network and FUSE file systems), or no way to name
                // such a file (no /proc, no privilege): a hidden name, with interrupts held
                // back until it is renamed so that they do not leave it behind.
                let held = HeldSignals::hold();
                let (file, temporary) = create_hidden(&place)?;
                Self {
                    file,
                    place,
                    existing,
                    policy,
                    temporary: Some(temporary),
                    held: Some(held),
                    done: false,
                }
            }
        };
        take_over(&atomic.file, atomic.existing.as_ref())?;
        hold_for_tests("save:created");
        Ok(atomic)
    }

    pub(super) fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Flushes the file to disk and gives it its name, replacing the old file in one step.
    pub(super) fn finish(mut self) -> io::Result<()> {
        hold_for_tests("save:written");
        self.file.sync_all()?;
        hold_for_tests("save:synced");
        match &self.temporary {
            None => self.name_unnamed()?,
            Some(temporary) => rename(&self.place, temporary, self.policy)?,
        }
        self.done = true;
        drop(self.held.take());
        hold_for_tests("save:named");
        Ok(())
    }

    /// Names the unnamed file: straight to its name when nothing is there, else (replacing)
    /// through a temporary name and a `rename` over the old file, with interrupts held back
    /// in between.
    fn name_unnamed(&self) -> io::Result<()> {
        let place = &self.place;
        if self.existing.is_none() || self.policy == Existing::Refuse {
            match link_unnamed(&self.file, place, &place.name) {
                Ok(()) => return Ok(()),
                Err(Errno::EXIST) if self.policy == Existing::Refuse => {
                    return Err(already_exists());
                }
                // Created by someone else meanwhile: replaced as below.
                Err(Errno::EXIST) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let _held = HeldSignals::hold();
        for attempt in 0..100u32 {
            let temporary = temporary_name(&place.name, attempt);
            match link_unnamed(&self.file, place, &temporary) {
                Ok(()) => {
                    hold_for_tests("save:linked");
                    return rustix::fs::renameat(
                        &place.directory,
                        &temporary,
                        &place.directory,
                        &place.name,
                    )
                    .map_err(|error| {
                        let _ =
                            rustix::fs::unlinkat(&place.directory, &temporary, AtFlags::empty());
                        io::Error::from(error)
                    });
                }
                Err(Errno::EXIST) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free temporary name in the directory",
        ))
    }
}

impl Drop for Atomic {
    fn drop(&mut self) {
        if !self.done
            && let Some(temporary) = &self.temporary
        {
            let _ = rustix::fs::unlinkat(&self.place.directory, temporary, AtFlags::empty());
        }
    }
}

/// A recording's file: `NAME.part` beside the target, visible and growing while frames
/// arrive, renamed to `NAME` when the recording ends.
#[derive(Debug)]
pub(super) struct Growing {
    file: File,
    place: Place,
    part: OsString,
    policy: Existing,
}

impl Growing {
    /// Creates `NAME.part` for `place` (`existing` as found there). An existing `NAME.part`
    /// is refused, or with [`Existing::Replace`] removed first (a link there is removed, not
    /// followed).
    pub(super) fn create(
        place: Place,
        existing: Option<Stat>,
        policy: Existing,
    ) -> io::Result<Self> {
        if existing.is_some() {
            if policy == Existing::Refuse {
                return Err(already_exists());
            }
            check_writable(&place)?;
        }
        let part = part_name(&place.name);
        let create = || {
            rustix::fs::openat(
                &place.directory,
                &part,
                OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o666),
            )
        };
        let fd = match create() {
            Ok(fd) => fd,
            Err(Errno::EXIST) if policy == Existing::Replace => {
                rustix::fs::unlinkat(&place.directory, &part, AtFlags::empty())?;
                create()?
            }
            Err(Errno::EXIST) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} exists (a recording that was interrupted?), and replacing it was \
                         not asked for; it was left unchanged",
                        OsStr::new(&part).to_string_lossy()
                    ),
                ));
            }
            Err(error) => return Err(error.into()),
        };
        let file = File::from(fd);
        if let Err(error) = take_over(&file, existing.as_ref()) {
            let _ = rustix::fs::unlinkat(&place.directory, &part, AtFlags::empty());
            return Err(error);
        }
        hold_for_tests("record:created");
        Ok(Self {
            file,
            place,
            part,
            policy,
        })
    }

    pub(super) fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// The name the file has until it is finished.
    pub(super) fn part(&self) -> &OsStr {
        &self.part
    }

    /// Removes `NAME.part`, naming nothing.
    pub(super) fn discard(self) -> io::Result<()> {
        rustix::fs::unlinkat(&self.place.directory, &self.part, AtFlags::empty())?;
        Ok(())
    }

    /// Cuts the file to `length` bytes when given (the whole frames of a recording that
    /// failed), flushes it to disk and renames it to its name.
    pub(super) fn finish(self, length: Option<u64>) -> io::Result<()> {
        if let Some(length) = length {
            self.file.set_len(length)?;
        }
        self.file.sync_all()?;
        hold_for_tests("record:finishing");
        rename(&self.place, &self.part, self.policy).map_err(|error| {
            if error.kind() == io::ErrorKind::AlreadyExists {
                io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "a file of that name appeared while recording, and replacing it was not \
                         asked for; the recording was left in {}",
                        OsStr::new(&self.part).to_string_lossy()
                    ),
                )
            } else {
                error
            }
        })?;
        hold_for_tests("record:named");
        Ok(())
    }
}

/// Renames `from` to the name of `place`, over an old file only with [`Existing::Replace`].
fn rename(place: &Place, from: &OsStr, policy: Existing) -> io::Result<()> {
    let directory = &place.directory;
    match policy {
        Existing::Replace => rustix::fs::renameat(directory, from, directory, &place.name)?,
        Existing::Refuse => {
            match rustix::fs::renameat_with(
                directory,
                from,
                directory,
                &place.name,
                RenameFlags::NOREPLACE,
            ) {
                Ok(()) => {}
                Err(Errno::EXIST) => return Err(already_exists()),
                // A file system without RENAME_NOREPLACE: a link (which never replaces), then
                // the old name removed.
                Err(Errno::INVAL | Errno::NOSYS) => {
                    match rustix::fs::linkat(
                        directory,
                        from,
                        directory,
                        &place.name,
                        AtFlags::empty(),
                    ) {
                        Ok(()) => {}
                        Err(Errno::EXIST) => return Err(already_exists()),
                        Err(error) => return Err(error.into()),
                    }
                    rustix::fs::unlinkat(directory, from, AtFlags::empty())?;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
    Ok(())
}

/// Whether an unnamed file can be given a name later: through `/proc/self/fd`, or as root
/// (`linkat` with `AT_EMPTY_PATH`).
fn can_name_unnamed_files() -> bool {
    std::path::Path::new("/proc/self/fd").is_dir() || rustix::process::geteuid().is_root()
}

/// Gives the unnamed `file` the name `name` in `place`'s directory.
fn link_unnamed(file: &File, place: &Place, name: &OsStr) -> Result<(), Errno> {
    match rustix::fs::linkat(file, "", &place.directory, name, AtFlags::EMPTY_PATH) {
        // Without the privilege AT_EMPTY_PATH needs, the kernel answers ENOENT.
        Err(Errno::NOENT | Errno::PERM) => {}
        other => return other,
    }
    let through_proc = format!("/proc/self/fd/{}", file.as_raw_fd());
    rustix::fs::linkat(
        rustix::fs::CWD,
        through_proc.as_str(),
        &place.directory,
        name,
        AtFlags::SYMLINK_FOLLOW,
    )
}

/// Creates a hidden file `.NAME.mss-PID-N` in `place`'s directory, mode 0666 less the umask
/// (the kernel applies it, and the directory's default ACL), for the named fallback.
fn create_hidden(place: &Place) -> io::Result<(File, OsString)> {
    for attempt in 0..100u32 {
        let temporary = temporary_name(&place.name, attempt);
        match rustix::fs::openat(
            &place.directory,
            &temporary,
            OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o666),
        ) {
            Ok(fd) => return Ok((File::from(fd), temporary)),
            Err(Errno::EXIST) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary name in the directory",
    ))
}

/// The hidden temporary name number `attempt` for `name`: `.NAME.mss-PID-ATTEMPT`, with NAME
/// cut to its first 64 bytes so that it fits whatever the name's length.
fn temporary_name(name: &OsStr, attempt: u32) -> OsString {
    let bytes = name.as_bytes();
    let mut temporary = b".".to_vec();
    temporary.extend_from_slice(&bytes[..bytes.len().min(TEMPORARY_NAME_PREFIX)]);
    temporary.extend_from_slice(format!(".mss-{}-{attempt}", std::process::id()).as_bytes());
    OsString::from_vec(temporary)
}

/// `NAME.part`, with NAME cut so that it fits in a file name.
fn part_name(name: &OsStr) -> OsString {
    const SUFFIX: &[u8] = b".part";
    let bytes = name.as_bytes();
    let mut part = bytes[..bytes.len().min(NAME_MAX - SUFFIX.len())].to_vec();
    part.extend_from_slice(SUFFIX);
    OsString::from_vec(part)
}

/// A replacement gets the old file's mode and, as root, its owner.
fn take_over(file: &File, existing: Option<&Stat>) -> io::Result<()> {
    if let Some(stat) = existing {
        let mode = Mode::from_raw_mode(stat.st_mode & 0o7777);
        rustix::fs::fchmod(file, mode)?;
        if rustix::process::geteuid().is_root() {
            rustix::fs::fchown(
                file.as_fd(),
                Some(rustix::process::Uid::from_raw(stat.st_uid)),
                Some(rustix::process::Gid::from_raw(stat.st_gid)),
            )?;
            // chown clears set-id bits; put the mode back.
            rustix::fs::fchmod(file, mode)?;
        }
    }
    Ok(())
}

/// The error for a file that exists when replacing it was not asked for.
pub(super) fn already_exists() -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        "the file exists, and replacing it was not asked for; it was left unchanged",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_and_part_names_fit_whatever_the_name() {
        for length in [1, 64, 200, 240, 250, 255] {
            let name = OsString::from("n".repeat(length));
            let temporary = temporary_name(&name, 99);
            assert!(temporary.len() <= NAME_MAX, "{length}");
            assert!(temporary.as_bytes().starts_with(b".n"));
            let part = part_name(&name);
            assert!(part.len() <= NAME_MAX, "{length}");
            assert!(part.as_bytes().ends_with(b".part"));
        }
        assert_eq!(part_name(OsStr::new("frames.raw")), "frames.raw.part");
    }
}
