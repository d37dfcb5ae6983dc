//! Frames hold mutter's buffers: up to what mutter can spare, then a clear error, and the
//! screen is never shown stale, before or after.

use std::time::Instant;

use mss_core::{Capture, Error, Frame, Rgba};

use crate::support::{HANG_GUARD, grab_once_shown, mutter, open, region, scene};

/// Frames over distinct pictures (a change between each) are held until a grab is refused
/// with `BuffersExhausted`: mutter keeps three buffers (the newest, one in flight, a free one
/// to record the next change), frames may hold the rest. Every frame held keeps its own
/// picture; once one is dropped, grabs work again and show the latest change, so no change
/// was lost while frames held the buffers.
#[test]
fn frames_hold_buffers_up_to_what_mutter_can_spare() {
    let server = mutter(&[(320, 240)]);
    let mut scene = scene(&server);
    let mut capture = open(&server);
    scene.assert_frame(&capture.grab_screen().unwrap());
    let buffers = capture.casts()[0].1;
    assert!(buffers >= 4, "{buffers} buffers");
    let spot = region(50, 50, 10, 10);
    let mut held: Vec<(Frame, Rgba)> = Vec::new();
    let limit = loop {
        let index = held.len() as u8;
        let colour = Rgba::rgb(10 + 20 * index, 200 - 10 * index, 77);
        scene.paint_rect(spot, colour).unwrap();
        // Grabs share the picture held last until mutter's next one comes; the first grab of
        // the new picture is the one that may be refused.
        let deadline = Instant::now() + HANG_GUARD;
        let frame = loop {
            match capture.grab(region(0, 0, 320, 240)) {
                Ok(frame) if frame.pixel(50, 50) == Some(colour) => break Ok(frame),
                Ok(_) => assert!(Instant::now() < deadline, "the change never came"),
                Err(error) => break Err(error),
            }
        };
        match frame {
            Ok(frame) => {
                scene.assert_frame(&frame);
                held.push((frame, colour));
                assert!(
                    held.len() < buffers,
                    "{} frames held, {buffers} buffers",
                    held.len()
                );
            }
            Err(Error::BuffersExhausted { limit }) => break limit,
            Err(other) => panic!("{other}"),
        }
    };
    assert_eq!(limit, buffers - 3);
    assert_eq!(held.len(), limit, "frames hold `limit` pictures");
    for (frame, colour) in &held {
        assert_eq!(
            frame.pixel(50, 50),
            Some(*colour),
            "a held frame keeps its picture"
        );
    }
    // Refused again while they are held, whatever the region.
    let error = capture.grab(spot).unwrap_err();
    assert!(matches!(error, Error::BuffersExhausted { .. }), "{error:?}");
    assert!(error.to_string().contains("held by live frames"), "{error}");
    // One dropped: the latest picture is handed out, exact.
    held.remove(0);
    let latest = capture.grab(region(0, 0, 320, 240)).unwrap();
    scene.assert_frame(&latest);
    // Changes still come: mutter never ran out of buffers to record them into.
    drop(held);
    drop(latest);
    scene.paint_rect(spot, Rgba::rgb(1, 2, 3)).unwrap();
    let frame = grab_once_shown(&mut capture, &scene, region(0, 0, 320, 240));
    assert_eq!(frame.pixel(50, 50), Some(Rgba::rgb(1, 2, 3)));
}
