//! [`FinalizingBuffer`]: a value that hands itself to a [`ReleaseHook`] exactly once, when
//! dropped.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// What to do with a [`FinalizingBuffer`]'s value when the buffer is dropped: return it to a
/// pool, free it some special way, count it.
///
/// The hook runs on whichever thread drops the buffer, which is why it must be `Send + Sync`.
/// It runs inside `Drop`, so it should not panic: a panic there while the thread is already
/// unwinding aborts the process.
///
/// Closures implement this trait, so a one-off hook needs no type of its own:
///
/// ```
/// use mss_buffer::FinalizingBuffer;
///
/// let buffer = FinalizingBuffer::new(vec![1u8, 2, 3], |bytes: Vec<u8>| {
///     assert_eq!(bytes, [1, 2, 3]);
/// });
/// assert_eq!(buffer.len(), 3);
/// drop(buffer); // The closure runs here, once.
/// ```
pub trait ReleaseHook<T>: Send + Sync {
    /// Takes back `value`, whose buffer is being dropped. Called exactly once per buffer.
    fn release(&self, value: T);
}

impl<T, F> ReleaseHook<T> for F
where
    F: Fn(T) + Send + Sync,
{
    fn release(&self, value: T) {
        self(value);
    }
}

/// Owns a value, dereferences to it, and gives it to its [`ReleaseHook`] exactly once, when the
/// buffer is dropped.
///
/// This is the building block of zero-copy frames: the value is a piece of reusable memory,
/// the hook knows where that memory goes back to, and whoever ends up holding the buffer (on
/// any thread) need not know either. [`Lease`](crate::Lease) is a finalizing buffer whose hook
/// returns a slot to its pool.
///
/// There is deliberately no way to take the value out without running the hook: every path
/// out of a buffer goes through `Drop`, which is what makes "exactly once" hold.
///
/// # Thread safety
///
/// No `Send` or `Sync` implementation is written by hand. The buffer is `Send` when `T` is
/// (hooks are always `Send + Sync`), and `Sync` when `T` is: a shared reference only reads the
/// value. The hook runs on the thread that drops the buffer.
pub struct FinalizingBuffer<T, H: ReleaseHook<T>> {
    /// Always `Some` until `Drop` takes it; `Option` lets `Drop` move the value out without
    /// `unsafe`.
    value: Option<T>,
    hook: H,
}

impl<T, H: ReleaseHook<T>> FinalizingBuffer<T, H> {
    /// Wraps `value`; `hook` receives it back when the buffer is dropped.
    pub fn new(value: T, hook: H) -> Self {
        Self {
            value: Some(value),
            hook,
        }
    }
}

impl<T, H: ReleaseHook<T>> Deref for FinalizingBuffer<T, H> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
            .as_ref()
            .expect("the value is present until the buffer is dropped")
    }
}

impl<T, H: ReleaseHook<T>> DerefMut for FinalizingBuffer<T, H> {
    fn deref_mut(&mut self) -> &mut T {
        self.value
            .as_mut()
            .expect("the value is present until the buffer is dropped")
    }
}

impl<T, H: ReleaseHook<T>> Drop for FinalizingBuffer<T, H> {
    fn drop(&mut self) {
        // `Drop` runs at most once and is the only place the value is taken, so the hook sees
        // the value exactly once.
        if let Some(value) = self.value.take() {
            self.hook.release(value);
        }
    }
}

impl<T: fmt::Debug, H: ReleaseHook<T>> fmt::Debug for FinalizingBuffer<T, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FinalizingBuffer")
            .field("value", &**self)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread::{self, ThreadId};

    use super::*;

    #[test]
    fn hook_runs_exactly_once_with_the_final_value() {
        let released = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&released);
        let mut buffer = FinalizingBuffer::new(vec![1u8, 2], move |value: Vec<u8>| {
            sink.lock().unwrap().push(value);
        });
        buffer.push(3);
        assert_eq!(*buffer, [1, 2, 3]);
        assert!(
            released.lock().unwrap().is_empty(),
            "the hook must not run before the drop"
        );
        drop(buffer);
        assert_eq!(*released.lock().unwrap(), [vec![1u8, 2, 3]]);
    }

    #[test]
    fn hook_runs_on_the_dropping_thread() {
        let released_on = Arc::new(Mutex::new(Vec::<ThreadId>::new()));
        let sink = Arc::clone(&released_on);
        let buffer = FinalizingBuffer::new(7u32, move |_value: u32| {
            sink.lock().unwrap().push(thread::current().id());
        });
        let dropper = thread::spawn(move || drop(buffer));
        let dropping_thread = dropper.thread().id();
        dropper.join().unwrap();
        assert_eq!(*released_on.lock().unwrap(), [dropping_thread]);
        assert_ne!(dropping_thread, thread::current().id());
    }

    /// A hook type of its own, as a backend would write, counting calls.
    struct CountingHook(Arc<AtomicUsize>);

    impl ReleaseHook<String> for CountingHook {
        fn release(&self, value: String) {
            assert_eq!(value, "slot");
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn custom_hook_types_plug_in() {
        let calls = Arc::new(AtomicUsize::new(0));
        let buffer = FinalizingBuffer::new("slot".to_owned(), CountingHook(Arc::clone(&calls)));
        assert_eq!(buffer.len(), 4);
        assert_eq!(
            format!("{buffer:?}"),
            r#"FinalizingBuffer { value: "slot", .. }"#
        );
        drop(buffer);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
