//! `convert_WxH`: converting a full-screen BGRX frame (the scene, as grabbed) to packed RGB
//! and RGBA, beside a memcpy of the same bytes.
//!
//! - `memcpy_to_vec`: `bytes().to_vec()`, a new vector and one copy: the reference of `to_rgb`
//!   and `to_rgba`, which allocate a new vector too.
//! - `memcpy`: `copy_from_slice` into a vector reused across frames: the reference of
//!   `write_rgb` and `write_rgba`.
//! - `to_rgb` / `to_rgba`: `Frame::to_rgb` / `to_rgba`, each call timed alternately with a
//!   `memcpy_to_vec` ([`interleaved`]), so that their paired ratio sees the same machine.
//! - `write_rgb` / `write_rgba`: the same into a vector reused across frames (one per
//!   conversion, so it keeps its length), alternated with `memcpy` into its own vector.
//!
//! The references are also timed on their own, as before, for the ratio of medians. The frame's
//! 8 MB at 1080p (33 MB at 4K) are read from wherever the last call left them (the last-level
//! cache at 1080p on most machines) by every subject and reference alike. After timing, the
//! minor page faults of each allocating benchmark are counted and printed: both sides take their
//! vector from the allocator's reused memory, not fresh pages, so neither pays first-touch faults.

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, Throughput};
use mss_bench::{BenchScreen, minor_page_faults};
use mss_core::{Capture as _, Frame, PixelFormat};

use crate::interleave::{Side, interleaved};

pub fn bench(criterion: &mut Criterion, screen: &BenchScreen) {
    let size = screen.size();
    let frame = screen
        .open_getimage()
        .expect("GetImage capturer")
        .grab(size.region())
        .expect("GetImage grab")
        .to_owned_frame();
    assert_eq!(
        frame.format(),
        PixelFormat::Bgrx8888,
        "the bench screens are depth 24"
    );
    assert!(
        frame.is_packed(),
        "a full-screen grab of a 32-bit screen has no row padding"
    );
    screen.scene().assert_frame(&frame);

    let group_name = format!("convert_{}", size.label());
    let mut group = criterion.benchmark_group(&group_name);
    group.throughput(Throughput::Bytes(size.frame_bytes() as u64));
    group.sampling_mode(SamplingMode::Flat);

    let frame = &frame;
    let memcpy_to_vec = || drop(black_box(black_box(frame).bytes().to_vec()));
    let mut copy_target = vec![0u8; size.frame_bytes()];
    let mut memcpy = move || {
        copy_target.copy_from_slice(black_box(frame).bytes());
        black_box(&mut copy_target);
    };

    group.bench_function("memcpy_to_vec", |bencher| bencher.iter(memcpy_to_vec));
    group.bench_function("memcpy", |bencher| bencher.iter(&mut memcpy));

    let pair = |subject: &str, reference: &str| format!("{group_name}/{subject} vs {reference}");
    group.bench_function("to_rgb", |bencher| {
        interleaved(
            bencher,
            &pair("to_rgb", "memcpy_to_vec"),
            Side::Subject,
            || drop(black_box(black_box(frame).to_rgb())),
            memcpy_to_vec,
        );
    });
    group.bench_function("to_rgba", |bencher| {
        interleaved(
            bencher,
            &pair("to_rgba", "memcpy_to_vec"),
            Side::Subject,
            || drop(black_box(black_box(frame).to_rgba())),
            memcpy_to_vec,
        );
    });
    let mut rgb_target = frame.to_rgb();
    group.bench_function("write_rgb", |bencher| {
        interleaved(
            bencher,
            &pair("write_rgb", "memcpy"),
            Side::Subject,
            || black_box(frame).write_rgb(black_box(&mut rgb_target)),
            &mut memcpy,
        );
    });
    let mut rgba_target = frame.to_rgba();
    group.bench_function("write_rgba", |bencher| {
        interleaved(
            bencher,
            &pair("write_rgba", "memcpy"),
            Side::Subject,
            || black_box(frame).write_rgba(black_box(&mut rgba_target)),
            &mut memcpy,
        );
    });
    group.finish();

    report_page_faults(&group_name, frame);
}

/// Prints the minor page faults per call of the benchmarks that allocate, over calls made as
/// the benchmarks make them: each conversion alternated with a `memcpy_to_vec`, after the same
/// warm-up.
fn report_page_faults(group_name: &str, frame: &Frame) {
    const CALLS: u64 = 50;
    let to_vec = || drop(black_box(frame.bytes().to_vec()));
    let per_call = |call: &dyn Fn()| {
        let (mut own, mut reference) = (0, 0);
        for round in 0..=CALLS {
            let before = minor_page_faults().expect("this process's page faults");
            to_vec();
            let middle = minor_page_faults().expect("this process's page faults");
            call();
            let after = minor_page_faults().expect("this process's page faults");
            // The first round is the warm-up.
            if round > 0 {
                reference += middle - before;
                own += after - middle;
            }
        }
        (own as f64 / CALLS as f64, reference as f64 / CALLS as f64)
    };
    let (rgb, to_vec_with_rgb) = per_call(&|| drop(black_box(frame.to_rgb())));
    let (rgba, to_vec_with_rgba) = per_call(&|| drop(black_box(frame.to_rgba())));
    println!(
        "mss-bench: {group_name}: minor page faults per call, alternated as timed: to_rgb {rgb:.1} \
         (memcpy_to_vec {to_vec_with_rgb:.1}), to_rgba {rgba:.1} (memcpy_to_vec {to_vec_with_rgba:.1})"
    );
}
