use std::ffi::CString;

use mss_core::{Capture, Error};
use mss_x11::x11rb::rust_connection::RustConnection;
use mss_x11::x11rb::xcb_ffi::XCBConnection;
use mss_x11::{AutoConnection, ConnectionPreference, X11Connection, X11Display, X11Options};
use rstest::rstest;

use crate::support::{DisplayCapture, region, scene, xvfb};

const LIBXCB: &str = "libxcb (loaded at run time)";
const PURE_RUST: &str = "x11rb pure Rust";

/// Opens the plumbing with `preference` and checks a grab against the scene.
fn grab_exactly(preference: ConnectionPreference) -> String {
    let server = xvfb(160, 120, 24);
    let scene = scene(&server);
    let mut capture = DisplayCapture::open(&server, X11Options::new().connection(preference));
    scene.assert_frame(&capture.grab_screen().unwrap());
    scene.assert_frame(&capture.grab(region(7, 5, 33, 17)).unwrap());
    capture
        .status()
        .connection
        .expect("the plumbing names its connection")
}

#[rstest]
#[case::auto(ConnectionPreference::Auto, LIBXCB)]
#[case::libxcb(ConnectionPreference::Libxcb, LIBXCB)]
#[case::pure_rust(ConnectionPreference::PureRust, PURE_RUST)]
fn each_preference_opens_its_connection_and_grabs_exactly(
    #[case] preference: ConnectionPreference,
    #[case] expected: &str,
) {
    // libxcb1 comes with every X server package, so the default finds it here.
    assert_eq!(grab_exactly(preference), expected);
}

#[test]
fn the_default_connection_is_libxcb_when_it_loads() {
    let server = xvfb(64, 48, 24);
    let display = X11Display::open(Some(server.display())).unwrap();
    assert!(display.connection().is_libxcb(), "{display:?}");
    assert_eq!(display.connection().libxcb_failure(), None);
    assert_eq!(display.describe_connection(), LIBXCB);
}

#[rstest]
#[case::auto(ConnectionPreference::Auto)]
#[case::libxcb(ConnectionPreference::Libxcb)]
#[case::pure_rust(ConnectionPreference::PureRust)]
fn a_display_with_no_server_is_unavailable_whatever_the_connection(
    #[case] preference: ConnectionPreference,
) {
    // Display 9999 has no socket: every connection fails fast with the same kind.
    let error =
        X11Display::open_with(Some(":9999"), X11Options::new().connection(preference)).unwrap_err();
    assert!(
        matches!(&error, Error::DisplayUnavailable { display, .. } if display == ":9999"),
        "{error:?}"
    );
}

#[test]
fn connections_the_caller_opened_are_used_as_they_are() {
    let server = xvfb(64, 48, 24);
    let scene = scene(&server);
    let (rust, screen) = RustConnection::connect(Some(server.display())).unwrap();
    assert_eq!(rust.describe_x11_connection(), PURE_RUST);
    let mut display = X11Display::from_connection(rust, screen, server.display()).unwrap();
    scene.assert_frame(&display.get_image(region(0, 0, 64, 48)).unwrap());

    let name = CString::new(server.display()).unwrap();
    let (libxcb, screen) = XCBConnection::connect(Some(&name)).unwrap();
    let mut display = X11Display::from_connection(libxcb, screen, server.display()).unwrap();
    assert_eq!(display.describe_connection(), LIBXCB);
    scene.assert_frame(&display.get_image(region(1, 2, 3, 4)).unwrap());

    let (application, screen) = xcb::Connection::connect(Some(server.display())).unwrap();
    let application = XCBConnection::from_existing_connection(application).unwrap();
    let mut display =
        X11Display::from_connection(application, screen as usize, server.display()).unwrap();
    assert_eq!(
        display.describe_connection(),
        "libxcb (the application's xcb::Connection)"
    );
    scene.assert_frame(&display.get_image(region(5, 6, 7, 8)).unwrap());
}

#[test]
fn requests_of_the_callers_own_go_through_either_connection() {
    use mss_x11::x11rb::connection::Connection as _;
    use mss_x11::x11rb::protocol::xproto::ConnectionExt as _;
    let server = xvfb(64, 48, 24);
    for preference in [ConnectionPreference::Libxcb, ConnectionPreference::PureRust] {
        let (connection, screen) =
            AutoConnection::connect(Some(server.display()), preference).unwrap();
        let root = connection.setup().roots[screen].root;
        let geometry = connection.get_geometry(root).unwrap().reply().unwrap();
        assert_eq!(
            (geometry.width, geometry.height),
            (64, 48),
            "{connection:?}"
        );
        // An error reply comes back through the wrapper as an error, not a hang.
        let error = connection
            .get_geometry(0x0012_3456)
            .unwrap()
            .reply()
            .unwrap_err();
        assert!(
            error.to_string().contains("Drawable"),
            "{connection:?}: {error}"
        );
        let id = connection.generate_id().unwrap();
        assert_ne!(id, 0);
    }
}

#[test]
fn displays_over_every_connection_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<X11Display>();
    assert_send::<X11Display<RustConnection>>();
    assert_send::<X11Display<XCBConnection>>();
    assert_send::<X11Display<XCBConnection<xcb::Connection>>>();
}

#[rstest]
#[case::bounded(Some(std::time::Duration::from_secs(10)))]
#[case::unbounded(None)]
fn a_server_resetting_as_its_last_client_leaves_is_connected_to_again(
    #[case] timeout: Option<std::time::Duration>,
) {
    // Xvfb as CI runs it (no -noreset): every time the last client leaves it resets, and a
    // client connecting in that instant is dropped. Each open here comes right after the
    // previous connection closed, as a script running `mss` in a loop does.
    let server =
        mss_testkit::XServer::xvfb(&mss_testkit::XvfbOptions::new(96, 64, 24).resetting()).unwrap();
    for attempt in 0..40 {
        let display =
            X11Display::open_with(Some(server.display()), X11Options::new().timeout(timeout))
                .unwrap_or_else(|error| panic!("attempt {attempt}: {error}"));
        // Not a pure-Rust connection taken for want of libxcb: the reset was tried again.
        assert_eq!(display.describe_connection(), LIBXCB, "attempt {attempt}");
        let mut capture = DisplayCapture::from_display(display);
        assert_eq!(
            capture.grab_screen().unwrap().region(),
            region(0, 0, 96, 64),
            "attempt {attempt}"
        );
    }
}
