//! Saving frames as PNG: the encoder settings, and the atomic write.
//!
//! # Compression levels
//!
//! Levels are python-mss's 0-9 (default 6), mapped onto the `png` crate's encoders. Every
//! level above 0 filters rows (python-mss writes filter 0 on every row), which is what makes
//! screen content compress well; the DEFLATE effort is then chosen so that the default level
//! is both several times faster than python-mss's zlib level 6 and no larger:
//!
//! | level | DEFLATE | row filter |
//! |---|---|---|
//! | 0 | stored (no compression) | none |
//! | 1-2 | `fdeflate` (PNG-tuned, very fast) | Up |
//! | 3-4 | zlib level 1 (`flate2`) | adaptive (best per row) |
//! | 5-6 | zlib level 2 | adaptive |
//! | 7 | zlib level 4 | adaptive |
//! | 8 | zlib level 6 | adaptive |
//! | 9 | zlib level 9 | adaptive |
//!
//! Measured on a 1920x1080 plasma frame (release build, a shared 2-core machine; run
//! `cargo run --release -p mss --example png_timing`): level 6 took 82 ms for 1.77 MB, where
//! python-mss's settings (zlib 6, no filter) took 316 ms for 1.95 MB on the same machine.
//! Levels 7-9 trade a lot of time for a smaller file.
//!
//! Pixels are written as 8-bit RGB, whatever the screen's format (as python-mss does): the
//! alpha of a depth-32 root window is not meaningful.
//!
//! # Atomic write
//!
//! The PNG is written to a temporary file in the target's directory, flushed to disk, then
//! renamed over the target. A failure at any step leaves no partial file behind, and an
//! existing file is replaced in one step: readers see the old picture or the new one.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use mss_core::Frame;

use crate::Error;

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
    let (deflate, filter) = png_settings(level)?;
    let encode_error = |source| Error::Encode {
        path: path.to_owned(),
        source,
    };
    let mut encoder = png::Encoder::new(writer, frame.width(), frame.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_deflate_compression(deflate);
    encoder.set_filter(filter);
    let mut writer = encoder.write_header().map_err(encode_error)?;
    writer
        .write_image_data(&frame.to_rgb())
        .map_err(encode_error)?;
    writer.finish().map_err(encode_error)
}

/// The `png` crate settings for a python-mss level (see the [module docs](self)).
fn png_settings(level: u8) -> Result<(png::DeflateCompression, png::Filter), Error> {
    use png::{DeflateCompression, Filter};
    Ok(match level {
        0 => (DeflateCompression::NoCompression, Filter::NoFilter),
        1 | 2 => (DeflateCompression::FdeflateUltraFast, Filter::Up),
        3 | 4 => (DeflateCompression::Level(1), Filter::Adaptive),
        5 | 6 => (DeflateCompression::Level(2), Filter::Adaptive),
        7 => (DeflateCompression::Level(4), Filter::Adaptive),
        8 => (DeflateCompression::Level(6), Filter::Adaptive),
        9 => (DeflateCompression::Level(9), Filter::Adaptive),
        _ => return Err(Error::InvalidLevel { level }),
    })
}

/// Checks that `level` is a compression level (0-9).
///
/// # Errors
///
/// [`Error::InvalidLevel`] otherwise.
pub fn check_level(level: u8) -> Result<(), Error> {
    png_settings(level).map(drop)
}

/// Writes `frame` to `path` as a PNG at compression `level`, atomically (see the
/// [module docs](self)), and returns the path.
///
/// # Errors
///
/// [`Error::Write`] naming the path when the directory cannot take the file (missing,
/// read-only, full) or the rename fails; [`Error::InvalidLevel`], [`Error::Encode`].
pub fn write_png(frame: &Frame, path: impl AsRef<Path>, level: u8) -> Result<PathBuf, Error> {
    let path = path.as_ref();
    png_settings(level)?;
    let write_error = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    // The temporary file deletes itself on drop, so every early return below removes it.
    let temporary = tempfile::Builder::new()
        .prefix(".mss-")
        .suffix(".png.tmp")
        .tempfile_in(directory)
        .map_err(write_error)?;
    {
        let mut buffered = BufWriter::new(temporary.as_file());
        encode_png(frame, level, &mut buffered, path)?;
        buffered.flush().map_err(write_error)?;
    }
    temporary.as_file().sync_all().map_err(write_error)?;
    temporary
        .persist(path)
        .map_err(|error| write_error(error.error))?;
    Ok(path.to_owned())
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
