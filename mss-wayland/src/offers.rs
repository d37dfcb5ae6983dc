//! The buffer layouts a compositor offers for one screencopy frame: kept within a bound
//! however many `buffer` events come, checked, and one chosen.
//!
//! A layout is usable when it has pixels and its rows hold them: a stride smaller than a row
//! (width times 4 bytes in every format read), or a width or height of zero, would make a frame
//! read past its rows or describe nothing. Among the usable layouts the first of the most
//! preferred format ([`FORMATS`]) is chosen. When none is usable, the error names what is
//! wrong with the layouts offered, so a buggy compositor is reported as such rather than as a
//! frame that does not fit its memory.

use mss_core::{Error, PixelFormat};
use wayland_client::WEnum;

use crate::BACKEND_NAME;
use crate::layout::{BYTES_PER_PIXEL, BufferLayout, FORMATS, format_name};
use crate::limit::MAX_LAYOUTS;

/// The layouts offered for one frame: the first [`MAX_LAYOUTS`] distinct ones.
#[derive(Debug, Default)]
pub(crate) struct Offers {
    kept: Vec<BufferLayout>,
    /// How many `buffer` events came, repeated ones included.
    received: u64,
}

impl Offers {
    /// Takes one `buffer` event's layout.
    pub(crate) fn offer(&mut self, layout: BufferLayout) {
        self.received += 1;
        if self.kept.len() < MAX_LAYOUTS && !self.kept.contains(&layout) {
            self.kept.push(layout);
        }
    }

    /// No layout was offered yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.received == 0
    }

    /// How many layouts are kept.
    pub(crate) fn kept(&self) -> usize {
        self.kept.len()
    }

    /// The usable layout of the most preferred format, with its pixel format.
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] naming the problem when layouts of a readable format were offered
    /// but none is usable; [`Error::Unsupported`] when no layout of a readable format was
    /// offered (naming those that were, or saying there were none: dmabuf only).
    pub(crate) fn choose(&self, display: &str) -> Result<(BufferLayout, PixelFormat), Error> {
        let chosen = FORMATS.iter().find_map(|(wayland, pixel)| {
            self.kept
                .iter()
                .find(|layout| {
                    layout.format == WEnum::Value(*wayland) && layout_problem(layout).is_none()
                })
                .map(|layout| (*layout, *pixel))
        });
        if let Some(chosen) = chosen {
            return Ok(chosen);
        }
        let readable = |layout: &&BufferLayout| {
            FORMATS
                .iter()
                .any(|(wayland, _)| layout.format == WEnum::Value(*wayland))
        };
        if let Some(layout) = self.kept.iter().find(readable) {
            let problem = layout_problem(layout).unwrap_or_default();
            return Err(Error::Protocol {
                display: display.to_owned(),
                request: "zwlr_screencopy_frame_v1.buffer",
                message: format!(
                    "the compositor offers {} buffers of {}x{} pixels with stride {} bytes, \
                     which cannot hold a frame: {problem}",
                    format_name(layout.format),
                    layout.width,
                    layout.height,
                    layout.stride
                ),
                source: None,
            });
        }
        let offered: Vec<String> = self
            .kept
            .iter()
            .map(|layout| format_name(layout.format))
            .collect();
        Err(Error::Unsupported {
            backend: BACKEND_NAME,
            what: "the compositor's buffer formats",
            reason: if offered.is_empty() {
                "the compositor offers no shared-memory buffer for screencopy (only dmabuf, \
                 which mss-rs does not read)"
                    .to_owned()
            } else {
                format!(
                    "it offers {} for screencopy; mss-rs reads XRGB8888, ARGB8888, XBGR8888 \
                     and ABGR8888",
                    offered.join(", ")
                )
            },
        })
    }
}

/// What makes `layout` unusable, in words, or `None` when it is usable.
fn layout_problem(layout: &BufferLayout) -> Option<String> {
    let row = u64::from(layout.width) * BYTES_PER_PIXEL;
    if layout.width == 0 || layout.height == 0 {
        Some("it has no pixels".to_owned())
    } else if u64::from(layout.stride) < row {
        Some(format!(
            "the stride is smaller than a row of {} pixels ({row} bytes)",
            layout.width
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wayland_client::protocol::wl_shm::Format;

    fn layout(format: Format, width: u32, height: u32, stride: u32) -> BufferLayout {
        BufferLayout {
            format: WEnum::Value(format),
            width,
            height,
            stride,
        }
    }

    fn offers(layouts: &[BufferLayout]) -> Offers {
        let mut offers = Offers::default();
        for layout in layouts {
            offers.offer(*layout);
        }
        offers
    }

    #[test]
    fn the_usable_layout_of_the_preferred_format_is_chosen() {
        let argb = layout(Format::Argb8888, 10, 5, 40);
        let xrgb = layout(Format::Xrgb8888, 10, 5, 48);
        let narrow = layout(Format::Xrgb8888, 10, 5, 39);
        assert_eq!(
            offers(&[argb, narrow, xrgb]).choose("d").unwrap(),
            (xrgb, PixelFormat::Bgrx8888)
        );
        assert_eq!(
            offers(&[narrow, argb]).choose("d").unwrap(),
            (argb, PixelFormat::Bgra8888)
        );
    }

    #[test]
    fn unusable_layouts_are_an_error_naming_the_problem() {
        for (offered, problem) in [
            (
                layout(Format::Xrgb8888, 10, 5, 4),
                "stride 4 bytes, which cannot hold a frame: the stride is smaller than a row of \
                 10 pixels (40 bytes)",
            ),
            (layout(Format::Abgr8888, 0, 5, 40), "it has no pixels"),
            (layout(Format::Abgr8888, 10, 0, 40), "it has no pixels"),
            (
                layout(Format::Xbgr8888, u32::MAX, 1, u32::MAX),
                "smaller than a row of 4294967295 pixels (17179869180 bytes)",
            ),
        ] {
            let error = offers(&[offered]).choose("wayland-1").unwrap_err();
            assert!(
                matches!(&error, Error::Protocol { request: "zwlr_screencopy_frame_v1.buffer", message, .. }
                    if message.contains(problem)),
                "{offered:?}: {error}"
            );
        }
        let other = layout(Format::Rgb565, 10, 5, 20);
        let error = offers(&[other]).choose("d").unwrap_err();
        assert!(
            matches!(&error, Error::Unsupported { reason, .. } if reason.contains("offers RGB565")),
            "{error}"
        );
        let error = offers(&[]).choose("d").unwrap_err();
        assert!(
            matches!(&error, Error::Unsupported { reason, .. } if reason.contains("only dmabuf")),
            "{error}"
        );
    }

    #[test]
    fn repeated_offers_keep_at_most_the_first_distinct_layouts() {
        let mut offers = Offers::default();
        for repeat in 0..10_000u32 {
            offers.offer(layout(Format::Xrgb8888, 10, 5, 40 + repeat % 100));
        }
        assert_eq!(offers.kept(), MAX_LAYOUTS);
        assert_eq!(offers.received, 10_000);
        assert_eq!(offers.choose("d").unwrap().0.stride, 40);
    }
}
