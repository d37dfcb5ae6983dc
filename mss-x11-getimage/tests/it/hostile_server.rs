//! The backend against hostile X servers: the test kit's fake server, scripted by `proptest`
//! (screens of every layout, row padding and byte order, image replies of the wrong length,
//! depth or visual, errors, events before every reply, numbered right or not, monitors far off
//! the screen with names of any bytes). Every call returns, without a panic, either an error or
//! a frame holding exactly the pixels the server has; a script a healthy server could have
//! sent is captured.

use std::sync::mpsc;
use std::time::Duration;

use mss_core::{Capture as _, Error, Frame, Region};
use mss_testkit::fake_x_server::strategies::{Hostile, scripts};
use mss_testkit::fake_x_server::{FakeScreen, FakeXServer, ROOT_SEED, fake_row, fake_stride};
use mss_x11_getimage::{ConnectionPreference, GetImageCapture, X11Options};
use proptest::collection::vec;
use proptest::prelude::*;

/// The time each wait on the fake server is allowed: far beyond its answers.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a case may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(60);

/// Runs `case` on a thread of its own; a panic or a hang is a failure of the case.
pub fn bounded(case: impl FnOnce() -> Result<(), String> + Send + 'static) -> Result<(), String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(case());
    });
    match receiver.recv_timeout(HANG) {
        Ok(outcome) => outcome,
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("no answer within {HANG:?}")),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("the case panicked".to_owned()),
    }
}

/// Checks that `frame`, a grab of `region` of the fake server's root, holds exactly its
/// pixels, rows as the screen pads them.
pub fn check_root_frame(frame: &Frame, region: Region, screen: &FakeScreen) -> Result<(), String> {
    let bits = screen.bits_per_pixel;
    if frame.region() != region {
        return Err(format!("a frame of {} for {region}", frame.region()));
    }
    if frame.format().bytes_per_pixel() * 8 != usize::from(bits) {
        return Err(format!(
            "{:?} on a screen of {bits} bits a pixel",
            frame.format()
        ));
    }
    let width = u16::try_from(region.width()).map_err(|error| error.to_string())?;
    if frame.stride() != fake_stride(width, bits, screen.scanline_pad) {
        return Err(format!("stride {} for {region}", frame.stride()));
    }
    for (row, bytes) in frame.rows().enumerate() {
        let top = region.top() + i32::try_from(row).map_err(|error| error.to_string())?;
        if bytes != fake_row(ROOT_SEED, region.left(), top, region.width(), bits) {
            return Err(format!(
                "row {row} of {region} differs from the server's pixels"
            ));
        }
    }
    Ok(())
}

/// Regions of a `width` x `height` screen: mostly on it, now and then across its edges or off
/// it.
pub fn regions(width: u16, height: u16) -> impl Strategy<Value = Vec<Region>> {
    let (width, height) = (i32::from(width), i32::from(height));
    let on = (0..width, 0..height).prop_flat_map(move |(left, top)| {
        (Just(left), Just(top), 1..=width - left, 1..=height - top)
    });
    let anywhere = (-8..width + 8, -8..height + 8, 1..width + 16, 1..height + 16);
    let region = prop_oneof![4 => on, 1 => anywhere].prop_map(|(left, top, w, h)| {
        Region::new(left, top, w as u32, h as u32).expect("a region of positive size")
    });
    vec(region, 1..4)
}

/// A hostile script and regions of its screen.
pub fn scripts_and_regions() -> impl Strategy<Value = (Hostile, Vec<Region>)> {
    scripts().prop_flat_map(|hostile| {
        let screen = &hostile.script.screen;
        let regions = regions(screen.width, screen.height);
        (Just(hostile), regions)
    })
}

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

/// Checks monitors listed from `outputs` RandR outputs: no more than there are (the root
/// alone without any), names made printable.
pub fn check_monitors(monitors: &mss_core::Monitors, outputs: usize) -> Result<(), String> {
    let listed = monitors.monitors().len();
    if listed > outputs.max(1) {
        return Err(format!("{listed} monitors from {outputs} outputs"));
    }
    for monitor in monitors.monitors() {
        for name in [monitor.output(), monitor.name()].into_iter().flatten() {
            let printable = |c: char| c.is_ascii_graphic() || c == ' ' || c == '\u{fffd}';
            if !name.chars().all(printable) {
                return Err(format!("an output name not made printable: {name:?}"));
            }
        }
    }
    Ok(())
}

/// Checks that `error`, as it prints, carries nothing of the server's that could drive a
/// terminal.
pub fn printable_error(error: &Error) -> Result<(), String> {
    let text = error.to_string();
    if text.chars().any(char::is_control) {
        return Err(format!("an error not made printable: {text:?}"));
    }
    Ok(())
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
