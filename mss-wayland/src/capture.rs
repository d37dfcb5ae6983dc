//! [`WaylandCapture`]: the `Capture` implementation over the screencopy engine (`engine.rs`):
//! it finds the outputs a region lies on, has the engine copy them, and assembles regions
//! across outputs.

use std::time::Duration;

use mss_buffer::PoolStats;
use mss_core::assemble::Assembly;
use mss_core::stream::GrabStream;
use mss_core::{
    BackendStatus, Capture, Error, Frame, FrameStream, Monitors, Region, ScreenInfo, StreamOptions,
    StreamTarget,
};

use crate::BACKEND_NAME;
use crate::connection::Wayland;
use crate::engine::{Copied, ScreencopyEngine};
use crate::layout::{BYTES_PER_PIXEL, OutputRegion};
use crate::limit::check_frame_size;
use crate::outputs::{bounding_box, monitor, outputs_now};
use crate::slot::LeasedSlot;
use crate::stream::WaylandStream;

/// The method `status` reports.
const METHOD: &str = "wlr-screencopy";

/// How long a wait on the compositor may take unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = mss_core::OpenOptions::DEFAULT_TIMEOUT;

/// Options of [`WaylandCapture`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WaylandOptions {
    /// The time each wait on the compositor may take; `None` waits without limit.
    pub timeout: Option<Duration>,
    /// How many capture buffers may exist at once (frames held count against it).
    pub max_buffers: usize,
}

impl WaylandOptions {
    /// A 10-second timeout and 8 buffers.
    pub fn new() -> Self {
        Self {
            timeout: Some(DEFAULT_TIMEOUT),
            max_buffers: 8,
        }
    }

    /// Sets [`timeout`](Self::timeout).
    #[must_use]
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets [`max_buffers`](Self::max_buffers) (at least 1).
    #[must_use]
    pub fn max_buffers(mut self, max_buffers: usize) -> Self {
        self.max_buffers = max_buffers.max(1);
        self
    }
}

impl Default for WaylandOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// Captures the outputs of a wlroots-based Wayland compositor through wlr-screencopy.
///
/// See the [crate docs](crate) for what is supported and how coordinates map.
pub struct WaylandCapture {
    /// The screencopy engine: the connection, the pool of buffers and the pointer setting.
    engine: ScreencopyEngine,
    /// A capture has delivered pixels (for the status).
    proven: bool,
}

impl std::fmt::Debug for WaylandCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaylandCapture")
            .field("wayland", self.engine.wayland())
            .field("pool", &self.engine.pool_stats())
            .field("overlay_cursor", &self.engine.overlay_cursor())
            .finish_non_exhaustive()
    }
}

impl WaylandCapture {
    /// Opens `display` (a socket name in `$XDG_RUNTIME_DIR` such as `wayland-1`, or a socket
    /// path; `$WAYLAND_DISPLAY` when `None`) with the default options.
    ///
    /// # Errors
    ///
    /// As [`open_with`](Self::open_with).
    pub fn open(display: Option<&str>) -> Result<Self, Error> {
        Self::open_with(display, WaylandOptions::new())
    }

    /// Opens `display` with `options`.
    ///
    /// # Errors
    ///
    /// [`Error::DisplayUnavailable`] when no compositor answers there,
    /// [`Error::Unsupported`] when it offers no wlr-screencopy (GNOME, KDE, weston: the message
    /// names the protocol, the `pipewire` backend for GNOME, and says that the portal path is
    /// not implemented yet),
    /// [`Error::Timeout`] when it does not answer in time.
    pub fn open_with(display: Option<&str>, options: WaylandOptions) -> Result<Self, Error> {
        let wayland = Wayland::open(display, options.timeout)?;
        Ok(Self {
            engine: ScreencopyEngine::new(wayland, options.max_buffers),
            proven: false,
        })
    }

    /// The buffer pool's counts.
    pub fn pool_stats(&self) -> PoolStats {
        self.engine.pool_stats()
    }

    /// The most screencopy events (buffer layouts offered, damage rectangles) this capturer
    /// has held for one frame at once since it opened: a diagnostic, and the tests' proof
    /// that a compositor repeating events cannot grow memory. However many events come, it is
    /// at most 16 layouts plus [`MAX_DAMAGE_RECTANGLES`](crate::MAX_DAMAGE_RECTANGLES)
    /// rectangles.
    pub fn most_frame_events_kept(&self) -> usize {
        self.engine.wayland().state.most_frame_events_kept
    }

    /// The display's name as given.
    fn display_name(&self) -> &str {
        self.engine.wayland().display_name()
    }

    /// The outputs on the screen now, with where each is.
    fn outputs_now(&mut self) -> Result<Vec<(usize, Region)>, Error> {
        outputs_now(self.engine.wayland_mut())
    }
}

impl Capture for WaylandCapture {
    fn backend_name(&self) -> &'static str {
        BACKEND_NAME
    }

    fn status(&self) -> BackendStatus {
        BackendStatus::new(BACKEND_NAME, METHOD)
            .with_zero_copy(true)
            .with_proven(self.proven)
            .with_connection(format!(
                "wayland-client (pure Rust), zwlr_screencopy_manager_v1 version {}",
                self.engine.version()
            ))
    }

    fn screen(&mut self) -> Result<ScreenInfo, Error> {
        let outputs = self.outputs_now()?;
        let all = bounding_box(&outputs);
        // The format of the first output's frames, asked without copying anything.
        let (output, placed) = outputs[0];
        let corner = Region::new(placed.left(), placed.top(), 1, 1)?;
        let offered = self.engine.request(&OutputRegion {
            output,
            placed,
            region: corner,
        })?;
        let format = offered.format();
        self.engine.decline(offered);
        Ok(
            ScreenInfo::new(self.display_name(), all.width(), all.height(), format)
                .with_origin(all.left(), all.top()),
        )
    }

    fn monitors(&mut self) -> Result<Monitors, Error> {
        let outputs = self.outputs_now()?;
        let all = bounding_box(&outputs);
        let known = &self.engine.wayland().state.outputs;
        let monitors = outputs
            .iter()
            .map(|&(index, region)| monitor(&known[index], region))
            .collect();
        Ok(Monitors::new(self.display_name(), all, monitors))
    }

    fn grab(&mut self, region: Region) -> Result<Frame, Error> {
        let outputs = self.outputs_now()?;
        let all = bounding_box(&outputs);
        if !all.contains(&region) {
            return Err(Error::RegionOutOfBounds {
                display: self.display_name().to_owned(),
                region,
                screen: all,
            });
        }
        // Inside one output: the compositor writes the frame's own buffer.
        if let Some(&(output, placed)) = outputs.iter().find(|(_, output)| output.contains(&region))
        {
            let copied = self.copy(&OutputRegion {
                output,
                placed,
                region,
            })?;
            let shown = Region::new(
                region.left(),
                region.top(),
                copied.layout.width,
                copied.layout.height,
            )?;
            return Frame::new(
                LeasedSlot(copied.lease),
                0,
                shown,
                copied.layout.stride as usize,
                copied.format,
            );
        }
        self.assemble(region, all, &outputs)
    }

    /// Not on Wayland yet: see [`grab_window`](Capture::grab_window).
    fn windows(&mut self) -> Result<Vec<mss_core::Window>, Error> {
        Err(windows_unsupported("listing windows"))
    }

    /// Not on Wayland yet: wlr-screencopy copies outputs only, and a client sees other
    /// clients' windows only through the toplevel protocols (`ext-foreign-toplevel-list` to
    /// list them, `ext-image-copy-capture` to copy one), which this backend does not speak yet.
    fn grab_window(&mut self, window: u64) -> Result<Frame, Error> {
        let _ = window;
        Err(windows_unsupported("capturing a window"))
    }

    /// The compositor draws the pointer into frames when asked (screencopy's
    /// `overlay_cursor`).
    fn draw_cursor(&mut self, draw: bool) -> bool {
        self.engine.set_overlay_cursor(draw);
        true
    }

    /// A region on one output streams with captures kept in flight, each into its own pooled
    /// buffer, with the compositor's damage for changes-only (see the `stream` module docs of
    /// this crate); a region across outputs and a window stream through the default stream.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRate`] and the errors of finding the target; a region off the screen is
    /// reported by the first frame.
    fn stream(&mut self, options: &StreamOptions) -> Result<Box<dyn FrameStream + '_>, Error> {
        if matches!(options.target, StreamTarget::Window(_)) {
            return Ok(Box::new(GrabStream::new(self, options)?));
        }
        let period = options.period()?;
        let region = options.target_region(self)?;
        let outputs = self.outputs_now()?;
        let Some(&(output, placed)) = outputs.iter().find(|(_, output)| output.contains(&region))
        else {
            // Across outputs (or off the screen, which the first grab reports).
            return Ok(Box::new(GrabStream::new(self, options)?));
        };
        let target = OutputRegion {
            output,
            placed,
            region,
        };
        Ok(Box::new(WaylandStream::new(
            &mut self.engine,
            target,
            period,
            options,
        )))
    }
}

/// Why windows are [`Error::Unsupported`] here.
fn windows_unsupported(what: &'static str) -> Error {
    Error::Unsupported {
        backend: BACKEND_NAME,
        what,
        reason: "Wayland shows a client other applications' windows only through the \
                 compositor's toplevel protocols (ext-foreign-toplevel-list, \
                 ext-image-copy-capture), which mss-rs does not implement yet; capture the \
                 window's region of the output instead"
            .to_owned(),
    }
}

impl WaylandCapture {
    /// Copies `target` through the engine; the status is proven once a grab delivered pixels.
    fn copy(&mut self, target: &OutputRegion) -> Result<Copied, Error> {
        let copied = self.engine.copy(target)?;
        self.proven = true;
        Ok(copied)
    }

    /// A region across several outputs, or partly on none: each output's part is captured
    /// into its own buffer and copied once into a new frame, opaque black where no output is
    /// (see mss-core's `assemble` module).
    ///
    /// # Errors
    ///
    /// [`Error::RegionOutOfBounds`] saying the region lies in the gap between outputs when no
    /// output shows any of it (`screen` is their bounding box); [`Error::Unsupported`] when the
    /// frame would be past the size limit (before anything is captured or allocated) or the
    /// outputs differ in scale; the errors of copying.
    fn assemble(
        &mut self,
        region: Region,
        screen: Region,
        outputs: &[(usize, Region)],
    ) -> Result<Frame, Error> {
        let parts: Vec<OutputRegion> = outputs
            .iter()
            .filter_map(|&(output, placed)| {
                Some(OutputRegion {
                    output,
                    placed,
                    region: region.intersection(&placed)?,
                })
            })
            .collect();
        if parts.is_empty() {
            return Err(self.in_the_gap(region, screen));
        }
        let bytes = u64::from(region.width()) * u64::from(region.height()) * BYTES_PER_PIXEL;
        // Checked before anything is copied: outputs placed far apart make the bounding box
        // (monitor 0) large with little but empty space in it.
        check_frame_size(bytes, || format!("region {region}"))?;
        let mut assembly: Option<Assembly> = None;
        for part in &parts {
            let copied = self.copy(part)?;
            let delivered = (copied.layout.width, copied.layout.height);
            if delivered != (part.region.width(), part.region.height()) {
                return Err(Error::Unsupported {
                    backend: BACKEND_NAME,
                    what: "a region across outputs of different scales",
                    reason: format!(
                        "output {} delivers {}x{} device pixels for {}; capture each output on \
                         its own",
                        self.engine.wayland().state.outputs[part.output]
                            .name
                            .as_deref()
                            .unwrap_or("(unnamed)"),
                        delivered.0,
                        delivered.1,
                        part.region
                    ),
                });
            }
            assembly
                .get_or_insert_with(|| Assembly::new(region, copied.format))
                .paste(
                    part.region,
                    copied.lease.bytes(),
                    copied.layout.stride as usize,
                    copied.format,
                );
        }
        match assembly {
            Some(assembly) => assembly.into_frame(),
            None => Err(self.in_the_gap(region, screen)),
        }
    }

    /// The error for `region`, inside the outputs' bounding box `screen` but on no output:
    /// mss-core's message for it says it lies in the gap between outputs.
    fn in_the_gap(&self, region: Region, screen: Region) -> Error {
        Error::RegionOutOfBounds {
            display: self.display_name().to_owned(),
            region,
            screen,
        }
    }
}
