use std::thread;

use mss_core::{Frame, Region};

use crate::backends_under_test as backends;

#[test]
fn frames_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Frame>();
}

/// A frame stays valid and exact after its capturer is dropped, and can be read on another
/// thread.
#[test]
fn a_frame_outlives_its_capturer() {
    for backend in backends() {
        // Each backend on a server of its own display system.
        let server = backend
            .default_server()
            .start()
            .unwrap_or_else(|error| panic!("{error}"));
        let scene = server.paint_scene().unwrap();
        let mut capture = backend.open(server.display()).unwrap();
        let whole = capture.grab_screen().unwrap();
        let part = capture.grab(Region::new(3, 5, 17, 11).unwrap()).unwrap();
        drop(capture);
        scene.assert_frame(&whole);
        let part = thread::spawn(move || {
            // Reading on another thread, then handing the frame back.
            assert_eq!(part.region(), Region::new(3, 5, 17, 11).unwrap());
            part
        })
        .join()
        .unwrap();
        scene.assert_frame(&part);
        drop(whole);
    }
}
