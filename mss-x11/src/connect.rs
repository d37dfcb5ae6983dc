//! Opening a pure-Rust connection whose setup is bounded in time, and [`AutoConnectError`], why
//! opening a connection failed.
//!
//! `RustConnection::connect` (like libxcb's `xcb_connect`) blocks without limit while the
//! server does not answer the connection setup, which is what a stopped server (SIGSTOP) or a
//! silent TCP peer does. Here the socket is made first, TCP with `connect_timeout`, and a
//! [`Watchdog`] on a duplicate of it cuts the setup off at the deadline. The same watchdog then
//! keeps watching every later wait on the connection.

use std::net::{TcpStream, ToSocketAddrs as _};
use std::os::fd::AsFd as _;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use x11rb::errors::{ConnectError, DisplayParsingError, LibxcbLoadError};
use x11rb::reexports::x11rb_protocol::parse_display::{ConnectAddress, parse_display};
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
    /// The server did not finish the connection setup within the time allowed.
    #[error("the server did not finish the connection setup within {0:?}")]
    Timeout(Duration),
}

/// Connects to `display` with x11rb's pure-Rust connection, every step within `timeout`, and
/// returns the connection, the screen number and the watchdog now guarding it.
///
/// # Errors
///
/// [`AutoConnectError::Timeout`] when the server does not finish the setup in time; the
/// connection error otherwise.
pub(crate) fn connect_pure_rust(
    display: Option<&str>,
    timeout: Duration,
) -> Result<(RustConnection, usize, Watchdog), AutoConnectError> {
    let parsed = parse_display(display).map_err(ConnectError::DisplayParsingError)?;
    let screen = usize::from(parsed.screen);
    let deadline = Instant::now() + timeout;
    let mut last_error = None;
    for address in parsed.connect_instruction() {
        let connected = match &address {
            ConnectAddress::Hostname(host, port) => {
                connect_tcp(host, *port, deadline).and_then(DefaultStream::from_tcp_stream)
            }
            ConnectAddress::Socket(path) => {
                UnixStream::connect(path).and_then(DefaultStream::from_unix_stream)
            }
            _ => Err(std::io::Error::other(
                "an address family x11rb does not know",
            )),
        };
        let (stream, (family, peer)) = match connected {
            Ok(connected) => connected,
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {
                return Err(AutoConnectError::Timeout(timeout));
            }
            Err(error) => {
                last_error = Some(error);
                continue;
            }
        };
        let socket = stream
            .as_fd()
            .try_clone_to_owned()
            .map_err(ConnectError::IoError)?;
        let watchdog = Watchdog::start(socket, timeout).map_err(ConnectError::IoError)?;
        let (auth_name, auth_data) = get_auth(family, &peer, parsed.display)
            .unwrap_or(None)
            .unwrap_or_default();
        let guard = watchdog.guard();
        let connection =
            RustConnection::connect_to_stream_with_auth_info(stream, screen, auth_name, auth_data);
        drop(guard);
        return match connection {
            Ok(connection) => Ok((connection, screen, watchdog)),
            Err(_) if watchdog.fired() => Err(AutoConnectError::Timeout(timeout)),
            Err(error) => Err(error.into()),
        };
    }
    Err(match last_error {
        Some(error) => ConnectError::IoError(error).into(),
        None => ConnectError::DisplayParsingError(DisplayParsingError::Unknown).into(),
    })
}

/// A TCP connection to `host:port` by the deadline, trying each address the name resolves to.
fn connect_tcp(host: &str, port: u16, deadline: Instant) -> std::io::Result<TcpStream> {
    let mut last_error = None;
    for address in (host, port).to_socket_addrs()? {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        match TcpStream::connect_timeout(&address, left) {
            Ok(stream) => return Ok(stream),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("the host name resolves to nothing")))
}
