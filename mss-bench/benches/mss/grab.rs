//! `grab_WxH`: full-screen grabs by each backend, beside their floors.
//!
//! - `shm`: `ShmCapture::grab` of the whole screen, frame dropped (slot back to the pool).
//! - `floor_shm_libxcb`: `ShmGetImage` of the whole screen into one reused segment over libxcb
//!   (`mss_floor::ShmFloor`), no frame.
//! - `memcpy`: one frame's bytes copied into a reused buffer (the cost of touching them once;
//!   `MemcpyFloor`).
//! - `getimage`: `GetImageCapture::grab` of the whole screen, frame dropped (its default
//!   connection: libxcb, loaded at run time).
//! - `getimage_pure_rust`: the same over x11rb's pure-Rust connection, the fallback where libxcb
//!   cannot be loaded; it shows why libxcb is the default.
//! - `floor_getimage_libxcb`: a `GetImage` loop over libxcb (`mss_floor::GetImageFloor`),
//!   reply freed.
//!
//! Each backend and its floor are timed alternately ([`interleaved`]), so their ratio does not
//! depend on which ran first; the pair's totals over both benchmarks give the paired ratio.

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, Throughput};
use mss_bench::BenchScreen;
use mss_core::{Capture as _, Region};
use mss_floor::{GetImageFloor, MemcpyFloor, ShmFloor};

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
    let mut memcpy = MemcpyFloor::new(size.frame_bytes());
    group.bench_function("memcpy", |bencher| {
        bencher.iter(|| memcpy.copy(&source));
    });
    group.finish();
}

/// Benchmarks `reference` then `subject` in `group`, each timed alternately with the other
/// ([`interleaved`]), their totals kept under `group_name/subject vs reference`.
pub fn alternate(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    group_name: &str,
    (subject_id, mut subject): (&str, impl FnMut()),
    (reference_id, mut reference): (&str, impl FnMut()),
) {
    let pair = format!("{group_name}/{subject_id} vs {reference_id}");
    group.bench_function(reference_id, |bencher| {
        interleaved(
            bencher,
            &pair,
            Side::Reference,
            &mut reference,
            &mut subject,
        );
    });
    group.bench_function(subject_id, |bencher| {
        interleaved(bencher, &pair, Side::Subject, &mut subject, &mut reference);
    });
}

/// The pair benchmarks of `region`: `floor_shm_libxcb` and `shm`, then
/// `floor_getimage_libxcb` and `getimage`, each pair timed alternately, then
/// `getimage_pure_rust` alternated with the same floor.
pub fn grab_pairs(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    group_name: &str,
    screen: &BenchScreen,
    region: Region,
) {
    let shm_floor = ShmFloor::open(screen.display(), region).expect("SHM floor");
    let mut shm = screen.open_shm().expect("SHM capturer");
    alternate(
        group,
        group_name,
        ("shm", || {
            drop(black_box(shm.grab(region).expect("SHM grab")))
        }),
        ("floor_shm_libxcb", || {
            black_box(shm_floor.grab().expect("ShmGetImage"));
        }),
    );
    drop((shm, shm_floor));

    let getimage_floor = GetImageFloor::open(screen.display(), region).expect("GetImage floor");
    let mut getimage = screen.open_getimage().expect("GetImage capturer");
    let mut pure_rust = screen
        .open_getimage_pure_rust()
        .expect("GetImage capturer over pure Rust");
    let floor_grab = || drop(black_box(getimage_floor.grab().expect("GetImage")));
    alternate(
        group,
        group_name,
        ("getimage", || {
            drop(black_box(getimage.grab(region).expect("GetImage grab")));
        }),
        ("floor_getimage_libxcb", floor_grab),
    );
    drop(getimage);

    // The pure-Rust connection, alternated with the same floor; its pair is this one benchmark.
    let pure_rust_pair = format!("{group_name}/getimage_pure_rust vs floor_getimage_libxcb");
    group.bench_function("getimage_pure_rust", |bencher| {
        interleaved(
            bencher,
            &pure_rust_pair,
            Side::Subject,
            || drop(black_box(pure_rust.grab(region).expect("GetImage grab"))),
            floor_grab,
        );
    });
}
