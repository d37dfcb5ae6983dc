//! What every test here starts from: a mutter with the pattern on its monitors, and a
//! capturer of it.

use std::time::{Duration, Instant};

use mss_core::{Capture, Frame, Region};
use mss_pipewire::{PipeWireCapture, PipeWireOptions};
use mss_testkit::{MutterOptions, MutterServer, XdgScene};

/// Waits longer than any of these should take on a loaded machine: a guard against hangs,
/// never a verdict on speed.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

/// A headless mutter with virtual monitors of `sizes` (`Meta-0` first).
pub fn mutter(sizes: &[(u32, u32)]) -> MutterServer {
    MutterServer::start(&MutterOptions::new().monitors(sizes)).unwrap_or_else(|error| {
        panic!(
            "{error}\n(run `cargo xtask test`, which installs mutter, PipeWire, WirePlumber and \
             dbus)"
        )
    })
}

/// The pattern full-screen on every monitor of `server`.
pub fn scene(server: &MutterServer) -> XdgScene {
    XdgScene::show(&server.wayland_display())
        .unwrap_or_else(|error| panic!("{error}\n{}", server.log()))
}

/// A capturer of `server`'s session, opened by its Wayland socket's path.
pub fn open(server: &MutterServer) -> PipeWireCapture {
    PipeWireCapture::open_with(
        Some(server.wayland_display_name()),
        PipeWireOptions::new().timeout(Some(HANG_GUARD)),
    )
    .unwrap_or_else(|error| panic!("{error}\n{}", server.log()))
}

pub fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
    Region::new(left, top, width, height).unwrap()
}

/// Grabs `region` until a frame shows what `scene` expects, for at most a minute: a change
/// reaches a PipeWire capturer after the compositor shows it (mutter records the frame just
/// after the repaint whose frame callback the scene waits for). Returns that frame.
pub fn grab_once_shown(capture: &mut dyn Capture, scene: &XdgScene, region: Region) -> Frame {
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        let frame = capture.grab(region).unwrap();
        match scene.check_frame(&frame) {
            Ok(()) => return frame,
            Err(mismatch) if Instant::now() >= deadline => {
                panic!("no grab showed the screen within {HANG_GUARD:?}: {mismatch}")
            }
            Err(_) => std::thread::yield_now(),
        }
    }
}

/// Turns the first monitor of `server` by `transform` (mutter's numbering: 1 is a quarter
/// turn) with `DisplayConfig.ApplyMonitorsConfig`, as GNOME's settings do.
pub fn turn_first_monitor(server: &MutterServer, transform: u32) {
    use std::collections::HashMap;

    use zbus::zvariant::{OwnedValue, Value};

    type Spec = (String, String, String, String);
    type Mode = (
        String,
        i32,
        i32,
        f64,
        f64,
        Vec<f64>,
        HashMap<String, OwnedValue>,
    );
    type Logical = (
        i32,
        i32,
        f64,
        u32,
        bool,
        Vec<Spec>,
        HashMap<String, OwnedValue>,
    );
    /// `(x, y, scale, transform, primary, [(connector, mode, properties)])`.
    type NewLogical<'a> = (
        i32,
        i32,
        f64,
        u32,
        bool,
        Vec<(&'a str, &'a str, HashMap<&'a str, Value<'a>>)>,
    );
    type State = (
        u32,
        Vec<(Spec, Vec<Mode>, HashMap<String, OwnedValue>)>,
        Vec<Logical>,
        HashMap<String, OwnedValue>,
    );
    const DISPLAY_CONFIG: &str = "org.gnome.Mutter.DisplayConfig";
    let connection = zbus::blocking::connection::Builder::address(server.bus_address())
        .and_then(|builder| builder.method_timeout(HANG_GUARD).build())
        .unwrap();
    let reply = connection
        .call_method(
            Some(DISPLAY_CONFIG),
            "/org/gnome/Mutter/DisplayConfig",
            Some(DISPLAY_CONFIG),
            "GetCurrentState",
            &(),
        )
        .unwrap();
    let (serial, monitors, _, _): State = reply.body().deserialize().unwrap();
    let (spec, modes, _) = &monitors[0];
    let current = modes
        .iter()
        .find(|mode| {
            mode.6
                .get("is-current")
                .and_then(|value| bool::try_from(value).ok())
                .unwrap_or(false)
        })
        .expect("a current mode");
    let logical: Vec<NewLogical<'_>> = vec![(
        0,
        0,
        1.0,
        transform,
        true,
        vec![(spec.0.as_str(), current.0.as_str(), HashMap::new())],
    )];
    // Method 1: temporary, as a test wants (nothing written to the user's configuration).
    connection
        .call_method(
            Some(DISPLAY_CONFIG),
            "/org/gnome/Mutter/DisplayConfig",
            Some(DISPLAY_CONFIG),
            "ApplyMonitorsConfig",
            &(serial, 1u32, logical, HashMap::<&str, Value<'_>>::new()),
        )
        .unwrap_or_else(|error| panic!("ApplyMonitorsConfig: {error}\n{}", server.log()));
}
