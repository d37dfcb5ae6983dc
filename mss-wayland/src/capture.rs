//! [`WaylandCapture`]: the `Capture` implementation over wlr-screencopy.

use std::time::Duration;

use mss_buffer::{AcquireError, Lease, Pool, PoolStats};
use mss_core::{
    BackendStatus, Capture, Error, Frame, Monitor, Monitors, PixelFormat, Region, ScreenInfo,
    Transform,
};
use wayland_client::protocol::wl_output;

use crate::connection::{BACKEND_NAME, Wayland};
use crate::slot::{FORMATS, LeasedSlot, Slot, flip_rows, format_name};
use crate::state::{BufferLayout, FrameState, Output};

/// The method `status` reports.
const METHOD: &str = "wlr-screencopy";

/// How long a wait on the compositor may take unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

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
    // The pool closes before the connection (declaration order): frames released after that
    // only unmap their memory.
    pool: Pool<Slot>,
    wayland: Wayland,
    overlay_cursor: bool,
    next_key: u64,
    proven: bool,
    screencopy_version: u32,
}

impl std::fmt::Debug for WaylandCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaylandCapture")
            .field("wayland", &self.wayland)
            .field("pool", &self.pool.stats())
            .field("overlay_cursor", &self.overlay_cursor)
            .finish_non_exhaustive()
    }
}

/// What one screencopy of one output delivered.
pub(crate) struct Copied {
    pub(crate) lease: Lease<Slot>,
    pub(crate) layout: BufferLayout,
    pub(crate) format: PixelFormat,
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
    /// names the protocol and says that the portal path is not implemented yet),
    /// [`Error::Timeout`] when it does not answer in time.
    pub fn open_with(display: Option<&str>, options: WaylandOptions) -> Result<Self, Error> {
        let wayland = Wayland::open(display, options.timeout)?;
        let screencopy_version = wayland
            .state
            .screencopy
            .as_ref()
            .map_or(0, wayland_client::Proxy::version);
        Ok(Self {
            pool: Pool::new(options.max_buffers.max(1)),
            wayland,
            overlay_cursor: false,
            next_key: 0,
            proven: false,
            screencopy_version,
        })
    }

    /// The buffer pool's counts.
    pub fn pool_stats(&self) -> PoolStats {
        self.pool.stats()
    }

    /// The connection, for the stream.
    pub(crate) fn wayland_mut(&mut self) -> &mut Wayland {
        &mut self.wayland
    }

    /// Whether the compositor is asked to draw the pointer into frames.
    pub(crate) fn overlay_cursor(&self) -> bool {
        self.overlay_cursor
    }

    /// Forgets frame `key` (its object was destroyed) and returns what it said.
    pub(crate) fn forget_frame(&mut self, key: u64) -> Option<FrameState> {
        self.wayland.state.frame_proxies.remove(&key);
        self.wayland.state.frames.remove(&key)
    }

    /// The outputs on the screen now, with where each is (screen coordinates), read after a
    /// round trip so that mode and layout changes are seen.
    pub(crate) fn outputs_now(&mut self) -> Result<Vec<(usize, Region)>, Error> {
        self.wayland.roundtrip("the outputs' descriptions")?;
        let outputs: Vec<(usize, Region)> = self
            .wayland
            .state
            .outputs
            .iter()
            .enumerate()
            .filter(|(_, output)| !output.removed)
            .filter_map(|(index, output)| output_region(output).map(|region| (index, region)))
            .collect();
        if outputs.is_empty() {
            return Err(Error::Unsupported {
                backend: BACKEND_NAME,
                what: "capturing the screen",
                reason: format!(
                    "the compositor at {:?} has no outputs",
                    self.wayland.display_name()
                ),
            });
        }
        Ok(outputs)
    }

    /// Copies `local` (in the output's own logical coordinates) of output `index` into a
    /// pooled buffer; with `damage`, waits for damage first and reports it.
    pub(crate) fn copy_output(
        &mut self,
        index: usize,
        local: (i32, i32, i32, i32),
        damage: bool,
    ) -> Result<Copied, Error> {
        let key = self.send_capture(index, local)?;
        let (frame, layout, format) = self.await_buffer_layout(key)?;
        let lease = self.lease_slot(layout);
        let lease = match lease {
            Ok(lease) => lease,
            Err(error) => {
                frame.destroy();
                self.wayland.state.frames.remove(&key);
                return Err(error);
            }
        };
        if damage {
            frame.copy_with_damage(lease.buffer());
        } else {
            frame.copy(lease.buffer());
        }
        self.finish_copy(key, frame, lease, layout, format)
    }

    /// Asks for a capture of `local` on output `index`; returns the frame's key.
    pub(crate) fn send_capture(
        &mut self,
        index: usize,
        (x, y, width, height): (i32, i32, i32, i32),
    ) -> Result<u64, Error> {
        self.wayland.check_open()?;
        let key = self.next_key;
        self.next_key += 1;
        let qh = self.wayland.handle();
        let state = &mut self.wayland.state;
        let manager = state
            .screencopy
            .as_ref()
            .expect("screencopy is bound when the capturer opens");
        let output = &state.outputs[index].proxy;
        let frame = manager.capture_output_region(
            i32::from(self.overlay_cursor),
            output,
            x,
            y,
            width,
            height,
            &qh,
            key,
        );
        state.frames.insert(key, FrameState::default());
        state.frame_proxies.insert(key, frame);
        Ok(key)
    }

    /// Waits for frame `key` to describe its buffers and picks the one captured.
    pub(crate) fn await_buffer_layout(
        &mut self,
        key: u64,
    ) -> Result<
        (
            wayland_protocols_wlr::screencopy::v1::client::zwlr_screencopy_frame_v1::ZwlrScreencopyFrameV1,
            BufferLayout,
            PixelFormat,
        ),
        Error,
    >{
        let version = self.screencopy_version;
        self.wayland
            .dispatch_until("the screencopy buffer's description", |state| {
                state.frames.get(&key).is_none_or(|frame| {
                    frame.failed || frame.buffer_done || (version < 3 && !frame.layouts.is_empty())
                })
            })?;
        let frame = self
            .wayland
            .state
            .frame_proxies
            .remove(&key)
            .expect("frames are kept until they end");
        let state = self
            .wayland
            .state
            .frames
            .get(&key)
            .expect("frames are kept until they end");
        if state.failed {
            frame.destroy();
            self.wayland.state.frames.remove(&key);
            return Err(capture_failed(self.wayland.display_name()));
        }
        let chosen = FORMATS.iter().find_map(|(wayland, pixel)| {
            state
                .layouts
                .iter()
                .find(|layout| layout.format == wayland_client::WEnum::Value(*wayland))
                .map(|layout| (*layout, *pixel))
        });
        match chosen {
            Some((layout, pixel)) => Ok((frame, layout, pixel)),
            None => {
                let offered: Vec<String> = state
                    .layouts
                    .iter()
                    .map(|layout| format_name(layout.format))
                    .collect();
                frame.destroy();
                self.wayland.state.frames.remove(&key);
                Err(Error::Unsupported {
                    backend: BACKEND_NAME,
                    what: "the compositor's buffer formats",
                    reason: if offered.is_empty() {
                        "the compositor offers no shared-memory buffer for screencopy (only \
                         dmabuf, which mss-rs does not read)"
                            .to_owned()
                    } else {
                        format!(
                            "it offers {} for screencopy; mss-rs reads XRGB8888, ARGB8888, \
                             XBGR8888 and ABGR8888",
                            offered.join(", ")
                        )
                    },
                })
            }
        }
    }

    /// A free buffer of `layout` from the pool, or a new one.
    pub(crate) fn lease_slot(&mut self, layout: BufferLayout) -> Result<Lease<Slot>, Error> {
        let qh = self.wayland.handle();
        let shm = self
            .wayland
            .state
            .shm
            .clone()
            .expect("wl_shm is bound when the capturer opens");
        self.pool
            .acquire(
                |slot: &Slot| slot.layout() == layout,
                || Slot::create(&shm, layout, &qh),
                Slot::retire,
            )
            .map_err(|error| match error {
                AcquireError::Exhausted { limit } => Error::BuffersExhausted { limit },
                AcquireError::Create(error) => error,
                other => Error::SharedMemory {
                    bytes: layout.stride as usize * layout.height as usize,
                    reason: other.to_string(),
                    source: None,
                },
            })
    }

    /// Waits for the copy into `lease` to end and returns what it delivered.
    pub(crate) fn finish_copy(
        &mut self,
        key: u64,
        frame: wayland_protocols_wlr::screencopy::v1::client::zwlr_screencopy_frame_v1::ZwlrScreencopyFrameV1,
        mut lease: Lease<Slot>,
        layout: BufferLayout,
        format: PixelFormat,
    ) -> Result<Copied, Error> {
        let waited = self
            .wayland
            .dispatch_until("the screencopy frame", |state| {
                state
                    .frames
                    .get(&key)
                    .is_none_or(|frame| frame.ready || frame.failed)
            });
        frame.destroy();
        let state = self.wayland.state.frames.remove(&key).unwrap_or_default();
        waited?;
        if state.failed || !state.ready {
            return Err(capture_failed(self.wayland.display_name()));
        }
        if state.y_invert {
            flip_rows(
                lease.bytes_mut(),
                layout.stride as usize,
                layout.height as usize,
            );
        }
        self.proven = true;
        Ok(Copied {
            lease,
            layout,
            format,
        })
    }
}

/// The error for a screencopy the compositor reported as failed.
pub(crate) fn capture_failed(display: &str) -> Error {
    Error::Protocol {
        display: display.to_owned(),
        request: "zwlr_screencopy_frame_v1.copy",
        message: "the compositor reported that the capture failed (the output may have gone \
                  away or changed mode meanwhile)"
            .to_owned(),
        source: None,
    }
}

/// Where `output` is on the screen, in logical coordinates: xdg-output's logical position and
/// size when the compositor gives them, else `wl_output`'s position with the current mode
/// divided by the scale (turned when the transform says so).
fn output_region(output: &Output) -> Option<Region> {
    let (x, y) = output.logical_position.unwrap_or(output.position);
    let (width, height) = match output.logical_size {
        Some(size) => size,
        None => {
            let (width, height, _) = output.mode?;
            let scale = output.scale.max(1);
            if transform(output.transform).swaps_sides() {
                (height / scale, width / scale)
            } else {
                (width / scale, height / scale)
            }
        }
    };
    Region::from_signed(
        i64::from(x),
        i64::from(y),
        i64::from(width),
        i64::from(height),
    )
    .ok()
}

/// mss-core's transform for Wayland's.
fn transform(transform: wl_output::Transform) -> Transform {
    match transform {
        wl_output::Transform::_90 => Transform::Rotated90,
        wl_output::Transform::_180 => Transform::Rotated180,
        wl_output::Transform::_270 => Transform::Rotated270,
        wl_output::Transform::Flipped => Transform::Flipped,
        wl_output::Transform::Flipped90 => Transform::Flipped90,
        wl_output::Transform::Flipped180 => Transform::Flipped180,
        wl_output::Transform::Flipped270 => Transform::Flipped270,
        _ => Transform::Normal,
    }
}

/// The bounding box of `regions` (not empty).
fn bounding_box(regions: impl Iterator<Item = Region>) -> Region {
    regions
        .reduce(|all, region| all.union(&region))
        .expect("the caller checked there is an output")
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
                self.screencopy_version
            ))
    }

    fn screen(&mut self) -> Result<ScreenInfo, Error> {
        let outputs = self.outputs_now()?;
        let all = bounding_box(outputs.iter().map(|&(_, region)| region));
        // The format of the first output's frames, asked without copying anything.
        let (index, region) = outputs[0];
        let key = self.send_capture(index, (0, 0, region.width().min(1) as i32, 1))?;
        let (frame, _, format) = self.await_buffer_layout(key)?;
        frame.destroy();
        self.wayland.state.frames.remove(&key);
        Ok(ScreenInfo::new(
            self.wayland.display_name(),
            all.width(),
            all.height(),
            format,
        )
        .with_origin(all.left(), all.top()))
    }

    fn monitors(&mut self) -> Result<Monitors, Error> {
        let outputs = self.outputs_now()?;
        let all = bounding_box(outputs.iter().map(|&(_, region)| region));
        let monitors = outputs
            .iter()
            .map(|&(index, region)| {
                let output = &self.wayland.state.outputs[index];
                let mut monitor = Monitor::new(region).with_transform(transform(output.transform));
                if let Some(name) = &output.name {
                    monitor = monitor.with_output(name.clone());
                }
                if let Some(description) = &output.description {
                    monitor = monitor.with_description(description.clone());
                }
                if let Some((width, height, _)) = output.mode {
                    if let (Ok(width), Ok(height)) = (u32::try_from(width), u32::try_from(height)) {
                        monitor = monitor.with_pixel_size(width, height);
                    }
                }
                monitor
            })
            .collect();
        Ok(Monitors::new(self.wayland.display_name(), all, monitors))
    }

    fn grab(&mut self, region: Region) -> Result<Frame, Error> {
        let outputs = self.outputs_now()?;
        let all = bounding_box(outputs.iter().map(|&(_, region)| region));
        if !all.contains(&region) {
            return Err(Error::RegionOutOfBounds {
                display: self.wayland.display_name().to_owned(),
                region,
                screen: all,
            });
        }
        // Inside one output: the compositor writes the frame's own buffer.
        if let Some(&(index, output)) = outputs.iter().find(|(_, output)| output.contains(&region))
        {
            let copied = self.copy_output(index, local(region, output), false)?;
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
        self.assemble(region, &outputs)
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
        self.overlay_cursor = draw;
        true
    }

    /// Captures kept in flight, each into its own pooled buffer, with the compositor's damage
    /// for changes-only (see the `stream` module docs of this crate).
    fn stream(
        &mut self,
        options: &mss_core::StreamOptions,
    ) -> Result<Box<dyn mss_core::FrameStream + '_>, Error> {
        crate::stream::WaylandStream::open(self, options)
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

/// `region` in the coordinates of the output at `output`.
pub(crate) fn local(region: Region, output: Region) -> (i32, i32, i32, i32) {
    (
        region.left() - output.left(),
        region.top() - output.top(),
        region.width() as i32,
        region.height() as i32,
    )
}

impl WaylandCapture {
    /// A region across several outputs: each part is captured into its own buffer and copied
    /// once into a new frame; what no output covers is black.
    fn assemble(&mut self, region: Region, outputs: &[(usize, Region)]) -> Result<Frame, Error> {
        let mut target: Option<(Vec<u8>, PixelFormat, usize)> = None;
        for &(index, output) in outputs {
            let Some(part) = region.intersection(&output) else {
                continue;
            };
            let copied = self.copy_output(index, local(part, output), false)?;
            if (copied.layout.width, copied.layout.height) != (part.width(), part.height()) {
                return Err(Error::Unsupported {
                    backend: BACKEND_NAME,
                    what: "a region across outputs of different scales",
                    reason: format!(
                        "output {} delivers {}x{} device pixels for {part}; capture each \
                         output on its own",
                        self.wayland.state.outputs[index]
                            .name
                            .as_deref()
                            .unwrap_or("(unnamed)"),
                        copied.layout.width,
                        copied.layout.height
                    ),
                });
            }
            let (bytes, format, stride) = target.get_or_insert_with(|| {
                let stride = region.width() as usize * copied.format.bytes_per_pixel();
                (
                    vec![0; stride * region.height() as usize],
                    copied.format,
                    stride,
                )
            });
            let source = copied.lease.bytes();
            let source_stride = copied.layout.stride as usize;
            let x = (part.left() - region.left()) as usize;
            let y = (part.top() - region.top()) as usize;
            let row_bytes = part.width() as usize * format.bytes_per_pixel();
            for row in 0..part.height() as usize {
                let from = &source[row * source_stride..];
                let to = &mut bytes[(y + row) * *stride + x * format.bytes_per_pixel()..];
                if copied.format == *format {
                    to[..row_bytes].copy_from_slice(&from[..row_bytes]);
                } else {
                    // Outputs in different formats: each pixel re-encoded.
                    let step = format.bytes_per_pixel();
                    for column in 0..part.width() as usize {
                        let colour = copied.format.decode(&from[column * step..]);
                        let encoded = format.encode(colour).to_le_bytes();
                        to[column * step..(column + 1) * step].copy_from_slice(&encoded[..step]);
                    }
                }
            }
        }
        let (bytes, format, _) = target.expect("a region inside the screen meets an output");
        Frame::from_vec(bytes, region, format)
    }
}
