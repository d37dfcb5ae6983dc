//! The MIT-SHM backend against hostile X servers: the test kit's fake server, scripted by
//! `proptest`, with or without MIT-SHM (versions before and after `ShmAttachFd`, the attach
//! accepted or refused as over TCP). The fake server receives each segment as a descriptor and
//! writes images into it, so the shared-memory path runs as against a real server, while what
//! the replies say (sizes, depths, visuals, errors) is the script's. Every grab returns, without
//! a panic, an error or a frame holding exactly the server's pixels, whether from a segment or
//! from the `GetImage` fallback; frames held stay exact; the pool never outgrows its limit.
//! Window trees from `proptest` go through this backend's window captures (`ShmGetImage` of a
//! window's pixmap into a segment) the same way.

use std::time::Duration;

use mss_core::{Capture as _, Error, Frame, Region};
use mss_testkit::fake_x_server::checks::{
    bounded, check_root_frame, check_window_frame, printable_error,
};
use mss_testkit::fake_x_server::strategies::{Hostile, scripts_and_regions, window_trees};
use mss_testkit::fake_x_server::{FakeShm, FakeXServer, XScript};
use mss_x11_shm::{ConnectionPreference, ShmCapture, ShmOptions, X11Options};
use proptest::prelude::*;

/// The time each wait on the fake server is allowed: far beyond its answers.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The most segments the capturer keeps: fewer than the frames a case may hold, now and then.
const MAX_BUFFERS: usize = 2;

/// One case: the backend opened on the fake server, `regions` grabbed and every frame held to
/// the end, where each is checked again.
fn capture_case(
    hostile: &Hostile,
    regions: &[Region],
    preference: ConnectionPreference,
    server: &FakeXServer,
) -> Result<(), String> {
    let script = &hostile.script;
    let shm_works = script
        .extensions
        .shm
        .is_some_and(|shm| shm.attach && shm.version >= (1, 2));
    let options = ShmOptions::new().max_buffers(MAX_BUFFERS).x11(
        X11Options::new()
            .connection(preference)
            .timeout(Some(TIMEOUT)),
    );
    let mut capture = match ShmCapture::open_with(Some(server.display()), options) {
        Ok(capture) => capture,
        Err(error) if hostile.benign => return Err(format!("a benign server refused: {error}")),
        Err(error) => return printable_error(&error),
    };
    let screen = Region::new(
        0,
        0,
        u32::from(script.screen.width),
        u32::from(script.screen.height),
    )
    .expect("a screen of at least 1x1");
    let mut held: Vec<(Frame, Region)> = Vec::new();
    for &region in regions {
        match capture.grab(region) {
            Ok(frame) => {
                check_root_frame(&frame, region, &script.screen)?;
                held.push((frame, region));
            }
            Err(Error::RegionOutOfBounds { .. }) if !screen.contains(&region) => {}
            Err(Error::BuffersExhausted { limit }) if held.len() >= limit => {}
            Err(error) if hostile.benign => {
                return Err(format!("a benign server's {region} failed: {error}"));
            }
            Err(error) => printable_error(&error)?,
        }
        if let Some(stats) = capture.pool_stats()
            && stats.live > MAX_BUFFERS
        {
            return Err(format!(
                "{} segments for a limit of {MAX_BUFFERS}",
                stats.live
            ));
        }
    }
    if hostile.benign && shm_works && !held.is_empty() && !capture.is_shm_active() {
        return Err(format!(
            "a benign server's shared memory was given up: {:?}",
            capture.status().fallback_reason
        ));
    }
    // Frames outlive later grabs and the capturer, and still hold what was captured.
    drop(capture);
    for (frame, region) in &held {
        check_root_frame(frame, *region, &script.screen)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_hostile_server_gives_errors_or_exact_frames_from_segments_or_get_image(
        (mut hostile, regions) in scripts_and_regions(),
        shm in prop::option::weighted(0.85, (0u16..=2, prop::bool::weighted(0.85))),
        preference in prop_oneof![Just(ConnectionPreference::PureRust), Just(ConnectionPreference::Libxcb)],
    ) {
        hostile.script.extensions.shm = shm.map(|(minor, attach)| FakeShm {
            version: (1, minor),
            attach,
        });
        let server = FakeXServer::start(hostile.script.clone()).unwrap();
        let outcome = bounded(move || capture_case(&hostile, &regions, preference, &server));
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }

    #[test]
    fn hostile_window_trees_give_errors_or_exact_windows_from_segments(
        (windows, root_children, root_properties, manager) in window_trees(),
        composite in any::<bool>(),
    ) {
        let mut script = XScript::new(64, 48);
        script.windows = windows;
        script.root_children = root_children;
        script.root_properties = root_properties;
        script.window_manager = manager;
        script.extensions.composite = composite.then_some((0, 4));
        script.extensions.shm = Some(FakeShm { version: (1, 2), attach: true });
        let server = FakeXServer::start(script.clone()).unwrap();
        let outcome = bounded(move || {
            let options = ShmOptions::new().max_buffers(MAX_BUFFERS).x11(
                X11Options::new()
                    .connection(ConnectionPreference::PureRust)
                    .timeout(Some(TIMEOUT)),
            );
            let mut capture = ShmCapture::open_with(Some(server.display()), options)
                .map_err(|error| format!("a plain screen refused: {error}"))?;
            if let Err(error) = capture.windows() {
                printable_error(&error)?;
            }
            for window in &script.windows {
                match capture.grab_window(u64::from(window.id)) {
                    Ok(frame) => check_window_frame(&frame, &script, window.id)?,
                    Err(error) => printable_error(&error)?,
                }
            }
            if !capture.is_shm_active() {
                return Err("shared memory given up over window captures".to_owned());
            }
            Ok(())
        });
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }
}
