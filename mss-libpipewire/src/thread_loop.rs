//! [`ThreadLoop`]: PipeWire's event loop on a thread of its own, and its lock.

use std::cell::Cell;
use std::ffi::CString;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::error::PipeWireError;
use crate::library::PipeWire;
use crate::sys;

thread_local! {
    /// How many [`LoopLock`]s this thread holds (of any loop), so that a wait that needs the
    /// loop thread to make progress can refuse instead of deadlocking.
    static LOCKS_HELD: Cell<usize> = const { Cell::new(0) };
}

/// Whether this thread holds a [`LoopLock`].
pub(crate) fn holds_a_loop_lock() -> bool {
    LOCKS_HELD.with(Cell::get) > 0
}

/// The thread loop, shared by everything made on it: contexts, cores, streams and the buffers
/// they hand out (a buffer needs the lock to be queued back).
pub(crate) struct LoopInner {
    pub(crate) pipewire: PipeWire,
    pub(crate) raw: *mut sys::pw_thread_loop,
}

// SAFETY: `raw` is a `pw_thread_loop`, whose lock, start and stop functions are made to be
// called from any thread (that is the purpose of a thread loop); every other use of the loop's
// objects in this crate happens with its lock held (`LoopInner::lock`), which serialises them
// with the loop thread. The pointer is never freed before the last `Arc<LoopInner>` is dropped.
unsafe impl Send for LoopInner {}
// SAFETY: as for `Send`: shared references only lock, unlock or read the pointer.
unsafe impl Sync for LoopInner {}

impl LoopInner {
    /// Takes the loop's lock (recursive: a thread that holds it may take it again).
    pub(crate) fn lock(self: &Arc<Self>) -> LoopLock<'_> {
        // SAFETY: `raw` is a live thread loop (it is destroyed only when the last `Arc` goes),
        // and its lock is a recursive mutex that any thread may take.
        unsafe { (self.pipewire.api().pw_thread_loop_lock)(self.raw) };
        LOCKS_HELD.with(|held| held.set(held.get() + 1));
        LoopLock {
            inner: self,
            _not_send: PhantomData,
        }
    }
}

impl Drop for LoopInner {
    fn drop(&mut self) {
        let api = self.pipewire.api();
        // SAFETY: `raw` is live; it is stopped (which joins the loop thread) and destroyed
        // exactly once, here, after every context, core, stream and buffer made on it is gone
        // (each holds an `Arc<LoopInner>`). This never runs on the loop thread: no code of
        // this crate that runs there (the stream callbacks) holds or drops such an `Arc`, and
        // no caller code runs there. `pw_thread_loop_stop` on a loop never started is a no-op.
        unsafe {
            if !(api.pw_thread_loop_in_thread)(self.raw) {
                (api.pw_thread_loop_stop)(self.raw);
                (api.pw_thread_loop_destroy)(self.raw);
            }
        }
    }
}

/// PipeWire's event loop, run on a thread of its own once [`start`](Self::start)ed.
///
/// Stream events are handled there (by this crate, which queues them for
/// [`Stream::next_event`](crate::Stream::next_event)); every call of this crate takes the
/// loop's lock itself, so callers need [`lock`](Self::lock) only to make several calls one
/// step for the loop thread.
///
/// Dropping it stops the thread once everything made on it is gone too (they share it).
#[derive(Clone)]
pub struct ThreadLoop {
    pub(crate) inner: Arc<LoopInner>,
}

impl std::fmt::Debug for ThreadLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadLoop").finish_non_exhaustive()
    }
}

impl ThreadLoop {
    /// Makes a thread loop whose thread will be named `name`; it does not run until
    /// [`start`](Self::start).
    ///
    /// # Errors
    ///
    /// [`PipeWireError::Nul`] for a name with a NUL byte; [`PipeWireError::Call`] when
    /// libpipewire cannot make it.
    pub fn new(pipewire: PipeWire, name: &str) -> Result<Self, PipeWireError> {
        let name = CString::new(name).map_err(|_| PipeWireError::Nul {
            what: "the thread loop's name",
            text: name.to_owned(),
        })?;
        // SAFETY: `name` is a NUL-terminated string that outlives the call (the loop copies
        // it); null properties are allowed.
        let raw = unsafe { (pipewire.api().pw_thread_loop_new)(name.as_ptr(), std::ptr::null()) };
        if raw.is_null() {
            return Err(PipeWireError::from_errno("pw_thread_loop_new"));
        }
        Ok(Self {
            inner: Arc::new(LoopInner { pipewire, raw }),
        })
    }

    /// Starts the loop's thread.
    ///
    /// # Errors
    ///
    /// [`PipeWireError::Call`] when the thread cannot be started.
    pub fn start(&self) -> Result<(), PipeWireError> {
        // SAFETY: `raw` is live; starting a loop that runs already is refused by libpipewire
        // with an error, not undefined behaviour.
        let result = unsafe { (self.inner.pipewire.api().pw_thread_loop_start)(self.inner.raw) };
        if result < 0 {
            return Err(PipeWireError::from_result("pw_thread_loop_start", result));
        }
        Ok(())
    }

    /// Stops the loop's thread (events are no longer handled until it is started again).
    ///
    /// # Panics
    ///
    /// When the calling thread holds the loop's lock: the loop thread could never finish
    /// its iteration, and stopping would wait for it forever.
    pub fn stop(&self) {
        assert!(
            !holds_a_loop_lock(),
            "ThreadLoop::stop called while holding a LoopLock"
        );
        // SAFETY: `raw` is live and the caller is not the loop thread (no caller code runs
        // there) and does not hold its lock (checked above), so joining the thread returns.
        unsafe { (self.inner.pipewire.api().pw_thread_loop_stop)(self.inner.raw) };
    }

    /// Takes the loop's lock until the guard is dropped: the loop thread handles no event
    /// meanwhile. The lock is recursive, and every call of this crate takes it too.
    pub fn lock(&self) -> LoopLock<'_> {
        self.inner.lock()
    }

    /// The library handle this loop was made with.
    pub fn pipewire(&self) -> PipeWire {
        self.inner.pipewire
    }
}

/// The thread loop's lock, held until dropped, on the thread that took it.
#[must_use = "the lock is released when the guard is dropped"]
pub struct LoopLock<'a> {
    inner: &'a LoopInner,
    /// The lock is a pthread mutex: it must be released by the thread that took it.
    _not_send: PhantomData<*const ()>,
}

impl Drop for LoopLock<'_> {
    fn drop(&mut self) {
        LOCKS_HELD.with(|held| held.set(held.get() - 1));
        // SAFETY: this thread took the lock in `LoopInner::lock` (the guard cannot move to
        // another thread) and releases it once; the loop is alive (the guard borrows it).
        unsafe { (self.inner.pipewire.api().pw_thread_loop_unlock)(self.inner.raw) };
    }
}
