//! Windows, on every X11 backend: listing (no window manager, twm's frames, evilwm's EWMH
//! list), whole contents where other windows cover them and where the screen edge cuts them,
//! moves and resizes, and clear errors for windows unmapped, minimized (ICCCM's iconic
//! `WM_STATE`, EWMH's `_NET_WM_STATE_HIDDEN`) and gone. Every pixel of every window grab is
//! compared with what the window shows.

use std::time::{Duration, Instant};

use mss_core::{DisplaySystem, Error, Region, StreamOptions, StreamTarget, WindowProblem};
use mss_testkit::{TestWindows, WindowManager, XServer, XvfbOptions};

use crate::backends_under_test as backends;

fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
    Region::new(left, top, width, height).unwrap()
}

fn xvfb(options: &XvfbOptions) -> XServer {
    XServer::xvfb(options).unwrap_or_else(|error| panic!("{error}"))
}

fn x11_backends() -> Vec<Box<dyn mss_testkit::BackendUnderTest>> {
    backends()
        .into_iter()
        .filter(|backend| backend.system() == DisplaySystem::X11)
        .collect()
}

fn assert_unavailable(
    result: Result<mss_core::Frame, Error>,
    window: u32,
    expected: WindowProblem,
) {
    match result {
        Err(Error::WindowUnavailable {
            window: id,
            problem,
            ..
        }) => {
            assert_eq!((id, problem), (u64::from(window), expected));
        }
        other => panic!("window {window:#x}: expected {expected:?}, got {other:?}"),
    }
}

#[test]
fn without_a_window_manager_named_windows_are_listed_and_captured_whole() {
    let server = xvfb(&XvfbOptions::new(640, 480, 24));
    server.paint_scene().unwrap();
    let mut windows = TestWindows::connect(server.display()).unwrap();
    let below = windows
        .create(
            region(40, 30, 220, 160),
            "Below ünïcode",
            ("below", "TestApp"),
            1,
        )
        .unwrap();
    let above = windows
        .create(region(120, 100, 200, 150), "Above", ("above", "TestApp"), 2)
        .unwrap();
    // Partly off the right and bottom edges.
    let edge = windows
        .create(region(560, 420, 160, 120), "Edge", ("edge", "TestApp"), 3)
        .unwrap();
    // No title: not listed without a window manager (toolkits' helper windows look so).
    windows
        .create(region(300, 20, 40, 30), "", ("helper", "TestApp"), 4)
        .unwrap();
    for backend in x11_backends() {
        let context = format!("backend {}", backend.name());
        let mut capture = backend.open(server.display()).unwrap();
        let listed = capture.windows().unwrap();
        let summary: Vec<_> = listed
            .iter()
            .map(|window| {
                (
                    window.id,
                    window.title.as_deref(),
                    window.class.as_deref(),
                    window.region,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    u64::from(below),
                    Some("Below ünïcode"),
                    Some("TestApp"),
                    region(40, 30, 220, 160)
                ),
                (
                    u64::from(above),
                    Some("Above"),
                    Some("TestApp"),
                    region(120, 100, 200, 150)
                ),
                (
                    u64::from(edge),
                    Some("Edge"),
                    Some("TestApp"),
                    region(560, 420, 160, 120)
                ),
            ],
            "{context}"
        );
        assert!(
            listed
                .iter()
                .all(|window| window.viewable && !window.minimized),
            "{context}"
        );
        assert!(
            listed
                .iter()
                .all(|window| window.pid == Some(std::process::id())),
            "{context}"
        );
        assert_eq!(listed[0].instance.as_deref(), Some("below"), "{context}");

        // Covered by `above`: the covered part is the window's own.
        let frame = capture.grab_window(u64::from(below)).unwrap();
        assert_eq!(frame.region(), region(40, 30, 220, 160), "{context}");
        windows.assert_window_frame(below, &frame);
        // Cut by the screen's edge: the part off the screen too.
        let frame = capture.grab_window(u64::from(edge)).unwrap();
        assert_eq!(frame.region(), region(560, 420, 160, 120), "{context}");
        windows.assert_window_frame(edge, &frame);
        // Twice in a row (the second from the first's guess), and after a move and a resize.
        windows.assert_window_frame(above, &capture.grab_window(u64::from(above)).unwrap());
        windows.assert_window_frame(above, &capture.grab_window(u64::from(above)).unwrap());
        windows.move_to(above, -50, 300).unwrap();
        let moved = capture.grab_window(u64::from(above)).unwrap();
        assert_eq!(moved.region(), region(-50, 300, 200, 150), "{context}");
        windows.assert_window_frame(above, &moved);
        windows.resize(above, 260, 90).unwrap();
        let resized = capture.grab_window(u64::from(above)).unwrap();
        assert_eq!(resized.region(), region(-50, 300, 260, 90), "{context}");
        windows.assert_window_frame(above, &resized);
        windows.move_to(above, 120, 100).unwrap();
        windows.resize(above, 200, 150).unwrap();
    }
}

#[test]
fn unmapped_minimized_and_gone_windows_are_errors_naming_them() {
    let server = xvfb(&XvfbOptions::new(320, 240, 24));
    let mut windows = TestWindows::connect(server.display()).unwrap();
    let hidden = windows
        .create(region(10, 10, 50, 40), "Hidden", ("hidden", "TestApp"), 1)
        .unwrap();
    let minimized = windows
        .create(
            region(70, 10, 50, 40),
            "Minimized",
            ("minimized", "TestApp"),
            2,
        )
        .unwrap();
    let gone = windows
        .create(region(130, 10, 50, 40), "Gone", ("gone", "TestApp"), 3)
        .unwrap();
    // Minimized the EWMH way by a manager that keeps it mapped: viewable, pixels and all.
    let hidden_ewmh = windows
        .create(
            region(190, 10, 50, 40),
            "Hidden by EWMH",
            ("ewmh", "TestApp"),
            4,
        )
        .unwrap();
    for backend in x11_backends() {
        let mut capture = backend.open(server.display()).unwrap();
        windows.assert_window_frame(
            hidden_ewmh,
            &capture.grab_window(u64::from(hidden_ewmh)).unwrap(),
        );
        windows.assert_window_frame(hidden, &capture.grab_window(u64::from(hidden)).unwrap());
        windows.unmap(hidden).unwrap();
        assert_unavailable(
            capture.grab_window(u64::from(hidden)),
            hidden,
            WindowProblem::Unmapped,
        );
        windows.map(hidden).unwrap();
        windows.assert_window_frame(hidden, &capture.grab_window(u64::from(hidden)).unwrap());
        assert_unavailable(
            capture.grab_window(0x7fff_fff0),
            0x7fff_fff0,
            WindowProblem::Gone,
        );
        let listed = capture.windows().unwrap();
        assert!(listed.iter().any(|window| window.id == u64::from(gone)));
    }
    windows.minimize(minimized, false).unwrap();
    windows.minimize_ewmh(hidden_ewmh).unwrap();
    windows.destroy(gone).unwrap();
    for backend in x11_backends() {
        let mut capture = backend.open(server.display()).unwrap();
        assert_unavailable(
            capture.grab_window(u64::from(minimized)),
            minimized,
            WindowProblem::Minimized,
        );
        // Its pixels are still there to read; the property alone says not to show them.
        assert_unavailable(
            capture.grab_window(u64::from(hidden_ewmh)),
            hidden_ewmh,
            WindowProblem::Minimized,
        );
        assert_unavailable(
            capture.grab_window(u64::from(gone)),
            gone,
            WindowProblem::Gone,
        );
        let listed = capture.windows().unwrap();
        let state: Vec<_> = listed
            .iter()
            .map(|window| (window.id, window.viewable, window.minimized))
            .collect();
        assert_eq!(
            state,
            [
                (u64::from(hidden), true, false),
                (u64::from(minimized), false, true),
                (u64::from(hidden_ewmh), true, true)
            ],
            "backend {}",
            backend.name()
        );
    }
}

#[test]
fn a_window_stream_follows_the_window_and_ends_with_an_error_naming_it() {
    let server = xvfb(&XvfbOptions::new(320, 240, 24));
    server.paint_scene().unwrap();
    let mut windows = TestWindows::connect(server.display()).unwrap();
    for backend in x11_backends() {
        let context = format!("backend {}", backend.name());
        let window = windows
            .create(
                region(20, 30, 120, 90),
                "Streamed",
                ("streamed", "TestApp"),
                5,
            )
            .unwrap();
        windows
            .create(region(60, 60, 120, 90), "Cover", ("cover", "TestApp"), 6)
            .unwrap();
        let mut capture = backend.open(server.display()).unwrap();
        let mut stream = capture
            .stream(
                &StreamOptions::new()
                    .target(StreamTarget::Window(u64::from(window)))
                    .changes_only(true),
            )
            .unwrap();
        let first = stream.next_frame().unwrap();
        assert_eq!(first.frame.region(), region(20, 30, 120, 90), "{context}");
        windows.assert_window_frame(window, &first.frame);
        // Still: nothing delivered.
        let deadline = Instant::now() + Duration::from_millis(150);
        assert!(
            stream.next_frame_before(Some(deadline)).unwrap().is_none(),
            "{context}"
        );
        // Resized, then moved (the same pixels elsewhere is a change too): followed.
        windows.resize(window, 90, 120).unwrap();
        let resized = stream.next_frame().unwrap();
        assert_eq!(resized.frame.region(), region(20, 30, 90, 120), "{context}");
        windows.assert_window_frame(window, &resized.frame);
        windows.move_to(window, 200, 150).unwrap();
        let moved = stream.next_frame().unwrap();
        assert_eq!(moved.frame.region(), region(200, 150, 90, 120), "{context}");
        windows.assert_window_frame(window, &moved.frame);
        assert!(moved.sequence > resized.sequence, "{context}");
        // Gone: an error naming the window, not a stale or black frame.
        windows.destroy(window).unwrap();
        match stream.next_frame() {
            Err(Error::WindowUnavailable {
                window: id,
                problem: WindowProblem::Gone,
                ..
            }) => assert_eq!(id, u64::from(window), "{context}"),
            other => panic!("{context}: expected the window gone, got {other:?}"),
        }
    }
}

#[test]
fn a_window_id_met_again_after_its_client_left_is_captured() {
    let server = xvfb(&XvfbOptions::new(320, 240, 24));
    server.paint_scene().unwrap();
    for backend in x11_backends() {
        let context = format!("backend {}", backend.name());
        let mut capture = backend.open(server.display()).unwrap();
        let mut first = TestWindows::connect(server.display()).unwrap();
        let old = first
            .create(region(20, 20, 120, 90), "Old", ("old", "TestApp"), 1)
            .unwrap();
        first.assert_window_frame(old, &capture.grab_window(u64::from(old)).unwrap());
        // The client leaves (its window goes with it); the next client gets its place on
        // the server, and so the same window ids.
        drop(first);
        let mut second = TestWindows::connect(server.display()).unwrap();
        let new = second
            .create(region(60, 50, 150, 100), "New", ("new", "TestApp"), 2)
            .unwrap();
        assert_eq!(new, old, "{context}: the server did not reuse the id");
        let frame = capture.grab_window(u64::from(new)).unwrap();
        assert_eq!(frame.region(), region(60, 50, 150, 100), "{context}");
        second.assert_window_frame(new, &frame);
        second.destroy(new).unwrap();
    }
}

#[test]
fn a_covered_window_whose_application_repaints_is_whole_at_the_first_capture() {
    // Like most applications' windows, these have no background: what the server keeps of
    // them is what is on the screen, and their application repaints what is exposed (here
    // 100 ms after being told, longer than any pause in drawing a capturer could take for
    // "done", as a loaded machine may take). Redirecting one makes its hidden parts exposed;
    // the first capture must show the repainted window, not what covered it or was beyond
    // the edge.
    let server = xvfb(&XvfbOptions::new(320, 240, 24));
    server.paint_scene().unwrap();
    let mut windows = TestWindows::connect(server.display()).unwrap();
    let delay = Duration::from_millis(100);
    let covered = windows
        .create_repainted(
            region(20, 20, 140, 100),
            "Covered",
            ("covered", "TestApp"),
            1,
            delay,
        )
        .unwrap();
    let edge = windows
        .create_repainted(
            region(250, 180, 120, 90),
            "Edge",
            ("edge", "TestApp"),
            2,
            delay,
        )
        .unwrap();
    windows
        .create(region(80, 60, 120, 100), "Cover", ("cover", "TestApp"), 3)
        .unwrap();
    for backend in x11_backends() {
        // Each capturer redirects anew (the last one's redirections went with it).
        let mut capture = backend.open(server.display()).unwrap();
        windows.assert_window_frame(covered, &capture.grab_window(u64::from(covered)).unwrap());
        windows.assert_window_frame(edge, &capture.grab_window(u64::from(edge)).unwrap());
    }
}

/// Kills the child when dropped.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn imagemagick_display_showing_a_known_image_is_captured_exactly_even_covered() {
    // A real application: ImageMagick's `display` shows a picture we wrote, pixel for pixel.
    // Covered by another window, its capture by each backend must still be exactly the
    // picture, and the window found by its title must have the picture's size.
    let server = xvfb(&XvfbOptions::new(640, 480, 24));
    server.paint_scene().unwrap();
    let (width, height) = (240u32, 160u32);
    let colour = |x: u32, y: u32| mss_testkit::x11_windows::window_colour(9, x, y);
    let mut ppm = format!("P6\n{width} {height}\n255\n").into_bytes();
    for y in 0..height {
        for x in 0..width {
            let pixel = colour(x, y);
            ppm.extend_from_slice(&[pixel.r, pixel.g, pixel.b]);
        }
    }
    let directory = tempfile::tempdir().unwrap();
    let picture = directory.path().join("known.ppm");
    std::fs::write(&picture, ppm).unwrap();
    let _display = Killed(
        std::process::Command::new("display")
            .args(["-title", "Known picture", "-geometry", "+40+30"])
            .arg(&picture)
            .env("DISPLAY", server.display())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("ImageMagick's display (run `cargo xtask test`, which installs it)"),
    );
    let mut capture = x11_backends()[0].open(server.display()).unwrap();
    // display maps its window, then gives it the picture's size: the window is waited for at
    // that size (a deadline only turns a window that never gets it into a failure naming it).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last_seen = None;
    let shown = loop {
        let found = capture
            .windows()
            .unwrap()
            .into_iter()
            .find(|window| window.title.as_deref() == Some("Known picture") && window.viewable);
        if let Some(window) = found {
            if (window.region.width(), window.region.height()) == (width, height) {
                break window;
            }
            last_seen = Some(window.to_string());
        }
        assert!(
            Instant::now() < deadline,
            "display's window never showed at {width}x{height}; last seen: {last_seen:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(capture);
    // Once it has drawn the picture (on the screen, read by the test kit's own GetImage),
    // cover a corner of it.
    let mut windows = TestWindows::connect(server.display()).unwrap();
    windows
        .wait_until_screen_shows(shown.region, colour)
        .unwrap_or_else(|error| panic!("{error}"));
    windows
        .create(region(200, 120, 200, 150), "Cover", ("cover", "TestApp"), 3)
        .unwrap();
    for backend in x11_backends() {
        let mut capture = backend.open(server.display()).unwrap();
        let frame = capture.grab_window(shown.id).unwrap();
        assert_eq!(frame.region(), shown.region, "backend {}", backend.name());
        let placed = frame.region();
        mss_testkit::pattern::check_frame(&frame, frame.format(), |x, y| {
            let (x, y) = (x - i64::from(placed.left()), y - i64::from(placed.top()));
            Some(colour(x as u32, y as u32))
        })
        .unwrap_or_else(|mismatch| panic!("backend {}: {mismatch}", backend.name()));
    }
}

/// Lists and captures under a window manager, which puts frames around the clients.
fn under_window_manager(manager: &str, arguments: &[String], minimizes: bool) {
    let server = xvfb(&XvfbOptions::new(640, 480, 24));
    server.paint_scene().unwrap();
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    let _manager = WindowManager::start(server.display(), manager, &arguments)
        .unwrap_or_else(|error| panic!("{error} (cargo xtask test installs {manager})"));
    let mut windows = TestWindows::connect(server.display()).unwrap();
    let first = windows
        .create(region(60, 60, 200, 140), "First", ("first", "TestApp"), 4)
        .unwrap();
    let second = windows
        .create(
            region(150, 120, 200, 140),
            "Second",
            ("second", "TestApp"),
            5,
        )
        .unwrap();
    for backend in x11_backends() {
        let context = format!("{manager}, backend {}", backend.name());
        let mut capture = backend.open(server.display()).unwrap();
        // The clients, not their frames, bottom first (the manager's own windows, such as
        // twm's icon manager, are clients too, and listed).
        let listed: Vec<_> = capture
            .windows()
            .unwrap()
            .into_iter()
            .filter(|window| window.class.as_deref() == Some("TestApp"))
            .collect();
        let ids: Vec<u64> = listed.iter().map(|window| window.id).collect();
        assert_eq!(
            ids,
            [u64::from(first), u64::from(second)],
            "{context}: {listed:?}"
        );
        for (window, listed) in [first, second].into_iter().zip(&listed) {
            assert_eq!(listed.region, windows.placed(window).unwrap(), "{context}");
            assert_eq!(
                listed.title.as_deref(),
                Some(if window == first { "First" } else { "Second" })
            );
            let frame = capture.grab_window(u64::from(window)).unwrap();
            assert_eq!(frame.region(), listed.region, "{context}");
            windows.assert_window_frame(window, &frame);
        }
    }
    if !minimizes {
        return;
    }
    windows.minimize(first, true).unwrap();
    for backend in x11_backends() {
        let mut capture = backend.open(server.display()).unwrap();
        assert_unavailable(
            capture.grab_window(u64::from(first)),
            first,
            WindowProblem::Minimized,
        );
        windows.assert_window_frame(second, &capture.grab_window(u64::from(second)).unwrap());
    }
}

#[test]
fn under_twm_the_clients_are_listed_and_captured_not_their_frames() {
    let directory = tempfile::tempdir().unwrap();
    under_window_manager(
        "twm",
        &WindowManager::twm_arguments(directory.path()).unwrap(),
        true,
    );
}

#[test]
fn under_evilwm_its_ewmh_client_list_is_used() {
    // evilwm has no minimizing (ICCCM's WM_CHANGE_STATE goes unanswered).
    under_window_manager("evilwm", &["-fn".to_owned(), "fixed".to_owned()], false);
}

#[test]
fn without_composite_the_visible_part_is_read_and_the_status_says_so() {
    let server = xvfb(&XvfbOptions::new(320, 240, 24).disable_extension("Composite"));
    server.paint_scene().unwrap();
    let mut windows = TestWindows::connect(server.display()).unwrap();
    let window = windows
        .create(region(200, 150, 160, 120), "Edge", ("edge", "TestApp"), 6)
        .unwrap();
    for backend in x11_backends() {
        let context = format!("backend {}", backend.name());
        let mut capture = backend.open(server.display()).unwrap();
        let frame = capture.grab_window(u64::from(window)).unwrap();
        // Only what is on the screen.
        assert_eq!(frame.region(), region(200, 150, 120, 90), "{context}");
        windows.assert_window_frame(window, &frame);
        let status = capture.status();
        assert!(
            status
                .caveats
                .iter()
                .any(|caveat| caveat.contains("no Composite extension")),
            "{context}: {status}"
        );
    }
}

#[test]
fn redirections_are_undone_when_the_capturer_goes() {
    use x11rb::connection::Connection as _;
    use x11rb::protocol::composite::ConnectionExt as _;
    let server = xvfb(&XvfbOptions::new(320, 240, 24));
    let mut windows = TestWindows::connect(server.display()).unwrap();
    let window = windows
        .create(region(10, 10, 80, 60), "Redirected", ("r", "TestApp"), 7)
        .unwrap();
    // A window's pixmap can be named only while it is redirected.
    let (observer, _) = x11rb::connect(Some(server.display())).unwrap();
    observer
        .composite_query_version(0, 4)
        .unwrap()
        .reply()
        .unwrap();
    let nameable = || {
        let pixmap = observer.generate_id().unwrap();
        observer
            .composite_name_window_pixmap(window, pixmap)
            .unwrap()
            .check()
            .is_ok()
    };
    assert!(!nameable(), "not redirected before any capture");
    for backend in x11_backends() {
        let mut capture = backend.open(server.display()).unwrap();
        capture.grab_window(u64::from(window)).unwrap();
        assert!(
            nameable(),
            "backend {}: redirected while capturing",
            backend.name()
        );
        drop(capture);
        assert!(!nameable(), "backend {}: undone after", backend.name());
    }
}
