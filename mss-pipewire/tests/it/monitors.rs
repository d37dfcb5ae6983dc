//! Two monitors side by side: their layout and names, each monitor's frames, regions across
//! both (one copy, black where no monitor is) and in the gap between them.

use mss_core::{Capture, Error};

use crate::support::{grab_once_shown, mutter, open, region, scene, turn_first_monitor};

#[test]
fn two_monitors_side_by_side_regions_across_them_and_in_the_gap() {
    // mutter places the larger monitor at x = 0 and the other to its right.
    let server = mutter(&[(640, 480), (320, 240)]);
    let scene = scene(&server);
    let mut capture = open(&server);
    let monitors = capture.monitors().unwrap();
    assert_eq!(monitors.display(), server.wayland_display_name());
    assert_eq!(monitors.all(), region(0, 0, 960, 480));
    let described: Vec<_> = monitors
        .monitors()
        .iter()
        .map(|monitor| (monitor.region(), monitor.output(), monitor.scale()))
        .collect();
    assert_eq!(
        described,
        [
            (region(0, 0, 640, 480), Some("Meta-0"), 1.0),
            (region(640, 0, 320, 240), Some("Meta-1"), 1.0),
        ]
    );
    assert_eq!(
        monitors
            .monitors()
            .iter()
            .filter(|monitor| monitor.is_primary())
            .count(),
        1,
        "{monitors:?}"
    );
    assert!(
        monitors
            .monitors()
            .iter()
            .all(|monitor| monitor.name().is_some())
    );
    for number in [1, 2] {
        let frame = capture.grab_monitor(number).unwrap();
        assert_eq!(frame.region(), monitors.get(number).unwrap());
        scene.assert_frame(&frame);
    }
    // Across both, and partly where no monitor is: assembled, black there.
    let across = capture.grab(region(600, 200, 100, 80)).unwrap();
    assert_eq!(across.region(), region(600, 200, 100, 80));
    scene.assert_frame(&across);
    scene.assert_frame(&capture.grab_screen().unwrap());
    scene.assert_frame(&capture.grab_monitor(0).unwrap());
    // Both casts run now, each with its own buffers.
    let casts = capture.casts();
    assert_eq!(
        casts
            .iter()
            .map(|(connector, _)| connector.as_str())
            .collect::<Vec<_>>(),
        ["Meta-0", "Meta-1"]
    );
    // In the gap below the smaller monitor: refused, saying so.
    let gap = region(700, 300, 10, 10);
    let screen = region(0, 0, 960, 480);
    let error = capture.grab(gap).unwrap_err();
    assert!(
        matches!(&error, Error::RegionOutOfBounds { region: asked, screen: all, .. }
            if *asked == gap && *all == screen),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("gap between the outputs"),
        "{error}"
    );
    // Off the screen: refused, naming the screen.
    let error = capture.grab(region(950, 0, 20, 20)).unwrap_err();
    assert!(error.to_string().contains("960x480 at (0, 0)"), "{error}");
    let error = capture.grab_monitor(3).unwrap_err();
    assert!(
        matches!(
            error,
            Error::MonitorNotFound {
                number: 3,
                count: 2,
                ..
            }
        ),
        "{error:?}"
    );
}

/// A monitor turned a quarter turn changes size: the same capturer reads the new layout, and
/// its cast (mutter renegotiates its size, with new buffers) gives upright frames of the new
/// size, exact once a scene of that size is shown.
#[test]
fn a_monitor_turned_changes_size_and_the_cast_follows() {
    let server = mutter(&[(640, 480)]);
    let first = scene(&server);
    let mut capture = open(&server);
    first.assert_frame(&capture.grab_screen().unwrap());
    turn_first_monitor(&server, 1);
    let monitors = capture.monitors().unwrap();
    assert_eq!(monitors.get(1).unwrap(), region(0, 0, 480, 640));
    assert_eq!(monitors.monitors()[0].pixel_size(), (480, 640));
    // The window shown before keeps its 640x480 picture; a new one fills the turned monitor.
    let turned = scene(&server);
    let frame = grab_once_shown(&mut capture, &turned, region(0, 0, 480, 640));
    assert_eq!((frame.width(), frame.height()), (480, 640));
    turned.assert_frame(&capture.grab(region(400, 600, 80, 40)).unwrap());
}
