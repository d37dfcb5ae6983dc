//! Capturing a window: the one-round-trip protocol every backend's window capture follows,
//! around an image request the backend chooses ([`WindowImageRequest`]); `GetImage` is this
//! crate's own (see the [module docs](super)).

use mss_core::{Error, Frame, PixelStorage, WindowProblem};
use x11rb::connection::{DiscardMode, RequestKind, SequenceNumber};
use x11rb::cookie::Cookie;
use x11rb::errors::ReplyError;
use x11rb::protocol::ErrorKind;
use x11rb::protocol::xproto::{ConnectionExt as _, GetImageReply, ImageFormat};

use super::probe::forget_sequence;
use crate::connection::X11Connection;
use crate::display::X11Display;
use crate::grab::{GET_IMAGE_HEADER_LEN, ReplyStorage};
use crate::window_state::WindowSource;

/// How a backend asks the server for a window's pixels, for
/// [`X11Display::grab_window_with`].
///
/// The display does the rest of a window capture, in one round trip: it sends the requests
/// that check the window (gone, unmapped, minimized) and place it, names its Composite pixmap
/// (redirecting the window at its first capture), and, in the same batch, has this request
/// [`send`](Self::send)s for where the pixels were at the last capture. When the replies say
/// the window moved, resized or changed depth meanwhile, that request is
/// [`discard`](Self::discard)ed and sent again for where the pixels are now. The reply is then
/// [`receive`](Self::receive)d, the named pixmap freed, the [`image`](Self::image)'s depth
/// checked against the window's, and the frame placed where the window is on the screen.
///
/// `GetImage` is the display's own ([`X11Display::get_window_image`]); the MIT-SHM backend
/// implements `ShmGetImage` into a pooled segment.
pub trait WindowImageRequest<C: X11Connection> {
    /// The request's name, as errors name it (`"GetImage"`, `"ShmGetImage"`).
    const REQUEST: &'static str;
    /// A request sent and not yet answered: its sequence number, and whatever its reply
    /// fills.
    type Sent;
    /// A reply as it arrived.
    type Reply;
    /// Where a frame's pixels are: its storage.
    type Storage: PixelStorage;

    /// Called before each try of a capture (a capture is tried once more when the window is
    /// found gone although the display had redirected it: window ids are reused, and a resize
    /// can race the requests). Nothing by default.
    ///
    /// # Errors
    ///
    /// Whatever the request needs that fails; the capture returns it.
    fn prepare(&mut self, display: &mut X11Display<C>) -> Result<(), Error> {
        let _ = display;
        Ok(())
    }

    /// Sends the request for `source`'s pixels without waiting for its reply; `Ok(None)` sends
    /// nothing: this request cannot read them (the display then captures the window with
    /// `GetImage`).
    ///
    /// # Errors
    ///
    /// Whatever keeps the request from being sent (the connection lost, no memory to read
    /// into); the capture returns it, having read the window's checks all the same.
    fn send(
        &mut self,
        display: &X11Display<C>,
        source: &WindowSource,
    ) -> Result<Option<Self::Sent>, Error>;

    /// Drops a sent request's reply, or its error, when it comes.
    fn discard(&mut self, display: &X11Display<C>, sent: Self::Sent);

    /// Waits for the reply to a sent request.
    ///
    /// # Errors
    ///
    /// The server's error (a window or pixmap gone meanwhile is reported as
    /// [`Error::WindowUnavailable`]) or the connection's.
    fn receive(
        &mut self,
        display: &X11Display<C>,
        sent: Self::Sent,
    ) -> Result<Self::Reply, ReplyError>;

    /// The image in a reply: the depth the server stated, the storage, and where in it the
    /// pixels start.
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] for a reply that does not hold the image asked for.
    fn image(
        &mut self,
        display: &X11Display<C>,
        reply: Self::Reply,
    ) -> Result<WindowImage<Self::Storage>, Error>;
}

/// The pixels of a window capture's reply, from [`WindowImageRequest::image`].
#[derive(Debug)]
pub struct WindowImage<S> {
    /// The depth the server stated for the image; it must be the window's.
    pub depth: u8,
    /// Where the pixels are: the frame's storage.
    pub storage: S,
    /// Where in `storage` the first row starts.
    pub offset: usize,
}

impl<C: X11Connection> X11Display<C> {
    /// Captures window `window` with `GetImage` in one round trip: the pixels are asked for
    /// where they were at the last capture, together with the checks of the window, and asked
    /// for again only when the window moved, resized or changed depth meanwhile. The reply
    /// buffer becomes the frame's storage.
    ///
    /// # Errors
    ///
    /// As [`grab_window_with`](Self::grab_window_with).
    pub fn get_window_image(&mut self, window: u64) -> Result<Frame, Error> {
        self.grab_window_with(window, &mut GetImageWindow)
    }

    /// Captures window `window` whole, its pixels read with `request` (see
    /// [`WindowImageRequest`]): with Composite, from the window's own pixmap, so covered parts
    /// and parts off the screen are the window's; without it, the window's part on the screen.
    /// The frame is placed where the window's client area is on the screen.
    ///
    /// # Errors
    ///
    /// - [`Error::WindowUnavailable`] naming the window when it is no X11 window id, or is
    ///   gone, unmapped or minimized (also when it goes away while it is read).
    /// - [`Error::Unsupported`] for a window entirely off the screen on a server without
    ///   Composite.
    /// - [`Error::UnsupportedFormat`] for a window whose pixels cannot be read (a palette
    ///   visual).
    /// - [`Error::Protocol`] for an image of another depth than the window's, and the
    ///   server's other failures; [`Error::ConnectionLost`]; what `request` returns.
    pub fn grab_window_with<R: WindowImageRequest<C>>(
        &mut self,
        window: u64,
        request: &mut R,
    ) -> Result<Frame, Error> {
        match self.grab_window_once(window, request) {
            Err(error) if self.retry_window_capture(window, &error) => {
                self.grab_window_once(window, request)
            }
            frame => frame,
        }
    }

    /// One try of [`grab_window_with`](Self::grab_window_with).
    fn grab_window_once<R: WindowImageRequest<C>>(
        &mut self,
        window: u64,
        request: &mut R,
    ) -> Result<Frame, Error> {
        request.prepare(self)?;
        let (probe, guess) = self.probe_window(window)?;
        let early = match guess {
            Some(guess) => match request.send(self, &guess) {
                Ok(sent) => sent.map(|sent| (guess, sent)),
                Err(error) => {
                    // Nothing sent (no memory to read into, say): the probe's replies are
                    // read and its pixmap freed all the same.
                    if let Ok(source) = self.finish_probe(probe) {
                        self.release_window_source(&source);
                    }
                    return Err(error);
                }
            },
            None => None,
        };
        let source = match self.finish_probe(probe) {
            Ok(source) => source,
            Err(error) => {
                if let Some((_, sent)) = early {
                    request.discard(self, sent);
                }
                return Err(error);
            }
        };
        let sent = match early {
            Some((guess, sent)) if guess == source => sent,
            other => {
                // What was sent goes first (a segment back to its pool, say): the server
                // handles the discarded request before any later one.
                if let Some((_, sent)) = other {
                    request.discard(self, sent);
                }
                match request.send(self, &source) {
                    Ok(Some(sent)) => sent,
                    Ok(None) => {
                        self.release_window_source(&source);
                        return self.get_window_image(window);
                    }
                    Err(error) => {
                        self.release_window_source(&source);
                        return Err(error);
                    }
                }
            }
        };
        let reply = request.receive(self, sent);
        self.release_window_source(&source);
        let reply = reply.map_err(|error| self.window_grab_error(window, R::REQUEST, error))?;
        let image = request.image(self, reply)?;
        self.check_window_depth(&source, R::REQUEST, image.depth)?;
        Frame::new(
            image.storage,
            image.offset,
            source.region,
            source.stride,
            source.format,
        )
    }

    /// Checks the depth of a window capture's image.
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] naming `request` when the depth is not the window's.
    fn check_window_depth(
        &self,
        source: &WindowSource,
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
    fn window_grab_error(&self, window: u64, request: &'static str, error: ReplyError) -> Error {
        match &error {
            ReplyError::X11Error(x11)
                if matches!(
                    x11.error_kind,
                    ErrorKind::Drawable | ErrorKind::Window | ErrorKind::Pixmap | ErrorKind::Match
                ) =>
            {
                Error::WindowUnavailable {
                    display: self.display_name().to_owned(),
                    window,
                    problem: WindowProblem::Gone,
                }
            }
            _ => self.reply_error(request, error),
        }
    }
}

/// `GetImage` of a window's pixels, whose reply buffer becomes the frame's storage.
struct GetImageWindow;

/// What a `GetImage` of a window's pixels must carry: its stride and size.
type Expected = (usize, (u16, u16));

impl<C: X11Connection> WindowImageRequest<C> for GetImageWindow {
    const REQUEST: &'static str = "GetImage";
    type Sent = (SequenceNumber, Expected);
    type Reply = (C::Buf, Expected);
    type Storage = ReplyStorage<C::Buf>;

    fn send(
        &mut self,
        display: &X11Display<C>,
        source: &WindowSource,
    ) -> Result<Option<Self::Sent>, Error> {
        let cookie = display
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
            .map_err(|error| display.connection_lost(error))?;
        let expected = (source.stride, (source.width, source.height));
        Ok(Some((forget_sequence(cookie), expected)))
    }

    fn discard(&mut self, display: &X11Display<C>, (sequence, _): Self::Sent) {
        // The error too: left to the event queue, it would pile up there, or reach an
        // application's own event loop.
        display.connection().discard_reply(
            sequence,
            RequestKind::HasResponse,
            DiscardMode::DiscardReplyAndError,
        );
    }

    fn receive(
        &mut self,
        display: &X11Display<C>,
        (sequence, expected): Self::Sent,
    ) -> Result<Self::Reply, ReplyError> {
        Cookie::<C, GetImageReply>::new(display.connection(), sequence)
            .raw_reply()
            .map(|buffer| (buffer, expected))
    }

    fn image(
        &mut self,
        display: &X11Display<C>,
        (buffer, (stride, size)): Self::Reply,
    ) -> Result<WindowImage<ReplyStorage<C::Buf>>, Error> {
        let (depth, _visual) = display.get_image_reply(buffer.as_ref(), stride, size)?;
        Ok(WindowImage {
            depth,
            storage: ReplyStorage::new(buffer),
            offset: GET_IMAGE_HEADER_LEN,
        })
    }
}
