//! [`X11Connection`]: what this crate needs from an x11rb connection, implemented for x11rb's
//! pure-Rust connection, for libxcb connections (loaded at run time), for [`AutoConnection`]
//! and (feature `xcb`) for a libxcb connection wrapping an application's own
//! `xcb::Connection`.
//!
//! [`AutoConnection`]: crate::AutoConnection
//!
//! x11rb's own `Connection` trait would almost do, but x11rb 0.14 implements it only for the
//! plain `XCBConnection`, not for `XCBConnection<xcb::Connection>` (which has
//! `RequestConnection` only). This trait asks for the two things missing there: the setup, and
//! a non-blocking event read.

use std::borrow::Cow;

use x11rb::connection::{Connection, RequestConnection};
use x11rb::errors::{ConnectionError, ReplyOrIdError};
use x11rb::protocol::Event;
use x11rb::protocol::xproto::Setup;
use x11rb::rust_connection::{RustConnection, Stream};
use x11rb::xcb_ffi::XCBConnection;

/// An x11rb connection this crate can capture through.
///
/// Implemented for [`RustConnection`], [`XCBConnection`], [`AutoConnection`] (the default,
/// which is one of the two) and, with the `xcb` feature, `XCBConnection<xcb::Connection>`.
/// Implement it for a connection of your own from its setup and event queue.
///
/// [`AutoConnection`]: crate::AutoConnection
pub trait X11Connection: RequestConnection + Send {
    /// The setup the server sent when the connection opened.
    fn x11_setup(&self) -> Cow<'_, Setup>;

    /// Reads one queued event without blocking: `Ok(None)` when none is queued, or always
    /// when the connection does not hand its events to this crate.
    ///
    /// # Errors
    ///
    /// The connection's error when it is broken.
    fn poll_x11_event(&self) -> Result<Option<Event>, ConnectionError>;

    /// Allocates a new resource id (for a shared-memory segment, a pixmap, ...).
    ///
    /// # Errors
    ///
    /// The connection's error when it is broken or out of ids.
    fn generate_x11_id(&self) -> Result<u32, ReplyOrIdError>;

    /// Whether [`poll_x11_event`](Self::poll_x11_event) can return events at all. When it
    /// cannot, screen changes are noticed from the server's answers instead.
    fn delivers_x11_events(&self) -> bool {
        true
    }

    /// What carries the requests, in words, for status reports: `libxcb (loaded at run
    /// time)`, `x11rb pure Rust`, ...
    fn describe_x11_connection(&self) -> Cow<'_, str>;

    /// The connection's socket, to wait for events on with `poll`; `None` when it cannot be
    /// had (x11rb's pure-Rust connection over a stream of the caller's), and event waits then
    /// look every few milliseconds instead.
    fn x11_socket(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        None
    }

    /// When a wait on this connection outlived its deadline (and the connection was closed for
    /// it): how long waits were allowed, and whether this is the first time it is asked, which
    /// is when the failure is reported as a timeout. `None` for connections without deadlines
    /// (the default).
    fn expired_wait(&self) -> Option<ExpiredWait> {
        None
    }

    /// Writes the requests sent so far to the server, without waiting for any answer.
    ///
    /// Connections keep requests in a buffer until a reply is waited for, and libxcb writes
    /// nothing at that wait when the request waited for was already written. A stream that
    /// sends its next capture ahead calls this so that the server starts on it while the
    /// consumer works; without it the capture would wait in the buffer until the wait after
    /// next. The default does nothing, which is right for a connection that writes every
    /// request as it is sent; a connection that buffers must write its buffer here.
    ///
    /// # Errors
    ///
    /// The connection's error when it is broken.
    fn flush_requests(&self) -> Result<(), ConnectionError> {
        Ok(())
    }
}

/// A wait that outlived its deadline; see [`X11Connection::expired_wait`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExpiredWait {
    /// The time each wait was allowed.
    pub timeout: std::time::Duration,
    /// Whether this is the first time the expiry is asked about.
    pub first_report: bool,
}

impl<S: Stream + Send + Sync> X11Connection for RustConnection<S> {
    fn x11_setup(&self) -> Cow<'_, Setup> {
        Cow::Borrowed(self.setup())
    }

    fn poll_x11_event(&self) -> Result<Option<Event>, ConnectionError> {
        self.poll_for_event()
    }

    fn generate_x11_id(&self) -> Result<u32, ReplyOrIdError> {
        self.generate_id()
    }

    fn describe_x11_connection(&self) -> Cow<'_, str> {
        Cow::Borrowed(PURE_RUST)
    }

    fn flush_requests(&self) -> Result<(), ConnectionError> {
        self.flush()
    }
}

/// How [`X11Connection::describe_x11_connection`] names x11rb's pure-Rust connection.
pub(crate) const PURE_RUST: &str = "x11rb pure Rust";

/// How [`X11Connection::describe_x11_connection`] names a libxcb connection.
pub(crate) const LIBXCB: &str = "libxcb (loaded at run time)";

impl X11Connection for XCBConnection {
    fn x11_setup(&self) -> Cow<'_, Setup> {
        Cow::Borrowed(self.setup())
    }

    fn x11_socket(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        Some(std::os::fd::AsFd::as_fd(self))
    }

    fn poll_x11_event(&self) -> Result<Option<Event>, ConnectionError> {
        self.poll_for_event()
    }

    fn generate_x11_id(&self) -> Result<u32, ReplyOrIdError> {
        self.generate_id()
    }

    fn describe_x11_connection(&self) -> Cow<'_, str> {
        Cow::Borrowed(LIBXCB)
    }

    fn flush_requests(&self) -> Result<(), ConnectionError> {
        self.flush()
    }
}

#[cfg(feature = "xcb")]
mod application_xcb {
    use super::*;
    use x11rb::protocol::xproto::{Depth, Format, ImageOrder, Screen, VisualClass, Visualtype};
    use xcb::Xid as _;

    /// An application's `xcb::Connection`: its events belong to the application, so none are
    /// read here.
    impl X11Connection for XCBConnection<xcb::Connection> {
        fn x11_setup(&self) -> Cow<'_, Setup> {
            Cow::Owned(setup_from_xcb(self.inner_connection().get_setup()))
        }

        fn poll_x11_event(&self) -> Result<Option<Event>, ConnectionError> {
            Ok(None)
        }

        fn delivers_x11_events(&self) -> bool {
            false
        }

        fn generate_x11_id(&self) -> Result<u32, ReplyOrIdError> {
            // libxcb hands out ids from the same range whichever wrapper asks.
            let pixmap: xcb::x::Pixmap = self.inner_connection().generate_id();
            Ok(pixmap.resource_id())
        }

        fn describe_x11_connection(&self) -> Cow<'_, str> {
            Cow::Borrowed("libxcb (the application's xcb::Connection)")
        }

        fn flush_requests(&self) -> Result<(), ConnectionError> {
            // The same libxcb connection's buffer, whichever wrapper writes it.
            self.inner_connection()
                .flush()
                .map_err(|error| ConnectionError::IoError(std::io::Error::other(error)))
        }
    }

    /// Copies the parts of an `xcb` setup that format validation reads into an x11rb one.
    fn setup_from_xcb(setup: &xcb::x::Setup) -> Setup {
        let image_byte_order = match setup.image_byte_order() {
            xcb::x::ImageOrder::LsbFirst => ImageOrder::LSB_FIRST,
            xcb::x::ImageOrder::MsbFirst => ImageOrder::MSB_FIRST,
        };
        let pixmap_formats = setup
            .pixmap_formats()
            .iter()
            .map(|format| Format {
                depth: format.depth(),
                bits_per_pixel: format.bits_per_pixel(),
                scanline_pad: format.scanline_pad(),
            })
            .collect();
        let roots = setup
            .roots()
            .map(|screen| Screen {
                root: screen.root().resource_id(),
                root_visual: screen.root_visual(),
                root_depth: screen.root_depth(),
                width_in_pixels: screen.width_in_pixels(),
                height_in_pixels: screen.height_in_pixels(),
                allowed_depths: screen
                    .allowed_depths()
                    .map(|depth| Depth {
                        depth: depth.depth(),
                        visuals: depth
                            .visuals()
                            .iter()
                            .map(|visual| Visualtype {
                                visual_id: visual.visual_id(),
                                class: VisualClass::from(visual.class() as u8),
                                bits_per_rgb_value: visual.bits_per_rgb_value(),
                                colormap_entries: visual.colormap_entries(),
                                red_mask: visual.red_mask(),
                                green_mask: visual.green_mask(),
                                blue_mask: visual.blue_mask(),
                            })
                            .collect(),
                    })
                    .collect(),
                ..Screen::default()
            })
            .collect();
        Setup {
            image_byte_order,
            pixmap_formats,
            roots,
            ..Setup::default()
        }
    }
}
