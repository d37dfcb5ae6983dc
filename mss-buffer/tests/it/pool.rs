//! The pool's rules one at a time: growth, the limit, eviction of slots that do not fit,
//! creation failures, releases after close, and which pool a slot returns to.

use std::error::Error as _;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use mss_buffer::{AcquireError, Lease, Pool, PoolStats};
use rstest::rstest;

use crate::support::{Registry, Slot};

/// The creator's error in these tests.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("no memory for a slot of {0} bytes")]
struct CreateFailed(usize);

/// Acquires a slot of at least `size`, creating one of exactly `size` if needed; discarded
/// slots are dropped.
fn acquire(pool: &Pool<Slot>, registry: &Arc<Registry>, size: usize) -> Lease<Slot> {
    try_acquire(pool, registry, size).expect("the pool has room")
}

fn try_acquire(
    pool: &Pool<Slot>,
    registry: &Arc<Registry>,
    size: usize,
) -> Result<Lease<Slot>, AcquireError<CreateFailed>> {
    pool.acquire(|slot| slot.size >= size, || Ok(registry.create(size)), drop)
}

fn stats(live: usize, leased: usize) -> (usize, usize, usize) {
    (live, leased, live - leased)
}

fn counts(pool: &Pool<Slot>) -> (usize, usize, usize) {
    let PoolStats {
        live, leased, free, ..
    } = pool.stats();
    (live, leased, free)
}

#[rstest]
#[case::one_slot(1)]
#[case::two_slots(2)]
#[case::five_slots(5)]
fn grows_lazily_to_the_limit_then_fails_until_a_release(#[case] limit: usize) {
    let registry = Registry::new();
    let pool = Pool::new(limit);
    assert_eq!(pool.limit(), limit);
    assert_eq!(counts(&pool), stats(0, 0), "a new pool holds no slot");

    let mut leases: Vec<_> = (0..limit)
        .map(|held| {
            let lease = acquire(&pool, &registry, 8);
            assert_eq!(counts(&pool), stats(held + 1, held + 1));
            lease
        })
        .collect();
    let error = try_acquire(&pool, &registry, 8).unwrap_err();
    assert!(
        matches!(error, AcquireError::Exhausted { limit: reported } if reported == limit),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "all {limit} slots of the pool are leased and it may not grow further; drop a lease or raise the limit"
        )
    );
    assert_eq!(registry.created(), limit, "no slot created past the limit");

    let returned_id = leases.pop().unwrap().id;
    assert_eq!(counts(&pool), stats(limit, limit - 1));
    let lease = acquire(&pool, &registry, 8);
    assert_eq!(lease.id, returned_id, "the released slot is reused");
    assert_eq!(registry.created(), limit, "reuse creates nothing");
}

#[test]
fn a_zero_limit_never_creates() {
    let pool = Pool::<Slot>::new(0);
    let error = pool
        .acquire(
            |_| true,
            || -> Result<Slot, CreateFailed> { panic!("must not create") },
            drop,
        )
        .unwrap_err();
    assert!(
        matches!(error, AcquireError::Exhausted { limit: 0 }),
        "{error:?}"
    );
}

#[test]
fn limits_beyond_the_counters_are_reduced() {
    let pool = Pool::<Slot>::new(usize::MAX);
    assert_eq!(pool.limit(), Pool::<Slot>::MAX_LIMIT);
    assert_eq!(Pool::<Slot>::MAX_LIMIT, u32::MAX as usize);
}

/// Free slots of `free_sizes` (released in that order), then a request for `needed` bytes.
#[rstest]
#[case::first_fits(&[8, 4], 8, &[], Some(0))]
#[case::too_small_evicted_oldest_first(&[2, 4, 8, 16], 8, &[0, 1], Some(2))]
#[case::none_fits_so_all_evicted_and_one_created(&[2, 4], 8, &[0, 1], None)]
#[case::exact_fit(&[8], 8, &[], Some(0))]
fn slots_that_do_not_fit_go_to_the_discard_callback(
    #[case] free_sizes: &[usize],
    #[case] needed: usize,
    #[case] expected_discarded: &[usize],
    #[case] expected_reused: Option<usize>,
) {
    let registry = Registry::new();
    let pool = Pool::new(4);
    let leases: Vec<_> = free_sizes
        .iter()
        .map(|&size| acquire(&pool, &registry, size))
        .collect();
    drop(leases);
    assert_eq!(counts(&pool), stats(free_sizes.len(), 0));

    let mut discarded = Vec::new();
    let lease = pool
        .acquire(
            |slot| slot.size >= needed,
            || Ok::<_, CreateFailed>(registry.create(needed)),
            |slot| discarded.push(slot),
        )
        .unwrap();

    let discarded_ids: Vec<usize> = discarded.iter().map(|slot| slot.id).collect();
    assert_eq!(discarded_ids, expected_discarded);
    assert!(
        discarded_ids.iter().all(|&id| registry.drops_of(id) == 0),
        "discarded slots are the caller's to free, not dropped by the pool"
    );
    let expected_id = expected_reused.unwrap_or(free_sizes.len());
    assert_eq!(lease.id, expected_id);
    assert_eq!(
        counts(&pool),
        stats(
            free_sizes.len() - discarded.len() + usize::from(expected_reused.is_none()),
            1
        ),
        "discarded slots stop counting"
    );
}

#[test]
fn a_failed_creation_gives_the_reserved_room_back() {
    let registry = Registry::new();
    let pool = Pool::new(2);
    let held = acquire(&pool, &registry, 8);
    let error = pool
        .acquire(|_| false, || Err(CreateFailed(64)), drop)
        .unwrap_err();
    assert!(
        matches!(error, AcquireError::Create(CreateFailed(64))),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the pool had room for a new slot, but creating it failed"
    );
    assert_eq!(
        error.source().unwrap().to_string(),
        "no memory for a slot of 64 bytes"
    );
    assert_eq!(
        counts(&pool),
        stats(1, 1),
        "the reservation was rolled back"
    );

    // The room is really back: the pool can still reach its limit.
    let second = acquire(&pool, &registry, 8);
    assert_eq!(counts(&pool), stats(2, 2));
    drop((held, second));
}

#[test]
fn panicking_caller_code_leaves_the_counts_right() {
    let registry = Registry::new();
    let pool = Pool::new(2);
    drop(acquire(&pool, &registry, 8));

    let panicked = panic::catch_unwind(AssertUnwindSafe(|| {
        pool.acquire(
            |_| panic!("predicate bug"),
            || Ok::<_, CreateFailed>(registry.create(8)),
            drop,
        )
    }));
    assert!(panicked.is_err());
    assert_eq!(
        counts(&pool),
        stats(0, 0),
        "the inspected slot is no longer counted"
    );
    assert_eq!(registry.drops_of(0), 1, "and it was dropped, not leaked");

    let panicked = panic::catch_unwind(AssertUnwindSafe(|| {
        pool.acquire(
            |_| true,
            || -> Result<Slot, CreateFailed> { panic!("creator bug") },
            drop,
        )
    }));
    assert!(panicked.is_err());
    assert_eq!(
        counts(&pool),
        stats(0, 0),
        "the reservation was rolled back"
    );

    let leases = [acquire(&pool, &registry, 8), acquire(&pool, &registry, 8)];
    assert_eq!(
        counts(&pool),
        stats(2, 2),
        "the full limit is still available"
    );
    drop(leases);
}

#[test]
fn drain_takes_idle_slots_and_leased_ones_later() {
    let registry = Registry::new();
    let pool = Pool::new(3);
    let held = acquire(&pool, &registry, 8);
    drop([acquire(&pool, &registry, 8), acquire(&pool, &registry, 8)]);

    let drained: Vec<usize> = pool.drain_free().iter().map(|slot| slot.id).collect();
    assert_eq!(drained, [1, 2]);
    assert_eq!(counts(&pool), stats(1, 1));

    drop(held);
    assert_eq!(
        counts(&pool),
        stats(1, 0),
        "a lease still returns after a drain"
    );
    let drained: Vec<usize> = pool.drain_free().iter().map(|slot| slot.id).collect();
    assert_eq!(drained, [0]);
    assert_eq!(counts(&pool), stats(0, 0));
    registry.assert_each_dropped_once();
}

#[test]
fn eviction_takes_the_idle_slots_picked_and_keeps_the_rest_in_order() {
    let registry = Registry::new();
    let pool = Pool::new(5);
    let held = acquire(&pool, &registry, 2);
    let sizes = [4, 1, 5, 1];
    let idle: Vec<_> = sizes
        .iter()
        .map(|&size| {
            pool.acquire(
                |_| false,
                || Ok::<_, CreateFailed>(registry.create(size)),
                drop,
            )
            .unwrap()
        })
        .collect();
    drop(idle);
    assert_eq!(counts(&pool), stats(5, 1));

    let evicted: Vec<usize> = pool
        .evict_free(|slot| slot.size < 2)
        .iter()
        .map(|slot| slot.id)
        .collect();
    assert_eq!(evicted, [2, 4], "the small idle slots, oldest first");
    assert_eq!(
        counts(&pool),
        stats(3, 1),
        "the leased slot is not looked at"
    );
    // The kept ones are reused in their old order.
    let first = acquire(&pool, &registry, 1);
    let second = acquire(&pool, &registry, 1);
    assert_eq!((first.id, second.id), (1, 3));
    drop((first, second, held));
    assert!(pool.evict_free(|_| false).is_empty());
    assert_eq!(counts(&pool), stats(3, 0));
    drop(pool);
    registry.assert_each_dropped_once();
}

#[test]
fn a_panicking_eviction_test_leaves_the_counts_right() {
    let registry = Registry::new();
    let pool = Pool::new(3);
    drop([acquire(&pool, &registry, 1), acquire(&pool, &registry, 1)]);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let _ = pool.evict_free(|_| panic!("the caller's test failed"));
    }));
    assert!(outcome.is_err());
    // The slot being looked at was dropped by the unwinding; the other stays, counted.
    assert_eq!(counts(&pool), stats(1, 0));
    assert_eq!(acquire(&pool, &registry, 1).id, 1);
    drop(pool);
    registry.assert_each_dropped_once();
}

#[rstest]
#[case::dropped(false)]
#[case::closed(true)]
fn releases_after_the_owner_is_gone_drop_the_slot(#[case] close_explicitly: bool) {
    let registry = Registry::new();
    let pool = Pool::new(3);
    let mut held = acquire(&pool, &registry, 8);
    drop(acquire(&pool, &registry, 8));

    let idle: Vec<Slot> = if close_explicitly {
        let idle = pool.close();
        assert_eq!(idle.iter().map(|slot| slot.id).collect::<Vec<_>>(), [1]);
        assert_eq!(
            registry.drops_of(1),
            0,
            "closing hands idle slots to the caller"
        );
        idle
    } else {
        drop(pool);
        assert_eq!(
            registry.drops_of(1),
            1,
            "dropping the pool drops its idle slots"
        );
        Vec::new()
    };

    held.size = 99;
    assert_eq!(held.size, 99, "a lease stays usable after its pool is gone");
    assert_eq!(registry.drops_of(0), 0);
    drop(held);
    assert_eq!(registry.drops_of(0), 1, "the late release dropped the slot");
    assert_eq!(registry.alive().len(), idle.len());
    drop(idle);
    registry.assert_each_dropped_once();
}

#[test]
fn each_slot_returns_to_its_own_pool() {
    let registry = Registry::new();
    let first_pool = Pool::new(1);
    let second_pool = Pool::new(1);
    let from_first = acquire(&first_pool, &registry, 8);
    let from_second = acquire(&second_pool, &registry, 8);
    let (first_id, second_id) = (from_first.id, from_second.id);

    // Released in the crossed order, and on another thread.
    thread::spawn(move || drop((from_second, from_first)))
        .join()
        .unwrap();
    assert_eq!(counts(&first_pool), stats(1, 0));
    assert_eq!(counts(&second_pool), stats(1, 0));
    assert_eq!(acquire(&first_pool, &registry, 8).id, first_id);
    assert_eq!(acquire(&second_pool, &registry, 8).id, second_id);
    assert_eq!(registry.created(), 2);
}

#[test]
fn concurrent_acquirers_never_exceed_the_limit() {
    const THREADS: usize = 8;
    const LIMIT: usize = 3;
    let registry = Registry::new();
    let pool = Pool::new(LIMIT);
    let all_tried = Barrier::new(THREADS);
    let outcomes: Vec<bool> = thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    // A slow creator keeps reservations open while the others try.
                    let result = pool.acquire(
                        |_| true,
                        || {
                            thread::sleep(Duration::from_millis(20));
                            Ok::<_, CreateFailed>(registry.create(8))
                        },
                        drop,
                    );
                    assert!(pool.stats().live <= LIMIT);
                    // Hold every lease until every thread has tried.
                    all_tried.wait();
                    match result {
                        Ok(_lease) => true,
                        Err(AcquireError::Exhausted { limit: LIMIT }) => false,
                        Err(other) => panic!("unexpected {other:?}"),
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap())
            .collect()
    });
    assert_eq!(outcomes.iter().filter(|&&won| won).count(), LIMIT);
    assert_eq!(registry.created(), LIMIT);
    assert_eq!(counts(&pool), stats(LIMIT, 0));
}
