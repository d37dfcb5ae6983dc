//! Where `-o` points: standard output, `/dev/stdout`, a FIFO, a link, a read-only file, new
//! files under a umask, and a save interrupted by a signal. The node named is never replaced by
//! surprise, and nothing half-written or temporary is ever left.

use std::io::Read as _;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use mss_testkit::{XServer, XvfbOptions};

use crate::support::{assert_png_bytes_show, assert_png_shows, mss_command, names, region, xvfb};

#[test]
fn standard_output_through_a_pipe_gets_the_png_and_nothing_else() {
    let server = xvfb(96, 64);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    for output in ["-", "/dev/stdout"] {
        let result = mss_command(&server, directory.path(), &["-o", output])
            .output()
            .unwrap();
        assert!(result.status.success(), "{output}: {result:?}");
        assert!(result.stderr.is_empty(), "{output}: {result:?}");
        // The path is not printed into the picture.
        assert_png_bytes_show(&result.stdout, region(0, 0, 96, 64), &scene);
    }
    assert!(
        std::fs::symlink_metadata("/dev/stdout")
            .unwrap()
            .file_type()
            .is_symlink(),
        "/dev/stdout is still a link"
    );
    assert!(
        names(directory.path()).is_empty(),
        "no file named - or stdout"
    );
}

#[test]
fn a_fifo_gets_the_png_and_stays_a_fifo() {
    let server = xvfb(80, 60);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let fifo = directory.path().join("frames.fifo");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            std::fs::File::open(fifo)
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            bytes
        })
    };
    let output = mss_command(&server, directory.path(), &["-o", fifo.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_png_bytes_show(&reader.join().unwrap(), region(0, 0, 80, 60), &scene);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert_eq!(names(directory.path()), ["frames.fifo"]);
}

#[test]
fn a_link_is_followed_and_its_target_replaced() {
    let server = xvfb(64, 48);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    std::fs::create_dir(directory.path().join("real")).unwrap();
    let target = directory.path().join("real/shot.png");
    std::fs::write(&target, b"old picture").unwrap();
    let link = directory.path().join("latest.png");
    std::os::unix::fs::symlink("real/shot.png", &link).unwrap();
    let output = mss_command(&server, directory.path(), &["-o", "latest.png"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_png_shows(&target, region(0, 0, 64, 48), &scene);
    assert_eq!(names(&directory.path().join("real")), ["shot.png"]);
}

#[test]
fn new_files_follow_the_umask_and_replaced_ones_keep_their_mode() {
    let server = xvfb(32, 24);
    server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    for (umask, name, mode) in [("022", "open.png", 0o644), ("077", "private.png", 0o600)] {
        let status = Command::new("sh")
            .args(["-c", &format!("umask {umask}; exec \"$0\" \"$@\"")])
            .arg(env!("CARGO_BIN_EXE_mss"))
            .args(["-q", "-o", name])
            .current_dir(directory.path())
            .env("DISPLAY", server.display())
            .status()
            .unwrap();
        assert!(status.success());
        let metadata = std::fs::metadata(directory.path().join(name)).unwrap();
        assert_eq!(metadata.permissions().mode() & 0o777, mode, "umask {umask}");
    }
    let kept = directory.path().join("kept.png");
    std::fs::write(&kept, b"old").unwrap();
    std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
    let status = Command::new("sh")
        .args(["-c", "umask 077; exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_mss"))
        .args(["-q", "-o", "kept.png"])
        .current_dir(directory.path())
        .env("DISPLAY", server.display())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(std::fs::metadata(&kept).unwrap().mode() & 0o777, 0o640);
}

#[test]
fn a_file_this_user_may_not_write_is_refused_and_left_unchanged() {
    let server = xvfb(32, 24);
    server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let locked = directory.path().join("locked.png");
    std::fs::write(&locked, b"keep me").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o444)).unwrap();
    // Root may write any file, as with cp; the rule is about other users, so as root the
    // test runs mss as `nobody`, owning the directory and the file.
    let root = rustix::process::geteuid().is_root();
    let mut command = if root {
        std::os::unix::fs::chown(directory.path(), Some(65534), Some(65534)).unwrap();
        std::os::unix::fs::chown(&locked, Some(65534), Some(65534)).unwrap();
        let mut command = Command::new("runuser");
        command.args(["-u", "nobody", "--", env!("CARGO_BIN_EXE_mss")]);
        command
    } else {
        Command::new(env!("CARGO_BIN_EXE_mss"))
    };
    let output = command
        .args([
            "--display",
            server.display(),
            "-o",
            locked.to_str().unwrap(),
        ])
        .current_dir(directory.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("locked.png"), "{stderr}");
    assert!(stderr.contains("may not write it"), "{stderr}");
    assert_eq!(std::fs::read(&locked).unwrap(), b"keep me");
    assert_eq!(names(directory.path()), ["locked.png"]);
}

#[test]
fn a_save_interrupted_by_a_signal_leaves_the_old_file_and_nothing_else() {
    // A large screen at the slowest level, so the signal lands while the PNG is encoded or
    // written (seconds in a debug build).
    let server = XServer::xvfb(&XvfbOptions::new(3840, 2160, 24)).unwrap();
    server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let shot = directory.path().join("shot.png");
    for signal in [rustix::process::Signal::INT, rustix::process::Signal::TERM] {
        std::fs::write(&shot, b"the previous picture").unwrap();
        let mut child = mss_command(&server, directory.path(), &["-l", "9", "-o", "shot.png"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(700));
        assert!(
            child.try_wait().unwrap().is_none(),
            "still saving when signalled"
        );
        rustix::process::kill_process(rustix::process::Pid::from_child(&child), signal).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.signal(), Some(signal.as_raw()), "{status:?}");
        assert_eq!(std::fs::read(&shot).unwrap(), b"the previous picture");
        assert_eq!(
            names(directory.path()),
            ["shot.png"],
            "no temporary file left"
        );
    }
}
