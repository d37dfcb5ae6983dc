//! [`Context`] and [`Core`]: PipeWire's client state and a connection to a daemon.

use std::os::fd::{IntoRawFd, OwnedFd};
use std::sync::Arc;

use crate::error::PipeWireError;
use crate::properties::Properties;
use crate::sys;
use crate::thread_loop::{LoopInner, Retired, ThreadLoop};

pub(crate) struct ContextInner {
    pub(crate) thread_loop: Arc<LoopInner>,
    raw: *mut sys::pw_context,
}

// SAFETY: `raw` is only used with the thread loop's lock held (see `ContextInner::drop` and
// `Context::connect_with`), which serialises every use with the loop thread and other threads.
unsafe impl Send for ContextInner {}
// SAFETY: as for `Send`.
unsafe impl Sync for ContextInner {}

impl Drop for ContextInner {
    fn drop(&mut self) {
        let lock = self.thread_loop.lock();
        // The context is live and handed over once, with the loop's lock held, after every
        // core made on it (each holds an `Arc<ContextInner>`); it is destroyed at once, or
        // after the streams and cores retired before it (see `Reaper`).
        self.thread_loop.retire(&lock, Retired::Context(self.raw));
    }
}

/// PipeWire's client state (`pw_context`) on a [`ThreadLoop`].
#[derive(Clone)]
pub struct Context {
    inner: Arc<ContextInner>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").finish_non_exhaustive()
    }
}

impl Context {
    /// Makes a context on `thread_loop` (reading PipeWire's client configuration).
    ///
    /// # Errors
    ///
    /// [`PipeWireError::Call`] when libpipewire cannot make it.
    pub fn new(thread_loop: &ThreadLoop) -> Result<Self, PipeWireError> {
        let loop_inner = Arc::clone(&thread_loop.inner);
        let api = loop_inner.pipewire.api();
        let raw = {
            let _lock = loop_inner.lock();
            // SAFETY: the thread loop is live and locked; `pw_thread_loop_get_loop` returns its
            // `pw_loop`, which lives as long as the thread loop (the context keeps an `Arc` of
            // it). Null properties and no user data are allowed.
            unsafe {
                let pw_loop = (api.pw_thread_loop_get_loop)(loop_inner.raw);
                (api.pw_context_new)(pw_loop, std::ptr::null_mut(), 0)
            }
        };
        if raw.is_null() {
            return Err(PipeWireError::from_errno("pw_context_new"));
        }
        Ok(Self {
            inner: Arc::new(ContextInner {
                thread_loop: loop_inner,
                raw,
            }),
        })
    }

    /// Connects to the default PipeWire daemon (`$PIPEWIRE_REMOTE`, else `pipewire-0` in
    /// `$XDG_RUNTIME_DIR`), with `properties` for the connection.
    ///
    /// # Errors
    ///
    /// [`PipeWireError::Call`] when the connection fails (no daemon).
    pub fn connect(&self, properties: &[(&str, &str)]) -> Result<Core, PipeWireError> {
        self.connect_with(properties, None)
    }

    /// Connects over `socket`, a connected PipeWire socket (as the screen-cast portal's
    /// `OpenPipeWireRemote` hands out). The core owns it from here, and closes it when
    /// disconnected (and, depending on the version of libpipewire, possibly not when
    /// connecting fails, which then leaks it rather than risk closing it twice).
    ///
    /// # Errors
    ///
    /// [`PipeWireError::Call`] when the connection fails.
    pub fn connect_fd(
        &self,
        socket: OwnedFd,
        properties: &[(&str, &str)],
    ) -> Result<Core, PipeWireError> {
        self.connect_with(properties, Some(socket))
    }

    fn connect_with(
        &self,
        properties: &[(&str, &str)],
        socket: Option<OwnedFd>,
    ) -> Result<Core, PipeWireError> {
        let thread_loop = &self.inner.thread_loop;
        let api = thread_loop.pipewire.api();
        let properties = Properties::new(thread_loop.pipewire, properties)?
            .map_or(std::ptr::null_mut(), Properties::into_raw);
        let (raw, call) = {
            let _lock = thread_loop.lock();
            let context = self.inner.raw;
            match socket {
                Some(socket) => {
                    let fd = socket.into_raw_fd();
                    // SAFETY: the context is live and the loop locked; the properties (or
                    // null) are handed over, as the call takes ownership of them, and so is
                    // the socket (released from its `OwnedFd` above), which the core closes.
                    let core = unsafe { (api.pw_context_connect_fd)(context, fd, properties, 0) };
                    (core, "pw_context_connect_fd")
                }
                None => {
                    // SAFETY: the context is live and the loop locked; the properties (or
                    // null) are handed over, as the call takes ownership of them.
                    let core = unsafe { (api.pw_context_connect)(context, properties, 0) };
                    (core, "pw_context_connect")
                }
            }
        };
        if raw.is_null() {
            return Err(PipeWireError::from_errno(call));
        }
        Ok(Core {
            inner: Arc::new(CoreInner {
                context: Arc::clone(&self.inner),
                raw,
            }),
        })
    }
}

pub(crate) struct CoreInner {
    pub(crate) context: Arc<ContextInner>,
    pub(crate) raw: *mut sys::pw_core,
}

// SAFETY: `raw` is only used with the thread loop's lock held, which serialises every use.
unsafe impl Send for CoreInner {}
// SAFETY: as for `Send`.
unsafe impl Sync for CoreInner {}

impl CoreInner {
    pub(crate) fn thread_loop(&self) -> &Arc<LoopInner> {
        &self.context.thread_loop
    }
}

impl Drop for CoreInner {
    fn drop(&mut self) {
        let thread_loop = self.thread_loop();
        let lock = thread_loop.lock();
        // The core is live and handed over once, with the loop's lock held, after every
        // stream made on it (each holds an `Arc<CoreInner>`); it is disconnected (which frees
        // it) at once, or after the streams retired before it (see `Reaper`).
        thread_loop.retire(&lock, Retired::Core(self.raw));
    }
}

/// A connection to a PipeWire daemon (`pw_core`). Streams are made on it; it disconnects
/// when it and every stream made on it are dropped.
#[derive(Clone)]
pub struct Core {
    pub(crate) inner: Arc<CoreInner>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core").finish_non_exhaustive()
    }
}
