//! The pool's slot counters, packed into one atomic word so that every snapshot is consistent.

use std::sync::atomic::{AtomicU64, Ordering};

/// One live slot, in the high half of the packed word.
const LIVE_ONE: u64 = 1 << 32;
/// One leased slot, in the low half of the packed word.
const LEASED_ONE: u64 = 1;
/// Each half holds a count up to this.
const HALF_MAX: u64 = u32::MAX as u64;

/// The largest limit a pool accepts: each count must fit in half of a 64-bit word.
pub(crate) const MAX_LIMIT: usize = u32::MAX as usize;

/// A consistent snapshot of a pool's slot counts, from [`Pool::stats`](crate::Pool::stats).
///
/// `live == leased + free` always holds, and `live` never exceeds the pool's limit. Both
/// counts are read in one atomic load, so a snapshot never shows a slot twice or a negative
/// number of free slots, even while other threads acquire and release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PoolStats {
    /// Slots that exist and belong to the pool: leased plus free. A slot being created for an
    /// acquirer counts from the moment its place is reserved.
    pub live: usize,
    /// Slots held by live leases (or being created for one).
    pub leased: usize,
    /// Idle slots waiting for reuse, including one that an acquirer or a returning lease is
    /// moving into or out of the free list at this instant.
    pub free: usize,
}

/// Live and leased slot counts in one `AtomicU64`: live in the high 32 bits, leased in the low
/// 32 bits.
///
/// Every transition that changes both counts does so in one atomic operation, and leased is
/// raised only after live (or together with it) and lowered before it (or together with it),
/// so `leased <= live` holds in every value the word ever takes. Both halves stay within
/// `0..=limit <= u32::MAX`, so no operation carries or borrows across the halves.
///
/// All operations are `SeqCst`: they happen once per acquire or release, next to a system
/// call and a round trip to the X server, so the simplest ordering costs nothing measurable.
#[derive(Debug, Default)]
pub(crate) struct SlotCounts {
    word: AtomicU64,
}

impl SlotCounts {
    /// Both counts, read together.
    pub(crate) fn snapshot(&self) -> PoolStats {
        unpack(self.word.load(Ordering::SeqCst))
    }

    /// Counts a slot about to be created for an acquirer as live and leased, if fewer than
    /// `limit` slots are live. On failure returns the counts that made it fail.
    ///
    /// This compare-and-swap is what keeps concurrent acquirers from creating more than
    /// `limit` slots: the place is taken before the creator runs.
    pub(crate) fn try_reserve(&self, limit: usize) -> Result<(), PoolStats> {
        self.word
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |word| {
                // Lazily: at the largest limit the sum would overflow if computed regardless.
                (unpack(word).live < limit).then(|| word + LIVE_ONE + LEASED_ONE)
            })
            .map(drop)
            .map_err(unpack)
    }

    /// Forgets a leased slot: its creation failed, or it was released after the pool closed.
    pub(crate) fn remove_leased(&self) {
        self.word.fetch_sub(LIVE_ONE + LEASED_ONE, Ordering::SeqCst);
    }

    /// Counts a slot taken from the free list as leased.
    pub(crate) fn lease_free_slot(&self) {
        self.word.fetch_add(LEASED_ONE, Ordering::SeqCst);
    }

    /// Counts a leased slot as free again. Called before the slot is pushed onto the free
    /// list, so that no acquirer can count it as leased while this lease still does.
    pub(crate) fn unlease(&self) {
        self.word.fetch_sub(LEASED_ONE, Ordering::SeqCst);
    }

    /// Forgets a free slot that was taken off the free list for good (discarded, drained).
    pub(crate) fn remove_free(&self) {
        self.word.fetch_sub(LIVE_ONE, Ordering::SeqCst);
    }
}

fn unpack(word: u64) -> PoolStats {
    let live = (word >> 32) as usize;
    let leased = (word & HALF_MAX) as usize;
    debug_assert!(leased <= live, "{leased} leased of {live} live slots");
    PoolStats {
        live,
        leased,
        free: live.saturating_sub(leased),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(counts: &SlotCounts, live: usize, leased: usize) {
        assert_eq!(
            counts.snapshot(),
            PoolStats {
                live,
                leased,
                free: live - leased
            }
        );
    }

    #[test]
    fn transitions_move_the_right_halves() {
        let counts = SlotCounts::default();
        check(&counts, 0, 0);
        counts.try_reserve(2).unwrap();
        counts.try_reserve(2).unwrap();
        check(&counts, 2, 2);
        assert_eq!(
            counts.try_reserve(2),
            Err(PoolStats {
                live: 2,
                leased: 2,
                free: 0
            })
        );
        counts.unlease();
        check(&counts, 2, 1);
        counts.lease_free_slot();
        counts.unlease();
        counts.remove_free();
        check(&counts, 1, 1);
        counts.remove_leased();
        check(&counts, 0, 0);
    }

    #[test]
    fn halves_hold_the_largest_limit_without_carrying() {
        let counts = SlotCounts {
            word: AtomicU64::new((HALF_MAX << 32) | (HALF_MAX - 1)),
        };
        assert!(counts.try_reserve(MAX_LIMIT).is_err());
        counts.lease_free_slot();
        check(&counts, MAX_LIMIT, MAX_LIMIT);
        counts.remove_leased();
        check(&counts, MAX_LIMIT - 1, MAX_LIMIT - 1);
        assert!(
            counts.try_reserve(0).is_err(),
            "a limit of zero admits nothing"
        );
    }
}
