//! `two_threads_WxH`: two threads grabbing the whole first screen at once, each with its own
//! capturer (or floor). One iteration is one grab on *each* thread, so a time equal to the
//! single-thread `grab_WxH` figure means perfect scaling, and twice it means none.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use mss_bench::BenchScreen;
use mss_core::Capture as _;
use mss_floor::{GetImageFloor, ShmFloor};

/// Runs `work` `iterations` times on each of two threads at once, each on its own worker, and
/// returns the wall time until both are done.
pub fn on_two_threads<W: Send>(
    workers: &mut [W; 2],
    iterations: u64,
    work: impl Fn(&mut W) + Sync,
) -> Duration {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for worker in workers.iter_mut() {
            let work = &work;
            scope.spawn(move || {
                for _ in 0..iterations {
                    work(worker);
                }
            });
        }
    });
    start.elapsed()
}

pub fn bench(criterion: &mut Criterion, screen: &BenchScreen) {
    let size = screen.size();
    let region = size.region();
    let mut group = criterion.benchmark_group(format!("two_threads_{}", size.label()));
    group.throughput(Throughput::Bytes(2 * size.frame_bytes() as u64));
    group.sampling_mode(SamplingMode::Flat);

    let open_shm_floor = || ShmFloor::open(screen.display(), region).expect("SHM floor");
    let mut shm_floors = [open_shm_floor(), open_shm_floor()];
    group.bench_function("floor_shm_libxcb", |bencher| {
        bencher.iter_custom(|iterations| {
            on_two_threads(&mut shm_floors, iterations, |floor| {
                black_box(floor.grab().expect("ShmGetImage"));
            })
        });
    });
    drop(shm_floors);

    let open_shm = || screen.open_shm().expect("SHM capturer");
    let mut shm = [open_shm(), open_shm()];
    group.bench_function("shm", |bencher| {
        bencher.iter_custom(|iterations| {
            on_two_threads(&mut shm, iterations, |capture| {
                drop(black_box(capture.grab(region).expect("SHM grab")));
            })
        });
    });
    drop(shm);

    let open_getimage_floor =
        || GetImageFloor::open(screen.display(), region).expect("GetImage floor");
    let mut getimage_floors = [open_getimage_floor(), open_getimage_floor()];
    group.bench_function("floor_getimage_libxcb", |bencher| {
        bencher.iter_custom(|iterations| {
            on_two_threads(&mut getimage_floors, iterations, |floor| {
                drop(black_box(floor.grab().expect("GetImage")));
            })
        });
    });
    drop(getimage_floors);

    let open_getimage = || screen.open_getimage().expect("GetImage capturer");
    let mut getimage = [open_getimage(), open_getimage()];
    group.bench_function("getimage", |bencher| {
        bencher.iter_custom(|iterations| {
            on_two_threads(&mut getimage, iterations, |capture| {
                drop(black_box(capture.grab(region).expect("GetImage grab")));
            })
        });
    });
    group.finish();
}
