//! The command line on a GNOME session (a headless mutter) with no flag: `wayland` refuses,
//! `pipewire` is chosen, and shots, `mss info`, `mss record` and `mss bench` work; on sway
//! `wayland` is still the one chosen; through the screen-cast portal (the real frontend and
//! the test kit's backend), the dialog is shown once and the token kept restores it.

use std::process::{Command, Output};

use mss_core::{Frame, PixelFormat};
use mss_testkit::{
    FakePortal, FakePortalOptions, MutterOptions, MutterServer, SwayOptions, WaylandServer,
    XdgScene,
};

use crate::support::{assert_png_shows, region, success_lines};

/// Runs `mss` as a program on that session would: `WAYLAND_DISPLAY`, the session bus and the
/// runtime directory (where PipeWire's socket is) set, no `DISPLAY`.
fn mss_on(server: &MutterServer, directory: &std::path::Path, arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mss"))
        .args(arguments)
        .current_dir(directory)
        .env_remove("MSS_BACKEND")
        .env_remove("DISPLAY")
        .env_remove("PIPEWIRE_REMOTE")
        .env("WAYLAND_DISPLAY", server.wayland_display())
        .env("XDG_RUNTIME_DIR", server.runtime_dir())
        .env("DBUS_SESSION_BUS_ADDRESS", server.bus_address())
        .output()
        .expect("the mss binary runs")
}

#[test]
fn shots_info_record_and_bench_work_on_a_gnome_session_with_no_flag() {
    let server = MutterServer::start(&MutterOptions::new().monitors(&[(640, 480), (320, 240)]))
        .unwrap_or_else(|error| panic!("cannot start mutter ({error}); run `cargo xtask test`"));
    let scene = XdgScene::show(&server.wayland_display()).unwrap();
    let directory = tempfile::tempdir().unwrap();

    let lines = success_lines(&mss_on(
        &server,
        directory.path(),
        &["-m", "2", "-o", "two.png"],
    ));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_png_shows(
        &directory.path().join("two.png"),
        region(640, 0, 320, 240),
        &scene,
    );
    let lines = success_lines(&mss_on(&server, directory.path(), &[]));
    assert_eq!(lines.len(), 2, "one file per monitor: {lines:?}");
    assert_png_shows(
        &directory.path().join("monitor-1.png"),
        region(0, 0, 640, 480),
        &scene,
    );
    success_lines(&mss_on(
        &server,
        directory.path(),
        &["-m", "-1", "-o", "all.png"],
    ));
    assert_png_shows(
        &directory.path().join("all.png"),
        region(0, 0, 960, 480),
        &scene,
    );

    let json = success_lines(&mss_on(&server, directory.path(), &["info", "--json"])).join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(info["backend"], "pipewire", "{info}");
    assert_eq!(info["method"], "org.gnome.Mutter.ScreenCast", "{info}");
    assert_eq!(info["zero_copy"], true, "{info}");
    let candidates = info["candidates"].as_array().unwrap();
    assert_eq!(candidates[0]["backend"], "wayland", "{info}");
    let refusal = candidates[0]["answer"].as_str().unwrap();
    assert!(refusal.contains("zwlr_screencopy_manager_v1"), "{refusal}");
    assert_eq!(candidates[1]["backend"], "pipewire", "{info}");
    assert_eq!(candidates[1]["answer"], "chosen", "{info}");
    assert_eq!(info["monitors"][1]["output"], "Meta-1", "{info}");
    assert_eq!(info["monitors"][1]["left"], 640, "{info}");
    assert_eq!(info["monitors"][1]["scale"], 1.0, "{info}");

    // Raw frames of monitor 1, exactly, with the ffmpeg arguments that read them: at 30 frames
    // a second on a still screen, each tick is the newest picture again.
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
            "3",
            "-o",
            "frames.raw",
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("-pixel_format bgr0 -video_size 640x480 -framerate 30"),
        "{stderr}"
    );
    let bytes = std::fs::read(directory.path().join("frames.raw")).unwrap();
    assert_eq!(bytes.len(), 3 * 640 * 480 * 4);
    for chunk in bytes.chunks_exact(640 * 480 * 4) {
        let frame = Frame::from_vec(
            chunk.to_vec(),
            region(0, 0, 640, 480),
            PixelFormat::Bgrx8888,
        )
        .unwrap();
        scene.assert_frame(&frame);
    }

    // Every backend of the session is measured that can capture it; `wayland`, which cannot,
    // is left out, saying why.
    let output = mss_on(
        &server,
        directory.path(),
        &["bench", "--frames", "3", "--json"],
    );
    let json = success_lines(&output).join("\n");
    let results: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(results.as_array().unwrap().len(), 1, "{results}");
    assert_eq!(results[0]["backend"], "pipewire", "{results}");
    assert!(results[0]["milliseconds_per_frame"].as_f64().unwrap() > 0.0);
    assert_eq!(results[0]["floor"], serde_json::Value::Null, "{results}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("mss: wayland not measured: ") && stderr.contains("wlr-screencopy"),
        "{stderr}"
    );
}

/// On sway, `wayland` is chosen and measured; `pipewire` is asked what it would answer and
/// says GNOME's interface is not there.
#[test]
fn on_sway_the_wayland_backend_is_still_chosen() {
    let server = WaylandServer::start(&SwayOptions::new().outputs(&[(320, 200)]))
        .unwrap_or_else(|error| panic!("cannot start sway ({error}); run `cargo xtask test`"));
    let directory = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_mss"))
        .args(["info", "--json"])
        .current_dir(directory.path())
        .env_remove("MSS_BACKEND")
        .env_remove("DISPLAY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("WAYLAND_DISPLAY", server.wayland_display())
        .env("XDG_RUNTIME_DIR", server.runtime_dir())
        .output()
        .unwrap();
    let json = success_lines(&output).join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(info["backend"], "wayland", "{info}");
    let candidates = info["candidates"].as_array().unwrap();
    assert_eq!(candidates[0]["backend"], "wayland", "{info}");
    assert_eq!(candidates[0]["answer"], "chosen", "{info}");
    assert_eq!(candidates[1]["backend"], "pipewire", "{info}");
    let answer = candidates[1]["answer"].as_str().unwrap();
    assert!(answer.contains("org.gnome.Mutter.ScreenCast"), "{answer}");
}

/// `mss bench --stream` on a still GNOME screen: the stream gets no frame (a screen cast sends
/// one only when the screen changes), so the benchmark ends after `--timeout` saying why,
/// rather than waiting for ever.
#[test]
fn a_stream_benchmark_on_a_still_screen_ends_after_the_timeout_saying_why() {
    let server = MutterServer::start(&MutterOptions::new().monitors(&[(320, 240)]))
        .unwrap_or_else(|error| panic!("cannot start mutter ({error}); run `cargo xtask test`"));
    let _scene = XdgScene::show(&server.wayland_display()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let output = mss_on(
        &server,
        directory.path(),
        &[
            "bench",
            "--stream",
            "--frames",
            "2",
            "-b",
            "pipewire",
            "--timeout",
            "1",
        ],
    );
    crate::support::assert_failure(
        &output,
        1,
        "the pipewire stream gave no frame within 1 s (a stream of a screen cast gets a frame \
         only when the screen changes)",
    );
}

/// `mss` through the screen-cast portal (`MSS_PIPEWIRE_SOURCE=portal`, as on a desktop without
/// GNOME's interface): the first run shows the dialog and keeps the token under
/// `$XDG_STATE_HOME/mss`; later runs are restored from it without the dialog; a token passed
/// in `MSS_PORTAL_RESTORE_TOKEN` is used where none is kept; `mss info` names the portal.
#[test]
fn through_the_portal_the_dialog_is_shown_once_and_the_token_kept() {
    let server = MutterServer::start(&MutterOptions::new().monitors(&[(640, 480), (320, 240)]))
        .unwrap_or_else(|error| panic!("cannot start mutter ({error}); run `cargo xtask test`"));
    let scene = XdgScene::show(&server.wayland_display()).unwrap();
    let portal = FakePortal::start(&server, &FakePortalOptions::new()).unwrap_or_else(|error| {
        panic!("cannot start the portal ({error}); run `cargo xtask test`")
    });
    let directory = tempfile::tempdir().unwrap();
    let state = directory.path().join("state");
    let through_portal = |state: &std::path::Path, token: Option<&str>, arguments: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mss"));
        command
            .args(arguments)
            .current_dir(directory.path())
            .env_remove("MSS_BACKEND")
            .env_remove("DISPLAY")
            .env_remove("PIPEWIRE_REMOTE")
            .env_remove("XDG_CURRENT_DESKTOP")
            .env_remove("MSS_PORTAL_RESTORE_TOKEN")
            .env("MSS_PIPEWIRE_SOURCE", "portal")
            .env("XDG_STATE_HOME", state)
            .env("HOME", directory.path())
            .env("WAYLAND_DISPLAY", server.wayland_display())
            .env("XDG_RUNTIME_DIR", server.runtime_dir())
            .env("DBUS_SESSION_BUS_ADDRESS", server.bus_address());
        if let Some(token) = token {
            command.env("MSS_PORTAL_RESTORE_TOKEN", token);
        }
        command.output().expect("the mss binary runs")
    };
    success_lines(&through_portal(&state, None, &["-m", "2", "-o", "two.png"]));
    assert_png_shows(
        &directory.path().join("two.png"),
        region(640, 0, 320, 240),
        &scene,
    );
    assert_eq!(portal.dialogs_shown(), 1);
    let kept = state.join("mss/portal-restore-token");
    let token = std::fs::read_to_string(&kept).unwrap();
    let token = token.trim_end();
    let json = success_lines(&through_portal(&state, None, &["info", "--json"])).join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(info["backend"], "pipewire", "{info}");
    assert_eq!(
        info["method"], "org.freedesktop.portal.ScreenCast",
        "{info}"
    );
    assert!(
        info["connection"]
            .as_str()
            .is_some_and(|connection| connection.contains("OpenPipeWireRemote")),
        "{info}"
    );
    assert_eq!(info["monitors"][1]["left"], 640, "{info}");
    assert_eq!(
        (portal.dialogs_shown(), portal.sessions_restored()),
        (1, 1),
        "restored from the kept token"
    );
    // The token given in the environment, nothing kept where this run looks.
    let elsewhere = directory.path().join("elsewhere");
    success_lines(&through_portal(
        &elsewhere,
        Some(token),
        &["-m", "1", "-o", "one.png"],
    ));
    assert_png_shows(
        &directory.path().join("one.png"),
        region(0, 0, 640, 480),
        &scene,
    );
    assert_eq!((portal.dialogs_shown(), portal.sessions_restored()), (1, 2));
    // `mss bench` with no backend named: `wayland` cannot capture mutter, so the portal is
    // asked (restored from the kept token) and measured.
    let output = through_portal(&state, None, &["bench", "--frames", "2", "--json"]);
    let results: serde_json::Value =
        serde_json::from_str(&success_lines(&output).join("\n")).unwrap();
    assert_eq!(results[0]["backend"], "pipewire", "{results}");
    assert_eq!(
        results[0]["method"], "org.freedesktop.portal.ScreenCast",
        "{results}"
    );
    assert_eq!((portal.dialogs_shown(), portal.sessions_restored()), (1, 3));
}
