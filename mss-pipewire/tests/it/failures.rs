//! What goes wrong: sessions the backend cannot capture are refused at open, naming why; a bus
//! that never answers is a timeout; mutter or PipeWire killed while a stream waits is
//! `ConnectionLost` for the stream and for later grabs, while frames already handed out stay
//! exact.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mss_core::{Capture, Error, StreamOptions};
use mss_pipewire::{PipeWireCapture, PipeWireOptions};
use mss_testkit::{SwayOptions, WaylandServer};

use crate::support::{HANG_GUARD, mutter, open, region, scene};

fn kill(pid: u32) {
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("a real pid");
    rustix::process::kill_process(pid, rustix::process::Signal::KILL).unwrap();
}

/// Kills the program `which` of the server while a stream waits for the next frame: the
/// stream fails with `ConnectionLost` (before the hang guard: not a timeout), and so does
/// every later call; frames taken before stay exact.
fn killed_while_streaming(which: usize, what: &str) {
    let server = mutter(&[(640, 480)]);
    let scene = scene(&server);
    let mut capture = open(&server);
    let held = capture.grab_screen().unwrap();
    let victim = server.pids()[which];
    {
        let mut stream = capture.stream(&StreamOptions::new()).unwrap();
        scene.assert_frame(&stream.next_frame().unwrap().frame);
        kill(victim);
        let asked = Instant::now();
        let error = stream
            .next_frame_before(Some(asked + HANG_GUARD))
            .err()
            .unwrap_or_else(|| panic!("the stream went on after {what} was killed"));
        assert!(
            matches!(error, Error::ConnectionLost { .. }),
            "{what}: {error:?}"
        );
        assert!(asked.elapsed() < HANG_GUARD, "{what}");
    }
    let error = capture.grab(region(0, 0, 10, 10)).unwrap_err();
    assert!(
        matches!(error, Error::ConnectionLost { .. }),
        "{what}: {error:?}"
    );
    let error = capture.monitors().unwrap_err();
    assert!(
        matches!(error, Error::ConnectionLost { .. }),
        "{what}: {error:?}"
    );
    scene.assert_frame(&held);
}

#[test]
fn mutter_killed_while_streaming_is_connection_lost() {
    // The programs of a mutter server: the bus, PipeWire, WirePlumber, mutter.
    killed_while_streaming(3, "mutter");
}

#[test]
fn pipewire_killed_while_streaming_is_connection_lost() {
    killed_while_streaming(1, "PipeWire");
}

/// A wlroots session has no bus beside its socket, so no GNOME interface: refused as
/// unsupported, naming what is missing.
#[test]
fn a_session_without_mutter_is_unsupported() {
    let sway = WaylandServer::start(&SwayOptions::new())
        .unwrap_or_else(|error| panic!("{error} (run `cargo xtask test`)"));
    let display = sway.wayland_display().to_str().unwrap().to_owned();
    let error = PipeWireCapture::open(Some(&display)).unwrap_err();
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
        error.to_string().contains("org.gnome.Mutter.ScreenCast"),
        "{error}"
    );
    // A bus without mutter and without a portal (a configuration of its own, so that it
    // starts no service of the machine's): refused naming what each answered.
    let directory = tempfile::tempdir().unwrap();
    let socket = directory.path().join("wayland-x");
    let _listener = UnixListener::bind(&socket).unwrap();
    let config = directory.path().join("bus.conf");
    std::fs::write(
        &config,
        "<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen>\
         <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
         <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>",
    )
    .unwrap();
    let mut bus = Command::new("dbus-daemon")
        .arg(format!("--config-file={}", config.display()))
        .args(["--nofork", "--nopidfile", "--print-address=1"])
        .arg(format!(
            "--address=unix:path={}",
            directory.path().join("bus").display()
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon (run `cargo xtask test`)");
    let mut address = String::new();
    BufReader::new(bus.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    assert!(address.starts_with("unix:path="), "{address}");
    let error = PipeWireCapture::open(Some(socket.to_str().unwrap())).unwrap_err();
    let _ = bus.kill();
    let _ = bus.wait();
    assert!(matches!(error, Error::Unsupported { .. }), "{error:?}");
    let message = error.to_string();
    for named in [
        "org.gnome.Mutter.ScreenCast is not on the session bus",
        "there is no desktop portal",
    ] {
        assert!(message.contains(named), "{message}");
    }
    // A socket that is not there is the display's own error.
    let error = PipeWireCapture::open(Some("/nonexistent/wayland-0")).unwrap_err();
    assert!(
        matches!(error, Error::DisplayUnavailable { .. }),
        "{error:?}"
    );
}

/// A bus that takes the connection and never answers: the open fails with a timeout naming
/// the handshake, within its limit.
#[test]
fn a_bus_that_never_answers_is_a_timeout() {
    let directory = tempfile::tempdir().unwrap();
    let socket = directory.path().join("wayland-x");
    let _display = UnixListener::bind(&socket).unwrap();
    let _bus = UnixListener::bind(directory.path().join("bus")).unwrap();
    let asked = Instant::now();
    let error = PipeWireCapture::open_with(
        Some(socket.to_str().unwrap()),
        PipeWireOptions::new().timeout(Some(Duration::from_secs(2))),
    )
    .unwrap_err();
    assert!(
        matches!(&error, Error::Timeout { waiting_for, seconds, .. }
            if waiting_for.contains("handshake") && *seconds == 2.0),
        "{error:?}"
    );
    assert!(asked.elapsed() < HANG_GUARD);
}
