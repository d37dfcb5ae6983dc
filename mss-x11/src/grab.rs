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
        let (depth, visual) = self.get_image_header(buffer.as_ref())?;
        self.check_reply_visual("GetImage", depth, visual)?;
        Frame::new(
            ReplyStorage::new(buffer),
            GET_IMAGE_HEADER_LEN,
            region,
            self.stride_for(width),
            self.format(),
        )
    }

    /// The depth and visual in a raw `GetImage` reply, which must at least hold its header.
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] for a reply shorter than its header.
    pub(crate) fn get_image_header(&self, bytes: &[u8]) -> Result<(u8, u32), Error> {
        if bytes.len() < GET_IMAGE_HEADER_LEN {
            return Err(Error::Protocol {
                display: self.display_name().to_owned(),
                request: "GetImage",
                message: format!("the reply has only {} bytes", bytes.len()),
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
