//! [`Watchdog`]: a deadline on every wait for the X server.
//!
//! Neither x11rb's connections nor libxcb can wait for a reply with a time limit. So every
//! blocking call on an [`AutoConnection`](crate::AutoConnection) is bracketed by a
//! [`WaitGuard`]: it sets a deadline, which a small thread per connection watches. When a wait
//! outlives it (a client holds a server grab, the server is stopped, a TCP peer went silent),
//! the thread shuts the connection's socket down. The blocked read returns at once, the wait
//! fails, and the error is reported as [`mss_core::Error::Timeout`]. The connection is unusable
//! from then on, and says so; no thread stays blocked.
//!
//! Setting a deadline costs two atomic stores and wakes nobody: the thread sleeps until the
//! earliest moment a deadline could pass and looks again, so a capture at hundreds of frames a
//! second pays nothing measurable for it.

use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The state the watching thread shares with the connection.
struct Shared {
    /// A duplicate of the connection's socket: shutting it down wakes every reader.
    socket: OwnedFd,
    /// Deadlines are nanoseconds since this instant, plus one (so zero means none).
    base: Instant,
    /// The current deadline, or 0 when nothing is being waited for.
    deadline: AtomicU64,
    /// How many waits are in progress (several threads may wait on one connection).
    active: AtomicUsize,
    /// Set once the socket was shut down for a missed deadline.
    fired: AtomicBool,
    /// Set once the first error after firing was reported as a timeout.
    reported: AtomicBool,
    /// Set when the connection goes away: the thread ends.
    closing: AtomicBool,
}

impl Shared {
    fn now(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX - 1) + 1
    }
}

/// Watches the waits of one connection; see the [module docs](self).
pub(crate) struct Watchdog {
    shared: Arc<Shared>,
    timeout: Duration,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts watching `socket` (a duplicate of the connection's descriptor), allowing each
    /// wait `timeout`.
    ///
    /// # Errors
    ///
    /// When the thread cannot be started.
    pub(crate) fn start(socket: OwnedFd, timeout: Duration) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            socket,
            base: Instant::now(),
            deadline: AtomicU64::new(0),
            active: AtomicUsize::new(0),
            fired: AtomicBool::new(false),
            reported: AtomicBool::new(false),
            closing: AtomicBool::new(false),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("mss-x11-watchdog".to_owned())
                .spawn(move || watch(&shared, timeout))?
        };
        Ok(Self {
            shared,
            timeout,
            thread: Some(thread),
        })
    }

    /// Sets the deadline for a wait that starts now; dropping the guard ends the wait.
    pub(crate) fn guard(&self) -> WaitGuard<'_> {
        let shared = &*self.shared;
        shared.active.fetch_add(1, Ordering::SeqCst);
        let nanos = u64::try_from(self.timeout.as_nanos()).unwrap_or(u64::MAX / 2);
        shared
            .deadline
            .store(shared.now().saturating_add(nanos), Ordering::SeqCst);
        WaitGuard { shared }
    }

    /// The time allowed per wait.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Whether a wait missed its deadline (and the connection was shut down).
    pub(crate) fn fired(&self) -> bool {
        self.shared.fired.load(Ordering::SeqCst)
    }

    /// Whether this is the first time the timeout is reported (and marks it reported).
    pub(crate) fn report_first(&self) -> bool {
        !self.shared.reported.swap(true, Ordering::SeqCst)
    }

    /// Whether the watching thread has ended (after firing, or once the watchdog is closing).
    #[cfg(test)]
    fn thread_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.closing.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            // The thread only sleeps and looks at atomics: it ends at once.
            let _ = thread.join();
        }
    }
}

/// A wait in progress; see [`Watchdog::guard`].
pub(crate) struct WaitGuard<'a> {
    shared: &'a Shared,
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        if self.shared.active.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.shared.deadline.store(0, Ordering::SeqCst);
        }
    }
}

/// The watching thread: sleeps until a deadline can have passed, shuts the socket down when
/// one has, ends when the watchdog closes or has fired.
fn watch(shared: &Shared, timeout: Duration) {
    // The process's interrupt signals are not for this thread: a program that holds them back
    // on its own thread for a moment (mss does while it renames a saved file) must not have
    // them delivered here instead.
    let _ = nix::sys::signal::SigSet::all().thread_block();
    while !shared.closing.load(Ordering::SeqCst) {
        let deadline = shared.deadline.load(Ordering::SeqCst);
        if deadline == 0 {
            std::thread::park_timeout(timeout);
            continue;
        }
        let now = shared.now();
        if now < deadline {
            std::thread::park_timeout(Duration::from_nanos(deadline - now));
            continue;
        }
        // Fire only if this very wait is still in progress.
        if shared
            .deadline
            .compare_exchange(deadline, 0, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            shared.fired.store(true, Ordering::SeqCst);
            let _ = rustix::net::shutdown(&shared.socket, rustix::net::Shutdown::Both);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;
    use std::os::unix::net::UnixStream;

    use super::*;

    fn pair() -> (UnixStream, OwnedFd) {
        let (ours, _theirs_kept) = UnixStream::pair().unwrap();
        let duplicate = OwnedFd::from(ours.try_clone().unwrap());
        // The peer is leaked on purpose: a live peer that never writes, like a stopped server.
        std::mem::forget(_theirs_kept);
        (ours, duplicate)
    }

    #[test]
    fn a_wait_past_its_deadline_is_cut_off_and_reported_once() {
        let (mut reader, watched) = pair();
        let watchdog = Watchdog::start(watched, Duration::from_millis(200)).unwrap();
        let started = Instant::now();
        let guard = watchdog.guard();
        let mut byte = [0u8; 1];
        // Blocks until the watchdog shuts the socket down; then reads end of file.
        assert_eq!(reader.read(&mut byte).unwrap(), 0);
        drop(guard);
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(200), "{waited:?}");
        assert!(waited < Duration::from_secs(2), "{waited:?}");
        assert!(watchdog.fired());
        assert!(watchdog.report_first());
        assert!(!watchdog.report_first(), "reported as a timeout once");
        // No thread is left behind.
        let deadline = Instant::now() + Duration::from_secs(1);
        while !watchdog.thread_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(watchdog.thread_finished());
    }

    #[test]
    fn waits_that_end_in_time_never_fire_however_many() {
        let (_reader, watched) = pair();
        let watchdog = Watchdog::start(watched, Duration::from_millis(50)).unwrap();
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(300) {
            let guard = watchdog.guard();
            std::thread::sleep(Duration::from_millis(10));
            drop(guard);
        }
        // Idle far longer than the timeout: nothing is being waited for.
        std::thread::sleep(Duration::from_millis(150));
        assert!(!watchdog.fired());
        drop(watchdog);
    }

    #[test]
    fn dropping_the_watchdog_ends_its_thread_at_once() {
        let (_reader, watched) = pair();
        let watchdog = Watchdog::start(watched, Duration::from_secs(3600)).unwrap();
        let started = Instant::now();
        drop(watchdog);
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
