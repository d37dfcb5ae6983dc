//! Window listing and capture against window trees no real server has, from the test kit's
//! fake X server: cycles of parents and children, windows of no size, windows far off the
//! screen, names with any bytes. Each call gives an error or the right answer, and returns;
//! `proptest` draws such trees too.

use std::sync::mpsc;
use std::time::Duration;

use mss_core::{Error, Window as WindowInfo};
use mss_testkit::fake_x_server::checks::{bounded, check_window_frame, printable_error};
use mss_testkit::fake_x_server::strategies::window_trees;
use mss_testkit::fake_x_server::{FakeProperty, FakeWindow, FakeXServer, XScript, fake_row};
use mss_x11::{ConnectionPreference, X11Display, X11Options};
use proptest::prelude::*;

/// The longest a call may take before the test calls it a hang (no deadline is tested here).
const HANG: Duration = Duration::from_secs(30);

/// Runs `call` on a display of `script`'s fake server, on a thread of its own, failing the test
/// when it panics or does not return within [`HANG`].
fn on_display<T: Send + 'static>(
    script: XScript,
    call: impl FnOnce(&mut X11Display) -> T + Send + 'static,
) -> T {
    let server = FakeXServer::start(script).unwrap();
    let name = server.display().to_owned();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let options = X11Options::new()
            .connection(ConnectionPreference::PureRust)
            .timeout(Some(HANG));
        let mut display = X11Display::open_with(Some(&name), options).unwrap();
        let _ = sender.send(call(&mut display));
    });
    let outcome = receiver
        .recv_timeout(HANG)
        .expect("the call returned, without a panic");
    drop(server);
    outcome
}

/// An EWMH client list on the root naming `windows`.
fn client_list(windows: &[u32]) -> FakeProperty {
    FakeProperty::words("_NET_CLIENT_LIST", "WINDOW", windows)
}

fn titled(window: FakeWindow, title: &[u8]) -> FakeWindow {
    window.with_property(FakeProperty::bytes("_NET_WM_NAME", "UTF8_STRING", title))
}

fn ids(windows: &[WindowInfo]) -> Vec<u64> {
    windows.iter().map(|window| window.id).collect()
}

#[test]
fn a_cycle_of_parents_does_not_loop_the_listing() {
    // Two clients whose parents name each other: neither leads to the root.
    let mut script = XScript::new(64, 48);
    let mut first = titled(FakeWindow::new(0x1001, 0, 0, 8, 8), b"first");
    let mut second = titled(FakeWindow::new(0x1002, 8, 8, 8, 8), b"second");
    first.parent = 0x1002;
    second.parent = 0x1001;
    script.windows = vec![first, second];
    script.root_children = vec![0x1001];
    script.root_properties = vec![client_list(&[0x1002, 0x1001])];
    let listed = on_display(script, |display| display.windows()).unwrap();
    // Both listed (ranked after every window whose top level is known), each once.
    assert_eq!(ids(&listed), [0x1002, 0x1001]);
}

#[test]
fn a_tree_whose_windows_are_their_own_children_is_searched_once() {
    // Under a window manager, clients are found below the root's children; here a frame lists
    // itself as its child a thousand times (10^12 windows four levels down, searched naively).
    let mut script = XScript::new(64, 48);
    script.window_manager = true;
    let mut frame = FakeWindow::new(0x2001, 0, 0, 16, 16);
    frame.children = vec![0x2001; 1000];
    frame.children.push(0x2002);
    let mut client = FakeWindow::new(0x2002, 2, 2, 8, 8).with_property(FakeProperty::words(
        "WM_STATE",
        "WM_STATE",
        &[1, 0],
    ));
    client.parent = 0x2001;
    script.windows = vec![frame, client];
    script.root_children = vec![0x2001, 0x2001];
    let listed = on_display(script, |display| display.windows()).unwrap();
    assert_eq!(ids(&listed), [0x2002]);
}

#[test]
fn an_endless_tree_is_an_error_not_an_endless_search() {
    // Frames with a thousand children each, none a client, all different: more windows than
    // any desktop (the children are not windows of the script: the server says they are gone,
    // which costs the listing as much).
    let mut script = XScript::new(64, 48);
    script.window_manager = true;
    let frames: Vec<u32> = (0..20).map(|index| 0x10_0000 + index).collect();
    for (index, &id) in frames.iter().enumerate() {
        let mut frame = FakeWindow::new(id, 0, 0, 4, 4);
        let first = 0x20_0000 + 1000 * index as u32;
        frame.children = (first..first + 1000).collect();
        script.windows.push(frame);
    }
    script.root_children = frames;
    let listed = on_display(script, |display| display.windows());
    let error = listed.unwrap_err();
    assert!(
        matches!(&error, Error::Protocol { request: "QueryTree", message, .. }
            if message.contains("more than 16384 window trees")),
        "{error:?}"
    );
}

#[test]
fn a_window_of_no_size_is_left_out_not_fatal_to_the_listing() {
    let mut script = XScript::new(64, 48);
    script.windows = vec![
        titled(FakeWindow::new(0x3001, 0, 0, 0, 8), b"flat"),
        titled(FakeWindow::new(0x3002, 4, 4, 8, 8), b"shown"),
        titled(FakeWindow::new(0x3003, 4, 4, 8, 0), b"thin"),
    ];
    script.root_children = vec![0x3001, 0x3002, 0x3003];
    script.root_properties = vec![FakeProperty::words(
        "_NET_CLIENT_LIST_STACKING",
        "WINDOW",
        &[0x3001, 0x3002, 0x3003, 0x3002],
    )];
    let listed = on_display(script, |display| display.windows()).unwrap();
    assert_eq!(
        ids(&listed),
        [0x3002],
        "listed once, the flat ones left out"
    );
    assert_eq!(listed[0].title.as_deref(), Some("shown"));
}

#[test]
fn titles_and_classes_are_printable_whatever_their_bytes() {
    let mut script = XScript::new(64, 48);
    let raw_title = "\u{1b}]0;owned\u{7}évil\u{202e}txt.exe\u{0}";
    script.windows = vec![
        titled(FakeWindow::new(0x4001, 0, 0, 8, 8), raw_title.as_bytes()).with_property(
            FakeProperty::bytes("WM_CLASS", "STRING", b"in\x1bst\0Cla\x9bss\0"),
        ),
        FakeWindow::new(0x4002, 0, 0, 8, 8).with_property(FakeProperty::bytes(
            "WM_NAME",
            "STRING",
            b"latin\xe9\x1b[2J",
        )),
    ];
    script.root_children = vec![0x4001, 0x4002];
    script.root_properties = vec![client_list(&[0x4001, 0x4002])];
    let listed = on_display(script, |display| display.windows()).unwrap();
    assert_eq!(ids(&listed), [0x4001, 0x4002]);
    let texts: Vec<&str> = listed
        .iter()
        .flat_map(|window| [&window.title, &window.instance, &window.class])
        .filter_map(|text| text.as_deref())
        .collect();
    assert_eq!(texts.len(), 4);
    for text in texts {
        // What mss-core's `printable` makes of it, which it leaves as it is.
        assert_eq!(mss_core::printable(text), text);
        assert!(!text.chars().any(char::is_control), "{text:?}");
    }
    assert_eq!(
        listed[0].title.as_deref(),
        Some(mss_core::printable(raw_title).as_str())
    );
}

#[test]
fn a_window_read_from_further_than_the_protocol_reaches_is_refused_not_misread() {
    // No Composite: the window's part on the screen is read from the window, starting 32768
    // pixels into it, which a 16-bit offset cannot say (it wrapped to -32768 and was read as
    // a window gone).
    let mut script = XScript::new(64, 48);
    script.windows = vec![FakeWindow::new(0x5001, i16::MIN, 0, 32_800, 8)];
    script.root_children = vec![0x5001];
    let error = on_display(script, |display| display.get_window_image(0x5001)).unwrap_err();
    assert!(
        matches!(&error, Error::Unsupported { reason, .. } if reason.contains("32768 pixels")),
        "{error:?}"
    );
}

#[test]
fn a_window_partly_off_the_screen_is_read_exactly_without_composite() {
    let mut script = XScript::new(64, 48);
    script.windows = vec![FakeWindow::new(0x6001, -5, 40, 20, 20)];
    script.root_children = vec![0x6001];
    let frame = on_display(script, |display| display.get_window_image(0x6001)).unwrap();
    // The part on the screen: 15x8 at (0, 40), the window's pixels from (5, 0).
    assert_eq!(frame.region(), mss_core::Region::new(0, 40, 15, 8).unwrap());
    for (row, bytes) in frame.rows().enumerate() {
        assert_eq!(bytes, fake_row(0x6001, 5, row as i32, 15, 32));
    }
}

/// Checks a listing of `script`'s windows: each a window of the script, once, its texts as
/// mss-core's `printable` makes them.
fn check_listing(listed: &[WindowInfo], script: &XScript) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for window in listed {
        let known = u32::try_from(window.id)
            .ok()
            .and_then(|id| script.window(id))
            .is_some();
        if !known || !seen.insert(window.id) {
            return Err(format!("listed {:#x}, unknown or twice", window.id));
        }
        for text in [&window.title, &window.instance, &window.class]
            .into_iter()
            .flatten()
        {
            if mss_core::printable(text) != *text || text.chars().any(char::is_control) {
                return Err(format!("a name not made printable: {text:?}"));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Window trees no real server has (cycles, windows of no size or far off the screen,
    /// children that disagree with parents, names of any bytes), with and without Composite:
    /// the listing and every window capture give an error or the right answer, and return.
    #[test]
    fn hostile_window_trees_give_errors_or_exact_windows(
        (windows, root_children, root_properties, manager) in window_trees(),
        composite in any::<bool>(),
        argb in any::<bool>(),
        // With DAMAGE, a window found partly hidden at its first capture is watched until its
        // application repainted (30 ms of quiet, at most 500 ms): now and then only.
        damage in prop::bool::weighted(0.1),
    ) {
        let mut script = XScript::new(64, 48);
        script.windows = windows;
        script.root_children = root_children;
        script.root_properties = root_properties;
        script.window_manager = manager;
        script.extensions.composite = composite.then_some((0, 4));
        script.extensions.damage = damage;
        if argb {
            script.screen.other_depths = vec![(32, 32, (0xFF_0000, 0xFF00, 0xFF))];
        }
        let server = FakeXServer::start(script.clone()).unwrap();
        let outcome = bounded(move || {
            let options = X11Options::new()
                .connection(ConnectionPreference::PureRust)
                .timeout(Some(HANG));
            let mut display = X11Display::open_with(Some(server.display()), options)
                .map_err(|error| format!("a plain screen refused: {error}"))?;
            match display.windows() {
                Ok(listed) => check_listing(&listed, &script)?,
                Err(error) => printable_error(&error)?,
            }
            for window in &script.windows {
                match display.get_window_image(u64::from(window.id)) {
                    Ok(frame) => check_window_frame(&frame, &script, window.id)?,
                    Err(error) => printable_error(&error)?,
                }
            }
            Ok(())
        });
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }
}
