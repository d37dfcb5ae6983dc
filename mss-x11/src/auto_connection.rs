//! [`AutoConnection`]: libxcb when it can be loaded at run time, x11rb's pure-Rust connection
//! otherwise.
//!
//! # Why
//!
//! Both connections speak the same protocol, but they read replies differently, and for the
//! one reply that matters here, a `GetImage` of a whole screen, the difference is large:
//! x11rb 0.14's pure-Rust reader grows a zero-filled buffer to the reply's size and then reads
//! into it, so each 4K frame costs a 33 MB fill and fresh pages on top of the socket copy,
//! about three times what libxcb takes (measured: see BENCHMARKS.md). libxcb is on every X11
//! desktop, but linking it would put a C library in every build. x11rb's `dl-libxcb` feature
//! loads it with `dlopen` on first use instead, so the build links nothing and the speed is
//! libxcb's wherever the library exists; where it does not (a minimal container), the
//! pure-Rust connection still works, and the status says why it is in use.

use std::borrow::Cow;
use std::ffi::CString;
use std::fmt;
use std::io::IoSlice;
use std::os::fd::{AsFd, BorrowedFd};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use x11rb::connection::{
    BufWithFds, Connection, DiscardMode, ReplyOrError, RequestConnection, RequestKind,
    SequenceNumber,
};
use x11rb::cookie::{Cookie, CookieWithFds, VoidCookie};
use x11rb::errors::{
    ConnectError, ConnectionError, DisplayParsingError, LibxcbLoadError, ParseError, ReplyOrIdError,
};
use x11rb::protocol::Event;
use x11rb::protocol::xproto::Setup;
use x11rb::rust_connection::RustConnection;
use x11rb::utils::{CSlice, RawFdContainer};
use x11rb::x11_utils::{ExtensionInformation, TryParse, TryParseFd, X11Error};
use x11rb::xcb_ffi::XCBConnection;

use crate::connect::{AutoConnectError, SETUP, within};
use crate::connection::{ExpiredWait, LIBXCB, PURE_RUST, X11Connection};
use crate::watchdog::{WaitGuard, Watchdog};

/// Which connection [`AutoConnection::connect`] makes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionPreference {
    /// libxcb, loaded at run time, when it can be loaded and connects; x11rb's pure-Rust
    /// connection otherwise (the reason is kept).
    #[default]
    Auto,
    /// libxcb or nothing: an error when it cannot be loaded.
    Libxcb,
    /// x11rb's pure-Rust connection, without trying libxcb.
    PureRust,
}

/// Attempts at the connection setup before the last one, when the server resets it.
const SETUP_RETRIES: usize = 5;
/// The wait before the first new attempt; it doubles each time (10 + 20 + ... + 160 ms).
const SETUP_RETRY_FIRST_DELAY: Duration = Duration::from_millis(10);
/// What libxcb's connection is called while it is waited for.
const LIBXCB_SETUP: &str = "libxcb's connection setup";

/// Whether `error` is the server dropping the connection during the setup, as an X server
/// does while it resets.
fn is_server_reset(error: &AutoConnectError) -> bool {
    matches!(error, AutoConnectError::Connect(error) if is_reset(error))
}

/// [`is_server_reset`] for x11rb's error: the socket reset, closed or broken under the setup
/// (pure Rust), or libxcb's generic connection error (all libxcb says of the same).
fn is_reset(error: &ConnectError) -> bool {
    use std::io::ErrorKind;
    match error {
        ConnectError::IoError(error) => {
            matches!(
                error.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
            ) || (error.kind() == ErrorKind::Other
                && error
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<ConnectionError>())
                    .is_some_and(|inner| matches!(inner, ConnectionError::UnknownError)))
        }
        _ => false,
    }
}

/// The error of every call on a connection broken off after its library panicked.
fn broken() -> ConnectionError {
    ConnectionError::IoError(std::io::Error::other(
        "the X server's answers broke the connection library (a packet numbered out of \
         sequence, say), so the connection was closed",
    ))
}

/// Why libxcb was not used.
enum LibxcbFailure {
    Load(LibxcbLoadError),
    Connect(ConnectError),
}

/// An X11 connection over libxcb (loaded at run time) or over x11rb's pure-Rust
/// implementation, chosen when it is opened ([`connect`](Self::connect)).
///
/// It is a complete x11rb [`Connection`], so requests of your own can go through it. Replies
/// come back as [`AutoBuf`].
///
/// # Deadlines
///
/// Opened with a timeout ([`connect_with_timeout`](Self::connect_with_timeout)), every wait on
/// the connection (a reply, an error check, a request that cannot be written) has that long;
/// past it the connection's socket is shut down, the wait fails, and
/// [`X11Connection::expired_wait`] says so. Waits for events are not bounded: events come when
/// they come.
///
/// # Broken servers
///
/// x11rb 0.14's libxcb connection panics when libxcb answers a wait with neither a reply nor
/// an error on a connection it calls healthy, which a server numbering its packets out of
/// sequence causes. This connection catches that panic, closes the socket and fails the call
/// and every later one with an error saying so (the panic's message still reaches the
/// process's panic hook).
///
/// # Thread safety
///
/// `Send + Sync`, as both connections it can hold are.
pub struct AutoConnection {
    inner: Inner,
    watchdog: Option<Watchdog>,
    /// Set once the connection was broken off (see [`shielded`](Self::shielded)).
    broken: AtomicBool,
}

/// The connection an [`AutoConnection`] holds.
enum Inner {
    /// libxcb, loaded with `dlopen`. Both connections are boxed: they differ in size by
    /// hundreds of bytes, and the box is followed once per request.
    Libxcb(Box<XCBConnection>),
    /// x11rb's pure-Rust connection, and why libxcb is not in use (`None` when it was not
    /// tried).
    PureRust(Box<RustConnection>, Option<String>),
}

/// A raw reply or event from an [`AutoConnection`]: libxcb's buffer or a `Vec`.
#[derive(Debug)]
pub enum AutoBuf {
    /// A buffer allocated by libxcb, freed with `free` when dropped.
    Libxcb(CSlice),
    /// A buffer read by x11rb's pure-Rust connection.
    PureRust(Vec<u8>),
}

impl AsRef<[u8]> for AutoBuf {
    fn as_ref(&self) -> &[u8] {
        match self {
            AutoBuf::Libxcb(buffer) => buffer,
            AutoBuf::PureRust(buffer) => buffer,
        }
    }
}

impl AutoConnection {
    /// Connects to `display` (a name such as `:0`; `None` reads `$DISPLAY`, as libxcb and
    /// x11rb do) with the connection `preference` names, and returns it with the screen number
    /// the name selects.
    ///
    /// With [`ConnectionPreference::Auto`], libxcb is tried first; if it cannot be loaded or
    /// cannot connect, the pure-Rust connection is opened and the reason is kept for
    /// [`describe_x11_connection`](X11Connection::describe_x11_connection). When both fail, the
    /// pure-Rust connection's error is returned: it tells a malformed name from a missing
    /// server from a refused authentication.
    ///
    /// # Errors
    ///
    /// [`AutoConnectError::Connect`] with the connection error, as x11rb gives it; with
    /// [`ConnectionPreference::Libxcb`], [`AutoConnectError::LibxcbUnavailable`] when the
    /// library cannot be loaded.
    pub fn connect(
        display: Option<&str>,
        preference: ConnectionPreference,
    ) -> Result<(Self, usize), AutoConnectError> {
        Self::connect_with_timeout(display, preference, None)
    }

    /// [`connect`](Self::connect), with every wait bounded by `timeout` (see "Deadlines"
    /// above), and opening the connection as a whole too: looking the host name up, connecting
    /// the socket, reading the X authority file and the setup all end within `timeout` of the
    /// call.
    ///
    /// With a timeout the setup is done first over a pure-Rust connection whose socket the
    /// deadline can cut, which proves the server answers; that connection is kept when pure
    /// Rust is preferred, else it is closed and libxcb connects. libxcb's own connection (its
    /// host lookup and setup, which nothing can interrupt) runs on a helper thread that is given
    /// up at the deadline: a server that stops in the instant between the two makes this a
    /// timeout, and the helper ends (closing what it opened) when the server answers or goes
    /// away.
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect), and [`AutoConnectError::Timeout`] naming the step that
    /// did not finish in time.
    ///
    /// A server that resets the connection during the setup is tried again, five times over
    /// about a third of a second (within the same deadline): an X server without `-noreset`
    /// (Xvfb in CI, say) resets itself when its last client leaves, and a client connecting in
    /// that instant is dropped; a script running `mss` again and again on an otherwise empty
    /// Xvfb meets exactly that.
    pub fn connect_with_timeout(
        display: Option<&str>,
        preference: ConnectionPreference,
        timeout: Option<Duration>,
    ) -> Result<(Self, usize), AutoConnectError> {
        let limits = timeout.map(|timeout| (timeout, Instant::now() + timeout));
        let mut delay = SETUP_RETRY_FIRST_DELAY;
        for _ in 0..SETUP_RETRIES {
            match Self::connect_once(display, preference, limits, false) {
                Err(error) if is_server_reset(&error) => {
                    if let Some((timeout, deadline)) = limits
                        && Instant::now() + delay >= deadline
                    {
                        return Err(AutoConnectError::Timeout {
                            waiting_for: SETUP.to_owned(),
                            timeout,
                        });
                    }
                    std::thread::sleep(delay);
                    delay *= 2;
                }
                other => return other,
            }
        }
        // The last attempt: a libxcb that still fails gives way to a pure-Rust connection.
        Self::connect_once(display, preference, limits, true)
    }

    /// One attempt of [`connect_with_timeout`](Self::connect_with_timeout), every step by the
    /// deadline of `limits` (with the time each later wait is allowed). Unless `last_attempt`,
    /// a libxcb connection that fails as a reset does right after the server answered the
    /// probe is reported as such, not replaced by a pure-Rust one, so that it is tried again.
    fn connect_once(
        display: Option<&str>,
        preference: ConnectionPreference,
        limits: Option<(Duration, Instant)>,
        last_attempt: bool,
    ) -> Result<(Self, usize), AutoConnectError> {
        let Some((timeout, deadline)) = limits else {
            return Self::connect_unbounded(display, preference, last_attempt);
        };
        let (probe, screen, probe_watchdog) = crate::connect::connect_pure_rust(display, limits)?;
        if preference == ConnectionPreference::PureRust {
            let mut connection = Self::pure_rust(probe, None);
            connection.watchdog = probe_watchdog;
            return Ok((connection, screen));
        }
        // The server answered a setup in time. Close that connection before libxcb makes its
        // own: some servers mishandle a client leaving while another is connected (Xvfb
        // 21.1 without XFIXES aborts), and one client at a time is all this needs.
        drop((probe, probe_watchdog));
        let owned_display = display.map(str::to_owned);
        let libxcb = within(
            Some(deadline),
            "mss-x11-libxcb-connect",
            LIBXCB_SETUP,
            move |_| Self::connect_libxcb_after_probe(owned_display.as_deref()),
        );
        match libxcb.map_err(|error| error.into_error(timeout))? {
            Ok((connection, screen)) => {
                let socket = connection
                    .as_fd()
                    .try_clone_to_owned()
                    .map_err(ConnectError::IoError)?;
                let watchdog = Watchdog::start(socket, timeout).map_err(ConnectError::IoError)?;
                let inner = Inner::Libxcb(Box::new(connection));
                Ok((
                    Self {
                        inner,
                        watchdog: Some(watchdog),
                        broken: AtomicBool::new(false),
                    },
                    screen,
                ))
            }
            Err(LibxcbFailure::Load(error)) if preference == ConnectionPreference::Libxcb => {
                Err(AutoConnectError::LibxcbUnavailable(error))
            }
            Err(LibxcbFailure::Connect(error))
                if preference == ConnectionPreference::Libxcb
                    || (!last_attempt && is_reset(&error)) =>
            {
                Err(error.into())
            }
            Err(failure) => {
                let reason = match failure {
                    LibxcbFailure::Load(error) => format!("libxcb could not be loaded: {error}"),
                    LibxcbFailure::Connect(error) => format!("libxcb could not connect: {error}"),
                };
                let (probe, screen, watchdog) = crate::connect::connect_pure_rust(display, limits)?;
                let mut connection = Self::pure_rust(probe, Some(reason));
                connection.watchdog = watchdog;
                Ok((connection, screen))
            }
        }
    }

    /// [`connect`](Self::connect) with no deadline anywhere.
    fn connect_unbounded(
        display: Option<&str>,
        preference: ConnectionPreference,
        last_attempt: bool,
    ) -> Result<(Self, usize), AutoConnectError> {
        if preference == ConnectionPreference::PureRust {
            let (connection, screen, _) = crate::connect::connect_pure_rust(display, None)?;
            return Ok((Self::pure_rust(connection, None), screen));
        }
        let libxcb_failure = match Self::connect_libxcb(display) {
            Ok((connection, screen)) => {
                let inner = Inner::Libxcb(Box::new(connection));
                return Ok((
                    Self {
                        inner,
                        watchdog: None,
                        broken: AtomicBool::new(false),
                    },
                    screen,
                ));
            }
            Err(LibxcbFailure::Load(error)) if preference == ConnectionPreference::Libxcb => {
                return Err(AutoConnectError::LibxcbUnavailable(error));
            }
            Err(LibxcbFailure::Connect(error))
                if preference == ConnectionPreference::Libxcb
                    || (!last_attempt && is_reset(&error)) =>
            {
                return Err(error.into());
            }
            Err(LibxcbFailure::Load(error)) => format!("libxcb could not be loaded: {error}"),
            Err(LibxcbFailure::Connect(error)) => format!("libxcb could not connect: {error}"),
        };
        let (connection, screen, _) = crate::connect::connect_pure_rust(display, None)?;
        Ok((Self::pure_rust(connection, Some(libxcb_failure)), screen))
    }

    fn pure_rust(connection: RustConnection, libxcb_failure: Option<String>) -> Self {
        Self {
            inner: Inner::PureRust(Box::new(connection), libxcb_failure),
            watchdog: None,
            broken: AtomicBool::new(false),
        }
    }

    /// The deadline for a wait starting now, when the connection has one.
    fn wait(&self) -> Option<WaitGuard<'_>> {
        self.watchdog.as_ref().map(Watchdog::guard)
    }

    /// `call` within a deadline ([`wait`](Self::wait)) and [`shielded`](Self::shielded).
    fn guarded<T>(
        &self,
        call: impl FnOnce() -> Result<T, ConnectionError>,
    ) -> Result<T, ConnectionError> {
        let _wait = self.wait();
        self.shielded(call)
    }

    /// `call`, unless the connection was broken off; a panic in it breaks the connection off.
    ///
    /// x11rb 0.14's libxcb connection panics when libxcb answers a wait with neither a reply
    /// nor an error on a connection it does not call broken, which a server makes happen by
    /// numbering a packet out of sequence (libxcb then takes the replies awaited as lost). The
    /// panic is caught here, the socket shut down (so libxcb, too, sees the connection as
    /// closed from now on) and the call fails like every later one, saying why. The panic's
    /// message still reaches the process's panic hook (standard error, by default).
    fn shielded<T>(
        &self,
        call: impl FnOnce() -> Result<T, ConnectionError>,
    ) -> Result<T, ConnectionError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(broken());
        }
        match std::panic::catch_unwind(AssertUnwindSafe(call)) {
            Ok(result) => result,
            Err(_) => Err(self.break_off()),
        }
    }

    /// Breaks the connection off after the connection library panicked: every later call
    /// fails with [`broken`].
    fn break_off(&self) -> ConnectionError {
        self.broken.store(true, Ordering::SeqCst);
        let _ = rustix::net::shutdown(self.as_fd(), rustix::net::Shutdown::Both);
        broken()
    }

    /// The time each wait is allowed, when the connection was opened with one.
    pub fn timeout(&self) -> Option<Duration> {
        self.watchdog.as_ref().map(Watchdog::timeout)
    }

    /// [`connect_libxcb`](Self::connect_libxcb) right after the probe closed. The probe may
    /// have been the server's last client, and a server without `-noreset` then resets and
    /// drops a client connecting in that instant; the server has just answered, so such a drop
    /// is tried again after a pause (about a third of a second in all), without a new probe
    /// that would start the same race.
    fn connect_libxcb_after_probe(
        display: Option<&str>,
    ) -> Result<(XCBConnection, usize), LibxcbFailure> {
        let mut delay = SETUP_RETRY_FIRST_DELAY;
        for _ in 0..SETUP_RETRIES {
            match Self::connect_libxcb(display) {
                Err(LibxcbFailure::Connect(error)) if is_reset(&error) => {
                    std::thread::sleep(delay);
                    delay *= 2;
                }
                other => return other,
            }
        }
        Self::connect_libxcb(display)
    }

    fn connect_libxcb(display: Option<&str>) -> Result<(XCBConnection, usize), LibxcbFailure> {
        // Loading first matters: x11rb panics if a libxcb function is called without it.
        x11rb::xcb_ffi::load_libxcb().map_err(LibxcbFailure::Load)?;
        let name = display.map(CString::new).transpose().map_err(|_| {
            LibxcbFailure::Connect(ConnectError::DisplayParsingError(
                DisplayParsingError::MalformedValue(display.unwrap_or_default().into()),
            ))
        })?;
        XCBConnection::connect(name.as_deref()).map_err(LibxcbFailure::Connect)
    }

    /// Whether this is the libxcb connection.
    pub fn is_libxcb(&self) -> bool {
        matches!(self.inner, Inner::Libxcb(_))
    }

    /// The libxcb connection, if this is one.
    pub fn as_libxcb(&self) -> Option<&XCBConnection> {
        match &self.inner {
            Inner::Libxcb(connection) => Some(connection),
            Inner::PureRust(..) => None,
        }
    }

    /// The pure-Rust connection, if this is one.
    pub fn as_pure_rust(&self) -> Option<&RustConnection> {
        match &self.inner {
            Inner::PureRust(connection, _) => Some(connection),
            Inner::Libxcb(_) => None,
        }
    }

    /// Why libxcb is not in use, when it was tried and failed.
    pub fn libxcb_failure(&self) -> Option<&str> {
        match &self.inner {
            Inner::PureRust(_, reason) => reason.as_deref(),
            Inner::Libxcb(_) => None,
        }
    }
}

impl fmt::Debug for AutoConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AutoConnection")
            .field(&self.describe_x11_connection())
            .finish()
    }
}

impl AsFd for AutoConnection {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.inner {
            Inner::Libxcb(connection) => connection.as_fd(),
            Inner::PureRust(connection, _) => connection.stream().as_fd(),
        }
    }
}

/// Calls `$method` on whichever connection `$self` holds.
macro_rules! delegate {
    ($self:ident, $connection:ident => $call:expr) => {
        match &$self.inner {
            Inner::Libxcb($connection) => $call,
            Inner::PureRust($connection, _) => $call,
        }
    };
}

/// Wraps a buffer from whichever connection.
macro_rules! wrap_buffer {
    ($self:ident, $connection:ident => $call:expr, $map:ident) => {
        match &$self.inner {
            Inner::Libxcb($connection) => $map($call, AutoBuf::Libxcb),
            Inner::PureRust($connection, _) => $map($call, AutoBuf::PureRust),
        }
    };
}

fn map_reply_or_error<B: fmt::Debug + AsRef<[u8]>>(
    result: Result<ReplyOrError<B>, ConnectionError>,
    wrap: fn(B) -> AutoBuf,
) -> Result<ReplyOrError<AutoBuf>, ConnectionError> {
    Ok(match result? {
        ReplyOrError::Reply(reply) => ReplyOrError::Reply(wrap(reply)),
        ReplyOrError::Error(error) => ReplyOrError::Error(wrap(error)),
    })
}

fn map_option<B>(
    result: Result<Option<B>, ConnectionError>,
    wrap: fn(B) -> AutoBuf,
) -> Result<Option<AutoBuf>, ConnectionError> {
    result.map(|buffer| buffer.map(wrap))
}

fn map_with_fds<B: fmt::Debug + AsRef<[u8]>>(
    result: Result<ReplyOrError<BufWithFds<B>, B>, ConnectionError>,
    wrap: fn(B) -> AutoBuf,
) -> Result<ReplyOrError<BufWithFds<AutoBuf>, AutoBuf>, ConnectionError> {
    Ok(match result? {
        ReplyOrError::Reply((reply, fds)) => ReplyOrError::Reply((wrap(reply), fds)),
        ReplyOrError::Error(error) => ReplyOrError::Error(wrap(error)),
    })
}

fn map_event<B>(
    result: Result<(B, SequenceNumber), ConnectionError>,
    wrap: fn(B) -> AutoBuf,
) -> Result<(AutoBuf, SequenceNumber), ConnectionError> {
    result.map(|(event, sequence)| (wrap(event), sequence))
}

fn map_optional_event<B>(
    result: Result<Option<(B, SequenceNumber)>, ConnectionError>,
    wrap: fn(B) -> AutoBuf,
) -> Result<Option<(AutoBuf, SequenceNumber)>, ConnectionError> {
    result.map(|event| event.map(|(event, sequence)| (wrap(event), sequence)))
}

impl RequestConnection for AutoConnection {
    type Buf = AutoBuf;

    // The inner connection's cookie is given up for its sequence number without being
    // dropped: dropping it would discard the reply this connection's own cookie waits for.
    // A cookie holds only a reference and a number, so forgetting it leaks nothing.

    fn send_request_with_reply<R>(
        &self,
        bufs: &[IoSlice<'_>],
        fds: Vec<RawFdContainer>,
    ) -> Result<Cookie<'_, Self, R>, ConnectionError>
    where
        R: TryParse,
    {
        let sequence = self.guarded(|| {
            delegate!(self, connection => {
                let cookie = connection.send_request_with_reply::<R>(bufs, fds)?;
                let sequence = cookie.sequence_number();
                std::mem::forget(cookie);
                Ok(sequence)
            })
        })?;
        Ok(Cookie::new(self, sequence))
    }

    fn send_request_with_reply_with_fds<R>(
        &self,
        bufs: &[IoSlice<'_>],
        fds: Vec<RawFdContainer>,
    ) -> Result<CookieWithFds<'_, Self, R>, ConnectionError>
    where
        R: TryParseFd,
    {
        let sequence = self.guarded(|| {
            delegate!(self, connection => {
                let cookie = connection.send_request_with_reply_with_fds::<R>(bufs, fds)?;
                let sequence = cookie.sequence_number();
                std::mem::forget(cookie);
                Ok(sequence)
            })
        })?;
        Ok(CookieWithFds::new(self, sequence))
    }

    fn send_request_without_reply(
        &self,
        bufs: &[IoSlice<'_>],
        fds: Vec<RawFdContainer>,
    ) -> Result<VoidCookie<'_, Self>, ConnectionError> {
        let sequence = self.guarded(|| {
            delegate!(self, connection => {
                let cookie = connection.send_request_without_reply(bufs, fds)?;
                let sequence = cookie.sequence_number();
                std::mem::forget(cookie);
                Ok(sequence)
            })
        })?;
        Ok(VoidCookie::new(self, sequence))
    }

    fn discard_reply(&self, sequence: SequenceNumber, kind: RequestKind, mode: DiscardMode) {
        delegate!(self, connection => connection.discard_reply(sequence, kind, mode));
    }

    fn prefetch_extension_information(
        &self,
        extension_name: &'static str,
    ) -> Result<(), ConnectionError> {
        self.guarded(|| delegate!(self, connection => connection.prefetch_extension_information(extension_name)))
    }

    fn extension_information(
        &self,
        extension_name: &'static str,
    ) -> Result<Option<ExtensionInformation>, ConnectionError> {
        self.guarded(
            || delegate!(self, connection => connection.extension_information(extension_name)),
        )
    }

    fn wait_for_reply_or_raw_error(
        &self,
        sequence: SequenceNumber,
    ) -> Result<ReplyOrError<AutoBuf>, ConnectionError> {
        self.guarded(|| wrap_buffer!(self, connection => connection.wait_for_reply_or_raw_error(sequence), map_reply_or_error))
    }

    fn wait_for_reply(&self, sequence: SequenceNumber) -> Result<Option<AutoBuf>, ConnectionError> {
        self.guarded(
            || wrap_buffer!(self, connection => connection.wait_for_reply(sequence), map_option),
        )
    }

    fn wait_for_reply_with_fds_raw(
        &self,
        sequence: SequenceNumber,
    ) -> Result<ReplyOrError<BufWithFds<AutoBuf>, AutoBuf>, ConnectionError> {
        self.guarded(|| wrap_buffer!(self, connection => connection.wait_for_reply_with_fds_raw(sequence), map_with_fds))
    }

    fn check_for_raw_error(
        &self,
        sequence: SequenceNumber,
    ) -> Result<Option<AutoBuf>, ConnectionError> {
        self.guarded(|| wrap_buffer!(self, connection => connection.check_for_raw_error(sequence), map_option))
    }

    fn prefetch_maximum_request_bytes(&self) {
        let _wait = self.wait();
        delegate!(self, connection => connection.prefetch_maximum_request_bytes());
    }

    fn maximum_request_bytes(&self) -> usize {
        let _wait = self.wait();
        delegate!(self, connection => connection.maximum_request_bytes())
    }

    fn parse_error(&self, error: &[u8]) -> Result<X11Error, ParseError> {
        delegate!(self, connection => connection.parse_error(error))
    }

    fn parse_event(&self, event: &[u8]) -> Result<Event, ParseError> {
        delegate!(self, connection => connection.parse_event(event))
    }
}

impl Connection for AutoConnection {
    fn wait_for_raw_event_with_sequence(
        &self,
    ) -> Result<(AutoBuf, SequenceNumber), ConnectionError> {
        self.shielded(|| {
            wrap_buffer!(self, connection => connection.wait_for_raw_event_with_sequence(), map_event)
        })
    }

    fn poll_for_raw_event_with_sequence(
        &self,
    ) -> Result<Option<(AutoBuf, SequenceNumber)>, ConnectionError> {
        self.shielded(|| {
            wrap_buffer!(self, connection => connection.poll_for_raw_event_with_sequence(), map_optional_event)
        })
    }

    fn flush(&self) -> Result<(), ConnectionError> {
        self.guarded(|| delegate!(self, connection => connection.flush()))
    }

    fn setup(&self) -> &Setup {
        delegate!(self, connection => connection.setup())
    }

    fn generate_id(&self) -> Result<u32, ReplyOrIdError> {
        // Running out of ids asks the server for a new range (XC-MISC): a round trip.
        let _wait = self.wait();
        if self.broken.load(Ordering::SeqCst) {
            return Err(broken().into());
        }
        match std::panic::catch_unwind(AssertUnwindSafe(
            || delegate!(self, connection => connection.generate_id()),
        )) {
            Ok(id) => id,
            Err(_) => Err(self.break_off().into()),
        }
    }
}

impl X11Connection for AutoConnection {
    fn x11_setup(&self) -> Cow<'_, Setup> {
        Cow::Borrowed(self.setup())
    }

    fn poll_x11_event(&self) -> Result<Option<Event>, ConnectionError> {
        self.poll_for_event()
    }

    fn generate_x11_id(&self) -> Result<u32, ReplyOrIdError> {
        self.generate_id()
    }

    fn x11_socket(&self) -> Option<BorrowedFd<'_>> {
        Some(self.as_fd())
    }

    fn expired_wait(&self) -> Option<ExpiredWait> {
        let watchdog = self.watchdog.as_ref().filter(|watchdog| watchdog.fired())?;
        Some(ExpiredWait {
            timeout: watchdog.timeout(),
            first_report: watchdog.report_first(),
        })
    }

    fn flush_requests(&self) -> Result<(), ConnectionError> {
        self.flush()
    }

    fn describe_x11_connection(&self) -> Cow<'_, str> {
        match &self.inner {
            Inner::Libxcb(_) => Cow::Borrowed(LIBXCB),
            Inner::PureRust(_, None) => Cow::Borrowed(PURE_RUST),
            Inner::PureRust(_, Some(reason)) => Cow::Owned(format!("{PURE_RUST} ({reason})")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_connections_and_their_buffers_cross_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<AutoConnection>();
        assert_send_sync::<AutoBuf>();
    }

    #[test]
    fn buffers_read_as_their_bytes() {
        let buffer = AutoBuf::PureRust(vec![1, 2, 3]);
        assert_eq!(buffer.as_ref(), &[1, 2, 3]);
    }

    #[test]
    fn display_names_with_a_nul_byte_are_malformed() {
        let error =
            AutoConnection::connect(Some(":1\0x"), ConnectionPreference::Libxcb).unwrap_err();
        assert!(
            matches!(
                error,
                AutoConnectError::Connect(ConnectError::DisplayParsingError(_))
            ),
            "{error:?}"
        );
    }
}
