//! `mss windows` and `mss --window` / `--window-title` on an Xvfb with windows of known
//! contents.

use mss_core::{Frame, PixelFormat, Region};
use mss_testkit::{TestWindows, XServer, XvfbOptions};

use crate::support::{assert_failure, mss, success_lines};

fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
    Region::new(left, top, width, height).unwrap()
}

/// The PNG at `path` as a frame placed at `placed`.
fn png_frame(path: &std::path::Path, placed: Region) -> Frame {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut rgb).unwrap();
    rgb.truncate(info.buffer_size());
    assert_eq!((info.width, info.height), (placed.width(), placed.height()));
    let bgrx: Vec<u8> = rgb
        .chunks_exact(3)
        .flat_map(|p| [p[2], p[1], p[0], 0])
        .collect();
    Frame::from_vec(bgrx, placed, PixelFormat::Bgrx8888).unwrap()
}

#[test]
fn windows_are_listed_and_saved_by_id_or_title() {
    let server = XServer::xvfb(&XvfbOptions::new(480, 360, 24)).unwrap();
    server.paint_scene().unwrap();
    let mut windows = TestWindows::connect(server.display()).unwrap();
    let editor = windows
        .create(
            region(30, 20, 200, 150),
            "notes.txt - Editor",
            ("editor", "Editor"),
            1,
        )
        .unwrap();
    let terminal = windows
        .create(
            region(100, 80, 220, 160),
            "Terminal",
            ("term", "Terminal"),
            2,
        )
        .unwrap();
    let viewer = windows
        .create(
            region(380, 300, 200, 120),
            "photo - Viewer",
            ("viewer", "Viewer"),
            3,
        )
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    let display = Some(server.display());

    let json = success_lines(&mss(directory.path(), display, &["windows", "--json"])).join("\n");
    let listed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ids: Vec<u64> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|window| window["id"].as_u64().unwrap())
        .collect();
    // Top first.
    assert_eq!(ids, [viewer, terminal, editor].map(u64::from));
    assert_eq!(listed[1]["title"], "Terminal");
    assert_eq!(listed[1]["class"], "Terminal");
    assert_eq!(listed[1]["id_hex"], format!("{terminal:#x}"));
    assert_eq!(
        (listed[0]["left"].as_i64(), listed[0]["width"].as_u64()),
        (Some(380), Some(200))
    );
    assert_eq!(
        listed[0]["pid"].as_u64(),
        Some(u64::from(std::process::id()))
    );
    let text = success_lines(&mss(directory.path(), display, &["windows"]));
    assert_eq!(text.len(), 3, "{text:?}");
    assert!(
        text[2].starts_with(&format!("{editor:#x} \"notes.txt - Editor\" (Editor)")),
        "{text:?}"
    );

    // By id, in hex: the covered editor whole.
    let lines = success_lines(&mss(
        directory.path(),
        display,
        &["--window", &format!("{editor:#x}"), "-o", "editor.png"],
    ));
    assert_eq!(lines.len(), 1, "{lines:?}");
    windows.assert_window_frame(
        editor,
        &png_frame(
            &directory.path().join("editor.png"),
            region(30, 20, 200, 150),
        ),
    );
    // A hidden window whose title also matches: the one shown is taken.
    let settings = windows
        .create(
            region(10, 10, 80, 60),
            "Viewer settings",
            ("settings", "Viewer"),
            4,
        )
        .unwrap();
    windows.unmap(settings).unwrap();
    // By title, the viewer cut by the screen's edge whole; the default name is the region's.
    success_lines(&mss(
        directory.path(),
        display,
        &["--window-title", "Viewer"],
    ));
    windows.assert_window_frame(
        viewer,
        &png_frame(
            &directory.path().join("sct-300x380_200x120.png"),
            region(380, 300, 200, 120),
        ),
    );

    // Several titles match, or none, or the window is gone: errors naming them.
    let output = mss(
        directory.path(),
        display,
        &["--window-title", "e", "-o", "x.png"],
    );
    assert_failure(&output, 1, "3 windows' titles contain \"e\"");
    let output = mss(directory.path(), display, &["--window-title", "Browser"]);
    assert_failure(&output, 1, "no window's title contains \"Browser\"");
    let output = mss(directory.path(), display, &["--window", "0x7ffffff0"]);
    assert_failure(&output, 1, "window 0x7ffffff0 on display");
    assert!(!directory.path().join("x.png").exists());
    let output = mss(directory.path(), display, &["--window", "twelve"]);
    assert_failure(&output, 2, "is not a window id");
    let output = mss(
        directory.path(),
        display,
        &["--window", "1", "--region", "0,0,5,5"],
    );
    assert_failure(&output, 2, "cannot be used with");
}

#[test]
fn the_pointer_is_drawn_only_where_it_lies_over_the_window() {
    let server = XServer::xvfb(&XvfbOptions::new(320, 240, 24)).unwrap();
    server.paint_scene().unwrap();
    let mut windows = TestWindows::connect(server.display()).unwrap();
    let window = windows
        .create(region(40, 30, 160, 120), "Pointed", ("pointed", "Test"), 4)
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    let display = Some(server.display());
    let shot = |name: &str| {
        success_lines(&mss(
            directory.path(),
            display,
            &["--window", &window.to_string(), "--with-cursor", "-o", name],
        ));
        png_frame(&directory.path().join(name), region(40, 30, 160, 120))
    };
    // Away from the window: the window exactly.
    // --sync: xdotool returns once the pointer is there.
    server
        .run("xdotool", ["mousemove", "--sync", "300", "220"])
        .unwrap();
    windows.assert_window_frame(window, &shot("away.png"));
    // Over it: the pointer drawn there, the rest exactly the window.
    server
        .run("xdotool", ["mousemove", "--sync", "100", "80"])
        .unwrap();
    let over = shot("over.png");
    assert!(
        windows.check_window_frame(window, &over).is_err(),
        "the pointer shows"
    );
    let far = Frame::from_vec(
        over.rows().skip(80).flatten().copied().collect(),
        region(40, 110, 160, 40),
        PixelFormat::Bgrx8888,
    )
    .unwrap();
    windows.assert_window_frame(window, &far);
}
