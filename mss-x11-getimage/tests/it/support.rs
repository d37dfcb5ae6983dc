use mss_core::{Capture, Region};
use mss_testkit::scene::Scene;
use mss_testkit::server::{XServer, XvfbOptions};

/// Starts a private Xvfb of the given size and depth, or fails the test saying why.
pub fn xvfb(width: u32, height: u32, depth: u8) -> XServer {
    xvfb_with(&XvfbOptions::new(width, height, depth))
}

/// Starts a private Xvfb as `options` say, or fails the test saying why.
pub fn xvfb_with(options: &XvfbOptions) -> XServer {
    XServer::xvfb(options).unwrap_or_else(|error| panic!("cannot start Xvfb: {error}"))
}

/// Paints the known scene on `server`, or fails the test saying why.
pub fn scene(server: &XServer) -> Scene {
    server
        .paint_scene()
        .unwrap_or_else(|error| panic!("cannot paint the scene: {error}"))
}

/// A region the test knows is valid.
pub fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
    Region::new(left, top, width, height).expect("test regions are valid")
}

/// Grabs the whole screen and regions with odd sizes and positions (which exercise row
/// padding at 16 bits per pixel), and checks every pixel against the scene.
pub fn assert_grabs_match_scene(capture: &mut dyn Capture, scene: &Scene) {
    let (width, height) = (scene.width(), scene.height());
    let regions = [
        region(0, 0, width, height),
        region(0, 0, 1, 1),
        region(17, 5, 41, 13),
        region(3, 7, 3, 2),
        region(width as i32 - 1, height as i32 - 1, 1, 1),
        region(1, 2, width - 1, height - 2),
    ];
    for asked in regions {
        let frame = capture
            .grab(asked)
            .unwrap_or_else(|error| panic!("grab of {asked} failed: {error}"));
        assert_eq!(frame.region(), asked);
        assert_eq!(frame.format(), scene.format());
        scene.assert_frame(&frame);
    }
    let frame = capture.grab_screen().expect("whole-screen grab");
    assert_eq!(frame.region(), region(0, 0, width, height));
    scene.assert_frame(&frame);
}
