//! [`FakePortal`]: the real desktop portal with a screen-cast backend of the test kit's own.

use std::collections::{HashMap, HashSet};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};
use tempfile::TempDir;
use zbus::blocking::Connection;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Structure, Value};

use super::sway::{io_error, processes_in_group, which};
use super::{MutterServer, ServerError, process};

/// The frontend's program.
const FRONTEND: &str = "/usr/libexec/xdg-desktop-portal";
/// The backend's bus name.
const BACKEND_NAME: &str = "org.freedesktop.impl.portal.desktop.mss_test";
/// The desktop the `.portal` file is for (`UseIn`, `XDG_CURRENT_DESKTOP`).
const DESKTOP: &str = "mss-test";
/// The vendor of the backend's restore data.
const VENDOR: &str = "mss-test";
/// How often a wait for a bus name looks again.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// How long the frontend gets to stop before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// What the backend's dialog answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DialogAnswer {
    /// The user shares every monitor (response 0).
    Share,
    /// The user refuses (response 1).
    Refuse,
    /// The dialog ends otherwise (response 2).
    Cancel,
    /// The user never answers: `Start` waits until the application closes the request
    /// (`Request.Close`, counted: [`FakePortal::requests_closed`]), then ends with response 2.
    Never,
}

/// How a [`FakePortal`] is started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakePortalOptions {
    screen_cast: bool,
    answer: DialogAnswer,
    cursor_modes: u32,
    timeout: Duration,
}

impl Default for FakePortalOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl FakePortalOptions {
    /// A backend offering the screen cast with every cursor mode (hidden, embedded,
    /// metadata), whose dialog shares every monitor; 30 s to come up.
    pub fn new() -> Self {
        Self {
            screen_cast: true,
            answer: DialogAnswer::Share,
            cursor_modes: 1 | 2 | 4,
            timeout: Duration::from_secs(30),
        }
    }

    /// The cursor modes the backend offers (`AvailableCursorModes`: 1 hidden, 2 embedded, 4
    /// metadata); each is passed on to mutter's casts as it is asked.
    #[must_use]
    pub fn cursor_modes(mut self, modes: u32) -> Self {
        self.cursor_modes = modes;
        self
    }

    /// A frontend whose only backend offers no screen cast: the portal runs without
    /// `org.freedesktop.portal.ScreenCast`.
    #[must_use]
    pub fn without_screen_cast(mut self) -> Self {
        self.screen_cast = false;
        self
    }

    /// What the dialog answers (it can be changed later, [`FakePortal::answer_dialogs_with`]).
    #[must_use]
    pub fn answer(mut self, answer: DialogAnswer) -> Self {
        self.answer = answer;
        self
    }
}

/// What the backend keeps and the test reads.
#[derive(Debug)]
struct State {
    answer: DialogAnswer,
    /// Dialogs shown (sessions not restored).
    dialogs: usize,
    /// Sessions restored from restore data, without the dialog.
    restored: usize,
    /// Restore data ids handed out and not revoked.
    valid: HashSet<String>,
    /// The cursor modes asked for, in order.
    cursor_modes: Vec<u32>,
    /// Requests the application closed.
    requests_closed: usize,
    /// Sessions, by path.
    sessions: HashMap<String, Session>,
}

#[derive(Debug, Default)]
struct Session {
    /// `SelectSources`' options, once given.
    cursor_mode: u32,
    persist_mode: u32,
    restore_id: Option<String>,
    /// mutter's screen-cast session, once started.
    cast: Option<OwnedObjectPath>,
}

struct Shared {
    state: Mutex<State>,
    /// The backend's connection to mutter (mutter's sessions belong to it).
    mutter: Connection,
    ids: AtomicU64,
    /// `AvailableCursorModes`.
    cursor_modes: u32,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The real desktop portal (`xdg-desktop-portal`, the frontend applications
/// talk to) on a [`MutterServer`]'s session bus, with a screen-cast backend of the test kit's
/// own behind it, whose streams are mutter's screen casts (so frames are real) and whose
/// "dialog" answers as the test says, counted.
///
/// # How the frontend finds the backend (xdg-desktop-portal 1.16, Debian 12, observed)
///
/// The frontend reads `.portal` files from `$XDG_DESKTOP_PORTAL_DIR` (a temporary directory
/// here, holding one file) and takes, for each backend interface, the file whose `UseIn`
/// names a desktop of `$XDG_CURRENT_DESKTOP` (`mss-test` here). At start it makes a proxy of
/// the backend's `org.freedesktop.impl.portal.ScreenCast` and reads its properties
/// (`version`, `AvailableSourceTypes`, `AvailableCursorModes`) then, so the backend owns its
/// name before the frontend starts. The frontend exports `org.freedesktop.portal.ScreenCast`
/// only when a backend offers it: a `.portal` file without it gives a portal without a
/// screen cast.
///
/// For each request the frontend calls the backend with the request's and session's paths;
/// the backend answers the call itself with `(response, results)` (the frontend turns that
/// into the `Response` signal). A session the backend ends is announced by its
/// `org.freedesktop.impl.portal.Session` object's `Closed` signal; the frontend calls its
/// `Close` when the application closes the session.
///
/// # Restore tokens
///
/// The frontend turns `restore_data` from `Start` into a token (a UUID) and keeps the data in
/// the permission store (`xdg-permission-store`, started by the bus on demand) when the
/// persist mode is 2; given the token back, it looks the data up (and deletes it: it is kept
/// again when the restored session starts) and passes it to `SelectSources`. This backend
/// hands out data of its own (`("mss-test", 1, <id>)`), restores a session without the dialog
/// only for an id it handed out and has not revoked, and shows (counts) the dialog otherwise.
///
/// # PipeWire
///
/// `OpenPipeWireRemote` has the frontend connect to PipeWire itself (at
/// `$XDG_RUNTIME_DIR/pipewire-0`, mutter's), restrict its client to the session's nodes and
/// hand the socket over; the frontend runs with the server's environment for that.
///
/// Dropping it stops the frontend and the backend (whose mutter casts end with its
/// connection).
pub struct FakePortal {
    shared: Arc<Shared>,
    /// The backend's connection, which owns its name and serves its objects.
    backend: Connection,
    frontend: Child,
    directory: TempDir,
}

impl std::fmt::Debug for FakePortal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakePortal")
            .field("state", &*self.shared.state())
            .finish_non_exhaustive()
    }
}

impl FakePortal {
    /// Starts the backend, then the frontend, on `server`'s bus, and waits until the
    /// frontend owns `org.freedesktop.portal.Desktop`.
    ///
    /// # Errors
    ///
    /// [`ServerError::BinaryMissing`] when xdg-desktop-portal is not installed (run `cargo
    /// xtask test`); [`ServerError::Connect`] when the bus refuses the backend;
    /// [`ServerError::StartTimeout`] or [`ServerError::Exited`] with the frontend's log.
    pub fn start(server: &MutterServer, options: &FakePortalOptions) -> Result<Self, ServerError> {
        which(std::path::Path::new(FRONTEND))?;
        let connect_error = |error: zbus::Error| ServerError::Connect {
            display: server.bus_address().to_owned(),
            reason: error.to_string(),
        };
        let connect = || {
            zbus::blocking::connection::Builder::address(server.bus_address())
                .and_then(|builder| builder.method_timeout(options.timeout).build())
        };
        let mutter = connect().map_err(connect_error)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                answer: options.answer,
                dialogs: 0,
                restored: 0,
                valid: HashSet::new(),
                cursor_modes: Vec::new(),
                requests_closed: 0,
                sessions: HashMap::new(),
            }),
            mutter,
            ids: AtomicU64::new(0),
            cursor_modes: options.cursor_modes,
        });
        let backend = zbus::blocking::connection::Builder::address(server.bus_address())
            .and_then(|builder| {
                builder
                    .method_timeout(options.timeout)
                    .serve_at(
                        "/org/freedesktop/portal/desktop",
                        ScreenCast {
                            shared: Arc::clone(&shared),
                        },
                    )?
                    .name(BACKEND_NAME)?
                    .build()
            })
            .map_err(connect_error)?;
        let directory = tempfile::Builder::new()
            .prefix("mss-testkit-portal-")
            .tempdir()
            .map_err(|source| io_error("creating the portal's directory", source))?;
        let interfaces = if options.screen_cast {
            "org.freedesktop.impl.portal.ScreenCast;"
        } else {
            "org.freedesktop.impl.portal.Inhibit;"
        };
        std::fs::write(
            directory.path().join("mss-test.portal"),
            format!(
                "[portal]\nDBusName={BACKEND_NAME}\nInterfaces={interfaces}\nUseIn={DESKTOP}\n"
            ),
        )
        .map_err(|source| io_error("writing the .portal file", source))?;
        let log_path = directory.path().join("xdg-desktop-portal.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|source| io_error("creating the portal's log", source))?;
        let frontend = server
            .command(FRONTEND)
            .arg("--verbose")
            .env("XDG_DESKTOP_PORTAL_DIR", directory.path())
            .env("XDG_CURRENT_DESKTOP", DESKTOP)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(
                log.try_clone()
                    .map_err(|source| io_error("the portal's log", source))?,
            )
            .stderr(log)
            .spawn()
            .map_err(|source| ServerError::Spawn {
                binary: FRONTEND.into(),
                source,
            })?;
        let mut portal = Self {
            shared,
            backend,
            frontend,
            directory,
        };
        portal.wait_for_frontend(options.timeout)?;
        Ok(portal)
    }

    fn wait_for_frontend(&mut self, timeout: Duration) -> Result<(), ServerError> {
        let deadline = Instant::now() + timeout;
        let bus = zbus::blocking::fdo::DBusProxy::new(&self.backend).map_err(|error| {
            ServerError::Connect {
                display: "the portal's bus".to_owned(),
                reason: error.to_string(),
            }
        })?;
        loop {
            let owned = zbus::names::BusName::try_from("org.freedesktop.portal.Desktop")
                .ok()
                .and_then(|name| bus.name_has_owner(name).ok())
                .unwrap_or(false);
            if owned {
                return Ok(());
            }
            if let Ok(Some(status)) = self.frontend.try_wait() {
                return Err(ServerError::Exited {
                    binary: FRONTEND.into(),
                    status: status.to_string(),
                    log: self.log(),
                });
            }
            if Instant::now() >= deadline {
                return Err(ServerError::StartTimeout {
                    binary: FRONTEND.into(),
                    seconds: timeout.as_secs_f64(),
                    log: self.log(),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// How many times the dialog was shown (sessions that were not restored).
    pub fn dialogs_shown(&self) -> usize {
        self.shared.state().dialogs
    }

    /// How many sessions were restored from a token, without the dialog.
    pub fn sessions_restored(&self) -> usize {
        self.shared.state().restored
    }

    /// The cursor modes applications asked for (1 hidden, 2 embedded, 4 metadata), in order.
    pub fn cursor_modes_asked(&self) -> Vec<u32> {
        self.shared.state().cursor_modes.clone()
    }

    /// How many requests the application closed while the dialog waited
    /// ([`DialogAnswer::Never`]).
    pub fn requests_closed(&self) -> usize {
        self.shared.state().requests_closed
    }

    /// Makes the dialog answer `answer` from now on.
    pub fn answer_dialogs_with(&self, answer: DialogAnswer) {
        self.shared.state().answer = answer;
    }

    /// Forgets every choice handed out: a session given old restore data shows the dialog.
    pub fn revoke_restore_data(&self) {
        self.shared.state().valid.clear();
    }

    /// Ends every started session as a backend whose compositor went away would: mutter's
    /// casts stopped, then the session's `Closed` sent. Returns how many were ended.
    pub fn close_sessions(&self) -> usize {
        let sessions: Vec<(String, Option<OwnedObjectPath>)> = self
            .shared
            .state()
            .sessions
            .drain()
            .map(|(path, session)| (path, session.cast))
            .collect();
        for (path, cast) in &sessions {
            if let Some(cast) = cast {
                stop_cast(&self.shared.mutter, cast);
            }
            let _ = self.backend.emit_signal(
                None::<()>,
                path.as_str(),
                "org.freedesktop.impl.portal.Session",
                "Closed",
                &(),
            );
            let _ = self
                .backend
                .object_server()
                .remove::<SessionObject, _>(path.as_str());
        }
        sessions.len()
    }

    /// The frontend's process id.
    pub fn frontend_pid(&self) -> u32 {
        self.frontend.id()
    }

    /// The end of the frontend's log (it runs with `--verbose`).
    pub fn log(&self) -> String {
        format!(
            "--- xdg-desktop-portal:\n{}",
            process::read_log(&self.log_path())
        )
    }

    fn log_path(&self) -> PathBuf {
        self.directory.path().join("xdg-desktop-portal.log")
    }
}

impl Drop for FakePortal {
    fn drop(&mut self) {
        let pid = Pid::from_child(&self.frontend);
        let group = self.frontend.id();
        let _ = rustix::process::kill_process_group(pid, Signal::TERM);
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline {
            let _ = self.frontend.try_wait();
            if processes_in_group(group).is_empty() {
                break;
            }
            std::thread::sleep(POLL_INTERVAL);
        }
        let _ = rustix::process::kill_process_group(pid, Signal::KILL);
        let _ = self.frontend.wait();
        // mutter's casts end with the backend's connection to it, dropped with `shared`.
    }
}

/// The backend's `org.freedesktop.impl.portal.ScreenCast`.
struct ScreenCast {
    shared: Arc<Shared>,
}

type Results = HashMap<String, OwnedValue>;

fn value(value: Value<'_>) -> OwnedValue {
    OwnedValue::try_from(value).expect("values without descriptors")
}

#[zbus::interface(name = "org.freedesktop.impl.portal.ScreenCast")]
impl ScreenCast {
    async fn create_session(
        &self,
        _handle: OwnedObjectPath,
        session_handle: OwnedObjectPath,
        _app_id: String,
        _options: HashMap<String, OwnedValue>,
        #[zbus(object_server)] server: &zbus::ObjectServer,
    ) -> (u32, Results) {
        let path = session_handle.as_str().to_owned();
        let exported = server
            .at(
                path.as_str(),
                SessionObject {
                    shared: Arc::clone(&self.shared),
                    path: path.clone(),
                },
            )
            .await;
        if exported.is_err() {
            return (2, Results::new());
        }
        self.shared
            .state()
            .sessions
            .insert(path.clone(), Session::default());
        let mut results = Results::new();
        results.insert("session_id".to_owned(), value(Value::from(path)));
        (0, results)
    }

    fn select_sources(
        &self,
        _handle: OwnedObjectPath,
        session_handle: OwnedObjectPath,
        _app_id: String,
        options: HashMap<String, OwnedValue>,
    ) -> (u32, Results) {
        let number = |name: &str| {
            options
                .get(name)
                .and_then(|value| u32::try_from(value).ok())
        };
        let restore_id = options.get("restore_data").and_then(restore_id);
        let mut state = self.shared.state();
        let cursor_mode = number("cursor_mode").unwrap_or(1);
        state.cursor_modes.push(cursor_mode);
        let Some(session) = state.sessions.get_mut(session_handle.as_str()) else {
            return (2, Results::new());
        };
        session.cursor_mode = cursor_mode;
        session.persist_mode = number("persist_mode").unwrap_or(0);
        session.restore_id = restore_id;
        (0, Results::new())
    }

    async fn start(
        &self,
        handle: OwnedObjectPath,
        session_handle: OwnedObjectPath,
        _app_id: String,
        _parent_window: String,
        _options: HashMap<String, OwnedValue>,
        #[zbus(object_server)] server: &zbus::ObjectServer,
    ) -> (u32, Results) {
        let path = session_handle.as_str().to_owned();
        let restored = {
            let state = self.shared.state();
            state
                .sessions
                .get(&path)
                .and_then(|session| session.restore_id.as_ref())
                .is_some_and(|id| state.valid.contains(id))
        };
        if !restored && self.shared.state().answer == DialogAnswer::Never {
            // The dialog stays until the application closes the request.
            self.shared.state().dialogs += 1;
            let gate = Gate::default();
            let request = RequestObject {
                shared: Arc::clone(&self.shared),
                gate: gate.clone(),
            };
            if server.at(handle.as_str(), request).await.is_ok() {
                gate.await;
                let _ = server.remove::<RequestObject, _>(handle.as_str()).await;
            }
            return (2, Results::new());
        }
        self.start_now(&path)
    }

    #[zbus(property, name = "AvailableSourceTypes")]
    fn available_source_types(&self) -> u32 {
        1
    }

    #[zbus(property, name = "AvailableCursorModes")]
    fn available_cursor_modes(&self) -> u32 {
        self.shared.cursor_modes
    }

    #[zbus(property, name = "version")]
    fn version(&self) -> u32 {
        4
    }
}

impl ScreenCast {
    /// `Start` of the session at `path` once the dialog (if any) is answered: the answer,
    /// or mutter's casts of every monitor as its streams.
    fn start_now(&self, path: &str) -> (u32, Results) {
        let (cursor_mode, persist_mode) = {
            let mut state = self.shared.state();
            let Some(session) = state.sessions.get(path) else {
                return (2, Results::new());
            };
            let (cursor_mode, persist_mode) = (session.cursor_mode, session.persist_mode);
            let restored = session
                .restore_id
                .as_ref()
                .is_some_and(|id| state.valid.contains(id));
            if restored {
                state.restored += 1;
            } else {
                state.dialogs += 1;
                match state.answer {
                    DialogAnswer::Share => {}
                    DialogAnswer::Refuse => return (1, Results::new()),
                    DialogAnswer::Cancel | DialogAnswer::Never => return (2, Results::new()),
                }
            }
            (cursor_mode, persist_mode)
        };
        let mutter_cursor = match cursor_mode {
            2 => 1u32,
            4 => 2,
            _ => 0,
        };
        let Ok((cast, streams)) = record_every_monitor(&self.shared.mutter, mutter_cursor) else {
            return (2, Results::new());
        };
        let mut state = self.shared.state();
        let Some(session) = state.sessions.get_mut(path) else {
            stop_cast(&self.shared.mutter, &cast);
            return (2, Results::new());
        };
        session.cast = Some(cast);
        let mut results = Results::new();
        let streams: Vec<(u32, HashMap<String, Value<'_>>)> = streams
            .into_iter()
            .map(|stream| {
                let mut properties = HashMap::new();
                properties.insert("position".to_owned(), Value::from(stream.position));
                properties.insert("size".to_owned(), Value::from(stream.size));
                properties.insert("source_type".to_owned(), Value::from(1u32));
                (stream.node, properties)
            })
            .collect();
        results.insert("streams".to_owned(), value(Value::from(streams)));
        if persist_mode != 0 {
            let id = format!("choice-{}", self.shared.ids.fetch_add(1, Ordering::Relaxed));
            state.valid.insert(id.clone());
            let data = Structure::from((VENDOR, 1u32, Value::from(id)));
            results.insert("restore_data".to_owned(), value(Value::from(data)));
            results.insert("persist_mode".to_owned(), value(Value::from(persist_mode)));
        }
        (0, results)
    }
}

/// The id in restore data of this backend's (`("mss-test", 1, <"id">)`).
fn restore_id(data: &OwnedValue) -> Option<String> {
    let Value::Structure(structure) = &**data else {
        return None;
    };
    match structure.fields() {
        [Value::Str(vendor), Value::U32(1), Value::Value(id)] if vendor.as_str() == VENDOR => {
            match &**id {
                Value::Str(id) => Some(id.as_str().to_owned()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A request's `org.freedesktop.impl.portal.Request`, while its dialog waits.
struct RequestObject {
    shared: Arc<Shared>,
    gate: Gate,
}

#[zbus::interface(name = "org.freedesktop.impl.portal.Request")]
impl RequestObject {
    fn close(&self) {
        self.shared.state().requests_closed += 1;
        self.gate.open();
    }
}

/// A future that is ready once [`open`](Gate::open)ed (from another task or thread).
#[derive(Clone, Default)]
struct Gate {
    inner: Arc<Mutex<(bool, Option<std::task::Waker>)>>,
}

impl Gate {
    fn open(&self) {
        let waker = {
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            inner.0 = true;
            inner.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Future for Gate {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.0 {
            std::task::Poll::Ready(())
        } else {
            inner.1 = Some(context.waker().clone());
            std::task::Poll::Pending
        }
    }
}

/// A session's `org.freedesktop.impl.portal.Session`.
struct SessionObject {
    shared: Arc<Shared>,
    path: String,
}

#[zbus::interface(name = "org.freedesktop.impl.portal.Session")]
impl SessionObject {
    async fn close(&self, #[zbus(object_server)] server: &zbus::ObjectServer) {
        let session = self.shared.state().sessions.remove(&self.path);
        if let Some(cast) = session.and_then(|session| session.cast) {
            stop_cast(&self.shared.mutter, &cast);
        }
        let _ = server.remove::<SessionObject, _>(self.path.as_str()).await;
    }

    #[zbus(property, name = "version")]
    fn version(&self) -> u32 {
        1
    }
}

/// A monitor's stream of a mutter cast.
struct MonitorStream {
    node: u32,
    position: (i32, i32),
    size: (i32, i32),
}

const MUTTER_SCREEN_CAST: &str = "org.gnome.Mutter.ScreenCast";
const MUTTER_SESSION: &str = "org.gnome.Mutter.ScreenCast.Session";

/// One mutter screen-cast session recording every monitor (in `DisplayConfig`'s order of
/// logical monitors), with the pointer as `cursor_mode` (mutter's numbering) says: the
/// session's path and each monitor's node, place and size.
fn record_every_monitor(
    mutter: &Connection,
    cursor_mode: u32,
) -> zbus::Result<(OwnedObjectPath, Vec<MonitorStream>)> {
    type Spec = (String, String, String, String);
    type Logical = (
        i32,
        i32,
        f64,
        u32,
        bool,
        Vec<Spec>,
        HashMap<String, OwnedValue>,
    );
    type Mode = (
        String,
        i32,
        i32,
        f64,
        f64,
        Vec<f64>,
        HashMap<String, OwnedValue>,
    );
    type State = (
        u32,
        Vec<(Spec, Vec<Mode>, HashMap<String, OwnedValue>)>,
        Vec<Logical>,
        HashMap<String, OwnedValue>,
    );
    let reply = mutter.call_method(
        Some("org.gnome.Mutter.DisplayConfig"),
        "/org/gnome/Mutter/DisplayConfig",
        Some("org.gnome.Mutter.DisplayConfig"),
        "GetCurrentState",
        &(),
    )?;
    let (_, monitors, logical, _): State = reply.body().deserialize()?;
    let reply = mutter.call_method(
        Some(MUTTER_SCREEN_CAST),
        "/org/gnome/Mutter/ScreenCast",
        Some(MUTTER_SCREEN_CAST),
        "CreateSession",
        &(HashMap::<&str, Value<'_>>::new(),),
    )?;
    let (session,): (OwnedObjectPath,) = reply.body().deserialize()?;
    let recorded = (|| {
        let mut waiting = Vec::new();
        for (x, y, _, _, _, members, _) in &logical {
            let Some((spec, modes, _)) = members
                .first()
                .and_then(|member| monitors.iter().find(|monitor| monitor.0.0 == member.0))
            else {
                continue;
            };
            let Some(mode) = modes.iter().find(|mode| {
                mode.6
                    .get("is-current")
                    .and_then(|value| bool::try_from(value).ok())
                    .unwrap_or(false)
            }) else {
                continue;
            };
            let mut properties = HashMap::new();
            properties.insert("cursor-mode", Value::from(cursor_mode));
            let reply = mutter.call_method(
                Some(MUTTER_SCREEN_CAST),
                session.as_str(),
                Some(MUTTER_SESSION),
                "RecordMonitor",
                &(spec.0.as_str(), properties),
            )?;
            let (stream,): (OwnedObjectPath,) = reply.body().deserialize()?;
            let node = node_announcement(mutter, &stream)?;
            waiting.push((node, (*x, *y), (mode.1, mode.2)));
        }
        mutter.call_method(
            Some(MUTTER_SCREEN_CAST),
            session.as_str(),
            Some(MUTTER_SESSION),
            "Start",
            &(),
        )?;
        let mut streams = Vec::new();
        for (node, position, size) in waiting {
            let node = node
                .recv_timeout(Duration::from_secs(60))
                .map_err(|_| zbus::Error::Failure("mutter announced no node".to_owned()))??;
            streams.push(MonitorStream {
                node,
                position,
                size,
            });
        }
        Ok(streams)
    })();
    match recorded {
        Ok(streams) => Ok((session, streams)),
        Err(error) => {
            stop_cast(mutter, &session);
            Err(error)
        }
    }
}

/// The node mutter will announce for `stream` (`PipeWireStreamAdded`), subscribed now.
fn node_announcement(
    mutter: &Connection,
    stream: &OwnedObjectPath,
) -> zbus::Result<mpsc::Receiver<zbus::Result<u32>>> {
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .interface("org.gnome.Mutter.ScreenCast.Stream")?
        .member("PipeWireStreamAdded")?
        .path(stream.as_str().to_owned())?
        .build();
    let mut signals = zbus::blocking::MessageIterator::for_match_rule(rule, mutter, Some(4))?;
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        if let Some(message) = signals.next() {
            let node = message
                .and_then(|message| message.body().deserialize::<(u32,)>())
                .map(|(node,)| node);
            let _ = sender.send(node);
        }
    });
    Ok(receiver)
}

/// Stops mutter's cast `session` (errors ignored: mutter may be gone).
fn stop_cast(mutter: &Connection, session: &OwnedObjectPath) {
    let _ = mutter.call_method(
        Some(MUTTER_SCREEN_CAST),
        session.as_str(),
        Some(MUTTER_SESSION),
        "Stop",
        &(),
    );
}
