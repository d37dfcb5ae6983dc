//! Falling back to GetImage when shared memory cannot work, and saying why.

use std::time::{Duration, Instant};

use mss_core::{Capture, Region};
use mss_testkit::XvfbOptions;
use mss_x11_shm::{METHOD_GET_IMAGE, METHOD_SHM, ShmCapture, ShmOptions};

use crate::support::{default_painted, open, painted};

#[test]
fn a_local_server_uses_shared_memory_and_proves_it_on_the_first_grab() {
    let painted = default_painted();
    let mut capture = open(painted.server.display(), ShmOptions::new());
    let status = capture.status();
    assert_eq!(
        (status.method, status.zero_copy, status.proven),
        (METHOD_SHM, true, false)
    );
    assert_eq!(status.fallback_reason, None);
    painted.scene.assert_frame(&capture.grab_screen().unwrap());
    let status = capture.status();
    assert_eq!((status.method, status.proven), (METHOD_SHM, true));
    assert_eq!(
        status.to_string(),
        "x11-shm: MIT-SHM, zero-copy; connection: libxcb (loaded at run time)"
    );
}

#[test]
fn without_the_extension_it_falls_back_at_once_and_says_why() {
    let started = Instant::now();
    let painted = painted(&XvfbOptions::new(320, 200, 24).disable_extension("MIT-SHM"));
    let mut capture = open(painted.server.display(), ShmOptions::new());
    assert!(!capture.is_shm_active());
    assert_eq!(capture.pool_stats(), None);
    let status = capture.status();
    assert_eq!(status.method, METHOD_GET_IMAGE);
    assert!(!status.zero_copy);
    assert_eq!(
        status.fallback_reason.as_deref(),
        Some("the X server has no MIT-SHM extension")
    );
    let region = Region::new(13, 7, 101, 57).unwrap();
    painted.scene.assert_frame(&capture.grab(region).unwrap());
    let frame = capture.grab_screen().unwrap();
    painted.scene.assert_frame(&frame);
    // The reply's buffer, this process's own memory: what the zero-copy tests rule out.
    let bytes = frame.bytes();
    let mapping = mss_testkit::memory::mapping_holding(bytes.as_ptr(), bytes.len())
        .unwrap()
        .expect("the frame is mapped");
    assert!(!mapping.is_memfd(), "{mapping}");
    // ffmpeg's x11grab hangs forever here; a generous bound still catches any hang.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn over_tcp_it_falls_back_because_the_server_refuses_the_descriptor() {
    let painted = painted(&XvfbOptions::new(320, 200, 24).listen_tcp());
    let tcp = painted
        .server
        .tcp_display()
        .expect("the server listens on TCP")
        .to_owned();
    let mut capture = open(&tcp, ShmOptions::new());
    let status = capture.status();
    assert_eq!(status.method, METHOD_GET_IMAGE, "{status}");
    let reason = status
        .fallback_reason
        .expect("a fallback states its reason");
    assert!(reason.contains("ShmAttachFd"), "{reason}");
    eprintln!("TCP fallback reason: {reason}");
    painted
        .scene
        .assert_frame(&capture.grab(Region::new(1, 2, 300, 190).unwrap()).unwrap());
    assert!(capture.status().proven);
}

#[test]
fn the_same_server_over_its_unix_socket_still_uses_shared_memory() {
    // The TCP test's counterpart: the fallback is about the transport, not the server.
    let painted = painted(&XvfbOptions::new(320, 200, 24).listen_tcp());
    let mut capture = open(painted.server.display(), ShmOptions::new());
    assert!(capture.is_shm_active());
    painted.scene.assert_frame(&capture.grab_screen().unwrap());
}

#[test]
fn a_missing_server_is_an_error_not_a_fallback() {
    let error = ShmCapture::open(Some(":999"))
        .err()
        .expect("no server on :999");
    assert!(
        matches!(&error, mss_core::Error::DisplayUnavailable { display, .. } if display == ":999"),
        "{error:?}"
    );
}
