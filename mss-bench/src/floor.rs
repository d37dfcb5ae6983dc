//! The floors: the least work a client can do to get a frame's pixels from the server.
//!
//! Both floors are request loops over libxcb, the C library every X11 desktop has, through the
//! `xcb` crate: thin bindings generated from the protocol, sharing no code with x11rb, which
//! the backends speak through. A slow layer anywhere in the backends' stack (the connection
//! included) therefore shows as a ratio above 1; a floor built on the backends' own connection
//! could not reveal that the connection is slow.

use std::fs::File;
use std::io;
use std::os::fd::IntoRawFd as _;
use std::os::unix::fs::FileExt as _;

use mss_core::Region;
use rustix::fs::MemfdFlags;
use xcb::{Xid as _, composite, shm, x};

/// Why a floor could not be set up or could not grab.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FloorError {
    /// The display could not be opened.
    #[error("cannot open display {display}: {reason}")]
    Connect {
        /// The display name.
        display: String,
        /// What libxcb said.
        reason: String,
    },
    /// The screen is not what the floors measure (32 bits a pixel, with MIT-SHM 1.2).
    #[error("display {display} cannot be used for the floor: {reason}")]
    Unsupported {
        /// The display name.
        display: String,
        /// What is missing.
        reason: String,
    },
    /// A request failed.
    #[error("display {display}: {request} failed: {reason}")]
    Request {
        /// The display name.
        display: String,
        /// The request, such as `ShmGetImage`.
        request: &'static str,
        /// What libxcb said.
        reason: String,
    },
    /// The operating system refused a step with the memfd.
    #[error("{step} failed: {source}")]
    System {
        /// The step, in words.
        step: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

/// The protocol coordinates of a region, checked to fit X11's 16-bit fields.
fn protocol_region(display: &str, region: Region) -> Result<(i16, i16, u16, u16), FloorError> {
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

/// Connects over libxcb (with MIT-SHM known to the connection) and checks that the root window
/// has 32 bits a pixel, so that a frame's bytes are `width * height * 4` with no row padding.
fn connect(display: &str) -> Result<(xcb::Connection, x::Window), FloorError> {
    let (connection, screen_number) = xcb::Connection::connect_with_extensions(
        Some(display),
        &[],
        &[xcb::Extension::Shm, xcb::Extension::Composite],
    )
    .map_err(|error| FloorError::Connect {
        display: display.to_owned(),
        reason: error.to_string(),
    })?;
    let setup = connection.get_setup();
    let screen = setup
        .roots()
        .nth(usize::try_from(screen_number).unwrap_or(0))
        .ok_or_else(|| FloorError::Connect {
            display: display.to_owned(),
            reason: format!("the server has no screen {screen_number}"),
        })?;
    let bits_per_pixel = setup
        .pixmap_formats()
        .iter()
        .find(|format| format.depth() == screen.root_depth())
        .map(|format| format.bits_per_pixel());
    if bits_per_pixel != Some(32) {
        return Err(FloorError::Unsupported {
            display: display.to_owned(),
            reason: format!(
                "the root depth {} has {bits_per_pixel:?} bits a pixel, the floors need 32",
                screen.root_depth()
            ),
        });
    }
    let root = screen.root();
    Ok((connection, root))
}

/// Where a window floor reads: the window's Composite pixmap, named once, and the window's
/// size. The window is redirected automatically (the server still draws it on the screen), as
/// the backends redirect it; the redirection and the pixmap last as long as the connection.
fn window_pixmap(
    connection: &xcb::Connection,
    display: &str,
    window: u32,
) -> Result<(x::Drawable, Region), FloorError> {
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
    Ok((x::Drawable::Pixmap(pixmap), region))
}

/// The SHM floor: `ShmGetImage` of one fixed region into one memfd segment attached once,
/// over libxcb, with no pool, no lease, no frame and no check of the reply beyond its arrival.
///
/// The segment is never mapped in this process (nothing here reads it while timing), so the
/// floor needs no `unsafe`; [`read_back`](Self::read_back) reads it through the memfd for tests.
pub struct ShmFloor {
    connection: xcb::Connection,
    display: String,
    drawable: x::Drawable,
    segment: shm::Seg,
    memfd: File,
    region: (i16, i16, u16, u16),
    len: usize,
}

impl std::fmt::Debug for ShmFloor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShmFloor")
            .field("display", &self.display)
            .field("segment", &self.segment.resource_id())
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl ShmFloor {
    /// Connects to `display` and attaches a segment sized for `region` (4 bytes a pixel).
    ///
    /// # Errors
    ///
    /// [`FloorError::Connect`] when the display cannot be opened, [`FloorError::Unsupported`]
    /// when the screen is not 32 bits a pixel, the region does not fit the protocol or MIT-SHM
    /// is missing, [`FloorError::System`] when the memfd cannot be made, and
    /// [`FloorError::Request`] when the server refuses `ShmAttachFd`.
    pub fn open(display: &str, region: Region) -> Result<Self, FloorError> {
        let protocol = protocol_region(display, region)?;
        let (connection, root) = connect(display)?;
        Self::attach(
            connection,
            display,
            x::Drawable::Window(root),
            region,
            protocol,
        )
    }

    /// Connects to `display` for `ShmGetImage`s of the whole of `window`'s Composite pixmap
    /// (redirected and named once, at the window's size now), into a segment attached once:
    /// the least a window capture can cost.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open); [`FloorError::Unsupported`] without Composite, and
    /// [`FloorError::Request`] when the window cannot be redirected or its pixmap named.
    pub fn open_window(display: &str, window: u32) -> Result<Self, FloorError> {
        let (connection, _root) = connect(display)?;
        let (drawable, region) = window_pixmap(&connection, display, window)?;
        let protocol = protocol_region(display, region)?;
        Self::attach(connection, display, drawable, region, protocol)
    }

    fn attach(
        connection: xcb::Connection,
        display: &str,
        drawable: x::Drawable,
        region: Region,
        protocol: (i16, i16, u16, u16),
    ) -> Result<Self, FloorError> {
        if !connection
            .active_extensions()
            .any(|extension| extension == xcb::Extension::Shm)
        {
            return Err(FloorError::Unsupported {
                display: display.to_owned(),
                reason: "the server has no MIT-SHM extension".to_owned(),
            });
        }
        let len = region.width() as usize * region.height() as usize * 4;
        let system = |step| {
            move |error: rustix::io::Errno| FloorError::System {
                step,
                source: error.into(),
            }
        };
        let memfd = rustix::fs::memfd_create("mss-bench-floor", MemfdFlags::CLOEXEC)
            .map_err(system("creating the memfd"))?;
        rustix::fs::ftruncate(&memfd, len as u64).map_err(system("sizing the memfd"))?;
        // The server gets its own descriptor (libxcb closes ours once sent); the original stays
        // here for reading the segment back.
        let for_server = memfd.try_clone().map_err(|source| FloorError::System {
            step: "duplicating the memfd",
            source,
        })?;
        let segment: shm::Seg = connection.generate_id();
        let cookie = connection.send_request_checked(&shm::AttachFd {
            shmseg: segment,
            shm_fd: for_server.into_raw_fd(),
            read_only: false,
        });
        connection
            .check_request(cookie)
            .map_err(|error| FloorError::Request {
                display: display.to_owned(),
                request: "ShmAttachFd",
                reason: error.to_string(),
            })?;
        Ok(Self {
            connection,
            display: display.to_owned(),
            drawable,
            segment,
            memfd: File::from(memfd),
            region: protocol,
            len,
        })
    }

    /// One `ShmGetImage` of the region into the segment, waiting for the reply. Returns the
    /// number of bytes the server says it wrote.
    ///
    /// # Errors
    ///
    /// [`FloorError::Request`] when the request or its reply fails.
    pub fn grab(&self) -> Result<u32, FloorError> {
        let (x, y, width, height) = self.region;
        let cookie = self.connection.send_request(&shm::GetImage {
            drawable: self.drawable,
            x,
            y,
            width,
            height,
            plane_mask: u32::MAX,
            format: x::ImageFormat::ZPixmap as u8,
            shmseg: self.segment,
            offset: 0,
        });
        let reply =
            self.connection
                .wait_for_reply(cookie)
                .map_err(|error| FloorError::Request {
                    display: self.display.clone(),
                    request: "ShmGetImage",
                    reason: error.to_string(),
                })?;
        Ok(reply.size())
    }

    /// The segment's bytes, read through the memfd (a copy; for tests, never timed).
    ///
    /// # Errors
    ///
    /// [`FloorError::System`] when the read fails.
    pub fn read_back(&self) -> Result<Vec<u8>, FloorError> {
        let mut bytes = vec![0; self.len];
        self.memfd
            .read_exact_at(&mut bytes, 0)
            .map_err(|source| FloorError::System {
                step: "reading the segment back",
                source,
            })?;
        Ok(bytes)
    }

    /// Bytes of one frame of the region.
    pub fn frame_len(&self) -> usize {
        self.len
    }
}

/// The GetImage floor: core `GetImage` of one fixed region over libxcb, the reply buffer
/// libxcb allocated (the pixels copied once from the socket) freed by the caller.
pub struct GetImageFloor {
    connection: xcb::Connection,
    display: String,
    drawable: x::Drawable,
    region: (i16, i16, u16, u16),
}

impl std::fmt::Debug for GetImageFloor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GetImageFloor")
            .field("display", &self.display)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl GetImageFloor {
    /// Connects to `display` for grabs of `region`.
    ///
    /// # Errors
    ///
    /// [`FloorError::Connect`] when the display cannot be opened, [`FloorError::Unsupported`]
    /// when the screen is not 32 bits a pixel or the region does not fit the protocol.
    pub fn open(display: &str, region: Region) -> Result<Self, FloorError> {
        let protocol = protocol_region(display, region)?;
        let (connection, root) = connect(display)?;
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
        let (connection, _root) = connect(display)?;
        let (drawable, region) = window_pixmap(&connection, display, window)?;
        Ok(Self {
            connection,
            display: display.to_owned(),
            drawable,
            region: protocol_region(display, region)?,
        })
    }

    /// One `GetImage` of the region: libxcb's reply, whose [`data`](x::GetImageReply::data)
    /// holds the pixels.
    ///
    /// # Errors
    ///
    /// [`FloorError::Request`] when the request or its reply fails.
    pub fn grab(&self) -> Result<x::GetImageReply, FloorError> {
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
            .map_err(|error| FloorError::Request {
                display: self.display.clone(),
                request: "GetImage",
                reason: error.to_string(),
            })
    }
}
