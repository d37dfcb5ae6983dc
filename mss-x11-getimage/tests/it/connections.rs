use std::ffi::CString;

use mss_core::Capture;
use mss_x11::x11rb::rust_connection::RustConnection;
use mss_x11::x11rb::xcb_ffi::XCBConnection;
use mss_x11_getimage::{BACKEND_NAME, GetImageCapture, METHOD};

use crate::support::{assert_grabs_match_scene, region, scene, xvfb};

#[test]
fn rust_connection_grabs_exact_pixels() {
    let server = xvfb(320, 240, 24);
    let scene = scene(&server);
    let mut capture = GetImageCapture::open(Some(server.display())).unwrap();
    assert_eq!(capture.backend_name(), BACKEND_NAME);
    assert!(!capture.status().proven, "nothing grabbed yet");
    assert_grabs_match_scene(&mut capture, &scene);
    let status = capture.status();
    assert_eq!((status.backend, status.method), ("x11-getimage", METHOD));
    assert!(status.proven && !status.zero_copy && status.fallback_reason.is_none());
}

#[test]
fn libxcb_connection_grabs_exact_pixels() {
    let server = xvfb(320, 240, 24);
    let scene = scene(&server);
    let name = CString::new(server.display()).unwrap();
    let (connection, screen) = XCBConnection::connect(Some(&name)).unwrap();
    let mut capture =
        GetImageCapture::from_connection(connection, screen, server.display()).unwrap();
    assert_grabs_match_scene(&mut capture, &scene);
}

#[test]
fn an_existing_xcb_connection_grabs_exact_pixels() {
    let server = xvfb(320, 240, 24);
    let scene = scene(&server);
    let (connection, screen) = xcb::Connection::connect(Some(server.display())).unwrap();
    let connection = XCBConnection::from_existing_connection(connection).unwrap();
    let mut capture =
        GetImageCapture::from_connection(connection, screen as usize, server.display()).unwrap();
    assert_grabs_match_scene(&mut capture, &scene);
}

#[test]
fn capturers_over_every_connection_are_send() {
    fn assert_send<T: Send>() {}
    assert_send::<GetImageCapture<RustConnection>>();
    assert_send::<GetImageCapture<XCBConnection>>();
    assert_send::<GetImageCapture<XCBConnection<xcb::Connection>>>();
}

#[test]
fn frames_outlive_the_capturer_and_its_connection() {
    let server = xvfb(320, 240, 24);
    let scene = scene(&server);
    let asked = region(10, 20, 30, 40);
    let from_rust = GetImageCapture::open(Some(server.display()))
        .unwrap()
        .grab(asked)
        .unwrap();
    let name = CString::new(server.display()).unwrap();
    let (connection, screen) = XCBConnection::connect(Some(&name)).unwrap();
    let from_xcb = GetImageCapture::from_connection(connection, screen, server.display())
        .unwrap()
        .grab(asked)
        .unwrap();
    // Both capturers (and their connections) are gone; the frames are still readable, and
    // from another thread.
    std::thread::spawn(move || {
        scene.assert_frame(&from_rust);
        scene.assert_frame(&from_xcb);
    })
    .join()
    .unwrap();
}

#[test]
fn a_capturer_moved_to_another_thread_keeps_grabbing() {
    let server = xvfb(320, 240, 24);
    let scene = scene(&server);
    let mut capture = GetImageCapture::open(Some(server.display())).unwrap();
    let frame = std::thread::spawn(move || capture.grab(region(0, 0, 64, 48)).unwrap())
        .join()
        .unwrap();
    scene.assert_frame(&frame);
}
