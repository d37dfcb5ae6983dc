//! The plumbing against the test kit's fake X server: connections to a display named by its
//! socket's path, and deadlines on every step of opening one (libxcb's own setup included),
//! which a real server cannot be made to miss on demand.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use mss_core::Error;
use mss_testkit::fake_x_server::{
    EventNumbers, FakeEvent, FakeXServer, ImageAnswer, ROOT_SEED, SetupAnswer, XScript, fake_row,
};
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
    // With a deadline (the bounded connect) and without (the unbounded one).
    for limit in [Some(HANG), None] {
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
    let (opened, _) = open(&server, options(preference).timeout(Some(HANG)));
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

/// Opens `script`'s fake server with `preference` and the test limit, failing the test when it
/// cannot be opened.
fn opened(script: XScript, preference: ConnectionPreference) -> (FakeXServer, X11Display) {
    let server = FakeXServer::start(script).unwrap();
    let (opened, _) = open(&server, options(preference).timeout(Some(HANG)));
    (server, opened.unwrap())
}

fn region(left: i32, top: i32, width: u32, height: u32) -> mss_core::Region {
    mss_core::Region::new(left, top, width, height).unwrap()
}

/// A `GetImage` reply must carry exactly the image: fewer bytes are not the image, more are
/// not laid out as the setup says (a frame over them showed whatever came first).
#[rstest]
#[case::shorter(
    ImageAnswer::Shorter(1),
    "carries 60 bytes of pixels for a 4x4 image of 64 bytes"
)]
#[case::much_shorter(ImageAnswer::Shorter(16), "carries 0 bytes of pixels")]
#[case::longer(
    ImageAnswer::Longer(2),
    "carries 72 bytes of pixels for a 4x4 image of 64 bytes"
)]
fn a_get_image_reply_of_another_length_than_the_image_is_refused(
    #[case] answer: ImageAnswer,
    #[case] message: &str,
    #[values(ConnectionPreference::Libxcb, ConnectionPreference::PureRust)]
    preference: ConnectionPreference,
) {
    let mut script = XScript::new(16, 16);
    script.images = vec![answer, ImageAnswer::Exact];
    let (_server, mut display) = opened(script, preference);
    let error = display.get_image(region(2, 3, 4, 4)).unwrap_err();
    assert!(
        matches!(&error, Error::Protocol { request: "GetImage", message: said, .. }
            if said.contains(message)),
        "{error:?}"
    );
    // The next, exact, reply is a frame of exactly the fake's pixels.
    let frame = display.get_image(region(2, 3, 4, 4)).unwrap();
    for (row, bytes) in frame.rows().enumerate() {
        assert_eq!(bytes, fake_row(ROOT_SEED, 2, 3 + row as i32, 4, 32));
    }
}

/// Events without a pause: reading them would never end (and the server's queue would only
/// move into this process), so a flood is an error after a bounded number, every time.
#[rstest]
fn a_flood_of_events_is_an_error_not_an_endless_read(
    #[values(ConnectionPreference::Libxcb, ConnectionPreference::PureRust)]
    preference: ConnectionPreference,
) {
    // More events queued before one reply than a healthy server ever sends at once.
    let mut script = XScript::new(16, 16);
    script.events_before_replies = vec![
        FakeEvent::ScreenChange {
            width: 16,
            height: 16
        };
        65_537
    ];
    // Before the first grab's reply: the second grab reads them first.
    script.events_only_before = Some("GetImage");
    let server = FakeXServer::start(script).unwrap();
    // Reading 2 MB of events may take a while on a loaded machine: no deadline is tested here.
    let (opened, _) = open(&server, options(preference).timeout(Some(HANG)));
    let mut display = opened.unwrap();
    display.get_image(region(0, 0, 2, 2)).unwrap();
    let error = display.get_image(region(0, 0, 2, 2)).unwrap_err();
    assert!(
        matches!(&error, Error::Protocol { request: "reading events", message, .. }
            if message.contains("more than 65536 events without a pause")),
        "{error:?}"
    );
}

#[rstest]
fn events_sent_without_end_never_hold_a_call_up(
    #[values(ConnectionPreference::Libxcb, ConnectionPreference::PureRust)]
    preference: ConnectionPreference,
) {
    let mut script = XScript::new(16, 16);
    script.flood = Some(FakeEvent::ScreenChange {
        width: 16,
        height: 16,
    });
    let server = FakeXServer::start(script).unwrap();
    let display_name = server.display().to_owned();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = X11Display::open_with(Some(&display_name), options(preference))
            .and_then(|mut display| display.get_image(region(0, 0, 2, 2)).map(drop));
        let _ = sender.send(outcome);
    });
    // An error or a frame, whichever the flood allows; never a call that does not return.
    let _outcome = receiver
        .recv_timeout(HANG)
        .expect("a call under a flood of events returned");
}

#[test]
fn output_names_of_an_xwayland_in_its_error_are_printable() {
    let mut script = XScript::new(16, 16);
    script.monitors[0].output_name = b"XWAYLAND\x1b]0;owned\x07\xe2\x80\xae".to_vec();
    let server = FakeXServer::start(script).unwrap();
    let (opened, _) = open(
        &server,
        options(ConnectionPreference::PureRust).timeout(Some(HANG)),
    );
    let error = opened.unwrap_err();
    let Error::XWaylandRoot { evidence, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(
        evidence.contains("XWAYLAND\u{fffd}]0;owned\u{fffd}\u{fffd}\u{fffd}\u{fffd}"),
        "{evidence:?}"
    );
    assert!(!error.to_string().chars().any(char::is_control), "{error}");
}

/// Events numbered lower than the packets before them make libxcb believe the replies it waits
/// for were lost, and x11rb 0.14 then panics (it expects libxcb to report an error); a grab
/// must fail instead, and every later call too, without more panics.
#[rstest]
fn packets_numbered_out_of_order_are_an_error_not_a_panic(
    #[values(ConnectionPreference::Libxcb, ConnectionPreference::PureRust)]
    preference: ConnectionPreference,
    #[values(EventNumbers::Stale, EventNumbers::Ahead)] numbers: EventNumbers,
) {
    let mut script = XScript::new(16, 16);
    script.events_before_replies = vec![FakeEvent::ScreenChange {
        width: 16,
        height: 16,
    }];
    script.event_numbers = numbers;
    let server = FakeXServer::start(script).unwrap();
    let display_name = server.display().to_owned();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome =
            X11Display::open_with(Some(&display_name), options(preference)).map(|mut display| {
                let first = display.get_image(region(0, 0, 2, 2)).map(drop);
                let second = display.get_image(region(0, 0, 2, 2)).map(drop);
                (first, second)
            });
        let _ = sender.send(outcome.map(|_| ()));
    });
    // Whatever the outcome (an error or frames), it comes, from a thread that did not panic.
    let _outcome = receiver
        .recv_timeout(HANG)
        .expect("the calls returned without a panic");
}
