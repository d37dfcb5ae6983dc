//! `mss info`, `mss bench` and the backend override.

use mss_testkit::{XServer, XvfbOptions};

use crate::support::{assert_failure, mss, success_lines, xvfb};

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
    assert!(text.contains("MIT-SHM: active"), "{text}");
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
    assert_eq!(info["shm_active"], true);
}

#[test]
fn info_says_why_mit_shm_is_not_active() {
    let server = XServer::xvfb(&XvfbOptions::new(64, 48, 24).disable_extension("MIT-SHM"))
        .expect("cannot start Xvfb; run `cargo xtask test`, which installs it");
    let directory = tempfile::tempdir().unwrap();
    let text = success_lines(&mss(directory.path(), Some(server.display()), &["info"])).join("\n");
    assert!(text.contains("MIT-SHM: not active:"), "{text}");
    assert!(
        text.contains("backend: x11-shm: GetImage (fallback:"),
        "{text}"
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
    assert_failure(&run("wayland"), 2, "MSS_BACKEND=wayland");
    // The command line wins over the environment.
    let output = mss(
        directory.path(),
        Some(server.display()),
        &["info", "--json", "-b", "x11-getimage"],
    );
    let info: serde_json::Value = serde_json::from_str(&success_lines(&output).join("\n")).unwrap();
    assert_eq!(info["backend"], "x11-getimage");
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
    }
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
}
