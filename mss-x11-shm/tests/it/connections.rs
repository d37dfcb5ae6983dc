//! Shared memory over every kind of connection: x11rb's pure-Rust one and libxcb's, including
//! an application's own `xcb::Connection`.

use mss_core::{Capture, Region};
use mss_x11::X11Display;
use mss_x11::x11rb::rust_connection::RustConnection;
use mss_x11::x11rb::xcb_ffi::XCBConnection;
use mss_x11_shm::{ShmCapture, ShmOptions};

use crate::support::default_painted;

fn assert_shm_grabs_match<C: mss_x11::X11Connection>(
    capture: &mut ShmCapture<C>,
    scene: &mss_testkit::Scene,
) {
    assert!(capture.is_shm_active(), "{}", capture.status());
    scene.assert_frame(&capture.grab_screen().unwrap());
    scene.assert_frame(&capture.grab(Region::new(631, 1, 9, 479).unwrap()).unwrap());
    assert!(capture.status().proven);
}

#[test]
fn over_libxcb() {
    let painted = default_painted();
    let name = std::ffi::CString::new(painted.server.display()).unwrap();
    let (connection, screen) = XCBConnection::connect(Some(&name)).unwrap();
    let display =
        X11Display::from_connection(connection, screen, painted.server.display()).unwrap();
    let mut capture = ShmCapture::from_display(display, ShmOptions::new()).unwrap();
    assert_shm_grabs_match(&mut capture, &painted.scene);
}

#[test]
fn over_an_applications_own_xcb_connection() {
    let painted = default_painted();
    let (connection, screen) = xcb::Connection::connect(Some(painted.server.display())).unwrap();
    let connection = XCBConnection::from_existing_connection(connection).unwrap();
    let display =
        X11Display::from_connection(connection, screen as usize, painted.server.display()).unwrap();
    let mut capture = ShmCapture::from_display(display, ShmOptions::new()).unwrap();
    assert_shm_grabs_match(&mut capture, &painted.scene);
}

#[test]
fn capturers_over_every_connection_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<ShmCapture<RustConnection>>();
    assert_send::<ShmCapture<XCBConnection>>();
    assert_send::<ShmCapture<XCBConnection<xcb::Connection>>>();
}
