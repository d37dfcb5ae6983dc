//! `pool`: one lease and release of an mss-buffer pool slot, with no X server involved.
//!
//! - `lease_release`: acquire a free slot and drop the lease, on one thread.
//! - `lease_release_two_threads`: the same on two threads sharing one pool at once; one
//!   iteration is one lease and release on each thread (wall time).

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use mss_buffer::Pool;

use crate::threads::on_two_threads;

/// A slot as small as possible: the pool's own cost is what is measured, not the slot's.
type Slot = Box<[u8; 64]>;

fn lease_and_release(pool: &Pool<Slot>) {
    let lease = pool
        .acquire(|_| true, || Ok::<_, ()>(Box::new([0; 64])), drop)
        .expect("the pool has room: every lease is released before the next");
    drop(black_box(lease));
}

pub fn bench(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("pool");
    group.throughput(Throughput::Elements(1));

    let pool: Pool<Slot> = Pool::new(4);
    group.bench_function("lease_release", |bencher| {
        bencher.iter(|| lease_and_release(&pool));
    });

    let mut workers = [&pool, &pool];
    group.bench_function("lease_release_two_threads", |bencher| {
        bencher.iter_custom(|iterations| {
            on_two_threads(&mut workers, iterations, |pool| lease_and_release(pool))
        });
    });
    group.finish();
}
