//! Random sequences of acquire, release, drain, eviction, close and drop, run against a pool and against
//! a plain model of it (a FIFO of free slot ids and a list of leases). After every step the
//! pool's counts, the ids it hands out and the set of slots still alive must match the model.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use mss_buffer::{AcquireError, Lease, Pool, PoolStats};
use proptest::prelude::*;
use proptest::sample::Index;

use crate::support::{Registry, Slot};

#[derive(Debug, Clone)]
enum Operation {
    /// Asks for a slot of at least `needed` bytes; the creator fails if `creation_fails`.
    Acquire { needed: usize, creation_fails: bool },
    /// Drops one of the live leases (if any).
    Release(Index),
    /// Drains the idle slots and drops them.
    Drain,
    /// Evicts the idle slots smaller than `below` bytes and drops them.
    EvictSmallerThan { below: usize },
    /// Closes the pool, checks the idle slots it returns, and drops them.
    Close,
    /// Drops the pool.
    DropPool,
}

fn operation() -> impl Strategy<Value = Operation> {
    // Closing and dropping end the interesting part of a run, so they are rare enough for
    // most runs to exercise the open pool for a few dozen steps first.
    prop_oneof![
        20 => (1usize..=4, prop::bool::weighted(0.15))
            .prop_map(|(needed, creation_fails)| Operation::Acquire { needed, creation_fails }),
        16 => any::<Index>().prop_map(Operation::Release),
        2 => Just(Operation::Drain),
        3 => (1usize..=4).prop_map(|below| Operation::EvictSmallerThan { below }),
        1 => Just(Operation::Close),
        1 => Just(Operation::DropPool),
    ]
}

/// What the pool should contain.
#[derive(Default)]
struct Model {
    /// Ids and sizes of free slots, oldest first.
    free: VecDeque<(usize, usize)>,
    /// The leases, which are real; the model only tracks them.
    leases: Vec<Lease<Slot>>,
}

struct Harness {
    registry: Arc<Registry>,
    limit: usize,
    /// `None` once closed or dropped.
    pool: Option<Pool<Slot>>,
    model: Model,
}

impl Harness {
    fn apply(&mut self, operation: Operation) {
        match operation {
            Operation::Acquire {
                needed,
                creation_fails,
            } => self.acquire(needed, creation_fails),
            Operation::Release(index) => self.release(index),
            Operation::Drain => {
                if let Some(pool) = &self.pool {
                    let drained = pool.drain_free();
                    self.expect_idle(drained);
                }
            }
            Operation::EvictSmallerThan { below } => {
                if let Some(pool) = &self.pool {
                    let evicted = pool.evict_free(|slot| slot.size < below);
                    let evicted_ids: Vec<usize> = evicted.iter().map(|slot| slot.id).collect();
                    let (expected, kept): (Vec<_>, Vec<_>) = self
                        .model
                        .free
                        .drain(..)
                        .partition(|(_, size)| *size < below);
                    self.model.free = kept.into();
                    let expected_ids: Vec<usize> = expected.iter().map(|(id, _)| *id).collect();
                    assert_eq!(evicted_ids, expected_ids, "evicted in order, the rest kept");
                    drop(evicted);
                    for id in expected_ids {
                        assert_eq!(
                            self.registry.drops_of(id),
                            1,
                            "evicted slot {id} dropped once"
                        );
                    }
                }
            }
            Operation::Close => {
                if let Some(pool) = self.pool.take() {
                    let idle = pool.close();
                    self.expect_idle(idle);
                }
            }
            Operation::DropPool => {
                if let Some(pool) = self.pool.take() {
                    let idle: Vec<usize> = self.model.free.drain(..).map(|(id, _)| id).collect();
                    drop(pool);
                    for id in idle {
                        assert_eq!(self.registry.drops_of(id), 1, "idle slot {id} not dropped");
                    }
                }
            }
        }
        self.check();
    }

    fn acquire(&mut self, needed: usize, creation_fails: bool) {
        let Some(pool) = &self.pool else { return };
        // The model: pop free slots oldest first until one fits, evicting the others.
        let mut expected_discarded = Vec::new();
        let mut expected_reuse = None;
        while let Some((id, size)) = self.model.free.pop_front() {
            if size >= needed {
                expected_reuse = Some(id);
                break;
            }
            expected_discarded.push(id);
        }
        let live = self.model.free.len() + self.model.leases.len();
        let next_id = self.registry.created();

        let mut discarded = Vec::new();
        let result = pool.acquire(
            |slot| slot.size >= needed,
            || {
                if creation_fails {
                    Err("creation failed")
                } else {
                    Ok(self.registry.create(needed))
                }
            },
            |slot| discarded.push(slot),
        );

        let discarded_ids: Vec<usize> = discarded.iter().map(|slot| slot.id).collect();
        assert_eq!(discarded_ids, expected_discarded);
        drop(discarded);
        match (result, expected_reuse) {
            (Ok(lease), Some(id)) => {
                assert_eq!(lease.id, id, "reused the wrong slot");
                self.model.leases.push(lease);
            }
            (Ok(lease), None) => {
                assert!(live < self.limit, "created past the limit");
                assert!(!creation_fails);
                assert_eq!(lease.id, next_id);
                assert_eq!(lease.size, needed);
                self.model.leases.push(lease);
            }
            (Err(AcquireError::Create("creation failed")), None) => {
                assert!(live < self.limit && creation_fails);
            }
            (Err(AcquireError::Exhausted { limit }), None) => {
                assert_eq!(limit, self.limit);
                assert_eq!(live, self.limit, "exhausted below the limit");
            }
            (other, expected_reuse) => {
                panic!("acquire gave {other:?}, expected reuse of {expected_reuse:?}")
            }
        }
    }

    fn release(&mut self, index: Index) {
        if self.model.leases.is_empty() {
            return;
        }
        let lease = self
            .model
            .leases
            .remove(index.index(self.model.leases.len()));
        let (id, size) = (lease.id, lease.size);
        drop(lease);
        if self.pool.is_some() {
            assert_eq!(self.registry.drops_of(id), 0);
            self.model.free.push_back((id, size));
        } else {
            assert_eq!(
                self.registry.drops_of(id),
                1,
                "late release must drop slot {id}"
            );
        }
    }

    /// Checks idle slots handed out by a drain or a close, then drops them.
    fn expect_idle(&mut self, idle: Vec<Slot>) {
        let ids: Vec<usize> = idle.iter().map(|slot| slot.id).collect();
        let expected: Vec<usize> = self.model.free.drain(..).map(|(id, _)| id).collect();
        assert_eq!(ids, expected);
    }

    fn check(&self) {
        let free = self.model.free.len();
        let leased = self.model.leases.len();
        if let Some(pool) = &self.pool {
            let PoolStats {
                live,
                leased: pool_leased,
                free: pool_free,
                ..
            } = pool.stats();
            assert_eq!(
                (live, pool_leased, pool_free),
                (leased + free, leased, free)
            );
            assert!(live <= pool.limit());
        }
        let lease_ids: BTreeSet<usize> = self.model.leases.iter().map(|lease| lease.id).collect();
        assert_eq!(lease_ids.len(), leased, "one slot held by two leases");
        let mut expected_alive = lease_ids;
        expected_alive.extend(self.model.free.iter().map(|&(id, _)| id));
        assert_eq!(
            self.registry.alive(),
            expected_alive,
            "slots alive must be exactly the free and leased ones"
        );
    }
}

proptest! {
    #[test]
    fn pool_matches_its_model(
        limit in 0usize..=5,
        operations in prop::collection::vec(operation(), 0..80),
    ) {
        let registry = Registry::new();
        let mut harness = Harness {
            registry: Arc::clone(&registry),
            limit,
            pool: Some(Pool::new(limit)),
            model: Model::default(),
        };
        for operation in operations {
            harness.apply(operation);
        }
        drop(harness);
        registry.assert_each_dropped_once();
    }
}
