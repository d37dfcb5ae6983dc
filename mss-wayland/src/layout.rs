//! What a capture is shaped like: the shared-memory formats this backend captures and their
//! bytes per pixel, the buffer layout a compositor offers for a frame, and the region of one
//! output a copy covers. Plain values, used by every step from the offers to the stream.

use mss_core::{PixelFormat, Region};
use wayland_client::WEnum;
use wayland_client::protocol::wl_shm;

/// The pixel formats captured, in order of preference, with the layout each is in memory.
/// Wayland names formats as little-endian integers, so `XRGB8888` is bytes `B, G, R, X`.
pub(crate) const FORMATS: [(wl_shm::Format, PixelFormat); 4] = [
    (wl_shm::Format::Xrgb8888, PixelFormat::Bgrx8888),
    (wl_shm::Format::Argb8888, PixelFormat::Bgra8888),
    (wl_shm::Format::Xbgr8888, PixelFormat::Rgbx8888),
    (wl_shm::Format::Abgr8888, PixelFormat::Rgba8888),
];

/// The bytes one pixel takes in every format of [`FORMATS`] (all four are 32-bit), to size a
/// frame before the compositor has said which format it delivers.
pub(crate) const BYTES_PER_PIXEL: u64 = 4;

/// The pixel format of a Wayland shared-memory format, if it is one mss-rs captures.
#[cfg(test)]
fn pixel_format(format: WEnum<wl_shm::Format>) -> Option<PixelFormat> {
    let WEnum::Value(format) = format else {
        return None;
    };
    FORMATS
        .iter()
        .find(|(wayland, _)| *wayland == format)
        .map(|&(_, pixel)| pixel)
}

/// A Wayland format's name for messages: `XRGB8888`, or its number when unknown.
pub(crate) fn format_name(format: WEnum<wl_shm::Format>) -> String {
    match format {
        WEnum::Value(format) => format!("{format:?}").to_uppercase(),
        WEnum::Unknown(value) => format!("format {value:#010x}"),
    }
}

/// A shared-memory buffer layout a screencopy frame accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BufferLayout {
    pub(crate) format: WEnum<wl_shm::Format>,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) stride: u32,
}

/// A region of one output to capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OutputRegion {
    /// The output's index in the connection's output list.
    pub(crate) output: usize,
    /// Where the output is on the screen (damage comes in its coordinates).
    pub(crate) placed: Region,
    /// The region captured, in screen coordinates, inside `placed`.
    pub(crate) region: Region,
}

impl OutputRegion {
    /// The region in the output's own logical coordinates, as `capture_output_region` takes
    /// it: left, top, width, height.
    pub(crate) fn local(&self) -> (i32, i32, i32, i32) {
        (
            self.region.left() - self.placed.left(),
            self.region.top() - self.placed.top(),
            self.region.width() as i32,
            self.region.height() as i32,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_captured_takes_the_same_bytes_per_pixel() {
        for (_, format) in FORMATS {
            assert_eq!(
                format.bytes_per_pixel() as u64,
                BYTES_PER_PIXEL,
                "{format:?}"
            );
        }
    }

    #[test]
    fn formats_map_to_their_byte_layouts() {
        assert_eq!(
            pixel_format(WEnum::Value(wl_shm::Format::Xrgb8888)),
            Some(PixelFormat::Bgrx8888)
        );
        assert_eq!(
            pixel_format(WEnum::Value(wl_shm::Format::Abgr8888)),
            Some(PixelFormat::Rgba8888)
        );
        assert_eq!(pixel_format(WEnum::Value(wl_shm::Format::Rgb565)), None);
        assert_eq!(pixel_format(WEnum::Unknown(0x1234)), None);
        assert_eq!(
            format_name(WEnum::Value(wl_shm::Format::Xrgb8888)),
            "XRGB8888"
        );
        assert_eq!(format_name(WEnum::Unknown(0x1234)), "format 0x00001234");
    }

    fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
        Region::new(left, top, width, height).unwrap()
    }

    #[test]
    fn a_region_is_given_to_the_compositor_in_the_outputs_coordinates() {
        let target = OutputRegion {
            output: 1,
            placed: region(640, 100, 400, 300),
            region: region(650, 120, 30, 20),
        };
        assert_eq!(target.local(), (10, 20, 30, 20));
    }
}
