//! [`WaylandScene`]: the known pattern shown on every output of a Wayland compositor, by a
//! client of its own.
//!
//! A wlroots compositor shows what its clients draw, so the scene is a client: one
//! wlr-layer-shell surface per output, on the overlay layer, anchored to every edge (so it
//! covers the whole output, above any window), showing the pattern at the output's position
//! on the screen, so that every pixel of a capture tells where it came from. Painting a
//! rectangle draws into the next of two shared-memory buffers, attaches it with damage on that
//! rectangle only (so the compositor's own damage tracking sees just it), and waits until the
//! compositor has shown it (the surface's frame callback) before returning, so a capture taken
//! afterwards must show it.
//!
//! The buffers are written with ordinary positioned writes into a memfd (no mapping), so the
//! test kit stays free of `unsafe`.

use std::fmt;
use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mss_core::{Frame, PixelFormat, Region, Rgba};
use wayland_client::protocol::wl_buffer::{self, WlBuffer};
use wayland_client::protocol::wl_callback::{self, WlCallback};
use wayland_client::protocol::wl_compositor::WlCompositor;
use wayland_client::protocol::wl_output::WlOutput;
use wayland_client::protocol::wl_registry::{self, WlRegistry};
use wayland_client::protocol::wl_shm::{self, WlShm};
use wayland_client::protocol::wl_shm_pool::WlShmPool;
use wayland_client::protocol::wl_surface::WlSurface;
use wayland_client::{Connection, Dispatch, EventQueue, QueueHandle};
use wayland_protocols::xdg::xdg_output::zv1::client::zxdg_output_manager_v1::ZxdgOutputManagerV1;
use wayland_protocols::xdg::xdg_output::zv1::client::zxdg_output_v1::{self, ZxdgOutputV1};
use wayland_protocols_wlr::layer_shell::v1::client::zwlr_layer_shell_v1::{
    Layer, ZwlrLayerShellV1,
};
use wayland_protocols_wlr::layer_shell::v1::client::zwlr_layer_surface_v1::{
    self, Anchor, ZwlrLayerSurfaceV1,
};

use crate::pattern::{self, FrameMismatch};
use crate::scene::SceneError;

/// How long any wait on the compositor may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The scene shown on each display now, by display: its connection and surfaces. A new scene
/// on the same display takes the old one's surfaces off the screen first (the compositor
/// stacks the older of two overlay surfaces on top), so that the newest scene is what shows,
/// as on X11, where painting the root replaces what was there.
static SHOWN: Mutex<Vec<(String, Connection, Vec<WlSurface>)>> = Mutex::new(Vec::new());

/// Takes the scene shown on `display`, if any, off the screen.
fn retire_shown(display: &str) {
    let mut shown = SHOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    shown.retain(|(shown_on, connection, surfaces)| {
        if shown_on != display {
            return true;
        }
        for surface in surfaces {
            surface.attach(None, 0, 0);
            surface.commit();
        }
        let _ = connection.flush();
        false
    });
}

/// The pattern on every output of a Wayland compositor; see the [module docs](self).
pub struct WaylandScene {
    connection: Connection,
    queue: EventQueue<SceneState>,
    state: SceneState,
    display: String,
    outputs: Vec<OutputScene>,
    region: Region,
    overlays: Vec<(Region, Rgba)>,
    /// Frame callbacks of commits not yet waited for.
    pending_frames: Vec<Arc<AtomicBool>>,
}

impl fmt::Debug for WaylandScene {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaylandScene")
            .field("display", &self.display)
            .field(
                "outputs",
                &self
                    .outputs
                    .iter()
                    .map(|output| output.region)
                    .collect::<Vec<_>>(),
            )
            .field("overlays", &self.overlays.len())
            .finish_non_exhaustive()
    }
}

/// The scene on one output.
struct OutputScene {
    region: Region,
    surface: WlSurface,
    _layer: ZwlrLayerSurfaceV1,
    buffers: [SceneBuffer; 2],
    /// The buffer shown now.
    front: usize,
}

/// One shared-memory buffer of an output's scene.
struct SceneBuffer {
    file: File,
    _pool: WlShmPool,
    buffer: WlBuffer,
    /// Released by the compositor (or never attached): free to write.
    free: Arc<AtomicBool>,
}

/// What the event handlers collect.
#[derive(Default)]
struct SceneState {
    globals: Vec<(u32, String, u32)>,
    outputs: Vec<SceneOutputInfo>,
    /// Layer surface configures, by output index: (serial, width, height).
    configures: Vec<Option<(u32, u32, u32)>>,
    closed: bool,
}

/// An output's place on the screen.
#[derive(Default, Clone, Copy)]
struct SceneOutputInfo {
    position: Option<(i32, i32)>,
    size: Option<(i32, i32)>,
}

impl WaylandScene {
    /// Connects to the compositor at `display` (a socket path, or a name in
    /// `$XDG_RUNTIME_DIR`) and shows the pattern on every output.
    ///
    /// # Errors
    ///
    /// [`SceneError::Connect`] when there is no compositor, [`SceneError::Request`] when it
    /// lacks a protocol the scene needs or does not answer.
    pub fn paint(display: &str) -> Result<Self, SceneError> {
        let connect_error = |reason: String| SceneError::Connect {
            display: display.to_owned(),
            reason,
        };
        let path = if display.starts_with('/') {
            std::path::PathBuf::from(display)
        } else {
            std::path::PathBuf::from(
                std::env::var_os("XDG_RUNTIME_DIR")
                    .ok_or_else(|| connect_error("XDG_RUNTIME_DIR is not set".to_owned()))?,
            )
            .join(display)
        };
        retire_shown(display);
        let stream =
            UnixStream::connect(&path).map_err(|error| connect_error(error.to_string()))?;
        let connection =
            Connection::from_socket(stream).map_err(|error| connect_error(error.to_string()))?;
        let queue = connection.new_event_queue();
        let mut scene = Self {
            connection,
            queue,
            state: SceneState::default(),
            display: display.to_owned(),
            outputs: Vec::new(),
            region: Region::new(0, 0, 1, 1).expect("a 1x1 region"),
            overlays: Vec::new(),
            pending_frames: Vec::new(),
        };
        let qh = scene.queue.handle();
        let registry = scene.connection.display().get_registry(&qh, ());
        scene.roundtrip("the globals")?;
        let bind = |interface: &str, version: u32| {
            scene
                .state
                .globals
                .iter()
                .find(|(_, name, _)| name == interface)
                .map(|&(name, _, available)| (name, available.min(version)))
                .ok_or_else(|| SceneError::Request {
                    display: display.to_owned(),
                    request: "binding a global",
                    reason: format!("the compositor does not offer {interface}"),
                })
        };
        let (name, version) = bind("wl_compositor", 4)?;
        let compositor: WlCompositor = registry.bind(name, version, &qh, ());
        let (name, version) = bind("wl_shm", 1)?;
        let shm: WlShm = registry.bind(name, version, &qh, ());
        let (name, version) = bind("zwlr_layer_shell_v1", 1)?;
        let layer_shell: ZwlrLayerShellV1 = registry.bind(name, version, &qh, ());
        let (name, version) = bind("zxdg_output_manager_v1", 2)?;
        let xdg_outputs: ZxdgOutputManagerV1 = registry.bind(name, version, &qh, ());
        let output_globals: Vec<(u32, u32)> = scene
            .state
            .globals
            .iter()
            .filter(|(_, interface, _)| interface == "wl_output")
            .map(|&(name, _, version)| (name, version.min(4)))
            .collect();
        let mut proxies = Vec::new();
        for (index, &(name, version)) in output_globals.iter().enumerate() {
            let output: WlOutput = registry.bind(name, version, &qh, ());
            let xdg = xdg_outputs.get_xdg_output(&output, &qh, index);
            scene.state.outputs.push(SceneOutputInfo::default());
            scene.state.configures.push(None);
            proxies.push((output, xdg));
        }
        scene.roundtrip("the outputs' positions")?;

        let mut regions = Vec::new();
        for (index, (output, _)) in proxies.iter().enumerate() {
            let info = scene.state.outputs[index];
            let (Some((x, y)), Some((width, height))) = (info.position, info.size) else {
                return Err(scene.request_error("xdg-output", "an output has no position"));
            };
            let region = Region::from_signed(
                i64::from(x),
                i64::from(y),
                i64::from(width),
                i64::from(height),
            )
            .map_err(|error| scene.request_error("xdg-output", &error.to_string()))?;
            let surface = compositor.create_surface(&qh, ());
            let layer = layer_shell.get_layer_surface(
                &surface,
                Some(output),
                Layer::Overlay,
                "mss-testkit-scene".to_owned(),
                &qh,
                index,
            );
            layer.set_anchor(Anchor::Top | Anchor::Bottom | Anchor::Left | Anchor::Right);
            layer.set_exclusive_zone(-1);
            layer.set_size(0, 0);
            surface.commit();
            regions.push((region, surface, layer));
        }
        scene.dispatch_until("the layer surfaces' sizes", |state| {
            state.configures.iter().all(Option::is_some)
        })?;
        for (index, (region, surface, layer)) in regions.into_iter().enumerate() {
            let (serial, width, height) =
                scene.state.configures[index].expect("every surface was configured");
            if (width, height) != (region.width(), region.height()) {
                return Err(scene.request_error(
                    "zwlr_layer_surface_v1.configure",
                    &format!("the compositor sized the scene {width}x{height} on {region}"),
                ));
            }
            layer.ack_configure(serial);
            let buffers = [
                SceneBuffer::new(&shm, region, &qh, &scene.display)?,
                SceneBuffer::new(&shm, region, &qh, &scene.display)?,
            ];
            scene.outputs.push(OutputScene {
                region,
                surface,
                _layer: layer,
                buffers,
                front: 1,
            });
        }
        scene.region = scene
            .outputs
            .iter()
            .map(|output| output.region)
            .reduce(|all, region| all.union(&region))
            .ok_or_else(|| scene.request_error("wl_output", "the compositor has no outputs"))?;
        for index in 0..scene.outputs.len() {
            let whole = scene.outputs[index].region;
            scene.show(index, whole)?;
        }
        scene.wait_shown()?;
        SHOWN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((
                scene.display.clone(),
                scene.connection.clone(),
                scene
                    .outputs
                    .iter()
                    .map(|output| output.surface.clone())
                    .collect(),
            ));
        Ok(scene)
    }

    fn request_error(&self, request: &'static str, reason: &str) -> SceneError {
        SceneError::Request {
            display: self.display.clone(),
            request,
            reason: reason.to_owned(),
        }
    }

    /// Writes the scene of output `index` into its back buffer and attaches it with damage on
    /// `changed` (screen coordinates); the commit carries a frame callback, collected by
    /// [`wait_shown`](Self::wait_shown).
    fn show(&mut self, index: usize, changed: Region) -> Result<(), SceneError> {
        let back = 1 - self.outputs[index].front;
        let free = Arc::clone(&self.outputs[index].buffers[back].free);
        self.dispatch_until("a scene buffer's release", |_| free.load(Ordering::SeqCst))?;
        let region = self.outputs[index].region;
        let mut bytes = Vec::with_capacity(region.width() as usize * region.height() as usize * 4);
        for y in 0..region.height() {
            for x in 0..region.width() {
                let colour = self.expected_at(
                    i64::from(region.left()) + i64::from(x),
                    i64::from(region.top()) + i64::from(y),
                );
                bytes.extend_from_slice(&PixelFormat::Bgrx8888.encode(colour).to_le_bytes());
            }
        }
        let output = &self.outputs[index];
        let buffer = &output.buffers[back];
        buffer
            .file
            .write_all_at(&bytes, 0)
            .map_err(|error| self.request_error("writing a scene buffer", &error.to_string()))?;
        buffer.free.store(false, Ordering::SeqCst);
        output.surface.attach(Some(&buffer.buffer), 0, 0);
        output.surface.damage_buffer(
            changed.left() - region.left(),
            changed.top() - region.top(),
            changed.width() as i32,
            changed.height() as i32,
        );
        let qh = self.queue.handle();
        let shown = Arc::new(AtomicBool::new(false));
        output.surface.frame(&qh, Arc::clone(&shown));
        output.surface.commit();
        self.outputs[index].front = back;
        self.pending_frames.push(shown);
        Ok(())
    }

    /// Waits until the compositor has shown every commit made since the last wait.
    fn wait_shown(&mut self) -> Result<(), SceneError> {
        let pending = std::mem::take(&mut self.pending_frames);
        self.dispatch_until("the scene being shown", |_| {
            pending.iter().all(|shown| shown.load(Ordering::SeqCst))
        })
    }

    /// The colour at screen position `(x, y)`: the latest rectangle painted over it, else the
    /// pattern; black where no output is.
    fn expected_at(&self, x: i64, y: i64) -> Rgba {
        let (Ok(x), Ok(y)) = (i32::try_from(x), i32::try_from(y)) else {
            return Rgba::rgb(0, 0, 0);
        };
        if !self
            .outputs
            .iter()
            .any(|output| output.region.contains_point(x, y))
            && !self.outputs.is_empty()
        {
            return Rgba::rgb(0, 0, 0);
        }
        if let Some((_, colour)) = self
            .overlays
            .iter()
            .rev()
            .find(|(region, _)| region.contains_point(x, y))
        {
            return *colour;
        }
        match (u32::try_from(x), u32::try_from(y)) {
            (Ok(x), Ok(y)) => pattern::expected_colour(PixelFormat::Bgrx8888, x, y),
            // The pattern is defined on the first quadrant; elsewhere it repeats from the
            // absolute coordinates.
            _ => {
                pattern::expected_colour(PixelFormat::Bgrx8888, x.unsigned_abs(), y.unsigned_abs())
            }
        }
    }

    /// The colour the screen shows at `(x, y)`.
    pub fn expected(&self, x: u32, y: u32) -> Rgba {
        self.expected_at(i64::from(x), i64::from(y))
    }

    /// Compares every pixel of `frame` with [`expected`](Self::expected).
    ///
    /// # Errors
    ///
    /// A [`FrameMismatch`] listing the wrong pixels.
    pub fn check_frame(&self, frame: &Frame) -> Result<(), FrameMismatch> {
        pattern::check_frame(frame, frame.format(), |x, y| Some(self.expected_at(x, y)))
    }

    /// Asserts that `frame` shows exactly what the outputs show.
    ///
    /// # Panics
    ///
    /// With the wrong pixels when any differs.
    pub fn assert_frame(&self, frame: &Frame) {
        if let Err(mismatch) = self.check_frame(frame) {
            panic!("Wayland display {}: {mismatch}", self.display);
        }
    }

    /// Fills `region` (screen coordinates) with `colour` and waits until the compositor shows
    /// it.
    ///
    /// # Errors
    ///
    /// [`SceneError::OutsideScene`] when the region is not on the screen; the compositor's
    /// failures.
    pub fn paint_rect(&mut self, region: Region, colour: Rgba) -> Result<(), SceneError> {
        if !self.region.contains(&region) {
            return Err(SceneError::OutsideScene {
                region,
                width: self.region.width(),
                height: self.region.height(),
            });
        }
        self.overlays
            .retain(|(earlier, _)| !region.contains(earlier));
        self.overlays.push((region, colour));
        for index in 0..self.outputs.len() {
            if let Some(part) = region.intersection(&self.outputs[index].region) {
                self.show(index, part)?;
            }
        }
        self.wait_shown()
    }

    /// The bounding box of the outputs.
    pub fn region(&self) -> Region {
        self.region
    }

    /// Sends `wl_display.sync` and waits for its answer.
    fn roundtrip(&mut self, waiting_for: &'static str) -> Result<(), SceneError> {
        let done = Arc::new(AtomicBool::new(false));
        self.connection
            .display()
            .sync(&self.queue.handle(), Arc::clone(&done));
        self.dispatch_until(waiting_for, |_| done.load(Ordering::SeqCst))
    }

    /// Dispatches events until `ready`, for at most [`TIMEOUT`].
    fn dispatch_until(
        &mut self,
        waiting_for: &'static str,
        mut ready: impl FnMut(&SceneState) -> bool,
    ) -> Result<(), SceneError> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            self.queue
                .dispatch_pending(&mut self.state)
                .map_err(|error| self.request_error(waiting_for, &error.to_string()))?;
            if ready(&self.state) {
                return Ok(());
            }
            if self.state.closed {
                return Err(self.request_error(waiting_for, "the compositor closed the scene"));
            }
            self.queue
                .flush()
                .map_err(|error| self.request_error(waiting_for, &error.to_string()))?;
            let Some(guard) = self.queue.prepare_read() else {
                continue;
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(self.request_error(waiting_for, "the compositor did not answer"));
            }
            let timeout = rustix::event::Timespec::try_from(left).unwrap_or(TIMESPEC_MAX);
            let fd = guard.connection_fd();
            let mut fds = [rustix::event::PollFd::new(
                &fd,
                rustix::event::PollFlags::IN,
            )];
            let polled = rustix::event::poll(&mut fds, Some(&timeout));
            match polled {
                Ok(0) | Err(rustix::io::Errno::INTR) => {}
                Ok(_) => {
                    if let Err(error) = guard.read() {
                        return Err(self.request_error(waiting_for, &error.to_string()));
                    }
                }
                Err(error) => return Err(self.request_error(waiting_for, &error.to_string())),
            }
        }
    }
}

/// A timeout longer than any test.
const TIMESPEC_MAX: rustix::event::Timespec = rustix::event::Timespec {
    tv_sec: i64::MAX,
    tv_nsec: 0,
};

impl SceneBuffer {
    fn new(
        shm: &WlShm,
        region: Region,
        qh: &QueueHandle<SceneState>,
        display: &str,
    ) -> Result<Self, SceneError> {
        let failed = |reason: String| SceneError::Request {
            display: display.to_owned(),
            request: "making a scene buffer",
            reason,
        };
        let stride = region.width() as usize * 4;
        let len = stride * region.height() as usize;
        let fd = rustix::fs::memfd_create("mss-testkit-scene", rustix::fs::MemfdFlags::CLOEXEC)
            .map_err(|error| failed(error.to_string()))?;
        rustix::fs::ftruncate(&fd, len as u64).map_err(|error| failed(error.to_string()))?;
        let file = File::from(fd);
        let pool = shm.create_pool(
            std::os::fd::AsFd::as_fd(&file),
            i32::try_from(len).map_err(|_| failed("the output is too large".to_owned()))?,
            qh,
            (),
        );
        let free = Arc::new(AtomicBool::new(true));
        let buffer = pool.create_buffer(
            0,
            region.width() as i32,
            region.height() as i32,
            stride as i32,
            wl_shm::Format::Xrgb8888,
            qh,
            Arc::clone(&free),
        );
        Ok(Self {
            file,
            _pool: pool,
            buffer,
            free,
        })
    }
}

impl Dispatch<WlRegistry, ()> for SceneState {
    fn event(
        state: &mut Self,
        _: &WlRegistry,
        event: wl_registry::Event,
        (): &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_registry::Event::Global {
            name,
            interface,
            version,
        } = event
        {
            state.globals.push((name, interface, version));
        }
    }
}

impl Dispatch<ZxdgOutputV1, usize> for SceneState {
    fn event(
        state: &mut Self,
        _: &ZxdgOutputV1,
        event: zxdg_output_v1::Event,
        index: &usize,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let info = &mut state.outputs[*index];
        match event {
            zxdg_output_v1::Event::LogicalPosition { x, y } => info.position = Some((x, y)),
            zxdg_output_v1::Event::LogicalSize { width, height } => {
                info.size = Some((width, height));
            }
            _ => {}
        }
    }
}

impl Dispatch<ZwlrLayerSurfaceV1, usize> for SceneState {
    fn event(
        state: &mut Self,
        _: &ZwlrLayerSurfaceV1,
        event: zwlr_layer_surface_v1::Event,
        index: &usize,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            zwlr_layer_surface_v1::Event::Configure {
                serial,
                width,
                height,
            } => state.configures[*index] = Some((serial, width, height)),
            zwlr_layer_surface_v1::Event::Closed => state.closed = true,
            _ => {}
        }
    }
}

impl Dispatch<WlBuffer, Arc<AtomicBool>> for SceneState {
    fn event(
        _: &mut Self,
        _: &WlBuffer,
        event: wl_buffer::Event,
        free: &Arc<AtomicBool>,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_buffer::Event::Release = event {
            free.store(true, Ordering::SeqCst);
        }
    }
}

impl Dispatch<WlCallback, Arc<AtomicBool>> for SceneState {
    fn event(
        _: &mut Self,
        _: &WlCallback,
        event: wl_callback::Event,
        done: &Arc<AtomicBool>,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_callback::Event::Done { .. } = event {
            done.store(true, Ordering::SeqCst);
        }
    }
}

/// Objects whose events the scene does not need.
macro_rules! ignore_events {
    ($($proxy:ty),* $(,)?) => {$(
        impl Dispatch<$proxy, ()> for SceneState {
            fn event(
                _: &mut Self,
                _: &$proxy,
                _: <$proxy as wayland_client::Proxy>::Event,
                (): &(),
                _: &Connection,
                _: &QueueHandle<Self>,
            ) {
            }
        }
    )*};
}

ignore_events!(
    WlCompositor,
    WlShm,
    WlShmPool,
    WlSurface,
    WlOutput,
    ZwlrLayerShellV1,
    ZxdgOutputManagerV1,
);
