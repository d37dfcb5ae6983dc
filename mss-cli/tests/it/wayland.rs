//! The command line on a Wayland session with no flag: monitors, shots, record and bench, and
//! outputs of different sizes that leave an empty corner.

use std::process::{Command, Output};

use mss_core::{Frame, PixelFormat, Region};
use mss_testkit::{SwayOptions, WaylandScene, WaylandServer};

use crate::support::{assert_failure, assert_png_shows, success_lines};

/// Runs `mss` as a program on that session would, with `WAYLAND_DISPLAY` set.
fn mss_on(server: &WaylandServer, directory: &std::path::Path, arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mss"))
        .args(arguments)
        .current_dir(directory)
        .env_remove("MSS_BACKEND")
        .env_remove("DISPLAY")
        .env("WAYLAND_DISPLAY", server.wayland_display())
        .env("XDG_RUNTIME_DIR", server.runtime_dir())
        .output()
        .expect("the mss binary runs")
}

fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
    Region::new(left, top, width, height).unwrap()
}

#[test]
fn shots_info_record_and_bench_work_on_a_wayland_session_with_no_flag() {
    let server = WaylandServer::start(&SwayOptions::new().outputs(&[(320, 200), (160, 120)]))
        .unwrap_or_else(|error| panic!("cannot start sway ({error}); run `cargo xtask test`"));
    let scene = WaylandScene::paint(server.wayland_display().to_str().unwrap()).unwrap();
    let directory = tempfile::tempdir().unwrap();

    let lines = success_lines(&mss_on(
        &server,
        directory.path(),
        &["-m", "2", "-o", "two.png"],
    ));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_png_shows(
        &directory.path().join("two.png"),
        region(320, 0, 160, 120),
        &scene,
    );
    let lines = success_lines(&mss_on(&server, directory.path(), &[]));
    assert_eq!(lines.len(), 2, "one file per monitor: {lines:?}");

    let json = success_lines(&mss_on(&server, directory.path(), &["info", "--json"])).join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(info["backend"], "wayland", "{info}");
    assert_eq!(info["monitors"][1]["output"], "HEADLESS-2", "{info}");
    assert_eq!(info["monitors"][1]["left"], 320, "{info}");
    assert_eq!(info["monitors"][1]["scale"], 1.0, "{info}");

    // Raw frames of monitor 2, exactly, with the ffmpeg arguments that read them.
    let output = mss_on(
        &server,
        directory.path(),
        &[
            "record",
            "-m",
            "2",
            "--format",
            "raw",
            "--frames",
            "3",
            "-o",
            "frames.raw",
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("-pixel_format bgr0 -video_size 160x120 -framerate 30"),
        "{stderr}"
    );
    let bytes = std::fs::read(directory.path().join("frames.raw")).unwrap();
    assert_eq!(bytes.len(), 3 * 160 * 120 * 4);
    for chunk in bytes.chunks_exact(160 * 120 * 4) {
        let frame = Frame::from_vec(
            chunk.to_vec(),
            region(320, 0, 160, 120),
            PixelFormat::Bgrx8888,
        )
        .unwrap();
        scene.assert_frame(&frame);
    }

    let json = success_lines(&mss_on(
        &server,
        directory.path(),
        &["bench", "--frames", "3", "--json"],
    ))
    .join("\n");
    let results: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(results.as_array().unwrap().len(), 1, "{results}");
    assert_eq!(results[0]["backend"], "wayland", "{results}");
    assert!(results[0]["milliseconds_per_frame"].as_f64().unwrap() > 0.0);
}

#[test]
fn outputs_of_different_sizes_leave_a_black_corner_and_a_region_on_no_output_is_an_error() {
    // 1280x720 beside 640x480: 640x240 at (1280, 480) is on no output.
    let server = WaylandServer::start(&SwayOptions::new().outputs(&[(1280, 720), (640, 480)]))
        .unwrap_or_else(|error| panic!("cannot start sway ({error}); run `cargo xtask test`"));
    let scene = WaylandScene::paint(server.wayland_display().to_str().unwrap()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    // All monitors in one image, the corner black; then -c across the corner.
    let lines = success_lines(&mss_on(
        &server,
        directory.path(),
        &["-m", "-1", "-o", "all.png"],
    ));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_png_shows(
        &directory.path().join("all.png"),
        region(0, 0, 1920, 720),
        &scene,
    );
    success_lines(&mss_on(
        &server,
        directory.path(),
        &["-c", "400,1200,200,200", "-o", "across.png"],
    ));
    assert_png_shows(
        &directory.path().join("across.png"),
        region(1200, 400, 200, 200),
        &scene,
    );
    // A region in the corner: a one-line error naming it, no file.
    let output = mss_on(
        &server,
        directory.path(),
        &["--region", "1400,600,50,50", "-o", "gap.png"],
    );
    assert_failure(
        &output,
        1,
        "region 50x50 at (1400, 600) lies in the gap between the outputs",
    );
    assert!(!directory.path().join("gap.png").exists());
}

/// On a compositor no backend can capture (weston offers no wlr-screencopy), `mss` exits 1
/// with one line naming each candidate's answer, and writes nothing.
#[test]
fn a_compositor_without_screencopy_is_an_error_naming_each_candidate() {
    let weston = WaylandServer::start_weston()
        .unwrap_or_else(|error| panic!("cannot start weston ({error}); run `cargo xtask test`"));
    let directory = tempfile::tempdir().unwrap();
    let output = mss_on(&weston, directory.path(), &["-o", "shot.png"]);
    assert_failure(
        &output,
        1,
        "no capture backend could open the Wayland display",
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(": wayland: ") && stderr.contains("zwlr_screencopy_manager_v1"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_dir(directory.path()).unwrap().count(), 0);
}

/// On an output of scale 2 a region gives frames of twice its size in device pixels: a raw
/// recording prints the frames' own size for ffmpeg (not the region's logical size) and writes
/// exactly that many bytes per frame.
#[test]
fn a_raw_recording_on_a_scaled_output_prints_the_frames_size() {
    let server = WaylandServer::start(&SwayOptions::new().outputs(&[(320, 200)]))
        .unwrap_or_else(|error| panic!("cannot start sway ({error}); run `cargo xtask test`"));
    server
        .swaymsg(["output", "HEADLESS-1", "scale", "2"])
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    let json = success_lines(&mss_on(&server, directory.path(), &["info", "--json"])).join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(info["monitors"][0]["scale"], 2.0, "{info}");
    assert_eq!(info["monitors"][0]["width"], 160, "{info}");

    let output = mss_on(
        &server,
        directory.path(),
        &[
            "record",
            "-m",
            "1",
            "--format",
            "raw",
            "--frames",
            "2",
            "-o",
            "scaled.raw",
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("-pixel_format bgr0 -video_size 320x200 -framerate 30"),
        "{stderr}"
    );
    let bytes = std::fs::read(directory.path().join("scaled.raw")).unwrap();
    assert_eq!(bytes.len(), 2 * 320 * 200 * 4);
}
