//! The plumbing against the test kit's fake X server: connections to a display named by its
//! socket's path, and deadlines on every step of opening one (libxcb's own setup included),
//! which a real server cannot be made to miss on demand.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use mss_core::Error;
use mss_testkit::fake_x_server::{FakeXServer, SetupAnswer, XScript};
use mss_x11::{ConnectionPreference, X11Display, X11Options};
use rstest::rstest;

const LIMIT: Duration = Duration::from_millis(600);

/// The longest a bounded call may take here before the test calls it a hang: far beyond the
/// limit, so a loaded machine never trips it, and short enough to fail instead of hanging.
const HANG: Duration = Duration::from_secs(30);

fn options(preference: ConnectionPreference) -> X11Options {
    X11Options::new()
        .connection(preference)
        .timeout(Some(LIMIT))
}

/// Opens `server` on a thread of its own and waits for the result, failing the test when it
/// does not come within [`HANG`].
fn open(server: &FakeXServer, options: X11Options) -> (Result<X11Display, Error>, Duration) {
    open_named(server.display(), options)
}

/// [`open`] by the display name `display`.
fn open_named(display: &str, options: X11Options) -> (Result<X11Display, Error>, Duration) {
    let display = display.to_owned();
    let name = display.clone();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let started = Instant::now();
        let opened = X11Display::open_with(Some(&display), options);
        let _ = sender.send((opened, started.elapsed()));
    });
    receiver
        .recv_timeout(HANG)
        .unwrap_or_else(|_| panic!("opening {name:?} hung"))
}

/// x11rb 0.14 parses a socket's path as a display name, then connects to display 0 instead;
/// libxcb 1.15 does not parse it, so `Auto` falls back to pure Rust, saying why.
#[rstest]
#[case::auto(ConnectionPreference::Auto)]
#[case::pure_rust(ConnectionPreference::PureRust)]
fn a_display_named_by_its_socket_path_is_that_server(#[case] preference: ConnectionPreference) {
    // A size no test server has: the screen read is the fake's, not display 0's.
    let server = FakeXServer::start(XScript::new(123, 45)).unwrap();
    for limit in [Some(LIMIT), None] {
        let options = options(preference).timeout(limit);
        let (opened, _) = open_named(server.socket_path(), options);
        let mut display = opened.unwrap();
        let screen = display.screen_info().unwrap();
        assert_eq!((screen.width, screen.height), (123, 45));
        assert_eq!(display.display_name(), server.socket_path());
    }
}

#[rstest]
#[case::auto(ConnectionPreference::Auto, "libxcb (loaded at run time)")]
#[case::libxcb(ConnectionPreference::Libxcb, "libxcb (loaded at run time)")]
#[case::pure_rust(ConnectionPreference::PureRust, "x11rb pure Rust")]
fn every_connection_opens_the_fake_server(
    #[case] preference: ConnectionPreference,
    #[case] connection: &str,
) {
    let server = FakeXServer::start(XScript::new(123, 45)).unwrap();
    let (opened, _) = open(&server, options(preference));
    let mut display = opened.unwrap();
    assert_eq!(display.screen_info().unwrap().width, 123);
    assert_eq!(display.describe_connection(), connection);
}

#[test]
fn libxcbs_own_setup_after_the_probe_is_cut_off_by_the_deadline() {
    // The pure-Rust probe is answered; libxcb's connection, made next, never is.
    let mut script = XScript::new(64, 48);
    script.setups = vec![SetupAnswer::Answer, SetupAnswer::Stall];
    let server = FakeXServer::start(script).unwrap();
    let (opened, took) = open(&server, options(ConnectionPreference::Auto));
    let error = opened.unwrap_err();
    assert!(
        matches!(&error, Error::Timeout { display, waiting_for, seconds }
            if display == server.display()
                && waiting_for == "libxcb's connection setup"
                && (*seconds - LIMIT.as_secs_f64()).abs() < 1e-9),
        "{error:?}"
    );
    // One deadline for the whole opening, probe included.
    assert!(took < LIMIT * 4, "took {took:?}");
    assert_eq!(server.connections(), 2);
}

#[rstest]
#[case::auto(ConnectionPreference::Auto)]
#[case::pure_rust(ConnectionPreference::PureRust)]
fn a_setup_never_answered_times_out_naming_the_setup(#[case] preference: ConnectionPreference) {
    let mut script = XScript::new(64, 48);
    script.setups = vec![SetupAnswer::Stall];
    let server = FakeXServer::start(script).unwrap();
    let (opened, took) = open(&server, options(preference));
    let error = opened.unwrap_err();
    assert!(
        matches!(&error, Error::Timeout { waiting_for, .. } if waiting_for == "the connection setup"),
        "{error:?}"
    );
    assert!(took >= LIMIT, "gave up early, after {took:?}");
}

#[test]
fn a_server_that_closes_every_setup_is_tried_again_then_unavailable() {
    let mut script = XScript::new(64, 48);
    script.setups = vec![SetupAnswer::Close; 64];
    let server = FakeXServer::start(script).unwrap();
    let (opened, _) = open(&server, options(ConnectionPreference::PureRust));
    let error = opened.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::DisplayUnavailable { .. } | Error::Timeout { .. }
        ),
        "{error:?}"
    );
    // The first try and five more.
    assert_eq!(server.connections(), 6);
}
