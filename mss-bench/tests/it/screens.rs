//! The benchmark screens check what they will time: every backend and floor captures the
//! scene. (The floors' own tests live with them, in `mss-floor`.)

use mss_bench::{BenchScreen, ScreenSize};
use mss_core::Region;

fn screen() -> BenchScreen {
    BenchScreen::start(ScreenSize::new(800, 600))
        .unwrap_or_else(|error| panic!("{error} (run `cargo xtask test`, which installs Xvfb)"))
}

#[test]
fn every_backend_and_floor_captures_the_scene() {
    let screen = screen();
    screen
        .check_backends(Region::new(0, 0, 800, 600).unwrap())
        .unwrap();
    screen
        .check_backends(Region::new(17, 33, 640, 480).unwrap())
        .unwrap();
}
