//! The screen-cast portal: the real `xdg-desktop-portal` frontend on mutter's bus, with the
//! test kit's backend behind it (its streams are mutter's casts, its dialog answers as told
//! and is counted). The capturer is told to use the portal (`CastSource::Portal`), as a
//! sandboxed application reaches GNOME; everything else is what any desktop's portal gets.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use mss_core::{Capture, Error, Frame, Rgba, StreamOptions};
use mss_pipewire::{CastSource, PipeWireCapture, PipeWireOptions, TokenStore};
use mss_testkit::{DialogAnswer, FakePortal, FakePortalOptions, MutterServer, memory};

use crate::support::{HANG_GUARD, grab_once_shown, mutter, region, scene};

/// The portal on `server`'s bus.
fn portal(server: &MutterServer, options: &FakePortalOptions) -> FakePortal {
    FakePortal::start(server, options).unwrap_or_else(|error| {
        panic!(
            "{error}\n{}\n(run `cargo xtask test`, which installs xdg-desktop-portal)",
            server.log()
        )
    })
}

/// Options casting through the portal, its token kept in `tokens`.
fn through_portal(tokens: &Path) -> PipeWireOptions {
    PipeWireOptions::new()
        .timeout(Some(HANG_GUARD))
        .source(CastSource::Portal)
        .token_store(TokenStore::Directory(tokens.to_owned()))
}

fn open_with(server: &MutterServer, options: PipeWireOptions) -> Result<PipeWireCapture, Error> {
    PipeWireCapture::open_with(Some(server.wayland_display_name()), options)
}

fn open_through(server: &MutterServer, portal: &FakePortal, tokens: &Path) -> PipeWireCapture {
    open_with(server, through_portal(tokens))
        .unwrap_or_else(|error| panic!("{error}\n{}\n{}", portal.log(), server.log()))
}

/// The connections on `server`'s bus, as `watcher` (a connection of the test's) sees them.
fn connections(watcher: &zbus::blocking::Connection) -> Vec<String> {
    let names = zbus::blocking::fdo::DBusProxy::new(watcher)
        .unwrap()
        .list_names()
        .unwrap();
    let mut unique: Vec<String> = names
        .into_iter()
        .map(|name| name.to_string())
        .filter(|name| name.starts_with(':'))
        .collect();
    unique.sort();
    unique
}

/// Waits (at most the hang guard) until the bus has exactly the connections `expected`: a
/// capturer's connection is closed when it goes, so no thread of it keeps waiting on it.
fn assert_connections_come_back_to(watcher: &zbus::blocking::Connection, expected: &[String]) {
    let deadline = std::time::Instant::now() + HANG_GUARD;
    loop {
        let now = connections(watcher);
        if now == expected {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "connections left on the bus: {now:?}, expected {expected:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

fn watcher(server: &MutterServer) -> zbus::blocking::Connection {
    zbus::blocking::connection::Builder::address(server.bus_address())
        .and_then(|builder| builder.build())
        .unwrap()
}

/// The single token file kept in `tokens`.
fn kept_token(tokens: &Path) -> Option<String> {
    let files: Vec<_> = std::fs::read_dir(tokens)
        .ok()?
        .map(|entry| entry.unwrap().path())
        .collect();
    assert!(files.len() <= 1, "{files:?}");
    let file = files.first()?;
    assert_eq!(
        std::fs::metadata(file).unwrap().permissions().mode() & 0o777,
        0o600,
        "the token is private"
    );
    Some(std::fs::read_to_string(file).unwrap().trim_end().to_owned())
}

/// Two monitors through the portal: its streams are the monitors, at mutter's places; every
/// frame exact, zero copy (mutter's memfds), regions across both assembled; the dialog was
/// shown once; the status names the portal.
#[test]
fn the_portal_s_streams_are_the_monitors_exact_and_zero_copy() {
    let server = mutter(&[(640, 480), (320, 240)]);
    let scene = scene(&server);
    let portal = portal(&server, &FakePortalOptions::new());
    let tokens = tempfile::tempdir().unwrap();
    let mut capture = open_through(&server, &portal, tokens.path());
    assert_eq!(portal.dialogs_shown(), 1);
    let monitors = capture.monitors().unwrap();
    assert_eq!(monitors.all(), region(0, 0, 960, 480));
    let regions: Vec<_> = monitors.monitors().iter().map(|m| m.region()).collect();
    assert_eq!(regions, [region(0, 0, 640, 480), region(640, 0, 320, 240)]);
    for number in [0, 1, 2] {
        scene.assert_frame(&capture.grab_monitor(number).unwrap());
    }
    scene.assert_frame(&capture.grab(region(600, 200, 100, 80)).unwrap());
    for wanted in [
        region(0, 0, 1, 1),
        region(603, 457, 37, 23),
        region(959, 239, 1, 1),
    ] {
        scene.assert_frame(&capture.grab(wanted).unwrap());
    }
    let part = capture.grab(region(10, 20, 30, 40)).unwrap();
    let ours = memory::mapping_holding(part.bytes().as_ptr(), part.bytes().len())
        .unwrap()
        .expect("the frame's bytes are mapped");
    assert!(ours.is_memfd(), "{ours:?}");
    let mutter_pid = *server.pids().last().expect("mutter's pid");
    assert!(
        memory::mappings(Some(mutter_pid))
            .unwrap()
            .iter()
            .any(|mapping| mapping.same_file(&ours)),
        "mutter maps the frame's memfd {ours:?}"
    );
    let status = capture.status();
    assert_eq!(
        (status.backend, status.method),
        ("pipewire", "org.freedesktop.portal.ScreenCast")
    );
    assert!(status.zero_copy && status.proven, "{status}");
    let connection = status.connection.unwrap_or_default();
    assert!(connection.contains("OpenPipeWireRemote"), "{connection}");
    assert_eq!(portal.cursor_modes_asked(), [1]);
    // A change reaches grabs and streams through the portal's streams too.
    let mut scene = scene;
    scene
        .paint_rect(region(650, 10, 20, 20), Rgba::rgb(9, 99, 199))
        .unwrap();
    let frame = grab_once_shown(&mut capture, &scene, region(640, 0, 320, 240));
    assert_eq!(frame.pixel(15, 15), Some(Rgba::rgb(9, 99, 199)));
}

/// The dialog is shown once: the token the portal hands out is kept (mode 0600) and restores
/// the choice at the next open; a revoked choice shows the dialog once more, and the next open
/// is restored again; a token the caller passes is used; one the portal refuses (not a
/// UUID) is dropped and the dialog asked once.
#[test]
fn the_restore_token_is_kept_reused_and_a_stale_one_asks_once() {
    let server = mutter(&[(320, 240)]);
    let scene = scene(&server);
    let portal = portal(&server, &FakePortalOptions::new());
    let watcher = watcher(&server);
    let before = connections(&watcher);
    let tokens = tempfile::tempdir().unwrap();
    let first = open_through(&server, &portal, tokens.path());
    assert_eq!((portal.dialogs_shown(), portal.sessions_restored()), (1, 0));
    let token = first
        .restore_token()
        .expect("the portal handed a token out");
    assert_eq!(kept_token(tokens.path()).as_deref(), Some(token.as_str()));
    drop(first);
    let mut second = open_through(&server, &portal, tokens.path());
    assert_eq!((portal.dialogs_shown(), portal.sessions_restored()), (1, 1));
    scene.assert_frame(&second.grab_screen().unwrap());
    let token = second.restore_token().expect("a restored session's token");
    assert_eq!(kept_token(tokens.path()).as_deref(), Some(token.as_str()));
    drop(second);
    // The choice revoked: the token no longer restores it; the dialog is shown once, and
    // the token kept after it restores the choice again.
    portal.revoke_restore_data();
    let third = open_through(&server, &portal, tokens.path());
    assert_eq!((portal.dialogs_shown(), portal.sessions_restored()), (2, 1));
    drop(third);
    let mut fourth = open_through(&server, &portal, tokens.path());
    assert_eq!((portal.dialogs_shown(), portal.sessions_restored()), (2, 2));
    scene.assert_frame(&fourth.grab_screen().unwrap());
    let token = fourth.restore_token().expect("a token");
    drop(fourth);
    // The caller's own token, nothing kept: restored.
    let elsewhere = tempfile::tempdir().unwrap();
    let own = open_with(
        &server,
        through_portal(elsewhere.path())
            .token_store(TokenStore::Nowhere)
            .restore_token(Some(token)),
    )
    .unwrap();
    assert_eq!((portal.dialogs_shown(), portal.sessions_restored()), (2, 3));
    assert!(own.restore_token().is_some());
    assert!(kept_token(elsewhere.path()).is_none(), "nothing kept");
    drop(own);
    // A token the portal refuses (not a UUID): dropped, the dialog asked once, a new token
    // kept in its place.
    std::fs::write(
        std::fs::read_dir(tokens.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path(),
        "not-a-token\n",
    )
    .unwrap();
    let mut fifth = open_through(&server, &portal, tokens.path());
    assert_eq!((portal.dialogs_shown(), portal.sessions_restored()), (3, 3));
    scene.assert_frame(&fifth.grab_screen().unwrap());
    let kept = kept_token(tokens.path()).expect("a new token kept");
    assert_ne!(kept, "not-a-token");
    assert_eq!(fifth.restore_token(), Some(kept));
    drop(fifth);
    // A well-formed token the portal never handed out: ignored by the portal, so the dialog
    // is shown, once.
    let unknown = open_with(
        &server,
        through_portal(elsewhere.path())
            .token_store(TokenStore::Nowhere)
            .restore_token(Some("00000000-0000-4000-8000-000000000000".to_owned())),
    )
    .unwrap();
    assert_eq!((portal.dialogs_shown(), portal.sessions_restored()), (4, 3));
    assert!(unknown.restore_token().is_some());
    drop(unknown);
    // Every capturer's connection is closed when it goes (the session's watcher held it).
    assert_connections_come_back_to(&watcher, &before);
}

/// The dialog refused (response 1) or ended otherwise (response 2): the open fails at once
/// naming it, and no token is kept.
#[test]
fn a_refused_or_cancelled_dialog_is_an_error_naming_it() {
    let server = mutter(&[(320, 240)]);
    let portal = portal(
        &server,
        &FakePortalOptions::new().answer(DialogAnswer::Refuse),
    );
    let tokens = tempfile::tempdir().unwrap();
    let error = open_with(&server, through_portal(tokens.path())).unwrap_err();
    assert!(
        matches!(error, Error::DisplayUnavailable { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("the user refused"), "{error}");
    portal.answer_dialogs_with(DialogAnswer::Cancel);
    let error = open_with(&server, through_portal(tokens.path())).unwrap_err();
    assert!(
        matches!(error, Error::DisplayUnavailable { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("response 2"), "{error}");
    assert_eq!(portal.dialogs_shown(), 2);
    assert!(kept_token(tokens.path()).is_none());
    // Shared at last: the open works.
    portal.answer_dialogs_with(DialogAnswer::Share);
    open_through(&server, &portal, tokens.path());
    assert_eq!(portal.dialogs_shown(), 3);
}

/// No portal on the bus (nothing can start one: the test bus starts only its own services),
/// or a portal whose backends offer no screen cast: unsupported, naming which.
#[test]
fn no_portal_or_a_portal_without_screen_cast_is_unsupported_naming_which() {
    let server = mutter(&[(320, 240)]);
    let tokens = tempfile::tempdir().unwrap();
    let error = open_with(&server, through_portal(tokens.path())).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Unsupported {
                backend: "pipewire",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("there is no desktop portal"),
        "{error}"
    );
    let portal = portal(&server, &FakePortalOptions::new().without_screen_cast());
    let error = open_with(&server, through_portal(tokens.path())).unwrap_err();
    assert!(matches!(error, Error::Unsupported { .. }), "{error:?}");
    assert!(
        error.to_string().contains("offers no screen cast"),
        "{error}\n{}",
        portal.log()
    );
}

/// On GNOME, with the portal there too, mutter's own interface is chosen: no dialog.
#[test]
fn mutter_s_interface_comes_before_the_portal() {
    let server = mutter(&[(320, 240)]);
    let scene = scene(&server);
    let portal = portal(&server, &FakePortalOptions::new());
    let tokens = tempfile::tempdir().unwrap();
    let mut capture = open_with(
        &server,
        through_portal(tokens.path()).source(CastSource::Automatic),
    )
    .unwrap();
    scene.assert_frame(&capture.grab_screen().unwrap());
    assert_eq!(capture.status().method, "org.gnome.Mutter.ScreenCast");
    assert_eq!(portal.dialogs_shown(), 0);
    assert!(capture.restore_token().is_none());
    // A probe that may not ask the user (`mss info` asking a candidate it did not need) does
    // not start a portal session: refused, saying why, and no dialog.
    let error = open_with(&server, through_portal(tokens.path()).may_ask_user(false)).unwrap_err();
    assert!(matches!(error, Error::Unsupported { .. }), "{error:?}");
    assert!(
        error.to_string().contains("may not ask the user"),
        "{error}"
    );
    assert_eq!(portal.dialogs_shown(), 0);
}

/// The pointer drawn: a new portal session with the cursor embedded, restored from the token
/// (no second dialog); frames stay exact.
#[test]
fn drawing_the_pointer_restarts_the_session_without_a_dialog() {
    let server = mutter(&[(320, 240)]);
    let scene = scene(&server);
    let portal = portal(&server, &FakePortalOptions::new());
    let tokens = tempfile::tempdir().unwrap();
    let mut capture = open_through(&server, &portal, tokens.path());
    scene.assert_frame(&capture.grab_screen().unwrap());
    assert!(capture.draw_cursor(true));
    scene.assert_frame(&capture.grab_screen().unwrap());
    assert_eq!(portal.cursor_modes_asked(), [1, 2]);
    assert_eq!((portal.dialogs_shown(), portal.sessions_restored()), (1, 1));
}

/// Frames hold buffers of the portal's streams up to what the producer can spare, as with
/// mutter's own casts.
#[test]
fn frames_hold_the_portal_s_buffers_up_to_what_the_producer_spares() {
    let server = mutter(&[(320, 240)]);
    let mut scene = scene(&server);
    let portal = portal(&server, &FakePortalOptions::new());
    let tokens = tempfile::tempdir().unwrap();
    let mut capture = open_through(&server, &portal, tokens.path());
    scene.assert_frame(&capture.grab_screen().unwrap());
    let buffers = capture.casts()[0].1;
    let spot = region(50, 50, 10, 10);
    let mut held: Vec<(Frame, Rgba)> = Vec::new();
    let limit = loop {
        let index = held.len() as u8;
        let colour = Rgba::rgb(10 + 20 * index, 200 - 10 * index, 77);
        scene.paint_rect(spot, colour).unwrap();
        let deadline = std::time::Instant::now() + HANG_GUARD;
        let frame = loop {
            match capture.grab(region(0, 0, 320, 240)) {
                Ok(frame) if frame.pixel(50, 50) == Some(colour) => break Ok(frame),
                Ok(_) => assert!(std::time::Instant::now() < deadline, "no change came"),
                Err(error) => break Err(error),
            }
        };
        match frame {
            Ok(frame) => {
                scene.assert_frame(&frame);
                held.push((frame, colour));
                assert!(
                    held.len() < buffers,
                    "{} held, {buffers} buffers",
                    held.len()
                );
            }
            Err(Error::BuffersExhausted { limit }) => break limit,
            Err(other) => panic!("{other}"),
        }
    };
    assert_eq!(limit, buffers - 3);
    assert_eq!(held.len(), limit);
    for (frame, colour) in &held {
        assert_eq!(frame.pixel(50, 50), Some(*colour));
    }
    held.remove(0);
    scene.assert_frame(&capture.grab(region(0, 0, 320, 240)).unwrap());
}

fn kill(pid: u32) {
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("a real pid");
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).unwrap();
}

/// The producer (mutter) or PipeWire killed while a stream waits, or the portal's backend
/// ending the session: `ConnectionLost` for the stream and every later call, before the hang
/// guard; frames taken before stay exact.
#[test]
fn the_producer_killed_or_the_session_closed_is_connection_lost() {
    for what in ["mutter killed", "PipeWire killed", "the session closed"] {
        let server = mutter(&[(320, 240)]);
        let scene = scene(&server);
        let portal = portal(&server, &FakePortalOptions::new());
        let tokens = tempfile::tempdir().unwrap();
        let mut capture = open_through(&server, &portal, tokens.path());
        let held = capture.grab_screen().unwrap();
        {
            let mut stream = capture.stream(&StreamOptions::new()).unwrap();
            scene.assert_frame(&stream.next_frame().unwrap().frame);
            // The programs of a mutter server: the bus, PipeWire, WirePlumber, mutter.
            match what {
                "mutter killed" => kill(server.pids()[3]),
                "PipeWire killed" => kill(server.pids()[1]),
                _ => assert_eq!(portal.close_sessions(), 1),
            }
            let asked = std::time::Instant::now();
            let error = stream
                .next_frame_before(Some(asked + HANG_GUARD))
                .err()
                .unwrap_or_else(|| panic!("the stream went on ({what})"));
            assert!(
                matches!(error, Error::ConnectionLost { .. }),
                "{what}: {error:?}"
            );
            assert!(asked.elapsed() < HANG_GUARD);
        }
        for error in [
            capture.grab(region(0, 0, 10, 10)).unwrap_err(),
            capture.monitors().map(drop).unwrap_err(),
        ] {
            assert!(
                matches!(error, Error::ConnectionLost { .. }),
                "{what}: {error:?}"
            );
        }
        scene.assert_frame(&held);
    }
}

/// A dialog nobody answers: the open waits until its deadline, then fails with a timeout
/// saying the portal may be waiting for the user, and closes the request (the dialog goes).
#[test]
fn a_dialog_nobody_answers_is_a_timeout_saying_so_and_is_closed() {
    let server = mutter(&[(320, 240)]);
    let portal = portal(
        &server,
        &FakePortalOptions::new().answer(DialogAnswer::Never),
    );
    let watcher = watcher(&server);
    let before = connections(&watcher);
    let tokens = tempfile::tempdir().unwrap();
    // Each request has this limit of its own: long enough that only the dialog, which never
    // answers, reaches it (the calls before it answer at once), short enough for a test.
    let limit = std::time::Duration::from_secs(10);
    let error = open_with(&server, through_portal(tokens.path()).timeout(Some(limit))).unwrap_err();
    assert!(
        matches!(&error, Error::Timeout { waiting_for, seconds, .. }
            if waiting_for.contains("Start") && waiting_for.contains("dialog") && *seconds == 10.0),
        "{error:?}"
    );
    assert_eq!(portal.dialogs_shown(), 1);
    assert_eq!(portal.requests_closed(), 1, "the request was closed");
    // The capturer's connection is gone, and with it the thread that waited for the answer.
    assert_connections_come_back_to(&watcher, &before);
    // The portal still answers the next application.
    portal.answer_dialogs_with(DialogAnswer::Share);
    open_through(&server, &portal, tokens.path());
}

/// A monitor turned a quarter turn: mutter ends the cast of a monitor whose configuration
/// changed (observed with mutter 43; a direct cast of mutter's is simply started again), and
/// the portal's streams cannot be started again without a new session, so a grab fails with
/// `ConnectionLost` naming the ended stream, never a frame of the wrong shape; frames taken
/// before stay exact. (A stream that the producer renegotiates to another size instead, as
/// other compositors may, is an error naming both sizes.)
#[test]
fn a_monitor_reconfigured_ends_the_portal_s_stream_as_connection_lost() {
    let server = mutter(&[(640, 480)]);
    let scene = scene(&server);
    let portal = portal(&server, &FakePortalOptions::new());
    let tokens = tempfile::tempdir().unwrap();
    let mut capture = open_through(&server, &portal, tokens.path());
    let before = capture.grab_screen().unwrap();
    scene.assert_frame(&before);
    crate::support::turn_first_monitor(&server, 1);
    // The turned monitor shows a new window, so mutter has something new to send.
    let _turned = crate::support::scene(&server);
    let deadline = std::time::Instant::now() + HANG_GUARD;
    let error = loop {
        match capture.grab(region(0, 0, 100, 100)) {
            Ok(frame) => {
                assert_eq!(frame.region(), region(0, 0, 100, 100));
                assert!(
                    std::time::Instant::now() < deadline,
                    "the stream neither ended nor changed"
                );
            }
            Err(error) => break error,
        }
    };
    assert!(matches!(error, Error::ConnectionLost { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("portal-stream-0") && message.contains("ended"),
        "{message}"
    );
    scene.assert_frame(&before);
}

/// The portal going away mid-capture (its process killed) takes its session with it: the
/// next calls are `ConnectionLost` saying the portal closed the session, before the hang
/// guard; frames taken before stay exact.
#[test]
fn the_portal_gone_mid_capture_is_connection_lost() {
    let server = mutter(&[(320, 240)]);
    let scene = scene(&server);
    let portal = portal(&server, &FakePortalOptions::new());
    let tokens = tempfile::tempdir().unwrap();
    let mut capture = open_through(&server, &portal, tokens.path());
    let held = capture.grab_screen().unwrap();
    kill(portal.frontend_pid());
    let deadline = std::time::Instant::now() + HANG_GUARD;
    let error = loop {
        match capture.grab(region(0, 0, 10, 10)) {
            Ok(_) => assert!(
                std::time::Instant::now() < deadline,
                "capture went on after the portal went away"
            ),
            Err(error) => break error,
        }
    };
    assert!(matches!(error, Error::ConnectionLost { .. }), "{error:?}");
    assert!(
        error.to_string().contains("closed the screen-cast session"),
        "{error}"
    );
    assert!(matches!(
        capture.monitors().unwrap_err(),
        Error::ConnectionLost { .. }
    ));
    scene.assert_frame(&held);
}
