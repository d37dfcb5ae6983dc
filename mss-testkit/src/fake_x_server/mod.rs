//! [`FakeXServer`]: a small X server in the test process, speaking just enough of the protocol
//! to be captured from, and answering exactly what its [`XScript`] says, hostile answers
//! included.
//!
//! # What it is for
//!
//! Real servers (Xvfb, Xorg) answer sensibly; a buggy or hostile one does not, and the
//! backends must survive it: an error or a correct frame, never a panic, a hang or memory
//! without bound. The fake server lets a test (or `proptest`) decide every answer: the screen's
//! depth, visuals, bits per pixel and row padding, which extensions exist, the RandR monitors
//! and their names and EDIDs, the window tree (cycles, zero sizes, far-off places, any bytes
//! in names), how each image request is answered (shorter or longer than the image, another
//! depth or visual, an error), events sent before every reply or without end, requests never
//! answered, connection setups stalled or closed. It also has MIT-SHM: segments arrive as file
//! descriptors, and `ShmGetImage` writes the image into them with `pwrite`.
//!
//! Every drawable shows a pattern of its own ([`fake_pixel`]: the root's seed is
//! [`ROOT_SEED`], a window's its id), so a test knows every byte a frame must hold
//! ([`fake_row`]).
//!
//! # How to connect
//!
//! It listens where an X server of its display number would, `/tmp/.X11-unix/X<n>`, holding
//! that display's lock file as X servers do (so no server started meanwhile takes the number);
//! numbers are taken from 20000 to 49999, far beyond those real test servers pick.
//! [`FakeXServer::display`] is `:<n>`, which x11rb and libxcb both connect to, and
//! [`FakeXServer::socket_path`] the socket's path, itself a display name (libxcb 1.15 and
//! x11rb 0.14 do not connect to those; mss-x11 does). [`FakeXServer::connect`] makes an x11rb
//! connection. Each connection is served on a
//! thread of its own; requests are parsed and replies serialised with x11rb's own protocol
//! types (`x11rb-protocol`), so only the script is made up, never the wire format.
//!
//! ```
//! use mss_testkit::fake_x_server::{FakeXServer, XScript};
//!
//! let server = FakeXServer::start(XScript::new(64, 48)).unwrap();
//! let connection = server.connect().unwrap();
//! assert_eq!(x11rb::connection::Connection::setup(&connection).roots[0].width_in_pixels, 64);
//! ```
//!
//! Dropping the server closes every connection (a client blocked on it reads the end of the
//! stream) and joins its threads.

mod answers;
pub mod checks;
mod extensions;
mod pixels;
mod script;
mod serve;
pub mod strategies;
mod wire;

use std::collections::HashMap;
use std::io;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

pub use pixels::{ROOT_SEED, fake_image, fake_pixel, fake_row, fake_stride};
pub use script::{
    EventNumbers, FAKE_ROOT, FAKE_ROOT_VISUAL, FakeEvent, FakeExtensions, FakeMonitor,
    FakeProperty, FakeRectangle, FakeScreen, FakeShm, FakeWindow, ImageAnswer, SetupAnswer,
    XScript,
};
pub use serve::request_name;

/// What every connection of one server shares.
struct ServerState {
    script: XScript,
    /// Atom names by id, and the next id to give.
    atoms: Mutex<Atoms>,
    /// How many image requests were answered (which [`XScript::images`] entry is next).
    images: AtomicUsize,
    /// How many connections arrived.
    connections: AtomicUsize,
    /// How many requests of each name arrived.
    requests: Mutex<HashMap<&'static str, usize>>,
    /// A copy of each connection's socket, shut down when the server stops.
    sockets: Mutex<Vec<UnixStream>>,
    /// Set when the server stops.
    closing: AtomicBool,
}

/// The atoms, as `InternAtom` made them.
#[derive(Debug, Default)]
struct Atoms {
    names: HashMap<String, u32>,
    next: u32,
}

impl Atoms {
    /// The atom of `name`, made when `create` says so.
    fn intern(&mut self, name: &str, create: bool) -> u32 {
        if let Some(&atom) = self.names.get(name) {
            return atom;
        }
        if !create {
            return 0;
        }
        let atom = self.next;
        self.next += 1;
        self.names.insert(name.to_owned(), atom);
        atom
    }

    /// The name of `atom`, if it has one.
    fn name(&self, atom: u32) -> Option<&str> {
        self.names
            .iter()
            .find(|&(_, &id)| id == atom)
            .map(|(name, _)| name.as_str())
    }
}

/// The predefined atoms the fake server knows by name.
const PREDEFINED_ATOMS: [(&str, u32); 8] = [
    ("ATOM", 4),
    ("CARDINAL", 6),
    ("INTEGER", 19),
    ("STRING", 31),
    ("WINDOW", 33),
    ("WM_NAME", 39),
    ("WM_CLASS", 67),
    ("WM_TRANSIENT_FOR", 68),
];

impl ServerState {
    fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        mutex.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn count(&self, name: &'static str) {
        *Self::lock(&self.requests).entry(name).or_default() += 1;
    }

    fn intern(&self, name: &str, create: bool) -> u32 {
        Self::lock(&self.atoms).intern(name, create)
    }

    fn atom_name(&self, atom: u32) -> Option<String> {
        Self::lock(&self.atoms).name(atom).map(str::to_owned)
    }
}

/// A fake X server on a private Unix socket, answering as its [`XScript`] says; see the
/// [module docs](self).
pub struct FakeXServer {
    state: Arc<ServerState>,
    path: PathBuf,
    lock: PathBuf,
    display: String,
    listener: Option<JoinHandle<()>>,
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

/// The first display number the fake servers take.
const FIRST_DISPLAY: u32 = 20_000;
/// How many display numbers they take from (x11rb 0.14 overflows computing the TCP port of a
/// display above 59535).
const DISPLAYS: u32 = 30_000;

/// Removes `lock` and `socket` when the lock names a process that is gone (a test killed before
/// its servers were dropped), as X servers do with stale locks; a lock being written (empty)
/// or naming a live process is left.
fn remove_if_stale(lock: &std::path::Path, socket: &std::path::Path) {
    let owner = std::fs::read_to_string(lock)
        .ok()
        .and_then(|text| text.trim().parse::<i32>().ok())
        .and_then(rustix::process::Pid::from_raw);
    if let Some(owner) = owner
        && rustix::process::test_kill_process(owner) == Err(rustix::io::Errno::SRCH)
    {
        let _ = std::fs::remove_file(socket);
        let _ = std::fs::remove_file(lock);
    }
}

/// Binds the socket of a free display number, holding its lock file: the listener, the
/// number, the socket's and the lock's paths.
fn bind_free_display() -> io::Result<(UnixListener, u32, PathBuf, PathBuf)> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let sockets = std::path::Path::new("/tmp/.X11-unix");
    if !sockets.exists() {
        std::fs::create_dir_all(sockets)?;
        std::fs::set_permissions(
            sockets,
            std::os::unix::fs::PermissionsExt::from_mode(0o1777),
        )?;
    }
    let process = std::process::id();
    for _ in 0..DISPLAYS {
        let turn =
            u32::try_from(NEXT.fetch_add(1, Ordering::SeqCst) % DISPLAYS as usize).unwrap_or(0);
        let number = FIRST_DISPLAY + process.wrapping_mul(7919).wrapping_add(turn) % DISPLAYS;
        let lock = PathBuf::from(format!("/tmp/.X{number}-lock"));
        let Ok(mut file) = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
        else {
            remove_if_stale(&lock, &sockets.join(format!("X{number}")));
            continue;
        };
        // An X server's lock file: the owner's pid in ten columns.
        io::Write::write_all(&mut file, format!("{process:>10}\n").as_bytes())?;
        let path = sockets.join(format!("X{number}"));
        match UnixListener::bind(&path) {
            Ok(listener) => return Ok((listener, number, path, lock)),
            Err(_) => {
                // A socket left by a server that died without its lock: not ours to remove.
                let _ = std::fs::remove_file(&lock);
            }
        }
    }
    Err(io::Error::other(
        "no free display number for a fake X server",
    ))
}

impl FakeXServer {
    /// Starts a server answering as `script` says.
    ///
    /// # Errors
    ///
    /// When the socket or the thread cannot be made.
    pub fn start(script: XScript) -> io::Result<Self> {
        let (listener, number, path, lock) = bind_free_display()?;
        let mut atoms = Atoms {
            names: HashMap::new(),
            next: 100,
        };
        for (name, atom) in PREDEFINED_ATOMS {
            atoms.names.insert(name.to_owned(), atom);
        }
        // Names the script uses exist from the start, as they would on a server whose clients
        // set those properties.
        let properties = script
            .windows
            .iter()
            .flat_map(|window| &window.properties)
            .chain(&script.root_properties);
        for property in properties {
            atoms.intern(&property.name, true);
            atoms.intern(&property.type_name, true);
        }
        if script.monitors.iter().any(|monitor| monitor.edid.is_some()) {
            atoms.intern("EDID", true);
        }
        let state = Arc::new(ServerState {
            script,
            atoms: Mutex::new(atoms),
            images: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            requests: Mutex::new(HashMap::new()),
            sockets: Mutex::new(Vec::new()),
            closing: AtomicBool::new(false),
        });
        let threads = Arc::new(Mutex::new(Vec::new()));
        let listener = {
            let state = Arc::clone(&state);
            let threads = Arc::clone(&threads);
            std::thread::Builder::new()
                .name("fake-x-server".to_owned())
                .spawn(move || accept(&listener, &state, &threads))?
        };
        Ok(Self {
            state,
            path,
            lock,
            display: format!(":{number}"),
            listener: Some(listener),
            threads,
        })
    }

    /// The display name to connect to: `:<n>`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The socket's path, which is also a display name (one x11rb 0.14 parses but then
    /// connects to display 0 for, and libxcb 1.15 does not parse).
    pub fn socket_path(&self) -> &str {
        self.path.to_str().unwrap_or_default()
    }

    /// A new x11rb pure-Rust connection to the server, over its socket.
    ///
    /// # Errors
    ///
    /// When the socket cannot be connected or the setup fails.
    pub fn connect(
        &self,
    ) -> Result<x11rb::rust_connection::RustConnection, x11rb::errors::ConnectError> {
        let stream = UnixStream::connect(&self.path)?;
        let stream = x11rb::rust_connection::DefaultStream::from_unix_stream(stream)?.0;
        x11rb::rust_connection::RustConnection::connect_to_stream(stream, 0)
    }

    /// The script the server answers with.
    pub fn script(&self) -> &XScript {
        &self.state.script
    }

    /// How many connections arrived so far.
    pub fn connections(&self) -> usize {
        self.state.connections.load(Ordering::SeqCst)
    }

    /// How many requests named `name` (see [`request_name`]) arrived so far, on every
    /// connection.
    pub fn requests(&self, name: &str) -> usize {
        ServerState::lock(&self.state.requests)
            .get(name)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for FakeXServer {
    fn drop(&mut self) {
        self.state.closing.store(true, Ordering::SeqCst);
        for socket in ServerState::lock(&self.state.sockets).iter() {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
        // Wakes the listener, which sees it is closing.
        drop(UnixStream::connect(&self.path));
        if let Some(listener) = self.listener.take() {
            let _ = listener.join();
        }
        let threads = std::mem::take(&mut *ServerState::lock(&self.threads));
        for thread in threads {
            let _ = thread.join();
        }
        let _ = std::fs::remove_file(&self.path);
        let _ = std::fs::remove_file(&self.lock);
    }
}

/// Accepts connections until the server stops, serving each on a thread of its own.
fn accept(listener: &UnixListener, state: &Arc<ServerState>, threads: &Mutex<Vec<JoinHandle<()>>>) {
    for stream in listener.incoming() {
        if state.closing.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let index = state.connections.fetch_add(1, Ordering::SeqCst);
        if let Ok(copy) = stream.try_clone() {
            ServerState::lock(&state.sockets).push(copy);
        }
        // A socket shut down after the server's drop looked at the list: closed here.
        if state.closing.load(Ordering::SeqCst) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
            return;
        }
        let state = Arc::clone(state);
        let thread = std::thread::Builder::new()
            .name(format!("fake-x-client-{index}"))
            .spawn(move || serve::serve(&state, stream, index));
        if let Ok(thread) = thread {
            ServerState::lock(threads).push(thread);
        }
    }
}

#[cfg(test)]
mod tests;
