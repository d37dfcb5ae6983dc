//! [`FullscreenScene`] and [`XdgScene`]: the known pattern shown full-screen on one output, or
//! on every output, by xdg-shell clients, for compositors without wlr-layer-shell (GNOME's
//! mutter).
//!
//! A [`FullscreenScene`] is one client: it makes one toplevel, asks for it full-screen on the
//! output, and draws the pattern at the output's place on the screen (given by the caller, who
//! knows the layout from the compositor's own description, or from [`outputs`]) into a
//! shared-memory buffer of the size the compositor configures. It waits until the compositor
//! has shown that buffer (the surface's frame callback) before returning, then keeps answering
//! the compositor (pings, new configurations) on a thread of its own until dropped, so the
//! window never looks unresponsive. Painting a rectangle sends the thread a command: it draws
//! the picture with the rectangle into a free buffer, attaches it with damage on the rectangle
//! only, and answers once the compositor has shown it. Buffers are written with positioned
//! writes into a memfd (no mapping), so the test kit stays free of `unsafe`.
//!
//! An [`XdgScene`] is one [`FullscreenScene`] per output, found with [`outputs`]: mutter's
//! known scene for the harness.
//!
//! A new window is shown on top of the windows before it (mutter raises a window it maps), so
//! a scene shown again on the same display replaces the earlier one on the screen, as on X11.
//! mutter animates a window being mapped (a 250 ms zoom in its default plugin) unless started
//! with `MUTTER_DEBUG_DISABLE_ANIMATIONS=1`, which the test kit's
//! [`MutterServer`](crate::MutterServer) sets: otherwise the frame callback comes while the
//! window is still growing.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::fd::AsFd as _;
use std::os::unix::fs::FileExt as _;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
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

/// How long showing the scene, or a rectangle painted on it, may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// `xdg_toplevel.state.fullscreen`.
const FULLSCREEN: u32 = 2;

/// What the scene's thread is asked to do.
enum Command {
    /// Fill a rectangle (screen coordinates, inside the scene) and answer once it is shown.
    Paint(Region, Rgba, mpsc::Sender<Result<(), SceneError>>),
}

/// The pattern full-screen on one output; see the [module docs](self).
pub struct FullscreenScene {
    display: String,
    region: Region,
    /// Rectangles painted, oldest first (a later one covers an earlier one).
    overlays: Vec<(Region, Rgba)>,
    stop: Arc<AtomicBool>,
    commands: mpsc::Sender<Command>,
    /// Written to after a command or the stop flag, to wake the thread.
    wake: UnixStream,
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
        let (wake, woken) = UnixStream::pair().map_err(|error| SceneError::Connect {
            display: name.clone(),
            reason: format!("a socket pair to wake the scene's thread: {error}"),
        })?;
        let stop = Arc::new(AtomicBool::new(false));
        let (sender, receiver) = mpsc::channel();
        let (commands, received) = mpsc::channel();
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
                    client.serve(&stop, &received, woken);
                }
            })
        };
        let shown = receiver
            .recv()
            .unwrap_or_else(|_| Err(request_error(&name, "the scene's thread", "it ended")));
        let scene = Self {
            display: name,
            region,
            overlays: Vec::new(),
            stop,
            commands,
            wake,
            thread: Some(thread),
        };
        shown.map(|()| scene)
    }

    /// Fills `region` (screen coordinates, inside the scene's output) with `colour`, damaging
    /// that rectangle only, and waits until the compositor has shown it.
    ///
    /// # Errors
    ///
    /// [`SceneError::OutsideScene`] when the region is not on the output;
    /// [`SceneError::Request`] when the compositor fails or does not show it in time.
    pub fn paint_rect(&mut self, region: Region, colour: Rgba) -> Result<(), SceneError> {
        if !self.region.contains(&region) {
            return Err(SceneError::OutsideScene {
                region,
                width: self.region.width(),
                height: self.region.height(),
            });
        }
        let (answer, answered) = mpsc::channel();
        let gone = || {
            request_error(
                &self.display,
                "painting a rectangle",
                "the scene's thread ended",
            )
        };
        self.commands
            .send(Command::Paint(region, colour, answer))
            .map_err(|_| gone())?;
        (&self.wake).write_all(&[1]).map_err(|_| gone())?;
        answered.recv().map_err(|_| gone())??;
        self.overlays
            .retain(|(earlier, _)| !region.contains(earlier));
        self.overlays.push((region, colour));
        Ok(())
    }

    /// The output's place on the screen, as given.
    pub fn region(&self) -> Region {
        self.region
    }

    /// The colour the screen shows at `(x, y)` (screen coordinates inside the region): the
    /// latest rectangle painted over it, else the pattern.
    pub fn expected(&self, x: u32, y: u32) -> Rgba {
        let painted = i32::try_from(x)
            .ok()
            .zip(i32::try_from(y).ok())
            .and_then(|(x, y)| {
                self.overlays
                    .iter()
                    .rev()
                    .find(|(region, _)| region.contains_point(x, y))
            });
        match painted {
            Some(&(_, colour)) => colour,
            None => pattern::expected_colour(PixelFormat::Bgrx8888, x, y),
        }
    }

    /// Compares every pixel of `frame` with what the output shows; pixels outside the region
    /// are wrong.
    ///
    /// # Errors
    ///
    /// A [`FrameMismatch`] listing the wrong pixels.
    pub fn check_frame(&self, frame: &Frame) -> Result<(), FrameMismatch> {
        pattern::check_frame(frame, PixelFormat::Bgrx8888, |x, y| {
            let inside = i32::try_from(x)
                .ok()
                .zip(i32::try_from(y).ok())
                .is_some_and(|(x, y)| self.region.contains_point(x, y));
            inside.then(|| self.expected(x as u32, y as u32))
        })
    }
}

impl Drop for FullscreenScene {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = (&self.wake).write_all(&[0]);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The places of the outputs of the compositor at `display` (a socket path), in its logical
/// coordinates: each `wl_output`'s position and current mode (its sides swapped when the
/// output is turned a quarter turn), divided by its scale.
///
/// # Errors
///
/// [`SceneError::Connect`] when there is no compositor; [`SceneError::Request`] when it does
/// not describe its outputs.
pub fn outputs(display: &Path) -> Result<Vec<Region>, SceneError> {
    let name = display.display().to_string();
    let stream = UnixStream::connect(display).map_err(|error| SceneError::Connect {
        display: name.clone(),
        reason: error.to_string(),
    })?;
    let connection = Connection::from_socket(stream).map_err(|error| SceneError::Connect {
        display: name.clone(),
        reason: error.to_string(),
    })?;
    let mut queue = connection.new_event_queue();
    let qh = queue.handle();
    let registry = connection.display().get_registry(&qh, ());
    let mut state = State::default();
    queue
        .roundtrip(&mut state)
        .map_err(|error| request_error(&name, "wl_registry", &error.to_string()))?;
    let globals: Vec<(u32, u32)> = state
        .globals
        .iter()
        .filter(|(_, interface, _)| interface == "wl_output")
        .map(|&(global, _, version)| (global, version.min(2)))
        .collect();
    let _outputs: Vec<WlOutput> = globals
        .iter()
        .enumerate()
        .map(|(index, &(global, version))| registry.bind(global, version, &qh, index))
        .collect();
    state.positions = vec![None; globals.len()];
    state.modes = vec![None; globals.len()];
    state.scales = vec![1; globals.len()];
    state.turned = vec![false; globals.len()];
    queue
        .roundtrip(&mut state)
        .map_err(|error| request_error(&name, "wl_output", &error.to_string()))?;
    (0..globals.len())
        .map(|index| {
            let (Some((x, y)), Some((width, height))) =
                (state.positions[index], state.modes[index])
            else {
                return Err(request_error(
                    &name,
                    "wl_output",
                    "an output has no position or no current mode",
                ));
            };
            let scale = state.scales[index].max(1);
            let (width, height) = if state.turned[index] {
                (height, width)
            } else {
                (width, height)
            };
            Region::from_signed(
                i64::from(x),
                i64::from(y),
                i64::from(width / scale),
                i64::from(height / scale),
            )
            .map_err(|error| request_error(&name, "wl_output", &error.to_string()))
        })
        .collect()
}

/// The pattern full-screen on every output of an xdg-shell compositor (mutter), each output
/// by a [`FullscreenScene`] of its own; what no output shows is black, as the backends fill
/// it.
pub struct XdgScene {
    display: PathBuf,
    scenes: Vec<FullscreenScene>,
    region: Region,
}

impl std::fmt::Debug for XdgScene {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XdgScene")
            .field("display", &self.display)
            .field(
                "outputs",
                &self
                    .scenes
                    .iter()
                    .map(|scene| scene.region)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl XdgScene {
    /// Shows the pattern on every output of the compositor at `display` (a socket path) and
    /// waits until each is shown.
    ///
    /// # Errors
    ///
    /// As [`outputs`] and [`FullscreenScene::show`]; [`SceneError::Request`] when the
    /// compositor has no output.
    pub fn show(display: &Path) -> Result<Self, SceneError> {
        let places = outputs(display)?;
        let region = places
            .iter()
            .copied()
            .reduce(|all, place| all.union(&place))
            .ok_or_else(|| {
                request_error(&display.display().to_string(), "wl_output", "no output")
            })?;
        let scenes = places
            .into_iter()
            .map(|place| FullscreenScene::show(display, place))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            display: display.to_owned(),
            scenes,
            region,
        })
    }

    /// The colour at screen position `(x, y)`: what the output there shows; black where no
    /// output is.
    fn expected_at(&self, x: i64, y: i64) -> Rgba {
        let on = i32::try_from(x)
            .ok()
            .zip(i32::try_from(y).ok())
            .and_then(|(x, y)| {
                self.scenes
                    .iter()
                    .find(|scene| scene.region.contains_point(x, y))
            });
        match on {
            Some(scene) => scene.expected(x as u32, y as u32),
            None => Rgba::rgb(0, 0, 0),
        }
    }

    /// The colour the screen shows at `(x, y)`.
    pub fn expected(&self, x: u32, y: u32) -> Rgba {
        self.expected_at(i64::from(x), i64::from(y))
    }

    /// Compares every pixel of `frame` with what the screen shows.
    ///
    /// # Errors
    ///
    /// A [`FrameMismatch`] listing the wrong pixels.
    pub fn check_frame(&self, frame: &Frame) -> Result<(), FrameMismatch> {
        pattern::check_frame(frame, PixelFormat::Bgrx8888, |x, y| {
            Some(self.expected_at(x, y))
        })
    }

    /// Asserts that `frame` shows exactly what the screen shows.
    ///
    /// # Panics
    ///
    /// With the wrong pixels when any differs.
    pub fn assert_frame(&self, frame: &Frame) {
        if let Err(mismatch) = self.check_frame(frame) {
            panic!("Wayland display {}: {mismatch}", self.display.display());
        }
    }

    /// Fills `region` with `colour` on every output it touches, and waits until each has
    /// shown it.
    ///
    /// # Errors
    ///
    /// [`SceneError::OutsideScene`] when the region is not inside the outputs' bounding box;
    /// the compositor's failures.
    pub fn paint_rect(&mut self, region: Region, colour: Rgba) -> Result<(), SceneError> {
        if !self.region.contains(&region) {
            return Err(SceneError::OutsideScene {
                region,
                width: self.region.width(),
                height: self.region.height(),
            });
        }
        for scene in &mut self.scenes {
            if let Some(part) = region.intersection(&scene.region) {
                scene.paint_rect(part, colour)?;
            }
        }
        Ok(())
    }

    /// The outputs' bounding box.
    pub fn region(&self) -> Region {
        self.region
    }

    /// Each output's place on the screen.
    pub fn outputs(&self) -> Vec<Region> {
        self.scenes.iter().map(|scene| scene.region).collect()
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
    /// The buffers made so far, each with its flag of being free (released by the
    /// compositor, or never attached).
    buffers: Vec<(File, WlShmPool, WlBuffer, Arc<AtomicBool>)>,
    /// Rectangles painted, oldest first.
    overlays: Vec<(Region, Rgba)>,
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
    /// Each output's current mode (`wl_output.mode`), by index.
    modes: Vec<Option<(i32, i32)>>,
    /// Each output's scale (`wl_output.scale`), by index.
    scales: Vec<i32>,
    /// Whether each output is turned a quarter turn (its mode's sides swap), by index.
    turned: Vec<bool>,
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
        state.modes = vec![None; outputs.len()];
        state.scales = vec![1; outputs.len()];
        state.turned = vec![false; outputs.len()];
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
            overlays: Vec::new(),
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
        self.draw(region)?;
        self.commit_and_wait(deadline, "the window being shown")
    }

    /// Commits with a frame callback and waits until the compositor has shown the commit.
    fn commit_and_wait(
        &mut self,
        deadline: Instant,
        waiting_for: &'static str,
    ) -> Result<(), SceneError> {
        let shown = Arc::new(AtomicBool::new(false));
        self.surface.frame(&self.queue.handle(), Arc::clone(&shown));
        self.surface.commit();
        self.dispatch_until(deadline, waiting_for, |_| shown.load(Ordering::SeqCst))
    }

    /// Fills `rectangle` (screen coordinates) with `colour` and waits until it is shown.
    fn paint(&mut self, rectangle: Region, colour: Rgba) -> Result<(), SceneError> {
        self.overlays
            .retain(|(earlier, _)| !rectangle.contains(earlier));
        self.overlays.push((rectangle, colour));
        self.draw(rectangle)?;
        self.commit_and_wait(Instant::now() + TIMEOUT, "a painted rectangle being shown")
    }

    /// The whole picture: the pattern at the region's place, with the rectangles painted.
    fn picture(&self) -> Vec<u8> {
        let region = self.region;
        let mut bytes = Vec::with_capacity(region.area() as usize * 4);
        for y in region.top()..region.bottom() {
            for x in region.left()..region.right() {
                let colour = self
                    .overlays
                    .iter()
                    .rev()
                    .find(|(painted, _)| painted.contains_point(x, y))
                    .map_or_else(|| pattern::pattern_colour(x as u32, y as u32), |&(_, c)| c);
                bytes.extend_from_slice(&PixelFormat::Bgrx8888.encode(colour).to_le_bytes());
            }
        }
        bytes
    }

    /// Attaches a free buffer (a new one when none is) holding the whole picture, damaged on
    /// `damaged` (screen coordinates) only.
    fn draw(&mut self, damaged: Region) -> Result<(), SceneError> {
        let region = self.region;
        let failed = |reason: String| request_error(&self.display, "making the buffer", &reason);
        let stride = region.width() as usize * 4;
        let len = stride * region.height() as usize;
        let free = self
            .buffers
            .iter()
            .position(|(.., free)| free.load(Ordering::SeqCst));
        let index = match free {
            Some(index) => index,
            None => {
                let fd = rustix::fs::memfd_create(
                    "mss-testkit-xdg-scene",
                    rustix::fs::MemfdFlags::CLOEXEC,
                )
                .map_err(|error| failed(error.to_string()))?;
                let file = File::from(fd);
                file.set_len(len as u64)
                    .map_err(|error| failed(error.to_string()))?;
                let qh = self.queue.handle();
                let pool = self.shm.create_pool(
                    file.as_fd(),
                    i32::try_from(len).map_err(|_| failed("the output is too large".to_owned()))?,
                    &qh,
                    (),
                );
                let free = Arc::new(AtomicBool::new(true));
                let buffer = pool.create_buffer(
                    0,
                    region.width() as i32,
                    region.height() as i32,
                    stride as i32,
                    wl_shm::Format::Xrgb8888,
                    &qh,
                    Arc::clone(&free),
                );
                self.buffers.push((file, pool, buffer, free));
                self.buffers.len() - 1
            }
        };
        let picture = self.picture();
        let (file, _, buffer, free) = &self.buffers[index];
        file.write_all_at(&picture, 0)
            .map_err(|error| failed(error.to_string()))?;
        free.store(false, Ordering::SeqCst);
        self.surface.attach(Some(buffer), 0, 0);
        self.surface.damage_buffer(
            damaged.left() - region.left(),
            damaged.top() - region.top(),
            damaged.width() as i32,
            damaged.height() as i32,
        );
        Ok(())
    }

    /// Keeps answering the compositor, and paints what `commands` asks, until `stop`; `woken`
    /// becomes readable after each command and when it is time to stop.
    fn serve(
        &mut self,
        stop: &AtomicBool,
        commands: &mpsc::Receiver<Command>,
        mut woken: UnixStream,
    ) {
        while !stop.load(Ordering::SeqCst) && !self.state.closed {
            if self.wait_for_events_or(&woken).is_err() {
                return;
            }
            let mut drained = [0u8; 64];
            if woken.set_nonblocking(true).is_ok() {
                while matches!(woken.read(&mut drained), Ok(read) if read > 0) {}
            }
            while let Ok(Command::Paint(region, colour, answer)) = commands.try_recv() {
                let _ = answer.send(self.paint(region, colour));
            }
        }
    }

    /// Dispatches what the compositor sent, then waits until it sends more or `woken` is
    /// readable.
    fn wait_for_events_or(&mut self, woken: &UnixStream) -> Result<(), SceneError> {
        let failed = |error: String| request_error(&self.display, "events", &error);
        self.queue
            .dispatch_pending(&mut self.state)
            .map_err(|error| failed(error.to_string()))?;
        self.queue
            .flush()
            .map_err(|error| failed(error.to_string()))?;
        let Some(guard) = self.queue.prepare_read() else {
            return Ok(());
        };
        let fd = guard.connection_fd();
        let mut fds = [
            rustix::event::PollFd::new(&fd, rustix::event::PollFlags::IN),
            rustix::event::PollFd::new(woken, rustix::event::PollFlags::IN),
        ];
        match rustix::event::poll(&mut fds, None) {
            Ok(_) if fds[0].revents().contains(rustix::event::PollFlags::IN) => {
                guard.read().map_err(|error| failed(error.to_string()))?;
                Ok(())
            }
            Ok(_) | Err(rustix::io::Errno::INTR) => Ok(()),
            Err(error) => Err(failed(error.to_string())),
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
        use wayland_client::protocol::wl_output::{Event, Mode};
        match event {
            Event::Geometry {
                x, y, transform, ..
            } => {
                state.positions[*index] = Some((x, y));
                // A quarter or three quarter turn (flipped or not) swaps the mode's sides.
                let turned = matches!(
                    transform,
                    wayland_client::WEnum::Value(
                        wayland_client::protocol::wl_output::Transform::_90
                            | wayland_client::protocol::wl_output::Transform::_270
                            | wayland_client::protocol::wl_output::Transform::Flipped90
                            | wayland_client::protocol::wl_output::Transform::Flipped270
                    )
                );
                if let Some(turns) = state.turned.get_mut(*index) {
                    *turns = turned;
                }
            }
            Event::Mode {
                flags: wayland_client::WEnum::Value(flags),
                width,
                height,
                ..
            } if flags.contains(Mode::Current) => {
                if let Some(mode) = state.modes.get_mut(*index) {
                    *mode = Some((width, height));
                }
            }
            Event::Scale { factor } => {
                if let Some(scale) = state.scales.get_mut(*index) {
                    *scale = factor;
                }
            }
            _ => {}
        }
    }
}

impl Dispatch<WlBuffer, Arc<AtomicBool>> for State {
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
