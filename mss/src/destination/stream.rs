//! Writing into descriptors, FIFOs, sockets and devices, with every wait bounded.
//!
//! A descriptor the process has (standard output, `/dev/fd/N`) is written through itself, so a
//! regular file there is written at its offset (appending when it was opened to append) and a
//! socket is sent to, never connected to anew. Waits have a deadline: opening a FIFO waits for
//! a reader, connecting to a socket for its listener, and each write for the reader to take
//! bytes, each at most the timeout, after which the write fails with
//! [`io::ErrorKind::TimedOut`] saying what it waited for. To wait without blocking a
//! descriptor other processes share (a shell's standard output), a pipe, FIFO or terminal is
//! opened anew (`/proc/self/fd/N`, a file description of this process's own, made
//! non-blocking) and a socket is sent to with `MSG_DONTWAIT`; where neither is possible the
//! descriptor is written `PIPE_BUF` bytes at a time, each once `poll` says there is room.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd as _, OwnedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};
use rustix::fs::{FileType, Mode, OFlags, Stat};
use rustix::io::Errno;
use rustix::net::SendFlags;

use super::resolve::Place;

/// The most bytes a write to a pipe is sure to take without blocking once `poll` said
/// "writable" (`PIPE_BUF` on Linux).
const PIPE_BUF: usize = 4096;

/// The longest pause between two attempts at opening a FIFO that has no reader yet, or at
/// connecting to a socket whose listener is busy.
const LONGEST_PAUSE: Duration = Duration::from_millis(50);

/// Where the bytes go when they are not a regular file named by mss.
#[derive(Debug)]
pub(super) enum Direct {
    /// A regular file or block device, written in place at its offset.
    InPlace(File),
    /// A pipe, FIFO, character device or socket, written with a deadline.
    Stream(Stream),
}

impl Direct {
    pub(super) fn writer(&mut self) -> &mut dyn Write {
        match self {
            Direct::InPlace(file) => file,
            Direct::Stream(stream) => stream,
        }
    }
}

/// How a [`Stream`] writes without waiting longer than its timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum How {
    /// Its own non-blocking file description: write, and `poll` when it is full.
    NonBlocking,
    /// A socket: `send` with `MSG_DONTWAIT | MSG_NOSIGNAL`, and `poll` when it is full.
    Socket,
    /// A shared blocking descriptor: `poll`, then at most `PIPE_BUF` bytes.
    Blocking,
}

/// A descriptor written with a deadline on each wait for the reader.
#[derive(Debug)]
pub(super) struct Stream {
    fd: OwnedFd,
    how: How,
    timeout: Option<Duration>,
}

impl Stream {
    /// Waits until the descriptor takes bytes, at most the timeout.
    fn wait(&self) -> io::Result<()> {
        let timeout = self
            .timeout
            .map(|timeout| rustix::event::Timespec::try_from(timeout).ok())
            .unwrap_or(None);
        loop {
            let mut fds = [PollFd::new(&self.fd, PollFlags::OUT)];
            match rustix::event::poll(&mut fds, timeout.as_ref()) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "nothing was read from it for {} (a reader that stopped reading?)",
                            seconds(self.timeout.unwrap_or_default())
                        ),
                    ));
                }
                Ok(_) => return Ok(()),
                Err(Errno::INTR) => {}
                Err(error) => return Err(error.into()),
            }
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let attempt = match self.how {
                How::NonBlocking => rustix::io::write(&self.fd, buf),
                How::Socket => {
                    rustix::net::send(&self.fd, buf, SendFlags::DONTWAIT | SendFlags::NOSIGNAL)
                }
                How::Blocking => {
                    if self.timeout.is_some() {
                        self.wait()?;
                        rustix::io::write(&self.fd, &buf[..buf.len().min(PIPE_BUF)])
                    } else {
                        rustix::io::write(&self.fd, buf)
                    }
                }
            };
            match attempt {
                Ok(written) => return Ok(written),
                Err(Errno::AGAIN) => self.wait()?,
                Err(Errno::INTR) => {}
                Err(error) => return Err(error.into()),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `duration` in seconds for messages: `2 s`, `0.5 s`.
pub(super) fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

/// Descriptor `number` of this process, ready to be written as the [module docs](self) say.
///
/// # Errors
///
/// When the descriptor is not open, is open for reading only, or is a pipe with no reader.
pub(super) fn descriptor(number: i32, timeout: Option<Duration>) -> io::Result<Direct> {
    let not_open = || {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("descriptor {number} is not open"),
        )
    };
    let fd = match number {
        0 => io::stdin().as_fd().try_clone_to_owned(),
        1 => {
            // What Rust buffered for standard output goes first.
            io::stdout().flush()?;
            io::stdout().as_fd().try_clone_to_owned()
        }
        2 => io::stderr().as_fd().try_clone_to_owned(),
        _ => {
            // A copy of this process's own descriptor `number` (the same file description,
            // as `dup` gives), without unsafe code: `pidfd_getfd` on this very process.
            let own = rustix::process::pidfd_open(
                rustix::process::getpid(),
                rustix::process::PidfdFlags::empty(),
            )?;
            rustix::process::pidfd_getfd(&own, number, rustix::process::PidfdGetfdFlags::empty())
                .map_err(io::Error::from)
        }
    }
    .map_err(|error| {
        if error.raw_os_error() == Some(Errno::BADF.raw_os_error()) {
            not_open()
        } else {
            error
        }
    })?;
    let access = rustix::fs::fcntl_getfl(&fd).map_err(|_| not_open())? & OFlags::RWMODE;
    if access == OFlags::RDONLY {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("descriptor {number} is open for reading only"),
        ));
    }
    let stat = rustix::fs::fstat(&fd)?;
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile | FileType::BlockDevice => Ok(Direct::InPlace(File::from(fd))),
        FileType::Socket => Ok(Direct::Stream(Stream {
            fd,
            how: How::Socket,
            timeout,
        })),
        _ => {
            if timeout.is_none() {
                return Ok(Direct::Stream(Stream {
                    fd,
                    how: How::Blocking,
                    timeout,
                }));
            }
            // A description of our own, so that non-blocking writes change nothing for the
            // other processes sharing the descriptor.
            let own = format!("/proc/self/fd/{}", fd.as_raw_fd());
            match rustix::fs::open(
                own.as_str(),
                OFlags::WRONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
                Mode::empty(),
            ) {
                Ok(reopened) => Ok(Direct::Stream(Stream {
                    fd: reopened,
                    how: How::NonBlocking,
                    timeout,
                })),
                // A pipe whose reader is gone.
                Err(Errno::NXIO) => Err(io::Error::from(io::ErrorKind::BrokenPipe)),
                Err(_) => Ok(Direct::Stream(Stream {
                    fd,
                    how: How::Blocking,
                    timeout,
                })),
            }
        }
    }
}

/// Opens the existing FIFO, device or socket at `place` (found as `stat`) for writing, waiting
/// at most `timeout` for a FIFO's reader or a socket's listener.
///
/// # Errors
///
/// The I/O error; [`io::ErrorKind::TimedOut`] naming what was waited for; an entry that was
/// replaced by another meanwhile.
pub(super) fn special(place: &Place, stat: &Stat, timeout: Option<Duration>) -> io::Result<Direct> {
    let file_type = FileType::from_raw_mode(stat.st_mode);
    if file_type == FileType::Socket {
        return connect(place, stat, timeout);
    }
    let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
    let blocking = if timeout.is_none() {
        OFlags::empty()
    } else {
        OFlags::NONBLOCK
    };
    let mut pause = Duration::from_millis(1);
    let fd = loop {
        match rustix::fs::openat(
            &place.directory,
            &place.name,
            OFlags::WRONLY | OFlags::NOCTTY | OFlags::NOFOLLOW | OFlags::CLOEXEC | blocking,
            Mode::empty(),
        ) {
            Ok(fd) => break fd,
            // A FIFO with no reader yet.
            Err(Errno::NXIO) if file_type == FileType::Fifo => {
                wait_a_little(deadline, &mut pause).map_err(|()| {
                    io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "it is a FIFO, and no reader opened it within {}",
                            seconds(timeout.unwrap_or_default())
                        ),
                    )
                })?;
            }
            Err(Errno::INTR) => {}
            Err(error) => return Err(error.into()),
        }
    };
    same_entry(&fd, stat)?;
    if matches!(file_type, FileType::BlockDevice) {
        return Ok(Direct::InPlace(File::from(fd)));
    }
    if timeout.is_none() {
        return Ok(Direct::Stream(Stream {
            fd,
            how: How::Blocking,
            timeout,
        }));
    }
    Ok(Direct::Stream(Stream {
        fd,
        how: How::NonBlocking,
        timeout,
    }))
}

/// Opens the name at `place` in a directory of `/proc` for writing, in place: what another
/// process's descriptor leads to.
pub(super) fn proc_entry(place: &Place, timeout: Option<Duration>) -> io::Result<Direct> {
    let fd = rustix::fs::openat(
        &place.directory,
        &place.name,
        OFlags::WRONLY | OFlags::NOCTTY | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )?;
    let stat = rustix::fs::fstat(&fd)?;
    Ok(match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile | FileType::BlockDevice => Direct::InPlace(File::from(fd)),
        _ => Direct::Stream(Stream {
            fd,
            how: How::NonBlocking,
            timeout,
        }),
    })
}

/// Connects to the socket at `place`: through the entry held open (`/proc/self/fd/N`), so it
/// is the socket that was checked, else by its path.
fn connect(place: &Place, stat: &Stat, timeout: Option<Duration>) -> io::Result<Direct> {
    let entry = rustix::fs::openat(
        &place.directory,
        &place.name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    same_entry(&entry, stat)?;
    let through_proc = format!("/proc/self/fd/{}", entry.as_raw_fd());
    let address = if Path::new("/proc/self/fd").is_dir() {
        rustix::net::SocketAddrUnix::new(through_proc.as_str())?
    } else {
        rustix::net::SocketAddrUnix::new(place.shown.as_path())?
    };
    let socket = rustix::net::socket_with(
        rustix::net::AddressFamily::UNIX,
        rustix::net::SocketType::STREAM,
        rustix::net::SocketFlags::CLOEXEC | rustix::net::SocketFlags::NONBLOCK,
        None,
    )?;
    let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
    let mut pause = Duration::from_millis(1);
    loop {
        match rustix::net::connect(&socket, &address) {
            Ok(()) => break,
            // The listener's queue is full: it has not accepted the connections before ours.
            Err(Errno::AGAIN) => wait_a_little(deadline, &mut pause).map_err(|()| {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "it is a socket, and its listener did not accept a connection within {}",
                        seconds(timeout.unwrap_or_default())
                    ),
                )
            })?,
            Err(Errno::INTR) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(Direct::Stream(Stream {
        fd: socket,
        how: How::Socket,
        timeout,
    }))
}

/// Sleeps a little (doubling `pause`, at most [`LONGEST_PAUSE`]) before another attempt, or
/// fails when `deadline` has passed.
fn wait_a_little(deadline: Option<Instant>, pause: &mut Duration) -> Result<(), ()> {
    let now = Instant::now();
    let sleep = match deadline {
        Some(deadline) if now >= deadline => return Err(()),
        Some(deadline) => (*pause).min(deadline - now),
        None => *pause,
    };
    std::thread::sleep(sleep);
    *pause = (*pause * 2).min(LONGEST_PAUSE);
    Ok(())
}

/// Checks that `fd` is the entry that was looked at (`stat`), not one that replaced it.
fn same_entry(fd: &OwnedFd, stat: &Stat) -> io::Result<()> {
    let now = rustix::fs::fstat(fd)?;
    if (now.st_dev, now.st_ino) == (stat.st_dev, stat.st_ino) {
        Ok(())
    } else {
        Err(io::Error::other(
            "it was replaced by another file while it was being opened",
        ))
    }
}
