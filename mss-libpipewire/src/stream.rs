//! [`Stream`]: a capture stream, its events, and its buffers.
//!
//! libpipewire calls a stream's listener on the thread loop's thread, with the loop's lock
//! held. The listener here is this crate's own code: it records each event in the stream's
//! shared state (and answers a new format with the parameters given at connection), and the
//! caller reads them from its own thread with [`Stream::next_event`]. No caller code ever runs
//! on the loop thread, so nothing the caller owns can be dropped there.
//!
//! Lock order: the loop's lock, then the shared state's mutex; libpipewire is never called
//! with the mutex held (it may call the listener back on the same thread).

use std::cell::UnsafeCell;
use std::collections::{HashMap, VecDeque};
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::buffer::{Buffer, Owner, read_buffer};
use crate::context::{Core, CoreInner};
use crate::error::PipeWireError;
use crate::pod::Pod;
use crate::properties::Properties;
use crate::sys;
use crate::thread_loop::{Retired, holds_a_loop_lock};

/// A stream's state (`enum pw_stream_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamState {
    /// In error; see the error text.
    Error,
    /// Not connected.
    Unconnected,
    /// Connecting.
    Connecting,
    /// Connected, format negotiated, not running.
    Paused,
    /// Running: buffers arrive.
    Streaming,
}

impl StreamState {
    fn from_raw(raw: c_int) -> Self {
        match raw {
            0 => StreamState::Unconnected,
            1 => StreamState::Connecting,
            2 => StreamState::Paused,
            3 => StreamState::Streaming,
            _ => StreamState::Error,
        }
    }
}

/// Flags for [`Stream::connect`] (`enum pw_stream_flags`; only those this crate's design
/// allows: no real-time processing, no buffers allocated by the caller).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct StreamFlags(u32);

impl StreamFlags {
    /// No flags.
    pub const NONE: Self = Self(0);
    /// `PW_STREAM_FLAG_AUTOCONNECT`: let the session manager link the stream to its target.
    pub const AUTOCONNECT: Self = Self(1 << 0);
    /// `PW_STREAM_FLAG_DONT_RECONNECT`: when the target goes away, do not move to another.
    pub const DONT_RECONNECT: Self = Self(1 << 7);

    /// The flags' bits.
    pub fn bits(self) -> u32 {
        self.0
    }
}

impl std::ops::BitOr for StreamFlags {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// Something that happened to a stream, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// The state changed; `error` says why when the new state is an error (or the connection
    /// was lost).
    StateChanged {
        /// The state before.
        old: StreamState,
        /// The state now.
        new: StreamState,
        /// The error text libpipewire gave, if any.
        error: Option<String>,
    },
    /// A parameter changed (`id` is an `SPA_PARAM_*`, 4 for the format); `pod` is a copy of the
    /// new value, `None` when it was cleared.
    ParamChanged {
        /// The parameter id.
        id: u32,
        /// The parameter's POD bytes.
        pod: Option<Vec<u8>>,
    },
    /// A buffer was added to the stream.
    BufferAdded {
        /// Its id (see [`Buffer::id`]).
        id: u64,
    },
    /// A buffer was removed from the stream: its memory goes when nobody maps it any more.
    BufferRemoved {
        /// Its id.
        id: u64,
    },
    /// Buffers can be dequeued (repeated notices before a read are delivered once).
    Process,
}

/// A buffer the stream has, as registered when it was added.
struct Registered {
    raw: *mut sys::pw_buffer,
    /// Duplicates of its data blocks' descriptors, by data index.
    fds: Vec<Option<Arc<OwnedFd>>>,
}

#[derive(Default)]
struct SharedState {
    events: VecDeque<StreamEvent>,
    process_pending: bool,
    state: Option<(StreamState, Option<String>)>,
    buffers: HashMap<u64, Registered>,
    next_buffer_id: u64,
    destroyed: bool,
    /// [`Stream::interrupt`] was called and no `next_event` has answered it yet.
    interrupted: bool,
}

/// What the listener and the caller's threads share about one stream.
pub(crate) struct Shared {
    /// The stream; live while `destroyed` is false (it is destroyed with the loop's lock held).
    pub(crate) stream: *mut sys::pw_stream,
    state: Mutex<SharedState>,
    changed: Condvar,
}

// SAFETY: the raw pointers inside (`stream`, and each registered `pw_buffer`) are only
// dereferenced or passed to libpipewire with the thread loop's lock held, after checking
// `destroyed` and the registration under it; the rest is behind the mutex.
unsafe impl Send for Shared {}
// SAFETY: as for `Send`.
unsafe impl Sync for Shared {}

impl Shared {
    fn state(&self) -> MutexGuard<'_, SharedState> {
        // A panic while the mutex was held cannot leave the state half-written in a way that
        // matters (each update is one assignment or push), so a poisoned mutex is used as is.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, event: StreamEvent) {
        self.state().events.push_back(event);
        self.changed.notify_all();
    }
}

impl Owner for Shared {
    fn stream(&self) -> *mut sys::pw_stream {
        self.stream
    }

    fn has_buffer(&self, id: u64, raw: *mut sys::pw_buffer) -> bool {
        let state = self.state();
        !state.destroyed
            && state
                .buffers
                .get(&id)
                .is_some_and(|registered| registered.raw == raw)
    }
}

/// The listener registered with libpipewire: its hook, its events table and what the
/// callbacks need. It lives at a fixed address (a leaked `Box`) from registration until after
/// the stream is destroyed, which happens on the loop thread once no call queued for the
/// stream is left (see `Reaper` in the thread loop's module).
struct Listener {
    hook: UnsafeCell<sys::spa_hook>,
    events: sys::pw_stream_events,
    shared: Arc<Shared>,
    api: &'static sys::Api,
    /// The parameters to answer a new format with.
    after_format: Mutex<Vec<Pod>>,
}

pub(crate) struct StreamInner {
    core: Arc<CoreInner>,
    shared: Arc<Shared>,
    listener: *mut Listener,
}

// SAFETY: `shared.stream` and `listener` are only used with the loop's lock held (connect,
// dequeue, drop), or read through shared references to immutable or mutex-guarded fields.
unsafe impl Send for StreamInner {}
// SAFETY: as for `Send`.
unsafe impl Sync for StreamInner {}

impl Drop for StreamInner {
    fn drop(&mut self) {
        let thread_loop = self.core.thread_loop();
        let lock = thread_loop.lock();
        self.shared.state().destroyed = true;
        // SAFETY: the stream is live and disconnected once, here, with the loop's lock held.
        // Buffers still held by callers see `destroyed` (set above, under the same lock) and
        // no longer touch it. Disconnecting takes its node off the data loop, waiting for the
        // data loop to run past it, so the data loop queues no further call for it; calls it
        // queued before may still wait on this loop. So the stream is not destroyed here: it
        // is retired with its listener (still registered and alive, as those calls and the
        // destruction call it), and the loop thread destroys it after running them (see
        // `Reaper`). The listener box is handed over whole and freed after the stream.
        unsafe {
            (thread_loop.pipewire.api().pw_stream_disconnect)(self.shared.stream);
            let listener: Box<dyn std::any::Any> = Box::from_raw(self.listener);
            thread_loop.retire(
                &lock,
                Retired::Stream {
                    raw: self.shared.stream,
                    listener,
                },
            );
        }
    }
}

/// A stream that takes video from a PipeWire node (`pw_stream`, input direction).
///
/// Events are read with [`next_event`](Self::next_event), buffers with
/// [`dequeue_buffer`](Self::dequeue_buffer). Dropping the stream destroys it; buffers still
/// held stay readable (their descriptors are duplicates) and are simply not queued back.
pub struct Stream {
    inner: Arc<StreamInner>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

impl Stream {
    /// Makes a stream named `name` on `core`, with `properties` (such as `media.type` =
    /// `Video`, `media.category` = `Capture`, `media.role` = `Screen`).
    ///
    /// # Errors
    ///
    /// [`PipeWireError::Nul`] for strings with NUL bytes; [`PipeWireError::Call`] when
    /// libpipewire cannot make it.
    pub fn new(
        core: &Core,
        name: &str,
        properties: &[(&str, &str)],
    ) -> Result<Self, PipeWireError> {
        let core = Arc::clone(&core.inner);
        let thread_loop = Arc::clone(core.thread_loop());
        let pipewire = thread_loop.pipewire;
        let api = pipewire.api();
        let name = CString::new(name).map_err(|_| PipeWireError::Nul {
            what: "the stream's name",
            text: name.to_owned(),
        })?;
        let properties = Properties::new(pipewire, properties)?
            .map_or(std::ptr::null_mut(), Properties::into_raw);
        let _lock = thread_loop.lock();
        // SAFETY: the core is live and the loop locked; `name` outlives the call (copied);
        // the properties (or null) are handed over, as `pw_stream_new` takes ownership.
        let raw = unsafe { (api.pw_stream_new)(core.raw, name.as_ptr(), properties) };
        if raw.is_null() {
            return Err(PipeWireError::from_errno("pw_stream_new"));
        }
        let shared = Arc::new(Shared {
            stream: raw,
            state: Mutex::new(SharedState::default()),
            changed: Condvar::new(),
        });
        let listener = Box::into_raw(Box::new(Listener {
            hook: UnsafeCell::new(sys::spa_hook::zeroed()),
            events: sys::pw_stream_events {
                version: sys::PW_VERSION_STREAM_EVENTS,
                destroy: None,
                state_changed: Some(on_state_changed),
                control_info: None,
                io_changed: None,
                param_changed: Some(on_param_changed),
                add_buffer: Some(on_add_buffer),
                remove_buffer: Some(on_remove_buffer),
                process: Some(on_process),
                drained: None,
                command: None,
                trigger_done: None,
            },
            shared: Arc::clone(&shared),
            api,
            after_format: Mutex::new(Vec::new()),
        }));
        // SAFETY: the stream is live and the loop locked. `listener` is a leaked box, so its
        // hook and events table stay at this address until it is freed after the stream is
        // destroyed (`StreamInner::drop` hands both to the loop's reaper); the hook is zeroed, as `pw_stream_add_listener` expects, and
        // lives in an `UnsafeCell` because libpipewire links it into its list. The data
        // pointer given to the callbacks is the listener itself.
        unsafe {
            (api.pw_stream_add_listener)(
                raw,
                (*listener).hook.get(),
                &(*listener).events,
                listener.cast(),
            );
        }
        Ok(Self {
            inner: Arc::new(StreamInner {
                core,
                shared,
                listener,
            }),
        })
    }

    /// Connects the stream as an input from node `target` (`None`: any), offering
    /// `enum_formats` (`EnumFormat` parameters). When a format is agreed, the stream answers
    /// with `after_format` (its `Buffers` and `Meta` parameters) from within libpipewire's
    /// callback, as negotiation requires.
    ///
    /// # Errors
    ///
    /// [`PipeWireError::Call`] when libpipewire refuses.
    pub fn connect(
        &self,
        target: Option<u32>,
        flags: StreamFlags,
        enum_formats: &[Pod],
        after_format: Vec<Pod>,
    ) -> Result<(), PipeWireError> {
        let thread_loop = self.inner.core.thread_loop();
        let _lock = thread_loop.lock();
        // SAFETY: the listener lives until the stream is destroyed (see `Stream::new`), and
        // this is a shared reference to its mutex.
        let listener = unsafe { &*self.inner.listener };
        *listener
            .after_format
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = after_format;
        let mut pointers: Vec<*const sys::spa_pod> = enum_formats.iter().map(Pod::as_ptr).collect();
        // SAFETY: the stream is live and the loop locked; `pointers` holds `len` pointers to
        // well-formed, 8-byte aligned PODs (checked by `Pod`), all alive during the call, which
        // copies them.
        let result = unsafe {
            (thread_loop.pipewire.api().pw_stream_connect)(
                self.inner.shared.stream,
                sys::PW_DIRECTION_INPUT,
                target.unwrap_or(sys::PW_ID_ANY),
                flags.bits(),
                pointers.as_mut_ptr(),
                pointers.len() as u32,
            )
        };
        if result < 0 {
            return Err(PipeWireError::from_result("pw_stream_connect", result));
        }
        Ok(())
    }

    /// The next event, waiting at most `timeout` for one; `None` when none came in time, or
    /// at once when [`interrupt`](Self::interrupt) was called meanwhile.
    ///
    /// # Errors
    ///
    /// [`PipeWireError::WaitWhileLocked`] when this thread holds the loop's lock (the loop
    /// could not deliver anything meanwhile).
    pub fn next_event(&self, timeout: Duration) -> Result<Option<StreamEvent>, PipeWireError> {
        if holds_a_loop_lock() {
            return Err(PipeWireError::WaitWhileLocked);
        }
        let deadline = Instant::now() + timeout;
        let shared = &self.inner.shared;
        let mut state = shared.state();
        loop {
            if state.interrupted {
                state.interrupted = false;
                return Ok(None);
            }
            if let Some(event) = state.events.pop_front() {
                return Ok(Some(event));
            }
            if state.process_pending {
                state.process_pending = false;
                return Ok(Some(StreamEvent::Process));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            state = shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Makes the [`next_event`](Self::next_event) call that is waiting on another thread (or,
    /// when none is, the next one) return `None` at once, as if its time were up; events
    /// already recorded stay for the calls after it. A thread that reads the events in a loop
    /// is stopped this way, with no polling.
    pub fn interrupt(&self) {
        self.inner.shared.state().interrupted = true;
        self.inner.shared.changed.notify_all();
    }

    /// The state and its error text, as of the last state change (before any:
    /// `Unconnected`).
    pub fn state(&self) -> (StreamState, Option<String>) {
        self.inner
            .shared
            .state()
            .state
            .clone()
            .unwrap_or((StreamState::Unconnected, None))
    }

    /// The stream's own node id in the PipeWire graph (`u32::MAX` until it has one).
    pub fn node_id(&self) -> u32 {
        let thread_loop = self.inner.core.thread_loop();
        let _lock = thread_loop.lock();
        // SAFETY: the stream is live (it is destroyed only when `self` goes) and the loop is
        // locked.
        unsafe { (thread_loop.pipewire.api().pw_stream_get_node_id)(self.inner.shared.stream) }
    }

    /// Takes the oldest filled buffer, if any. Hold it as long as its pixels are needed;
    /// dropping it gives it back to the producer.
    pub fn dequeue_buffer(&self) -> Option<Buffer> {
        let thread_loop = self.inner.core.thread_loop();
        let api = thread_loop.pipewire.api();
        let shared = &self.inner.shared;
        let _lock = thread_loop.lock();
        // SAFETY: the stream is live (destroyed only when `self` goes) and the loop locked.
        let raw = unsafe { (api.pw_stream_dequeue_buffer)(shared.stream) };
        if raw.is_null() {
            return None;
        }
        // SAFETY: `raw` is a live pw_buffer just dequeued; `user_data` is the id the
        // listener stored there when the buffer was added.
        let id = unsafe { (*raw).user_data } as u64;
        let fds = {
            let state = shared.state();
            state
                .buffers
                .get(&id)
                .filter(|registered| registered.raw == raw)
                .map(|registered| registered.fds.clone())
        };
        let Some(fds) = fds else {
            // A buffer the listener never saw added: give it back untouched.
            // SAFETY: it was dequeued from this live stream just now, with the lock held.
            unsafe { (api.pw_stream_queue_buffer)(shared.stream, raw) };
            return None;
        };
        // SAFETY: `raw` is a live buffer of the live stream, dequeued with the lock held (which
        // is still held), and `fds` are its registered descriptors.
        let contents = unsafe { read_buffer(raw, &fds) };
        Some(Buffer {
            thread_loop: Arc::clone(thread_loop),
            shared: Arc::clone(shared) as Arc<dyn Owner>,
            id,
            raw,
            contents,
        })
    }
}

/// The listener behind a callback's data pointer.
///
/// # Safety
///
/// `data` must be the pointer registered with `pw_stream_add_listener` in `Stream::new`.
unsafe fn listener<'a>(data: *mut c_void) -> &'a Listener {
    // SAFETY: by the contract, `data` is the leaked `Listener` box, freed only after the
    // stream is destroyed, on the loop thread after the calls queued for it have run (so
    // after every callback).
    unsafe { &*data.cast::<Listener>() }
}

/// `state_changed`: records the new state and the error text.
unsafe extern "C" fn on_state_changed(
    data: *mut c_void,
    old: c_int,
    new: c_int,
    error: *const c_char,
) {
    // SAFETY: libpipewire passes the data pointer given at registration.
    let listener = unsafe { listener(data) };
    let error = (!error.is_null()).then(|| {
        // SAFETY: a non-null `error` is a NUL-terminated string valid during the callback; it
        // is copied.
        let text = unsafe { CStr::from_ptr(error) };
        text.to_string_lossy().into_owned()
    });
    let (old, new) = (StreamState::from_raw(old), StreamState::from_raw(new));
    let mut state = listener.shared.state();
    state.state = Some((new, error.clone()));
    state
        .events
        .push_back(StreamEvent::StateChanged { old, new, error });
    drop(state);
    listener.shared.changed.notify_all();
}

/// `param_changed`: records the parameter, and answers a new format with the buffer and
/// metadata parameters given at connection.
unsafe extern "C" fn on_param_changed(data: *mut c_void, id: u32, param: *const sys::spa_pod) {
    // SAFETY: libpipewire passes the data pointer given at registration.
    let listener = unsafe { listener(data) };
    let pod = (!param.is_null()).then(|| {
        // SAFETY: a non-null `param` is a POD libpipewire holds during the callback: a header
        // whose `size` counts the body that follows it; the 8 + size bytes are copied.
        unsafe {
            let len = 8 + (*param).size as usize;
            std::slice::from_raw_parts(param.cast::<u8>(), len).to_vec()
        }
    });
    if id == sys::SPA_PARAM_FORMAT && pod.is_some() {
        let after_format = listener
            .after_format
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !after_format.is_empty() {
            let mut pointers: Vec<*const sys::spa_pod> =
                after_format.iter().map(Pod::as_ptr).collect();
            // SAFETY: this runs on the loop thread with the loop's lock held, during a
            // callback of this live stream, where updating its parameters is allowed; the
            // pointers are to well-formed aligned PODs alive during the call, which copies
            // them. The shared state's mutex is not held, so a nested callback can take it.
            unsafe {
                (listener.api.pw_stream_update_params)(
                    listener.shared.stream,
                    pointers.as_mut_ptr(),
                    pointers.len() as u32,
                );
            }
        }
    }
    listener.shared.push(StreamEvent::ParamChanged { id, pod });
}

/// `add_buffer`: registers the buffer under a new id, with duplicates of its descriptors.
unsafe extern "C" fn on_add_buffer(data: *mut c_void, buffer: *mut sys::pw_buffer) {
    // SAFETY: libpipewire passes the data pointer given at registration.
    let listener = unsafe { listener(data) };
    // SAFETY: `buffer` is a live pw_buffer being added, with its spa_buffer and `n_datas`
    // data blocks, during the callback.
    let fds = unsafe {
        let spa = &*(*buffer).buffer;
        (0..spa.n_datas as usize)
            .map(|index| {
                let block = &*spa.datas.add(index);
                let carries_fd =
                    matches!(block.type_, sys::SPA_DATA_MEM_FD | sys::SPA_DATA_DMA_BUF);
                let fd = i32::try_from(block.fd)
                    .ok()
                    .filter(|&fd| fd >= 0 && carries_fd)?;
                // SAFETY: `fd` is the block's descriptor, open for as long as the buffer
                // exists (libpipewire closes it when the buffer is removed), so it is open
                // during this callback; it is only duplicated here.
                let borrowed = BorrowedFd::borrow_raw(fd);
                rustix::io::fcntl_dupfd_cloexec(borrowed, 0)
                    .ok()
                    .map(Arc::new)
            })
            .collect::<Vec<_>>()
    };
    let mut state = listener.shared.state();
    let id = state.next_buffer_id;
    state.next_buffer_id += 1;
    // SAFETY: `user_data` belongs to the stream's user (this crate); it holds the id.
    unsafe { (*buffer).user_data = id as *mut c_void };
    state.buffers.insert(id, Registered { raw: buffer, fds });
    state.events.push_back(StreamEvent::BufferAdded { id });
    drop(state);
    listener.shared.changed.notify_all();
}

/// `remove_buffer`: forgets the buffer (buffers held by callers are then not queued back).
unsafe extern "C" fn on_remove_buffer(data: *mut c_void, buffer: *mut sys::pw_buffer) {
    // SAFETY: libpipewire passes the data pointer given at registration.
    let listener = unsafe { listener(data) };
    // SAFETY: `buffer` is the live pw_buffer being removed; `user_data` holds its id.
    let id = unsafe { (*buffer).user_data } as u64;
    let mut state = listener.shared.state();
    if state
        .buffers
        .get(&id)
        .is_some_and(|registered| registered.raw == buffer)
    {
        state.buffers.remove(&id);
    }
    state.events.push_back(StreamEvent::BufferRemoved { id });
    drop(state);
    listener.shared.changed.notify_all();
}

/// `process`: buffers are ready.
unsafe extern "C" fn on_process(data: *mut c_void) {
    // SAFETY: libpipewire passes the data pointer given at registration.
    let listener = unsafe { listener(data) };
    listener.shared.state().process_pending = true;
    listener.shared.changed.notify_all();
}
