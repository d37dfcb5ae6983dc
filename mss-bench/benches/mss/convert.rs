//! `convert_WxH`: converting a full-screen BGRX frame (the scene, as grabbed) to packed RGB
//! and RGBA, beside a memcpy of the same bytes.
//!
//! - `to_rgb` / `to_rgba`: `Frame::to_rgb` / `to_rgba`, a new vector each time, compared with
//!   `memcpy_to_vec` (`bytes().to_vec()`, which allocates too).
//! - `write_rgb` / `write_rgba`: the same into a vector reused across frames, compared with
//!   `memcpy` (`copy_from_slice` into a reused vector).
//! - `sketch_write_rgba`: what a conversion into a reused vector can cost, for comparison with
//!   `write_rgba`: a plain safe loop that swaps red and blue as one 32-bit word and does not
//!   zero the target first. Not mss-core's code; it bounds what mss-core could gain.

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, Throughput};
use mss_bench::BenchScreen;
use mss_core::{Capture as _, PixelFormat};

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

    let mut group = criterion.benchmark_group(format!("convert_{}", size.label()));
    group.throughput(Throughput::Bytes(size.frame_bytes() as u64));
    group.sampling_mode(SamplingMode::Flat);

    group.bench_function("memcpy_to_vec", |bencher| {
        bencher.iter(|| black_box(black_box(&frame).bytes().to_vec()));
    });
    group.bench_function("to_rgb", |bencher| {
        bencher.iter(|| black_box(black_box(&frame).to_rgb()));
    });
    group.bench_function("to_rgba", |bencher| {
        bencher.iter(|| black_box(black_box(&frame).to_rgba()));
    });

    let mut target = vec![0u8; size.frame_bytes()];
    group.bench_function("memcpy", |bencher| {
        bencher.iter(|| {
            target.copy_from_slice(black_box(&frame).bytes());
            black_box(&mut target);
        });
    });
    group.bench_function("write_rgb", |bencher| {
        bencher.iter(|| black_box(&frame).write_rgb(black_box(&mut target)));
    });
    group.bench_function("write_rgba", |bencher| {
        bencher.iter(|| black_box(&frame).write_rgba(black_box(&mut target)));
    });
    group.bench_function("sketch_write_rgba", |bencher| {
        bencher.iter(|| sketch_bgrx_to_rgba(black_box(&frame).bytes(), black_box(&mut target)));
    });
    group.finish();
}

/// BGRX to RGBA one 32-bit word at a time, into a target of the right size (the frame is
/// packed, as a full-screen grab of a 32-bit screen is).
fn sketch_bgrx_to_rgba(source: &[u8], target: &mut [u8]) {
    for (from, to) in source.chunks_exact(4).zip(target.chunks_exact_mut(4)) {
        let bgrx = u32::from_le_bytes([from[0], from[1], from[2], from[3]]);
        let rgba =
            (bgrx & 0x0000_FF00) | ((bgrx >> 16) & 0xFF) | ((bgrx & 0xFF) << 16) | 0xFF00_0000;
        to.copy_from_slice(&rgba.to_le_bytes());
    }
}
