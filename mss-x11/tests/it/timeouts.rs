//! Every wait on the display has a deadline: a client holding a server grab, or a stopped
//! server, makes the waiting call fail with `Error::Timeout` naming the display and what was
//! waited for, quickly, and later calls say the connection was closed. The default deadline is
//! 10 s, and `None` means none at all.

use std::time::{Duration, Instant};

use mss_core::{Capture as _, Error};
use mss_x11::x11rb::protocol::xproto::ConnectionExt as _;
use mss_x11::x11rb::rust_connection::RustConnection;
use mss_x11::{ConnectionPreference, DEFAULT_TIMEOUT, X11Display, X11Options};
use rstest::rstest;

use crate::support::{DisplayCapture, region, xvfb};

const LIMIT: Duration = Duration::from_millis(600);

fn options(preference: ConnectionPreference) -> X11Options {
    X11Options::new()
        .connection(preference)
        .timeout(Some(LIMIT))
}

/// Another client that grabs the server: until it lets go, nobody else's requests are served.
fn grab_server(display: &str) -> RustConnection {
    let (connection, _) = RustConnection::connect(Some(display)).unwrap();
    connection.grab_server().unwrap();
    connection.get_input_focus().unwrap().reply().unwrap();
    connection
}

/// Asserts a timeout on `display` after `LIMIT`: never before it, and long before the default
/// deadline, so the limit given is the one that ended the wait (however loaded the machine,
/// a watchdog is not late by seconds).
fn assert_timed_out(error: &Error, display: &str, started: Instant) {
    let took = started.elapsed();
    assert!(
        matches!(error, Error::Timeout { display: named, seconds, .. }
            if named == display && (*seconds - LIMIT.as_secs_f64()).abs() < 1e-9),
        "{error:?}"
    );
    assert!(took >= LIMIT, "gave up early, after {took:?}");
    assert!(took < DEFAULT_TIMEOUT / 2, "took {took:?}");
}

#[rstest]
#[case::libxcb(ConnectionPreference::Libxcb)]
#[case::pure_rust(ConnectionPreference::PureRust)]
fn a_server_grab_by_another_client_times_the_grab_out_and_closes_the_connection(
    #[case] preference: ConnectionPreference,
) {
    let server = xvfb(64, 48, 24);
    let mut display = X11Display::open_with(Some(server.display()), options(preference)).unwrap();
    let grabber = grab_server(server.display());
    let started = Instant::now();
    let error = display.get_image(region(0, 0, 8, 8)).unwrap_err();
    assert_timed_out(&error, server.display(), started);
    assert!(
        matches!(&error, Error::Timeout { waiting_for, .. } if waiting_for == "GetImage"),
        "{error:?}"
    );
    // Later calls fail at once, saying why: while the grab still holds (a call that asked the
    // server would wait out another deadline and be a timeout), and after it ends.
    let closed = |later: Error| {
        assert!(
            matches!(&later, Error::ConnectionLost { reason, .. }
                if reason.contains("did not answer within 0.6 s")),
            "{later:?}"
        );
    };
    closed(display.get_image(region(0, 0, 8, 8)).unwrap_err());
    drop(grabber);
    closed(display.get_image(region(0, 0, 8, 8)).unwrap_err());
    // The server is fine: a new capturer works.
    let mut fresh = DisplayCapture::open(&server, options(preference));
    fresh.grab(region(0, 0, 8, 8)).unwrap();
}

#[rstest]
#[case::auto(ConnectionPreference::Auto)]
#[case::pure_rust(ConnectionPreference::PureRust)]
fn a_stopped_server_times_the_connection_setup_out(#[case] preference: ConnectionPreference) {
    let server = xvfb(64, 48, 24);
    let pid = rustix::process::Pid::from_raw(server.pid() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::STOP).unwrap();
    let started = Instant::now();
    let error = X11Display::open_with(Some(server.display()), options(preference)).unwrap_err();
    rustix::process::kill_process(pid, rustix::process::Signal::CONT).unwrap();
    assert_timed_out(&error, server.display(), started);
    assert!(
        matches!(&error, Error::Timeout { waiting_for, .. } if waiting_for == "the connection setup"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "display {:?} did not answer within 0.6 s while waiting for the connection setup; \
             the connection was closed, so this capturer cannot be used again",
            server.display()
        )
    );
}

#[test]
fn a_server_stopped_after_opening_times_monitors_out() {
    let server = xvfb(64, 48, 24);
    let mut capture = DisplayCapture::open(&server, options(ConnectionPreference::Auto));
    let pid = rustix::process::Pid::from_raw(server.pid() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::STOP).unwrap();
    let started = Instant::now();
    let error = capture.monitors().unwrap_err();
    rustix::process::kill_process(pid, rustix::process::Signal::CONT).unwrap();
    assert_timed_out(&error, server.display(), started);
}

#[test]
fn without_a_limit_nothing_is_cut_off() {
    let server = xvfb(64, 48, 24);
    let scene = crate::support::scene(&server);
    let mut unlimited =
        X11Display::open_with(Some(server.display()), X11Options::new().timeout(None)).unwrap();
    // No deadline at all: the connection has no watchdog to cut a wait off.
    assert_eq!(unlimited.connection().timeout(), None);
    let mut limited =
        X11Display::open_with(Some(server.display()), options(ConnectionPreference::Auto)).unwrap();
    let grabber = grab_server(server.display());
    let waiting = std::thread::spawn(move || unlimited.get_image(region(0, 0, 8, 8)));
    // A display with a limit gives up on the same grab; the one without is still waiting.
    let started = Instant::now();
    let error = limited.get_image(region(0, 0, 8, 8)).unwrap_err();
    assert_timed_out(&error, server.display(), started);
    assert!(!waiting.is_finished(), "the wait without a limit ended");
    // Once the grab ends, it gets its answer.
    drop(grabber);
    let frame = waiting.join().unwrap().unwrap();
    scene.assert_frame(&frame);
}

#[test]
fn the_default_limit_is_10_seconds_per_wait() {
    assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(10));
    assert_eq!(DEFAULT_TIMEOUT, mss_core::OpenOptions::DEFAULT_TIMEOUT);
    let server = xvfb(64, 48, 24);
    // Through every way of opening without a limit named: the connection's watchdog has the
    // default (and the tests above show a watchdog ends a wait at its limit).
    let display = X11Display::open(Some(server.display())).unwrap();
    assert_eq!(display.connection().timeout(), Some(DEFAULT_TIMEOUT));
    let display = X11Display::open_with(Some(server.display()), X11Options::new()).unwrap();
    assert_eq!(display.connection().timeout(), Some(DEFAULT_TIMEOUT));
    // What every backend is opened with carries the default, or no limit, through.
    let open = mss_core::OpenOptions::new();
    assert_eq!(open.wait_timeout(), Some(DEFAULT_TIMEOUT));
    assert_eq!(X11Options::from(&open), X11Options::new());
    assert_eq!(
        X11Options::from(&open.clone().timeout(None)),
        X11Options::new().timeout(None)
    );
    assert_eq!(
        X11Options::from(&open.timeout(Some(LIMIT))),
        X11Options::new().timeout(Some(LIMIT))
    );
}
