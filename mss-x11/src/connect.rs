//! Opening a pure-Rust connection whose every step is bounded in time, [`within`] (a blocking
//! step on a helper thread that is given up at the deadline), and [`AutoConnectError`], why
//! opening a connection failed.
//!
//! `RustConnection::connect` (like libxcb's `xcb_connect`) blocks without limit while the
//! server does not answer the connection setup, which is what a stopped server (SIGSTOP) or a
//! silent TCP peer does, and before that while a host name is looked up (a resolver that does
//! not answer), a Unix socket is connected (a stopped server's full backlog) or the X authority
//! file is read (a home directory on a dead network mount). Here the steps before the setup
//! run on a helper thread that is waited for until the deadline and left behind after it; the
//! socket they make is then watched by a [`Watchdog`], which cuts the setup off at the same
//! deadline and keeps watching every later wait on the connection.
//!
//! It also connects to display names that are a socket's path (`/run/user/1000/x11/X5`),
//! which x11rb 0.14 parses but then connects to display 0's socket instead.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs as _};
use std::os::fd::AsFd as _;
use std::os::unix::net::UnixStream;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use x11rb::errors::{ConnectError, DisplayParsingError, LibxcbLoadError};
use x11rb::reexports::x11rb_protocol::parse_display::{
    ConnectAddress, ParsedDisplay, parse_display,
};
use x11rb::reexports::x11rb_protocol::xauth::get_auth;
use x11rb::rust_connection::{DefaultStream, RustConnection};

use crate::watchdog::Watchdog;

/// Why [`AutoConnection::connect`](crate::AutoConnection::connect) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AutoConnectError {
    /// Connecting failed (a malformed name, no server, refused authentication).
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// [`ConnectionPreference::Libxcb`](crate::ConnectionPreference::Libxcb) was asked for and
    /// libxcb cannot be loaded.
    #[error("libxcb could not be loaded: {0}")]
    LibxcbUnavailable(#[source] LibxcbLoadError),
    /// A step of opening the connection did not finish within the time allowed.
    #[error("{waiting_for} did not finish within {timeout:?}")]
    Timeout {
        /// What was being waited for: `the connection setup`, `the host name lookup of
        /// "example.org"`, ...
        waiting_for: String,
        /// The time allowed for opening the connection.
        timeout: Duration,
    },
}

/// What the setup over an open socket is called while it is waited for.
pub(crate) const SETUP: &str = "the connection setup";

/// Why [`within`] returned without the result.
#[derive(Debug)]
pub(crate) enum Within {
    /// The deadline passed while the helper was at this step (in words).
    Deadline(String),
    /// The helper thread could not be started, or panicked (at the step named).
    Failed(std::io::Error),
}

impl Within {
    /// The error for a connection attempt that did not get its step's result: a timeout (of
    /// `timeout`) naming the step, or the helper's failure.
    pub(crate) fn into_error(self, timeout: Duration) -> AutoConnectError {
        match self {
            Self::Deadline(waiting_for) => AutoConnectError::Timeout {
                waiting_for,
                timeout,
            },
            Self::Failed(error) => ConnectError::IoError(error).into(),
        }
    }
}

/// What a step run [`within`] a deadline tells its waiter: where it is now, in words, so that a
/// timeout names what was waited for.
#[derive(Clone, Debug)]
pub(crate) struct Progress(Arc<Mutex<String>>);

impl Progress {
    fn new(step: &str) -> Self {
        Self(Arc::new(Mutex::new(step.to_owned())))
    }

    /// Says that the step now waits for `step`.
    pub(crate) fn now(&self, step: impl Into<String>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = step.into();
    }

    fn current(&self) -> String {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Runs `work` on a helper thread named `name` and waits for its result until `deadline`
/// (without a deadline, runs it here). Past the deadline the helper is left to finish on its
/// own, and its result, when it comes, is dropped there: a connection it made is closed. That is
/// the only way to bound a call that cannot be interrupted (the C library's resolver, libxcb's
/// setup); the helper holds nothing the caller needs, and ends as soon as the call returns.
///
/// # Errors
///
/// [`Within::Deadline`] naming the step `work` last reported through its [`Progress`] (which
/// starts as `first_step`); [`Within::Failed`] when no thread can be started or it panicked.
pub(crate) fn within<T: Send + 'static>(
    deadline: Option<Instant>,
    name: &str,
    first_step: &str,
    work: impl FnOnce(&Progress) -> T + Send + 'static,
) -> Result<T, Within> {
    let progress = Progress::new(first_step);
    let Some(deadline) = deadline else {
        return Ok(work(&progress));
    };
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    let helper_progress = progress.clone();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            // The waiter may be gone: the result is then dropped here.
            let _ = sender.send(work(&helper_progress));
        })
        .map_err(Within::Failed)?;
    let left = deadline.saturating_duration_since(Instant::now());
    match receiver.recv_timeout(left) {
        Ok(result) => Ok(result),
        Err(RecvTimeoutError::Timeout) => Err(Within::Deadline(progress.current())),
        Err(RecvTimeoutError::Disconnected) => Err(Within::Failed(std::io::Error::other(format!(
            "{name} failed while {}",
            progress.current()
        )))),
    }
}

/// A name resolver: `host` and `port` to the addresses to try. The C library's, through the
/// standard library, unless a test gives another.
pub(crate) type Resolve = fn(&str, u16) -> std::io::Result<Vec<SocketAddr>>;

/// The C library's resolver.
fn system_resolve(host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    Ok((host, port).to_socket_addrs()?.collect())
}

/// Connects to `display` with x11rb's pure-Rust connection and returns the connection, the
/// screen number and, with a `timeout`, the watchdog now guarding it. Every step (host lookup,
/// socket, authority file, setup) ends by `deadline`; later waits are each allowed `timeout`.
///
/// # Errors
///
/// [`AutoConnectError::Timeout`] naming the step that did not finish in time; the connection
/// error otherwise.
pub(crate) fn connect_pure_rust(
    display: Option<&str>,
    limits: Option<(Duration, Instant)>,
) -> Result<(RustConnection, usize, Option<Watchdog>), AutoConnectError> {
    connect_pure_rust_with(display, limits, system_resolve)
}

/// [`connect_pure_rust`] with the resolver `resolve`.
pub(crate) fn connect_pure_rust_with(
    display: Option<&str>,
    limits: Option<(Duration, Instant)>,
    resolve: Resolve,
) -> Result<(RustConnection, usize, Option<Watchdog>), AutoConnectError> {
    let parsed = parse_display(display).map_err(ConnectError::DisplayParsingError)?;
    let screen = usize::from(parsed.screen);
    let deadline = limits.map(|(_, deadline)| deadline);
    let timeout = limits.map_or(Duration::ZERO, |(timeout, _)| timeout);
    let opened = within(
        deadline,
        "mss-x11-connect",
        "connecting to the display's socket",
        move |progress| open_socket(&parsed, deadline, resolve, progress),
    );
    let (stream, auth_name, auth_data) = opened.map_err(|error| error.into_error(timeout))??;
    let Some((timeout, deadline)) = limits else {
        let connection =
            RustConnection::connect_to_stream_with_auth_info(stream, screen, auth_name, auth_data)?;
        return Ok((connection, screen, None));
    };
    let socket = stream
        .as_fd()
        .try_clone_to_owned()
        .map_err(ConnectError::IoError)?;
    let watchdog = Watchdog::start(socket, timeout).map_err(ConnectError::IoError)?;
    let guard = watchdog.guard_until(deadline);
    let connection =
        RustConnection::connect_to_stream_with_auth_info(stream, screen, auth_name, auth_data);
    drop(guard);
    match connection {
        Ok(connection) => Ok((connection, screen, Some(watchdog))),
        Err(_) if watchdog.fired() => Err(Within::Deadline(SETUP.to_owned()).into_error(timeout)),
        Err(error) => Err(error.into()),
    }
}

/// The socket to the server `parsed` names, and the authorisation to present: the first address
/// that connects, trying each in turn (a TCP connection by `deadline`).
fn open_socket(
    parsed: &ParsedDisplay,
    deadline: Option<Instant>,
    resolve: Resolve,
    progress: &Progress,
) -> Result<(DefaultStream, Vec<u8>, Vec<u8>), AutoConnectError> {
    let mut last_error = None;
    for address in addresses(parsed) {
        let connected = match &address {
            ConnectAddress::Hostname(host, port) => {
                connect_tcp(host, *port, deadline, resolve, progress)
                    .and_then(DefaultStream::from_tcp_stream)
            }
            ConnectAddress::Socket(path) => {
                progress.now(format!("connecting to the socket {path:?}"));
                UnixStream::connect(path).and_then(DefaultStream::from_unix_stream)
            }
            _ => Err(std::io::Error::other(
                "an address family x11rb does not know",
            )),
        };
        let (stream, (family, peer)) = match connected {
            Ok(connected) => connected,
            Err(error) => {
                last_error = Some(error);
                continue;
            }
        };
        progress.now("reading the X authority file");
        let (auth_name, auth_data) = get_auth(family, &peer, parsed.display)
            .unwrap_or(None)
            .unwrap_or_default();
        return Ok((stream, auth_name, auth_data));
    }
    Err(match last_error {
        Some(error) => ConnectError::IoError(error).into(),
        None => ConnectError::DisplayParsingError(DisplayParsingError::Unknown).into(),
    })
}

/// The addresses to try for `parsed`, in order, as x11rb 0.14 lists them, except where it goes
/// wrong: a display named by a socket's path (`/tmp/x/X5`, `unix:/tmp/x/X5`) is that socket
/// (x11rb tries display 0's socket), and a display number whose TCP port would pass 65535 has
/// no TCP address (x11rb's addition overflows: a panic, or another port).
fn addresses(parsed: &ParsedDisplay) -> Vec<ConnectAddress<'_>> {
    const TCP_PORT_BASE: u16 = 6000;
    let ParsedDisplay {
        host,
        protocol,
        display,
        ..
    } = parsed;
    let unix = protocol.as_deref() == Some("unix");
    if unix && host.starts_with('/') {
        return vec![ConnectAddress::Socket(host.clone())];
    }
    let port = TCP_PORT_BASE.checked_add(*display);
    let mut addresses = Vec::new();
    if !unix && !host.is_empty() && host != "unix" {
        addresses.extend(port.map(|port| ConnectAddress::Hostname(host, port)));
    } else {
        if protocol.is_none() || unix {
            addresses.push(ConnectAddress::Socket(format!("/tmp/.X11-unix/X{display}")));
        }
        if protocol.is_none() && host.is_empty() {
            addresses.extend(port.map(|port| ConnectAddress::Hostname("localhost", port)));
        }
    }
    addresses
}

/// A TCP connection to `host:port` by the deadline, trying each address the name resolves to.
fn connect_tcp(
    host: &str,
    port: u16,
    deadline: Option<Instant>,
    resolve: Resolve,
    progress: &Progress,
) -> std::io::Result<TcpStream> {
    progress.now(format!("the host name lookup of {host:?}"));
    let mut last_error = None;
    for address in resolve(host, port)? {
        progress.now(format!("connecting to {address}"));
        let connected = match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(std::io::ErrorKind::TimedOut.into());
                }
                TcpStream::connect_timeout(&address, left)
            }
            None => TcpStream::connect(address),
        };
        match connected {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("the host name resolves to nothing")))
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    /// Set once the test is done with the silent resolver, which then gives up.
    static RELEASED: (Mutex<bool>, std::sync::Condvar) =
        (Mutex::new(false), std::sync::Condvar::new());

    /// A resolver that does not answer until the test releases it (a resolver whose name
    /// servers are silent, made without a network).
    fn silent_resolver(_host: &str, _port: u16) -> std::io::Result<Vec<SocketAddr>> {
        let (released, wake) = &RELEASED;
        let mut released = released.lock().unwrap();
        while !*released {
            released = wake.wait(released).unwrap();
        }
        Err(std::io::Error::other("the test released the resolver"))
    }

    #[test]
    fn a_host_lookup_that_never_answers_times_out_naming_the_host() {
        let timeout = Duration::from_millis(300);
        let started = Instant::now();
        let error = connect_pure_rust_with(
            Some("silent.example:0"),
            Some((timeout, started + timeout)),
            silent_resolver,
        )
        .err()
        .expect("no connection");
        assert!(
            matches!(&error, AutoConnectError::Timeout { waiting_for, timeout: t }
                if waiting_for == "the host name lookup of \"silent.example\"" && *t == timeout),
            "{error:?}"
        );
        assert!(started.elapsed() >= timeout);
        // The helper, left behind in the resolver, ends once it returns.
        *RELEASED.0.lock().unwrap() = true;
        RELEASED.1.notify_all();
    }

    #[test]
    fn a_step_that_ends_in_time_gives_its_result_and_a_late_one_its_step() {
        let soon = Some(Instant::now() + Duration::from_secs(60));
        assert_eq!(within(soon, "test", "adding", |_| 2 + 2).unwrap(), 4);
        assert_eq!(within(None, "test", "adding", |_| 2 + 2).unwrap(), 4);
        let (release, held) = mpsc::channel::<()>();
        let late = within(Some(Instant::now()), "test", "starting", move |progress| {
            progress.now("waiting for the release");
            let _ = held.recv();
        });
        // The step it was at when the deadline passed: either, as the helper may not have
        // begun yet.
        assert!(
            matches!(&late, Err(Within::Deadline(step))
                if step == "starting" || step == "waiting for the release"),
            "{late:?}"
        );
        // The helper, released, ends on its own.
        drop(release);
    }

    #[test]
    fn a_display_named_by_a_socket_path_is_that_socket() {
        let directory = std::env::temp_dir();
        let path = directory.to_str().unwrap();
        let parsed = parse_display(Some(path)).unwrap();
        assert_eq!(
            addresses(&parsed),
            vec![ConnectAddress::Socket(path.to_owned())]
        );
        let parsed = parse_display(Some(":7")).unwrap();
        assert_eq!(
            addresses(&parsed),
            vec![
                ConnectAddress::Socket("/tmp/.X11-unix/X7".to_owned()),
                ConnectAddress::Hostname("localhost", 6007)
            ]
        );
    }

    /// x11rb adds the display number to 6000 in 16 bits: a panic in a debug build.
    #[test]
    fn a_display_number_past_the_last_tcp_port_has_only_its_socket() {
        let parsed = parse_display(Some(":65000")).unwrap();
        assert_eq!(
            addresses(&parsed),
            vec![ConnectAddress::Socket("/tmp/.X11-unix/X65000".to_owned())]
        );
        let parsed = parse_display(Some("example.org:65000")).unwrap();
        assert_eq!(addresses(&parsed), vec![]);
        let parsed = parse_display(Some("example.org:1")).unwrap();
        assert_eq!(
            addresses(&parsed),
            vec![ConnectAddress::Hostname("example.org", 6001)]
        );
        let parsed = parse_display(Some("unix/:3")).unwrap();
        assert_eq!(
            addresses(&parsed),
            vec![ConnectAddress::Socket("/tmp/.X11-unix/X3".to_owned())]
        );
    }
}
