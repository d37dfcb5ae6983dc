//! `encode_WxH`: PNG encoding of a realistic frame, beside python-mss's settings.
//!
//! The frame is ImageMagick's `plasma:fractal` (seeded, so every run encodes the same
//! picture): noisy, photograph-like content, the case the project's PNG target is stated for
//! (python-mss's `to_png` at level 6 took 138.7 ms for such a 1080p frame on this machine
//! kind). The group times:
//!
//! - `png_level6`: `mss::encode_png` at the default level, conversion to RGB included;
//! - `png_level1`: the same at the fastest compressing level;
//! - `python_mss_settings`: what python-mss's `to_png` does, through the same `png` crate:
//!   zlib level 6 and filter 0 on every row, from an RGB buffer converted beforehand (so this
//!   reference does less work than the subjects);
//! - `to_rgb`: the conversion alone, the least any encoder of this frame must do.
//!
//! File sizes are printed once per size (`mss-bench: encode_...` lines), since criterion
//! records times only; the target is "at least 3x faster, and no larger".

use std::hint::black_box;
use std::path::Path;
use std::process::Command;

use criterion::{Criterion, SamplingMode};
use mss_bench::ScreenSize;
use mss_core::{Frame, PixelFormat};

/// The plasma fractal as a BGRX frame, from ImageMagick.
fn plasma(size: ScreenSize) -> Frame {
    let output = Command::new("convert")
        .args([
            "-seed",
            "1",
            "-size",
            &size.label(),
            "plasma:fractal",
            "-depth",
            "8",
            "rgb:-",
        ])
        .output()
        .unwrap_or_else(|error| {
            panic!("running ImageMagick's convert: {error} (run `cargo xtask test` to install it)")
        });
    assert!(
        output.status.success(),
        "convert failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rgb = output.stdout;
    assert_eq!(
        rgb.len(),
        size.frame_bytes() / 4 * 3,
        "convert's RGB output size"
    );
    let bgrx: Vec<u8> = rgb
        .chunks_exact(3)
        .flat_map(|pixel| [pixel[2], pixel[1], pixel[0], 0])
        .collect();
    Frame::from_vec(bgrx, size.region(), PixelFormat::Bgrx8888).expect("a packed frame")
}

/// python-mss's `to_png` settings: 8-bit RGB, zlib level 6, no row filter.
fn python_mss_settings(rgb: &[u8], size: ScreenSize) -> Vec<u8> {
    let mut png = Vec::with_capacity(rgb.len());
    let mut encoder = png::Encoder::new(&mut png, size.width, size.height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_deflate_compression(png::DeflateCompression::Level(6));
    encoder.set_filter(png::Filter::NoFilter);
    let mut writer = encoder.write_header().expect("PNG header");
    writer.write_image_data(rgb).expect("PNG data");
    writer.finish().expect("PNG end");
    png
}

fn mss_png(frame: &Frame, level: u8) -> Vec<u8> {
    let mut png = Vec::new();
    mss::encode_png(frame, level, &mut png, Path::new("bench.png")).expect("mss PNG encoding");
    png
}

/// Registers the `encode_WxH` group for a frame of `size`.
pub fn bench(criterion: &mut Criterion, size: ScreenSize) {
    let frame = plasma(size);
    let rgb = frame.to_rgb();
    let label = size.label();
    for (name, bytes) in [
        ("png_level6", mss_png(&frame, 6).len()),
        ("png_level1", mss_png(&frame, 1).len()),
        ("python_mss_settings", python_mss_settings(&rgb, size).len()),
    ] {
        eprintln!("mss-bench: encode_{label}/{name}: {bytes} bytes");
    }

    let mut group = criterion.benchmark_group(format!("encode_{label}"));
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.bench_function("png_level6", |bencher| {
        bencher.iter(|| black_box(mss_png(black_box(&frame), 6)));
    });
    group.bench_function("png_level1", |bencher| {
        bencher.iter(|| black_box(mss_png(black_box(&frame), 1)));
    });
    group.bench_function("python_mss_settings", |bencher| {
        bencher.iter(|| black_box(python_mss_settings(black_box(&rgb), size)));
    });
    group.bench_function("to_rgb", |bencher| {
        bencher.iter(|| black_box(black_box(&frame).to_rgb()));
    });
    group.finish();
}
