//! Many threads at once: acquirers send their leases through a channel to dropper threads, so
//! slots are released on other threads than the one that took them, and the owner closes the
//! pool while releases are still in flight; idle slots are evicted meanwhile. Afterwards every slot created must have been
//! dropped exactly once.

use std::sync::{Arc, Barrier};
use std::thread;

use crossbeam::channel;
use mss_buffer::{AcquireError, Lease, Pool};
use rstest::rstest;

use crate::support::{Registry, Slot};

const ACQUIRERS: usize = 8;
const DROPPERS: usize = 3;
const ACQUIRES_PER_THREAD: usize = 1000;
const LIMIT: usize = 6;

/// One round: returns the pool if it was not closed, for the caller to inspect.
fn run_round(registry: &Arc<Registry>, close_mid_flight: bool) -> Option<Pool<Slot>> {
    let pool: Pool<Slot> = Pool::new(LIMIT);
    let (sender, receiver) = channel::bounded::<Lease<Slot>>(4);
    let droppers: Vec<_> = (0..DROPPERS)
        .map(|_| {
            let receiver = receiver.clone();
            let registry = Arc::clone(registry);
            thread::spawn(move || {
                for lease in receiver {
                    // Give the owner a chance to close while this lease is still held.
                    thread::yield_now();
                    registry.mark_returned(lease.id);
                    drop(lease);
                }
            })
        })
        .collect();

    thread::scope(|scope| {
        for thread_number in 0..ACQUIRERS {
            let (pool, sender) = (&pool, sender.clone());
            scope.spawn(move || {
                for round in 0..ACQUIRES_PER_THREAD {
                    // Varying sizes make slots get evicted and replaced, too.
                    let needed = 1 + (thread_number + round) % 3;
                    let creation_fails = (thread_number * 31 + round) % 17 == 0;
                    let result = pool.acquire(
                        |slot| slot.size >= needed,
                        || {
                            if creation_fails {
                                Err("no memory")
                            } else {
                                Ok(registry.create(needed))
                            }
                        },
                        drop,
                    );
                    let stats = pool.stats();
                    assert!(
                        stats.leased <= stats.live && stats.live <= LIMIT,
                        "{stats:?}"
                    );
                    // Now and then, evict the largest idle slots while others acquire and
                    // release around us.
                    if round % 50 == thread_number {
                        drop(pool.evict_free(|slot| slot.size == 3));
                    }
                    match result {
                        Ok(lease) => {
                            registry.mark_leased(lease.id);
                            assert!(lease.size >= needed);
                            if round % 4 == 0 {
                                registry.mark_returned(lease.id);
                                drop(lease);
                            } else {
                                sender.send(lease).unwrap();
                            }
                        }
                        Err(AcquireError::Exhausted { limit: LIMIT }) => thread::yield_now(),
                        Err(AcquireError::Create("no memory")) => {}
                        Err(other) => panic!("unexpected {other:?}"),
                    }
                }
            });
        }
    });
    drop(sender);

    // The droppers may still hold leases here; closing now races with their releases.
    let pool = if close_mid_flight {
        drop(pool.close());
        None
    } else {
        Some(pool)
    };
    for dropper in droppers {
        dropper.join().unwrap();
    }
    pool
}

#[rstest]
#[case::closed_mid_flight(true)]
#[case::kept_open(false)]
fn every_slot_is_dropped_exactly_once(#[case] close_mid_flight: bool) {
    for _ in 0..10 {
        let registry = Registry::new();
        let pool = run_round(&registry, close_mid_flight);
        if let Some(pool) = pool {
            let stats = pool.stats();
            assert_eq!((stats.leased, stats.free), (0, stats.live), "{stats:?}");
            let drained = pool.drain_free();
            assert_eq!(drained.len(), stats.live);
            assert_eq!(pool.stats().live, 0);
            drop((drained, pool));
        }
        assert!(registry.created() >= LIMIT);
        registry.assert_each_dropped_once();
    }
}

/// The close and a crowd of releases start at the same barrier, many times over, so that
/// releases land before, during and after the owner's drain.
#[test]
fn releases_racing_the_close_neither_leak_nor_double_drop() {
    const LEASES: usize = 6;
    for _ in 0..1500 {
        let registry = Registry::new();
        let pool = Pool::new(LEASES + 1);
        let mut leases: Vec<Lease<Slot>> = (0..=LEASES)
            .map(|_| {
                pool.acquire(|_| true, || Ok::<_, ()>(registry.create(1)), drop)
                    .unwrap()
            })
            .collect();
        // One lease stays held past the checks, keeping the pool's shared state alive: a
        // slot stranded on a closed pool's free list would then show up as alive.
        let kept = leases.pop().unwrap();
        let start = Arc::new(Barrier::new(LEASES + 1));
        let releasers: Vec<_> = leases
            .into_iter()
            .map(|lease| {
                let start = Arc::clone(&start);
                thread::spawn(move || {
                    start.wait();
                    drop(lease);
                })
            })
            .collect();
        start.wait();
        let idle = pool.close();
        let idle_ids: Vec<usize> = idle.iter().map(|slot| slot.id).collect();
        for releaser in releasers {
            releaser.join().unwrap();
        }
        // Slots the close returned are alive until we drop them; every other one was dropped
        // by its releaser.
        let alive: Vec<usize> = registry.alive().into_iter().collect();
        let mut expected_alive = idle_ids.clone();
        expected_alive.push(kept.id);
        expected_alive.sort_unstable();
        assert_eq!(alive, expected_alive);
        drop((idle, kept));
        registry.assert_each_dropped_once();
    }
}

/// Threads fighting over a single slot: each release hands it straight to another thread, the
/// moment where a wrong order of counting and pushing would count it leased twice.
#[test]
fn snapshots_stay_consistent_while_one_slot_changes_hands() {
    const THREADS: usize = 4;
    const ROUNDS: usize = 5_000;
    let registry = Registry::new();
    let pool: Pool<Slot> = Pool::new(1);
    thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..ROUNDS {
                    let result = pool.acquire(|_| true, || Ok::<_, ()>(registry.create(1)), drop);
                    let stats = pool.stats();
                    assert!(stats.leased <= stats.live && stats.live <= 1, "{stats:?}");
                    match result {
                        Ok(lease) => {
                            registry.mark_leased(lease.id);
                            registry.mark_returned(lease.id);
                        }
                        Err(AcquireError::Exhausted { limit: 1 }) => {}
                        Err(other) => panic!("unexpected {other:?}"),
                    }
                }
            });
        }
    });
    assert_eq!(
        registry.created(),
        1,
        "the one slot was reused, never recreated"
    );
    let stats = pool.stats();
    assert_eq!((stats.live, stats.leased, stats.free), (1, 0, 1));
    drop(pool);
    registry.assert_each_dropped_once();
}
