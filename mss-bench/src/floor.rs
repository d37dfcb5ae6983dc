//! The floors: the least work a client can do to get a frame's pixels from the server.
//!
//! Both floors are written with x11rb directly and share no code with the backends they are
//! compared with, so a slowdown in the backends' plumbing cannot hide in the floor too.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt as _;

use mss_core::Region;
use rustix::fs::MemfdFlags;
use x11rb::connection::{Connection as _, RequestConnection as _};
use x11rb::protocol::shm::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, Window};
use x11rb::rust_connection::RustConnection;

/// Bytes before the pixels of a core `GetImage` reply.
const GET_IMAGE_HEADER_LEN: usize = 32;

/// Why a floor could not be set up or could not grab.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FloorError {
    /// The display could not be opened.
    #[error("cannot open display {display}: {reason}")]
    Connect {
        /// The display name.
        display: String,
        /// What x11rb said.
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
        /// What x11rb said.
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

/// Connects and checks that the root window has 32 bits a pixel, so that a frame's bytes are
/// `width * height * 4` with no row padding.
fn connect(display: &str) -> Result<(RustConnection, Window), FloorError> {
    let (connection, screen_number) =
        RustConnection::connect(Some(display)).map_err(|error| FloorError::Connect {
            display: display.to_owned(),
            reason: error.to_string(),
        })?;
    let setup = connection.setup();
    let screen = &setup.roots[screen_number];
    let bits_per_pixel = setup
        .pixmap_formats
        .iter()
        .find(|format| format.depth == screen.root_depth)
        .map(|format| format.bits_per_pixel);
    if bits_per_pixel != Some(32) {
        return Err(FloorError::Unsupported {
            display: display.to_owned(),
            reason: format!(
                "the root depth {} has {bits_per_pixel:?} bits a pixel, the floors need 32",
                screen.root_depth
            ),
        });
    }
    let root = screen.root;
    Ok((connection, root))
}

/// The SHM floor: `ShmGetImage` of one fixed region into one memfd segment attached once,
/// with no pool, no lease, no frame and no check of the reply beyond its arrival.
///
/// The segment is never mapped in this process (nothing here reads it while timing), so the
/// floor needs no `unsafe`; [`read_back`](Self::read_back) reads it through the memfd for tests.
#[derive(Debug)]
pub struct ShmFloor {
    connection: RustConnection,
    display: String,
    root: Window,
    segment: shm::Seg,
    memfd: File,
    region: (i16, i16, u16, u16),
    len: usize,
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
        let request = |request: &'static str| {
            let display = display.to_owned();
            move |error: &dyn std::fmt::Display| FloorError::Request {
                display,
                request,
                reason: error.to_string(),
            }
        };
        let present = connection
            .extension_information(shm::X11_EXTENSION_NAME)
            .map_err(|error| request("QueryExtension")(&error))?;
        if present.is_none() {
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
        // The server gets its own descriptor; ours stays for reading the segment back.
        let for_server = memfd.try_clone().map_err(|source| FloorError::System {
            step: "duplicating the memfd",
            source,
        })?;
        let segment = connection
            .generate_id()
            .map_err(|error| request("allocating a segment id")(&error))?;
        connection
            .shm_attach_fd(segment, for_server, false)
            .map_err(|error| request("ShmAttachFd")(&error))?
            .check()
            .map_err(|error| request("ShmAttachFd")(&error))?;
        Ok(Self {
            connection,
            display: display.to_owned(),
            root,
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
        let failed = |error: &dyn std::fmt::Display| FloorError::Request {
            display: self.display.clone(),
            request: "ShmGetImage",
            reason: error.to_string(),
        };
        let reply = self
            .connection
            .shm_get_image(
                self.root,
                x,
                y,
                width,
                height,
                u32::MAX,
                ImageFormat::Z_PIXMAP.into(),
                self.segment,
                0,
            )
            .map_err(|error| failed(&error))?
            .reply()
            .map_err(|error| failed(&error))?;
        Ok(reply.size)
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

/// The GetImage floor: core `GetImage` of one fixed region, reply read raw (one allocation,
/// the pixels copied once from the socket) and dropped by the caller.
#[derive(Debug)]
pub struct GetImageFloor {
    connection: RustConnection,
    display: String,
    root: Window,
    region: (i16, i16, u16, u16),
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
            root,
            region: protocol,
        })
    }

    /// One `GetImage` of the region: the raw reply, a 32-byte header then the pixels.
    ///
    /// # Errors
    ///
    /// [`FloorError::Request`] when the request or its reply fails.
    pub fn grab(&self) -> Result<Vec<u8>, FloorError> {
        let (x, y, width, height) = self.region;
        let failed = |error: &dyn std::fmt::Display| FloorError::Request {
            display: self.display.clone(),
            request: "GetImage",
            reason: error.to_string(),
        };
        self.connection
            .get_image(
                ImageFormat::Z_PIXMAP,
                self.root,
                x,
                y,
                width,
                height,
                u32::MAX,
            )
            .map_err(|error| failed(&error))?
            .raw_reply()
            .map_err(|error| failed(&error))
    }

    /// The pixels of a reply returned by [`grab`](Self::grab).
    pub fn pixels(reply: &[u8]) -> &[u8] {
        reply.get(GET_IMAGE_HEADER_LEN..).unwrap_or_default()
    }
}
