//! Finalizing buffers and a bounded pool of reusable slots: the memory management under
//! zero-copy frames.
//!
//! # What it is for
//!
//! A zero-copy capture backend lends out memory it wants back: the X server writes pixels into
//! a shared-memory slot, the caller gets a frame pointing into that slot, and dropping the
//! frame, on whatever thread, must return the slot for the next grab. This crate provides
//! that mechanism and nothing screen-specific:
//!
//! - [`FinalizingBuffer`] owns a value, dereferences to it, and hands it to a [`ReleaseHook`]
//!   exactly once when dropped. Closures are hooks; backends may write their own.
//! - [`Pool`] owns reusable slots of any type `S` (the SHM backend's are memfd-backed mapped
//!   segments) and lends them out as [`Lease`]s, finalizing buffers whose hook returns the
//!   slot to its own pool.
//!
//! ```
//! use mss_buffer::{AcquireError, Pool};
//!
//! // Slots are plain byte buffers here; a backend would use mapped shared memory.
//! let pool: Pool<Vec<u8>> = Pool::new(2);
//! let needed = 1024;
//! let fits = |slot: &Vec<u8>| slot.len() >= needed;
//! let create = || Ok::<_, std::io::Error>(vec![0; needed]);
//!
//! let mut first = pool.acquire(fits, create, drop)?;
//! first[0] = 42; // A lease derefs to its slot.
//! let second = pool.acquire(fits, create, drop)?;
//! assert!(matches!(
//!     pool.acquire(fits, create, drop),
//!     Err(AcquireError::Exhausted { limit: 2 })
//! ));
//!
//! drop(first); // Back to the pool, from any thread.
//! let reused = pool.acquire(fits, create, drop)?;
//! assert_eq!(reused[0], 42, "the same slot came back, not a new one");
//! assert_eq!(pool.stats().live, 2);
//! # drop((second, reused));
//! # Ok::<(), AcquireError<std::io::Error>>(())
//! ```
//!
//! # Design choices
//!
//! - **Release is `Drop`.** The value lives in an `Option` that only `Drop` takes, so the hook
//!   runs exactly once without `unsafe`, and there is no way out of a buffer that skips it.
//! - **Bounded, lazy growth, then a clear error.** A pool creates slots only when no free one
//!   fits, up to its limit; at the limit with every slot leased, [`Pool::acquire`] returns
//!   [`AcquireError::Exhausted`] rather than blocking or growing without end (python-mss, the
//!   seed of this project, grows without bound and never shrinks). Room for a new slot is
//!   reserved with a compare-and-swap before the caller's creator runs, and given back if it
//!   fails.
//! - **The caller decides what fits and how to free.** `acquire` takes a predicate, a
//!   creator and a discard callback: free slots the predicate rejects are evicted to the
//!   callback (the SHM backend sends `ShmDetach` there). [`Pool::drain_free`] and
//!   [`Pool::close`] likewise hand idle slots to the caller. Slots the pool frees itself
//!   (when a lease comes back after the pool closed, or idle slots when the pool is dropped)
//!   are simply dropped, so `S`'s `Drop` must free what must never leak (unmap the memory).
//! - **No locks.** The free list is crossbeam's lock-free [`SegQueue`](crossbeam::queue::SegQueue),
//!   the counts are one atomic word. Releasing never waits for the owner or for another
//!   release, and the pool allocates nothing per slot up front, so a generous limit is free.
//!
//! # Reuse order
//!
//! Free slots are reused oldest first (FIFO), because that is what a lock-free queue gives.
//! python-mss scans its free list newest first (LIFO) so that, when every frame is dropped
//! before the next grab, it keeps reusing one slot and never touches the lazily backed memfd
//! pages of its second, pre-created slot. That reason does not carry over: this pool creates
//! no slot in advance, so a second slot exists only because two leases were once held at the
//! same time, and its pages were written then. Cycling through existing slots therefore
//! touches no new memory; what LIFO would add is cache warmth, which is negligible next to a
//! capture's round trip to the X server, and it would cost a lock or a far more delicate
//! lock-free stack. FIFO has a benefit too: a slot left too small by a screen resize reaches
//! the head of the queue and is evicted at the next acquire, rather than lingering.
//!
//! # Invariants
//!
//! - **Exactly-once release.** Every buffer's hook, and so every lease's return, runs once,
//!   on the thread that drops it.
//! - **A slot returns only to its own pool.** A lease holds its pool's shared state, not a
//!   reference to "a pool".
//! - **After close, releases drop.** Once the owner closed or dropped the pool, a returning
//!   slot is dropped, never pushed where nobody will take it. Every slot ends up either in a
//!   live pool, handed to the caller, or dropped; none is leaked and none is dropped twice.
//!   The race between a release and the close is argued where it is handled, in the private
//!   `give_back` function (`src/shared.rs`).
//! - **Consistent counts.** [`Pool::stats`] reads live and leased slots in one atomic load:
//!   `live == leased + free`, `leased <= live`, in every snapshot.
//! - **Bounded.** `live <= limit` at every instant, whatever the number of threads acquiring.
//!
//! # Thread safety
//!
//! Nothing here implements `Send` or `Sync` by hand; the auto traits follow the slot type.
//! [`Pool<S>`](Pool) is `Send + Sync` for `S: Send`, so it can be shared and used from
//! several threads. [`Lease<S>`](Lease) is `Send` for `S: Send` and `Sync` for
//! `S: Send + Sync`, so a frame holding one can cross threads and be dropped anywhere.
//! The crate contains no `unsafe` code.
#![forbid(unsafe_code)]

mod counts;
mod error;
mod finalizing;
mod lease;
mod pool;
mod shared;

pub use counts::PoolStats;
pub use error::AcquireError;
pub use finalizing::{FinalizingBuffer, ReleaseHook};
pub use lease::Lease;
pub use pool::Pool;
