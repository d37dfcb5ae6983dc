//! What both X floors share: the libxcb connection, the protocol's coordinates of a region,
//! the byte layout of a frame, and a window's Composite pixmap.

use mss_core::Region;
use xcb::{composite, x};

use crate::FloorError;

/// A region in the protocol's 16-bit fields: left, top, width, height.
pub(crate) type ProtocolRegion = (i16, i16, u16, u16);

/// The protocol coordinates of a region, checked to fit X11's 16-bit fields.
pub(crate) fn protocol_region(display: &str, region: Region) -> Result<ProtocolRegion, FloorError> {
    let fits = |what: &str| FloorError::Unsupported {
        display: display.to_owned(),
        reason: format!("region {region}: its {what} does not fit the X11 protocol"),
    };
    Ok((
        i16::try_from(region.left()).map_err(|_| fits("left edge"))?,
        i16::try_from(region.top()).map_err(|_| fits("top edge"))?,
        u16::try_from(region.width()).map_err(|_| fits("width"))?,
        u16::try_from(region.height()).map_err(|_| fits("height"))?,
    ))
}

/// A libxcb connection with the root window of its screen and that window's depth.
pub(crate) struct Connected {
    pub connection: xcb::Connection,
    pub root: x::Window,
    pub root_depth: u8,
}

/// Connects over libxcb, loaded at run time, with MIT-SHM and Composite known to the
/// connection when the server has them.
pub(crate) fn connect(display: &str) -> Result<Connected, FloorError> {
    let connect_error = |reason: String| FloorError::Connect {
        display: display.to_owned(),
        reason,
    };
    // The xcb crate panics on a name it cannot hand to C; refuse it first.
    if display.contains('\0') {
        return Err(connect_error(
            "the display name holds a NUL byte".to_owned(),
        ));
    }
    let (connection, screen_number) = xcb::Connection::connect_with_extensions(
        Some(display),
        &[],
        &[xcb::Extension::Shm, xcb::Extension::Composite],
    )
    .map_err(|error| match error {
        xcb::ConnError::LibrariesNotLoaded => FloorError::LibxcbUnavailable,
        other => connect_error(other.to_string()),
    })?;
    let setup = connection.get_setup();
    let screen = setup
        .roots()
        .nth(usize::try_from(screen_number).unwrap_or(0))
        .ok_or_else(|| connect_error(format!("the server has no screen {screen_number}")))?;
    let (root, root_depth) = (screen.root(), screen.root_depth());
    Ok(Connected {
        connection,
        root,
        root_depth,
    })
}

/// Bytes of one `ZPixmap` image of `width` x `height` at `depth`, as the server lays it out:
/// the depth's bits a pixel, each row padded to the scanline pad.
pub(crate) fn image_len(
    connection: &xcb::Connection,
    display: &str,
    depth: u8,
    (width, height): (u16, u16),
) -> Result<usize, FloorError> {
    let format = connection
        .get_setup()
        .pixmap_formats()
        .iter()
        .find(|format| format.depth() == depth)
        .ok_or_else(|| FloorError::Unsupported {
            display: display.to_owned(),
            reason: format!("the server lists no image format for depth {depth}"),
        })?;
    let pad = usize::from(format.scanline_pad()).max(8);
    let row_bits = usize::from(width) * usize::from(format.bits_per_pixel());
    let stride = row_bits.div_ceil(pad) * pad / 8;
    Ok(stride * usize::from(height))
}

/// Where a window floor reads: the window's Composite pixmap, named once, with the window's
/// size and depth. The window is redirected automatically (the server still draws it on the
/// screen), as the backends redirect it; the redirection and the pixmap last as long as the
/// connection.
pub(crate) fn window_pixmap(
    connection: &xcb::Connection,
    display: &str,
    window: u32,
) -> Result<(x::Drawable, Region, u8), FloorError> {
    let failed = |request: &'static str| {
        move |error: xcb::Error| FloorError::Request {
            display: display.to_owned(),
            request,
            reason: error.to_string(),
        }
    };
    if !connection
        .active_extensions()
        .any(|extension| extension == xcb::Extension::Composite)
    {
        return Err(FloorError::Unsupported {
            display: display.to_owned(),
            reason: "the server has no Composite extension".to_owned(),
        });
    }
    // Another client's window: its id wrapped as it is (a wrong one is an error reply below).
    let window = <x::Window as xcb::XidNew>::new(window);
    let version = connection.send_request(&composite::QueryVersion {
        client_major_version: 0,
        client_minor_version: 4,
    });
    connection
        .wait_for_reply(version)
        .map_err(failed("CompositeQueryVersion"))?;
    let geometry = connection.send_request(&x::GetGeometry {
        drawable: x::Drawable::Window(window),
    });
    let geometry = connection
        .wait_for_reply(geometry)
        .map_err(failed("GetGeometry"))?;
    let redirect = connection.send_request_checked(&composite::RedirectWindow {
        window,
        update: composite::Redirect::Automatic,
    });
    connection
        .check_request(redirect)
        .map_err(|error| failed("CompositeRedirectWindow")(error.into()))?;
    let pixmap: x::Pixmap = connection.generate_id();
    let name = connection.send_request_checked(&composite::NameWindowPixmap { window, pixmap });
    connection
        .check_request(name)
        .map_err(|error| failed("CompositeNameWindowPixmap")(error.into()))?;
    let region = Region::new(
        0,
        0,
        u32::from(geometry.width()),
        u32::from(geometry.height()),
    )
    .map_err(|error| FloorError::Unsupported {
        display: display.to_owned(),
        reason: error.to_string(),
    })?;
    Ok((x::Drawable::Pixmap(pixmap), region, geometry.depth()))
}
