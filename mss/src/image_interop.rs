//! Conversions from frames to the `image` crate (feature `image`).
//!
//! # Views and copies
//!
//! These conversions **copy**: X11 frames are `B, G, R, X` (or 16- and 30-bit layouts), and
//! `image` 0.25 has no pixel type for BGR(A) byte order (it was removed in 0.24), so no
//! `ImageBuffer` can show a frame's bytes as they are without lying about the channel order.
//! A zero-copy view over a frame would only be honest for a packed RGBA-ordered layout, which
//! no X11 screen produces; mss-rs therefore offers none rather than a view with red and blue
//! swapped. To avoid allocating per frame, convert into a buffer you keep with
//! [`Frame::write_rgba`] and wrap it with `ImageBuffer::from_raw`.

use image::{RgbImage, RgbaImage};
use mss_core::Frame;

/// Converting a [`Frame`] to `image` types; in the [prelude](crate::prelude).
pub trait ToImage {
    /// The frame as an 8-bit RGBA image (a converted copy; formats without alpha give 255).
    fn to_rgba_image(&self) -> RgbaImage;

    /// The frame as an 8-bit RGB image (a converted copy).
    fn to_rgb_image(&self) -> RgbImage;
}

impl ToImage for Frame {
    fn to_rgba_image(&self) -> RgbaImage {
        RgbaImage::from_raw(self.width(), self.height(), self.to_rgba())
            .expect("to_rgba returns width * height * 4 bytes")
    }

    fn to_rgb_image(&self) -> RgbImage {
        RgbImage::from_raw(self.width(), self.height(), self.to_rgb())
            .expect("to_rgb returns width * height * 3 bytes")
    }
}

#[cfg(test)]
mod tests {
    use mss_core::{PixelFormat, Region, Rgba};

    use super::*;

    #[test]
    fn conversions_keep_every_pixel() {
        let region = Region::new(4, 5, 2, 2).unwrap();
        let bytes = vec![1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 10, 11, 12, 0];
        let frame = Frame::from_vec(bytes, region, PixelFormat::Bgrx8888).unwrap();
        let rgba = frame.to_rgba_image();
        let rgb = frame.to_rgb_image();
        for (x, y) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            let Rgba { r, g, b, a } = frame.pixel(x, y).unwrap();
            assert_eq!(rgba.get_pixel(x, y).0, [r, g, b, a]);
            assert_eq!(rgb.get_pixel(x, y).0, [r, g, b]);
        }
    }
}
