//! [`ThreadLoop`]: PipeWire's event loop on a thread of its own, and its lock.

use std::any::Any;
use std::cell::Cell;
use std::collections::VecDeque;
use std::ffi::{CString, c_void};
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};

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

/// An object whose destruction waits for the loop thread: see [`Reaper`].
pub(crate) enum Retired {
    /// A stream already disconnected (its node is off the data loop), and its listener,
    /// freed after it.
    Stream {
        raw: *mut sys::pw_stream,
        listener: Box<dyn Any>,
    },
    /// A core, disconnected after the streams retired before it.
    Core(*mut sys::pw_core),
    /// A context, destroyed after the cores retired before it.
    Context(*mut sys::pw_context),
}

impl Retired {
    /// Destroys the object.
    ///
    /// # Safety
    ///
    /// The object is live and destroyed once, with the loop's lock held or the loop stopped,
    /// and (for a stream) no call that libpipewire queued for it on the loop is left.
    unsafe fn destroy(self, api: &sys::Api) {
        // SAFETY: by the contract.
        unsafe {
            match self {
                Retired::Stream { raw, listener } => {
                    (api.pw_stream_destroy)(raw);
                    drop(listener);
                }
                Retired::Core(raw) => {
                    (api.pw_core_disconnect)(raw);
                }
                Retired::Context(raw) => (api.pw_context_destroy)(raw),
            }
        }
    }
}

/// Destroys streams (and the cores and contexts made before them) on the loop thread, once
/// the loop has run every call libpipewire queued for them.
///
/// The bug this answers: a stream's node processes buffers on the context's data loop,
/// which hands each `process` event to the main loop (this thread loop) as a queued call
/// (`pw_loop_invoke`, not blocking) carrying the stream's address. Destroying the stream from
/// another thread, even with the loop's lock held, frees it while such a call may still be
/// queued; the loop thread then runs it on freed memory. In PipeWire 0.3.65 that queue has a
/// single writer (the data loop), so this crate cannot queue a call behind them from its own
/// threads; but the loop thread itself runs every queued call first whenever it invokes
/// something on its own loop (`flush_items` in `spa/plugins/support/loop.c`).
///
/// So a stream is disconnected where it is dropped (its node leaves the data loop, which
/// waits for the data loop to have run past it: nothing new is queued for it afterwards),
/// and is then retired here, in order with the cores and contexts dropped after it, and an
/// event source on the loop is signalled. Its callback runs on the loop thread with the
/// loop's lock held: it takes what was retired, flushes the queue (calls queued for the
/// retired streams run on them still alive, with their listeners), and only then destroys
/// them, in order. A loop that is not running retires until it is dropped, which stops it
/// (the loop leaves with the queue flushed) and reaps what is left.
pub(crate) struct Reaper {
    api: &'static sys::Api,
    pw_loop: *mut sys::pw_loop,
    retired: Mutex<VecDeque<Retired>>,
}

impl Reaper {
    fn retired(&self) -> std::sync::MutexGuard<'_, VecDeque<Retired>> {
        // Each update is one push or one take: a poisoned mutex is used as is.
        self.retired.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs the calls queued on the loop, then destroys what was retired, in order.
    ///
    /// # Safety
    ///
    /// Called on the loop thread with the loop's lock held, or with the loop stopped (its
    /// thread joined) and the lock held, never from within a call the loop is flushing.
    unsafe fn reap(&self) {
        let retired = std::mem::take(&mut *self.retired());
        if retired.is_empty() {
            return;
        }
        // SAFETY: `pw_loop` is the thread loop's live loop; its `loop` interface holds
        // `spa_loop_methods`. Invoked on the loop's own thread (or with no thread running
        // it), `invoke` runs every call queued so far before returning (0.3.65's
        // `loop_invoke_inthread`), and with no function it calls nothing else. Each retired
        // stream was disconnected before it was retired, so every call queued for it is in
        // that queue already; they run here on the stream and listener still alive.
        let flushed = unsafe {
            let iface = &*(*self.pw_loop).loop_;
            let methods = &*iface.cb.funcs.cast::<sys::spa_loop_methods>();
            methods.invoke.map(|invoke| {
                invoke(
                    iface.cb.data,
                    None,
                    0,
                    std::ptr::null(),
                    0,
                    false,
                    std::ptr::null_mut(),
                )
            })
        };
        if flushed.is_none() {
            // A loop without `invoke` (never seen): nothing proves the queue empty, so what
            // was retired is leaked rather than destroyed under a queued call.
            std::mem::forget(retired);
            return;
        }
        for object in retired {
            // SAFETY: each object was live when retired and is destroyed only here, once;
            // the caller holds the lock or the loop is stopped; no call queued for a
            // retired stream is left (flushed above, and none is queued after its
            // disconnection).
            unsafe { object.destroy(self.api) };
        }
    }
}

/// The event source's callback: reaps on the loop thread.
unsafe extern "C" fn on_reap(data: *mut c_void, _count: u64) {
    // SAFETY: `data` is the `Reaper` registered with the source, which lives until the
    // source is destroyed (`LoopInner::drop`, after the loop thread is joined). The loop
    // dispatches sources from its iteration, on its thread with its lock held, not from
    // within a flush of queued calls.
    unsafe { (*data.cast::<Reaper>()).reap() };
}

/// The thread loop, shared by everything made on it: contexts, cores, streams and the buffers
/// they hand out (a buffer needs the lock to be queued back).
pub(crate) struct LoopInner {
    pub(crate) pipewire: PipeWire,
    pub(crate) raw: *mut sys::pw_thread_loop,
    /// At a fixed address: the event source's data pointer.
    reaper: Box<Reaper>,
    /// The event source whose callback reaps (null if the loop could not make one: then
    /// everything retired waits for the loop to be dropped).
    source: *mut sys::spa_source,
}

// SAFETY: `raw` is a `pw_thread_loop`, whose lock, start and stop functions are made to be
// called from any thread (that is the purpose of a thread loop); every other use of the loop's
// objects in this crate happens with its lock held (`LoopInner::lock`), which serialises them
// with the loop thread. The pointer is never freed before the last `Arc<LoopInner>` is dropped.
// The reaper's retired objects (raw pointers, and listeners holding raw pointers) are pushed
// and destroyed only with the lock held, or after the loop thread is joined; the event source
// is only signalled (an eventfd write, safe from any thread) until then.
unsafe impl Send for LoopInner {}
// SAFETY: as for `Send`: shared references only lock, unlock, retire or read the pointers.
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

    /// Destroys `object` once no call libpipewire queued on the loop can reach it: a stream
    /// always on the loop thread (see [`Reaper`]); a core or a context at once when nothing
    /// retired waits, else after what was retired before it. The caller holds the lock.
    pub(crate) fn retire(&self, _lock: &LoopLock<'_>, object: Retired) {
        let mut retired = self.reaper.retired();
        if retired.is_empty() && !matches!(object, Retired::Stream { .. }) {
            drop(retired);
            // SAFETY: the object is live and handed over once; the lock is held; nothing
            // retired waits, so no stream of this core or context is left to destroy after it
            // (a core or context is dropped after every stream made on it), and a core or a
            // context has no call of its own queued by a data loop.
            unsafe { object.destroy(self.pipewire.api()) };
            return;
        }
        retired.push_back(object);
        drop(retired);
        if !self.source.is_null() {
            // SAFETY: the source is live until `LoopInner::drop` (this holds a reference),
            // made by the loop's `utils` interface, whose `signal_event` only writes its
            // eventfd.
            unsafe {
                let iface = &*(*self.reaper.pw_loop).utils;
                let methods = &*iface.cb.funcs.cast::<sys::spa_loop_utils_methods>();
                if let Some(signal_event) = methods.signal_event {
                    signal_event(iface.cb.data, self.source);
                }
            }
        }
    }
}

impl Drop for LoopInner {
    fn drop(&mut self) {
        let api = self.pipewire.api();
        // SAFETY: `raw` is live; it is stopped (which joins the loop thread) and destroyed
        // exactly once, here, after every context, core, stream and buffer made on it is gone
        // (each holds an `Arc<LoopInner>`). This never runs on the loop thread: no code of
        // this crate that runs there (the stream callbacks, the reaper) holds or drops such an
        // `Arc`, and no caller code runs there. `pw_thread_loop_stop` on a loop never started
        // is a no-op. With the thread joined, what is still retired is reaped here (the
        // loop, run by no thread, flushes its queue on this one), then the source goes.
        unsafe {
            if !(api.pw_thread_loop_in_thread)(self.raw) {
                (api.pw_thread_loop_stop)(self.raw);
                (api.pw_thread_loop_lock)(self.raw);
                self.reaper.reap();
                if !self.source.is_null() {
                    let iface = &*(*self.reaper.pw_loop).utils;
                    let methods = &*iface.cb.funcs.cast::<sys::spa_loop_utils_methods>();
                    if let Some(destroy_source) = methods.destroy_source {
                        destroy_source(iface.cb.data, self.source);
                    }
                }
                (api.pw_thread_loop_unlock)(self.raw);
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
        let api = pipewire.api();
        // SAFETY: `raw` is a live thread loop, not started: no other thread uses it. Its loop
        // lives as long as it.
        let pw_loop = unsafe { (api.pw_thread_loop_get_loop)(raw) };
        let reaper = Box::new(Reaper {
            api,
            pw_loop,
            retired: Mutex::new(VecDeque::new()),
        });
        // SAFETY: the loop is live and not running; its `utils` interface holds
        // `spa_loop_utils_methods`. The callback's data is the boxed reaper, which stays at
        // this address until the source is destroyed in `LoopInner::drop` (the box is
        // dropped after that).
        let source = unsafe {
            let iface = &*(*pw_loop).utils;
            let methods = &*iface.cb.funcs.cast::<sys::spa_loop_utils_methods>();
            match methods.add_event {
                Some(add_event) => add_event(
                    iface.cb.data,
                    Some(on_reap),
                    std::ptr::from_ref::<Reaper>(&reaper).cast_mut().cast(),
                ),
                None => std::ptr::null_mut(),
            }
        };
        Ok(Self {
            inner: Arc::new(LoopInner {
                pipewire,
                raw,
                reaper,
                source,
            }),
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
