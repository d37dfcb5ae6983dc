//! `grab_WxH`: full-screen grabs by each backend, beside their floors.
//!
//! - `shm`: `ShmCapture::grab` of the whole screen, frame dropped (slot back to the pool).
//! - `floor_shm_loop`: `ShmGetImage` of the whole screen into one reused segment, no frame.
//! - `memcpy`: one frame's bytes copied into a reused buffer (the cost of touching them once).
//! - `getimage`: `GetImageCapture::grab` of the whole screen, frame dropped.
//! - `floor_getimage_loop`: raw `GetImage` reply read and dropped.

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, Throughput};
use mss_bench::{BenchScreen, GetImageFloor, ShmFloor};
use mss_core::Capture as _;

pub fn bench(criterion: &mut Criterion, screen: &BenchScreen) {
    let size = screen.size();
    let region = size.region();
    let mut group = criterion.benchmark_group(format!("grab_{}", size.label()));
    group.throughput(Throughput::Bytes(size.frame_bytes() as u64));
    // Milliseconds per iteration: flat sampling keeps the sample count without the quadratic
    // iteration ramp of linear sampling.
    group.sampling_mode(SamplingMode::Flat);

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

    let source = vec![0x5Au8; size.frame_bytes()];
    let mut target = vec![0u8; size.frame_bytes()];
    group.bench_function("memcpy", |bencher| {
        bencher.iter(|| {
            target.copy_from_slice(black_box(&source));
            black_box(&mut target);
        });
    });
    drop((source, target));

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
