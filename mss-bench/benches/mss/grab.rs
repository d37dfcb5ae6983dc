//! `grab_WxH`: full-screen grabs by each backend, beside their floors.
//!
//! - `shm`: `ShmCapture::grab` of the whole screen, frame dropped (slot back to the pool).
//! - `floor_shm_loop`: `ShmGetImage` of the whole screen into one reused segment, no frame.
//! - `memcpy`: one frame's bytes copied into a reused buffer (the cost of touching them once).
//! - `getimage`: `GetImageCapture::grab` of the whole screen, frame dropped.
//! - `floor_getimage_loop`: raw `GetImage` reply read and dropped.
//!
//! Each backend and its floor are timed alternately ([`interleaved`]), so their ratio does not
//! depend on which ran first; the pair's totals over both benchmarks give the paired ratio.

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, Throughput};
use mss_bench::{BenchScreen, GetImageFloor, ShmFloor};
use mss_core::{Capture as _, Region};

use crate::interleave::{Side, interleaved};

pub fn bench(criterion: &mut Criterion, screen: &BenchScreen) {
    let size = screen.size();
    let group_name = format!("grab_{}", size.label());
    let mut group = criterion.benchmark_group(&group_name);
    group.throughput(Throughput::Bytes(size.frame_bytes() as u64));
    // Milliseconds per iteration: flat sampling keeps the sample count without the quadratic
    // iteration ramp of linear sampling.
    group.sampling_mode(SamplingMode::Flat);
    grab_pairs(&mut group, &group_name, screen, size.region());

    let source = vec![0x5Au8; size.frame_bytes()];
    let mut target = vec![0u8; size.frame_bytes()];
    group.bench_function("memcpy", |bencher| {
        bencher.iter(|| {
            target.copy_from_slice(black_box(&source));
            black_box(&mut target);
        });
    });
    group.finish();
}

/// The four pair benchmarks of `region`: `floor_shm_loop` and `shm`, then
/// `floor_getimage_loop` and `getimage`, each pair timed alternately.
pub fn grab_pairs(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    group_name: &str,
    screen: &BenchScreen,
    region: Region,
) {
    let shm_pair = format!("{group_name}/shm vs floor_shm_loop");
    let getimage_pair = format!("{group_name}/getimage vs floor_getimage_loop");
    let shm_floor = ShmFloor::open(screen.display(), region).expect("SHM floor");
    let mut shm = screen.open_shm().expect("SHM capturer");
    let mut floor_grab = || {
        black_box(shm_floor.grab().expect("ShmGetImage"));
    };
    group.bench_function("floor_shm_loop", |bencher| {
        interleaved(bencher, &shm_pair, Side::Reference, &mut floor_grab, || {
            drop(black_box(shm.grab(region).expect("SHM grab")));
        });
    });
    group.bench_function("shm", |bencher| {
        interleaved(
            bencher,
            &shm_pair,
            Side::Subject,
            || drop(black_box(shm.grab(region).expect("SHM grab"))),
            &mut floor_grab,
        );
    });
    drop((shm, shm_floor));

    let getimage_floor = GetImageFloor::open(screen.display(), region).expect("GetImage floor");
    let mut getimage = screen.open_getimage().expect("GetImage capturer");
    let mut floor_grab = || drop(black_box(getimage_floor.grab().expect("GetImage")));
    group.bench_function("floor_getimage_loop", |bencher| {
        interleaved(
            bencher,
            &getimage_pair,
            Side::Reference,
            &mut floor_grab,
            || {
                drop(black_box(getimage.grab(region).expect("GetImage grab")));
            },
        );
    });
    group.bench_function("getimage", |bencher| {
        interleaved(
            bencher,
            &getimage_pair,
            Side::Subject,
            || drop(black_box(getimage.grab(region).expect("GetImage grab"))),
            &mut floor_grab,
        );
    });
}
