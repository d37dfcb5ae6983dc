//! Monitors on a headless sway, through every backend of wlroots compositors: two outputs at
//! different positions with their names, a region across both, and a mode change between
//! grabs on the same capturer.

use mss_core::{Monitors, Region};
use mss_testkit::{ServerFamily, SwayOptions, TestServer, WaylandScene, WaylandServer};

use crate::backends_under_test as backends;

fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
    Region::new(left, top, width, height).unwrap()
}

fn layout(monitors: &Monitors) -> Vec<(Region, Option<&str>)> {
    monitors
        .monitors()
        .iter()
        .map(|monitor| (monitor.region(), monitor.output()))
        .collect()
}

#[test]
fn two_outputs_side_by_side_then_a_mode_change() {
    for backend in backends()
        .into_iter()
        .filter(|backend| backend.family() == ServerFamily::Wlroots)
    {
        let server = WaylandServer::start(&SwayOptions::new().outputs(&[(640, 480), (320, 240)]))
            .unwrap_or_else(|error| panic!("{error}"));
        let mut scene = WaylandScene::paint(server.display()).unwrap();
        let mut capture = backend.open(server.display()).unwrap();
        let context = format!("backend {}", backend.name());

        let monitors = capture.monitors().unwrap();
        assert_eq!(monitors.all(), region(0, 0, 960, 480), "{context}");
        assert_eq!(
            layout(&monitors),
            [
                (region(0, 0, 640, 480), Some("HEADLESS-1")),
                (region(640, 0, 320, 240), Some("HEADLESS-2")),
            ],
            "{context}"
        );
        for monitor in monitors.monitors() {
            assert_eq!(monitor.scale(), 1.0, "{context}");
            assert!(monitor.description().is_some(), "{context}");
        }
        scene.assert_frame(&capture.grab_monitor(2).unwrap());
        // Across both outputs: assembled, black where no output is.
        let across = capture.grab(region(600, 200, 100, 80)).unwrap();
        assert_eq!(across.region(), region(600, 200, 100, 80), "{context}");
        scene.assert_frame(&across);
        scene.assert_frame(&capture.grab_screen().unwrap());

        // The second output changes mode and moves; the same capturer follows.
        server
            .swaymsg([
                "output",
                "HEADLESS-2",
                "mode",
                "400x300",
                "position",
                "640",
                "100",
            ])
            .unwrap();
        let monitors = capture.monitors().unwrap();
        assert_eq!(monitors.all(), region(0, 0, 1040, 480), "{context}");
        assert_eq!(
            monitors.get(2).unwrap(),
            region(640, 100, 400, 300),
            "{context}"
        );
        // A new scene for the new layout; the grab shows it exactly.
        scene = WaylandScene::paint(server.display()).unwrap();
        let right = capture.grab_monitor(2).unwrap();
        assert_eq!(right.region(), region(640, 100, 400, 300), "{context}");
        scene.assert_frame(&right);
        scene.assert_frame(&capture.grab_screen().unwrap());
    }
}
