//! [`Pool`]: a bounded set of reusable slots, lent out as [`Lease`]s.

use std::fmt;
use std::sync::Arc;

use crossbeam::utils::Backoff;

use crate::counts::{MAX_LIMIT, SlotCounts};
use crate::shared::Shared;
use crate::{AcquireError, Lease, PoolStats};

/// A bounded pool of reusable slots of type `S` (for example mapped shared-memory segments),
/// lent out as [`Lease`]s that come back when dropped.
///
/// # Policy
///
/// - **Lazy growth up to a limit, then an error.** The pool starts empty. [`acquire`] reuses a
///   free slot that fits; when none does, it creates one, as long as fewer than
///   [`limit`](Self::limit) slots are live (free plus leased). When every slot is leased and
///   the limit is reached, it fails with [`AcquireError::Exhausted`] instead of waiting or
///   growing: holding too many leases is the caller's bug to see, not a reason to hang or to
///   eat memory.
/// - **Slots that do not fit are evicted.** A free slot the request's predicate rejects (too
///   small after a screen resize, say) is taken out of the pool and handed to the caller's
///   discard callback, so stale slots never pile up.
/// - **Oldest idle slot first.** See the crate docs, "Reuse order", for why this is not LIFO.
/// - **Closing** (by [`close`](Self::close) or by dropping the pool) takes the idle slots out;
///   leases still alive stay valid, and each drops its slot when released.
///
/// The pool is the single owner handle of the shared state and is not `Clone`: whoever owns
/// it decides when it closes. Leases hold the shared state too, so they may outlive it.
///
/// # Thread safety
///
/// No `Send` or `Sync` implementation is written by hand. `Pool<S>` is `Send + Sync` for
/// `S: Send`: [`acquire`], [`stats`](Self::stats) and [`drain_free`](Self::drain_free) take
/// `&self` and may run on several threads at once. The free list is a lock-free
/// [`SegQueue`](crossbeam::queue::SegQueue) and the counts one atomic word, so no operation
/// takes a lock, and releases from other threads never wait for the owner.
///
/// [`acquire`]: Self::acquire
pub struct Pool<S: Send> {
    shared: Arc<Shared<S>>,
}

impl<S: Send> Pool<S> {
    /// The largest limit a pool accepts. Larger values given to [`new`](Self::new) are reduced
    /// to this; no machine holds four billion capture buffers.
    pub const MAX_LIMIT: usize = MAX_LIMIT;

    /// An empty pool that will hold at most `limit` live slots.
    ///
    /// A limit of 0 is accepted and makes every [`acquire`](Self::acquire) fail with
    /// [`AcquireError::Exhausted`]. A limit above [`MAX_LIMIT`](Self::MAX_LIMIT) is reduced to
    /// it; [`limit`](Self::limit) reports the limit in force. Nothing is allocated per slot
    /// up front, so a generous limit costs nothing until slots exist.
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self {
            shared: Arc::new(Shared::new(limit.min(MAX_LIMIT))),
        }
    }

    /// The most slots this pool holds at once, free and leased together.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.shared.limit
    }

    /// How many slots are live, leased and free, as one consistent snapshot.
    #[must_use]
    pub fn stats(&self) -> PoolStats {
        self.shared.counts.snapshot()
    }

    /// Lends out a slot for which `fits` returns `true`: a free one if there is one, otherwise
    /// a new one from `create` if the pool is below its limit.
    ///
    /// Free slots are tried oldest first. Each one `fits` rejects is taken out of the pool for
    /// good and passed to `discard` (which may free it however it must, for example detach it
    /// from the X server first). A new slot from `create` is not checked against `fits`.
    ///
    /// Room for the new slot is reserved before `create` runs, so concurrent acquirers never
    /// make the pool exceed its limit, and given back if `create` fails or panics.
    ///
    /// # Errors
    ///
    /// - [`AcquireError::Exhausted`] when no free slot fits and all [`limit`](Self::limit)
    ///   slots are leased (or being created for other acquirers). A slot that another thread is
    ///   releasing at that very moment is waited for, not reported as exhausted.
    /// - [`AcquireError::Create`] with `create`'s error when a new slot was needed and could
    ///   not be made; the pool is left as it was, apart from the slots already discarded.
    pub fn acquire<E>(
        &self,
        mut fits: impl FnMut(&S) -> bool,
        create: impl FnOnce() -> Result<S, E>,
        mut discard: impl FnMut(S),
    ) -> Result<Lease<S>, AcquireError<E>> {
        let shared = &*self.shared;
        let backoff = Backoff::new();
        loop {
            while let Some(slot) = shared.pop_free() {
                // If `fits` panics, the slot is dropped by the unwinding; stop counting it.
                let guard = UndoOnDrop::new(&shared.counts, SlotCounts::remove_free);
                let fitting = fits(&slot);
                guard.disarm();
                if fitting {
                    shared.counts.lease_free_slot();
                    return Ok(self.lease(slot));
                }
                shared.counts.remove_free();
                discard(slot);
            }
            match shared.counts.try_reserve(shared.limit) {
                Ok(()) => {
                    // If `create` fails or panics, give the reserved room back.
                    let reservation = UndoOnDrop::new(&shared.counts, SlotCounts::remove_leased);
                    let slot = create().map_err(AcquireError::Create)?;
                    reservation.disarm();
                    return Ok(self.lease(slot));
                }
                // At the limit, but not every slot is leased: one is on its way onto the free
                // list (a release between its count and its push) or off it (another acquirer
                // inspecting or discarding it, or a drain). Each finishes in a few
                // instructions; wait, then look again.
                Err(stats) if stats.leased < stats.live => backoff.snooze(),
                Err(_) => {
                    return Err(AcquireError::Exhausted {
                        limit: shared.limit,
                    });
                }
            }
        }
    }

    /// Takes every idle slot out of the pool, for the caller to free (for example when a
    /// backend stops using shared memory and must detach its segments). Leased slots are not
    /// affected: they come back to the pool when released, and a later `drain_free` takes
    /// them too.
    #[must_use = "unused idle slots are simply dropped; free them as they need (detach them, say)"]
    pub fn drain_free(&self) -> Vec<S> {
        self.shared.drain_free()
    }

    /// Takes out of the pool, for the caller to free, the idle slots `evict` picks (a segment
    /// that failed, one larger than a shrunken screen still needs); the other idle slots stay,
    /// in their order. Leased slots are not affected.
    ///
    /// If `evict` panics, the slot it was looking at is dropped and no longer counted (as in
    /// [`acquire`](Self::acquire)); the slots not yet looked at stay in the pool.
    #[must_use = "evicted slots are simply dropped; free them as they need (detach them, say)"]
    pub fn evict_free(&self, mut evict: impl FnMut(&S) -> bool) -> Vec<S> {
        let counts = &self.shared.counts;
        self.shared.evict_free(|slot| {
            let guard = UndoOnDrop::new(counts, SlotCounts::remove_free);
            let evicted = evict(slot);
            guard.disarm();
            evicted
        })
    }

    /// Closes the pool and returns its idle slots, for the caller to free.
    ///
    /// Every slot ends up in exactly one place: either in the returned list, or dropped by
    /// its lease's release after the close. Dropping the pool closes it the same way and drops
    /// the idle slots.
    #[must_use = "unused idle slots are simply dropped; free them as they need (detach them, say)"]
    pub fn close(self) -> Vec<S> {
        self.shared.close()
    }

    fn lease(&self, slot: S) -> Lease<S> {
        Lease::new(slot, Arc::clone(&self.shared))
    }
}

impl<S: Send> Drop for Pool<S> {
    fn drop(&mut self) {
        // After `close` this finds nothing, or a slot a racing release pushed meanwhile.
        drop(self.shared.close());
    }
}

impl<S: Send> fmt::Debug for Pool<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("limit", &self.limit())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// Undoes a count change unless disarmed: keeps the counts right when caller code panics or
/// fails between two steps of an acquire.
struct UndoOnDrop<'a> {
    counts: &'a SlotCounts,
    undo: Option<fn(&SlotCounts)>,
}

impl<'a> UndoOnDrop<'a> {
    fn new(counts: &'a SlotCounts, undo: fn(&SlotCounts)) -> Self {
        Self {
            counts,
            undo: Some(undo),
        }
    }

    fn disarm(mut self) {
        self.undo = None;
    }
}

impl Drop for UndoOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(undo) = self.undo {
            undo(self.counts);
        }
    }
}
