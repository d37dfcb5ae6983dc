//! A Wayland session with XWayland (headless sway): the X11 backends refuse XWayland's root,
//! which is not the Wayland desktop, unless `--xwayland` opts in. A rootless XWayland's root
//! holds no pixels at all (black even where an X11 window shows); a rootful one's is an X11
//! desktop of its own.

use std::process::{Command, Output};

use mss::Capture as _;
use mss_testkit::{SwayOptions, WaylandScene, WaylandServer};
use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{ConnectionExt as _, CreateWindowAux, WindowClass};

use crate::support::{assert_failure, assert_png_shows, region, success_lines};

/// Where the X11 window of [`map_solid_window`] is, and its colour.
const WINDOW: (i32, i32, u32, u32) = (40, 30, 100, 50);
const WINDOW_COLOUR: mss::Rgba = mss::Rgba::rgb(0x33, 0x66, 0x99);

/// Maps an override-redirect X11 window filled with one colour at (40, 30) on `session`'s
/// XWayland, and waits until the Wayland desktop shows it (captured with the Wayland
/// backend); it lives as long as the returned connection.
fn map_solid_window(session: &WaylandServer) -> x11rb::rust_connection::RustConnection {
    let display = session.x11_display().expect("XWayland runs");
    let (connection, screen) = x11rb::connect(Some(display)).unwrap();
    let screen = &connection.setup().roots[screen];
    let window = connection.generate_id().unwrap();
    connection
        .create_window(
            screen.root_depth,
            window,
            screen.root,
            WINDOW.0 as i16,
            WINDOW.1 as i16,
            WINDOW.2 as u16,
            WINDOW.3 as u16,
            0,
            WindowClass::INPUT_OUTPUT,
            screen.root_visual,
            &CreateWindowAux::new()
                .override_redirect(1)
                .background_pixel(0x0033_6699),
        )
        .unwrap();
    connection.map_window(window).unwrap();
    connection.get_input_focus().unwrap().reply().unwrap();
    // XWayland hands the window to the compositor, which shows it on a later frame.
    let mut desktop = mss::Mss::builder()
        .display(session.wayland_display().to_str().unwrap())
        .backend(mss::Backend::WAYLAND)
        .open()
        .unwrap();
    let (left, top, width, height) = WINDOW;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let frame = desktop.grab(region(left, top, width, height)).unwrap();
        let shown =
            (0..height).all(|y| (0..width).all(|x| frame.pixel(x, y) == Some(WINDOW_COLOUR)));
        if shown {
            return connection;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the Wayland desktop never showed the X11 window"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Decodes an 8-bit RGB PNG.
fn decode_rgb(path: &std::path::Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    pixels.truncate(info.buffer_size());
    (info.width, info.height, pixels)
}

/// A headless sway with XWayland and one 320x200 output.
fn wayland_session() -> WaylandServer {
    WaylandServer::start(&SwayOptions::new().outputs(&[(320, 200)]).xwayland(true)).unwrap_or_else(
        |error| panic!("cannot start sway ({error}); run `cargo xtask test`, which installs it"),
    )
}

/// Runs `mss` as a program on that Wayland session would: `WAYLAND_DISPLAY` and `DISPLAY` set.
fn mss_on(session: &WaylandServer, directory: &std::path::Path, arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mss"))
        .args(arguments)
        .current_dir(directory)
        .env_remove("MSS_BACKEND")
        .env("WAYLAND_DISPLAY", session.wayland_display())
        .env("XDG_RUNTIME_DIR", session.runtime_dir())
        .env("DISPLAY", session.x11_display().expect("XWayland runs"))
        .output()
        .expect("the mss binary runs")
}

fn files_in(directory: &std::path::Path) -> usize {
    std::fs::read_dir(directory).unwrap().count()
}

#[test]
fn a_wayland_session_is_captured_with_the_wayland_backend_by_default() {
    let session = wayland_session();
    let scene = WaylandScene::paint(session.wayland_display().to_str().unwrap()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    // No flag: the Wayland desktop itself, exactly, though DISPLAY names XWayland too.
    for (arguments, file) in [
        (&["-o", "shot.png"][..], "shot.png"),
        (&[][..], "monitor-1.png"),
        (&["-m", "-1", "-o", "all.png"][..], "all.png"),
    ] {
        let lines = success_lines(&mss_on(&session, directory.path(), arguments));
        assert_eq!(lines.len(), 1, "{arguments:?}: {lines:?}");
        assert_png_shows(&directory.path().join(file), region(0, 0, 320, 200), &scene);
    }
    let json = success_lines(&mss_on(&session, directory.path(), &["info", "--json"])).join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(info["backend"], "wayland", "{info}");
    assert_eq!(info["method"], "wlr-screencopy", "{info}");
}

#[test]
fn the_x11_backends_refuse_xwayland_naming_it_and_write_nothing() {
    let session = wayland_session();
    let directory = tempfile::tempdir().unwrap();
    for arguments in [
        &["-b", "x11-getimage", "-o", "shot.png"][..],
        &["-b", "x11-shm", "--region", "0,0,10,10"][..],
        &["-b", "x11-shm", "-m", "-1"][..],
    ] {
        let output = mss_on(&session, directory.path(), arguments);
        assert_failure(
            &output,
            1,
            "is XWayland, the X server of a Wayland compositor",
        );
        let message = String::from_utf8_lossy(&output.stderr);
        for fragment in [
            "its RandR outputs are named XWAYLAND0",
            "is not the Wayland desktop",
            "it runs rootless",
            "capture the Wayland desktop with the wayland or pipewire backend instead",
            "--xwayland",
        ] {
            assert!(message.contains(fragment), "{arguments:?}: {message}");
        }
        assert_eq!(files_in(directory.path()), 0, "{arguments:?} wrote a file");
    }
}

#[test]
fn an_explicitly_named_xwayland_display_is_refused_too() {
    let session = wayland_session();
    let directory = tempfile::tempdir().unwrap();
    let display = session.x11_display().unwrap().to_owned();
    // No WAYLAND_DISPLAY at all: the X server itself is recognised.
    let output = Command::new(env!("CARGO_BIN_EXE_mss"))
        .args(["--display", &display, "-o", "x.png"])
        .current_dir(directory.path())
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DISPLAY")
        .env_remove("MSS_BACKEND")
        .output()
        .unwrap();
    assert_failure(&output, 1, "is XWayland");
    assert_eq!(files_in(directory.path()), 0);
}

#[test]
fn a_rootless_root_is_black_even_under_an_x11_window_which_is_why_it_is_refused() {
    let session = wayland_session();
    let directory = tempfile::tempdir().unwrap();
    let window = map_solid_window(&session);
    let output = mss_on(
        &session,
        directory.path(),
        &["-b", "x11-shm", "-o", "refused.png"],
    );
    assert_failure(
        &output,
        1,
        "it runs rootless: its root window holds no pixels",
    );
    // Opting in captures what the root holds: nothing, not even the X11 window at (40, 30),
    // which the Wayland desktop shows (checked above).
    let lines = success_lines(&mss_on(
        &session,
        directory.path(),
        &["--xwayland", "-b", "x11-shm", "-o", "black.png"],
    ));
    assert_eq!(lines.len(), 1, "{lines:?}");
    let (width, height, rgb) = decode_rgb(&directory.path().join("black.png"));
    assert_eq!((width, height), (320, 200));
    assert!(
        rgb.iter().all(|&byte| byte == 0),
        "the rootless root is black"
    );
    drop(window);

    let json = success_lines(&mss_on(
        &session,
        directory.path(),
        &["info", "--json", "-b", "x11-shm"],
    ))
    .join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        info["xwayland_refused"]
            .as_str()
            .is_some_and(|refusal| refusal.contains("rootless")),
        "{info}"
    );
    assert!(info["session"]["wayland_display"].is_string(), "{info}");
    assert_eq!(
        info["caveats"][0].as_str().unwrap(),
        format!(
            "display {:?} is a rootless XWayland: its root holds no pixels, so frames are black",
            session.x11_display().unwrap()
        ),
        "{info}"
    );
    let json = success_lines(&mss_on(
        &session,
        directory.path(),
        &["info", "--json", "--xwayland", "-b", "x11-shm"],
    ))
    .join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(info["xwayland_refused"].is_null(), "{info}");
}

#[test]
fn a_rootful_xwayland_is_refused_too_and_its_desktop_captured_exactly_on_request() {
    let session = wayland_session();
    let rootful = session.start_rootful_xwayland().unwrap();
    let scene = rootful.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let run = |arguments: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_mss"))
            .args(["--display", rootful.display()])
            .args(arguments)
            .current_dir(directory.path())
            .env_remove("MSS_BACKEND")
            .output()
            .unwrap()
    };
    assert_failure(
        &run(&["-o", "x.png"]),
        1,
        "it runs rootful: its root is an X11 desktop",
    );
    assert!(!directory.path().join("x.png").exists());
    for backend in ["x11-shm", "x11-getimage"] {
        let name = format!("{backend}.png");
        success_lines(&run(&["--xwayland", "-b", backend, "-o", &name]));
        assert_png_shows(
            &directory.path().join(&name),
            region(0, 0, 320, 200),
            &scene,
        );
    }
}
