//! [`Lease`]: a slot borrowed from a [`Pool`](crate::Pool), returned when dropped.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::shared::Shared;
use crate::{FinalizingBuffer, ReleaseHook};

/// The release hook of a lease: gives the slot back to the pool it came from.
struct ReturnToPool<S> {
    shared: Arc<Shared<S>>,
}

impl<S: Send> ReleaseHook<S> for ReturnToPool<S> {
    fn release(&self, slot: S) {
        self.shared.give_back(slot);
    }
}

/// A slot taken from a [`Pool`](crate::Pool) by [`acquire`](crate::Pool::acquire): derefs to
/// the slot, and gives it back when dropped.
///
/// A lease is a [`FinalizingBuffer`] whose hook returns the slot to the pool it came from and
/// to no other: the lease holds that pool's shared state. Dropping the lease while the pool is
/// open puts the slot on the pool's free list; dropping it after the pool was closed or
/// dropped drops the slot. Either way it happens exactly once, on the dropping thread.
///
/// The slot stays fully usable for as long as the lease lives, including after its pool is
/// gone.
///
/// # Thread safety
///
/// No `Send` or `Sync` implementation is written by hand. A lease is `Send` when `S: Send`
/// (always true for pooled slots), so it may be dropped on any thread; it is `Sync` when
/// `S: Send + Sync`, as a shared reference only reads the slot.
pub struct Lease<S: Send> {
    buffer: FinalizingBuffer<S, ReturnToPool<S>>,
}

impl<S: Send> Lease<S> {
    pub(crate) fn new(slot: S, shared: Arc<Shared<S>>) -> Self {
        Self {
            buffer: FinalizingBuffer::new(slot, ReturnToPool { shared }),
        }
    }
}

impl<S: Send> Deref for Lease<S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.buffer
    }
}

impl<S: Send> DerefMut for Lease<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.buffer
    }
}

impl<S: Send + fmt::Debug> fmt::Debug for Lease<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Lease").field(&**self).finish()
    }
}
