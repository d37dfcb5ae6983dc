//! Where `-o` points: standard output and other descriptors, a FIFO, a link, a read-only file,
//! another user's file in a shared directory, new files under a umask (with and without
//! `/proc`), long names, a full disk, a file-size limit, and a save interrupted or killed at
//! each of its steps. The node named is never replaced by surprise, and nothing half-written
//! or temporary is ever left.

use std::io::{Read as _, Seek as _};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Command, Stdio};

use mss_testkit::{SmallTmpfs, root_or_explain};

use crate::support::{
    Hold, PATIENCE, assert_failure, assert_png_bytes_show, assert_png_shows, mss_command,
    mss_in_shell, names, region, signal, wait_at_most, xvfb,
};

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

/// The step names of a save, in order, as the hold hook knows them; `save:linked` only when an
/// old file is replaced.
const SAVE_STEPS: [&str; 5] = [
    "save:created",
    "save:written",
    "save:synced",
    "save:linked",
    "save:named",
];

/// An interrupt that lands in the middle of a save (the process held at a known step, inside
/// the write) ends the process with that signal, and leaves the old file and nothing else.
/// Between naming the new file and renaming it over the old one, interrupts are held back:
/// the save completes, then the signal ends the process.
#[test]
fn a_save_interrupted_by_a_signal_leaves_the_old_file_and_nothing_else() {
    let server = xvfb(64, 48);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let shot = directory.path().join("shot.png");
    for (step, signal_sent) in [
        ("save:written", rustix::process::Signal::INT),
        ("save:synced", rustix::process::Signal::TERM),
        ("save:created", rustix::process::Signal::HUP),
        ("save:linked", rustix::process::Signal::INT),
    ] {
        std::fs::write(&shot, b"the previous picture").unwrap();
        let hold = Hold::new();
        // Signals back to their default actions, whatever the test runner inherited (a
        // shell's `&` ignores SIGINT), so the test shows what mss does with them.
        let mut command = Command::new("env");
        command
            .args([
                "--default-signal",
                env!("CARGO_BIN_EXE_mss"),
                "-o",
                "shot.png",
            ])
            .current_dir(directory.path())
            .env("DISPLAY", server.display())
            .env_remove("MSS_BACKEND")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        hold.arm(&mut command, &[step]);
        let mut child = command.spawn().unwrap();
        let held = hold.reached(&mut child);
        assert_eq!(held.step, step);
        signal(&child, signal_sent);
        if step == "save:linked" {
            // Held back: the process waits at the step with the signal pending, then finishes
            // the rename and ends with the signal.
            let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
            let pending = |name: &str| {
                let line = status.lines().find(|line| line.starts_with(name)).unwrap();
                u64::from_str_radix(line[name.len()..].trim(), 16).unwrap()
            };
            let bit = 1u64 << (signal_sent.as_raw() - 1);
            assert_ne!(
                (pending("SigPnd:") | pending("ShdPnd:")) & bit,
                0,
                "{step}: the signal is pending: {status}"
            );
            assert!(child.try_wait().unwrap().is_none(), "{step}: still saving");
            held.release();
            let status = wait_at_most(&mut child, PATIENCE);
            assert_eq!(status.signal(), Some(signal_sent.as_raw()), "{status:?}");
            assert_png_shows(&shot, scene.region(), &scene);
        } else {
            // The signal ends the process while it is held inside the save.
            let status = wait_at_most(&mut child, PATIENCE);
            assert_eq!(
                status.signal(),
                Some(signal_sent.as_raw()),
                "{step}: {status:?}"
            );
            drop(held);
            assert_eq!(
                std::fs::read(&shot).unwrap(),
                b"the previous picture",
                "{step}"
            );
        }
        assert_eq!(
            names(directory.path()),
            ["shot.png"],
            "{step}: no temporary file"
        );
    }
}

/// SIGKILL at every step of a save, replacing a file and creating one: the old file or a
/// complete new one, and no other name, except in the one instant Linux leaves no way around
/// (after the new file got a temporary name, before the rename: two system calls), where the
/// hidden temporary name holds the complete new picture beside the untouched old one.
#[test]
fn a_save_killed_at_any_step_leaves_the_old_file_or_the_new_one() {
    let server = xvfb(64, 48);
    let scene = server.paint_scene().unwrap();
    for replacing in [true, false] {
        for step in SAVE_STEPS {
            if step == "save:linked" && !replacing {
                continue;
            }
            let directory = tempfile::tempdir().unwrap();
            let shot = directory.path().join("shot.png");
            if replacing {
                std::fs::write(&shot, b"the previous picture").unwrap();
            }
            let hold = Hold::new();
            let mut command = mss_command(&server, directory.path(), &["-q", "-o", "shot.png"]);
            hold.arm(&mut command, &[step]);
            let mut child = command.spawn().unwrap();
            let held = hold.reached(&mut child);
            assert_eq!(held.step, step);
            signal(&child, rustix::process::Signal::KILL);
            let status = wait_at_most(&mut child, PATIENCE);
            assert_eq!(status.signal(), Some(9));
            drop(held);
            let context = format!("killed at {step}, replacing: {replacing}");
            let left = names(directory.path());
            match step {
                "save:named" => {
                    assert_eq!(left, ["shot.png"], "{context}");
                    assert_png_shows(&shot, scene.region(), &scene);
                }
                "save:linked" => {
                    assert_eq!(left.len(), 2, "{context}: {left:?}");
                    assert!(left[0].starts_with(".shot.png.mss-"), "{context}: {left:?}");
                    assert_eq!(std::fs::read(&shot).unwrap(), b"the previous picture");
                    assert_png_shows(&directory.path().join(&left[0]), scene.region(), &scene);
                }
                _ if replacing => {
                    assert_eq!(left, ["shot.png"], "{context}");
                    assert_eq!(std::fs::read(&shot).unwrap(), b"the previous picture");
                }
                _ => assert!(left.is_empty(), "{context}: {left:?}"),
            }
        }
    }
}

#[test]
fn standard_output_is_the_descriptor_the_process_already_has() {
    let server = xvfb(48, 32);
    let scene = server.paint_scene().unwrap();
    let shown = region(0, 0, 48, 32);
    let directory = tempfile::tempdir().unwrap();

    // `>>`: appended after what the file holds, in the same file.
    let appended = directory.path().join("appended.bin");
    std::fs::write(&appended, b"kept;").unwrap();
    let inode = std::fs::metadata(&appended).unwrap().ino();
    let output = mss_in_shell(
        &server,
        directory.path(),
        "exec \"$0\" -o /dev/stdout >> appended.bin",
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    let bytes = std::fs::read(&appended).unwrap();
    assert_eq!(&bytes[..5], b"kept;");
    assert_png_bytes_show(&bytes[5..], shown, &scene);
    assert_eq!(std::fs::metadata(&appended).unwrap().ino(), inode);

    // A file the parent holds open as the child's standard output: the parent reads the PNG
    // back through its own descriptor.
    let mut held = tempfile::tempfile().unwrap();
    let status = mss_command(&server, directory.path(), &["-o", "/dev/stdout"])
        .stdout(held.try_clone().unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    held.rewind().unwrap();
    let mut bytes = Vec::new();
    held.read_to_end(&mut bytes).unwrap();
    assert_png_bytes_show(&bytes, shown, &scene);

    // A socket as standard output: sent to, not connected to.
    let (ours, theirs) = UnixStream::pair().unwrap();
    let output = mss_command(&server, directory.path(), &["-o", "/dev/stdout"])
        .stdout(OwnedFd::from(theirs))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut bytes = Vec::new();
    (&ours).read_to_end(&mut bytes).unwrap();
    assert_png_bytes_show(&bytes, shown, &scene);

    // Another descriptor the shell opened: /dev/fd/3.
    let output = mss_in_shell(
        &server,
        directory.path(),
        "exec \"$0\" -o /dev/fd/3 3>>three.bin",
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    // The file behind the descriptor is named, as for any file written.
    let three = std::fs::canonicalize(directory.path().join("three.bin")).unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("{}\n", three.display())
    );
    assert_png_shows(&three, shown, &scene);
    assert_eq!(names(directory.path()), ["appended.bin", "three.bin"]);
}

/// In a sticky, world-writable directory (like `/tmp`), a link, file or FIFO another user put
/// where mss is to write is refused, even where the kernel's protected_* settings are off.
#[test]
fn another_users_link_file_or_fifo_in_a_shared_directory_is_refused() {
    if !root_or_explain("another_users_link_file_or_fifo_in_a_shared_directory_is_refused") {
        return;
    }
    let server = xvfb(32, 24);
    server.paint_scene().unwrap();
    let shared = tempfile::tempdir().unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let private = tempfile::tempdir().unwrap();
    let victim = private.path().join("victim");
    std::fs::write(&victim, b"root's own file").unwrap();
    let planted = shared.path().join("shot.png");
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let theirs = shared.path().join("theirs.png");
    std::fs::write(&theirs, b"their file").unwrap();
    let fifo = shared.path().join("fifo.png");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::from_raw_mode(0o666),
    )
    .unwrap();
    for path in [&planted, &theirs, &fifo] {
        std::os::unix::fs::lchown(path, Some(65534), Some(65534)).unwrap();
    }
    for (path, rule) in [
        (&planted, "protected_symlinks"),
        (&theirs, "protected_regular"),
        (&fifo, "protected_fifos"),
    ] {
        let mut child = mss_command(
            &server,
            shared.path(),
            &["--timeout", "2", "-o", path.to_str().unwrap()],
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        wait_at_most(&mut child, PATIENCE);
        let output = child.wait_with_output().unwrap();
        assert_failure(&output, 1, rule);
        assert_failure(&output, 1, path.to_str().unwrap());
    }
    assert_eq!(std::fs::read(&victim).unwrap(), b"root's own file");
    assert_eq!(std::fs::read(&theirs).unwrap(), b"their file");
    assert_eq!(names(shared.path()), ["fifo.png", "shot.png", "theirs.png"]);
}

/// The directory is opened once and written relative to its descriptor: a directory renamed
/// and replaced by a link while the save is under way does not redirect the file.
#[test]
fn a_directory_swapped_during_a_save_does_not_redirect_it() {
    let server = xvfb(32, 24);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    std::fs::create_dir(directory.path().join("out")).unwrap();
    std::fs::create_dir(directory.path().join("elsewhere")).unwrap();
    let hold = Hold::new();
    let mut command = mss_command(&server, directory.path(), &["-q", "-o", "out/shot.png"]);
    hold.arm(&mut command, &["save:written"]);
    let mut child = command.spawn().unwrap();
    let held = hold.reached(&mut child);
    std::fs::rename(directory.path().join("out"), directory.path().join("moved")).unwrap();
    std::os::unix::fs::symlink("elsewhere", directory.path().join("out")).unwrap();
    held.release();
    assert!(wait_at_most(&mut child, PATIENCE).success());
    assert_png_shows(
        &directory.path().join("moved/shot.png"),
        scene.region(),
        &scene,
    );
    assert!(names(&directory.path().join("elsewhere")).is_empty());
}

/// With no `/proc` (a minimal container), a new file still gets `0666 & !umask`, created by
/// the kernel: as root (an unnamed file named with `AT_EMPTY_PATH`) and as another user (the
/// hidden named file).
#[test]
fn without_proc_new_files_still_follow_the_umask() {
    if !root_or_explain("without_proc_new_files_still_follow_the_umask") {
        return;
    }
    let server = xvfb(32, 24);
    server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    std::fs::set_permissions(directory.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let no_proc = "exec unshare --mount sh -c 'mount -t tmpfs none /proc && exec \"$@\"' sh";
    for (user, umask, name, mode, owner) in [
        ("", "077", "root.png", 0o600, 0),
        (
            "setpriv --reuid=65534 --regid=65534 --clear-groups",
            "027",
            "nobody.png",
            0o640,
            65534,
        ),
    ] {
        let script =
            format!("{no_proc} {user} sh -c 'umask {umask}; exec \"$0\" -q -o {name}; ' \"$0\"");
        let output = mss_in_shell(&server, directory.path(), &script)
            .output()
            .unwrap();
        assert!(output.status.success(), "{name}: {output:?}");
        let metadata = std::fs::metadata(directory.path().join(name)).unwrap();
        assert_eq!(metadata.permissions().mode() & 0o777, mode, "{name}");
        assert_eq!(metadata.uid(), owner, "{name}");
    }
    assert_eq!(names(directory.path()), ["nobody.png", "root.png"]);
}

#[test]
fn a_file_with_a_name_of_255_bytes_is_created_and_replaced() {
    let server = xvfb(32, 24);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let name = format!("{}.png", "n".repeat(251));
    for _ in 0..2 {
        let output = mss_command(&server, directory.path(), &["-q", "-o", &name])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        assert_png_shows(&directory.path().join(&name), scene.region(), &scene);
    }
    assert_eq!(names(directory.path()), [name]);
}

/// A full disk (a small tmpfs, /dev/full) and a file-size limit (`ulimit -f`, whose SIGXFSZ
/// would kill the process): an error naming the file, exit code 1, the old file as it was and
/// nothing else.
#[test]
fn a_full_disk_or_a_size_limit_is_an_error_that_leaves_the_old_file() {
    // A noisy screen compresses badly: its PNG is larger than the limits below.
    let server = xvfb(256, 192);
    server.paint_scene().unwrap();
    let output = mss_command(
        &server,
        std::path::Path::new("/"),
        &["-l", "0", "-o", "/dev/full"],
    )
    .output()
    .unwrap();
    assert_failure(
        &output,
        1,
        "cannot write /dev/full: No space left on device",
    );

    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("shot.png"), b"the previous picture").unwrap();
    let output = mss_in_shell(
        &server,
        directory.path(),
        "ulimit -f 8; exec \"$0\" -l 0 -o shot.png",
    )
    .output()
    .unwrap();
    assert_failure(&output, 1, "shot.png: File too large");
    assert_eq!(
        std::fs::read(directory.path().join("shot.png")).unwrap(),
        b"the previous picture"
    );
    assert_eq!(names(directory.path()), ["shot.png"]);

    let Some(tmpfs) = SmallTmpfs::mount_or_explain(
        64 * 1024,
        false,
        "a_full_disk_or_a_size_limit_is_an_error_that_leaves_the_old_file",
    ) else {
        return;
    };
    std::fs::write(tmpfs.path().join("shot.png"), b"the previous picture").unwrap();
    let output = mss_command(&server, tmpfs.path(), &["-l", "0", "-o", "shot.png"])
        .output()
        .unwrap();
    assert_failure(&output, 1, "shot.png: No space left on device");
    assert_eq!(
        std::fs::read(tmpfs.path().join("shot.png")).unwrap(),
        b"the previous picture"
    );
    assert_eq!(names(tmpfs.path()), ["shot.png"]);
}

/// A FIFO nobody opens, and a reader that stops reading, are given up on after `--timeout`
/// with an error naming the FIFO and what was waited for.
#[test]
fn a_fifo_nobody_reads_is_given_up_on_after_the_timeout() {
    let server = xvfb(256, 192);
    server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let fifo = directory.path().join("pipe");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    let run = || {
        let mut child = mss_command(
            &server,
            directory.path(),
            &["--timeout", "1", "-l", "0", "-o", "pipe"],
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        wait_at_most(&mut child, PATIENCE);
        child.wait_with_output().unwrap()
    };
    assert_failure(
        &run(),
        1,
        "pipe: it is a FIFO, and no reader opened it within 1 s",
    );
    // A reader that opens it and never reads; the PNG (level 0, 147 KB) is more than the pipe
    // holds.
    let _reader = rustix::fs::open(
        &fifo,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::NONBLOCK,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    assert_failure(&run(), 1, "pipe: nothing was read from it for 1 s");
    assert_eq!(names(directory.path()), ["pipe"]);
}
