//! Conversion of a frame's pixels to packed 8-bit RGB and RGBA: the work behind
//! [`Frame::to_rgb`](crate::Frame::to_rgb), `to_rgba`, `write_rgb` and `write_rgba`.
//!
//! How it runs at about the speed of a memcpy of the frame, in safe code:
//!
//! - **Word kernels.** The four formats of 8-bit channels in 32-bit pixels (`Bgrx8888`,
//!   `Bgra8888`, `Rgbx8888`, `Rgba8888`: every X11 and Wayland screen in practice) are converted
//!   with integer operations on whole pixels, which the compiler turns into vector code: RGBA a
//!   32-bit pixel at a time (red and blue swapped with masks and shifts, opaque alpha OR-ed in),
//!   RGB eight pixels at a time (four 64-bit words in, three out). `Rgba8888` to RGBA is a copy.
//! - **Runs, not rows.** A packed frame (no row padding, as a full-screen grab of a 32-bit screen
//!   is) is one run of pixels, so a kernel's set-up is paid once per frame, not once per row.
//! - **No zeroed vector.** A target of the right length (a buffer reused across frames) is
//!   overwritten in place. Any other target (a new vector) is filled piece by piece: each piece
//!   of [`PIECE_PIXELS`] pixels is appended zeroed, then converted while it is still in the
//!   first-level cache. Zeroing the whole vector first would be one more pass over memory, and
//!   safe code cannot hand out uninitialised bytes to fill.
//! - **The instruction set, at run time (the `simd` feature).** x86-64's baseline, SSE2, has no
//!   byte shuffle, which packing 4-byte pixels into 3 bytes needs; compiled for it the RGB
//!   kernel runs at about half of memory speed. With the `simd` feature the same code is compiled
//!   again for AVX-512, AVX2 and SSE4.2, and `fearless_simd` runs the best one the processor has;
//!   there RGB packs four pixels with one byte shuffle (`pshufb`, `shuffle_to_rgb`) instead of
//!   the word kernel's shifts and masks. The dispatch and the shuffle are safe to call (the
//!   `unsafe` of calling `#[target_feature]` code lives in that crate, behind its detection), so
//!   this crate still forbids unsafe code.
//! - Other formats (16-bit, 2-10-10-10) decode pixel by pixel with [`PixelFormat::decode`]:
//!   exact, not fast.
//!
//! `conversion_oracle.rs` keeps the code these kernels replaced; the tests check every
//! conversion against it byte for byte.

use crate::PixelFormat;

/// How many source pixels a piece of a new vector holds: 16 KB of a 32-bit frame, converted
/// while the piece (12 or 16 KB) is still in the first-level data cache.
const PIECE_PIXELS: usize = 4096;

/// The packed 8-bit layouts a frame converts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Packed {
    /// `R, G, B`.
    Rgb,
    /// `R, G, B, A`.
    Rgba,
}

impl Packed {
    const fn bytes_per_pixel(self) -> usize {
        match self {
            Self::Rgb => 3,
            Self::Rgba => 4,
        }
    }
}

/// A frame's pixel bytes as runs of contiguous pixels: the whole frame when its rows are packed,
/// else one run per row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Runs<'a> {
    /// From the first pixel to the last; rows `stride` apart.
    bytes: &'a [u8],
    /// Pixel bytes in one run.
    run_bytes: usize,
    /// From the start of one run to the next.
    stride: usize,
    /// How many runs.
    count: usize,
}

impl<'a> Runs<'a> {
    /// The runs of `height` rows of `row_bytes` pixel bytes, `stride` apart in `bytes`.
    pub(crate) fn new(bytes: &'a [u8], row_bytes: usize, stride: usize, height: usize) -> Self {
        if stride == row_bytes {
            let run_bytes = row_bytes * height;
            Self {
                bytes,
                run_bytes,
                stride: run_bytes,
                count: 1,
            }
        } else {
            Self {
                bytes,
                run_bytes: row_bytes,
                stride,
                count: height,
            }
        }
    }

    fn iter(self) -> impl Iterator<Item = &'a [u8]> {
        (0..self.count).map(move |run| &self.bytes[run * self.stride..][..self.run_bytes])
    }
}

/// Converts `runs` of `format` pixels to `packed`, into `target`, which ends up holding exactly
/// the converted pixels.
pub(crate) fn convert(format: PixelFormat, runs: Runs<'_>, packed: Packed, target: &mut Vec<u8>) {
    let job = Job {
        kernel: Kernel::new(format, packed),
        runs,
        target,
    };
    #[cfg(feature = "simd")]
    if job.kernel.is_words() {
        job.run_at(fearless_simd::Level::new());
        return;
    }
    job.run(Words);
}

/// One conversion: what to convert, how, and where to.
struct Job<'a, 'b> {
    kernel: Kernel,
    runs: Runs<'a>,
    target: &'b mut Vec<u8>,
}

impl Job<'_, '_> {
    /// Runs the job compiled for `level`'s instruction set (the best of those compiled in that
    /// `level` allows): the same code, compiled once per instruction set.
    #[cfg(feature = "simd")]
    fn run_at(self, level: fearless_simd::Level) {
        fearless_simd::dispatch!(level, simd => self.run(Shuffles(simd)));
    }

    // Inlined with every kernel into each instruction set's build in `run_at`: code the
    // dispatch called without inlining would be compiled for the baseline only.
    #[inline(always)]
    fn run(self, packer: impl Packer) {
        let Self {
            kernel,
            runs,
            target,
        } = self;
        let (source_pixel, target_pixel) = (kernel.source_bytes(), kernel.target_bytes());
        let target_run = runs.run_bytes / source_pixel * target_pixel;
        let len = target_run * runs.count;
        if target.len() == len {
            for (run, target_run) in runs.iter().zip(target.chunks_exact_mut(target_run)) {
                kernel.convert(packer, run, target_run);
            }
            return;
        }
        target.clear();
        target.reserve_exact(len);
        for run in runs.iter() {
            for piece in run.chunks(PIECE_PIXELS * source_pixel) {
                let start = target.len();
                target.resize(start + piece.len() / source_pixel * target_pixel, 0);
                kernel.convert(packer, piece, &mut target[start..]);
            }
        }
    }
}

/// How one format converts to one packed layout.
#[derive(Clone, Copy, Debug)]
enum Kernel {
    /// A 32-bit format of 8-bit channels to RGBA; `swap`: red and blue change places
    /// (`B, G, R` first); `alpha` is OR-ed into each pixel read as a little-endian word:
    /// `0xFF00_0000` where the fourth byte is padding (alpha becomes 255), else 0. Neither
    /// (`Rgba8888`) is a copy.
    ///
    /// `alpha` is a value, not a constant of the kernel, on purpose: told that the fourth byte
    /// is overwritten, the compiler reads each pixel as three single bytes and no longer
    /// vectorises the loop.
    WordsToRgba { swap: bool, alpha: u32 },
    /// A 32-bit format of 8-bit channels to RGB; `swap` as above.
    WordsToRgb { swap: bool },
    /// Any other format, pixel by pixel.
    Decode(PixelFormat, Packed),
}

impl Kernel {
    fn new(format: PixelFormat, packed: Packed) -> Self {
        use PixelFormat::*;
        match (format, packed) {
            (Bgrx8888 | Bgra8888 | Rgbx8888 | Rgba8888, Packed::Rgba) => Self::WordsToRgba {
                swap: matches!(format, Bgrx8888 | Bgra8888),
                alpha: if format.has_alpha() { 0 } else { 0xFF00_0000 },
            },
            (Bgrx8888 | Bgra8888 | Rgbx8888 | Rgba8888, Packed::Rgb) => Self::WordsToRgb {
                swap: matches!(format, Bgrx8888 | Bgra8888),
            },
            _ => Self::Decode(format, packed),
        }
    }

    /// Whether this is a word kernel, which vector instructions speed up.
    #[cfg(feature = "simd")]
    fn is_words(self) -> bool {
        matches!(self, Self::WordsToRgba { .. } | Self::WordsToRgb { .. })
    }

    fn source_bytes(self) -> usize {
        match self {
            Self::WordsToRgba { .. } | Self::WordsToRgb { .. } => 4,
            Self::Decode(format, _) => format.bytes_per_pixel(),
        }
    }

    fn target_bytes(self) -> usize {
        match self {
            Self::WordsToRgba { .. } => 4,
            Self::WordsToRgb { .. } => 3,
            Self::Decode(_, packed) => packed.bytes_per_pixel(),
        }
    }

    /// Converts the whole pixels of `source` into `target`, which has room for them.
    #[inline(always)]
    fn convert(self, packer: impl Packer, source: &[u8], target: &mut [u8]) {
        match self {
            Self::WordsToRgba { swap: true, alpha } => words_to_rgba::<true>(source, target, alpha),
            Self::WordsToRgba {
                swap: false,
                alpha: 0,
            } => target.copy_from_slice(source),
            Self::WordsToRgba { swap: false, alpha } => {
                words_to_rgba::<false>(source, target, alpha);
            }
            Self::WordsToRgb { swap: true } => packer.to_rgb::<true>(source, target),
            Self::WordsToRgb { swap: false } => packer.to_rgb::<false>(source, target),
            Self::Decode(format, Packed::Rgba) => decode(format, source, target, |pixel| {
                [pixel.r, pixel.g, pixel.b, pixel.a]
            }),
            Self::Decode(format, Packed::Rgb) => {
                decode(format, source, target, |pixel| [pixel.r, pixel.g, pixel.b]);
            }
        }
    }
}

/// How 32-bit pixels are packed into RGB: with integer words (`Words`, every build) or with a
/// byte shuffle where the instruction set has one (`Shuffles`, the `simd` feature).
trait Packer: Copy {
    /// 32-bit pixels to RGB; `SWAP` swaps red and blue.
    fn to_rgb<const SWAP: bool>(self, source: &[u8], target: &mut [u8]);
}

/// Integer words only: what the compiler vectorises on its own.
#[derive(Clone, Copy, Debug)]
struct Words;

impl Packer for Words {
    #[inline(always)]
    fn to_rgb<const SWAP: bool>(self, source: &[u8], target: &mut [u8]) {
        words_to_rgb::<SWAP>(source, target);
    }
}

/// The byte shuffle of `fearless_simd`'s instruction set `S` (SSSE3's `pshufb` and up), where
/// it is one instruction; elsewhere (SSE2, the scalar fallback) integer words.
#[cfg(feature = "simd")]
#[derive(Clone, Copy, Debug)]
struct Shuffles<S>(S);

#[cfg(feature = "simd")]
impl<S: fearless_simd::Simd> Packer for Shuffles<S> {
    #[inline(always)]
    fn to_rgb<const SWAP: bool>(self, source: &[u8], target: &mut [u8]) {
        let level = self.0.level();
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        let shuffles = level.as_sse4_2().is_some();
        #[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
        let shuffles = !level.is_fallback();
        if shuffles {
            shuffle_to_rgb::<S, SWAP>(self.0, source, target);
        } else {
            words_to_rgb::<SWAP>(source, target);
        }
    }
}

/// 32-bit pixels to RGB four at a time with one byte shuffle: 16 bytes in, the 12 wanted bytes
/// first, stored as 16 bytes whose last 4 the next store (or the last pixels, one by one)
/// overwrites. `SWAP` swaps red and blue. The auto-vectorised word kernel needs several shifts
/// and masks for the same work, which AVX2 machines feel at 4K.
#[cfg(feature = "simd")]
#[inline(always)]
fn shuffle_to_rgb<S: fearless_simd::Simd, const SWAP: bool>(
    simd: S,
    source: &[u8],
    target: &mut [u8],
) {
    use fearless_simd::{SimdBase as _, u8x16};
    // The bytes of each 4-byte pixel to keep, in target order; the last four (the padding
    // bytes, which any store overwrites) only fill the vector.
    let order: [u8; 16] = if SWAP {
        [2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, 3, 7, 11, 15]
    } else {
        [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 3, 7, 11, 15]
    };
    let order = u8x16::from_slice(simd, &order);
    let pixels = source.len() / 4;
    // Blocks of four pixels whose 16-byte store stays inside the target.
    let blocks = if target.len() >= 16 {
        ((target.len() - 16) / 12 + 1).min(pixels / 4)
    } else {
        0
    };
    for (block, from) in source.chunks_exact(16).take(blocks).enumerate() {
        let packed = simd.swizzle_dyn_within_blocks_u8x16(u8x16::from_slice(simd, from), order);
        packed.store_slice(&mut target[block * 12..block * 12 + 16]);
    }
    words_to_rgb::<SWAP>(&source[blocks * 16..], &mut target[blocks * 12..]);
}

/// Red and blue of a 32-bit pixel read little-endian swapped: `B, G, R, X` becomes
/// `R, G, B, X` and back.
#[inline(always)]
const fn swap_red_blue(pixel: u32) -> u32 {
    (pixel & 0xFF00_FF00) | ((pixel >> 16) & 0xFF) | ((pixel & 0xFF) << 16)
}

/// 32-bit pixels to RGBA, one little-endian word at a time; `SWAP` swaps red and blue,
/// `alpha` is OR-ed in.
#[inline(always)]
fn words_to_rgba<const SWAP: bool>(source: &[u8], target: &mut [u8], alpha: u32) {
    for (from, to) in source.chunks_exact(4).zip(target.chunks_exact_mut(4)) {
        // One 4-byte load: built from four single bytes instead, the word is taken apart
        // byte by byte again and the loop is no longer vectorised.
        let mut pixel = u32::from_le_bytes(from.try_into().expect("chunks of 4 bytes"));
        if SWAP {
            pixel = swap_red_blue(pixel);
        }
        to.copy_from_slice(&(pixel | alpha).to_le_bytes());
    }
}

/// 32-bit pixels to RGB, eight at a time: four 64-bit words of two pixels each in, three
/// 64-bit words out; `SWAP` swaps red and blue. The last pixels (fewer than eight) go one by
/// one.
#[inline(always)]
fn words_to_rgb<const SWAP: bool>(source: &[u8], target: &mut [u8]) {
    let mut source_blocks = source.chunks_exact(32);
    let mut target_blocks = target.chunks_exact_mut(24);
    for (from, to) in (&mut source_blocks).zip(&mut target_blocks) {
        // Two pixels as `R, G, B` in bytes 0-2 and 3-5 of a word, bytes 6 and 7 zero.
        let pair = |at: usize| {
            let mut word = [0; 8];
            word.copy_from_slice(&from[at..at + 8]);
            let mut word = u64::from_le_bytes(word);
            if SWAP {
                word = (word & 0x0000_FF00_0000_FF00)
                    | ((word >> 16) & 0x0000_00FF_0000_00FF)
                    | ((word & 0x0000_00FF_0000_00FF) << 16);
            }
            (word & 0x00FF_FFFF) | ((word >> 8) & 0xFFFF_FF00_0000)
        };
        let (first, second, third, fourth) = (pair(0), pair(8), pair(16), pair(24));
        to[0..8].copy_from_slice(&(first | second << 48).to_le_bytes());
        to[8..16].copy_from_slice(&(second >> 16 | third << 32).to_le_bytes());
        to[16..24].copy_from_slice(&(third >> 32 | fourth << 16).to_le_bytes());
    }
    let last = source_blocks.remainder().chunks_exact(4);
    for (from, to) in last.zip(target_blocks.into_remainder().chunks_exact_mut(3)) {
        if SWAP {
            to.copy_from_slice(&[from[2], from[1], from[0]]);
        } else {
            to.copy_from_slice(&from[..3]);
        }
    }
}

/// Any format, decoding pixel by pixel; `pack` lays out one decoded pixel.
fn decode<const N: usize>(
    format: PixelFormat,
    source: &[u8],
    target: &mut [u8],
    pack: impl Fn(crate::Rgba) -> [u8; N],
) {
    let step = format.bytes_per_pixel();
    for (from, to) in source.chunks_exact(step).zip(target.chunks_exact_mut(N)) {
        to.copy_from_slice(&pack(format.decode(from)));
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::conversion_oracle::{self, FORMATS, noise_frame};

    /// A named way of running a job.
    type Way = (&'static str, fn(Job<'_, '_>));

    /// Every way this build can run a conversion: as compiled for the baseline, and (with the
    /// `simd` feature, on x86) for each instruction set this processor has.
    fn ways() -> Vec<Way> {
        let ways: Vec<Way> = vec![("baseline", |job| job.run(Words))];
        #[cfg(all(feature = "simd", any(target_arch = "x86", target_arch = "x86_64")))]
        let ways = {
            use fearless_simd::Level;
            let mut ways = ways;
            let best = Level::new();
            if best.as_avx512().is_some() {
                ways.push(("avx512", |job| job.run_at(Level::new())));
            }
            if best.as_avx2().is_some() {
                ways.push(("avx2", |job| {
                    job.run_at(Level::Avx2(Level::new().as_avx2().unwrap()));
                }));
            }
            if best.as_sse4_2().is_some() {
                ways.push(("sse4.2", |job| {
                    job.run_at(Level::Sse4_2(Level::new().as_sse4_2().unwrap()));
                }));
            }
            if best.as_sse2().is_some() {
                ways.push(("sse2", |job| {
                    job.run_at(Level::Sse2(Level::new().as_sse2().unwrap()));
                }));
            }
            ways
        };
        ways
    }

    fn check(frame: &crate::Frame) -> Result<(), TestCaseError> {
        for (packed, expected) in [
            (Packed::Rgb, conversion_oracle::to_rgb(frame)),
            (Packed::Rgba, conversion_oracle::to_rgba(frame)),
        ] {
            for (way, run) in ways() {
                // A new vector (filled piece by piece) and a reused one of the right length
                // (overwritten in place).
                for mut target in [Vec::new(), vec![0xA5; expected.len()]] {
                    run(Job {
                        kernel: Kernel::new(frame.format(), packed),
                        runs: frame.runs(),
                        target: &mut target,
                    });
                    prop_assert_eq!(
                        &target,
                        &expected,
                        "{:?} to {:?}, {}",
                        frame.format(),
                        packed,
                        way
                    );
                }
            }
        }
        Ok(())
    }

    /// The checks below cover the dispatched builds, not the baseline alone: on x86-64 (whose
    /// baseline is SSE2) with the `simd` feature, at least the SSE2 build is among them, and
    /// each build the processor can run (printed) is.
    #[test]
    fn the_checks_cover_the_dispatched_builds() {
        let ways: Vec<_> = ways().into_iter().map(|(way, _)| way).collect();
        eprintln!("conversions checked as compiled for: {ways:?}");
        assert_eq!(ways[0], "baseline");
        #[cfg(all(feature = "simd", target_arch = "x86_64"))]
        assert!(ways.contains(&"sse2"), "{ways:?}");
        #[cfg(not(feature = "simd"))]
        assert_eq!(ways, ["baseline"]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Each instruction set's build of the kernels equals the oracle, for every format,
        /// width (every tail of the 4-, 8- and 16-pixel blocks), padding and offset.
        #[test]
        fn every_instruction_set_equals_the_oracle(
            format_index in 0..FORMATS.len(),
            width in 1u32..80,
            height in 1u32..5,
            padding in prop_oneof![Just(0usize), 1usize..13],
            offset in 0usize..8,
            seed in any::<u64>(),
        ) {
            check(&noise_frame(FORMATS[format_index], width, height, padding, offset, seed))?;
        }
    }

    /// Packed frames of more than one piece, and rows longer than a piece.
    #[test]
    fn pieces_and_long_rows_equal_the_oracle() {
        for format in FORMATS {
            for (width, height, padding) in [(PIECE_PIXELS as u32 + 3, 3, 0), (5000, 2, 4)] {
                check(&noise_frame(format, width, height, padding, 3, 7)).unwrap_or_else(|error| {
                    panic!("{format:?} {width}x{height}+{padding}: {error}")
                });
            }
        }
    }
}
