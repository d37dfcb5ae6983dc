//! Exit codes and one-line errors.

use crate::support::{assert_failure, mss, success_lines, xvfb};

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
