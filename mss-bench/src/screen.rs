//! [`BenchScreen`]: a private Xvfb showing the known scene, checked before it is timed.

use mss_core::{Capture, Frame, PixelFormat, Region};
use mss_floor::{FloorError, GetImageFloor, ShmFloor};
use mss_testkit::{Scene, SceneError, ServerError, XServer, XvfbOptions};
use mss_x11_getimage::{ConnectionPreference, GetImageCapture, X11Options};
use mss_x11_shm::ShmCapture;

use crate::ScreenSize;

/// Why a benchmark screen could not be started or does not capture what it shows.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScreenError {
    /// Xvfb did not start (missing Xvfb is reported here: run `cargo xtask bench`, which
    /// installs it).
    #[error("cannot start Xvfb for the benchmarks: {0}")]
    Server(#[from] ServerError),
    /// The scene could not be painted.
    #[error("cannot paint the scene: {0}")]
    Scene(#[from] SceneError),
    /// A backend failed to open or grab.
    #[error("{backend} failed: {source}")]
    Capture {
        /// The backend or floor.
        backend: &'static str,
        /// Its error.
        #[source]
        source: mss_core::Error,
    },
    /// A floor failed.
    #[error("floor failed: {0}")]
    Floor(#[from] FloorError),
    /// The SHM backend fell back to `GetImage`: timing it would measure the wrong path.
    #[error("the SHM backend is not using shared memory on {display}: {status}")]
    ShmInactive {
        /// The display.
        display: String,
        /// The backend's status, with its fallback reason.
        status: String,
    },
    /// A capture does not show the scene.
    #[error("{what} does not show the scene on {display}: {mismatch}")]
    Mismatch {
        /// The backend or floor.
        what: &'static str,
        /// The display.
        display: String,
        /// The wrong pixels.
        mismatch: String,
    },
}

/// A private Xvfb of one size at depth 24, with the known scene painted on its root window.
///
/// The server and the scene's connection live as long as this value.
#[derive(Debug)]
pub struct BenchScreen {
    size: ScreenSize,
    // The scene drops before the server (declaration order), closing its connection first.
    scene: Scene,
    server: XServer,
}

impl BenchScreen {
    /// Starts Xvfb at `size` and depth 24 and paints the scene.
    ///
    /// # Errors
    ///
    /// [`ScreenError::Server`] when Xvfb cannot start, [`ScreenError::Scene`] when the scene
    /// cannot be painted.
    pub fn start(size: ScreenSize) -> Result<Self, ScreenError> {
        let server = XServer::xvfb(&XvfbOptions::new(size.width, size.height, 24))?;
        let scene = server.paint_scene()?;
        Ok(Self {
            size,
            scene,
            server,
        })
    }

    /// The screen's size.
    pub fn size(&self) -> ScreenSize {
        self.size
    }

    /// The display name, `:N`.
    pub fn display(&self) -> &str {
        self.server.display()
    }

    /// The scene on the screen.
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// The scene, to paint on (benchmarks of changing screens).
    pub fn scene_mut(&mut self) -> &mut Scene {
        &mut self.scene
    }

    /// The X server's process id (to read its CPU time).
    pub fn server_pid(&self) -> u32 {
        self.server.pid()
    }

    /// Opens an SHM capturer and checks that it really uses shared memory.
    ///
    /// # Errors
    ///
    /// [`ScreenError::Capture`] when it cannot open, [`ScreenError::ShmInactive`] when it fell
    /// back to `GetImage`.
    pub fn open_shm(&self) -> Result<ShmCapture, ScreenError> {
        let capture =
            ShmCapture::open(Some(self.display())).map_err(|source| ScreenError::Capture {
                backend: "x11-shm",
                source,
            })?;
        if !capture.is_shm_active() {
            return Err(ScreenError::ShmInactive {
                display: self.display().to_owned(),
                status: capture.status().to_string(),
            });
        }
        Ok(capture)
    }

    /// Opens a GetImage capturer.
    ///
    /// # Errors
    ///
    /// [`ScreenError::Capture`] when it cannot open.
    pub fn open_getimage(&self) -> Result<GetImageCapture, ScreenError> {
        GetImageCapture::open(Some(self.display())).map_err(|source| ScreenError::Capture {
            backend: "x11-getimage",
            source,
        })
    }

    /// Opens a GetImage capturer over x11rb's pure-Rust connection, the one used where libxcb
    /// cannot be loaded.
    ///
    /// # Errors
    ///
    /// [`ScreenError::Capture`] when it cannot open.
    pub fn open_getimage_pure_rust(&self) -> Result<GetImageCapture, ScreenError> {
        let options = X11Options::new().connection(ConnectionPreference::PureRust);
        GetImageCapture::open_with(Some(self.display()), options).map_err(|source| {
            ScreenError::Capture {
                backend: "x11-getimage (pure Rust)",
                source,
            }
        })
    }

    /// Checks, before anything is timed, that both backends and both floors capture exactly
    /// the scene in `region` (every pixel compared).
    ///
    /// # Errors
    ///
    /// [`ScreenError::Mismatch`] naming the backend or floor whose pixels are wrong, and every
    /// error of opening and grabbing.
    pub fn check_backends(&self, region: Region) -> Result<(), ScreenError> {
        let capture_error = |backend| move |source| ScreenError::Capture { backend, source };
        let frame = self
            .open_shm()?
            .grab(region)
            .map_err(capture_error("x11-shm"))?;
        self.check("x11-shm", &frame)?;
        let frame = self
            .open_getimage()?
            .grab(region)
            .map_err(capture_error("x11-getimage"))?;
        self.check("x11-getimage", &frame)?;
        let frame = self
            .open_getimage_pure_rust()?
            .grab(region)
            .map_err(capture_error("x11-getimage (pure Rust)"))?;
        self.check("x11-getimage (pure Rust)", &frame)?;

        let shm_floor = ShmFloor::open(self.display(), region)?;
        shm_floor.grab()?;
        let frame = Frame::from_vec(shm_floor.read_back()?, region, PixelFormat::Bgrx8888)
            .map_err(capture_error("the SHM floor"))?;
        self.check("the SHM floor", &frame)?;

        let reply = GetImageFloor::open(self.display(), region)?.grab()?;
        let pixels = reply.data().to_vec();
        let frame = Frame::from_vec(pixels, region, PixelFormat::Bgrx8888)
            .map_err(capture_error("the GetImage floor"))?;
        self.check("the GetImage floor", &frame)
    }

    fn check(&self, what: &'static str, frame: &Frame) -> Result<(), ScreenError> {
        self.scene
            .check_frame(frame)
            .map_err(|mismatch| ScreenError::Mismatch {
                what,
                display: self.display().to_owned(),
                mismatch: mismatch.to_string(),
            })
    }
}
