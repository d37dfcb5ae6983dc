use mss_core::{Capture, Error, Monitor, Monitors, Region};
use mss_testkit::server::{DummyOptions, XServer, XvfbOptions};
use mss_x11::{AutoConnection, MonitorSource, X11Options};

use crate::support::{DisplayCapture, region, scene, xvfb, xvfb_with};

/// Opens the plumbing on `server` with `options`.
fn capture_with(server: &XServer, options: X11Options) -> DisplayCapture<AutoConnection> {
    DisplayCapture::open(server, options)
}

/// The monitor list from both RandR paths, which must agree.
fn monitors_by_both_paths(server: &XServer) -> Monitors {
    let from_get_monitors = capture_with(server, X11Options::new()).monitors().unwrap();
    let from_crtcs = capture_with(
        server,
        X11Options::new().monitor_source(MonitorSource::Crtcs),
    )
    .monitors()
    .unwrap();
    assert_eq!(
        from_get_monitors, from_crtcs,
        "GetMonitors and CRTCs disagree"
    );
    from_get_monitors
}

/// Starts Xorg with the dummy driver, DUMMY0 at 1024x768.
fn dummy() -> XServer {
    let server = XServer::xorg_dummy(&DummyOptions::new())
        .unwrap_or_else(|error| panic!("cannot start Xorg with the dummy driver: {error}"));
    server.set_mode("DUMMY0", "1024x768").unwrap();
    server
}

fn dummy0() -> Monitor {
    Monitor::new(region(0, 0, 1024, 768))
        .with_primary(true)
        .with_output("DUMMY0")
}

#[test]
fn xvfb_has_one_monitor_named_screen() {
    let server = xvfb(640, 480, 24);
    let monitors = monitors_by_both_paths(&server);
    assert_eq!(monitors.display(), server.display());
    assert_eq!(monitors.all(), region(0, 0, 640, 480));
    assert_eq!(
        monitors.monitors(),
        [Monitor::new(region(0, 0, 640, 480)).with_output("screen")]
    );
    let root_only = capture_with(
        &server,
        X11Options::new().monitor_source(MonitorSource::RootOnly),
    )
    .monitors()
    .unwrap();
    assert_eq!(
        root_only.monitors(),
        [Monitor::new(region(0, 0, 640, 480)).with_primary(true)]
    );
}

#[test]
fn without_randr_the_root_is_the_only_monitor() {
    let server = xvfb_with(&XvfbOptions::new(640, 480, 24).disable_extension("RANDR"));
    let scene = scene(&server);
    let mut capture = capture_with(&server, X11Options::new());
    assert_eq!(capture.display().randr_version(), None);
    let monitors = capture.monitors().unwrap();
    assert_eq!(monitors.all(), region(0, 0, 640, 480));
    assert_eq!(
        monitors.monitors(),
        [Monitor::new(region(0, 0, 640, 480)).with_primary(true)]
    );
    scene.assert_frame(&capture.grab_monitor(1).unwrap());
    let error = capture.grab_monitor(2).unwrap_err();
    assert!(
        matches!(
            error,
            Error::MonitorNotFound {
                number: 2,
                count: 1,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn both_randr_paths_list_two_dummy_monitors() {
    let server = dummy();
    server
        .enable_output("DUMMY1", "800x600", Some("DUMMY0"))
        .unwrap();
    let scene = scene(&server);
    let monitors = monitors_by_both_paths(&server);
    assert_eq!(monitors.all(), region(0, 0, 1824, 768));
    assert_eq!(
        monitors.monitors(),
        [
            dummy0(),
            Monitor::new(region(1024, 0, 800, 600)).with_output("DUMMY1"),
        ]
    );
    let mut capture = capture_with(&server, X11Options::new());
    assert!(capture.display().randr_version() >= Some((1, 5)));
    for number in [0, 1, 2] {
        let frame = capture.grab_monitor(number).unwrap();
        assert_eq!(frame.region(), monitors.get(number).unwrap());
        scene.assert_frame(&frame);
    }
}

#[test]
fn monitors_follow_layout_changes_between_calls() {
    let server = dummy();
    let mut by_get_monitors = capture_with(&server, X11Options::new());
    let mut by_crtcs = capture_with(
        &server,
        X11Options::new().monitor_source(MonitorSource::Crtcs),
    );
    let mut check = |all: Region, expected: &[Monitor]| {
        for capture in [&mut by_get_monitors, &mut by_crtcs] {
            let monitors = capture.monitors().unwrap();
            assert_eq!(monitors.all(), all);
            assert_eq!(monitors.monitors(), expected);
            assert_eq!(
                capture.screen().unwrap().region(),
                all,
                "screen() follows too"
            );
        }
    };
    check(region(0, 0, 1024, 768), &[dummy0()]);

    server
        .enable_output("DUMMY1", "800x600", Some("DUMMY0"))
        .unwrap();
    let dummy1 = |width, height| Monitor::new(region(1024, 0, width, height)).with_output("DUMMY1");
    check(region(0, 0, 1824, 768), &[dummy0(), dummy1(800, 600)]);

    server.set_mode("DUMMY1", "640x480").unwrap();
    check(region(0, 0, 1664, 768), &[dummy0(), dummy1(640, 480)]);

    server.set_primary("DUMMY1").unwrap();
    let listed = by_get_monitors.monitors().unwrap();
    let primary = listed.primary().unwrap();
    assert_eq!(
        (primary.output(), primary.region()),
        (Some("DUMMY1"), region(1024, 0, 640, 480))
    );
    assert_eq!(
        listed.monitors().iter().filter(|m| m.is_primary()).count(),
        1
    );

    server.disable_output("DUMMY1").unwrap();
    let monitors = by_crtcs.monitors().unwrap();
    assert_eq!(monitors.all(), region(0, 0, 1024, 768));
    assert_eq!(monitors.monitors().len(), 1);
    assert_eq!(monitors.monitors()[0].output(), Some("DUMMY0"));
}

/// A region right of DUMMY0 is off the screen until DUMMY1 is enabled, on it afterwards, and
/// off again once DUMMY1 is disabled: with screen-change events watched, and without (where
/// the server's BadMatch tells the capturer the screen shrank).
#[test]
fn grabs_use_the_screen_size_after_a_mode_change() {
    for watch in [true, false] {
        let server = dummy();
        let scene = scene(&server);
        let mut capture = capture_with(&server, X11Options::new().watch_screen_changes(watch));
        let beyond = region(1100, 100, 50, 50);
        let assert_out_of_bounds = |error: Error, width: u32| {
            assert!(
                matches!(&error, Error::RegionOutOfBounds { region, screen, .. }
                    if *region == beyond && *screen == crate::support::region(0, 0, width, 768)),
                "watch {watch}: {error:?}"
            );
        };
        assert_out_of_bounds(capture.grab(beyond).unwrap_err(), 1024);

        server
            .enable_output("DUMMY1", "800x600", Some("DUMMY0"))
            .unwrap();
        // Asked before any grab: with events watched this size comes from the
        // ScreenChangeNotify event alone (nothing else has re-read the root since).
        assert_eq!(
            capture.screen().unwrap().region(),
            region(0, 0, 1824, 768),
            "watch {watch}"
        );
        let frame = capture
            .grab(beyond)
            .unwrap_or_else(|error| panic!("watch {watch}: {error}"));
        scene.assert_frame(&frame);
        assert_eq!(capture.screen().unwrap().region(), region(0, 0, 1824, 768));

        server.disable_output("DUMMY1").unwrap();
        assert_out_of_bounds(capture.grab(beyond).unwrap_err(), 1024);
        scene.assert_frame(&capture.grab(region(0, 0, 1024, 768)).unwrap());
    }
}

/// A 128-byte EDID base block whose display-name descriptor is `name`, checksum included.
fn edid_named(name: &str) -> Vec<u8> {
    let mut block = vec![0u8; 128];
    block[..8].copy_from_slice(&[0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]);
    // Descriptor slot 2 (offset 72): zero pixel clock, tag 0xFC, then 13 text bytes ended by
    // a line feed and padded with spaces.
    block[72 + 3] = 0xFC;
    let mut text = [b' '; 13];
    text[..name.len()].copy_from_slice(name.as_bytes());
    text[name.len()] = b'\n';
    block[72 + 5..72 + 18].copy_from_slice(&text);
    let sum = block.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte));
    block[127] = 0u8.wrapping_sub(sum);
    block
}

/// Sets an EDID property on every output of `display`, as a monitor's driver would.
fn give_outputs_an_edid(display: &str, edid: &[u8]) {
    use mss_x11::x11rb::connection::Connection as _;
    use mss_x11::x11rb::protocol::randr::ConnectionExt as _;
    use mss_x11::x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, PropMode};

    let (connection, screen) = x11rb::connect(Some(display)).unwrap();
    let root = connection.setup().roots[screen].root;
    let edid_atom = connection
        .intern_atom(false, b"EDID")
        .unwrap()
        .reply()
        .unwrap()
        .atom;
    let resources = connection
        .randr_get_screen_resources_current(root)
        .unwrap()
        .reply()
        .unwrap();
    for output in resources.outputs {
        connection
            .randr_change_output_property(
                output,
                edid_atom,
                AtomEnum::INTEGER.into(),
                8,
                PropMode::REPLACE,
                edid.len() as u32,
                edid,
            )
            .unwrap()
            .check()
            .unwrap();
    }
}

#[test]
fn edid_display_names_name_the_monitors() {
    let server = xvfb(640, 480, 24);
    give_outputs_an_edid(server.display(), &edid_named("Test Panel"));
    let monitors = monitors_by_both_paths(&server);
    assert_eq!(
        monitors.monitors(),
        [Monitor::new(region(0, 0, 640, 480))
            .with_output("screen")
            .with_name("Test Panel")]
    );

    // A block with a broken checksum names nothing.
    let mut broken = edid_named("Test Panel");
    broken[127] ^= 1;
    give_outputs_an_edid(server.display(), &broken);
    let monitors = monitors_by_both_paths(&server);
    assert_eq!(monitors.monitors()[0].name(), None);
}

#[test]
fn virtual_monitors_show_through_get_monitors_only() {
    let server = dummy();
    server
        .xrandr(&["--setmonitor", "HALF", "512/100x768/100+0+0", "none"])
        .unwrap();
    let by_get_monitors = capture_with(&server, X11Options::new()).monitors().unwrap();
    assert!(
        by_get_monitors
            .monitors()
            .contains(&Monitor::new(region(0, 0, 512, 768))),
        "{by_get_monitors:?}"
    );
    let by_crtcs = capture_with(
        &server,
        X11Options::new().monitor_source(MonitorSource::Crtcs),
    )
    .monitors()
    .unwrap();
    assert_eq!(by_crtcs.monitors(), [dummy0()]);
}
