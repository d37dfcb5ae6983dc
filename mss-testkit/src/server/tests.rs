//! Tests of the server guards against the real Xvfb and Xorg.

use std::path::Path;

use mss_core::{Frame, PixelFormat, Region, Rgba};
use rstest::rstest;
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{ConnectionExt, ImageFormat};

use super::sway::processes_in_group;
use super::*;
use crate::scene::SceneError;

fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn xvfb_starts_and_is_gone_after_drop() {
    let server = XServer::xvfb_default().unwrap();
    let pid = server.pid();
    let number = server.display().trim_start_matches(':').to_owned();
    let socket = format!("/tmp/.X11-unix/X{number}");
    assert!(process_exists(pid));
    assert!(
        Path::new(&socket).exists(),
        "{socket} exists while the server runs"
    );
    assert_eq!(server.kind(), ServerKind::Xvfb);
    assert_eq!(server.tcp_display(), None);
    drop(server);
    // Reaped, not a zombie: the /proc entry disappears only once the parent has waited.
    assert!(!process_exists(pid), "process {pid} is still there");
    assert!(
        !Path::new(&socket).exists(),
        "SIGTERM lets the server remove {socket}"
    );
}

#[test]
fn two_servers_get_different_displays() {
    let first = XServer::xvfb_default().unwrap();
    let second = XServer::xvfb_default().unwrap();
    assert_ne!(first.display(), second.display());
    assert!(first.display().starts_with(':'));
}

#[test]
fn a_missing_binary_says_to_run_xtask() {
    let options = XvfbOptions::default().binary("/nonexistent/Xvfb");
    let error = XServer::xvfb(&options).unwrap_err();
    assert!(
        matches!(error, ServerError::BinaryMissing { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "\"/nonexistent/Xvfb\" was not found; run `cargo xtask test`, which installs the X servers and tools the tests need"
    );
    let error = XServer::xorg_dummy(&DummyOptions::new().binary("/nonexistent/Xorg")).unwrap_err();
    assert!(
        matches!(error, ServerError::BinaryMissing { .. }),
        "{error:?}"
    );
}

#[test]
fn a_server_that_refuses_to_start_reports_its_log() {
    // Xvfb refuses depth 32 for the root.
    let error = XServer::xvfb(&XvfbOptions::new(100, 100, 32)).unwrap_err();
    assert!(matches!(error, ServerError::Exited { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("failed to start"), "{message}");
    assert!(message.contains("its log ends with"), "{message}");
}

#[test]
fn a_server_that_never_answers_times_out() {
    // `sleep` ignores the server arguments' meaning but never writes a display number: it
    // stands in for a hung server. Its arguments are invalid, so use a shell wrapper instead.
    let directory = tempfile::tempdir().unwrap();
    let script = directory.path().join("hung-server");
    std::fs::write(&script, "#!/bin/sh\nexec sleep 30\n").unwrap();
    let mut permissions = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&script, permissions).unwrap();
    let options = XvfbOptions::default()
        .binary(&script)
        .timeout(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let error = XServer::xvfb(&options).unwrap_err();
    assert!(
        matches!(error, ServerError::StartTimeout { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("did not report its display within 0.3 s")
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the hung server was killed"
    );
}

#[test]
fn tcp_display_reaches_the_server() {
    let server = XServer::xvfb(&XvfbOptions::default().listen_tcp()).unwrap();
    let tcp = server.tcp_display().unwrap();
    assert_eq!(tcp, format!("127.0.0.1{}", server.display()));
    let (connection, screen) = x11rb::connect(Some(tcp)).unwrap();
    assert_eq!(connection.setup().roots[screen].width_in_pixels, 640);
}

#[test]
fn helpers_run_with_display_set_and_report_failures() {
    let server = XServer::xvfb(&XvfbOptions::new(320, 200, 24)).unwrap();
    let listing = server.xrandr(&["--listmonitors"]).unwrap();
    assert!(listing.contains("screen"), "{listing}");
    assert!(listing.contains("320/"), "{listing}");
    let error = server
        .xrandr(&["--output", "screen", "--mode", "12x34"])
        .unwrap_err();
    assert!(
        matches!(error, ServerError::CommandFailed { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("`xrandr --output screen --mode 12x34` failed"),
        "{error}"
    );
    let error = server.run("mss-no-such-program", ["x"]).unwrap_err();
    assert!(
        matches!(error, ServerError::BinaryMissing { .. }),
        "{error:?}"
    );
    assert_eq!(
        server.run("sh", ["-c", "echo $DISPLAY"]).unwrap().trim(),
        server.display()
    );
}

/// Reads a region back with plain GetImage, independent of any backend.
fn read_back(display: &str, region: Region, format: PixelFormat) -> Frame {
    let (connection, screen) = x11rb::connect(Some(display)).unwrap();
    let root = connection.setup().roots[screen].root;
    let reply = connection
        .get_image(
            ImageFormat::Z_PIXMAP,
            root,
            region.left() as i16,
            region.top() as i16,
            region.width() as u16,
            region.height() as u16,
            !0,
        )
        .unwrap()
        .reply()
        .unwrap();
    let stride = reply.data.len() / region.height() as usize;
    Frame::new(reply.data, 0, region, stride, format).unwrap()
}

#[rstest]
#[case(16, PixelFormat::Rgb565)]
#[case(24, PixelFormat::Bgrx8888)]
#[case(30, PixelFormat::Xrgb2101010)]
fn scenes_paint_and_read_back_exactly(#[case] depth: u8, #[case] format: PixelFormat) {
    let server = XServer::xvfb(&XvfbOptions::new(333, 211, depth)).unwrap();
    let scene = server.paint_scene().unwrap();
    assert_eq!(scene.format(), format);
    assert_eq!((scene.width(), scene.height()), (333, 211));
    let whole = read_back(server.display(), scene.region(), format);
    scene.assert_frame(&whole);
    let corner = read_back(
        server.display(),
        Region::new(330, 200, 3, 11).unwrap(),
        format,
    );
    scene.assert_frame(&corner);
    // The same pixels claimed to come from elsewhere do not match.
    let moved = Frame::from_vec(
        corner.to_owned_frame().bytes().to_vec(),
        Region::new(329, 200, 3, 11).unwrap(),
        format,
    )
    .unwrap();
    assert_eq!(scene.check_frame(&moved).unwrap_err().wrong_pixels, 33);
}

#[test]
fn painted_rectangles_show_and_are_expected() {
    let server = XServer::xvfb(&XvfbOptions::new(200, 100, 16)).unwrap();
    let mut scene = server.paint_scene().unwrap();
    let colour = Rgba::rgb(0x12, 0x34, 0x56);
    let area = Region::new(10, 20, 30, 40).unwrap();
    scene.paint_rect(area, colour).unwrap();
    assert_eq!(
        scene.expected(10, 20),
        crate::pattern::quantise(scene.format(), colour)
    );
    assert_ne!(scene.expected(9, 20), scene.expected(10, 20));
    scene.assert_frame(&read_back(server.display(), scene.region(), scene.format()));
    let error = scene
        .paint_rect(Region::new(190, 0, 20, 5).unwrap(), colour)
        .unwrap_err();
    assert!(
        matches!(error, SceneError::OutsideScene { .. }),
        "{error:?}"
    );
    scene.paint_solid(colour).unwrap();
    scene.assert_frame(&read_back(server.display(), scene.region(), scene.format()));
}

#[test]
fn depth_8_screens_cannot_be_painted() {
    let server = XServer::xvfb(&XvfbOptions::new(64, 64, 8)).unwrap();
    let error = server.paint_scene().unwrap_err();
    assert!(
        matches!(error, SceneError::UnsupportedScreen { depth: 8, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("not TrueColor"), "{error}");
}

#[test]
fn xorg_dummy_starts_with_dummy0_primary_and_grows_with_outputs() {
    let server = XServer::xorg_dummy(&DummyOptions::new()).unwrap();
    assert_eq!(server.kind(), ServerKind::XorgDummy);
    server.set_mode("DUMMY0", "1024x768").unwrap();
    server
        .enable_output("DUMMY1", "333x211", Some("DUMMY0"))
        .unwrap();
    let listing = server.xrandr(&["--listmonitors"]).unwrap();
    assert!(listing.contains("Monitors: 2"), "{listing}");
    assert!(listing.contains("*DUMMY0 1024/"), "{listing}");
    assert!(listing.contains("DUMMY1 333/"), "{listing}");
    assert!(listing.contains("+1024+0"), "{listing}");
    let scene = server.paint_scene().unwrap();
    assert_eq!((scene.width(), scene.height()), (1357, 768));
    let pid = server.pid();
    drop(server);
    assert!(!process_exists(pid));
}

#[test]
fn sway_with_xwayland_serves_both_and_leaves_nothing_behind() {
    let server =
        WaylandServer::start(&SwayOptions::new().outputs(&[(320, 200)]).xwayland(true)).unwrap();
    assert!(server.wayland_display().exists(), "{server:?}");
    let display = server.x11_display().expect("XWayland's display").to_owned();
    // The user running the tests was let in: a plain connection works, and XWayland shows its
    // output under its own name.
    let (connection, screen) = x11rb::connect(Some(&display)).unwrap();
    let root = connection.setup().roots[screen].root;
    let geometry = connection.get_geometry(root).unwrap().reply().unwrap();
    assert_eq!((geometry.width, geometry.height), (320, 200));
    let outputs = server
        .run_as_compositor_user("xrandr", ["--listmonitors"])
        .unwrap();
    assert!(outputs.contains("XWAYLAND0"), "{outputs}");
    let swaymsg = server.swaymsg(["-t", "get_outputs", "-r"]).unwrap();
    assert!(swaymsg.contains("HEADLESS-1"), "{swaymsg}");
    drop(connection);

    let group = server.pid();
    assert!(
        processes_in_group(group).len() >= 2,
        "sway and XWayland run"
    );
    drop(server);
    assert_eq!(
        processes_in_group(group),
        Vec::<u32>::new(),
        "all stopped and reaped"
    );
}

#[test]
fn sway_without_xwayland_has_no_x_display() {
    let server = WaylandServer::start(&SwayOptions::new()).unwrap();
    assert_eq!(server.x11_display(), None);
    let outputs = server.swaymsg(["-t", "get_outputs", "-r"]).unwrap();
    assert!(outputs.contains("\"width\": 640"), "{outputs}");
}

#[test]
fn a_missing_sway_says_to_run_xtask() {
    let error = WaylandServer::start(&SwayOptions::new().binary("/nonexistent/sway")).unwrap_err();
    assert!(
        matches!(error, ServerError::BinaryMissing { .. }),
        "{error:?}"
    );
}

#[test]
fn mutter_serves_two_monitors_and_leaves_nothing_behind() {
    let server = MutterServer::start(&MutterOptions::new().monitors(&[(1280, 720), (800, 600)]))
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(server.monitors(), [(1280, 720), (800, 600)]);
    assert!(server.wayland_display().exists());
    assert_eq!(
        Path::new(server.wayland_display_name()),
        server.wayland_display()
    );
    assert!(server.pipewire_socket().exists());
    let bus = format!("unix:path={},", server.runtime_dir().join("bus").display());
    assert!(
        server.bus_address().starts_with(&bus),
        "the bus, PipeWire and the Wayland socket share the runtime directory: {}",
        server.bus_address()
    );
    let pids = server.pids();
    assert_eq!(pids.len(), 4, "bus, PipeWire, WirePlumber, mutter");
    assert!(pids.iter().all(|&pid| process_exists(pid)));
    // mutter's own layout, as its outputs describe it: the largest monitor first, the others
    // to its right.
    let outputs = crate::xdg_scene::outputs(&server.wayland_display()).unwrap();
    assert_eq!(
        outputs,
        [
            Region::new(0, 0, 1280, 720).unwrap(),
            Region::new(1280, 0, 800, 600).unwrap(),
        ]
    );
    // The scene covers both and refuses rectangles off them.
    let mut scene = crate::XdgScene::show(&server.wayland_display()).unwrap();
    assert_eq!(scene.region(), Region::new(0, 0, 2080, 720).unwrap());
    assert_eq!(scene.outputs(), outputs);
    let off = Region::new(2000, 700, 100, 100).unwrap();
    assert!(matches!(
        scene.paint_rect(off, Rgba::rgb(1, 2, 3)),
        Err(SceneError::OutsideScene { .. })
    ));
    // Across both outputs: each shows its part, and the scene expects it.
    let across = Region::new(1200, 100, 200, 50).unwrap();
    scene.paint_rect(across, Rgba::rgb(9, 8, 7)).unwrap();
    assert_eq!(scene.expected(1250, 120), Rgba::rgb(9, 8, 7));
    assert_eq!(scene.expected(1350, 120), Rgba::rgb(9, 8, 7));
    assert_eq!(
        scene.expected(1500, 650),
        Rgba::rgb(0, 0, 0),
        "no output there"
    );
    let runtime_dir = server.runtime_dir().to_owned();
    let group = pids[0];
    drop(scene);
    drop(server);
    assert!(
        pids.iter().all(|&pid| !process_exists(pid)),
        "every program is stopped and reaped"
    );
    assert!(processes_in_group(group).is_empty());
    assert!(!runtime_dir.exists(), "the runtime directory is removed");
}

/// mutter's bus starts none of the machine's services (no portal behind a test's back); the
/// fake portal's frontend owns the portal's name once started, runs in a process group of its
/// own, and is gone after the drop.
#[test]
fn the_fake_portal_runs_the_real_frontend_and_leaves_nothing_behind() {
    let server = MutterServer::start(&MutterOptions::new().monitors(&[(320, 240)]))
        .unwrap_or_else(|error| panic!("{error}"));
    let bus = zbus::blocking::connection::Builder::address(server.bus_address())
        .and_then(|builder| builder.build())
        .unwrap();
    let names = zbus::blocking::fdo::DBusProxy::new(&bus).unwrap();
    let portal_name = zbus::names::BusName::try_from("org.freedesktop.portal.Desktop").unwrap();
    let activatable: Vec<String> = names
        .list_activatable_names()
        .unwrap()
        .into_iter()
        .map(|name| name.to_string())
        .collect();
    assert!(
        !activatable
            .iter()
            .any(|name| name.contains("portal.Desktop")),
        "{activatable:?}"
    );
    assert!(!names.name_has_owner(portal_name.clone()).unwrap());
    let portal = FakePortal::start(&server, &FakePortalOptions::new())
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(names.name_has_owner(portal_name.clone()).unwrap());
    let frontend = portal.frontend_pid();
    assert!(process_exists(frontend));
    assert_eq!(portal.dialogs_shown(), 0);
    drop(portal);
    assert!(
        !process_exists(frontend),
        "the frontend is stopped and reaped"
    );
    assert!(processes_in_group(frontend).is_empty());
}
