//! The floors `mss bench` puts beside each backend: the cheapest loop of the same X request over
//! libxcb, with no frame, no pool and no check.
//!
//! A floor is loaded and connected the way the backends' default connection is (libxcb with
//! `dlopen`, so the binary links no C library), but it shares no mss code: it sends raw x11rb
//! requests over x11rb's own libxcb connection. `cargo xtask bench` has stricter floors (the
//! `xcb` crate's bindings); these let anyone measure the ratio on their own display.

use mss::{DisplaySystem, Region};
use mss_memfd::SharedMemory;
use x11rb::connection::Connection as _;
use x11rb::protocol::shm::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, Window};
use x11rb::xcb_ffi::XCBConnection;

/// A request loop to compare a backend with.
pub struct Floor {
    connection: XCBConnection,
    root: Window,
    region: (i16, i16, u16, u16),
    kind: Kind,
}

enum Kind {
    /// `ShmGetImage` into one segment; the memory lives as long as the floor.
    Shm {
        segment: shm::Seg,
        _memory: SharedMemory,
    },
    /// `GetImage`, reply freed.
    GetImage,
}

impl Floor {
    /// The floor for a backend of `system` grabbing with `method` on `display`, or why there is
    /// none.
    pub fn for_backend(
        system: DisplaySystem,
        method: &str,
        display: &str,
        region: Region,
    ) -> Result<Self, String> {
        if system != DisplaySystem::X11 {
            return Err(format!("no floor for {system} backends"));
        }
        let shm = match method {
            "MIT-SHM" => true,
            "GetImage" => false,
            other => return Err(format!("no floor for the method {other}")),
        };
        x11rb::xcb_ffi::load_libxcb()
            .map_err(|error| format!("libxcb could not be loaded: {error}"))?;
        let name = std::ffi::CString::new(display).map_err(|_| "a display name with a NUL byte")?;
        let (connection, screen) = XCBConnection::connect(Some(&name))
            .map_err(|error| format!("libxcb could not connect to {display}: {error}"))?;
        let root = connection.setup().roots[screen].root;
        let region = (
            i16::try_from(region.left()).map_err(|_| "the region is off the protocol's range")?,
            i16::try_from(region.top()).map_err(|_| "the region is off the protocol's range")?,
            u16::try_from(region.width()).map_err(|_| "the region is off the protocol's range")?,
            u16::try_from(region.height()).map_err(|_| "the region is off the protocol's range")?,
        );
        let kind = if shm {
            // 4 bytes a pixel is the most any screen mss captures uses.
            let len = usize::from(region.2) * usize::from(region.3) * 4;
            let mut memory = SharedMemory::create("mss-bench-floor", len)
                .map_err(|error| format!("the floor's segment: {error}"))?;
            let fd = memory.take_fd().ok_or("the segment has no descriptor")?;
            let segment = connection
                .generate_id()
                .map_err(|error| error.to_string())?;
            connection
                .shm_attach_fd(segment, fd, false)
                .map_err(|error| error.to_string())?
                .check()
                .map_err(|error| format!("ShmAttachFd failed: {error}"))?;
            Kind::Shm {
                segment,
                _memory: memory,
            }
        } else {
            Kind::GetImage
        };
        Ok(Self {
            connection,
            root,
            region,
            kind,
        })
    }

    /// What the floor does, in words.
    pub fn describe(&self) -> &'static str {
        match self.kind {
            Kind::Shm { .. } => "ShmGetImage loop over libxcb",
            Kind::GetImage => "GetImage loop over libxcb",
        }
    }

    /// One request, waited on.
    pub fn grab(&self) -> Result<(), String> {
        let (x, y, width, height) = self.region;
        match &self.kind {
            Kind::Shm { segment, .. } => {
                self.connection
                    .shm_get_image(
                        self.root,
                        x,
                        y,
                        width,
                        height,
                        u32::MAX,
                        ImageFormat::Z_PIXMAP.into(),
                        *segment,
                        0,
                    )
                    .map_err(|error| error.to_string())?
                    .reply()
                    .map_err(|error| format!("ShmGetImage failed: {error}"))?;
            }
            Kind::GetImage => {
                let reply = self
                    .connection
                    .get_image(
                        ImageFormat::Z_PIXMAP,
                        self.root,
                        x,
                        y,
                        width,
                        height,
                        u32::MAX,
                    )
                    .map_err(|error| error.to_string())?
                    .raw_reply()
                    .map_err(|error| format!("GetImage failed: {error}"))?;
                drop(reply);
            }
        }
        Ok(())
    }
}
