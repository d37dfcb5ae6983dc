//! [`Watchdog`]: a deadline on every wait for the X server.
//!
//! Neither x11rb's connections nor libxcb can wait for a reply with a time limit. So every
//! blocking call on an [`AutoConnection`](crate::AutoConnection) is bracketed by a
//! [`WaitGuard`]: it registers a deadline of its own, which a small thread per connection
//! watches. When a wait outlives its deadline (a client holds a server grab, the server is
//! stopped, a TCP peer went silent), the thread shuts the connection's socket down. The blocked
//! read returns at once, the wait fails, and the error is reported as
//! [`mss_core::Error::Timeout`]. The connection is unusable from then on, and says so; no thread
//! stays blocked.
//!
//! Several threads may wait on one connection at once, so each wait has its own entry in
//! [`Waits`]: a wait that starts later never extends an earlier one's deadline, and a wait that
//! ends never clears another's. The thread watches the earliest deadline of the waits in
//! progress.
//!
//! Starting and ending a wait each take an uncontended lock once and wake nobody: the thread
//! sleeps until the earliest moment a deadline could pass and looks again, so a capture at
//! hundreds of frames a second pays nothing measurable for it. Every deadline set with
//! [`Watchdog::guard`] is at least the per-wait timeout away, which is the longest the thread
//! sleeps when nothing is waited for, so it always looks in time; a deadline set with
//! [`Watchdog::guard_until`] may be nearer, and wakes the thread.

use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The waits in progress on one connection, each with its own deadline. Plain data, so that
/// what the watching thread decides can be tested at made-up moments.
#[derive(Debug, Default)]
struct Waits {
    /// The id the next wait gets.
    next_id: u64,
    /// Each wait in progress: its id and its deadline, in nanoseconds on the watchdog's clock.
    deadlines: Vec<(u64, u64)>,
}

/// What the watching thread does after a look at the waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Look {
    /// Nothing is waited for.
    Idle,
    /// The earliest deadline is this far away.
    SleepFor(Duration),
    /// A wait outlived its deadline.
    Fire,
}

impl Waits {
    /// Registers a wait ending at `deadline` and returns its id.
    fn start(&mut self, deadline: u64) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.deadlines.push((id, deadline));
        id
    }

    /// Ends the wait `id`, and only that one.
    fn end(&mut self, id: u64) {
        self.deadlines.retain(|&(wait, _)| wait != id);
    }

    /// What to do at `now`: the earliest deadline of the waits in progress decides.
    fn look(&self, now: u64) -> Look {
        match self.deadlines.iter().map(|&(_, deadline)| deadline).min() {
            None => Look::Idle,
            Some(deadline) if now < deadline => {
                Look::SleepFor(Duration::from_nanos(deadline - now))
            }
            Some(_) => Look::Fire,
        }
    }
}

/// The state the watching thread shares with the connection.
struct Shared {
    /// A duplicate of the connection's socket: shutting it down wakes every reader.
    socket: OwnedFd,
    /// Deadlines are nanoseconds since this instant.
    base: Instant,
    /// The waits in progress.
    waits: Mutex<Waits>,
    /// Set once the socket was shut down for a missed deadline.
    fired: AtomicBool,
    /// Set once the first error after firing was reported as a timeout.
    reported: AtomicBool,
    /// Set when the connection goes away: the thread ends.
    closing: AtomicBool,
}

impl Shared {
    /// `instant` in nanoseconds since `base` (0 for instants before it).
    fn nanos(&self, instant: Instant) -> u64 {
        u64::try_from(instant.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX)
    }

    fn now(&self) -> u64 {
        self.nanos(Instant::now())
    }

    /// The waits, whatever a thread that panicked while holding them left (every change to
    /// them is a single push or removal, so they are never half-changed).
    fn waits(&self) -> MutexGuard<'_, Waits> {
        self.waits.lock().unwrap_or_else(PoisonError::into_inner)
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
            waits: Mutex::new(Waits::default()),
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

    /// Sets the deadline for a wait that starts now, the timeout away; dropping the guard ends
    /// the wait.
    pub(crate) fn guard(&self) -> WaitGuard<'_> {
        let shared = &*self.shared;
        let deadline = shared
            .now()
            .saturating_add(u64::try_from(self.timeout.as_nanos()).unwrap_or(u64::MAX / 2));
        let id = shared.waits().start(deadline);
        WaitGuard { shared, id }
    }

    /// Sets `deadline` for a wait that starts now (a step of the connection setup, which shares
    /// one deadline with the steps before it), waking the thread so that it looks in time.
    pub(crate) fn guard_until(&self, deadline: Instant) -> WaitGuard<'_> {
        let shared = &*self.shared;
        let id = shared.waits().start(shared.nanos(deadline));
        if let Some(thread) = &self.thread {
            thread.thread().unpark();
        }
        WaitGuard { shared, id }
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
            // The thread only sleeps and looks at the waits: it ends at once.
            let _ = thread.join();
        }
    }
}

/// A wait in progress; see [`Watchdog::guard`].
pub(crate) struct WaitGuard<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        self.shared.waits().end(self.id);
    }
}

/// The watching thread: sleeps until a deadline can have passed, shuts the socket down when
/// one has, ends when the watchdog closes or has fired. With nothing to wait for it sleeps
/// `idle` (the per-wait timeout), which no deadline set by [`Watchdog::guard`] can be nearer
/// than.
fn watch(shared: &Shared, idle: Duration) {
    // The process's interrupt signals are not for this thread: a program that holds them back
    // on its own thread for a moment (mss does while it renames a saved file) must not have
    // them delivered here instead.
    let _ = nix::sys::signal::SigSet::all().thread_block();
    while !shared.closing.load(Ordering::SeqCst) {
        // Decided and acted on under the lock: a wait that ends meanwhile ended past its
        // deadline all the same.
        let waits = shared.waits();
        match waits.look(shared.now()) {
            Look::Idle => {
                drop(waits);
                std::thread::park_timeout(idle);
            }
            Look::SleepFor(left) => {
                drop(waits);
                std::thread::park_timeout(left);
            }
            Look::Fire => {
                shared.fired.store(true, Ordering::SeqCst);
                let _ = rustix::net::shutdown(&shared.socket, rustix::net::Shutdown::Both);
                return;
            }
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

    const MS: u64 = 1_000_000;

    /// Thirty waits of 10 ms, one after the other, each allowed 50 ms, looked at every
    /// millisecond on a made-up clock: none fires, and nothing is waited for afterwards.
    #[test]
    fn waits_that_end_in_time_never_fire_however_many() {
        let mut waits = Waits::default();
        let mut now = 0;
        for _ in 0..30 {
            let id = waits.start(now + 50 * MS);
            for _ in 0..10 {
                assert!(matches!(waits.look(now), Look::SleepFor(_)), "at {now}");
                now += MS;
            }
            waits.end(id);
            assert_eq!(waits.look(now), Look::Idle);
        }
        assert_eq!(waits.look(u64::MAX), Look::Idle);
    }

    /// A wait that starts later does not push an earlier one's deadline back (one slot for all
    /// waits did: the later wait's deadline replaced the earlier one's).
    #[test]
    fn a_later_wait_does_not_extend_an_earlier_ones_deadline() {
        let mut waits = Waits::default();
        let _first = waits.start(50 * MS);
        let _second = waits.start(90 * MS);
        assert_eq!(
            waits.look(40 * MS),
            Look::SleepFor(Duration::from_millis(10))
        );
        assert_eq!(waits.look(50 * MS), Look::Fire);
    }

    /// A wait that ends leaves every other wait's deadline in place, in whichever order the
    /// waits started and end (one slot for all waits was cleared by whichever guard dropped
    /// last, even while another thread's wait had just set it).
    #[test]
    fn a_wait_that_ends_leaves_the_others_deadlines() {
        let mut waits = Waits::default();
        let first = waits.start(50 * MS);
        let _second = waits.start(60 * MS);
        waits.end(first);
        assert_eq!(
            waits.look(55 * MS),
            Look::SleepFor(Duration::from_millis(5))
        );
        assert_eq!(waits.look(60 * MS), Look::Fire);
        // The other order: the later wait ends first, the earlier one still fires on time.
        let mut waits = Waits::default();
        let first = waits.start(50 * MS);
        let second = waits.start(60 * MS);
        waits.end(second);
        assert_eq!(waits.look(50 * MS), Look::Fire);
        waits.end(first);
        assert_eq!(waits.look(u64::MAX), Look::Idle);
    }

    /// Two threads start and end waits at the same time, over and over, on one watchdog; a
    /// third wait held all along keeps its deadline and is cut off by it.
    #[test]
    fn waits_of_other_threads_never_clear_a_wait_in_progress() {
        let (mut reader, watched) = pair();
        let watchdog = Watchdog::start(watched, Duration::from_millis(300)).unwrap();
        std::thread::scope(|scope| {
            let churn = || {
                for _ in 0..10_000 {
                    drop(watchdog.guard());
                }
            };
            let first = scope.spawn(churn);
            let second = scope.spawn(churn);
            let held = watchdog.guard();
            first.join().unwrap();
            second.join().unwrap();
            let mut byte = [0u8; 1];
            // Cut off at the held wait's deadline: end of file.
            assert_eq!(reader.read(&mut byte).unwrap(), 0);
            drop(held);
        });
        assert!(watchdog.fired());
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
