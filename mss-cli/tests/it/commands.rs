//! `mss info`, `mss bench` and the backend override.

use mss_testkit::{XServer, XvfbOptions};

use crate::support::{assert_failure, assert_png_shows, mss, region, success_lines, xvfb};

#[test]
fn info_describes_display_backends_and_monitors() {
    let server = xvfb(128, 96);
    let directory = tempfile::tempdir().unwrap();
    let text = success_lines(&mss(directory.path(), Some(server.display()), &["info"])).join("\n");
    assert!(
        text.contains(&format!("display: {}", server.display())),
        "{text}"
    );
    assert!(text.contains("screen: 128x96, depth 24"), "{text}");
    assert!(
        text.contains("backends compiled in: x11-shm, x11-getimage"),
        "{text}"
    );
    assert!(text.contains("zero copy: yes"), "{text}");
    assert!(
        text.contains("choice: the first of the session's candidates that opens"),
        "{text}"
    );
    assert!(text.contains("  x11-shm: chosen"), "{text}");
    assert!(text.contains("1: 128x96 at (0, 0)"), "{text}");

    let json = success_lines(&mss(
        directory.path(),
        Some(server.display()),
        &["info", "--json"],
    ))
    .join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(info["screen"]["width"], 128);
    assert_eq!(info["backend"], "x11-shm");
    assert_eq!(info["zero_copy"], true);
    assert_eq!(info["forced_by"], serde_json::Value::Null);
}

#[test]
fn info_says_why_mit_shm_is_not_active() {
    let server = XServer::xvfb(&XvfbOptions::new(64, 48, 24).disable_extension("MIT-SHM"))
        .expect("cannot start Xvfb; run `cargo xtask test`, which installs it");
    let directory = tempfile::tempdir().unwrap();
    let text = success_lines(&mss(directory.path(), Some(server.display()), &["info"])).join("\n");
    assert!(
        text.contains("zero copy: no: the X server has no MIT-SHM extension"),
        "{text}"
    );
    assert!(
        text.contains("backend: x11-shm: GetImage (fallback:"),
        "{text}"
    );
}

/// Without MIT-SHM and without `MSS_BACKEND`, `info` lists both X11 candidates in order with
/// their answers: `x11-shm` chosen (it falls back to `GetImage` itself, saying why), and
/// `x11-getimage`, asked by `info`, opening too but coming second.
#[test]
fn info_lists_every_candidate_with_its_answer() {
    let server = XServer::xvfb(&XvfbOptions::new(64, 48, 24).disable_extension("MIT-SHM"))
        .expect("cannot start Xvfb; run `cargo xtask test`, which installs it");
    let directory = tempfile::tempdir().unwrap();
    let json = success_lines(&mss(
        directory.path(),
        Some(server.display()),
        &["info", "--json"],
    ))
    .join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(info["forced_by"], serde_json::Value::Null, "{info}");
    let candidates = info["candidates"].as_array().expect("a list of candidates");
    let names: Vec<&str> = candidates
        .iter()
        .map(|candidate| candidate["backend"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["x11-shm", "x11-getimage"], "{info}");
    assert_eq!(candidates[0]["answer"], "chosen", "{info}");
    assert_eq!(candidates[0]["display_system"], "X11", "{info}");
    let second = candidates[1]["answer"].as_str().unwrap();
    assert!(
        second.starts_with("opens too (x11-getimage: GetImage")
            && second.ends_with("; x11-shm comes first"),
        "{second}"
    );
    assert!(
        info["fallback_reason"]
            .as_str()
            .unwrap()
            .contains("MIT-SHM"),
        "{info}"
    );
}

#[test]
fn mss_backend_overrides_the_choice_end_to_end() {
    let server = xvfb(64, 48);
    let directory = tempfile::tempdir().unwrap();
    let run = |value: &str| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_mss"));
        command
            .args(["info", "--json"])
            .current_dir(directory.path())
            .env("DISPLAY", server.display())
            .env("MSS_BACKEND", value);
        command.output().unwrap()
    };
    let json = success_lines(&run("x11-getimage")).join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(info["backend"], "x11-getimage");
    assert_eq!(info["method"], "GetImage");
    // A forced choice says so, and asks nobody else.
    assert_eq!(info["forced_by"], "MSS_BACKEND");
    assert_eq!(
        info["candidates"],
        serde_json::json!([{"backend": "x11-getimage", "display_system": "X11", "answer": "chosen"}])
    );
    assert_failure(&run("vnc"), 2, "MSS_BACKEND=vnc");
    // A backend of another display system than the session's: its own error, naming what is
    // missing.
    assert_failure(&run("wayland"), 1, "WAYLAND_DISPLAY is not set");
    // The command line wins over the environment.
    let output = mss(
        directory.path(),
        Some(server.display()),
        &["info", "--json", "-b", "x11-getimage"],
    );
    let info: serde_json::Value = serde_json::from_str(&success_lines(&output).join("\n")).unwrap();
    assert_eq!(info["backend"], "x11-getimage");
    assert_eq!(info["forced_by"], "--backend");
}

#[test]
fn bench_measures_every_backend() {
    let server = xvfb(64, 48);
    let directory = tempfile::tempdir().unwrap();
    let output = mss(
        directory.path(),
        Some(server.display()),
        &["bench", "--frames", "5", "--region", "0,0,32,16", "--json"],
    );
    let json = success_lines(&output).join("\n");
    let results: serde_json::Value = serde_json::from_str(&json).unwrap();
    let results = results.as_array().unwrap();
    let backends: Vec<_> = results
        .iter()
        .map(|r| r["backend"].as_str().unwrap())
        .collect();
    assert_eq!(backends, ["x11-shm", "x11-getimage"]);
    for result in results {
        assert_eq!(
            (result["width"].as_u64(), result["height"].as_u64()),
            (Some(32), Some(16))
        );
        assert_eq!(result["frames"], 5);
        assert!(result["milliseconds_per_frame"].as_f64().unwrap() > 0.0);
        // Each backend beside the same request looped over libxcb.
        let floor = result["floor_milliseconds_per_frame"].as_f64().unwrap();
        assert!(floor > 0.0, "{result}");
        let ratio = result["ratio_to_floor"].as_f64().unwrap();
        let expected = result["milliseconds_per_frame"].as_f64().unwrap() / floor;
        assert!((ratio - expected).abs() < 1e-9, "{result}");
        assert!(result["floor_unavailable"].is_null(), "{result}");
    }
    assert_eq!(results[0]["floor"], "ShmGetImage loop over libxcb");
    assert_eq!(results[1]["floor"], "GetImage loop over libxcb");
    assert!(
        output.stderr.is_empty(),
        "no progress bar when not a terminal"
    );
    let text = success_lines(&mss(
        directory.path(),
        Some(server.display()),
        &["bench", "--frames", "3", "-b", "x11-getimage"],
    ));
    assert_eq!(text.len(), 1, "{text:?}");
    assert!(text[0].starts_with("x11-getimage"), "{text:?}");
    assert!(
        text[0].contains("; floor (GetImage loop over libxcb) "),
        "{text:?}"
    );
}

#[test]
fn bench_stream_compares_grab_then_read_with_the_stream() {
    let server = xvfb(64, 48);
    server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let output = mss(
        directory.path(),
        Some(server.display()),
        &["bench", "--stream", "--frames", "12", "--json"],
    );
    let json = success_lines(&output).join("\n");
    let results: serde_json::Value = serde_json::from_str(&json).unwrap();
    let results = results.as_array().unwrap();
    let backends: Vec<_> = results
        .iter()
        .map(|r| r["backend"].as_str().unwrap())
        .collect();
    assert_eq!(backends, ["x11-shm", "x11-getimage"]);
    for result in results {
        assert_eq!(
            (result["width"].as_u64(), result["height"].as_u64()),
            (Some(64), Some(48))
        );
        assert_eq!(result["frames"], 12);
        let sequential = result["sequential_ms_per_frame"].as_f64().unwrap();
        let stream = result["stream_ms_per_frame"].as_f64().unwrap();
        assert!(sequential > 0.0 && stream > 0.0, "{result}");
        let speedup = result["speedup"].as_f64().unwrap();
        assert!((speedup - sequential / stream).abs() < 1e-9, "{result}");
    }
    assert!(
        results[0]["stream"]
            .as_str()
            .unwrap()
            .contains("changes from DAMAGE"),
        "{}",
        results[0]
    );
    assert_eq!(results[1]["stream"], "x11-getimage: one grab at a time");

    // Text, one backend, whole frames; --in-flight and --no-damage only go with --stream.
    let text = success_lines(&mss(
        directory.path(),
        Some(server.display()),
        &[
            "bench",
            "--stream",
            "--no-damage",
            "--in-flight",
            "3",
            "--frames",
            "4",
            "-b",
            "x11-shm",
        ],
    ));
    assert_eq!(text.len(), 1, "{text:?}");
    assert!(
        text[0].contains(
            "MIT-SHM ShmGetImage, 3 in flight, whole frames (change tracking turned off)"
        ),
        "{text:?}"
    );
    let refused = mss(
        directory.path(),
        Some(server.display()),
        &["bench", "--no-damage"],
    );
    assert_failure(&refused, 2, "--stream");
}

/// Runs `mss` where `libxcb.so.1` cannot be loaded: a file by that name that is not a library
/// comes first on the library path.
fn mss_without_libxcb(
    directory: &std::path::Path,
    display: &str,
    arguments: &[&str],
) -> std::process::Output {
    let libraries = directory.join("broken-libraries");
    std::fs::create_dir_all(&libraries).unwrap();
    // Both names a loader may try: the runtime's `libxcb.so.1`, and the development link
    // `libxcb.so` that the floors' loader (the xcb crate) tries next.
    for name in ["libxcb.so.1", "libxcb.so"] {
        std::fs::write(libraries.join(name), b"not a shared library").unwrap();
    }
    std::process::Command::new(env!("CARGO_BIN_EXE_mss"))
        .args(arguments)
        .current_dir(directory)
        .env("DISPLAY", display)
        .env("LD_LIBRARY_PATH", &libraries)
        .env_remove("MSS_BACKEND")
        .output()
        .unwrap()
}

#[test]
fn without_libxcb_the_pure_rust_connection_captures_and_says_why() {
    let server = xvfb(96, 64);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let json = success_lines(&mss_without_libxcb(
        directory.path(),
        server.display(),
        &["info", "--json"],
    ))
    .join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    let connection = info["connection"].as_str().unwrap();
    assert!(
        connection.starts_with("x11rb pure Rust (libxcb could not be loaded: "),
        "{connection}"
    );
    assert_eq!(
        (info["method"].as_str(), info["zero_copy"].as_bool()),
        (Some("MIT-SHM"), Some(true)),
        "MIT-SHM works over either connection"
    );
    for backend in ["x11-shm", "x11-getimage"] {
        let name = format!("{backend}.png");
        let lines = success_lines(&mss_without_libxcb(
            directory.path(),
            server.display(),
            &["-b", backend, "-o", &name],
        ));
        assert_eq!(lines.len(), 1);
        assert_png_shows(&directory.path().join(&name), region(0, 0, 96, 64), &scene);
    }
    // The bench has no libxcb floor then, and says why.
    let json = success_lines(&mss_without_libxcb(
        directory.path(),
        server.display(),
        &["bench", "--frames", "2", "-b", "x11-getimage", "--json"],
    ))
    .join("\n");
    let results: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(results[0]["ratio_to_floor"].is_null(), "{results}");
    assert!(
        results[0]["floor_unavailable"]
            .as_str()
            .unwrap()
            .starts_with("libxcb could not be loaded"),
        "{results}"
    );
}

#[test]
fn the_binary_links_no_libxcb_and_loads_it_at_run_time() {
    let output = std::process::Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_mss"))
        .output()
        .expect("ldd runs");
    assert!(output.status.success(), "{output:?}");
    let libraries = String::from_utf8_lossy(&output.stdout);
    assert!(libraries.contains("libc.so"), "{libraries}");
    assert!(!libraries.contains("libxcb"), "{libraries}");
}

#[test]
fn one_command_after_another_on_a_resetting_xvfb() {
    // Xvfb as CI starts it resets whenever its last client leaves; `mss bench` opens each
    // backend after closing the last, and scripts run `mss` in loops.
    let server = XServer::xvfb(&XvfbOptions::new(64, 48, 24).resetting()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    for _ in 0..3 {
        let lines = success_lines(&mss(
            directory.path(),
            Some(server.display()),
            &["bench", "--frames", "2"],
        ));
        assert_eq!(lines.len(), 2, "{lines:?}");
        let shot = mss(
            directory.path(),
            Some(server.display()),
            &["-q", "-o", "s.png"],
        );
        assert!(shot.status.success(), "{shot:?}");
    }
}
