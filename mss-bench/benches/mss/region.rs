//! `region_640x480`: a 640x480 region of the first screen, by each backend beside its floor
//! (same ids as `grab_*`, so the same pairs apply).

use std::hint::black_box;

use criterion::{Criterion, Throughput};
use mss_bench::{BenchScreen, GetImageFloor, ShmFloor};
use mss_core::{Capture as _, Region};

pub fn bench(criterion: &mut Criterion, screen: &BenchScreen, region: Region) {
    let mut group =
        criterion.benchmark_group(format!("region_{}x{}", region.width(), region.height()));
    group.throughput(Throughput::Bytes(region.area() * 4));

    let shm_floor = ShmFloor::open(screen.display(), region).expect("SHM floor");
    group.bench_function("floor_shm_loop", |bencher| {
        bencher.iter(|| black_box(shm_floor.grab().expect("ShmGetImage")));
    });
    drop(shm_floor);

    let mut shm = screen.open_shm().expect("SHM capturer");
    group.bench_function("shm", |bencher| {
        bencher.iter(|| drop(black_box(shm.grab(region).expect("SHM grab"))));
    });
    drop(shm);

    let getimage_floor = GetImageFloor::open(screen.display(), region).expect("GetImage floor");
    group.bench_function("floor_getimage_loop", |bencher| {
        bencher.iter(|| drop(black_box(getimage_floor.grab().expect("GetImage"))));
    });
    drop(getimage_floor);

    let mut getimage = screen.open_getimage().expect("GetImage capturer");
    group.bench_function("getimage", |bencher| {
        bencher.iter(|| drop(black_box(getimage.grab(region).expect("GetImage grab"))));
    });
    group.finish();
}
