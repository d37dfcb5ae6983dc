//! The GetImage grab: the server's reply buffer becomes the frame's storage.

use crate::X11Connection;
use mss_core::{Error, Frame, PixelStorage, Region};
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat};

use crate::X11Display;

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
}

impl<C: X11Connection> X11Display<C> {
    /// Captures window `window` with `GetImage` in one round trip: the pixels are asked for
    /// where they were at the last capture, together with the checks of the window, and asked
    /// for again only when the window moved, resized or changed depth meanwhile. The reply
    /// buffer becomes the frame's storage.
    ///
    /// # Errors
    ///
    /// As [`finish_probe`](Self::finish_probe); [`Error::WindowUnavailable`] when the window
    /// goes away meanwhile; the server's other failures.
    pub fn get_window_image(&mut self, window: u64) -> Result<Frame, Error> {
        match self.get_window_image_once(window) {
            Err(error) if self.retry_window_capture(window, &error) => {
                self.get_window_image_once(window)
            }
            frame => frame,
        }
    }

    /// One try of [`get_window_image`](Self::get_window_image).
    fn get_window_image_once(&mut self, window: u64) -> Result<Frame, Error> {
        let (probe, guess) = self.probe_window(window)?;
        let early = match guess {
            Some(guess) => Some((guess, self.send_window_get_image(&guess)?)),
            None => None,
        };
        let source = match self.finish_probe(probe) {
            Ok(source) => source,
            Err(error) => {
                if let Some((_, sequence)) = early {
                    self.discard_reply(sequence);
                }
                return Err(error);
            }
        };
        let sequence = match early {
            Some((guess, sequence)) if guess == source => sequence,
            other => {
                if let Some((_, sequence)) = other {
                    self.discard_reply(sequence);
                }
                self.send_window_get_image(&source)?
            }
        };
        let frame = self.read_window_get_image(window, &source, sequence);
        self.release_window_source(&source);
        frame
    }

    /// Sends `GetImage` of `source`; returns its sequence number.
    fn send_window_get_image(
        &self,
        source: &crate::WindowSource,
    ) -> Result<x11rb::connection::SequenceNumber, Error> {
        let cookie = self
            .connection()
            .get_image(
                ImageFormat::Z_PIXMAP,
                source.drawable,
                source.x,
                source.y,
                source.width,
                source.height,
                u32::MAX,
            )
            .map_err(|error| self.connection_lost(error))?;
        let sequence = cookie.sequence_number();
        std::mem::forget(cookie);
        Ok(sequence)
    }

    /// Drops the reply to request `sequence`, or its error, when it comes (an error left to
    /// the event queue would pile up there, or reach an application's own event loop).
    pub fn discard_reply(&self, sequence: x11rb::connection::SequenceNumber) {
        self.connection().discard_reply(
            sequence,
            x11rb::connection::RequestKind::HasResponse,
            x11rb::connection::DiscardMode::DiscardReplyAndError,
        );
    }

    /// Reads the `GetImage` reply `sequence` of `source` into a frame.
    fn read_window_get_image(
        &mut self,
        window: u64,
        source: &crate::WindowSource,
        sequence: x11rb::connection::SequenceNumber,
    ) -> Result<Frame, Error> {
        let reply = x11rb::cookie::Cookie::<C, x11rb::protocol::xproto::GetImageReply>::new(
            self.connection(),
            sequence,
        )
        .raw_reply();
        let buffer = match reply {
            Ok(buffer) => buffer,
            Err(error) => return Err(self.window_grab_error(window, "GetImage", error)),
        };
        let (depth, _visual) = self.get_image_header(buffer.as_ref())?;
        self.check_window_reply(source, "GetImage", depth)?;
        Frame::new(
            ReplyStorage::new(buffer),
            GET_IMAGE_HEADER_LEN,
            source.region,
            source.stride,
            source.format,
        )
    }

    /// The depth and visual in a raw `GetImage` reply, which must at least hold its header.
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] for a reply shorter than its header.
    fn get_image_header(&self, bytes: &[u8]) -> Result<(u8, u32), Error> {
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

    /// Checks the depth of a window capture's reply.
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] naming `request` when the depth is not the window's.
    pub fn check_window_reply(
        &self,
        source: &crate::WindowSource,
        request: &'static str,
        depth: u8,
    ) -> Result<(), Error> {
        if depth == source.depth {
            return Ok(());
        }
        Err(Error::Protocol {
            display: self.display_name().to_owned(),
            request,
            message: format!(
                "the server sent an image of depth {depth} for a window of depth {}",
                source.depth
            ),
            source: None,
        })
    }

    /// The error for a failed read of a window's pixels: the window (or its pixmap) gone is
    /// [`Error::WindowUnavailable`], anything else the server's error.
    pub fn window_grab_error(
        &self,
        window: u64,
        request: &'static str,
        error: x11rb::errors::ReplyError,
    ) -> Error {
        use x11rb::protocol::ErrorKind;
        match &error {
            x11rb::errors::ReplyError::X11Error(x11)
                if matches!(
                    x11.error_kind,
                    ErrorKind::Drawable | ErrorKind::Window | ErrorKind::Pixmap | ErrorKind::Match
                ) =>
            {
                Error::WindowUnavailable {
                    display: self.display_name().to_owned(),
                    window,
                    problem: mss_core::WindowProblem::Gone,
                }
            }
            _ => self.reply_error(request, error),
        }
    }
}
