//! [`RepaintingWindow`]: a producer of one frame per refresh, for benchmarks of screen casts.
//!
//! A screen cast sends a frame only when the screen changes, so measuring a stream needs a
//! screen that changes at every refresh and costs little to change. This is a Wayland client
//! (xdg-shell, so mutter takes it) with one full-screen window of a flat colour. Once
//! started, it repaints a small square at every frame callback (the compositor's word that
//! the last commit was shown), so it commits once per refresh, never faster and never
//! skipping one unless the compositor does; or, started at a rate, at each tick of a clock of
//! that rate, never before the last commit was shown (60 frames a second on a 120 Hz monitor,
//! say). Each commit damages the square only. The square's
//! colour is the commit's number (1, 2, 3, ..., 24 bits, red the high byte), so a frame of the
//! screen says which commit it shows ([`RepaintingWindow::frame_number`]) and a consumer
//! counts the frames it missed exactly, over any stretch of time.
//!
//! The client runs on a thread of its own and publishes that thread's CPU time after every
//! commit ([`RepaintingWindow::thread_cpu_time`]), so a consumer measured in the same process
//! can subtract the producer's work. Buffers are written with positioned writes into memfds
//! (no mapping, no `unsafe`): the whole window once per buffer, then only the square.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::fd::AsFd as _;
use std::os::unix::fs::FileExt as _;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mss_core::{Frame, PixelFormat, Region, Rgba};
use wayland_client::protocol::wl_buffer::{self, WlBuffer};
use wayland_client::protocol::wl_callback::{self, WlCallback};
use wayland_client::protocol::wl_compositor::WlCompositor;
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

/// How long showing the window may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// The square's side, in pixels.
const SQUARE: u32 = 64;
/// The window's colour around the square.
const BACKGROUND: Rgba = Rgba::rgb(0x20, 0x40, 0x60);
/// The largest frame number (24 bits); numbers wrap after it.
const NUMBER_MASK: u32 = 0x00FF_FFFF;
/// Buffers the client may make; the compositor releases shared-memory buffers once it has
/// uploaded them, so two or three are in use.
const MAX_BUFFERS: usize = 8;

/// What the producer's thread and its owner share.
#[derive(Debug, Default)]
struct Shared {
    /// Whether to repaint.
    repaint: AtomicBool,
    /// The interval between commits, in nanoseconds; 0: at every frame callback.
    period_nanoseconds: AtomicU64,
    stop: AtomicBool,
    /// Commits made since [`RepaintingWindow::start`] was first called (the last number).
    committed: AtomicU64,
    /// The thread's CPU time, in nanoseconds, as of its last commit or wake-up.
    cpu_nanoseconds: AtomicU64,
}

/// A full-screen window repainting a numbered square at every refresh; see the
/// [module docs](self).
pub struct RepaintingWindow {
    display: String,
    size: (u32, u32),
    shared: Arc<Shared>,
    /// Written to after a change of [`Shared`], to wake the thread.
    wake: UnixStream,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RepaintingWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepaintingWindow")
            .field("display", &self.display)
            .field("size", &self.size)
            .field("shared", &self.shared)
            .finish_non_exhaustive()
    }
}

impl RepaintingWindow {
    /// Connects to the compositor at `display` (a socket path), shows the window full-screen
    /// (the compositor picks the output: the only one, on a single-monitor server) with the
    /// square at number 0, and returns once the compositor has shown it. It does not repaint
    /// until [`start`](Self::start).
    ///
    /// # Errors
    ///
    /// [`SceneError::Connect`] when there is no compositor; [`SceneError::Request`] when it
    /// lacks a global the window needs, configures no size, or does not show the window in
    /// time.
    pub fn show(display: &Path) -> Result<Self, SceneError> {
        let name = display.display().to_string();
        let connect_error = |reason: String| SceneError::Connect {
            display: name.clone(),
            reason,
        };
        let stream =
            UnixStream::connect(display).map_err(|error| connect_error(error.to_string()))?;
        let connection =
            Connection::from_socket(stream).map_err(|error| connect_error(error.to_string()))?;
        let (wake, woken) = UnixStream::pair()
            .map_err(|error| connect_error(format!("a socket pair to wake the thread: {error}")))?;
        let shared = Arc::new(Shared::default());
        let (sender, receiver) = mpsc::channel();
        let thread = {
            let shared = Arc::clone(&shared);
            let name = name.clone();
            std::thread::Builder::new()
                .name("mss-testkit-repainting-window".to_owned())
                .spawn(move || {
                    let shown = Client::new(connection, &name).and_then(|mut client| {
                        client.show_until_presented().map(|size| (client, size))
                    });
                    match shown {
                        Ok((mut client, size)) => {
                            let _ = sender.send(Ok(size));
                            client.serve(&shared, woken);
                        }
                        Err(error) => {
                            let _ = sender.send(Err(error));
                        }
                    }
                })
                .map_err(|error| connect_error(format!("a thread for the window: {error}")))?
        };
        let mut window = Self {
            display: name,
            size: (0, 0),
            shared,
            wake,
            thread: Some(thread),
        };
        let shown = receiver.recv().unwrap_or_else(|_| {
            Err(request_error(
                &window.display,
                "the window's thread",
                "it ended",
            ))
        });
        window.size = shown?;
        Ok(window)
    }

    /// Repaints the square at every frame callback from now on, numbering on from the last
    /// commit.
    pub fn start(&self) {
        self.shared.period_nanoseconds.store(0, Ordering::SeqCst);
        self.shared.repaint.store(true, Ordering::SeqCst);
        let _ = (&self.wake).write_all(&[1]);
    }

    /// Repaints the square `per_second` times a second from now on, at the ticks of a clock
    /// started now, each commit once the last was shown (a tick that finds the last commit not
    /// shown yet is taken when it is, and the clock goes on from its grid).
    pub fn start_at(&self, per_second: f64) {
        let period = Duration::from_secs_f64(1.0 / per_second);
        self.shared.period_nanoseconds.store(
            u64::try_from(period.as_nanos()).unwrap_or(u64::MAX).max(1),
            Ordering::SeqCst,
        );
        self.shared.repaint.store(true, Ordering::SeqCst);
        let _ = (&self.wake).write_all(&[1]);
    }

    /// Stops repainting (a commit already made is still shown): the screen stays still.
    pub fn pause(&self) {
        self.shared.repaint.store(false, Ordering::SeqCst);
        let _ = (&self.wake).write_all(&[1]);
    }

    /// The commits made so far: the number of the last one.
    pub fn committed(&self) -> u64 {
        self.shared.committed.load(Ordering::SeqCst)
    }

    /// The CPU time the window's thread has used, as of its last commit or wake-up (it uses
    /// none in between).
    pub fn thread_cpu_time(&self) -> Duration {
        Duration::from_nanos(self.shared.cpu_nanoseconds.load(Ordering::SeqCst))
    }

    /// The window's size: the output's, in pixels.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// Where the numbered square is, in the window's (the output's) pixels: its middle.
    pub fn square(&self) -> Region {
        square_of(self.size)
    }

    /// The number of the commit `frame` shows (24 bits), read from the middle of the square;
    /// `frame` is of the output, its region in the output's pixels. `None` when the frame does
    /// not cover the square's middle.
    pub fn frame_number(&self, frame: &Frame) -> Option<u32> {
        let square = self.square();
        let x = square.left() + square.width() as i32 / 2 - frame.region().left();
        let y = square.top() + square.height() as i32 / 2 - frame.region().top();
        let colour = frame.pixel(u32::try_from(x).ok()?, u32::try_from(y).ok()?)?;
        Some(number_of(colour))
    }

    /// How many commits after frame number `earlier` frame number `later` is, numbers wrapping
    /// after 24 bits: 1 for the next commit, 0 for the same one.
    pub fn commits_between(earlier: u32, later: u32) -> u32 {
        later.wrapping_sub(earlier) & NUMBER_MASK
    }

    /// Checks every pixel of `frame` (of the output, as for [`frame_number`](Self::frame_number)):
    /// the square shows one number and everything else the background. Returns the number.
    ///
    /// # Errors
    ///
    /// A [`FrameMismatch`] listing the wrong pixels.
    pub fn check_frame(&self, frame: &Frame) -> Result<u32, FrameMismatch> {
        let number = self.frame_number(frame).unwrap_or(0);
        let square = self.square();
        let window =
            Region::new(0, 0, self.size.0, self.size.1).expect("a shown window has a size");
        pattern::check_frame(frame, PixelFormat::Bgrx8888, |x, y| {
            let (x, y) = (i32::try_from(x).ok()?, i32::try_from(y).ok()?);
            if square.contains_point(x, y) {
                Some(colour_of(number))
            } else if window.contains_point(x, y) {
                Some(BACKGROUND)
            } else {
                None
            }
        })?;
        Ok(number)
    }
}

impl Drop for RepaintingWindow {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = (&self.wake).write_all(&[0]);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The square of a window of `size`: [`SQUARE`] pixels a side in the middle, smaller on a
/// smaller window.
fn square_of(size: (u32, u32)) -> Region {
    let side = SQUARE.min(size.0).min(size.1).max(1);
    Region::new(
        ((size.0 - side.min(size.0)) / 2) as i32,
        ((size.1 - side.min(size.1)) / 2) as i32,
        side,
        side,
    )
    .expect("a square of at least one pixel")
}

/// The colour that shows frame number `number`.
fn colour_of(number: u32) -> Rgba {
    let number = number & NUMBER_MASK;
    Rgba::rgb((number >> 16) as u8, (number >> 8) as u8, number as u8)
}

/// The frame number a colour shows.
fn number_of(colour: Rgba) -> u32 {
    (u32::from(colour.r) << 16) | (u32::from(colour.g) << 8) | u32::from(colour.b)
}

fn request_error(display: &str, request: &'static str, reason: &str) -> SceneError {
    SceneError::Request {
        display: display.to_owned(),
        request,
        reason: reason.to_owned(),
    }
}

/// The client, on the window's thread.
struct Client {
    _connection: Connection,
    queue: EventQueue<State>,
    state: State,
    display: String,
    _compositor: WlCompositor,
    shm: WlShm,
    surface: WlSurface,
    xdg_surface: XdgSurface,
    _toplevel: XdgToplevel,
    size: (u32, u32),
    /// The buffers made so far, each with its flag of being free (released by the compositor,
    /// or never attached).
    buffers: Vec<(File, WlShmPool, WlBuffer, Arc<AtomicBool>)>,
}

#[derive(Default)]
struct State {
    globals: Vec<(u32, String, u32)>,
    /// The toplevel's configuration being received: its size.
    pending: (i32, i32),
    /// The last complete configuration: serial and size.
    configured: Option<(u32, i32, i32)>,
    /// The frame callback asked for last has come.
    frame_done: bool,
    closed: bool,
}

impl Client {
    fn new(connection: Connection, display: &str) -> Result<Self, SceneError> {
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
                .find(|(_, name, _)| name == interface)
                .map(|&(name, _, version)| (name, version))
                .ok_or_else(|| {
                    request_error(
                        display,
                        "binding a global",
                        &format!("the compositor does not offer {interface}"),
                    )
                })
        };
        let (name, version) = find("wl_compositor")?;
        let compositor: WlCompositor = registry.bind(name, version.min(4), &qh, ());
        let (name, _) = find("wl_shm")?;
        let shm: WlShm = registry.bind(name, 1, &qh, ());
        let (name, _) = find("xdg_wm_base")?;
        let wm_base: XdgWmBase = registry.bind(name, 1, &qh, ());
        let surface = compositor.create_surface(&qh, ());
        let xdg_surface = wm_base.get_xdg_surface(&surface, &qh, ());
        let toplevel = xdg_surface.get_toplevel(&qh, ());
        toplevel.set_title("mss-testkit repainting window".to_owned());
        toplevel.set_fullscreen(None);
        surface.commit();
        Ok(Self {
            _connection: connection,
            queue,
            state,
            display: display.to_owned(),
            _compositor: compositor,
            shm,
            surface,
            xdg_surface,
            _toplevel: toplevel,
            size: (0, 0),
            buffers: Vec::new(),
        })
    }

    /// Waits for a configuration with a size, paints the window with the square at number 0,
    /// and waits until the compositor has shown it. Returns the size.
    fn show_until_presented(&mut self) -> Result<(u32, u32), SceneError> {
        let deadline = Instant::now() + TIMEOUT;
        self.dispatch_until(deadline, "a full-screen configuration", |state| {
            state
                .configured
                .is_some_and(|(_, width, height)| width > 0 && height > 0)
        })?;
        let (serial, width, height) = self.state.configured.expect("configured");
        self.xdg_surface.ack_configure(serial);
        self.size = (width as u32, height as u32);
        self.commit(0)?;
        self.dispatch_until(deadline, "the window being shown", |state| state.frame_done)?;
        Ok(self.size)
    }

    /// Writes `number` into the square of a free buffer (a new one, painted whole, when none
    /// is free), attaches it with damage on the square, asks for a frame callback and commits.
    fn commit(&mut self, number: u32) -> Result<(), SceneError> {
        let failed = |reason: String| request_error(&self.display, "painting the square", &reason);
        let (width, height) = self.size;
        let stride = width as usize * 4;
        let pixel = |colour: Rgba| PixelFormat::Bgrx8888.encode(colour).to_le_bytes();
        let square = square_of(self.size);
        let free = self
            .buffers
            .iter()
            .position(|(.., free)| free.load(Ordering::SeqCst));
        let index = match free {
            Some(index) => index,
            None if self.buffers.len() < MAX_BUFFERS => {
                let len = stride * height as usize;
                let fd = rustix::fs::memfd_create(
                    "mss-testkit-repainting-window",
                    rustix::fs::MemfdFlags::CLOEXEC,
                )
                .map_err(|error| failed(error.to_string()))?;
                let file = File::from(fd);
                let whole: Vec<u8> = pixel(BACKGROUND).into_iter().cycle().take(len).collect();
                file.write_all_at(&whole, 0)
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
                    width as i32,
                    height as i32,
                    stride as i32,
                    wl_shm::Format::Xrgb8888,
                    &qh,
                    Arc::clone(&free),
                );
                self.buffers.push((file, pool, buffer, free));
                self.buffers.len() - 1
            }
            None => {
                return Err(failed(format!(
                    "the compositor holds all {MAX_BUFFERS} buffers"
                )));
            }
        };
        let row: Vec<u8> = pixel(colour_of(number))
            .into_iter()
            .cycle()
            .take(square.width() as usize * 4)
            .collect();
        let (file, _, buffer, free) = &self.buffers[index];
        for y in square.top()..square.bottom() {
            let offset = y as usize * stride + square.left() as usize * 4;
            file.write_all_at(&row, offset as u64)
                .map_err(|error| failed(error.to_string()))?;
        }
        free.store(false, Ordering::SeqCst);
        self.surface.attach(Some(buffer), 0, 0);
        if number == 0 {
            self.surface
                .damage_buffer(0, 0, width as i32, height as i32);
        } else {
            self.surface.damage_buffer(
                square.left(),
                square.top(),
                square.width() as i32,
                square.height() as i32,
            );
        }
        self.state.frame_done = false;
        self.surface.frame(&self.queue.handle(), ());
        self.surface.commit();
        self.queue
            .flush()
            .map_err(|error| failed(error.to_string()))
    }

    /// Keeps answering the compositor, committing once per frame callback (or per tick of
    /// the clock) while asked to repaint, until asked to stop; `woken` becomes readable after
    /// each change of `shared`.
    fn serve(&mut self, shared: &Shared, mut woken: UnixStream) {
        // The next tick of the clock, when repainting at a rate.
        let mut next_tick: Option<Instant> = None;
        loop {
            if shared.stop.load(Ordering::SeqCst) || self.state.closed {
                return;
            }
            let repainting = shared.repaint.load(Ordering::SeqCst);
            let period = match shared.period_nanoseconds.load(Ordering::SeqCst) {
                0 => None,
                nanoseconds => Some(Duration::from_nanos(nanoseconds)),
            };
            if !repainting || period.is_none() {
                next_tick = None;
            }
            let now = Instant::now();
            let due = match (period, next_tick) {
                (None, _) => true,
                (Some(_), None) => true,
                (Some(_), Some(tick)) => now >= tick,
            };
            if repainting && self.state.frame_done && due {
                let number = shared.committed.load(Ordering::SeqCst) + 1;
                if self.commit(number as u32 & NUMBER_MASK).is_err() {
                    return;
                }
                shared.committed.store(number, Ordering::SeqCst);
                if let Some(period) = period {
                    // On the grid from the first commit; a tick missed altogether is skipped.
                    let mut tick = next_tick.unwrap_or(now) + period;
                    while tick <= now {
                        tick += period;
                    }
                    next_tick = Some(tick);
                }
            }
            let time = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
            let nanoseconds = u64::try_from(time.tv_sec).unwrap_or(0) * 1_000_000_000
                + u64::try_from(time.tv_nsec).unwrap_or(0);
            shared.cpu_nanoseconds.store(nanoseconds, Ordering::SeqCst);
            // Waiting for the frame callback, the next tick (when the callback has come), a
            // command, or the compositor.
            let until = next_tick.filter(|_| repainting && self.state.frame_done);
            if self
                .wait_for_events_or(&woken, repainting && next_tick.is_none(), until)
                .is_err()
            {
                return;
            }
            let mut drained = [0u8; 64];
            if woken.set_nonblocking(true).is_ok() {
                while matches!(woken.read(&mut drained), Ok(read) if read > 0) {}
            }
        }
    }

    /// Dispatches what the compositor sent, then waits until it sends more, `woken` is
    /// readable or `until` passes; returns at once when `commits_on_callback` and the frame
    /// callback has come.
    fn wait_for_events_or(
        &mut self,
        woken: &UnixStream,
        commits_on_callback: bool,
        until: Option<Instant>,
    ) -> Result<(), SceneError> {
        let failed = |error: String| request_error(&self.display, "events", &error);
        self.queue
            .dispatch_pending(&mut self.state)
            .map_err(|error| failed(error.to_string()))?;
        if commits_on_callback && self.state.frame_done {
            // The callback came with events dispatched just now: commit before waiting.
            return Ok(());
        }
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
        let timeout = until.map(|until| {
            let left = until.saturating_duration_since(Instant::now());
            rustix::event::Timespec::try_from(left).unwrap_or(rustix::event::Timespec {
                tv_sec: i64::MAX,
                tv_nsec: 0,
            })
        });
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(_) if fds[0].revents().contains(rustix::event::PollFlags::IN) => {
                guard.read().map_err(|error| failed(error.to_string()))?;
                self.queue
                    .dispatch_pending(&mut self.state)
                    .map_err(|error| failed(error.to_string()))?;
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
        let failed = |display: &str, error: String| request_error(display, waiting_for, &error);
        loop {
            self.queue
                .dispatch_pending(&mut self.state)
                .map_err(|error| failed(&self.display, error.to_string()))?;
            if ready(&self.state) {
                return Ok(());
            }
            if self.state.closed {
                return Err(failed(
                    &self.display,
                    "the compositor closed the window".to_owned(),
                ));
            }
            self.queue
                .flush()
                .map_err(|error| failed(&self.display, error.to_string()))?;
            let Some(guard) = self.queue.prepare_read() else {
                continue;
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(failed(
                    &self.display,
                    "the compositor did not send it in time".to_owned(),
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
                    guard
                        .read()
                        .map_err(|error| failed(&self.display, error.to_string()))?;
                }
                Err(error) => return Err(failed(&self.display, error.to_string())),
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
            let first = state.configured.is_none();
            state.configured = Some((serial, state.pending.0, state.pending.1));
            // Later configurations (after the window was shown) are acknowledged at once; the
            // buffers keep the size the window was shown with.
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
            xdg_toplevel::Event::Configure { width, height, .. } => {
                state.pending = (width, height);
            }
            xdg_toplevel::Event::Close => state.closed = true,
            _ => {}
        }
    }
}

impl Dispatch<WlCallback, ()> for State {
    fn event(
        state: &mut Self,
        _: &WlCallback,
        event: wl_callback::Event,
        (): &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_callback::Event::Done { .. } = event {
            state.frame_done = true;
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

/// Objects whose events the client does not need.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_through_colours_and_squares_fit() {
        for number in [0, 1, 255, 256, 65_535, 65_536, NUMBER_MASK] {
            assert_eq!(number_of(colour_of(number)), number);
        }
        assert_eq!(number_of(colour_of(NUMBER_MASK + 2)), 1, "numbers wrap");
        assert_eq!(RepaintingWindow::commits_between(7, 8), 1);
        assert_eq!(RepaintingWindow::commits_between(7, 7), 0);
        assert_eq!(RepaintingWindow::commits_between(NUMBER_MASK, 2), 3);
        assert_eq!(
            square_of((1920, 1080)),
            Region::new(928, 508, 64, 64).unwrap()
        );
        assert_eq!(square_of((40, 30)), Region::new(5, 0, 30, 30).unwrap());
    }
}
