//! Saving frames as PNG: the encoder settings, and the atomic write.
//!
//! # Compression levels
//!
//! Levels are python-mss's 0-9 (default 6), mapped onto the `png` crate's encoders. Every
//! level above 0 filters rows (python-mss writes filter 0 on every row), which is what makes
//! screen content compress well.
//!
//! | level | DEFLATE | row filter |
//! |---|---|---|
//! | 0 | stored (no compression) | none |
//! | 1-2 | `fdeflate` (PNG-tuned, very fast) | Up |
//! | 3-5 | `fdeflate` | adaptive (best per row) |
//! | 6 | `fdeflate`, then zlib level 2 if the content proved very compressible; the smaller wins | adaptive |
//! | 7 | zlib level 2 | adaptive |
//! | 8 | zlib level 6 | adaptive |
//! | 9 | zlib level 9 | adaptive |
//!
//! The default, level 6, is content-adaptive because no single setting is both much faster
//! than python-mss and no larger on every kind of screen. `fdeflate` is about ten times faster
//! than zlib and, with filtering, smaller than python-mss's zlib 6 on noisy, photographic
//! content; on flat or smooth content (a desktop, a gradient) zlib's longer matches give files
//! up to half the size, and zlib is fast there because such content compresses easily. So
//! level 6 encodes with `fdeflate` first and, when that came out under half the raw size,
//! also with zlib level 2, keeping the smaller file. Content that repeats further back than
//! `fdeflate` looks (a tiled pattern repeating every few hundred pixels) does not come out
//! under half with `fdeflate`, so level 6 also encodes a sample of rows (three bands of four)
//! both ways, and takes the zlib path when zlib's sample is at least a quarter smaller: on
//! 1920x1080 noise repeating every 256 pixels that gives 0.86 MB instead of 6.2 MB, for about
//! 2 ms more on content where zlib gains nothing.
//!
//! Measured on 1920x1080 frames (release build, a shared 2-core machine, python-mss's
//! settings run through CPython's zlib on the same machine):
//!
//! | frame | mss level 6 | python-mss level 6 |
//! |---|---|---|
//! | ImageMagick `plasma:fractal` (noisy) | 18 ms, 3.97 MB | 138.7 ms (the project's reference figure), 5.57 MB |
//! | smooth sine plasma | about 90 ms, 1.77 MB | about 200 ms, 1.97 MB |
//! | mostly flat desktop-like picture | about 16 ms, 10 KB | 16 ms, 17 KB |
//! | noise repeating every 256 pixels along rows | about 57 ms, 0.86 MB | 50-85 ms, 0.88 MB (*) |
//! | noise | about 28 ms, 6.2 MB (`fdeflate` alone: 26 ms) | about 180 ms, 6.2 MB (*) |
//!
//! (*) python-mss's settings through the `png` crate's zlib in the same run, as the example
//! below prints them.
//!
//! `cargo run --release -p mss --example png_timing` prints the figures for every level.
//!
//! Pixels are written as 8-bit RGB, whatever the screen's format (as python-mss does): the
//! alpha of a depth-32 root window is not meaningful.
//!
//! # Where the file goes
//!
//! [`write_png`] writes where a careful command-line tool would (see [`crate::destination`]):
//! `-` and `/dev/stdout` are standard output, written through the descriptor itself, devices
//! and FIFOs are written to directly, links are followed, and regular files are written
//! atomically: the PNG goes to an unnamed file in the target's
//! directory, flushed to disk, then named, replacing an existing file in one step. A failure or
//! an interrupt at any step leaves no partial file behind: readers see the old picture or the
//! new one.

use std::io::Write;
use std::path::{Path, PathBuf};

use mss_core::Frame;

use crate::Error;
use crate::destination::WriteOptions;

/// python-mss's default compression level.
pub const DEFAULT_LEVEL: u8 = 6;

/// Encodes `frame` as an 8-bit RGB PNG at compression `level` (0-9) into `writer`.
///
/// `path` is only used in error messages.
///
/// # Errors
///
/// [`Error::InvalidLevel`] for a level above 9, [`Error::Encode`] or [`Error::Write`] when the
/// encoder or the writer fails.
pub fn encode_png<W: Write>(frame: &Frame, level: u8, writer: W, path: &Path) -> Result<(), Error> {
    check_level(level)?;
    encode_png_rgb(
        &frame.to_rgb(),
        (frame.width(), frame.height()),
        level,
        writer,
        path,
    )
}

/// Encodes `rgb`, packed 8-bit RGB pixels of `(width, height)`, as a PNG at compression
/// `level` (0-9) into `writer`, as [`encode_png`] encodes a frame: for pixels that are RGB
/// already (python-mss's `tools.to_png`), with no conversion.
///
/// `path` is only used in error messages.
///
/// # Errors
///
/// [`Error::InvalidLevel`] for a level above 9, [`Error::Encode`] when `rgb` is not
/// `width * height * 3` bytes or the encoder fails, [`Error::Write`] when the writer fails.
pub fn encode_png_rgb<W: Write>(
    rgb: &[u8],
    (width, height): (u32, u32),
    level: u8,
    mut writer: W,
    path: &Path,
) -> Result<(), Error> {
    let plan = png_plan(level)?;
    let encode_error = |source| Error::Encode {
        path: path.to_owned(),
        source,
    };
    let encode = |(deflate, filter)| encode_rgb(rgb, width, height, deflate, filter);
    let png = match plan {
        Plan::Single(settings) => encode(settings).map_err(encode_error)?,
        Plan::FastThenThorough { fast, thorough } => {
            let fast_png = encode(fast).map_err(encode_error)?;
            let worth_trying = fast_png.len() * 2 < rgb.len()
                || thorough_gains_on_sample(rgb, width, height, fast, thorough)
                    .map_err(encode_error)?;
            let fast = fast_png;
            if worth_trying {
                let thorough = encode(thorough).map_err(encode_error)?;
                if thorough.len() < fast.len() {
                    thorough
                } else {
                    fast
                }
            } else {
                fast
            }
        }
    };
    writer.write_all(&png).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}

/// `png` crate settings: the DEFLATE encoder and the row filter.
type Settings = (png::DeflateCompression, png::Filter);

/// How a level encodes (see the [module docs](self)).
enum Plan {
    /// With these settings.
    Single(Settings),
    /// With `fast`, then also with `thorough` if `fast` showed the content compresses well.
    FastThenThorough {
        /// The first, fast encoding.
        fast: Settings,
        /// The second encoding, for very compressible content.
        thorough: Settings,
    },
}

/// How python-mss level `level` encodes.
fn png_plan(level: u8) -> Result<Plan, Error> {
    use png::{DeflateCompression, Filter};
    Ok(match level {
        0 => Plan::Single((DeflateCompression::NoCompression, Filter::NoFilter)),
        1 | 2 => Plan::Single((DeflateCompression::FdeflateUltraFast, Filter::Up)),
        3..=5 => Plan::Single((DeflateCompression::FdeflateUltraFast, Filter::Adaptive)),
        6 => Plan::FastThenThorough {
            fast: (DeflateCompression::FdeflateUltraFast, Filter::Adaptive),
            thorough: (DeflateCompression::Level(2), Filter::Adaptive),
        },
        7 => Plan::Single((DeflateCompression::Level(2), Filter::Adaptive)),
        8 => Plan::Single((DeflateCompression::Level(6), Filter::Adaptive)),
        9 => Plan::Single((DeflateCompression::Level(9), Filter::Adaptive)),
        _ => return Err(Error::InvalidLevel { level }),
    })
}

/// Rows in each band of the sample [`thorough_gains_on_sample`] encodes.
const SAMPLE_BAND_ROWS: usize = 4;
/// Bands in that sample, spread over the frame's height.
const SAMPLE_BANDS: usize = 3;

/// Whether `thorough` compresses a sample of `rgb`'s rows (a few bands spread over its height)
/// at least a quarter smaller than `fast` does: content whose repeats lie further back than
/// `fdeflate` looks (a pattern or a tiled wallpaper repeating every few hundred pixels), which
/// the whole-frame `fdeflate` size does not reveal. About 1 % of the frame is encoded twice.
fn thorough_gains_on_sample(
    rgb: &[u8],
    width: u32,
    height: u32,
    fast: Settings,
    thorough: Settings,
) -> Result<bool, png::EncodingError> {
    let row = width as usize * 3;
    let height = height as usize;
    let sample: Vec<u8> = if height <= SAMPLE_BAND_ROWS * SAMPLE_BANDS * 4 {
        // A small frame: the sample is the frame.
        rgb.to_vec()
    } else {
        (1..=SAMPLE_BANDS)
            .flat_map(|band| {
                let first = height * band / (SAMPLE_BANDS + 1);
                rgb[first * row..(first + SAMPLE_BAND_ROWS) * row]
                    .iter()
                    .copied()
            })
            .collect()
    };
    let rows = u32::try_from(sample.len() / row).unwrap_or(u32::MAX);
    let fast = encode_rgb(&sample, width, rows, fast.0, fast.1)?.len();
    let thorough = encode_rgb(&sample, width, rows, thorough.0, thorough.1)?.len();
    Ok(thorough * 4 < fast * 3)
}

/// Encodes packed 8-bit RGB pixels as a PNG in memory.
fn encode_rgb(
    rgb: &[u8],
    width: u32,
    height: u32,
    deflate: png::DeflateCompression,
    filter: png::Filter,
) -> Result<Vec<u8>, png::EncodingError> {
    let mut png = Vec::with_capacity(rgb.len() / 2);
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_deflate_compression(deflate);
    encoder.set_filter(filter);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(png)
}

/// Checks that `level` is a compression level (0-9).
///
/// # Errors
///
/// [`Error::InvalidLevel`] otherwise.
pub fn check_level(level: u8) -> Result<(), Error> {
    png_plan(level).map(drop)
}

/// Writes `frame` to `path` as a PNG at compression `level`, and returns the path.
///
/// `path` is written as [`crate::destination`] describes: `-`, `/dev/stdout` and `/dev/fd/N`
/// are the descriptors this process has, written through themselves; an existing device, FIFO
/// or socket is written to directly (a FIFO's reader waited for at most 10 s); a link is
/// followed; a regular file is written atomically (a process killed meanwhile leaves the old
/// file untouched), new with mode `0666 & !umask`, replacing with the old file's mode; a file
/// this user may not write, or another user's in a shared directory such as `/tmp`, is
/// refused and left unchanged.
///
/// # Errors
///
/// [`Error::Write`] naming the path when it cannot be written (a missing or read-only
/// directory, a read-only file, a full disk, a FIFO nobody reads); [`Error::InvalidLevel`],
/// [`Error::Encode`].
pub fn write_png(frame: &Frame, path: impl AsRef<Path>, level: u8) -> Result<PathBuf, Error> {
    write_png_with(frame, path, level, &WriteOptions::new())
}

/// [`write_png`] with `options`: what happens to an existing file, how long a wait may take.
///
/// # Errors
///
/// As [`write_png`].
pub fn write_png_with(
    frame: &Frame,
    path: impl AsRef<Path>,
    level: u8,
    options: &WriteOptions,
) -> Result<PathBuf, Error> {
    let path = path.as_ref();
    let mut png = Vec::new();
    encode_png(frame, level, &mut png, path)?;
    crate::destination::write_bytes_with(path, &png, options)
}

/// Saving a [`Frame`] as PNG in one call; in the [prelude](crate::prelude).
pub trait SavePng {
    /// Writes the frame to `path` as a PNG at the default level (6), atomically.
    ///
    /// # Errors
    ///
    /// As [`write_png`].
    fn save_png(&self, path: impl AsRef<Path>) -> Result<PathBuf, Error>;

    /// Writes the frame to `path` as a PNG at compression `level` (0-9), atomically.
    ///
    /// # Errors
    ///
    /// As [`write_png`].
    fn save_png_with_level(&self, path: impl AsRef<Path>, level: u8) -> Result<PathBuf, Error>;
}

impl SavePng for Frame {
    fn save_png(&self, path: impl AsRef<Path>) -> Result<PathBuf, Error> {
        write_png(self, path, DEFAULT_LEVEL)
    }

    fn save_png_with_level(&self, path: impl AsRef<Path>, level: u8) -> Result<PathBuf, Error> {
        write_png(self, path, level)
    }
}

/// Reads a PNG back, for tests.
#[cfg(test)]
fn decode(path: &Path) -> (png::OutputInfo, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap();
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(info.buffer_size());
    (info, pixels)
}

#[cfg(test)]
mod tests {
    use mss_core::{PixelFormat, Region};

    use super::*;

    fn frame() -> Frame {
        let region = Region::new(0, 0, 3, 2).unwrap();
        let bytes = (0..24u8).collect();
        Frame::from_vec(bytes, region, PixelFormat::Bgrx8888).unwrap()
    }

    #[test]
    fn rgb_pixels_encode_as_the_frame_does_and_a_wrong_length_is_an_error() {
        let rgb = frame().to_rgb();
        for level in [0, 1, 6, 9] {
            let (mut from_frame, mut from_rgb) = (Vec::new(), Vec::new());
            encode_png(&frame(), level, &mut from_frame, Path::new("f.png")).unwrap();
            encode_png_rgb(&rgb, (3, 2), level, &mut from_rgb, Path::new("f.png")).unwrap();
            assert_eq!(from_frame, from_rgb, "level {level}");
        }
        for wrong in [&rgb[..17], &rgb[..], &[0u8; 19][..]] {
            let size = if wrong.len() == rgb.len() {
                (2, 2)
            } else {
                (3, 2)
            };
            let error =
                encode_png_rgb(wrong, size, 6, &mut Vec::new(), Path::new("f.png")).unwrap_err();
            assert!(matches!(error, Error::Encode { .. }), "{error:?}");
        }
    }

    #[test]
    fn every_level_decodes_to_the_same_pixels() {
        let directory = tempfile::tempdir().unwrap();
        for level in 0..=9 {
            let path = directory.path().join(format!("level-{level}.png"));
            assert_eq!(frame().save_png_with_level(&path, level).unwrap(), path);
            let (info, pixels) = decode(&path);
            assert_eq!((info.width, info.height), (3, 2));
            assert_eq!(info.color_type, png::ColorType::Rgb);
            assert_eq!(pixels, frame().to_rgb(), "level {level}");
        }
        let error = frame()
            .save_png_with_level(directory.path().join("x.png"), 10)
            .unwrap_err();
        assert!(
            matches!(error, Error::InvalidLevel { level: 10 }),
            "{error:?}"
        );
        assert!(!directory.path().join("x.png").exists());
    }

    /// A 480x270 BGRX frame of `kind` "flat" (a few solid areas, like a desktop), "smooth"
    /// (gradients with a little noise), "noise", or "periodic" (noise repeating every 128
    /// pixels along each row, like a tiled pattern). Noisy, photographic content is compared
    /// with python-mss in the benchmarks, on ImageMagick's plasma fractal.
    fn content(kind: &str) -> Frame {
        let (width, height) = (480u32, 270u32);
        let mut state = 0x9E37_79B9_u32;
        let wave = |value: u32| ((f64::from(value) / 19.0).sin() * 100.0 + 120.0) as u8;
        let mut bytes = Vec::new();
        for y in 0..height {
            for x in 0..width {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let hashed = |x: u32| {
                    let mut hash = (y.wrapping_mul(0x9E37_79B9) ^ x.wrapping_mul(0x85EB_CA6B)) | 1;
                    for _ in 0..3 {
                        hash ^= hash << 13;
                        hash ^= hash >> 17;
                        hash ^= hash << 5;
                    }
                    let [b, g, r, _] = hash.to_le_bytes();
                    [b, g, r, 0]
                };
                let pixel = match kind {
                    "noise" => hashed(x),
                    "periodic" => hashed(x % 128),
                    "flat" if x < 200 && y < 100 => [255, 255, 255, 0],
                    "flat" => [0x40, 0x34, 0x2e, 0],
                    _ => {
                        let noise = (state % 3) as u8;
                        [wave(x) + noise, wave(y), wave(x + y) + noise, 0]
                    }
                };
                bytes.extend_from_slice(&pixel);
            }
        }
        Frame::from_vec(
            bytes,
            Region::new(0, 0, width, height).unwrap(),
            PixelFormat::Bgrx8888,
        )
        .unwrap()
    }

    /// The size python-mss's settings give: zlib level 6, filter 0 on every row.
    fn python_mss_size(frame: &Frame) -> usize {
        let rgb = frame.to_rgb();
        let settings = (png::DeflateCompression::Level(6), png::Filter::NoFilter);
        encode_rgb(&rgb, frame.width(), frame.height(), settings.0, settings.1)
            .unwrap()
            .len()
    }

    fn encoded_size(frame: &Frame, level: u8) -> usize {
        let mut png = Vec::new();
        encode_png(frame, level, &mut png, Path::new("memory.png")).unwrap();
        png.len()
    }

    #[test]
    fn the_default_level_is_no_larger_than_python_mss_on_flat_or_smooth_content() {
        for kind in ["flat", "smooth"] {
            let frame = content(kind);
            let default = encoded_size(&frame, DEFAULT_LEVEL);
            let python = python_mss_size(&frame);
            assert!(
                default <= python,
                "{kind}: level 6 gave {default} bytes, python-mss {python}"
            );
            // It is never larger than the fast encoding alone (level 5) either.
            assert!(default <= encoded_size(&frame, 5), "{kind}");
        }
        // Flat content takes the thorough path: zlib's result (level 7) is what is kept.
        let flat = content("flat");
        assert_eq!(
            encoded_size(&flat, DEFAULT_LEVEL),
            encoded_size(&flat, 7).min(encoded_size(&flat, 5))
        );
    }

    #[test]
    fn repeats_fdeflate_misses_are_found_from_a_sample_and_noise_stays_on_the_fast_path() {
        // Repeats 384 bytes back: fdeflate leaves it raw, zlib finds them.
        let periodic = content("periodic");
        let (fast, thorough) = (encoded_size(&periodic, 5), encoded_size(&periodic, 7));
        assert!(thorough * 3 < fast, "zlib {thorough}, fdeflate {fast}");
        assert_eq!(encoded_size(&periodic, DEFAULT_LEVEL), thorough);
        assert!(encoded_size(&periodic, DEFAULT_LEVEL) <= python_mss_size(&periodic));
        // Noise: nothing to gain, the fast encoding is kept.
        let noise = content("noise");
        assert_eq!(encoded_size(&noise, DEFAULT_LEVEL), encoded_size(&noise, 5));
    }

    #[test]
    fn an_unwritable_directory_is_an_error_naming_the_path_and_leaves_nothing() {
        let directory = tempfile::tempdir().unwrap();
        let missing = directory.path().join("no-such-directory").join("shot.png");
        let error = frame().save_png(&missing).unwrap_err();
        assert!(
            matches!(&error, Error::Write { path, .. } if *path == missing),
            "{error:?}"
        );
        assert!(
            error.to_string().contains(&missing.display().to_string()),
            "{error}"
        );
        assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_failing_rename_keeps_no_temporary_file() {
        // The target is a non-empty directory: the PNG is encoded and written, and the final
        // rename fails. This fails even for root, unlike a read-only directory.
        let directory = tempfile::tempdir().unwrap();
        let target = directory.path().join("shot.png");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), b"x").unwrap();
        let error = frame().save_png(&target).unwrap_err();
        assert!(
            matches!(&error, Error::Write { path, .. } if *path == target),
            "{error:?}"
        );
        let names: Vec<_> = std::fs::read_dir(directory.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            ["shot.png"],
            "only the directory that was there remains"
        );
    }

    #[test]
    fn an_existing_file_is_replaced_whole() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("shot.png");
        std::fs::write(&path, b"an older, longer file that is not a PNG at all").unwrap();
        frame().save_png(&path).unwrap();
        let (_, pixels) = decode(&path);
        assert_eq!(pixels, frame().to_rgb());
        assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 1);
    }
}
