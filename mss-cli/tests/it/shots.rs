//! Screenshots whose PNGs decode to exactly what the screen shows.

use mss_testkit::{DummyOptions, XServer};

use crate::support::{assert_failure, assert_png_shows, mss, region, success_lines, xvfb};

#[test]
fn default_shot_writes_monitor_1_and_prints_its_absolute_path() {
    let server = xvfb(200, 150);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let lines = success_lines(&mss(directory.path(), Some(server.display()), &[]));
    let expected = directory
        .path()
        .canonicalize()
        .unwrap()
        .join("monitor-1.png");
    assert_eq!(lines, [expected.display().to_string()]);
    assert_png_shows(&expected, region(0, 0, 200, 150), &scene);
}

#[test]
fn region_and_coordinates_write_exact_pixels() {
    let server = xvfb(320, 240);
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let run = |arguments: &[&str]| {
        success_lines(&mss(directory.path(), Some(server.display()), arguments))
    };

    let lines = run(&["--region", "10,20,30,40", "-q"]);
    assert!(lines.is_empty(), "-q prints nothing: {lines:?}");
    assert_png_shows(
        &directory.path().join("sct-20x10_30x40.png"),
        region(10, 20, 30, 40),
        &scene,
    );

    run(&["-c", "20,10,30,40", "-o", "c.png"]);
    assert_png_shows(
        &directory.path().join("c.png"),
        region(10, 20, 30, 40),
        &scene,
    );

    // python-mss: from the right and bottom edges.
    run(&["-c", "100x50-10-10", "-o", "edges.png", "-l", "0"]);
    assert_png_shows(
        &directory.path().join("edges.png"),
        region(210, 180, 100, 50),
        &scene,
    );

    // Cropped to the screen, as python-mss does.
    run(&["-c", "220,300,100,100", "-o", "cropped.png"]);
    assert_png_shows(
        &directory.path().join("cropped.png"),
        region(300, 220, 20, 20),
        &scene,
    );

    run(&[
        "shot",
        "-m",
        "-1",
        "-o",
        "all-{mon}-{width}x{height}.png",
        "-l",
        "9",
    ]);
    assert_png_shows(
        &directory.path().join("all-0-320x240.png"),
        region(0, 0, 320, 240),
        &scene,
    );
}

#[test]
fn a_monitor_that_fails_does_not_stop_the_others_and_every_file_is_reported() {
    let server = XServer::xorg_dummy(&DummyOptions::new()).unwrap_or_else(|error| {
        panic!("cannot start Xorg dummy ({error}); run `cargo xtask test`, which installs it")
    });
    server.set_mode("DUMMY0", "320x200").unwrap();
    // A virtual monitor entirely off the screen: RandR lists it, nothing can capture it.
    server
        .xrandr(&["--setmonitor", "GHOST", "100/100x100/100+5000+0", "none"])
        .unwrap();
    server
        .enable_output("DUMMY1", "160x100", Some("DUMMY0"))
        .unwrap();
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let output = mss(
        directory.path(),
        Some(server.display()),
        &["-m", "0", "-o", "mon-{mon}.png"],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().collect();
    assert_eq!(errors.len(), 1, "one line per failed monitor: {stderr}");
    assert!(errors[0].starts_with("mss: error: monitor "), "{stderr}");
    assert!(
        errors[0].contains("100x100 at (5000, 0) is not inside the screen"),
        "{stderr}"
    );
    // The two real monitors were written, exact, and their paths printed.
    let written = String::from_utf8(output.stdout).unwrap();
    let written: Vec<&str> = written.lines().collect();
    assert_eq!(written.len(), 2, "{written:?}");
    let json = success_lines(&mss(
        directory.path(),
        Some(server.display()),
        &["info", "--json"],
    ))
    .join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    for (index, monitor) in info["monitors"].as_array().unwrap().iter().enumerate() {
        let path = directory.path().join(format!("mon-{}.png", index + 1));
        if monitor["left"] == 5000 {
            assert!(!path.exists(), "nothing is written for the ghost");
            continue;
        }
        assert!(written.contains(&path.to_str().unwrap()), "{written:?}");
        let value = |key: &str| monitor[key].as_i64().unwrap();
        let expected = region(
            value("left") as i32,
            value("top") as i32,
            value("width") as u32,
            value("height") as u32,
        );
        assert_png_shows(&path, expected, &scene);
    }
}

#[test]
fn every_monitor_of_a_multi_monitor_server_is_exact() {
    let server = XServer::xorg_dummy(&DummyOptions::new()).unwrap_or_else(|error| {
        panic!("cannot start Xorg dummy ({error}); run `cargo xtask test`, which installs it")
    });
    server
        .enable_output("DUMMY1", "320x200", Some("DUMMY0"))
        .unwrap();
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let run = |arguments: &[&str]| {
        success_lines(&mss(directory.path(), Some(server.display()), arguments))
    };
    let json = run(&["info", "--json"]).join("\n");
    let info: serde_json::Value = serde_json::from_str(&json).unwrap();
    let monitors = info["monitors"].as_array().unwrap();
    assert_eq!(monitors.len(), 2, "{json}");

    let lines = run(&["-m", "0", "-o", "mon-{mon}.png"]);
    assert_eq!(lines.len(), 2, "{lines:?}");
    for (index, monitor) in monitors.iter().enumerate() {
        let value = |key: &str| monitor[key].as_i64().unwrap();
        let expected = region(
            value("left") as i32,
            value("top") as i32,
            value("width") as u32,
            value("height") as u32,
        );
        let path = directory.path().join(format!("mon-{}.png", index + 1));
        assert_png_shows(&path, expected, &scene);
    }
    let second = &monitors[1];
    assert_eq!(second["width"], 320);
    run(&["-m", "2", "-c", "0,0,16,8", "-o", "rel.png"]);
    let left = second["left"].as_i64().unwrap() as i32;
    let top = second["top"].as_i64().unwrap() as i32;
    assert_png_shows(
        &directory.path().join("rel.png"),
        region(left, top, 16, 8),
        &scene,
    );

    // A template that names every monitor's file the same is bad usage, found before anything
    // is captured or written.
    let clash = directory.path().join("clash");
    std::fs::create_dir(&clash).unwrap();
    let output = mss(
        &clash,
        Some(server.display()),
        &["-m", "0", "-o", "same.png"],
    );
    assert_failure(&output, 2, "monitors 1 and 2 both");
    assert!(String::from_utf8_lossy(&output.stderr).contains("put {mon} in it"));
    assert_eq!(std::fs::read_dir(&clash).unwrap().count(), 0);

    let all = &info["all"];
    run(&["-m", "-1", "-o", "all.png"]);
    assert_png_shows(
        &directory.path().join("all.png"),
        region(
            0,
            0,
            all["width"].as_u64().unwrap() as u32,
            all["height"].as_u64().unwrap() as u32,
        ),
        &scene,
    );
}
