//! Changes on the screen: grabs show them once mutter has pushed them, streams deliver each
//! change as one frame, changes-only streams nothing while the screen is still, and fixed
//! rates repeat the newest picture.

use std::time::{Duration, Instant};

use mss_core::{Capture, Changes, Rate, Rgba, StreamOptions, StreamTarget};

use crate::support::{HANG_GUARD, grab_once_shown, mutter, open, region, scene};

#[test]
fn a_change_reaches_grabs_and_frames_before_it_keep_their_picture() {
    let server = mutter(&[(640, 480)]);
    let mut scene = scene(&server);
    let mut capture = open(&server);
    let before = capture.grab(region(0, 0, 640, 480)).unwrap();
    scene.assert_frame(&before);
    let colour = Rgba::rgb(200, 100, 50);
    scene.paint_rect(region(15, 15, 5, 5), colour).unwrap();
    let after = grab_once_shown(&mut capture, &scene, region(10, 10, 20, 20));
    assert_eq!(after.pixel(5, 5), Some(colour));
    // The frame taken before still shows the picture it was taken from.
    assert_ne!(before.pixel(15, 15), Some(colour));
    // A second change, across where the first was.
    let second = Rgba::rgb(1, 250, 3);
    scene.paint_rect(region(12, 12, 30, 4), second).unwrap();
    let frame = grab_once_shown(&mut capture, &scene, region(0, 0, 640, 480));
    assert_eq!(frame.pixel(12, 12), Some(second));
    assert_eq!(frame.pixel(16, 17), Some(colour));
}

#[test]
fn a_stream_delivers_each_change_once_in_order_exactly() {
    let server = mutter(&[(640, 480)]);
    let mut scene = scene(&server);
    let mut capture = open(&server);
    let mut stream = capture.stream(&StreamOptions::new()).unwrap();
    let description = stream.describe();
    assert!(description.contains("Meta-0"), "{description}");
    let first = stream.next_frame().unwrap();
    assert_eq!((first.sequence, &first.changes), (0, &Changes::Unknown));
    assert_eq!(first.frame.region(), region(0, 0, 640, 480));
    scene.assert_frame(&first.frame);
    for index in 1..=4u8 {
        let painted = region(20 + 45 * i32::from(index), 15, 17, 11);
        let colour = Rgba::rgb(40 * index, 255 - 30 * index, 90);
        scene.paint_rect(painted, colour).unwrap();
        let next = stream
            .next_frame_before(Some(Instant::now() + HANG_GUARD))
            .unwrap()
            .expect("a frame for the change");
        assert_eq!(next.sequence, u64::from(index));
        scene.assert_frame(&next.frame);
        assert_eq!(next.frame.pixel(painted.left() as u32, 15), Some(colour));
        assert!(next.captured_at >= first.captured_at);
    }
    // Nothing changes: nothing comes.
    let idle = stream
        .next_frame_before(Some(Instant::now() + Duration::from_millis(300)))
        .unwrap();
    assert!(idle.is_none(), "{idle:?}");
}

#[test]
fn changes_only_skips_pictures_unchanged_inside_the_region() {
    let server = mutter(&[(640, 480)]);
    let mut scene = scene(&server);
    let mut capture = open(&server);
    let target = region(200, 150, 120, 90);
    let options = StreamOptions::new()
        .target(StreamTarget::Region(target))
        .changes_only(true);
    let mut stream = capture.stream(&options).unwrap();
    let first = stream.next_frame().unwrap();
    assert_eq!((first.sequence, first.frame.region()), (0, target));
    scene.assert_frame(&first.frame);
    // Beside the region: mutter sends a picture, whose region did not change.
    scene
        .paint_rect(region(10, 10, 50, 40), Rgba::rgb(1, 2, 3))
        .unwrap();
    let outside = stream
        .next_frame_before(Some(Instant::now() + Duration::from_secs(1)))
        .unwrap();
    assert!(outside.is_none(), "{outside:?}");
    let across = region(300, 200, 60, 60);
    scene.paint_rect(across, Rgba::rgb(200, 100, 50)).unwrap();
    let inside = stream
        .next_frame_before(Some(Instant::now() + HANG_GUARD))
        .unwrap()
        .expect("a frame for the change inside");
    assert_eq!(inside.sequence, 1);
    assert!(
        inside.missed >= 1,
        "the picture with nothing inside counts: {inside:?}"
    );
    assert_eq!(
        inside.changes,
        Changes::Unknown,
        "mutter 43 sends no damage"
    );
    scene.assert_frame(&inside.frame);
}

#[test]
fn a_fixed_rate_repeats_the_newest_picture_with_no_changes() {
    let server = mutter(&[(640, 480)]);
    let mut scene = scene(&server);
    let mut capture = open(&server);
    let options = StreamOptions::new()
        .rate(Rate::PerSecond(50.0))
        .target(StreamTarget::Monitor(1));
    let mut stream = capture.stream(&options).unwrap();
    let first = stream.next_frame().unwrap();
    scene.assert_frame(&first.frame);
    for _ in 0..5 {
        let again = stream.next_frame().unwrap();
        scene.assert_frame(&again.frame);
        assert_eq!(
            again.changes,
            Changes::Rectangles(Vec::new()),
            "nothing changed"
        );
        assert_eq!(again.frame.bytes().as_ptr(), first.frame.bytes().as_ptr());
    }
    let colour = Rgba::rgb(9, 99, 199);
    scene.paint_rect(region(100, 100, 10, 10), colour).unwrap();
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        let next = stream.next_frame().unwrap();
        if next.changes != Changes::Rectangles(Vec::new()) {
            assert_eq!(next.changes, Changes::Unknown);
            scene.assert_frame(&next.frame);
            assert_eq!(next.frame.pixel(100, 100), Some(colour));
            break;
        }
        scene
            .check_frame(&next.frame)
            .expect_err("a repeated picture predates the change");
        assert!(Instant::now() < deadline, "the change never came");
    }
}
