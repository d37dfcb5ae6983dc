//! Reading the mouse pointer's image with XFixes `GetCursorImage`, for drawing it onto frames.

use mss_core::{CursorImage, Error, Region};
use x11rb::protocol::xfixes::{self, ConnectionExt as _};

use crate::connection::X11Connection;
use crate::display::X11Display;
use crate::errors::{connection_lost, reply_error};

/// The XFixes version this crate asks for; `GetCursorImage` exists since 1.0.
const XFIXES_CLIENT_VERSION: (u32, u32) = (6, 0);

impl<C: X11Connection> X11Display<C> {
    /// The pointer's image and where it sits on the screen, from XFixes `GetCursorImage`.
    ///
    /// The XFixes version is asked once, the first time (XFixes answers nothing before a client
    /// has stated its version). The image's region is the pointer position minus the hotspot;
    /// its pixels are premultiplied ARGB words, as the server sends them. A cursor with no
    /// pixels (a hidden pointer) comes back as one fully transparent pixel at the pointer
    /// position, so drawing it changes nothing.
    ///
    /// # Errors
    ///
    /// - [`Error::Unsupported`] naming XFixes when the server does not have the extension.
    /// - [`Error::ConnectionLost`] or [`Error::Protocol`] when a request fails.
    pub fn cursor_image(&mut self, backend: &'static str) -> Result<CursorImage, Error> {
        if self.xfixes()?.is_none() {
            return Err(Error::Unsupported {
                backend,
                what: "reading the cursor",
                reason: format!(
                    "display {:?} does not have the XFixes extension",
                    self.display_name()
                ),
            });
        }
        let reply = self
            .connection()
            .xfixes_get_cursor_image()
            .map_err(|error| connection_lost(self.connection(), self.display_name(), error))?
            .reply()
            .map_err(|error| {
                reply_error(
                    self.connection(),
                    self.display_name(),
                    "XFixesGetCursorImage",
                    error,
                )
            })?;
        let left = i32::from(reply.x) - i32::from(reply.xhot);
        let top = i32::from(reply.y) - i32::from(reply.yhot);
        let (width, height) = (u32::from(reply.width), u32::from(reply.height));
        let (region, pixels) = if width == 0 || height == 0 {
            let pointer = Region::new(i32::from(reply.x), i32::from(reply.y), 1, 1)?;
            (pointer, vec![0])
        } else {
            (Region::new(left, top, width, height)?, reply.cursor_image)
        };
        CursorImage::new(region, pixels)
    }

    /// The XFixes version the server agreed to, asked once; `None` without XFixes.
    pub(crate) fn xfixes(&mut self) -> Result<Option<(u32, u32)>, Error> {
        if let Some(version) = self.xfixes_version {
            return Ok(version);
        }
        let version = self.query_xfixes_version()?;
        self.xfixes_version = Some(version);
        Ok(version)
    }

    /// `Some(version)` when the server has XFixes, `None` when it does not.
    fn query_xfixes_version(&self) -> Result<Option<(u32, u32)>, Error> {
        let present = self
            .connection()
            .extension_information(xfixes::X11_EXTENSION_NAME)
            .map_err(|error| connection_lost(self.connection(), self.display_name(), error))?
            .is_some();
        if !present {
            return Ok(None);
        }
        let (major, minor) = XFIXES_CLIENT_VERSION;
        let reply = self
            .connection()
            .xfixes_query_version(major, minor)
            .map_err(|error| connection_lost(self.connection(), self.display_name(), error))?
            .reply()
            .map_err(|error| {
                reply_error(
                    self.connection(),
                    self.display_name(),
                    "XFixesQueryVersion",
                    error,
                )
            })?;
        Ok(Some((reply.major_version, reply.minor_version)))
    }
}
