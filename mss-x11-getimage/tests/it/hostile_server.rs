//! The backend against hostile X servers: the test kit's fake server, scripted by `proptest`
//! (screens of every layout, row padding and byte order, image replies of the wrong length,
//! depth or visual, errors, events before every reply, monitors far off the screen with names
//! of any bytes). Every call returns, without a panic, either an error or a frame holding
//! exactly the pixels the server has; a script a healthy server could have sent is captured.

use std::time::Duration;

use mss_core::{Capture as _, Error, Region};
use mss_testkit::fake_x_server::checks::{
    bounded, check_monitors, check_root_frame, printable_error,
};
use mss_testkit::fake_x_server::strategies::{Hostile, scripts_and_regions};
use mss_testkit::fake_x_server::{FakeScreen, FakeXServer};
use mss_x11_getimage::{ConnectionPreference, GetImageCapture, X11Options};
use proptest::prelude::*;

/// The time each wait on the fake server is allowed: far beyond its answers.
const TIMEOUT: Duration = Duration::from_secs(10);

fn screen_region(screen: &FakeScreen) -> Region {
    Region::new(0, 0, u32::from(screen.width), u32::from(screen.height)).unwrap()
}

/// One case: the backend opened on the fake server, `regions` grabbed, the monitors listed.
fn capture_case(
    hostile: &Hostile,
    regions: &[Region],
    preference: ConnectionPreference,
    server: &FakeXServer,
) -> Result<(), String> {
    let script = &hostile.script;
    let options = X11Options::new()
        .connection(preference)
        .timeout(Some(TIMEOUT));
    let mut capture = match GetImageCapture::open_with(Some(server.display()), options) {
        Ok(capture) => capture,
        Err(error) if hostile.benign => return Err(format!("a benign server refused: {error}")),
        Err(error) => return printable_error(&error),
    };
    let screen = screen_region(&script.screen);
    for &region in regions {
        match capture.grab(region) {
            Ok(frame) => check_root_frame(&frame, region, &script.screen)?,
            Err(Error::RegionOutOfBounds { .. }) if !screen.contains(&region) => {}
            Err(error) if hostile.benign => {
                return Err(format!("a benign server's {region} failed: {error}"));
            }
            Err(error) => printable_error(&error)?,
        }
    }
    match capture.monitors() {
        Ok(monitors) => check_monitors(&monitors, script.monitors.len()),
        Err(error) if hostile.benign => Err(format!("a benign server's monitors failed: {error}")),
        Err(error) => printable_error(&error),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_hostile_server_gives_errors_or_exact_frames(
        (hostile, regions) in scripts_and_regions(),
        preference in prop_oneof![Just(ConnectionPreference::PureRust), Just(ConnectionPreference::Libxcb)],
    ) {
        let server = FakeXServer::start(hostile.script.clone()).unwrap();
        let outcome = bounded(move || capture_case(&hostile, &regions, preference, &server));
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }
}
