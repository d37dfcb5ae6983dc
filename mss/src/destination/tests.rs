//! The destination rules, each shown on the file system: what is left behind, with which
//! bytes and modes, and which errors name what.

use std::fs::File;
use std::io::{Read as _, Seek as _, Write as _};
use std::os::fd::AsRawFd as _;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _, symlink};
use std::sync::mpsc;
use std::time::Duration;

use mss_testkit::{SmallTmpfs, root_or_explain};
use rustix::fs::Mode;

use super::*;

/// The names in `directory`, sorted: what a save left behind.
fn names(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// An output for `path` written through a hidden named file, as where `O_TMPFILE` is missing.
fn named_output(path: &Path, options: &WriteOptions) -> Result<Output, Error> {
    Output::open(path, options, FileKind::Atomic { try_unnamed: false })
}

/// An output for `path` that writes a whole file, unnamed (`O_TMPFILE`) or named.
fn atomic_output(path: &Path, options: &WriteOptions, unnamed: bool) -> Result<Output, Error> {
    Output::open(
        path,
        options,
        FileKind::Atomic {
            try_unnamed: unnamed,
        },
    )
}

/// Writes `bytes` through a hidden named file.
fn write_named(path: &Path, bytes: &[u8]) {
    let mut output = named_output(path, &WriteOptions::new()).unwrap();
    assert!(matches!(output.sink, Sink::Atomic(_)));
    output.write_all(bytes).unwrap();
    output.finish().unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// The umask, read from `/proc` (for the tests' expectations only).
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("Umask:"))
        .unwrap();
    u32::from_str_radix(line.trim_start_matches("Umask:").trim(), 8).unwrap()
}

/// Runs `work` on another thread and returns its result, failing the test (instead of hanging
/// it) when it takes more than 20 s.
fn within_20_seconds<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(work());
    });
    receiver
        .recv_timeout(Duration::from_secs(20))
        .expect("the write did not end within 20 s: a wait without a deadline")
}

#[test]
fn descriptor_names_are_known_without_the_file_system() {
    assert_eq!(descriptor_named(Path::new("-")), Some(1));
    assert_eq!(descriptor_named(Path::new("/dev/stdout")), Some(1));
    assert_eq!(descriptor_named(Path::new("/dev/fd/4")), Some(4));
    assert_eq!(descriptor_named(Path::new("shot.png")), None);
    assert_eq!(descriptor_named(Path::new("./-")), None);
}

#[test]
fn a_new_file_appears_whole_with_nothing_else_beside_it() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("new.png");
    assert_eq!(write_bytes(&path, b"picture").unwrap(), path);
    assert_eq!(std::fs::read(&path).unwrap(), b"picture");
    assert_eq!(names(directory.path()), ["new.png"]);
    assert_eq!(
        mode(&path),
        0o666 & !umask(),
        "a new file follows the umask"
    );
}

#[test]
fn a_replaced_file_keeps_its_mode_and_owner() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("kept.png");
    std::fs::write(&path, b"an older and longer picture").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let root = rustix::process::geteuid().is_root();
    if root {
        // Owned by someone else: root replaces it and gives it back to them.
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
    }
    write_bytes(&path, b"new").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"new");
    assert_eq!(mode(&path), 0o640);
    if root {
        let metadata = std::fs::metadata(&path).unwrap();
        assert_eq!((metadata.uid(), metadata.gid()), (65534, 65534));
    }
    assert_eq!(names(directory.path()), ["kept.png"]);
}

#[test]
fn links_are_followed_and_stay_links() {
    let directory = tempfile::tempdir().unwrap();
    let target = directory.path().join("target.png");
    std::fs::write(&target, b"old").unwrap();
    let link = directory.path().join("link.png");
    symlink("target.png", &link).unwrap();
    assert_eq!(write_bytes(&link, b"through the link").unwrap(), link);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"through the link");

    // A dangling link, through another link and into a subdirectory: the file it names is
    // created.
    std::fs::create_dir(directory.path().join("sub")).unwrap();
    let dangling = directory.path().join("dangling.png");
    symlink("sub/made.png", &dangling).unwrap();
    let chained = directory.path().join("chained.png");
    symlink(&dangling, &chained).unwrap();
    write_bytes(&chained, b"created").unwrap();
    assert_eq!(
        std::fs::read(directory.path().join("sub/made.png")).unwrap(),
        b"created"
    );
    assert!(
        std::fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(names(&directory.path().join("sub")), ["made.png"]);
}

#[test]
fn a_fifo_is_written_to_and_stays_a_fifo() {
    let directory = tempfile::tempdir().unwrap();
    let fifo = directory.path().join("pipe");
    rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, Mode::from_raw_mode(0o600)).unwrap();
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            File::open(fifo).unwrap().read_to_end(&mut bytes).unwrap();
            bytes
        })
    };
    // More than a pipe holds, so the write waits for the reader more than once.
    let bytes: Vec<u8> = (0..300_000u32).map(|index| index as u8).collect();
    write_bytes(&fifo, &bytes).unwrap();
    assert_eq!(reader.join().unwrap(), bytes);
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert_eq!(names(directory.path()), ["pipe"]);
}

#[test]
fn a_fifo_nobody_opens_is_given_up_on_after_the_timeout() {
    let directory = tempfile::tempdir().unwrap();
    let fifo = directory.path().join("pipe");
    rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, Mode::from_raw_mode(0o600)).unwrap();
    let options = WriteOptions::new().timeout(Some(Duration::from_millis(200)));
    let path = fifo.clone();
    let error = within_20_seconds(move || write_bytes_with(&path, b"x", &options).unwrap_err());
    assert!(
        matches!(&error, Error::Write { path, source }
            if *path == fifo && source.kind() == io::ErrorKind::TimedOut),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("it is a FIFO, and no reader opened it within 0.2 s"),
        "{error}"
    );
}

#[test]
fn a_reader_that_stops_reading_is_given_up_on_after_the_timeout() {
    let directory = tempfile::tempdir().unwrap();
    let fifo = directory.path().join("pipe");
    rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, Mode::from_raw_mode(0o600)).unwrap();
    // A reader that opens the FIFO and never reads.
    let _reader = rustix::fs::open(
        &fifo,
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::NONBLOCK,
        Mode::empty(),
    )
    .unwrap();
    let options = WriteOptions::new().timeout(Some(Duration::from_millis(200)));
    let path = fifo.clone();
    let error = within_20_seconds(move || {
        write_bytes_with(&path, &vec![7; 1 << 20], &options).unwrap_err()
    });
    assert!(
        error
            .to_string()
            .contains("nothing was read from it for 0.2 s"),
        "{error}"
    );
    assert!(error.to_string().contains("pipe"), "{error}");
}

#[test]
fn a_device_is_written_to_not_replaced() {
    write_bytes(Path::new("/dev/null"), b"discarded").unwrap();
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn a_full_device_is_an_error_naming_it() {
    let error = write_bytes(Path::new("/dev/full"), &[1; 100_000]).unwrap_err();
    assert!(
        matches!(&error, Error::Write { path, source }
            if path == Path::new("/dev/full") && source.raw_os_error() == Some(28)),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("No space left on device"),
        "{error}"
    );
}

#[test]
fn a_socket_is_connected_to() {
    let directory = tempfile::tempdir().unwrap();
    let socket = directory.path().join("socket");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let reader = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        bytes
    });
    write_bytes(&socket, b"sent").unwrap();
    assert_eq!(reader.join().unwrap(), b"sent");
}

#[test]
fn descriptors_are_written_through_themselves() {
    // A regular file opened to append: the bytes go after what is there, into the same file.
    let mut appended = tempfile::tempfile().unwrap();
    appended.write_all(b"already there;").unwrap();
    let inode = appended.metadata().unwrap().ino();
    let path = PathBuf::from(format!("/dev/fd/{}", appended.as_raw_fd()));
    write_bytes(&path, b"then ours").unwrap();
    appended.rewind().unwrap();
    let mut text = String::new();
    appended.read_to_string(&mut text).unwrap();
    assert_eq!(text, "already there;then ours");
    assert_eq!(appended.metadata().unwrap().ino(), inode);

    // A socket: sent to, not connected to (a connected socket has no listener to connect to).
    let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
    for name in [
        format!("/dev/fd/{}", ours.as_raw_fd()),
        format!("/proc/self/fd/{}", ours.as_raw_fd()),
    ] {
        write_bytes(Path::new(&name), b"through the socket;").unwrap();
    }
    drop(ours);
    let mut received = String::new();
    (&theirs).read_to_string(&mut received).unwrap();
    assert_eq!(received, "through the socket;through the socket;");

    // A link to a descriptor's name is that descriptor too.
    let directory = tempfile::tempdir().unwrap();
    let mut file = tempfile::tempfile().unwrap();
    let link = directory.path().join("to-descriptor");
    symlink(format!("/proc/self/fd/{}", file.as_raw_fd()), &link).unwrap();
    write_bytes(&link, b"via a link").unwrap();
    file.rewind().unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    assert_eq!(text, "via a link");
    assert_eq!(names(directory.path()), ["to-descriptor"]);

    // A descriptor that is not open, or open for reading only.
    let error = write_bytes(Path::new("/dev/fd/987"), b"x").unwrap_err();
    assert!(
        error.to_string().contains("descriptor 987 is not open"),
        "{error}"
    );
    let read_only = File::open("/dev/null").unwrap();
    let name = format!("/dev/fd/{}", read_only.as_raw_fd());
    let error = write_bytes(Path::new(&name), b"x").unwrap_err();
    assert!(
        error.to_string().contains("open for reading only"),
        "{error}"
    );
}

#[test]
fn a_directory_or_a_missing_directory_is_an_error_naming_the_path() {
    let directory = tempfile::tempdir().unwrap();
    let error = write_bytes(directory.path(), b"x").unwrap_err();
    assert!(error.to_string().contains("it is a directory"), "{error}");
    for name in ["sub/", ".", ".."] {
        let error = write_bytes(&directory.path().join(name), b"x").unwrap_err();
        assert!(
            error.to_string().contains("it is a directory"),
            "{name}: {error}"
        );
    }
    let missing = directory.path().join("no/such.png");
    let error = write_bytes(&missing, b"x").unwrap_err();
    assert!(
        matches!(&error, Error::Write { path, .. } if *path == missing),
        "{error:?}"
    );
    assert!(error.to_string().contains("does not exist"), "{error}");
    assert!(names(directory.path()).is_empty());
}

#[test]
fn without_unnamed_files_a_named_temporary_one_does_the_same() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("named.png");
    write_named(&path, b"first");
    assert_eq!(names(directory.path()), ["named.png"]);
    assert_eq!(
        mode(&path),
        0o666 & !umask(),
        "a new file follows the umask"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o604)).unwrap();
    write_named(&path, b"second");
    assert_eq!(std::fs::read(&path).unwrap(), b"second");
    assert_eq!(mode(&path), 0o604);
    assert_eq!(names(directory.path()), ["named.png"]);
}

#[rstest::rstest]
fn names_of_any_length_are_created_and_replaced(#[values(true, false)] unnamed: bool) {
    let directory = tempfile::tempdir().unwrap();
    for length in [240, 251, 255] {
        let name = format!("{}.png", "n".repeat(length - 4));
        let path = directory.path().join(&name);
        for bytes in [&b"created"[..], b"replaced"] {
            let mut output = atomic_output(&path, &WriteOptions::new(), unnamed).unwrap();
            output.write_all(bytes).unwrap();
            output.finish().unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "{length}");
        }
        assert_eq!(names(directory.path()), std::slice::from_ref(&name));
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn a_recording_grows_visibly_as_name_part_and_is_renamed_at_the_end() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("frames.raw");
    std::fs::write(&path, b"old recording").unwrap();
    let part = directory.path().join("frames.raw.part");
    let mut output = Output::create(&path, &WriteOptions::new()).unwrap();
    assert_eq!(output.partial_path(), Some(part.clone()));
    let mut written = Vec::new();
    for chunk in [&b"frame 1,"[..], b"frame 2,", b"frame 3"] {
        output.write_all(chunk).unwrap();
        written.extend_from_slice(chunk);
        // Readers see the recording grow under NAME.part, and the old file as it was.
        assert_eq!(std::fs::read(&part).unwrap(), written);
        assert_eq!(std::fs::read(&path).unwrap(), b"old recording");
        assert_eq!(names(directory.path()), ["frames.raw", "frames.raw.part"]);
    }
    assert_eq!(output.finish().unwrap(), path);
    assert_eq!(std::fs::read(&path).unwrap(), b"frame 1,frame 2,frame 3");
    assert_eq!(names(directory.path()), ["frames.raw"]);
}

#[test]
fn a_recording_cut_short_keeps_its_whole_frames() {
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("frames.raw");
    let mut output = Output::create(&path, &WriteOptions::new()).unwrap();
    output.write_all(b"frame 1,frame 2,half a fr").unwrap();
    output.finish_truncated(16).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"frame 1,frame 2,");
    assert_eq!(names(directory.path()), ["frames.raw"]);

    // Discarded (no whole frame): NAME.part goes, the old file stays.
    let mut output = Output::create(&path, &WriteOptions::new()).unwrap();
    output.write_all(b"half").unwrap();
    output.discard().unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"frame 1,frame 2,");
    assert_eq!(names(directory.path()), ["frames.raw"]);

    // Dropped unfinished (an error, a panic): what was written stays in NAME.part.
    let mut output = Output::create(&path, &WriteOptions::new()).unwrap();
    output.write_all(b"frame 1,").unwrap();
    drop(output);
    assert_eq!(
        std::fs::read(directory.path().join("frames.raw.part")).unwrap(),
        b"frame 1,"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"frame 1,frame 2,");
}

#[rstest::rstest]
fn an_unfinished_save_leaves_nothing_behind(#[values(true, false)] unnamed: bool) {
    let directory = tempfile::tempdir().unwrap();
    let old = directory.path().join("old.png");
    std::fs::write(&old, b"kept").unwrap();
    let new = directory.path().join("new.png");
    for path in [&old, &new] {
        let mut output = atomic_output(path, &WriteOptions::new(), unnamed).unwrap();
        output.write_all(b"half a picture").unwrap();
        drop(output);
    }
    assert_eq!(std::fs::read(&old).unwrap(), b"kept");
    assert_eq!(names(directory.path()), ["old.png"]);
}

#[rstest::rstest]
fn refusing_keeps_an_existing_file(#[values(true, false)] unnamed: bool) {
    let refuse = WriteOptions::new().existing(Existing::Refuse);
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("frame-1.png");
    std::fs::write(&path, b"earlier").unwrap();
    let error = write_bytes_with(&path, b"later", &refuse).unwrap_err();
    assert!(
        matches!(&error, Error::Write { source, .. } if source.kind() == io::ErrorKind::AlreadyExists),
        "{error:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"earlier");

    // A file that appears while the output is written is not replaced either.
    let racing = directory.path().join("frame-2.png");
    let mut output = atomic_output(&racing, &refuse, unnamed).unwrap();
    output.write_all(b"ours").unwrap();
    std::fs::write(&racing, b"theirs").unwrap();
    let error = output.finish().unwrap_err();
    assert!(
        matches!(&error, Error::Write { source, .. } if source.kind() == io::ErrorKind::AlreadyExists),
        "{error:?}"
    );
    assert_eq!(std::fs::read(&racing).unwrap(), b"theirs");
    assert_eq!(names(directory.path()), ["frame-1.png", "frame-2.png"]);

    // Devices are written whatever the setting.
    write_bytes_with(Path::new("/dev/null"), b"x", &refuse).unwrap();
}

#[test]
fn a_recording_refuses_an_existing_file_and_its_leftover_part() {
    let refuse = WriteOptions::new().existing(Existing::Refuse);
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("frames.raw");
    std::fs::write(&path, b"earlier").unwrap();
    let error = Output::create(&path, &refuse).unwrap_err();
    assert!(
        error.to_string().contains("replacing it was not asked for"),
        "{error}"
    );

    // A leftover NAME.part of an interrupted recording: kept, unless replacing.
    let other = directory.path().join("other.raw");
    std::fs::write(directory.path().join("other.raw.part"), b"interrupted").unwrap();
    let error = Output::create(&other, &refuse).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("other.raw.part exists (a recording that was interrupted?)"),
        "{error}"
    );
    let mut output = Output::create(&other, &WriteOptions::new()).unwrap();
    output.write_all(b"new").unwrap();
    output.finish().unwrap();
    assert_eq!(std::fs::read(&other).unwrap(), b"new");

    // A file that appears during the recording is not replaced; the recording stays.
    let racing = directory.path().join("racing.raw");
    let mut output = Output::create(&racing, &refuse).unwrap();
    output.write_all(b"ours").unwrap();
    std::fs::write(&racing, b"theirs").unwrap();
    let error = output.finish().unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the recording was left in racing.raw.part"),
        "{error}"
    );
    assert_eq!(std::fs::read(&racing).unwrap(), b"theirs");
    assert_eq!(
        std::fs::read(directory.path().join("racing.raw.part")).unwrap(),
        b"ours"
    );
}

#[test]
fn links_that_loop_are_an_error() {
    let directory = tempfile::tempdir().unwrap();
    let a = directory.path().join("a.png");
    let b = directory.path().join("b.png");
    symlink(&b, &a).unwrap();
    symlink(&a, &b).unwrap();
    let error = write_bytes(&a, b"x").unwrap_err();
    assert!(
        error.to_string().contains("symbolic links in a row"),
        "{error}"
    );
    assert_eq!(names(directory.path()), ["a.png", "b.png"]);
}

/// In a sticky, world-writable directory, an entry of another user is neither followed nor
/// written, whatever `fs.protected_*` say; this user's own entries are.
#[test]
fn another_users_entries_in_a_shared_directory_are_refused() {
    if !root_or_explain("another_users_entries_in_a_shared_directory_are_refused") {
        return;
    }
    let shared = tempfile::tempdir().unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("victim");
    std::fs::write(&victim, b"root's file").unwrap();
    let nobody = |path: &Path| {
        std::os::unix::fs::lchown(path, Some(65534), Some(65534)).unwrap();
    };

    // A link planted by another user, pointing at this user's file.
    let planted = shared.path().join("shot.png");
    symlink(&victim, &planted).unwrap();
    nobody(&planted);
    let error = write_bytes(&planted, b"screenshot").unwrap_err();
    assert!(
        matches!(&error, Error::Write { path, source }
            if *path == planted && source.kind() == io::ErrorKind::PermissionDenied),
        "{error:?}"
    );
    assert!(error.to_string().contains("protected_symlinks"), "{error}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"root's file");

    // Another user's file, and another user's FIFO (which would take the screenshot).
    let theirs = shared.path().join("theirs.png");
    std::fs::write(&theirs, b"their file").unwrap();
    nobody(&theirs);
    let error = write_bytes(&theirs, b"screenshot").unwrap_err();
    assert!(error.to_string().contains("protected_regular"), "{error}");
    assert_eq!(std::fs::read(&theirs).unwrap(), b"their file");
    let error = Output::create(&theirs, &WriteOptions::new()).unwrap_err();
    assert!(error.to_string().contains("protected_regular"), "{error}");
    let fifo = shared.path().join("fifo.png");
    rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, Mode::from_raw_mode(0o666)).unwrap();
    nobody(&fifo);
    let error = write_bytes(&fifo, b"screenshot").unwrap_err();
    assert!(error.to_string().contains("protected_fifos"), "{error}");

    // This user's own link and file in the same directory are followed and replaced.
    let own = shared.path().join("own.png");
    symlink(&victim, &own).unwrap();
    write_bytes(&own, b"wanted").unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"wanted");
    assert_eq!(
        names(shared.path()),
        ["fifo.png", "own.png", "shot.png", "theirs.png"]
    );
}

/// A full disk: the error names the file, the old file stays, nothing else is left; a
/// recording keeps its whole frames.
#[rstest::rstest]
fn a_full_disk_leaves_the_old_file_and_nothing_else(#[values(true, false)] unnamed: bool) {
    let Some(tmpfs) = SmallTmpfs::mount_or_explain(
        64 * 1024,
        false,
        "a_full_disk_leaves_the_old_file_and_nothing_else",
    ) else {
        return;
    };
    let path = tmpfs.path().join("shot.png");
    std::fs::write(&path, b"the previous picture").unwrap();
    let error = {
        let mut output = atomic_output(&path, &WriteOptions::new(), unnamed).unwrap();
        output
            .write_all(&vec![1; 256 * 1024])
            .map_err(|source| output.error(source))
            .and_then(|()| output.finish())
            .unwrap_err()
    };
    assert!(
        matches!(&error, Error::Write { path: named, source }
            if *named == path && source.raw_os_error() == Some(28)),
        "{error:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"the previous picture");
    assert_eq!(names(tmpfs.path()), ["shot.png"]);

    // A recording fills the disk frame by frame, then keeps the whole ones under its name.
    let recording = tmpfs.path().join("frames.raw");
    let frame = vec![9u8; 10_000];
    let mut output = Output::create(&recording, &WriteOptions::new()).unwrap();
    let mut whole = 0u64;
    let error = loop {
        match output.write_all(&frame) {
            Ok(()) => whole += frame.len() as u64,
            Err(error) => break error,
        }
    };
    assert_eq!(error.raw_os_error(), Some(28), "{error}");
    assert!(whole > 0);
    output.finish_truncated(whole).unwrap();
    assert_eq!(std::fs::read(&recording).unwrap().len() as u64, whole);
    assert_eq!(names(tmpfs.path()), ["frames.raw", "shot.png"]);
}
