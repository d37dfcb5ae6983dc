//! [`GetImageFloor`]: core `GetImage`, the reply freed by the caller.

use mss_core::Region;
use xcb::x;

use crate::FloorError;
use crate::x11::{Connected, ProtocolRegion, connect, protocol_region, window_pixmap};

/// The GetImage floor: core `GetImage` of one fixed region over libxcb, the reply buffer
/// libxcb allocated (the pixels copied once from the socket) freed by the caller.
pub struct GetImageFloor {
    connection: xcb::Connection,
    display: String,
    drawable: x::Drawable,
    region: ProtocolRegion,
}

impl std::fmt::Debug for GetImageFloor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetImageFloor")
            .field("display", &self.display)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// One `GetImage` reply: libxcb's buffer, freed when this is dropped.
pub struct GetImageReply(x::GetImageReply);

impl std::fmt::Debug for GetImageReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetImageReply")
            .field("bytes", &self.0.data().len())
            .finish()
    }
}

impl GetImageReply {
    /// The image's pixels, as the server lays them out.
    pub fn data(&self) -> &[u8] {
        self.0.data()
    }
}

impl GetImageFloor {
    /// Connects to `display` for grabs of `region` of the root window.
    ///
    /// # Errors
    ///
    /// [`FloorError::LibxcbUnavailable`] without libxcb, [`FloorError::Connect`] when the
    /// display cannot be opened, [`FloorError::Unsupported`] when the region does not fit the
    /// protocol.
    pub fn open(display: &str, region: Region) -> Result<Self, FloorError> {
        let protocol = protocol_region(display, region)?;
        let Connected {
            connection, root, ..
        } = connect(display)?;
        Ok(Self {
            connection,
            display: display.to_owned(),
            drawable: x::Drawable::Window(root),
            region: protocol,
        })
    }

    /// Connects to `display` for `GetImage`s of the whole of `window`'s Composite pixmap
    /// (redirected and named once, at the window's size now).
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open); [`FloorError::Unsupported`] without Composite, and
    /// [`FloorError::Request`] when the window cannot be redirected or its pixmap named.
    pub fn open_window(display: &str, window: u32) -> Result<Self, FloorError> {
        let Connected { connection, .. } = connect(display)?;
        let (drawable, region, _depth) = window_pixmap(&connection, display, window)?;
        Ok(Self {
            connection,
            display: display.to_owned(),
            drawable,
            region: protocol_region(display, region)?,
        })
    }

    /// One `GetImage` of the region: libxcb's reply, whose [`data`](GetImageReply::data) holds
    /// the pixels.
    ///
    /// # Errors
    ///
    /// [`FloorError::Request`] when the request or its reply fails.
    pub fn grab(&self) -> Result<GetImageReply, FloorError> {
        let (x, y, width, height) = self.region;
        let cookie = self.connection.send_request(&x::GetImage {
            format: x::ImageFormat::ZPixmap,
            drawable: self.drawable,
            x,
            y,
            width,
            height,
            plane_mask: u32::MAX,
        });
        self.connection
            .wait_for_reply(cookie)
            .map(GetImageReply)
            .map_err(|error| FloorError::Request {
                display: self.display.clone(),
                request: "GetImage",
                reason: error.to_string(),
            })
    }
}
