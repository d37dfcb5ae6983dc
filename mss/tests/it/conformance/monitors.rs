use mss_core::{DisplaySystem, Monitors, Region};
use mss_testkit::{DummyOptions, XServer, XvfbOptions, backend_test};

use crate::backends_under_test as backends;

fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
    Region::new(left, top, width, height).unwrap()
}

/// The monitors as `(region, primary, output)` triples, for exact comparison.
fn layout(monitors: &Monitors) -> Vec<(Region, bool, Option<&str>)> {
    monitors
        .monitors()
        .iter()
        .map(|monitor| (monitor.region(), monitor.is_primary(), monitor.output()))
        .collect()
}

backend_test!(#[server(XvfbOptions::default())]
fn xvfb_has_one_monitor_named_screen(capture, scene, server) {
    let monitors = capture.monitors().unwrap();
    assert_eq!(monitors.display(), server.display());
    assert_eq!(monitors.all(), region(0, 0, 640, 480));
    // Xvfb's RandR reports its single output `screen`, not flagged primary.
    assert_eq!(layout(&monitors), [(region(0, 0, 640, 480), false, Some("screen"))]);
    scene.assert_frame(&capture.grab_monitor(1).unwrap());
});

backend_test!(#[server(XvfbOptions::new(320, 240, 24).disable_extension("RANDR"))]
fn without_randr_the_root_is_the_only_monitor(capture, scene) {
    let monitors = capture.monitors().unwrap();
    assert_eq!(monitors.all(), region(0, 0, 320, 240));
    assert_eq!(monitors.monitors().len(), 1, "{monitors:?}");
    let only = &monitors.monitors()[0];
    assert_eq!(only.region(), region(0, 0, 320, 240));
    assert_eq!(only.output(), None);
    scene.assert_frame(&capture.grab_monitor(1).unwrap());
});

/// Xorg with the dummy driver: two outputs side by side, then a mode change while the same
/// capturer stays open. One server serves every backend in turn, each starting from the same
/// layout, because Xorg takes seconds to start.
#[test]
fn xorg_dummy_outputs_side_by_side_and_mode_changes() {
    let server =
        XServer::xorg_dummy(&DummyOptions::new()).unwrap_or_else(|error| panic!("{error}"));
    for backend in backends()
        .into_iter()
        .filter(|backend| backend.system() == DisplaySystem::X11)
    {
        server.set_mode("DUMMY0", "1400x1050").unwrap();
        server
            .enable_output("DUMMY1", "1280x720", Some("DUMMY0"))
            .unwrap();
        server.set_primary("DUMMY0").unwrap();
        let scene = server.paint_scene().unwrap();
        assert_eq!((scene.width(), scene.height()), (2680, 1050));
        let mut capture = backend.open(server.display()).unwrap();
        let context = format!("backend {}", backend.name());

        let monitors = capture.monitors().unwrap();
        assert_eq!(monitors.all(), region(0, 0, 2680, 1050), "{context}");
        assert_eq!(
            layout(&monitors),
            [
                (region(0, 0, 1400, 1050), true, Some("DUMMY0")),
                (region(1400, 0, 1280, 720), false, Some("DUMMY1")),
            ],
            "{context}"
        );
        let right = capture.grab_monitor(2).unwrap();
        assert_eq!(right.region(), region(1400, 0, 1280, 720), "{context}");
        scene.assert_frame(&right);

        // The list follows a mode change between two calls on the same capturer.
        server.set_mode("DUMMY1", "1024x768").unwrap();
        let monitors = capture.monitors().unwrap();
        assert_eq!(monitors.all(), region(0, 0, 2424, 1050), "{context}");
        assert_eq!(
            layout(&monitors),
            [
                (region(0, 0, 1400, 1050), true, Some("DUMMY0")),
                (region(1400, 0, 1024, 768), false, Some("DUMMY1")),
            ],
            "{context}"
        );
        let right = capture.grab_monitor(2).unwrap();
        assert_eq!((right.width(), right.height()), (1024, 768), "{context}");
        scene.assert_frame(&right);

        // Growing past the painted scene: the root's background tiles into the new area, and
        // the whole new screen can be grabbed.
        server.set_mode("DUMMY1", "1600x900").unwrap();
        let screen = capture.grab_screen().unwrap();
        assert_eq!(screen.region(), region(0, 0, 3000, 1050), "{context}");
        let right = capture.grab_monitor(2).unwrap();
        assert_eq!(right.region(), region(1400, 0, 1600, 900), "{context}");
        scene.assert_frame(&right);

        // A mode the server does not list is created on the fly.
        server.set_mode("DUMMY1", "333x211").unwrap();
        let monitors = capture.monitors().unwrap();
        assert_eq!(
            monitors.get(2).unwrap(),
            region(1400, 0, 333, 211),
            "{context}"
        );
        drop(capture);
        server.disable_output("DUMMY1").unwrap();
    }
}

/// Depth 8 (a palette visual) cannot be captured: opening says so, naming the depth.
#[test]
fn depth_8_screens_are_refused_by_every_backend() {
    let server = XServer::xvfb(&XvfbOptions::new(64, 48, 8)).unwrap();
    for backend in backends()
        .into_iter()
        .filter(|backend| backend.system() == DisplaySystem::X11)
    {
        let error = backend
            .open(server.display())
            .err()
            .unwrap_or_else(|| panic!("backend {} opened a depth-8 screen", backend.name()));
        assert!(
            matches!(error, mss_core::Error::UnsupportedFormat { depth: 8, .. }),
            "{}: {error:?}",
            backend.name()
        );
    }
}
