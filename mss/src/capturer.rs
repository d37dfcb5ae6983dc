//! [`Mss`] and [`MssBuilder`]: opening the chosen backend, and the capturer that wraps it.

use mss_core::{BackendStatus, Capture, CursorImage, Frame, Monitors, Region, ScreenInfo};

use crate::backend::{BACKEND_ENV_VAR, backend_from_env};
use crate::{Backend, Error};

/// Opens the default display (`$DISPLAY`) with the best backend available: `x11-shm` when
/// compiled in (which itself falls back to `GetImage`, saying why, when shared memory cannot
/// work), else `x11-getimage`; `MSS_BACKEND` overrides the choice.
///
/// # Errors
///
/// As [`MssBuilder::open`].
pub fn open() -> Result<Mss, Error> {
    Mss::builder().open()
}

/// Settings for opening an [`Mss`]; made by [`Mss::builder`].
#[derive(Clone, Debug, Default)]
pub struct MssBuilder {
    display: Option<String>,
    backend: Option<Backend>,
    ignore_env: bool,
    with_cursor: bool,
}

impl MssBuilder {
    /// The display to open (`:1`, `localhost:10.0`); `$DISPLAY` when not set.
    #[must_use]
    pub fn display(mut self, display: impl Into<String>) -> Self {
        self.display = Some(display.into());
        self
    }

    /// Uses this backend, whatever `MSS_BACKEND` says.
    #[must_use]
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = Some(backend);
        self
    }

    /// Ignores the `MSS_BACKEND` environment variable.
    #[must_use]
    pub fn ignore_env(mut self) -> Self {
        self.ignore_env = true;
        self
    }

    /// Draws the mouse pointer onto every frame (XFixes; see [`crate::cursor`]).
    #[must_use]
    pub fn with_cursor(mut self, with_cursor: bool) -> Self {
        self.with_cursor = with_cursor;
        self
    }

    /// The backend [`open`](Self::open) would use: the one set with
    /// [`backend`](Self::backend), else the one `MSS_BACKEND` names, else
    /// [`Backend::preferred`].
    ///
    /// # Errors
    ///
    /// When `MSS_BACKEND` names a backend that does not exist or is not compiled in.
    pub fn chosen_backend(&self) -> Result<Backend, Error> {
        if let Some(backend) = self.backend {
            return Ok(backend);
        }
        if !self.ignore_env {
            if let Some(backend) = backend_from_env(std::env::var_os(BACKEND_ENV_VAR).as_deref())? {
                return Ok(backend);
            }
        }
        Ok(Backend::preferred())
    }

    /// Connects to the display with the chosen backend.
    ///
    /// # Errors
    ///
    /// - [`Error::UnknownBackend`] or [`Error::BackendNotCompiled`] for a bad backend choice.
    /// - [`Error::Capture`] with [`mss_core::Error::DisplayUnavailable`] when the display
    ///   cannot be opened, and the backend's other setup errors.
    pub fn open(self) -> Result<Mss, Error> {
        let backend = self.chosen_backend()?;
        let inner = open_backend(backend, self.display.as_deref())?;
        Ok(Mss {
            inner,
            backend,
            with_cursor: self.with_cursor,
        })
    }
}

fn open_backend(backend: Backend, display: Option<&str>) -> Result<Box<dyn Capture>, Error> {
    match backend {
        #[cfg(feature = "x11-shm")]
        Backend::X11Shm => Ok(Box::new(mss_x11_shm::ShmCapture::open(display)?)),
        #[cfg(feature = "x11-getimage")]
        Backend::X11GetImage => Ok(Box::new(mss_x11_getimage::GetImageCapture::open(display)?)),
        // Only reachable in builds that lack a backend.
        #[allow(unreachable_patterns)]
        other => Err(Error::BackendNotCompiled {
            name: other.name().to_owned(),
            available: crate::backend::available_names(),
        }),
    }
}

/// A screen capturer on the backend chosen at run time; itself a [`Capture`], so it plugs into
/// code that takes `&mut dyn Capture`.
///
/// With [`MssBuilder::with_cursor`] every grab (and so [`Capture::grab_monitor`] and
/// [`Capture::grab_screen`]) draws the pointer onto the frame.
pub struct Mss {
    inner: Box<dyn Capture>,
    backend: Backend,
    with_cursor: bool,
}

impl Mss {
    /// Settings for opening a capturer.
    pub fn builder() -> MssBuilder {
        MssBuilder::default()
    }

    /// Wraps a capturer of your own (another backend, a fake in tests).
    pub fn from_capture(inner: Box<dyn Capture>, backend: Backend) -> Self {
        Self {
            inner,
            backend,
            with_cursor: false,
        }
    }

    /// The backend that was opened. [`Capture::status`] tells how it grabs now (MIT-SHM, or
    /// `GetImage` and why).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether grabs draw the pointer.
    pub fn draws_cursor(&self) -> bool {
        self.with_cursor
    }

    /// Turns drawing the pointer on or off.
    pub fn set_with_cursor(&mut self, with_cursor: bool) {
        self.with_cursor = with_cursor;
    }

    /// The backend's capturer.
    pub fn into_inner(self) -> Box<dyn Capture> {
        self.inner
    }
}

#[cfg(feature = "png")]
impl Mss {
    /// Saves monitors as PNG files named by `template`, as python-mss's `save()` does:
    /// `monitor` 0 writes one file per monitor (1 to N), -1 writes the whole screen (monitor
    /// 0) in one file, N writes monitor N. Returns the paths written, in order.
    ///
    /// # Errors
    ///
    /// [`mss_core::Error::MonitorNotFound`] for a bad number (or when the display lists no
    /// monitor), [`Error::InvalidLevel`], [`Error::Template`], and every capture and write
    /// error.
    pub fn save(
        &mut self,
        monitor: i64,
        template: &str,
        level: u8,
    ) -> Result<Vec<std::path::PathBuf>, Error> {
        crate::png_file::check_level(level)?;
        let monitors = self.monitors()?;
        let numbers: Vec<i64> = match monitor {
            0 => {
                if monitors.monitors().is_empty() {
                    return Err(monitors.get(1).unwrap_err().into());
                }
                (1..=monitors.monitors().len() as i64).collect()
            }
            -1 => vec![0],
            number => vec![number],
        };
        numbers
            .into_iter()
            .map(|number| {
                let region = monitors.get(number)?;
                self.save_region(region, number, template, level)
            })
            .collect()
    }

    /// Saves monitor 1 as `monitor-1.png`, as python-mss's `shot()` does.
    ///
    /// # Errors
    ///
    /// As [`save`](Self::save).
    pub fn shot(&mut self) -> Result<std::path::PathBuf, Error> {
        let mut paths = self.save(1, "monitor-{mon}.png", crate::DEFAULT_LEVEL)?;
        Ok(paths.remove(0))
    }

    /// Grabs `region` and saves it as a PNG named by `template`, with `{mon}` = `monitor`.
    ///
    /// # Errors
    ///
    /// As [`save`](Self::save).
    pub fn save_region(
        &mut self,
        region: Region,
        monitor: i64,
        template: &str,
        level: u8,
    ) -> Result<std::path::PathBuf, Error> {
        let values = crate::TemplateValues::new(monitor, region);
        let path = crate::render_template(template, &values)?;
        let frame = self.grab(region)?;
        crate::write_png(&frame, path, level)
    }
}

impl Capture for Mss {
    fn backend_name(&self) -> &'static str {
        self.inner.backend_name()
    }

    fn status(&self) -> BackendStatus {
        self.inner.status()
    }

    fn screen(&mut self) -> Result<ScreenInfo, mss_core::Error> {
        self.inner.screen()
    }

    fn monitors(&mut self) -> Result<Monitors, mss_core::Error> {
        self.inner.monitors()
    }

    fn grab(&mut self, region: Region) -> Result<Frame, mss_core::Error> {
        let mut frame = self.inner.grab(region)?;
        if self.with_cursor {
            // A separate request after the image, as every X11 grabber does: the pointer may
            // have moved in between, which is at most one frame of lag.
            let cursor = self.inner.cursor()?;
            crate::cursor::composite_cursor(&mut frame, &cursor);
        }
        Ok(frame)
    }

    fn cursor(&mut self) -> Result<CursorImage, mss_core::Error> {
        self.inner.cursor()
    }
}

impl std::fmt::Debug for Mss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mss")
            .field("backend", &self.backend)
            .field("status", &self.inner.status())
            .field("with_cursor", &self.with_cursor)
            .finish_non_exhaustive()
    }
}
