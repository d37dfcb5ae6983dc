//! The pointer as a screen cast sends it (cursor metadata, `spa_meta_cursor`): what a cast
//! remembers of it, and its image turned into mss-core's [`CursorImage`] layout.
//!
//! A producer sends the pointer's image only when it changes (mutter: on the first frame, then
//! when the sprite changes); later metadata carries the position alone, with no hot spot. So
//! a cast keeps the newest image with its hot spot ([`Sprite`]) apart from the newest
//! position, and an image is made from the two. An id of 0 says the pointer is not over the
//! monitor, or hidden; the sprite is kept for when it comes back.
//!
//! # Pixels
//!
//! mss-core's cursor words are premultiplied ARGB (`0xAARRGGBB`), as XFixes sends them. SPA
//! names a bitmap's format by its bytes in memory ([`VideoFormat`]); mutter sends `RGBA`
//! whose colours are premultiplied (Cogl's `RGBA_8888_PRE`), as the other producers of cursor
//! metadata do (pointer images are premultiplied throughout Wayland and X11), so the channels
//! are only reordered, never multiplied again. A format without alpha (`RGBx`, `xRGB`...) is
//! opaque.

use std::sync::Arc;

use mss_libpipewire::{CursorBitmap, MetaCursor};
use mss_spa_pod::VideoFormat;

/// The largest pointer image taken, in pixels each way (producers send at most a few hundred;
/// the metadata asked for has room for 1024x1024).
pub(crate) const MAX_SIZE: u32 = 1024;

/// A pointer image in mss-core's layout, with its hot spot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sprite {
    /// Width in pixels (0 for an empty image: the pointer shows nothing).
    pub(crate) width: u32,
    /// Height in pixels.
    pub(crate) height: u32,
    /// The hot spot within the image.
    pub(crate) hotspot: (i32, i32),
    /// Premultiplied ARGB words, row by row.
    pub(crate) pixels: Vec<u32>,
}

/// What a cast's newest cursor metadata says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Pointer {
    /// Where the pointer is, in the cast's pixels; `None` when it is not over the monitor or
    /// hidden (id 0).
    pub(crate) position: Option<(i32, i32)>,
    /// The newest image, once one came.
    pub(crate) sprite: Option<Arc<Sprite>>,
    /// Why the newest image sent could not be taken, if it could not.
    pub(crate) refused: Option<String>,
}

impl Pointer {
    /// Whether the pointer is over the monitor but its image never came (nor one that could
    /// not be read): the buffer that carried it was lost.
    pub(crate) fn lost_image(&self) -> bool {
        self.position.is_some() && self.sprite.is_none() && self.refused.is_none()
    }

    /// Takes one buffer's cursor metadata.
    pub(crate) fn update(&mut self, meta: &MetaCursor) {
        if meta.id == 0 {
            self.position = None;
            return;
        }
        self.position = Some(meta.position);
        if let Some(bitmap) = &meta.bitmap {
            match sprite(bitmap, meta.hotspot) {
                Ok(sprite) => {
                    self.sprite = Some(Arc::new(sprite));
                    self.refused = None;
                }
                Err(reason) => {
                    self.sprite = None;
                    self.refused = Some(reason);
                }
            }
        }
    }
}

/// `bitmap` with hot spot `hotspot` in mss-core's layout.
///
/// # Errors
///
/// Why it cannot be read: a format that is not packed 32-bit RGB, a size over [`MAX_SIZE`],
/// or rows that do not fit the bytes sent.
pub(crate) fn sprite(bitmap: &CursorBitmap, hotspot: (i32, i32)) -> Result<Sprite, String> {
    let (width, height) = (bitmap.width, bitmap.height);
    if width == 0 || height == 0 {
        return Ok(Sprite {
            width: 0,
            height: 0,
            hotspot,
            pixels: Vec::new(),
        });
    }
    if width > MAX_SIZE || height > MAX_SIZE {
        return Err(format!(
            "a {width}x{height} pointer image, larger than {MAX_SIZE}x{MAX_SIZE}"
        ));
    }
    let format = VideoFormat::from_id(bitmap.format);
    let word = word_of(format).ok_or_else(|| {
        format!(
            "a pointer image in video format {} ({format:?}), not packed 32-bit RGB",
            bitmap.format
        )
    })?;
    let row = width as usize * 4;
    let stride = bitmap.stride as usize;
    let needed = (height as usize - 1)
        .checked_mul(stride)
        .and_then(|bytes| bytes.checked_add(row));
    if stride < row || needed.is_none_or(|needed| needed > bitmap.pixels.len()) {
        return Err(format!(
            "a {width}x{height} pointer image with stride {stride} in {} bytes",
            bitmap.pixels.len()
        ));
    }
    let pixels = bitmap
        .pixels
        .chunks(stride)
        .take(height as usize)
        .flat_map(|line| line[..row].chunks_exact(4))
        .map(|bytes| word([bytes[0], bytes[1], bytes[2], bytes[3]]))
        .collect();
    Ok(Sprite {
        width,
        height,
        hotspot,
        pixels,
    })
}

/// How a pixel's four bytes, in memory order, make a premultiplied ARGB word.
fn word_of(format: VideoFormat) -> Option<fn([u8; 4]) -> u32> {
    Some(match format {
        VideoFormat::Rgba => |[r, g, b, a]: [u8; 4]| argb(a, r, g, b),
        VideoFormat::Bgra => |[b, g, r, a]: [u8; 4]| argb(a, r, g, b),
        VideoFormat::Argb => |[a, r, g, b]: [u8; 4]| argb(a, r, g, b),
        VideoFormat::Abgr => |[a, b, g, r]: [u8; 4]| argb(a, r, g, b),
        VideoFormat::Rgbx => |[r, g, b, _]: [u8; 4]| argb(255, r, g, b),
        VideoFormat::Bgrx => |[b, g, r, _]: [u8; 4]| argb(255, r, g, b),
        VideoFormat::Xrgb => |[_, r, g, b]: [u8; 4]| argb(255, r, g, b),
        VideoFormat::Xbgr => |[_, b, g, r]: [u8; 4]| argb(255, r, g, b),
        _ => return None,
    })
}

/// The word of channels `a`, `r`, `g`, `b`.
fn argb(a: u8, r: u8, g: u8, b: u8) -> u32 {
    u32::from_be_bytes([a, r, g, b])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bitmap(
        format: VideoFormat,
        width: u32,
        height: u32,
        stride: u32,
        pixels: &[u8],
    ) -> CursorBitmap {
        CursorBitmap::new(format.id(), width, height, stride, pixels.to_vec())
    }

    #[test]
    fn every_packed_format_gives_the_same_premultiplied_argb_words() {
        // Two pixels: a half-transparent premultiplied red (alpha 0x80, red 0x80) and an
        // opaque colour 0x112233.
        let cases: [(VideoFormat, [u8; 8]); 4] = [
            (
                VideoFormat::Rgba,
                [0x80, 0, 0, 0x80, 0x11, 0x22, 0x33, 0xFF],
            ),
            (
                VideoFormat::Bgra,
                [0, 0, 0x80, 0x80, 0x33, 0x22, 0x11, 0xFF],
            ),
            (
                VideoFormat::Argb,
                [0x80, 0x80, 0, 0, 0xFF, 0x11, 0x22, 0x33],
            ),
            (
                VideoFormat::Abgr,
                [0x80, 0, 0, 0x80, 0xFF, 0x33, 0x22, 0x11],
            ),
        ];
        for (format, bytes) in cases {
            let sprite = sprite(&bitmap(format, 2, 1, 8, &bytes), (1, 0)).unwrap();
            assert_eq!(sprite.pixels, [0x8080_0000, 0xFF11_2233], "{format:?}");
            assert_eq!(
                (sprite.width, sprite.height, sprite.hotspot),
                (2, 1, (1, 0))
            );
        }
    }

    #[test]
    fn formats_without_alpha_are_opaque() {
        let cases: [(VideoFormat, [u8; 4]); 4] = [
            (VideoFormat::Rgbx, [0x11, 0x22, 0x33, 0x00]),
            (VideoFormat::Bgrx, [0x33, 0x22, 0x11, 0x00]),
            (VideoFormat::Xrgb, [0x00, 0x11, 0x22, 0x33]),
            (VideoFormat::Xbgr, [0x00, 0x33, 0x22, 0x11]),
        ];
        for (format, bytes) in cases {
            let sprite = sprite(&bitmap(format, 1, 1, 4, &bytes), (0, 0)).unwrap();
            assert_eq!(sprite.pixels, [0xFF11_2233], "{format:?}");
        }
    }

    #[test]
    fn rows_are_read_at_the_stride_and_the_padding_left_out() {
        // 1x2 pixels, rows 8 bytes apart: the last row needs only its 4 bytes.
        let bytes = [1, 2, 3, 4, 9, 9, 9, 9, 5, 6, 7, 8];
        let sprite = sprite(&bitmap(VideoFormat::Rgba, 1, 2, 8, &bytes), (0, 0)).unwrap();
        assert_eq!(sprite.pixels, [0x0401_0203, 0x0805_0607]);
    }

    #[test]
    fn a_malformed_image_is_refused_saying_why() {
        let pixels = [0u8; 16];
        for (format, width, height, stride, bytes, says) in [
            (VideoFormat::Rgba, 2, 2, 4, &pixels[..], "stride 4"),
            (VideoFormat::Rgba, 2, 2, 8, &pixels[..15], "in 15 bytes"),
            (
                VideoFormat::Other(2),
                1,
                1,
                4,
                &pixels[..],
                "video format 2",
            ),
            (
                VideoFormat::Rgba,
                2000,
                1,
                8000,
                &pixels[..],
                "larger than 1024x1024",
            ),
        ] {
            let refused = sprite(&bitmap(format, width, height, stride, bytes), (0, 0));
            let reason = refused.unwrap_err();
            assert!(reason.contains(says), "{reason}");
        }
    }

    #[test]
    fn the_newest_image_stays_while_the_pointer_moves_and_leaves() {
        let mut pointer = Pointer::default();
        let image = bitmap(VideoFormat::Rgba, 1, 1, 4, &[1, 2, 3, 4]);
        // Position only: the image was lost.
        pointer.update(&MetaCursor::new(1, (9, 19), (0, 0), None));
        assert!(pointer.lost_image());
        pointer.update(&MetaCursor::new(1, (10, 20), (3, 4), Some(image)));
        assert!(!pointer.lost_image());
        let first = pointer.sprite.clone().unwrap();
        assert_eq!((pointer.position, first.hotspot), (Some((10, 20)), (3, 4)));
        // Later metadata: the position alone, hot spot 0 (mutter's), no image.
        pointer.update(&MetaCursor::new(1, (11, 21), (0, 0), None));
        assert_eq!(pointer.position, Some((11, 21)));
        assert_eq!(pointer.sprite.as_deref(), Some(&*first));
        // Gone from the monitor (id 0): no position, the image kept for its return.
        pointer.update(&MetaCursor::new(0, (0, 0), (0, 0), None));
        assert_eq!(pointer.position, None);
        assert_eq!(pointer.sprite.as_deref(), Some(&*first));
        // An image that cannot be read is not kept, and says why.
        let bad = bitmap(VideoFormat::Other(2), 1, 1, 4, &[0; 4]);
        pointer.update(&MetaCursor::new(1, (5, 5), (0, 0), Some(bad)));
        assert_eq!(pointer.sprite, None);
        assert!(!pointer.lost_image());
        assert!(
            pointer
                .refused
                .as_deref()
                .unwrap()
                .contains("video format 2")
        );
    }
}
