use mss_core::{Error, Region};
use mss_testkit::backend_test;

backend_test!(fn regions_off_the_screen_are_refused_with_the_region_and_screen(capture, scene, server) {
    let screen = Region::new(0, 0, 640, 480).unwrap();
    let bad = [
        // Partly off each side.
        (-1, 10, 20, 20),
        (10, -1, 20, 20),
        (621, 10, 20, 20),
        (10, 461, 20, 20),
        // Larger than the screen.
        (0, 0, 641, 480),
        (0, 0, 640, 481),
        // Entirely off the screen.
        (640, 0, 1, 1),
        (0, 480, 1, 1),
        (-50, -50, 10, 10),
        (5000, 5000, 3, 3),
    ];
    for (left, top, width, height) in bad {
        let region = Region::new(left, top, width, height).unwrap();
        let error = capture.grab(region).unwrap_err();
        assert!(
            matches!(&error, Error::RegionOutOfBounds { region: r, screen: s, display }
                if *r == region && *s == screen && display == server.display()),
            "{region}: {error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(&region.to_string()), "{message}");
        assert!(message.contains("640x480 at (0, 0)"), "{message}");
    }
    // The capturer still works after refusing.
    scene.assert_frame(&capture.grab(Region::new(620, 460, 20, 20).unwrap()).unwrap());
});

backend_test!(fn monitor_numbers_that_do_not_exist_are_refused(capture, scene) {
    for number in [2, -1] {
        let error = capture.grab_monitor(number).unwrap_err();
        assert!(
            matches!(error, Error::MonitorNotFound { count: 1, number: n, .. } if n == number),
            "{error:?}"
        );
    }
    scene.assert_frame(&capture.grab_monitor(1).unwrap());
    scene.assert_frame(&capture.grab_monitor(0).unwrap());
});
