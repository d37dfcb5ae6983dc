//! [`FullscreenScene`]: the known pattern shown full-screen on one output by an xdg-shell
//! client, for compositors without wlr-layer-shell (GNOME's mutter).
//!
//! The client makes one toplevel, asks for it full-screen on the output, and draws the
//! pattern at the output's place on the screen (given by the caller, who knows the layout
//! from the compositor's own description) into a shared-memory buffer of the size the
//! compositor configures. It waits until the compositor has shown that buffer (the surface's
//! frame callback) before returning, then keeps answering the compositor (pings, new
//! configurations) on a thread of its own until dropped, so the window never looks
//! unresponsive. Buffers are written with positioned writes into a memfd (no mapping), so the
//! test kit stays free of `unsafe`.

use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
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
use wayland_protocols::xdg::shell::client::xdg_surface::{self, XdgSurface};
use wayland_protocols::xdg::shell::client::xdg_toplevel::{self, XdgToplevel};
use wayland_protocols::xdg::shell::client::xdg_wm_base::{self, XdgWmBase};

use crate::pattern::{self, FrameMismatch};
use crate::scene::SceneError;

/// How long showing the scene may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// How often the background thread looks whether it should stop.
const STOP_POLL: Duration = Duration::from_millis(50);
/// `xdg_toplevel.state.fullscreen`.
const FULLSCREEN: u32 = 2;

/// The pattern full-screen on one output; see the [module docs](self).
pub struct FullscreenScene {
    display: String,
    region: Region,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FullscreenScene {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FullscreenScene")
            .field("display", &self.display)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl FullscreenScene {
    /// Connects to the compositor at `display` (a socket path) and shows the pattern
    /// full-screen on its output at `region` on the screen (the output whose position,
    /// `wl_output.geometry`, is the region's top-left corner); returns once the compositor has
    /// shown it.
    ///
    /// # Errors
    ///
    /// [`SceneError::Connect`] when there is no compositor; [`SceneError::Request`] when it
    /// lacks a global the scene needs, configures another size than `region`'s, or does not
    /// show the window in time.
    pub fn show(display: &Path, region: Region) -> Result<Self, SceneError> {
        let name = display.display().to_string();
        let stream = UnixStream::connect(display).map_err(|error| SceneError::Connect {
            display: name.clone(),
            reason: error.to_string(),
        })?;
        let connection = Connection::from_socket(stream).map_err(|error| SceneError::Connect {
            display: name.clone(),
            reason: error.to_string(),
        })?;
        let stop = Arc::new(AtomicBool::new(false));
        let (sender, receiver) = mpsc::channel();
        let thread = {
            let stop = Arc::clone(&stop);
            let name = name.clone();
            std::thread::spawn(move || {
                let mut client = match Client::new(connection, &name, region) {
                    Ok(client) => client,
                    Err(error) => {
                        let _ = sender.send(Err(error));
                        return;
                    }
                };
                let shown = client.show_until_presented();
                let failed = shown.is_err();
                let _ = sender.send(shown);
                if !failed {
                    client.serve(&stop);
                }
            })
        };
        let shown = receiver
            .recv()
            .unwrap_or_else(|_| Err(request_error(&name, "the scene's thread", "it ended")));
        let scene = Self {
            display: name,
            region,
            stop,
            thread: Some(thread),
        };
        shown.map(|()| scene)
    }

    /// The output's place on the screen, as given.
    pub fn region(&self) -> Region {
        self.region
    }

    /// The colour the screen shows at `(x, y)` (screen coordinates inside the region).
    pub fn expected(&self, x: u32, y: u32) -> Rgba {
        pattern::expected_colour(PixelFormat::Bgrx8888, x, y)
    }

    /// Compares every pixel of `frame` (in its own format) with the pattern; pixels outside
    /// the region are wrong.
    ///
    /// # Errors
    ///
    /// A [`FrameMismatch`] listing the wrong pixels.
    pub fn check_frame(&self, frame: &Frame) -> Result<(), FrameMismatch> {
        let format = frame.format();
        pattern::check_frame(frame, format, |x, y| {
            let inside = i32::try_from(x)
                .ok()
                .zip(i32::try_from(y).ok())
                .is_some_and(|(x, y)| self.region.contains_point(x, y));
            inside.then(|| pattern::expected_colour(format, x as u32, y as u32))
        })
    }
}

impl Drop for FullscreenScene {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn request_error(display: &str, request: &'static str, reason: &str) -> SceneError {
    SceneError::Request {
        display: display.to_owned(),
        request,
        reason: reason.to_owned(),
    }
}

/// The client, on the scene's thread.
struct Client {
    _connection: Connection,
    queue: EventQueue<State>,
    state: State,
    display: String,
    region: Region,
    /// Kept for the surface's life.
    _compositor: WlCompositor,
    shm: WlShm,
    surface: WlSurface,
    xdg_surface: XdgSurface,
    _toplevel: XdgToplevel,
    /// The buffers made so far (kept alive while the compositor may show them).
    buffers: Vec<(File, WlShmPool, WlBuffer)>,
}

#[derive(Default)]
struct State {
    globals: Vec<(u32, String, u32)>,
    /// The toplevel's configuration being received: size and whether it is full-screen.
    pending: (i32, i32, bool),
    /// Complete configurations (`xdg_surface.configure`): serial, size, full-screen.
    configured: Option<(u32, i32, i32, bool)>,
    /// Each output's position (`wl_output.geometry`), by index.
    positions: Vec<Option<(i32, i32)>>,
    closed: bool,
}

impl Client {
    fn new(connection: Connection, display: &str, region: Region) -> Result<Self, SceneError> {
        let mut queue = connection.new_event_queue();
        let qh = queue.handle();
        let registry = connection.display().get_registry(&qh, ());
        let mut state = State::default();
        queue
            .roundtrip(&mut state)
            .map_err(|error| request_error(display, "wl_registry", &error.to_string()))?;
        let find = |interface: &str| {
            state
                .globals
                .iter()
                .filter(|(_, name, _)| name == interface)
                .map(|&(name, _, version)| (name, version))
                .collect::<Vec<_>>()
        };
        let missing = |interface: &str| {
            request_error(
                display,
                "binding a global",
                &format!("the compositor does not offer {interface}"),
            )
        };
        let &(name, version) = find("wl_compositor")
            .first()
            .ok_or_else(|| missing("wl_compositor"))?;
        let compositor: WlCompositor = registry.bind(name, version.min(4), &qh, ());
        let &(name, _) = find("wl_shm").first().ok_or_else(|| missing("wl_shm"))?;
        let shm: WlShm = registry.bind(name, 1, &qh, ());
        let &(name, _) = find("xdg_wm_base")
            .first()
            .ok_or_else(|| missing("xdg_wm_base"))?;
        let wm_base: XdgWmBase = registry.bind(name, 1, &qh, ());
        let outputs: Vec<WlOutput> = find("wl_output")
            .into_iter()
            .enumerate()
            .map(|(index, (name, version))| registry.bind(name, version.min(2), &qh, index))
            .collect();
        state.positions = vec![None; outputs.len()];
        queue
            .roundtrip(&mut state)
            .map_err(|error| request_error(display, "wl_output", &error.to_string()))?;
        let corner = (region.left(), region.top());
        let wl_output = state
            .positions
            .iter()
            .position(|&position| position == Some(corner))
            .map(|index| &outputs[index])
            .ok_or_else(|| {
                missing(&format!(
                    "an output at {corner:?} (outputs are at {:?})",
                    state.positions
                ))
            })?;
        let surface = compositor.create_surface(&qh, ());
        let xdg_surface = wm_base.get_xdg_surface(&surface, &qh, ());
        let toplevel = xdg_surface.get_toplevel(&qh, ());
        toplevel.set_title("mss-testkit pattern".to_owned());
        toplevel.set_fullscreen(Some(wl_output));
        surface.commit();
        Ok(Self {
            _connection: connection,
            queue,
            state,
            display: display.to_owned(),
            region,
            _compositor: compositor,
            shm,
            surface,
            xdg_surface,
            _toplevel: toplevel,
            buffers: Vec::new(),
        })
    }

    /// Waits for a full-screen configuration of the region's size, draws the pattern, and
    /// waits until the compositor has shown it.
    fn show_until_presented(&mut self) -> Result<(), SceneError> {
        let deadline = Instant::now() + TIMEOUT;
        let region = self.region;
        let wanted = (region.width() as i32, region.height() as i32);
        self.dispatch_until(deadline, "a full-screen configuration", |state| {
            state
                .configured
                .is_some_and(|(_, width, height, fullscreen)| {
                    fullscreen && (width, height) == wanted
                })
        })?;
        let (serial, ..) = self.state.configured.expect("configured");
        self.xdg_surface.ack_configure(serial);
        self.draw()?;
        let shown = Arc::new(AtomicBool::new(false));
        self.surface.frame(&self.queue.handle(), Arc::clone(&shown));
        self.surface.commit();
        self.dispatch_until(deadline, "the window being shown", |_| {
            shown.load(Ordering::SeqCst)
        })
    }

    /// Attaches a new buffer holding the pattern at the region's place, damaged whole.
    fn draw(&mut self) -> Result<(), SceneError> {
        let region = self.region;
        let failed = |reason: String| request_error(&self.display, "making the buffer", &reason);
        let stride = region.width() as usize * 4;
        let len = stride * region.height() as usize;
        let mut bytes = Vec::with_capacity(len);
        for y in 0..region.height() {
            for x in 0..region.width() {
                let colour = pattern::pattern_colour(
                    (region.left() + x as i32) as u32,
                    (region.top() + y as i32) as u32,
                );
                bytes.extend_from_slice(&PixelFormat::Bgrx8888.encode(colour).to_le_bytes());
            }
        }
        let fd = rustix::fs::memfd_create("mss-testkit-xdg-scene", rustix::fs::MemfdFlags::CLOEXEC)
            .map_err(|error| failed(error.to_string()))?;
        let file = File::from(fd);
        file.write_all_at(&bytes, 0)
            .map_err(|error| failed(error.to_string()))?;
        let qh = self.queue.handle();
        let pool = self.shm.create_pool(
            std::os::fd::AsFd::as_fd(&file),
            i32::try_from(len).map_err(|_| failed("the output is too large".to_owned()))?,
            &qh,
            (),
        );
        let buffer = pool.create_buffer(
            0,
            region.width() as i32,
            region.height() as i32,
            stride as i32,
            wl_shm::Format::Xrgb8888,
            &qh,
            (),
        );
        self.surface.attach(Some(&buffer), 0, 0);
        self.surface.damage_buffer(0, 0, i32::MAX, i32::MAX);
        self.buffers.push((file, pool, buffer));
        Ok(())
    }

    /// Keeps answering the compositor until `stop`.
    fn serve(&mut self, stop: &AtomicBool) {
        while !stop.load(Ordering::SeqCst) && !self.state.closed {
            let deadline = Instant::now() + STOP_POLL;
            match self.dispatch_until(deadline, "events", |_| false) {
                Ok(()) => {}
                Err(_) if Instant::now() >= deadline => {}
                Err(_) => return,
            }
        }
    }

    /// Dispatches events until `ready` or `deadline` (an error naming `waiting_for`).
    fn dispatch_until(
        &mut self,
        deadline: Instant,
        waiting_for: &'static str,
        mut ready: impl FnMut(&State) -> bool,
    ) -> Result<(), SceneError> {
        loop {
            self.queue
                .dispatch_pending(&mut self.state)
                .map_err(|error| request_error(&self.display, waiting_for, &error.to_string()))?;
            if ready(&self.state) {
                return Ok(());
            }
            if self.state.closed {
                return Err(request_error(
                    &self.display,
                    waiting_for,
                    "the compositor closed the window",
                ));
            }
            self.queue
                .flush()
                .map_err(|error| request_error(&self.display, waiting_for, &error.to_string()))?;
            let Some(guard) = self.queue.prepare_read() else {
                continue;
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(request_error(
                    &self.display,
                    waiting_for,
                    "the compositor did not send it in time",
                ));
            }
            let timeout =
                rustix::event::Timespec::try_from(left).unwrap_or(rustix::event::Timespec {
                    tv_sec: i64::MAX,
                    tv_nsec: 0,
                });
            let fd = guard.connection_fd();
            let mut fds = [rustix::event::PollFd::new(
                &fd,
                rustix::event::PollFlags::IN,
            )];
            match rustix::event::poll(&mut fds, Some(&timeout)) {
                Ok(0) | Err(rustix::io::Errno::INTR) => {}
                Ok(_) => {
                    guard.read().map_err(|error| {
                        request_error(&self.display, waiting_for, &error.to_string())
                    })?;
                }
                Err(error) => {
                    return Err(request_error(
                        &self.display,
                        waiting_for,
                        &error.to_string(),
                    ));
                }
            }
        }
    }
}

impl Dispatch<WlRegistry, ()> for State {
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

impl Dispatch<XdgWmBase, ()> for State {
    fn event(
        _: &mut Self,
        wm_base: &XdgWmBase,
        event: xdg_wm_base::Event,
        (): &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_wm_base::Event::Ping { serial } = event {
            wm_base.pong(serial);
        }
    }
}

impl Dispatch<XdgSurface, ()> for State {
    fn event(
        state: &mut Self,
        xdg_surface: &XdgSurface,
        event: xdg_surface::Event,
        (): &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_surface::Event::Configure { serial } = event {
            let (width, height, fullscreen) = state.pending;
            let first = state.configured.is_none();
            state.configured = Some((serial, width, height, fullscreen));
            // Later configurations (after the window was shown) are acknowledged at once;
            // the buffer already has the output's size.
            if !first {
                xdg_surface.ack_configure(serial);
            }
        }
    }
}

impl Dispatch<XdgToplevel, ()> for State {
    fn event(
        state: &mut Self,
        _: &XdgToplevel,
        event: xdg_toplevel::Event,
        (): &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            xdg_toplevel::Event::Configure {
                width,
                height,
                states,
            } => {
                let fullscreen = states.chunks_exact(4).any(|word| {
                    u32::from_ne_bytes(word.try_into().expect("4 bytes")) == FULLSCREEN
                });
                state.pending = (width, height, fullscreen);
            }
            xdg_toplevel::Event::Close => state.closed = true,
            _ => {}
        }
    }
}

impl Dispatch<WlCallback, Arc<AtomicBool>> for State {
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

impl Dispatch<WlOutput, usize> for State {
    fn event(
        state: &mut Self,
        _: &WlOutput,
        event: wayland_client::protocol::wl_output::Event,
        index: &usize,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wayland_client::protocol::wl_output::Event::Geometry { x, y, .. } = event {
            state.positions[*index] = Some((x, y));
        }
    }
}

impl Dispatch<WlBuffer, ()> for State {
    fn event(
        _: &mut Self,
        _: &WlBuffer,
        _: wl_buffer::Event,
        (): &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}

/// Objects whose events the scene does not need.
macro_rules! ignore_events {
    ($($proxy:ty),* $(,)?) => {$(
        impl Dispatch<$proxy, ()> for State {
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

ignore_events!(WlCompositor, WlShm, WlShmPool, WlSurface);
