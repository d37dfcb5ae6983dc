//! The GetImage grab: the server's reply buffer becomes the frame's storage.

use mss_core::{Error, Frame, PixelStorage, Region};
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat};

use crate::connection::X11Connection;
use crate::display::X11Display;

/// Bytes before the pixel data in a GetImage reply.
pub(crate) const GET_IMAGE_HEADER_LEN: usize = 32;

/// A raw reply buffer from an x11rb connection, holding a frame's pixels where they arrived.
///
/// `B` is the connection's `Buf`: a `Vec<u8>` for `RustConnection`, a libxcb-allocated
/// `CSlice` for `XCBConnection`. Dropping the frame frees it.
#[derive(Debug)]
pub(crate) struct ReplyStorage<B> {
    buffer: B,
}

impl<B> ReplyStorage<B> {
    /// Wraps a reply buffer.
    pub(crate) fn new(buffer: B) -> Self {
        Self { buffer }
    }
}

impl<B: AsRef<[u8]> + Send + Sync + 'static> PixelStorage for ReplyStorage<B> {
    fn bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<C: X11Connection> X11Display<C> {
    /// Captures `region` of the root window with the core `GetImage` request.
    ///
    /// The region is checked against the current screen first (no round trip). The reply is
    /// read raw and kept as the frame's storage, so the pixels are not copied after they
    /// arrive; rows are padded as the server pads them ([`stride_for`](Self::stride_for)).
    ///
    /// # Errors
    ///
    /// - [`Error::RegionOutOfBounds`] when `region` is not entirely on the screen (also when
    ///   the server refuses it because the screen just shrank).
    /// - [`Error::Protocol`] naming `GetImage` when the server fails the request or returns an
    ///   image of another depth or visual than the screen's.
    /// - [`Error::ConnectionLost`] when the connection breaks.
    pub fn get_image(&mut self, region: Region) -> Result<Frame, Error> {
        let (x, y, width, height) = self.check_region(region)?;
        let reply = self
            .connection()
            .get_image(
                ImageFormat::Z_PIXMAP,
                self.root(),
                x,
                y,
                width,
                height,
                u32::MAX,
            )
            .map_err(|error| self.connection_lost(error))?
            .raw_reply();
        let buffer = match reply {
            Ok(buffer) => buffer,
            Err(error) => return Err(self.grab_error(region, "GetImage", error)),
        };
        let stride = self.stride_for(width);
        let (depth, visual) = self.get_image_reply(buffer.as_ref(), stride, (width, height))?;
        self.check_reply_visual("GetImage", depth, visual)?;
        Frame::new(
            ReplyStorage::new(buffer),
            GET_IMAGE_HEADER_LEN,
            region,
            stride,
            self.format(),
        )
    }

    /// The depth and visual in a raw `GetImage` reply of a `width` x `height` image whose rows
    /// are `stride` bytes apart. The reply must hold its header and exactly the image's bytes
    /// (padded to a multiple of 4, as every reply is): a server that sends fewer has not sent
    /// the image, and one that sends more has not laid it out as its setup says.
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] naming `GetImage` and both lengths.
    pub(crate) fn get_image_reply(
        &self,
        bytes: &[u8],
        stride: usize,
        (width, height): (u16, u16),
    ) -> Result<(u8, u32), Error> {
        let image_len = stride * usize::from(height);
        let carried = bytes.len().checked_sub(GET_IMAGE_HEADER_LEN);
        if carried != Some(image_len.next_multiple_of(4)) {
            return Err(Error::Protocol {
                display: self.display_name().to_owned(),
                request: "GetImage",
                message: format!(
                    "the reply carries {} bytes of pixels for a {width}x{height} image of \
                     {image_len} bytes ({stride} a row)",
                    carried.map_or_else(|| "not even a header, no".to_owned(), |n| n.to_string()),
                ),
                source: None,
            });
        }
        // x11rb connections use the client's byte order, so reply fields are native-endian.
        Ok((
            bytes[1],
            u32::from_ne_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]),
        ))
    }
}
