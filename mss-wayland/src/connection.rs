//! The connection to the compositor: opening it, binding the globals capture needs, and
//! waiting for events with a deadline.

use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mss_core::Error;
use wayland_client::backend::WaylandError;
use wayland_client::{Connection, EventQueue, QueueHandle};

use crate::BACKEND_NAME;
use crate::limit::MAX_EVENTS_PER_WAIT;
use crate::state::State;

/// The highest `zwlr_screencopy_manager_v1` version used (3 adds `buffer_done` and
/// `linux_dmabuf`).
const SCREENCOPY_VERSION: u32 = 3;

/// The open connection, its event queue and what the compositor told it.
pub(crate) struct Wayland {
    connection: Connection,
    queue: EventQueue<State>,
    pub(crate) state: State,
    /// The display as named (`wayland-1`, or a socket path), for messages.
    display: String,
    /// The time each wait may take; `None` waits without limit.
    timeout: Option<Duration>,
    /// Why the connection cannot be used any more, once it cannot.
    closed: Option<String>,
}

impl std::fmt::Debug for Wayland {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wayland")
            .field("display", &self.display)
            .field("outputs", &self.state.outputs.len())
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

/// The socket `display` names: an absolute path as it is, else a name in
/// `$XDG_RUNTIME_DIR`, as libwayland resolves `WAYLAND_DISPLAY`. `None` reads
/// `$WAYLAND_DISPLAY`.
fn socket_path(display: Option<&str>) -> Result<(String, PathBuf), Error> {
    let unavailable = |display: &str, reason: String| Error::DisplayUnavailable {
        display: display.to_owned(),
        reason,
        source: None,
    };
    let name = match display {
        Some(display) => display.to_owned(),
        None => std::env::var("WAYLAND_DISPLAY").map_err(|_| {
            unavailable(
                "",
                "no Wayland display named and WAYLAND_DISPLAY is not set".to_owned(),
            )
        })?,
    };
    if name.is_empty() {
        return Err(unavailable(
            &name,
            "the Wayland display name is empty".to_owned(),
        ));
    }
    let path = PathBuf::from(&name);
    if path.is_absolute() {
        return Ok((name, path));
    }
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|directory| directory.is_absolute())
        .ok_or_else(|| {
            unavailable(
                &name,
                "XDG_RUNTIME_DIR is not set (or not absolute), so the socket cannot be found; \
                 give the socket's absolute path instead"
                    .to_owned(),
            )
        })?;
    Ok((name, runtime.join(path)))
}

impl Wayland {
    /// Connects to `display` (or `$WAYLAND_DISPLAY`), reads the globals, binds shared memory,
    /// the outputs (with xdg-output) and wlr-screencopy, and reads what they say.
    ///
    /// # Errors
    ///
    /// [`Error::DisplayUnavailable`] when there is no compositor there, [`Error::Unsupported`]
    /// when it has no `wl_shm` or no wlr-screencopy (naming the protocol), [`Error::Timeout`]
    /// when it does not answer in time.
    pub(crate) fn open(display: Option<&str>, timeout: Option<Duration>) -> Result<Self, Error> {
        let (name, path) = socket_path(display)?;
        let stream = UnixStream::connect(&path).map_err(|error| Error::DisplayUnavailable {
            display: name.clone(),
            reason: format!(
                "no Wayland compositor answers at {}: {error}",
                path.display()
            ),
            source: Some(Box::new(error)),
        })?;
        let connection =
            Connection::from_socket(stream).map_err(|error| Error::DisplayUnavailable {
                display: name.clone(),
                reason: error.to_string(),
                source: Some(Box::new(error)),
            })?;
        let queue = connection.new_event_queue();
        let mut wayland = Self {
            connection,
            queue,
            state: State::default(),
            display: name,
            timeout,
            closed: None,
        };
        let qh = wayland.queue.handle();
        let registry = wayland.connection.display().get_registry(&qh, ());
        wayland.roundtrip("the compositor's globals")?;
        wayland.bind_globals(&registry, &qh)?;
        // Outputs, xdg-outputs and shared-memory formats describe themselves now.
        wayland.roundtrip("the outputs' descriptions")?;
        Ok(wayland)
    }

    /// Binds `wl_shm`, `zxdg_output_manager_v1`, `zwlr_screencopy_manager_v1` and every
    /// `wl_output`.
    fn bind_globals(
        &mut self,
        registry: &wayland_client::protocol::wl_registry::WlRegistry,
        qh: &QueueHandle<State>,
    ) -> Result<(), Error> {
        let globals = self.state.globals.clone();
        let find = |interface: &str| globals.iter().find(|global| global.interface == interface);
        if let Some(global) = find("zxdg_output_manager_v1") {
            self.state.xdg_output_manager =
                Some(registry.bind(global.name, global.version.min(3), qh, ()));
        }
        match find("zwlr_screencopy_manager_v1") {
            Some(global) => {
                self.state.screencopy = Some(registry.bind(
                    global.name,
                    global.version.min(SCREENCOPY_VERSION),
                    qh,
                    (),
                ));
            }
            None => {
                return Err(Error::Unsupported {
                    backend: BACKEND_NAME,
                    what: "capturing the screen",
                    reason: format!(
                        "the compositor at {:?} does not offer wlr-screencopy \
                         (zwlr_screencopy_manager_v1), which wlroots-based compositors (sway, \
                         Hyprland, river, wayfire, labwc, niri) do; GNOME, KDE and the other \
                         desktops are captured by the pipewire backend (mutter's own screen \
                         cast, else the desktop portal's, through PipeWire)",
                        self.display
                    ),
                });
            }
        }
        match find("wl_shm") {
            Some(global) => self.state.shm = Some(registry.bind(global.name, 1, qh, ())),
            None => {
                return Err(Error::Unsupported {
                    backend: BACKEND_NAME,
                    what: "capturing the screen",
                    reason: format!(
                        "the compositor at {:?} offers no shared memory (wl_shm)",
                        self.display
                    ),
                });
            }
        }
        for global in globals
            .iter()
            .filter(|global| global.interface == "wl_output")
        {
            self.state.bind_output(registry, global, qh);
        }
        Ok(())
    }

    /// The display's name as given.
    pub(crate) fn display_name(&self) -> &str {
        &self.display
    }

    /// The queue's handle, to create objects with.
    pub(crate) fn handle(&self) -> QueueHandle<State> {
        self.queue.handle()
    }

    /// Fails with [`Error::ConnectionLost`] once the connection cannot be used.
    pub(crate) fn check_open(&self) -> Result<(), Error> {
        match &self.closed {
            Some(reason) => Err(Error::ConnectionLost {
                display: self.display.clone(),
                reason: reason.clone(),
                source: None,
            }),
            None => Ok(()),
        }
    }

    /// Sends `wl_display.sync` and waits for its answer: everything sent before has been
    /// handled and its events read.
    ///
    /// # Errors
    ///
    /// As [`dispatch_until`](Self::dispatch_until).
    pub(crate) fn roundtrip(&mut self, waiting_for: &str) -> Result<(), Error> {
        let done = Arc::new(AtomicBool::new(false));
        self.connection
            .display()
            .sync(&self.queue.handle(), Arc::clone(&done));
        self.dispatch_until(waiting_for, |_| done.load(Ordering::SeqCst))
    }

    /// Reads and handles events until `ready` holds, waiting at most the timeout for each
    /// read.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when `ready` does not hold within the timeout, whether the
    /// compositor says nothing or keeps talking (the connection is then closed),
    /// [`Error::ConnectionLost`] when it goes away, [`Error::Protocol`] when it reports a
    /// protocol error or sends more than `MAX_EVENTS_PER_WAIT` events (then it is closed too).
    pub(crate) fn dispatch_until(
        &mut self,
        waiting_for: &str,
        mut ready: impl FnMut(&State) -> bool,
    ) -> Result<(), Error> {
        self.dispatch_before(waiting_for, None, &mut ready)
            .map(drop)
    }

    /// [`dispatch_until`](Self::dispatch_until), returning `false` when `deadline` passed
    /// before `ready` held (not an error: the caller asked to stop then).
    ///
    /// # Errors
    ///
    /// As [`dispatch_until`](Self::dispatch_until).
    pub(crate) fn dispatch_before(
        &mut self,
        waiting_for: &str,
        deadline: Option<Instant>,
        ready: &mut dyn FnMut(&State) -> bool,
    ) -> Result<bool, Error> {
        self.check_open()?;
        let limit = self.timeout.map(|timeout| Instant::now() + timeout);
        let mut events = 0;
        loop {
            events += self
                .queue
                .dispatch_pending(&mut self.state)
                .map_err(|error| self.dispatch_error(error))?;
            if ready(&self.state) {
                return Ok(true);
            }
            if events > MAX_EVENTS_PER_WAIT {
                return Err(self.flooded(waiting_for));
            }
            self.queue
                .flush()
                .map_err(|error| self.wayland_error(error))?;
            let now = Instant::now();
            if deadline.is_some_and(|deadline| now >= deadline) {
                return Ok(false);
            }
            // Checked on every turn, not only when a poll finds nothing: a compositor that
            // keeps sending events must not keep the wait going past its limit.
            if limit.is_some_and(|limit| now >= limit) {
                return Err(self.time_out(waiting_for));
            }
            let Some(guard) = self.queue.prepare_read() else {
                // Events came in meanwhile: handle them first.
                continue;
            };
            let wake = match (deadline, limit) {
                (Some(deadline), Some(limit)) => Some(deadline.min(limit)),
                (deadline, limit) => deadline.or(limit),
            };
            let timeout = wake.map(|wake| {
                rustix::event::Timespec::try_from(wake.saturating_duration_since(now)).unwrap_or(
                    rustix::event::Timespec {
                        tv_sec: i64::MAX,
                        tv_nsec: 0,
                    },
                )
            });
            let fd = guard.connection_fd();
            let mut fds = [rustix::event::PollFd::new(
                &fd,
                rustix::event::PollFlags::IN,
            )];
            let polled = rustix::event::poll(&mut fds, timeout.as_ref());
            match polled {
                Ok(0) => {
                    drop(guard);
                    if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                        return Ok(false);
                    }
                    if limit.is_some_and(|limit| Instant::now() >= limit) {
                        return Err(self.time_out(waiting_for));
                    }
                }
                Ok(_) => match guard.read() {
                    Ok(_) => {}
                    Err(WaylandError::Io(error))
                        if error.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(error) => return Err(self.wayland_error(error)),
                },
                Err(rustix::io::Errno::INTR) => {}
                Err(error) => {
                    return Err(self.lost(format!("waiting for events failed: {error}")));
                }
            }
        }
    }

    /// Closes the connection after a wait outlived the timeout, and says so.
    fn time_out(&mut self, waiting_for: &str) -> Error {
        let seconds = self.timeout.map_or(0.0, |timeout| timeout.as_secs_f64());
        self.shut_down(format!(
            "it was closed when the compositor did not answer within {seconds} s"
        ));
        Error::Timeout {
            display: self.display.clone(),
            waiting_for: waiting_for.to_owned(),
            seconds,
        }
    }

    /// Closes the connection after a wait read more than [`MAX_EVENTS_PER_WAIT`] events, and
    /// says so.
    fn flooded(&mut self, waiting_for: &str) -> Error {
        let message = format!(
            "the compositor sent more than {MAX_EVENTS_PER_WAIT} events while mss-rs waited for \
             {waiting_for}: it repeats events without end"
        );
        self.shut_down(format!("it was closed because {message}"));
        Error::Protocol {
            display: self.display.clone(),
            request: "reading the compositor's events",
            message,
            source: None,
        }
    }

    /// Marks the connection unusable and shuts its socket down.
    fn shut_down(&mut self, reason: String) {
        if let Some(guard) = self.connection.prepare_read() {
            let _ = rustix::net::shutdown(guard.connection_fd(), rustix::net::Shutdown::Both);
        }
        self.closed.get_or_insert(reason);
    }

    /// The error for a connection that broke, which is then closed for good.
    pub(crate) fn lost(&mut self, reason: String) -> Error {
        self.shut_down(reason.clone());
        Error::ConnectionLost {
            display: self.display.clone(),
            reason,
            source: None,
        }
    }

    /// The error for a failed read, write or flush.
    fn wayland_error(&mut self, error: WaylandError) -> Error {
        match error {
            WaylandError::Protocol(protocol) => {
                let message = format!(
                    "{}@{}: error {}: {}",
                    protocol.object_interface, protocol.object_id, protocol.code, protocol.message
                );
                self.shut_down(format!(
                    "the compositor reported a protocol error ({message})"
                ));
                Error::Protocol {
                    display: self.display.clone(),
                    request: "a Wayland request",
                    message,
                    source: None,
                }
            }
            WaylandError::Io(error) => self.lost(format!("the compositor went away ({error})")),
        }
    }

    /// The error for a failed dispatch.
    fn dispatch_error(&mut self, error: wayland_client::DispatchError) -> Error {
        match error {
            wayland_client::DispatchError::Backend(error) => self.wayland_error(error),
            other => self.lost(format!("an event could not be read: {other}")),
        }
    }
}
