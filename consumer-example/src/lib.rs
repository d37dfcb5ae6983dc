//! An example downstream library: per-monitor summaries of what is on screen, written against
//! `mss-core` alone.
//!
//! This crate exists to prove a promise of mss-rs: code that depends only on `mss-core` and
//! takes a `&mut dyn Capture` works with every backend (`mss-x11-getimage`, `mss-x11-shm`) and
//! with test doubles, without knowing which one it got and without any X11 dependency of its
//! own. The conformance tests in `mss-testkit` run [`summarize_monitors`] against each real
//! backend on a private X server and against the fake backend, and compare the results with
//! the known scene.
//!
//! The summary itself is what a monitoring or test-automation tool might log: each monitor's
//! geometry and names, its average colour, and a checksum of its pixels that changes whenever
//! any pixel changes. Both are computed from [`Frame::write_rgb`], so they do not depend on the
//! screen's native pixel format, only on the colours shown.
#![forbid(unsafe_code)]

use mss_core::{Capture, Error, Frame, Region};

/// What one monitor shows, in a form that is cheap to log and compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorSummary {
    /// The monitor's number as python-mss counts (1 is the first monitor).
    pub number: i64,
    /// Where the monitor is on the screen.
    pub region: Region,
    /// The video output's name, when the backend knows it.
    pub output: Option<String>,
    /// Whether the system calls this monitor primary.
    pub primary: bool,
    /// The colours shown.
    pub pixels: PixelSummary,
}

/// A summary of a frame's colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PixelSummary {
    /// The mean red, green and blue, rounded down.
    pub average_rgb: [u8; 3],
    /// FNV-1a (64-bit) over the packed 8-bit RGB bytes, row by row.
    pub checksum: u64,
}

/// Grabs every monitor of `capture` and summarises each.
///
/// # Errors
///
/// Whatever the capturer returns while listing monitors or grabbing them; the first error
/// stops the summary.
pub fn summarize_monitors(capture: &mut dyn Capture) -> Result<Vec<MonitorSummary>, Error> {
    let monitors = capture.monitors()?;
    let mut rgb = Vec::new();
    let mut summaries = Vec::with_capacity(monitors.monitors().len());
    for (index, monitor) in monitors.monitors().iter().enumerate() {
        let number = index as i64 + 1;
        let frame = capture.grab(monitor.region())?;
        // The buffer is reused across monitors, as a recorder would reuse it across frames.
        frame.write_rgb(&mut rgb);
        summaries.push(MonitorSummary {
            number,
            region: monitor.region(),
            output: monitor.output().map(str::to_owned),
            primary: monitor.is_primary(),
            pixels: summarize_rgb(&rgb),
        });
    }
    Ok(summaries)
}

/// Summarises one frame's colours.
pub fn summarize_frame(frame: &Frame) -> PixelSummary {
    summarize_rgb(&frame.to_rgb())
}

/// Summarises packed 8-bit RGB bytes (3 a pixel).
///
/// # Panics
///
/// If `rgb` is empty or its length is not a multiple of 3.
pub fn summarize_rgb(rgb: &[u8]) -> PixelSummary {
    assert!(
        !rgb.is_empty() && rgb.len().is_multiple_of(3),
        "packed RGB needs whole pixels, got {} bytes",
        rgb.len()
    );
    let mut sums = [0u64; 3];
    let mut checksum = FNV_OFFSET;
    for pixel in rgb.chunks_exact(3) {
        for (sum, &channel) in sums.iter_mut().zip(pixel) {
            *sum += u64::from(channel);
        }
    }
    for &byte in rgb {
        checksum = (checksum ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
    }
    let pixels = (rgb.len() / 3) as u64;
    PixelSummary {
        average_rgb: sums.map(|sum| (sum / pixels) as u8),
        checksum,
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

#[cfg(test)]
mod tests {
    use mss_core::PixelFormat;

    use super::*;

    #[test]
    fn average_and_checksum_follow_their_definitions() {
        // FNV-1a of no bytes is the offset basis; of "a" (0x61) it is the published value.
        let summary = summarize_rgb(&[0x61, 0x61, 0x61]);
        assert_eq!(summary.average_rgb, [0x61; 3]);
        let mut expected = FNV_OFFSET;
        for _ in 0..3 {
            expected = (expected ^ 0x61).wrapping_mul(FNV_PRIME);
        }
        assert_eq!(summary.checksum, expected);
        let one_byte = (FNV_OFFSET ^ 0x61).wrapping_mul(FNV_PRIME);
        assert_eq!(one_byte, 0xaf63_dc4c_8601_ec8c);

        let summary = summarize_rgb(&[0, 10, 255, 3, 20, 0]);
        assert_eq!(summary.average_rgb, [1, 15, 127]);
    }

    #[test]
    fn frames_are_summarised_by_colour_not_by_layout() {
        let region = Region::new(0, 0, 2, 1).unwrap();
        let bgrx = Frame::from_vec(
            vec![255, 0, 0, 0, 0, 0, 255, 0],
            region,
            PixelFormat::Bgrx8888,
        )
        .unwrap();
        let rgb565 =
            Frame::from_vec(vec![0x1F, 0x00, 0x00, 0xF8], region, PixelFormat::Rgb565).unwrap();
        assert_eq!(summarize_frame(&bgrx), summarize_frame(&rgb565));
        assert_eq!(summarize_frame(&bgrx).average_rgb, [127, 0, 127]);
    }
}
