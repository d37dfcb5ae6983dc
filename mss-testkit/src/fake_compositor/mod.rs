//! [`FakeCompositor`]: a small Wayland compositor in the test's own process, speaking just
//! enough protocol for a screencopy client (mss-wayland) to open, list outputs and capture,
//! and answering as a test scripts it, hostile or buggy answers included.
//!
//! # What it speaks
//!
//! `wl_display` and `wl_registry` (from `wayland-server`, the pure-Rust server side of
//! wayland-rs), `wl_shm` with pools and buffers, `wl_output` version 4 (geometry, mode, scale,
//! name, description, done), `zxdg_output_manager_v1` version 3 (logical position and size,
//! name, description) and `zwlr_screencopy_manager_v1` of the version asked (frames: `buffer`,
//! `buffer_done`, `flags`, `damage`, `ready`, `failed`; `copy` and `copy_with_damage`).
//!
//! # What a test scripts
//!
//! A [`Behaviour`], fixed before the compositor starts: the outputs (layout, mode, scale, names
//! and descriptions of any bytes, how often those events repeat), the shared-memory formats
//! announced, and for each screencopy frame a [`FrameScript`]: the buffer layouts offered (any
//! format, width, height and stride, strides smaller than a row, zero or huge included), how
//! often they repeat, then `buffer_done`, `failed`, silence, the connection shut down, or
//! layouts repeated without end ([`Answer`]); after the copy, `y_invert`, damage rectangles
//! (any values, overflowing ones included) and their repetitions, then `ready`, `failed`,
//! silence, the connection shut down or damage without end.
//!
//! # What it does with a copy
//!
//! A buffer that was not offered, or that lies past the end of its pool, gets the protocol
//! error `invalid_buffer`, as wlroots answers. Otherwise the fake writes [`fake_pixel`] for
//! every pixel of the region (device pixels of the output, rows bottom up when the script says
//! `y_invert`) into the client's memory with `pwrite` on the file descriptor the client shared:
//! no mapping, so no unsafe code. What happened is kept in a [`FakeLog`].
//!
//! # Lifetime
//!
//! [`FakeCompositor::start`] binds a socket in a private runtime directory and serves it from a
//! thread; dropping the compositor stops the thread (every wait in it also watches the stop
//! signal) and removes the directory. A panic in the fake's thread is reported by the drop.

mod behaviour;
mod protocol;

use std::io;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rustix::event::{PollFd, PollFlags};
use tempfile::TempDir;
use wayland_protocols::xdg::xdg_output::zv1::server::zxdg_output_manager_v1::ZxdgOutputManagerV1;
use wayland_protocols_wlr::screencopy::v1::server::zwlr_screencopy_manager_v1::ZwlrScreencopyManagerV1;
use wayland_server::protocol::wl_output::WlOutput;
use wayland_server::protocol::wl_shm::WlShm;
use wayland_server::{Display, ListeningSocket};

pub use behaviour::{
    ABGR8888, ARGB8888, Answer, Behaviour, BufferLayout, FakeOutput, FrameScript, LayoutSpec,
    MAX_WRITTEN_BYTES, RGB565, XBGR8888, XRGB8888, fake_pixel,
};
use protocol::{Compositor, FakeClient};

/// What the fake compositor saw and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FakeLog {
    /// Clients that connected.
    pub clients: usize,
    /// The screencopy frames asked for, in order.
    pub captures: Vec<CaptureRecord>,
    /// The copies asked for, in order.
    pub copies: Vec<CopyRecord>,
    /// The protocol errors the fake posted (a buffer not offered, or past its pool).
    pub errors_posted: Vec<String>,
    /// How many repeated or flooded events it sent (names, formats, layouts, damage).
    pub events_sent: u64,
}

/// A screencopy frame asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureRecord {
    /// Its number among the frames asked for.
    pub frame: usize,
    /// The output's index in [`Behaviour::outputs`].
    pub output: usize,
    /// The region asked for in the output's logical coordinates (`capture_output_region`),
    /// or `None` for the whole output (`capture_output`).
    pub region: Option<(i32, i32, i32, i32)>,
    /// Whether the pointer was to be drawn.
    pub overlay_cursor: bool,
}

/// A copy asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyRecord {
    /// The frame's number.
    pub frame: usize,
    /// `copy_with_damage` rather than `copy`.
    pub with_damage: bool,
    /// The client's buffer.
    pub layout: BufferLayout,
    /// The pixels were written (they are not past [`MAX_WRITTEN_BYTES`]).
    pub written: bool,
}

/// A fake Wayland compositor serving one [`Behaviour`]; see the [module docs](self).
pub struct FakeCompositor {
    socket: PathBuf,
    log: Arc<Mutex<FakeLog>>,
    /// Dropped to stop the serving thread.
    stop: Option<UnixStream>,
    thread: Option<JoinHandle<()>>,
    /// Removed when the compositor is dropped, after the thread has stopped.
    _runtime_dir: TempDir,
}

impl std::fmt::Debug for FakeCompositor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeCompositor")
            .field("socket", &self.socket)
            .finish_non_exhaustive()
    }
}

impl FakeCompositor {
    /// Starts a compositor that behaves as `behaviour` says, on a socket of its own.
    ///
    /// # Errors
    ///
    /// The I/O error when the runtime directory, the socket or the thread cannot be made.
    pub fn start(behaviour: Behaviour) -> io::Result<Self> {
        let runtime_dir = tempfile::Builder::new()
            .prefix("mss-fake-wayland-")
            .tempdir()?;
        let socket = runtime_dir.path().join("wayland-fake");
        let listener = ListeningSocket::bind_absolute(socket.clone())
            .map_err(|error| io::Error::other(format!("binding {}: {error}", socket.display())))?;
        let display: Display<Compositor> =
            Display::new().map_err(|error| io::Error::other(error.to_string()))?;
        let handle = display.handle();
        handle.create_global::<Compositor, WlShm, ()>(1, ());
        handle.create_global::<Compositor, ZxdgOutputManagerV1, ()>(3, ());
        handle.create_global::<Compositor, ZwlrScreencopyManagerV1, ()>(
            behaviour.screencopy_version.clamp(1, 3),
            (),
        );
        for index in 0..behaviour.outputs.len() {
            handle.create_global::<Compositor, WlOutput, usize>(4, index);
        }
        let (stop, stopped) = UnixStream::pair()?;
        let log = Arc::new(Mutex::new(FakeLog::default()));
        let compositor = Compositor::new(behaviour, Arc::clone(&log), stopped.try_clone()?);
        let thread = std::thread::Builder::new()
            .name("fake-compositor".to_owned())
            .spawn(move || serve(display, &listener, &stopped, compositor))?;
        Ok(Self {
            socket,
            log,
            stop: Some(stop),
            thread: Some(thread),
            _runtime_dir: runtime_dir,
        })
    }

    /// The socket's absolute path: the display name to open.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The socket's absolute path as text, for APIs that take a display name.
    pub fn display(&self) -> &str {
        self.socket
            .to_str()
            .expect("temporary directories have UTF-8 paths")
    }

    /// What the compositor saw and did so far.
    pub fn log(&self) -> FakeLog {
        self.log.lock().expect("the log is never poisoned").clone()
    }
}

impl Drop for FakeCompositor {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
            && !std::thread::panicking()
        {
            panic!("the fake compositor's thread panicked");
        }
    }
}

/// Serves clients until `stop` is readable (its other end was dropped).
fn serve(
    mut display: Display<Compositor>,
    listener: &ListeningSocket,
    stop: &UnixStream,
    mut compositor: Compositor,
) {
    loop {
        let (stopping, accepting, flood_room) = {
            let clients = display.backend().poll_fd();
            let mut fds = vec![
                PollFd::new(stop, PollFlags::IN),
                PollFd::new(listener, PollFlags::IN),
                PollFd::from_borrowed_fd(clients, PollFlags::IN),
            ];
            if let Some(socket) = compositor.flood_socket() {
                fds.push(PollFd::new(socket, PollFlags::OUT));
            }
            match rustix::event::poll(&mut fds, None) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(error) => panic!("poll failed in the fake compositor: {error}"),
            }
            (
                !fds[0].revents().is_empty(),
                !fds[1].revents().is_empty(),
                fds.get(3).map(PollFd::revents),
            )
        };
        if stopping {
            return;
        }
        if accepting {
            while let Ok(Some(stream)) = listener.accept() {
                let Ok(socket) = stream.try_clone() else {
                    continue;
                };
                let mut handle = display.handle();
                if handle
                    .insert_client(stream, Arc::new(FakeClient { socket }))
                    .is_ok()
                {
                    compositor.count_client();
                }
            }
        }
        let _ = display.dispatch_clients(&mut compositor);
        if let Some(revents) = flood_room {
            let gone = revents.intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL);
            if gone || revents.contains(PollFlags::OUT) {
                compositor.flood_batch(gone);
            }
        }
        let _ = display.flush_clients();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn the_compositor_serves_its_socket_and_stops_when_dropped_with_a_client_connected() {
        let fake = FakeCompositor::start(Behaviour::default()).unwrap();
        assert!(fake.socket().is_absolute());
        assert_eq!(fake.display(), fake.socket().to_str().unwrap());
        let client = UnixStream::connect(fake.socket()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while fake.log().clients == 0 {
            assert!(Instant::now() < deadline, "the client was never accepted");
            std::thread::yield_now();
        }
        let socket = fake.socket().to_owned();
        // The drop stops the thread although the client is still connected and silent.
        drop(fake);
        assert!(!socket.exists());
        drop(client);
    }

    #[test]
    fn layouts_resolve_from_the_natural_size_and_pixels_differ() {
        let natural = LayoutSpec::natural(XRGB8888).resolve((10, 5));
        assert_eq!(
            natural,
            BufferLayout {
                format: XRGB8888,
                width: 10,
                height: 5,
                stride: 40
            }
        );
        let odd = LayoutSpec {
            format: RGB565,
            width: Some(u32::MAX),
            height: None,
            stride: None,
        }
        .resolve((10, 5));
        assert_eq!(
            (odd.width, odd.height, odd.stride),
            (u32::MAX, 5, u32::MAX.wrapping_mul(4))
        );
        assert_ne!(fake_pixel(0, 1, 2), fake_pixel(0, 2, 1));
        assert_ne!(fake_pixel(0, 1, 2), fake_pixel(1, 1, 2));
        assert_ne!(fake_pixel(0, 1, 2), fake_pixel(0, 257, 2));
    }
}
