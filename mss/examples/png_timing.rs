//! Times PNG encoding of a 1920x1080 plasma-like frame at every level, against the settings
//! python-mss uses (zlib level 6, filter 0 on every row), and prints sizes.
//!
//! `cargo run --release -p mss --example png_timing`

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
    let frame = plasma(1920, 1080);
    let path = std::path::Path::new("timing.png");
    for level in 0..=9 {
        let (milliseconds, size) = best_of(5, || {
            let mut out = Vec::new();
            mss::encode_png(&frame, level, &mut out, path).unwrap();
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
