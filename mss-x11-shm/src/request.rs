//! [`ShmGetImage`]: the one place this crate asks the server to write pixels into a segment.
//!
//! The grab, the window grab and the stream's whole frames all send the same request, a
//! rectangle of a drawable in the `ZPixmap` layout with every plane, into a segment at an
//! offset, and check its reply the same way: the bytes the server wrote must be the rectangle
//! at the stride the frame is read with, and an image of the root must have the screen's depth
//! and visual. Sending returns the sequence number, so that the reply can be read later
//! (requests in flight, a window's checks in the same round trip) or at once (a grab) at the
//! same cost.

use mss_core::Error;
use mss_x11::{WindowSource, X11Connection, X11Display};
use x11rb::connection::{DiscardMode, RequestKind, SequenceNumber};
use x11rb::cookie::Cookie;
use x11rb::errors::ReplyError;
use x11rb::protocol::shm::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{Drawable, ImageFormat};

/// The request's name, as errors and statuses name it.
pub(crate) const SHM_GET_IMAGE: &str = "ShmGetImage";

/// What the drawable read is, which says what its reply's depth and visual must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Drawn {
    /// The root window: the screen's depth and visual.
    Screen,
    /// A window or its Composite pixmap: the window capture checks the depth against the
    /// window's, and a pixmap has no visual to check.
    Window,
}

/// A `ShmGetImage` of a rectangle of a drawable, every plane, in the `ZPixmap` layout at
/// [`stride`](Self::stride) bytes a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ShmGetImage {
    drawable: Drawable,
    x: i16,
    y: i16,
    width: u16,
    height: u16,
    stride: usize,
    drawn: Drawn,
}

impl ShmGetImage {
    /// A rectangle of the root window, as [`X11Display::check_region`] returned it.
    pub(crate) fn screen<C: X11Connection>(
        display: &X11Display<C>,
        (x, y, width, height): (i16, i16, u16, u16),
    ) -> Self {
        Self {
            drawable: display.root(),
            x,
            y,
            width,
            height,
            stride: display.stride_for(width),
            drawn: Drawn::Screen,
        }
    }

    /// Where a window capture reads `source`'s pixels.
    pub(crate) fn window(source: &WindowSource) -> Self {
        Self {
            drawable: source.drawable,
            x: source.x,
            y: source.y,
            width: source.width,
            height: source.height,
            stride: source.stride,
            drawn: Drawn::Window,
        }
    }

    /// Bytes per row of the image, padding included.
    pub(crate) fn stride(&self) -> usize {
        self.stride
    }

    /// Bytes the server writes: every row at the stride.
    pub(crate) fn len(&self) -> usize {
        self.stride * usize::from(self.height)
    }

    /// Sends the request, the image to be written into `segment` from byte `offset`, and
    /// returns its sequence number; the reply is read with [`receive`](Self::receive) or
    /// dropped with [`discard`](Self::discard).
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] when the request cannot be sent.
    pub(crate) fn send<C: X11Connection>(
        &self,
        display: &X11Display<C>,
        segment: shm::Seg,
        offset: u32,
    ) -> Result<SequenceNumber, Error> {
        let cookie = display
            .connection()
            .shm_get_image(
                self.drawable,
                self.x,
                self.y,
                self.width,
                self.height,
                u32::MAX,
                ImageFormat::Z_PIXMAP.into(),
                segment,
                offset,
            )
            .map_err(|error| display.connection_lost(error))?;
        let sequence = cookie.sequence_number();
        // Read (or discarded) by sequence number.
        std::mem::forget(cookie);
        Ok(sequence)
    }

    /// Waits for the reply to the request sent as `sequence`.
    ///
    /// # Errors
    ///
    /// The server's error, or the connection's.
    pub(crate) fn receive<C: X11Connection>(
        display: &X11Display<C>,
        sequence: SequenceNumber,
    ) -> Result<shm::GetImageReply, ReplyError> {
        Cookie::<C, shm::GetImageReply>::new(display.connection(), sequence).reply()
    }

    /// Drops the reply to the request sent as `sequence`, or its error, when it comes (an error
    /// left to the event queue would pile up there, or reach an application's own event loop).
    pub(crate) fn discard<C: X11Connection>(display: &X11Display<C>, sequence: SequenceNumber) {
        display.connection().discard_reply(
            sequence,
            RequestKind::HasResponse,
            DiscardMode::DiscardReplyAndError,
        );
    }

    /// Checks a reply to this request: an image of the root must have the screen's depth and
    /// visual, and the server must have written exactly [`len`](Self::len) bytes.
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] naming `ShmGetImage` and what differs.
    pub(crate) fn check<C: X11Connection>(
        &self,
        display: &X11Display<C>,
        reply: &shm::GetImageReply,
    ) -> Result<(), Error> {
        if self.drawn == Drawn::Screen {
            display.check_reply_visual(SHM_GET_IMAGE, reply.depth, reply.visual)?;
        }
        let needed = self.len();
        if reply.size as usize != needed {
            return Err(Error::Protocol {
                display: display.display_name().to_owned(),
                request: SHM_GET_IMAGE,
                message: format!(
                    "the server wrote {} bytes for a {}x{} image of {needed} bytes",
                    reply.size, self.width, self.height
                ),
                source: None,
            });
        }
        Ok(())
    }
}
