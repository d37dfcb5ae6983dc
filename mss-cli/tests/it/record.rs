//! `mss record`: raw frames that ffmpeg decodes to exactly what was captured, PNG sequences,
//! changes only, regions, stopping by signal, a closed pipe, a dying server and usage errors.
//! Waits for a process to end are a minute long: they only turn a hang into a failure.

use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mss_core::{Frame, Region, Rgba};
use mss_testkit::{Scene, SmallTmpfs, XServer, XvfbOptions};
use rstest::rstest;

use crate::support::{
    Hold, PATIENCE, assert_failure, assert_png_bytes_show, assert_png_shows, mss_command,
    mss_in_shell, names, region, signal, wait_at_most, xvfb,
};

/// Waits for `child` (at most `limit`) and returns how it ended and what it wrote on standard
/// error.
fn finish(child: &mut Child, limit: Duration) -> (std::process::ExitStatus, String) {
    let status = wait_at_most(child, limit);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("standard error is piped")
        .read_to_string(&mut stderr)
        .unwrap();
    (status, stderr)
}

/// Reads standard error lines of `child` until one starts with `prefix`; returns its rest.
fn stderr_line(stderr: &mut impl BufRead, prefix: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no line starting {prefix:?} on standard error"
        );
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.trim().to_owned();
        }
    }
}

/// The colour painted at step `step`.
fn colour(step: u32) -> Rgba {
    Rgba::rgb(
        (40 + 50 * step) as u8,
        (250 - 60 * step) as u8,
        (17 * step) as u8,
    )
}

/// The frames in `bytes`, each `region` in the scene's format, packed.
fn frames(bytes: &[u8], region: Region, scene: &Scene) -> Vec<Frame> {
    let size =
        region.width() as usize * region.height() as usize * scene.format().bytes_per_pixel();
    assert_eq!(bytes.len() % size, 0, "whole frames only");
    bytes
        .chunks_exact(size)
        .map(|chunk| Frame::from_vec(chunk.to_vec(), region, scene.format()).unwrap())
        .collect()
}

#[rstest]
#[case::depth_24(24)]
#[case::depth_16(16)]
#[case::depth_15(15)]
fn ffmpeg_decodes_the_raw_stream_into_exactly_the_frames_captured(#[case] depth: u8) {
    let server = XServer::xvfb(&XvfbOptions::new(64, 48, depth)).unwrap();
    let mut scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let mut mss = mss_command(
        &server,
        directory.path(),
        &[
            "record",
            "--format",
            "raw",
            "-o",
            "-",
            "--changes-only",
            "--fps",
            "0",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stderr = BufReader::new(mss.stderr.take().unwrap());
    let input = stderr_line(&mut stderr, "mss: ffmpeg input: ");
    let mut stdout = mss.stdout.take().unwrap();

    // ffmpeg takes the input arguments mss printed, verbatim, and writes 8-bit RGB.
    let decoded_path = directory.path().join("decoded.rgb");
    let mut ffmpeg = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(input.split_whitespace())
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-y"])
        .arg(&decoded_path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("ffmpeg runs (cargo xtask test installs it)");
    let mut to_ffmpeg = ffmpeg.stdin.take().unwrap();

    // Each frame shows exactly what was drawn before it; the test changes the screen only
    // after reading a frame, and with --changes-only the next frame comes from that change.
    let size = 64 * 48 * scene.format().bytes_per_pixel();
    let mut captured = Vec::new();
    for step in 0..4 {
        let mut bytes = vec![0; size];
        stdout.read_exact(&mut bytes).unwrap();
        let frame = frames(&bytes, scene.region(), &scene).remove(0);
        scene.assert_frame(&frame);
        to_ffmpeg.write_all(&bytes).unwrap();
        captured.push(frame);
        scene
            .paint_rect(
                region(4 + 10 * step as i32, 3 + 8 * step as i32, 12, 9),
                colour(step),
            )
            .unwrap();
    }
    let mut bytes = vec![0; size];
    stdout.read_exact(&mut bytes).unwrap();
    scene.assert_frame(&frames(&bytes, scene.region(), &scene)[0]);
    to_ffmpeg.write_all(&bytes).unwrap();
    captured.push(frames(&bytes, scene.region(), &scene).remove(0));

    // The screen is idle now: no more frames until the recording is stopped.
    signal(&mss, rustix::process::Signal::INT);
    let status = wait_at_most(&mut mss, Duration::from_secs(60));
    assert!(status.success(), "{status:?}");
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{} bytes after an idle screen", rest.len());
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let summary = rest.lines().last().unwrap_or_default();
    assert!(summary.starts_with("mss: 5 frames recorded"), "{rest}");

    drop(to_ffmpeg);
    assert!(ffmpeg.wait().unwrap().success());
    let decoded = std::fs::read(&decoded_path).unwrap();
    assert_eq!(decoded.len(), captured.len() * 64 * 48 * 3);
    for (index, (ours, theirs)) in captured
        .iter()
        .zip(decoded.chunks_exact(64 * 48 * 3))
        .enumerate()
    {
        assert!(ours.to_rgb() == theirs, "frame {index} decodes differently");
    }
}

#[test]
fn a_png_sequence_is_numbered_exact_and_never_overwritten_by_surprise() {
    let server = xvfb(80, 60);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let arguments = [
        "record",
        "--frames",
        "3",
        "--fps",
        "0",
        "-q",
        "-o",
        "shots/f-{n:03}-{width}.png",
    ];
    std::fs::create_dir(directory.path().join("shots")).unwrap();
    let output = mss_command(&server, directory.path(), &arguments)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(
        output.stdout.is_empty() && output.stderr.is_empty(),
        "{output:?}"
    );
    let shots = directory.path().join("shots");
    assert_eq!(
        names(&shots),
        ["f-001-80.png", "f-002-80.png", "f-003-80.png"]
    );
    for name in names(&shots) {
        assert_png_shows(&shots.join(name), scene.region(), &scene);
    }

    // Again: the first file exists, so nothing is captured or replaced.
    std::fs::write(shots.join("f-001-80.png"), b"kept").unwrap();
    let output = mss_command(&server, directory.path(), &arguments)
        .output()
        .unwrap();
    assert_failure(
        &output,
        1,
        "f-001-80.png: the file exists (--overwrite replaces it)",
    );
    assert_eq!(std::fs::read(shots.join("f-001-80.png")).unwrap(), b"kept");

    // A later file in the way stops the recording there, with the earlier frames written.
    std::fs::remove_file(shots.join("f-001-80.png")).unwrap();
    std::fs::remove_file(shots.join("f-003-80.png")).unwrap();
    std::fs::write(shots.join("f-002-80.png"), b"also kept").unwrap();
    let output = mss_command(&server, directory.path(), &arguments)
        .output()
        .unwrap();
    assert_failure(
        &output,
        1,
        "f-002-80.png: the file exists (--overwrite replaces it)",
    );
    assert_eq!(
        std::fs::read(shots.join("f-002-80.png")).unwrap(),
        b"also kept"
    );
    assert_png_shows(&shots.join("f-001-80.png"), scene.region(), &scene);

    // With --overwrite they are replaced.
    let mut overwrite = arguments.to_vec();
    overwrite.push("--overwrite");
    let output = mss_command(&server, directory.path(), &overwrite)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert_png_shows(&shots.join("f-002-80.png"), scene.region(), &scene);
    assert_eq!(names(&shots).len(), 3, "{:?}", names(&shots));
}

#[test]
fn a_region_of_a_monitor_records_to_a_raw_file_named_only_when_done() {
    let server = xvfb(120, 90);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let output = mss_command(
        &server,
        directory.path(),
        &[
            "record",
            "--format",
            "raw",
            "--region",
            "30x20+7+11",
            "--frames",
            "4",
            "--fps",
            "50",
            "-o",
            "frames.raw",
        ],
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(
            "mss: ffmpeg input: -f rawvideo -pixel_format bgr0 -video_size 30x20 -framerate 50 -i frames.raw"
        ),
        "{stderr}"
    );
    let bytes = std::fs::read(directory.path().join("frames.raw")).unwrap();
    let recorded = frames(&bytes, region(7, 11, 30, 20), &scene);
    assert_eq!(recorded.len(), 4);
    for frame in &recorded {
        scene.assert_frame(frame);
    }

    // Monitor and -c select the same way as `mss shot`.
    let output = mss_command(
        &server,
        directory.path(),
        &[
            "record", "--format", "raw", "-m", "1", "-c", "5,6,10,8", "--frames", "1", "-o",
            "c.raw",
        ],
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    let bytes = std::fs::read(directory.path().join("c.raw")).unwrap();
    scene.assert_frame(&frames(&bytes, region(6, 5, 10, 8), &scene)[0]);
}

#[test]
fn an_interrupt_stops_cleanly_with_every_frame_whole() {
    let server = xvfb(1280, 720);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    // Slow frames (level 9 on a noisy picture) so the signal lands mid-encoding.
    let mut png = mss_command(
        &server,
        directory.path(),
        &["record", "--fps", "0", "-l", "9", "-q"],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut raw = mss_command(
        &server,
        directory.path(),
        &["record", "--format", "raw", "-o", "screen.raw", "-q"],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let start = Instant::now();
    while names(directory.path())
        .iter()
        .filter(|name| name.starts_with("frame-"))
        .count()
        < 2
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no frames written"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !directory.path().join("screen.raw").exists(),
        "a raw file is named only when the recording ends"
    );
    signal(&png, rustix::process::Signal::INT);
    signal(&raw, rustix::process::Signal::TERM);
    for child in [&mut png, &mut raw] {
        let (status, stderr) = finish(child, Duration::from_secs(60));
        assert!(status.success(), "{status:?}: {stderr}");
        assert!(stderr.is_empty(), "{stderr}");
    }

    // Every PNG is whole and exact, numbered without gaps, with nothing else left behind.
    let mut pngs: Vec<String> = names(directory.path())
        .into_iter()
        .filter(|name| name != "screen.raw")
        .collect();
    pngs.sort();
    assert!(pngs.len() >= 2, "{pngs:?}");
    for (index, name) in pngs.iter().enumerate() {
        assert_eq!(*name, format!("frame-{:05}.png", index + 1));
        assert_png_shows(&directory.path().join(name), scene.region(), &scene);
    }
    let bytes = std::fs::read(directory.path().join("screen.raw")).unwrap();
    let recorded = frames(&bytes, scene.region(), &scene);
    assert!(!recorded.is_empty());
    for frame in &recorded {
        scene.assert_frame(frame);
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_recording_quietly() {
    let server = xvfb(64, 48);
    server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let mut child = mss_command(
        &server,
        directory.path(),
        &["record", "--format", "raw", "-o", "-", "--fps", "0", "-q"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut frame = vec![0; 64 * 48 * 4];
    stdout.read_exact(&mut frame).unwrap();
    drop(stdout);
    let (status, stderr) = finish(&mut child, Duration::from_secs(60));
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn a_fixed_rate_and_duration_give_that_many_frames() {
    let server = xvfb(64, 48);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let output = mss_command(
        &server,
        directory.path(),
        &[
            "record",
            "--format",
            "raw",
            "-o",
            "out.raw",
            "--fps",
            "20",
            "--duration",
            "1",
        ],
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    let recorded = frames(
        &std::fs::read(directory.path().join("out.raw")).unwrap(),
        scene.region(),
        &scene,
    );
    // Ticks at 0, 50, ..., 950 ms: 20 frames; a loaded machine may drop some (and says so).
    let stderr = String::from_utf8(output.stderr).unwrap();
    let summary = stderr.lines().last().unwrap();
    let dropped: usize = summary
        .split(", ")
        .nth(1)
        .and_then(|part| part.split(' ').next())
        .map_or(0, |count| count.parse().unwrap());
    assert!(
        (19..=21).contains(&(recorded.len() + dropped)),
        "{} frames, {dropped} dropped: {summary}",
        recorded.len()
    );
    assert!(summary.starts_with(&format!("mss: {} frames recorded", recorded.len())));
}

#[test]
fn a_server_that_dies_mid_recording_is_an_error_at_once() {
    let server = xvfb(64, 48);
    server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let mut child = mss_command(
        &server,
        directory.path(),
        &["record", "--fps", "20", "-q", "-o", "f-{n}.png"],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !directory.path().join("f-2.png").exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "mss record ended before its second frame"
        );
        assert!(Instant::now() < deadline, "no second frame within a minute");
        std::thread::sleep(Duration::from_millis(10));
    }
    let display = server.display().to_owned();
    drop(server);
    let (status, stderr) = finish(&mut child, Duration::from_secs(60));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("mss: error: ") && stderr.contains(&display),
        "{stderr}"
    );
    // Noticed from the closed connection, not after waiting out the 10 s deadline.
    assert!(!stderr.contains("did not answer within"), "{stderr}");
    // What was recorded before stays.
    assert!(directory.path().join("f-1.png").exists());
}

#[rstest]
#[case(&["record", "-o", "one.png"], "needs {n}")]
#[case(&["record", "--frames", "0"], "--frames")]
#[case(&["record", "--fps", "-1"], "frames a second")]
#[case(&["record", "--duration", "0"], "above 0 seconds")]
#[case(&["record", "--frames", "2", "--duration", "1"], "cannot be used with")]
#[case(&["record", "--in-flight", "9"], "--in-flight")]
#[case(&["record", "--format", "gif"], "gif")]
#[case(&["record", "-o", "{n}-{nope}.png"], "unknown placeholder {nope}")]
#[case(&["record", "--region", "10x10+a+b"], "--region")]
fn bad_usage_is_refused_before_the_display_is_opened(
    #[case] arguments: &[&str],
    #[case] fragment: &str,
) {
    let directory = tempfile::tempdir().unwrap();
    let output = crate::support::mss(directory.path(), None, arguments);
    assert_failure(&output, 2, fragment);
    assert!(names(directory.path()).is_empty());
}

#[test]
fn pngs_can_follow_each_other_into_a_pipe() {
    let server = xvfb(40, 30);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let output = mss_command(
        &server,
        directory.path(),
        &["record", "--frames", "2", "--fps", "0", "-q", "-o", "-"],
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    // Two PNGs one after another, as ffmpeg's image2pipe reads them: each ends with its IEND
    // chunk (type and CRC).
    const IEND: &[u8] = b"IEND\xAE\x42\x60\x82";
    let mut rest = &output.stdout[..];
    for _ in 0..2 {
        let end = rest
            .windows(IEND.len())
            .position(|window| window == IEND)
            .expect("a whole PNG")
            + IEND.len();
        assert_png_bytes_show(&rest[..end], scene.region(), &scene);
        rest = &rest[end..];
    }
    assert!(rest.is_empty());
}

/// A raw recording into a file grows visibly as `NAME.part`; killed (SIGKILL) after any frame
/// it keeps every frame written so far, whole and exact, and the old file as it was; killed
/// after it is renamed, the whole recording is under its name.
#[test]
fn a_raw_recording_killed_at_any_point_keeps_every_whole_frame() {
    let server = xvfb(64, 48);
    let scene = server.paint_scene().unwrap();
    let frame_size = 64 * 48 * 4;
    for (step, frames_kept) in [
        ("record:created", 0),
        ("record:frame-written:1", 1),
        ("record:frame-written:3", 3),
        ("record:finishing", 4),
        ("record:named", 4),
    ] {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(directory.path().join("out.raw"), b"an earlier recording").unwrap();
        let hold = Hold::new();
        let mut command = mss_command(
            &server,
            directory.path(),
            &[
                "record",
                "--format",
                "raw",
                "--fps",
                "0",
                "--frames",
                "4",
                "--overwrite",
                "-q",
                "-o",
                "out.raw",
            ],
        );
        hold.arm(&mut command, &[step]);
        let mut child = command.spawn().unwrap();
        let held = hold.reached(&mut child);
        assert_eq!(held.step, step);
        let part = directory.path().join("out.raw.part");
        if step != "record:named" {
            // Visible while it grows, with exactly the frames written so far.
            assert_eq!(
                std::fs::metadata(&part).unwrap().len(),
                (frames_kept * frame_size) as u64,
                "{step}"
            );
        }
        signal(&child, rustix::process::Signal::KILL);
        wait_at_most(&mut child, PATIENCE);
        drop(held);
        let (kept, name) = if step == "record:named" {
            assert_eq!(names(directory.path()), ["out.raw"], "{step}");
            (
                std::fs::read(directory.path().join("out.raw")).unwrap(),
                "out.raw",
            )
        } else {
            assert_eq!(
                names(directory.path()),
                ["out.raw", "out.raw.part"],
                "{step}"
            );
            assert_eq!(
                std::fs::read(directory.path().join("out.raw")).unwrap(),
                b"an earlier recording",
                "{step}"
            );
            (std::fs::read(&part).unwrap(), "out.raw.part")
        };
        let recorded = frames(&kept, scene.region(), &scene);
        assert_eq!(recorded.len(), frames_kept, "{step}: {name}");
        for frame in &recorded {
            scene.assert_frame(frame);
        }
    }
}

/// A PNG sequence killed after its third frame: every file there is a whole, exact PNG, and
/// no other name is left.
#[test]
fn a_png_sequence_killed_mid_recording_leaves_only_whole_pngs() {
    let server = xvfb(96, 64);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let hold = Hold::new();
    let mut command = mss_command(
        &server,
        directory.path(),
        &["record", "--fps", "0", "-q", "-o", "f-{n:03}.png"],
    );
    hold.arm(&mut command, &["record:frame-written:3"]);
    let mut child = command.spawn().unwrap();
    let held = hold.reached(&mut child);
    signal(&child, rustix::process::Signal::KILL);
    wait_at_most(&mut child, PATIENCE);
    drop(held);
    let left = names(directory.path());
    assert!(left.contains(&"f-003.png".to_owned()), "{left:?}");
    for name in &left {
        assert!(
            name.len() == "f-001.png".len() && name.starts_with("f-") && name.ends_with(".png"),
            "{left:?}"
        );
        assert_png_shows(&directory.path().join(name), scene.region(), &scene);
    }
}

/// A writer that takes no frame within `--timeout` (a write that never returns, here held by
/// the test) ends the recording with an error saying so, instead of a hang.
#[test]
fn a_stuck_writer_ends_the_recording_after_the_timeout() {
    let server = xvfb(32, 24);
    server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let hold = Hold::new();
    let mut command = mss_command(
        &server,
        directory.path(),
        &[
            "record",
            "--format",
            "raw",
            "--fps",
            "0",
            "--timeout",
            "1",
            "-q",
            "-o",
            "out.raw",
        ],
    );
    command.stderr(Stdio::piped());
    hold.arm(&mut command, &["record:frame-written:1"]);
    let mut child = command.spawn().unwrap();
    // Held, and never released while mss runs.
    let held = hold.reached(&mut child);
    wait_at_most(&mut child, PATIENCE);
    let output = child.wait_with_output().unwrap();
    drop(held);
    assert_failure(
        &output,
        1,
        "out.raw: no frame was taken by the writer within 1 s (frame 3 was waiting)",
    );
    // The frame written before is kept in the visible part file.
    assert_eq!(
        std::fs::metadata(directory.path().join("out.raw.part"))
            .unwrap()
            .len(),
        32 * 24 * 4
    );
}

/// `record -o /dev/stdout > file`: the descriptor is written, raw frames or PNGs one after
/// another, never refused because the file exists, never replaced.
#[test]
fn a_recording_goes_to_standard_output_redirected_to_a_file() {
    let server = xvfb(40, 30);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let output = mss_in_shell(
        &server,
        directory.path(),
        "exec \"$0\" record --format raw --frames 2 --fps 0 -q -o /dev/stdout > out.raw",
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    let recorded = frames(
        &std::fs::read(directory.path().join("out.raw")).unwrap(),
        scene.region(),
        &scene,
    );
    assert_eq!(recorded.len(), 2);
    for frame in &recorded {
        scene.assert_frame(frame);
    }

    let output = mss_in_shell(
        &server,
        directory.path(),
        "exec \"$0\" record --frames 2 --fps 0 -q -o /dev/stdout >> pngs.bin",
    )
    .output()
    .unwrap();
    assert!(output.status.success(), "{output:?}");
    const IEND: &[u8] = b"IEND\xAE\x42\x60\x82";
    let bytes = std::fs::read(directory.path().join("pngs.bin")).unwrap();
    let mut rest = &bytes[..];
    for _ in 0..2 {
        let end = rest
            .windows(IEND.len())
            .position(|window| window == IEND)
            .expect("a whole PNG")
            + IEND.len();
        assert_png_bytes_show(&rest[..end], scene.region(), &scene);
        rest = &rest[end..];
    }
    assert!(rest.is_empty());
    assert_eq!(names(directory.path()), ["out.raw", "pngs.bin"]);
}

/// A full disk (a small tmpfs) or a file-size limit (`ulimit -f`) ends a recording with an
/// error naming the file, exit code 1: a raw file keeps its whole frames under its name, a PNG
/// sequence its whole PNGs, and nothing else is left.
#[test]
fn a_full_disk_or_a_size_limit_ends_a_recording_with_its_whole_frames() {
    let server = xvfb(64, 48);
    let scene = server.paint_scene().unwrap();
    let frame_size = 64 * 48 * 4;
    let check_raw = |directory: &std::path::Path, output: &std::process::Output, problem: &str| {
        assert_failure(output, 1, &format!("out.raw: {problem}"));
        let bytes = std::fs::read(directory.join("out.raw")).unwrap();
        let recorded = frames(&bytes, scene.region(), &scene);
        assert!(!recorded.is_empty());
        assert_failure(
            output,
            1,
            &format!("the {} whole frames written before are in", recorded.len()),
        );
        for frame in &recorded {
            scene.assert_frame(frame);
        }
        assert_eq!(names(directory), ["out.raw"]);
    };

    // A device that is always full.
    let output = mss_command(
        &server,
        std::path::Path::new("/"),
        &[
            "record",
            "--format",
            "raw",
            "--fps",
            "0",
            "-q",
            "-o",
            "/dev/full",
        ],
    )
    .output()
    .unwrap();
    assert_failure(
        &output,
        1,
        "cannot write /dev/full: No space left on device",
    );

    // A file-size limit, in the shell's blocks (512 bytes for dash, 1024 for bash): a few
    // frames fit.
    let directory = tempfile::tempdir().unwrap();
    let output = mss_in_shell(
        &server,
        directory.path(),
        "ulimit -f 64; exec \"$0\" record --format raw --fps 0 -q -o out.raw",
    )
    .output()
    .unwrap();
    check_raw(directory.path(), &output, "File too large");
    assert!(
        std::fs::metadata(directory.path().join("out.raw"))
            .unwrap()
            .len()
            < 65_536
    );

    let Some(tmpfs) = SmallTmpfs::mount_or_explain(
        16 * frame_size as u64,
        false,
        "a_full_disk_or_a_size_limit_ends_a_recording_with_its_whole_frames",
    ) else {
        return;
    };
    let output = mss_command(
        &server,
        tmpfs.path(),
        &[
            "record", "--format", "raw", "--fps", "0", "-q", "-o", "out.raw",
        ],
    )
    .output()
    .unwrap();
    check_raw(tmpfs.path(), &output, "No space left on device");

    // A PNG sequence: every PNG written is whole, the one that did not fit left nothing.
    std::fs::remove_file(tmpfs.path().join("out.raw")).unwrap();
    let output = mss_command(
        &server,
        tmpfs.path(),
        &[
            "record",
            "--fps",
            "0",
            "-l",
            "0",
            "-q",
            "-o",
            "f-{n:04}.png",
        ],
    )
    .output()
    .unwrap();
    assert_failure(&output, 1, "No space left on device");
    let left = names(tmpfs.path());
    assert!(!left.is_empty());
    for name in &left {
        assert!(
            name.starts_with("f-") && name.len() == "f-0001.png".len(),
            "{left:?}"
        );
        assert_png_shows(&tmpfs.path().join(name), scene.region(), &scene);
    }
}

/// A FIFO nobody opens for reading ends the recording after `--timeout`.
#[test]
fn a_recording_into_a_fifo_nobody_opens_ends_after_the_timeout() {
    let server = xvfb(32, 24);
    server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        directory.path().join("pipe"),
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    let mut child = mss_command(
        &server,
        directory.path(),
        &["record", "--format", "raw", "--timeout", "1", "-o", "pipe"],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    wait_at_most(&mut child, PATIENCE);
    let output = child.wait_with_output().unwrap();
    assert_failure(
        &output,
        1,
        "pipe: it is a FIFO, and no reader opened it within 1 s",
    );
}
