use std::process::Command;
use std::time::{Duration, Instant};

use mss_core::Error;
use mss_x11_getimage::GetImageCapture;
use rstest::rstest;

/// Connection failures must come back long before a deadline could end a wait (no hanging on
/// a dead socket until the default 10 s deadline), however loaded the machine.
const LIMIT: Duration = Duration::from_secs(5);

/// Opens `display` and returns the error and how long it took.
fn open_error(display: Option<&str>) -> (Error, Duration) {
    let started = Instant::now();
    let error = GetImageCapture::open(display).expect_err("opening must fail");
    (error, started.elapsed())
}

#[rstest]
#[case::no_server(":999", "no X server answers there")]
#[case::garbage("garbage", "the display name is malformed")]
#[case::bad_number(":abc", "the display name is malformed")]
#[case::empty("", "the display name is empty")]
fn bad_display_names_fail_fast_naming_the_display(#[case] name: &str, #[case] reason: &str) {
    let (error, elapsed) = open_error(Some(name));
    assert!(elapsed < LIMIT, "{name:?} took {elapsed:?}");
    let Error::DisplayUnavailable {
        display,
        reason: actual,
        ..
    } = &error
    else {
        panic!("expected DisplayUnavailable, got {error:?}");
    };
    assert_eq!(display, name);
    assert!(actual.contains(reason), "{actual:?} should say {reason:?}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("cannot open display {name:?}: {reason}")),
        "{error}"
    );
}

/// The environment variable the child run of the test below reads.
const CHILD_MARKER: &str = "MSS_GETIMAGE_TEST_CHILD";

/// `open(None)` with `$DISPLAY` unset or empty. Changing the environment of this process is
/// unsafe (other tests read it concurrently), so the test runs itself again as a child process
/// with the environment it needs and checks what the child printed.
#[test]
fn unset_or_empty_display_variable_is_reported() {
    if std::env::var_os(CHILD_MARKER).is_some() {
        let (error, elapsed) = open_error(None);
        assert!(elapsed < LIMIT, "took {elapsed:?}");
        assert!(
            matches!(&error, Error::DisplayUnavailable { display, .. } if display.is_empty()),
            "{error:?}"
        );
        println!("CHILD-RESULT: {error}");
        return;
    }
    let run_child = |display: Option<&str>| {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args([
                "--exact",
                "open_errors::unset_or_empty_display_variable_is_reported",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_MARKER, "1");
        match display {
            Some(value) => command.env("DISPLAY", value),
            None => command.env_remove("DISPLAY"),
        };
        let output = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "child failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
            .lines()
            .find_map(|line| line.split_once("CHILD-RESULT: ").map(|(_, result)| result))
            .unwrap_or_else(|| panic!("the child printed no result: {stdout}"))
            .to_owned()
    };
    assert_eq!(
        run_child(None),
        "cannot open display \"\": DISPLAY is not set; set it (for example DISPLAY=:0) or pass a \
         display name"
    );
    assert_eq!(
        run_child(Some("")),
        "cannot open display \"\": DISPLAY is set but empty; set it (for example DISPLAY=:0) or \
         pass a display name"
    );
}
