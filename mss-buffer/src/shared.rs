//! The state a pool shares with its leases: the free list, the counts and the `closed` flag,
//! and the one delicate algorithm of the crate, returning a slot while the owner may be closing.

use std::sync::atomic::{self, AtomicBool, Ordering};

use crossbeam::queue::SegQueue;

use crate::counts::SlotCounts;

/// Lives in an `Arc` held by the [`Pool`](crate::Pool) and by every lease it handed out, so a
/// lease can outlive its pool.
#[derive(Debug)]
pub(crate) struct Shared<S> {
    /// Idle slots. A lock-free queue: a release on one thread never waits for an acquire or
    /// another release on another. Each slot in it is counted live and not leased.
    free: SegQueue<S>,
    pub(crate) counts: SlotCounts,
    /// Set once by the owner when it closes or drops the pool; never cleared.
    closed: AtomicBool,
    pub(crate) limit: usize,
}

impl<S> Shared<S> {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            free: SegQueue::new(),
            counts: SlotCounts::default(),
            closed: AtomicBool::new(false),
            limit,
        }
    }

    /// Takes the oldest idle slot, still counted live and not leased; the caller must then
    /// either lease it or forget it.
    pub(crate) fn pop_free(&self) -> Option<S> {
        self.free.pop()
    }

    /// Gives a leased slot back: onto the free list while the pool is open, dropped once it is
    /// closed.
    ///
    /// # Why no slot is stranded when this races with [`close`](Self::close)
    ///
    /// A slot pushed onto the free list after the owner's last look at it would stay there,
    /// unused and uncounted by anyone alive, until the last lease drops the shared state. So
    /// the releaser pushes, then issues a `SeqCst` fence, then reads `closed`; the owner sets
    /// `closed`, then issues a `SeqCst` fence, then drains the list. The two fences are ordered
    /// one before the other in the single total order of `SeqCst` operations:
    ///
    /// - If the releaser's fence comes first, the owner's drain, which follows its own fence,
    ///   sees the push (the queue's tail move happens before the releaser's fence), so the
    ///   owner takes the slot.
    /// - If the owner's fence comes first, the releaser's read of `closed`, which follows its
    ///   fence, sees `true` (the store happens before the owner's fence), so the releaser
    ///   drains the list itself and drops what it finds.
    ///
    /// Both may drain at once; the queue hands each slot to exactly one of them. No acquirer
    /// can take part: acquiring needs the pool, and closing consumes it. Should every argument
    /// above fail, dropping the shared state drops whatever the queue still holds, so a slot
    /// is never leaked, only freed later.
    pub(crate) fn give_back(&self, slot: S) {
        if self.closed.load(Ordering::SeqCst) {
            self.counts.remove_leased();
            drop(slot);
            return;
        }
        // Unlease before pushing: once pushed, an acquirer may lease the slot again, and it
        // must not be counted leased twice (which would let a snapshot show leased > live).
        self.counts.unlease();
        self.free.push(slot);
        atomic::fence(Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) {
            drop(self.drain_free());
        }
    }

    /// Takes every idle slot off the free list and stops counting them.
    pub(crate) fn drain_free(&self) -> Vec<S> {
        let mut drained = Vec::new();
        while let Some(slot) = self.free.pop() {
            self.counts.remove_free();
            drained.push(slot);
        }
        drained
    }

    /// Takes the idle slots `evict` picks off the free list (and stops counting them); the
    /// others go back on it, in their order.
    ///
    /// Each slot present when this starts is looked at once: the list's length is read first,
    /// and only that many slots are taken, so slots released meanwhile are left alone and the
    /// loop ends. A slot in hand here is counted live and not leased, exactly like one an
    /// acquirer is inspecting, so an acquirer that finds the list empty meanwhile waits for it
    /// rather than reporting the pool exhausted.
    pub(crate) fn evict_free(&self, mut evict: impl FnMut(&S) -> bool) -> Vec<S> {
        let mut evicted = Vec::new();
        for _ in 0..self.free.len() {
            let Some(slot) = self.free.pop() else {
                break;
            };
            if evict(&slot) {
                self.counts.remove_free();
                evicted.push(slot);
            } else {
                self.free.push(slot);
            }
        }
        evicted
    }

    /// Marks the pool closed, so that later releases drop their slot, and takes every idle
    /// slot. See [`give_back`](Self::give_back) for why the order matters.
    pub(crate) fn close(&self) -> Vec<S> {
        self.closed.store(true, Ordering::SeqCst);
        atomic::fence(Ordering::SeqCst);
        self.drain_free()
    }
}
