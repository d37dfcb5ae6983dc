//! Times PNG encoding of 1920x1080 frames (a smooth plasma, noise, and noise repeating every
//! 256 pixels along each row, like a tiled pattern) at every level, against the settings
//! python-mss uses (zlib level 6, filter 0 on every row), and prints sizes.
//!
//! `cargo run --release -p mss --example png_timing`
#![forbid(unsafe_code)]

use std::time::Instant;

use mss::{Frame, PixelFormat, Region};

fn plasma(width: u32, height: u32) -> Frame {
    let mut bytes = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            let (fx, fy) = (f64::from(x), f64::from(y));
            let value = (fx / 37.0).sin()
                + (fy / 23.0).sin()
                + ((fx + fy) / 51.0).sin()
                + ((fx * fx + fy * fy).sqrt() / 29.0).sin();
            let channel = |phase: f64| ((value * 0.8 + phase).sin() * 127.5 + 127.5) as u8;
            bytes.extend_from_slice(&[channel(0.0), channel(2.1), channel(4.2), 0]);
        }
    }
    Frame::from_vec(
        bytes,
        Region::new(0, 0, width, height).unwrap(),
        PixelFormat::Bgrx8888,
    )
    .unwrap()
}

/// Noise (`period` 0) or noise repeating every `period` pixels along each row.
fn noise(width: u32, height: u32, period: u32) -> Frame {
    let mut bytes = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            let x = if period == 0 { x } else { x % period };
            let mut state = (y.wrapping_mul(0x9E37_79B9) ^ x.wrapping_mul(0x85EB_CA6B)) | 1;
            for _ in 0..3 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
            }
            let [b, g, r, _] = state.to_le_bytes();
            bytes.extend_from_slice(&[b, g, r, 0]);
        }
    }
    Frame::from_vec(
        bytes,
        Region::new(0, 0, width, height).unwrap(),
        PixelFormat::Bgrx8888,
    )
    .unwrap()
}

fn best_of<F: FnMut() -> usize>(runs: u32, mut encode: F) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut size = 0;
    for _ in 0..runs {
        let started = Instant::now();
        size = encode();
        best = best.min(started.elapsed().as_secs_f64() * 1000.0);
    }
    (best, size)
}

fn main() {
    for (name, frame) in [
        ("smooth plasma", plasma(1920, 1080)),
        ("noise", noise(1920, 1080, 0)),
        ("noise repeating every 256 px", noise(1920, 1080, 256)),
    ] {
        println!("{name}:");
        time_levels(&frame);
    }
}

fn time_levels(frame: &Frame) {
    let path = std::path::Path::new("timing.png");
    for level in 0..=9 {
        let (milliseconds, size) = best_of(5, || {
            let mut out = Vec::new();
            mss::encode_png(frame, level, &mut out, path).unwrap();
            out.len()
        });
        println!("mss level {level}: {milliseconds:7.1} ms, {size:9} bytes");
    }
    let rgb = frame.to_rgb();
    let (milliseconds, size) = best_of(3, || {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, 1920, 1080);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_deflate_compression(png::DeflateCompression::Level(6));
        encoder.set_filter(png::Filter::NoFilter);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&rgb).unwrap();
        writer.finish().unwrap();
        out.len()
    });
    println!("python-mss settings (zlib 6, no filter): {milliseconds:7.1} ms, {size:9} bytes");
}
