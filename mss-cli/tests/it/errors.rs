//! Exit codes and one-line errors.

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use mss_testkit::XServer;

use crate::support::{assert_failure, assert_png_shows, mss, mss_command, success_lines, xvfb};

#[test]
fn bad_usage_exits_2_before_touching_the_display() {
    let directory = tempfile::tempdir().unwrap();
    for (arguments, fragment) in [
        (&["-c", "1,2,3"][..], "bad geometry \"1,2,3\""),
        (&["-c", "10x10+1"][..], "TOP,LEFT,WIDTH,HEIGHT"),
        (&["--region", "0,0,0,10"][..], "at least 1"),
        (&["-l", "10"][..], "--level"),
        (&["-m", "x"][..], "--monitor"),
        (&["-o", "{nope}.png"][..], "unknown placeholder {nope}"),
        (&["-b", "xlib"][..], "unknown backend \"xlib\""),
        (&["--frobnicate"][..], "--frobnicate"),
    ] {
        let output = mss(directory.path(), None, arguments);
        assert_failure(&output, 2, fragment);
    }
    assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 0);
}

#[test]
fn capture_failures_exit_1_naming_the_problem() {
    let server = xvfb(100, 80);
    let directory = tempfile::tempdir().unwrap();
    let display = Some(server.display());
    let output = mss(directory.path(), display, &["-m", "5"]);
    assert_failure(&output, 1, "monitor 5 does not exist");
    let output = mss(directory.path(), display, &["--region", "90,70,20,20"]);
    assert_failure(&output, 1, "is not inside the screen");
    let output = mss(directory.path(), display, &["-c", "500,500,10,10"]);
    assert_failure(&output, 1, "outside the screen");
    let output = mss(directory.path(), display, &["-o", "missing/dir/shot.png"]);
    assert_failure(&output, 1, "missing/dir/shot.png");
    assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 0);

    let output = mss(directory.path(), Some(":4097"), &[]);
    assert_failure(&output, 1, "cannot open display \":4097\"");
    let output = mss(directory.path(), None, &["info"]);
    assert_failure(&output, 1, "DISPLAY is not set");
    // Still working afterwards.
    success_lines(&mss(directory.path(), display, &["-q"]));
}

/// Runs `mss --timeout 2 ARGUMENTS` on `display` and checks it gives up in time with the
/// timeout message, writing nothing: after the 2 s deadline, and before a second one could
/// have passed (one deadline for the display, not one per backend that could be asked).
fn assert_gives_up_after_one_deadline(display: &str, arguments: &[&str]) {
    let directory = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut all = arguments.to_vec();
    all.extend_from_slice(&["--timeout", "2"]);
    let output = mss(directory.path(), Some(display), &all);
    let took = started.elapsed();
    assert_failure(&output, 1, "did not answer within 2 s while waiting for");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(4),
        "{arguments:?} took {took:?}"
    );
    assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 0);
}

/// A running `mss`, killed if the test ends before it does.
struct Running(Option<Child>);

impl Running {
    /// Starts `mss ARGUMENTS` on `server` in `directory`.
    fn start(server: &XServer, directory: &std::path::Path, arguments: &[&str]) -> Self {
        let child = mss_command(server, directory, arguments)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Self(Some(child))
    }

    /// Whether it is still running.
    fn running(&mut self) -> bool {
        let child = self.0.as_mut().expect("not finished");
        child.try_wait().unwrap().is_none()
    }

    /// Waits for it to exit; a minute turns a hang into a failure.
    fn finish(mut self) -> Output {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.running() {
            assert!(
                Instant::now() < deadline,
                "mss did not exit within a minute"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let child = self.0.take().expect("not finished");
        child.wait_with_output().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Holds a server grab (nobody else's requests are served) until dropped.
fn grab_server(display: &str) -> x11rb::rust_connection::RustConnection {
    use x11rb::protocol::xproto::ConnectionExt as _;
    let (grabber, _) = x11rb::connect(Some(display)).unwrap();
    grabber.grab_server().unwrap();
    grabber.get_input_focus().unwrap().reply().unwrap();
    grabber
}

#[test]
fn a_timeout_of_0_waits_without_limit_and_the_default_is_10_seconds() {
    let server = xvfb(64, 48);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let limit = |arguments: &[&str]| {
        let mut all = vec!["info", "--json"];
        all.extend_from_slice(arguments);
        let json = success_lines(&mss(directory.path(), Some(server.display()), &all)).join("\n");
        serde_json::from_str::<serde_json::Value>(&json).unwrap()["timeout_seconds"].clone()
    };
    // What every backend is opened with.
    assert_eq!(limit(&[]), 10.0);
    assert_eq!(limit(&["--timeout", "0"]), serde_json::Value::Null);
    assert_eq!(limit(&["--timeout", "2.5"]), 2.5);
    let text = success_lines(&mss(directory.path(), Some(server.display()), &["info"]));
    assert!(
        text.iter()
            .any(|line| line == "wait limit: 10 s per wait on the display"),
        "{text:?}"
    );

    // On a display held by a grab, `--timeout 0` still waits when a limit of half a second
    // has given up on it, and takes its shot once the grab ends.
    let grabber = grab_server(server.display());
    let mut unlimited = Running::start(
        &server,
        directory.path(),
        &["--timeout", "0", "-o", "waited.png"],
    );
    let limited = Running::start(
        &server,
        directory.path(),
        &["--timeout", "0.5", "-o", "limited.png"],
    );
    assert_failure(&limited.finish(), 1, "did not answer within 0.5 s");
    assert!(unlimited.running(), "mss --timeout 0 gave up");
    drop(grabber);
    let output = unlimited.finish();
    assert!(output.status.success(), "{output:?}");
    assert_png_shows(&directory.path().join("waited.png"), scene.region(), &scene);
    assert!(!directory.path().join("limited.png").exists());
}

#[test]
fn a_display_held_by_a_server_grab_is_given_up_on_in_time() {
    let server = xvfb(64, 48);
    let grabber = grab_server(server.display());
    for arguments in [
        &["-o", "shot.png"][..],
        &["info"][..],
        &["-b", "x11-getimage"][..],
    ] {
        assert_gives_up_after_one_deadline(server.display(), arguments);
    }
    drop(grabber);
    // Let go, the same display answers again.
    let directory = tempfile::tempdir().unwrap();
    success_lines(&mss(
        directory.path(),
        Some(server.display()),
        &["--timeout", "2", "-q"],
    ));
}

#[test]
fn a_stopped_server_is_given_up_on_in_time() {
    let server = xvfb(64, 48);
    let pid = rustix::process::Pid::from_raw(server.pid() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::STOP).unwrap();
    assert_gives_up_after_one_deadline(server.display(), &["-o", "shot.png"]);
    rustix::process::kill_process(pid, rustix::process::Signal::CONT).unwrap();
}

#[test]
fn bad_timeouts_are_usage_errors() {
    let directory = tempfile::tempdir().unwrap();
    for value in ["-1", "soon", "nan"] {
        let output = mss(directory.path(), None, &["--timeout", value]);
        assert_failure(&output, 2, "--timeout");
    }
}

/// Every bad argument is exit code 2 with a one-line message naming it, before anything is
/// captured or written; none panics (exit 101), even with a display to capture.
#[test]
fn every_argument_error_is_exit_2_with_a_message() {
    let server = xvfb(32, 24);
    let directory = tempfile::tempdir().unwrap();
    for (arguments, fragment) in [
        // Numbers too large for the clock's arithmetic, or too small to be a wait.
        (&["--timeout", "1e19"][..], "more than 365 days"),
        (&["--timeout", "31536001"][..], "more than 365 days"),
        (&["--timeout", "1e-10"][..], "at least 0.001 seconds"),
        (&["info", "--timeout", "1e19"][..], "--timeout"),
        (
            &[
                "record",
                "--timeout",
                "1e19",
                "--frames",
                "1",
                "-o",
                "t{n}.png",
            ][..],
            "--timeout",
        ),
        (
            &["record", "--duration", "1e19", "-o", "d{n}.png"][..],
            "more than 365 days",
        ),
        (
            &["record", "--duration", "4e-10", "-o", "d{n}.png"][..],
            "above 0 seconds",
        ),
        (&["record", "--duration", "inf"][..], "--duration"),
        (&["record", "--fps", "1e400"][..], "frames a second"),
        (&["record", "--fps", "0.0001"][..], "frames a second"),
        (
            &["record", "--frames", "18446744073709551616"][..],
            "--frames",
        ),
        (&["record", "--in-flight", "0"][..], "--in-flight"),
        (&["record", "-l", "256"][..], "--level"),
        (&["-l", "-1"][..], "unexpected argument '-1'"),
        (&["bench", "--frames", "0"][..], "--frames"),
        (
            &["bench", "--stream", "--in-flight", "9"][..],
            "--in-flight",
        ),
        (&["-m", "99999999999999999999"][..], "--monitor"),
        (
            &["--window", "0x1ffffffffffffffff"][..],
            "is not a window id",
        ),
        (&["--region", "4294967296x1+0+0"][..], "--region"),
        (&["-c", "0,0,1,4294967296"][..], "-c/--coordinates"),
        // Frame-number widths: one that would crash the formatter, and ones past a name's
        // length.
        (
            &["record", "--frames", "1", "-o", "f{n:065536}.png"][..],
            "the width goes up to 20",
        ),
        (
            &["record", "-o", "f{n:0184467440737095516160}.png"][..],
            "the width goes up to 20",
        ),
        (
            &["record", "-o", "f{n:021}.png"][..],
            "the width goes up to 20",
        ),
    ] {
        let output = mss(directory.path(), Some(server.display()), arguments);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{arguments:?}: {stderr}");
        assert_failure(&output, 2, fragment);
    }
    assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 0);
}
