//! [`ShmFloor`]: `ShmGetImage` into one memfd segment attached once.

use std::fs::File;
use std::os::fd::IntoRawFd as _;
use std::os::unix::fs::FileExt as _;

use mss_core::Region;
use rustix::fs::MemfdFlags;
use xcb::{Xid as _, shm, x};

use crate::FloorError;
use crate::x11::{Connected, ProtocolRegion, connect, image_len, protocol_region, window_pixmap};

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
    region: ProtocolRegion,
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
    /// Connects to `display` and attaches a segment sized for one image of `region` of the
    /// root window.
    ///
    /// # Errors
    ///
    /// [`FloorError::LibxcbUnavailable`] without libxcb, [`FloorError::Connect`] when the
    /// display cannot be opened, [`FloorError::Unsupported`] when the region does not fit the
    /// protocol or MIT-SHM is missing, [`FloorError::System`] when the memfd cannot be made,
    /// and [`FloorError::Request`] when the server refuses `ShmAttachFd`.
    pub fn open(display: &str, region: Region) -> Result<Self, FloorError> {
        let protocol = protocol_region(display, region)?;
        let Connected {
            connection,
            root,
            root_depth,
        } = connect(display)?;
        Self::attach(
            connection,
            display,
            x::Drawable::Window(root),
            root_depth,
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
        let Connected { connection, .. } = connect(display)?;
        let (drawable, region, depth) = window_pixmap(&connection, display, window)?;
        let protocol = protocol_region(display, region)?;
        Self::attach(connection, display, drawable, depth, protocol)
    }

    fn attach(
        connection: xcb::Connection,
        display: &str,
        drawable: x::Drawable,
        depth: u8,
        protocol: ProtocolRegion,
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
        let len = image_len(&connection, display, depth, (protocol.2, protocol.3))?;
        let system = |step| {
            move |error: rustix::io::Errno| FloorError::System {
                step,
                source: error.into(),
            }
        };
        let memfd = rustix::fs::memfd_create("mss-floor", MemfdFlags::CLOEXEC)
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

    /// Bytes of one image of the region, as the server lays it out.
    pub fn frame_len(&self) -> usize {
        self.len
    }
}
