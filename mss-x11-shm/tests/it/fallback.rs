//! Falling back to GetImage when shared memory cannot work, and saying why: every rule of
//! the crate docs, each made to happen on a real server (an extension turned off, TCP, a
//! connection that changes MIT-SHM requests on their way, resource limits lowered in a child
//! process so memfd_create or mmap fails).

use std::time::{Duration, Instant};

use mss_core::{Capture, Region};
use mss_testkit::XvfbOptions;
use mss_x11::X11Display;
use mss_x11_shm::{METHOD_GET_IMAGE, METHOD_SHM, ShmCapture, ShmOptions};
use rustix::process::Resource;

use crate::intercept::{Changes, Intercepted, minor};
use crate::support::{
    address_space_bytes, assert_pattern, child_display, default_painted, descriptors_in_use, open,
    painted, run_in_child_process, with_soft_limit,
};

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

/// A capturer over a connection that makes `changes` to MIT-SHM on its way to `display`.
fn intercepted(display: &str, changes: Changes) -> ShmCapture<Intercepted> {
    let connection = Intercepted::connect(display, changes);
    let display = X11Display::from_connection(connection, 0, display).unwrap();
    ShmCapture::from_display(display, ShmOptions::new()).unwrap()
}

/// The MIT-SHM requests `capture` sent, by minor opcode.
fn shm_requests(capture: &ShmCapture<Intercepted>) -> Vec<u8> {
    capture.display().connection().shm_requests()
}

#[test]
fn mit_shm_older_than_1_2_falls_back_before_any_other_request() {
    let painted = default_painted();
    let mut capture = intercepted(
        painted.server.display(),
        Changes {
            version: Some((1, 1)),
            ..Changes::default()
        },
    );
    let status = capture.status();
    assert_eq!((status.method, status.zero_copy), (METHOD_GET_IMAGE, false));
    assert_eq!(
        status.fallback_reason.as_deref(),
        Some("the X server's MIT-SHM is version 1.1; file-descriptor passing needs 1.2")
    );
    assert_eq!(capture.pool_stats(), None);
    painted.scene.assert_frame(&capture.grab_screen().unwrap());
    // No segment was ever made: ShmAttachFd needs 1.2.
    assert_eq!(shm_requests(&capture), [minor::QUERY_VERSION]);
}

#[test]
fn the_first_shm_get_image_failing_where_get_image_works_falls_back_for_good() {
    let painted = default_painted();
    let mut capture = intercepted(
        painted.server.display(),
        Changes {
            broken_get_images: vec![1],
            ..Changes::default()
        },
    );
    assert_eq!(capture.status().method, METHOD_SHM);
    let region = Region::new(13, 7, 101, 57).unwrap();
    // The grab itself succeeds, with GetImage.
    let frame = capture.grab(region).unwrap();
    painted.scene.assert_frame(&frame);
    let status = capture.status();
    assert_eq!(
        (status.method, status.zero_copy, status.proven),
        (METHOD_GET_IMAGE, false, true)
    );
    let reason = status
        .fallback_reason
        .expect("a fallback states its reason");
    assert!(
        reason.starts_with("ShmGetImage failed (") && reason.ends_with(") where GetImage works"),
        "{reason}"
    );
    assert!(
        reason.contains("error code") && reason.contains("minor opcode 4"),
        "the server's answer to ShmGetImage is named: {reason}"
    );
    // The idle segment is detached, and no MIT-SHM request is sent again.
    assert_eq!(capture.pool_stats(), None);
    let sent = shm_requests(&capture);
    assert_eq!(
        sent,
        [
            minor::QUERY_VERSION,
            minor::ATTACH_FD,
            minor::GET_IMAGE,
            minor::DETACH
        ]
    );
    painted.scene.assert_frame(&capture.grab_screen().unwrap());
    assert_eq!(shm_requests(&capture), sent);
}

#[test]
fn after_shm_worked_a_failing_shm_get_image_is_an_error_not_a_fallback() {
    let painted = default_painted();
    let mut capture = intercepted(
        painted.server.display(),
        Changes {
            broken_get_images: vec![2],
            ..Changes::default()
        },
    );
    let region = Region::new(13, 7, 101, 57).unwrap();
    painted.scene.assert_frame(&capture.grab(region).unwrap());
    let error = capture.grab(region).unwrap_err();
    assert!(error.to_string().contains("ShmGetImage"), "{error:?}");
    let status = capture.status();
    assert_eq!((status.method, status.zero_copy), (METHOD_SHM, true));
    assert_eq!(status.fallback_reason, None);
    // The segment the server refused is detached, not reused; the next grab makes another.
    assert_eq!(capture.pool_stats().unwrap().live, 0);
    painted.scene.assert_frame(&capture.grab(region).unwrap());
    let attaches = shm_requests(&capture)
        .iter()
        .filter(|&&request| request == minor::ATTACH_FD)
        .count();
    assert_eq!(attaches, 2);
}

#[test]
fn a_segment_refused_while_the_pool_grows_is_an_error_not_a_fallback() {
    let painted = default_painted();
    let mut capture = intercepted(
        painted.server.display(),
        Changes {
            refused_attaches: vec![2],
            ..Changes::default()
        },
    );
    // The segment made at setup holds the first frame; the second needs a new one.
    let held = capture.grab_screen().unwrap();
    let error = capture.grab_screen().unwrap_err();
    assert!(
        matches!(&error, mss_core::Error::SharedMemory { reason, .. }
            if reason.starts_with("the X server refused ShmAttachFd: ")),
        "{error:?}"
    );
    let status = capture.status();
    assert_eq!((status.method, status.fallback_reason), (METHOD_SHM, None));
    // The pool grows on the next try, and both frames are the screen.
    let second = capture.grab_screen().unwrap();
    painted.scene.assert_frame(&held);
    painted.scene.assert_frame(&second);
    assert_eq!(capture.pool_stats().unwrap().live, 2);
}

#[test]
fn memfd_failing_at_construction_falls_back_saying_why() {
    const TEST: &str = "fallback::memfd_failing_at_construction_falls_back_saying_why";
    let Some(display) = child_display(TEST) else {
        let painted = default_painted();
        run_in_child_process(TEST, painted.server.display());
        return;
    };
    let opened = X11Display::open(Some(&display)).unwrap();
    // No new descriptor can be made (those open still work): memfd_create fails with EMFILE.
    let mut capture = with_soft_limit(Resource::Nofile, descriptors_in_use(), || {
        ShmCapture::from_display(opened, ShmOptions::new()).unwrap()
    });
    let status = capture.status();
    assert_eq!((status.method, status.zero_copy), (METHOD_GET_IMAGE, false));
    let reason = status
        .fallback_reason
        .expect("a fallback states its reason");
    assert!(
        reason.starts_with("creating the memfd (1228800 bytes) failed: ")
            && reason.ends_with("(os error 24)"),
        "{reason}"
    );
    assert_pattern(&capture.grab(Region::new(13, 7, 101, 57).unwrap()).unwrap());
}

#[test]
fn mapping_failing_at_construction_falls_back_saying_why() {
    const TEST: &str = "fallback::mapping_failing_at_construction_falls_back_saying_why";
    let Some(display) = child_display(TEST) else {
        let painted = painted(&XvfbOptions::new(1920, 1080, 24));
        run_in_child_process(TEST, painted.server.display());
        return;
    };
    let opened = X11Display::open(Some(&display)).unwrap();
    // Room for small allocations, none for an 8 MB segment: mmap fails with ENOMEM.
    let limit = address_space_bytes() + (4 << 20);
    let mut capture = with_soft_limit(Resource::As, limit, || {
        ShmCapture::from_display(opened, ShmOptions::new()).unwrap()
    });
    let status = capture.status();
    assert_eq!((status.method, status.zero_copy), (METHOD_GET_IMAGE, false));
    let reason = status
        .fallback_reason
        .expect("a fallback states its reason");
    assert!(
        reason.starts_with("mapping the memfd (8294400 bytes) failed: ")
            && reason.ends_with("(os error 12)"),
        "{reason}"
    );
    assert_pattern(
        &capture
            .grab(Region::new(1800, 1000, 101, 57).unwrap())
            .unwrap(),
    );
}

#[test]
fn memfd_failing_while_the_pool_grows_is_an_error_not_a_fallback() {
    const TEST: &str = "fallback::memfd_failing_while_the_pool_grows_is_an_error_not_a_fallback";
    let Some(display) = child_display(TEST) else {
        let painted = default_painted();
        run_in_child_process(TEST, painted.server.display());
        return;
    };
    let mut capture = open(&display, ShmOptions::new());
    let held = capture.grab_screen().unwrap();
    let error = with_soft_limit(Resource::Nofile, descriptors_in_use(), || {
        capture.grab_screen().unwrap_err()
    });
    assert!(
        matches!(&error, mss_core::Error::SharedMemory { bytes: 1_228_800, reason, .. }
            if reason == "creating the memfd failed"),
        "{error:?}"
    );
    let status = capture.status();
    assert_eq!((status.method, status.fallback_reason), (METHOD_SHM, None));
    let second = capture.grab_screen().unwrap();
    assert_pattern(&held);
    assert_pattern(&second);
    assert_eq!(capture.pool_stats().unwrap().live, 2);
}
