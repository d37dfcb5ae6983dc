//! Running the binary and reading the PNGs it writes.

use std::path::Path;
use std::process::{Command, Output};

use mss_core::{Frame, PixelFormat, Region};
use mss_testkit::{KnownScene, XServer, XvfbOptions};

/// A private Xvfb of the given size, depth 24.
pub fn xvfb(width: u32, height: u32) -> XServer {
    XServer::xvfb(&XvfbOptions::new(width, height, 24)).unwrap_or_else(|error| {
        panic!("cannot start Xvfb ({error}); run `cargo xtask test`, which installs it")
    })
}

/// Runs `mss` with `arguments` in `directory`, on `display`, with no `MSS_BACKEND` inherited.
pub fn mss(directory: &Path, display: Option<&str>, arguments: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mss"));
    command
        .args(arguments)
        .current_dir(directory)
        .env_remove("MSS_BACKEND");
    match display {
        Some(display) => command.env("DISPLAY", display),
        None => command.env_remove("DISPLAY"),
    };
    command.output().expect("the mss binary runs")
}

/// Asserts success and returns the lines of standard output.
pub fn success_lines(output: &Output) -> Vec<String> {
    assert!(
        output.status.success(),
        "mss failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Asserts the exit code and a one-line `mss: error:` message containing `fragment`.
pub fn assert_failure(output: &Output, code: i32, fragment: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.starts_with("mss: error: "), "{stderr}");
    assert!(
        stderr.contains(fragment),
        "{stderr:?} should contain {fragment:?}"
    );
}

/// Decodes the PNG at `path` into a frame showing `region`, and checks it against the scene.
pub fn assert_png_shows(path: &Path, region: Region, scene: &dyn KnownScene) {
    let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    assert_png_bytes_show(&bytes, region, scene);
}

/// A region, unwrapped.
pub fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
    Region::new(left, top, width, height).unwrap()
}

/// The `mss` binary with `arguments`, on `server`, in `directory`.
pub fn mss_command(server: &XServer, directory: &Path, arguments: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mss"));
    command
        .args(arguments)
        .current_dir(directory)
        .env("DISPLAY", server.display())
        .env_remove("MSS_BACKEND");
    command
}

/// Decodes PNG bytes and checks them against the scene.
pub fn assert_png_bytes_show(bytes: &[u8], shown: Region, scene: &dyn KnownScene) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a valid PNG");
    let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut rgb).unwrap();
    rgb.truncate(info.buffer_size());
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!((info.width, info.height), (shown.width(), shown.height()));
    let bgrx: Vec<u8> = rgb
        .chunks_exact(3)
        .flat_map(|pixel| [pixel[2], pixel[1], pixel[0], 0])
        .collect();
    scene.assert_frame(&Frame::from_vec(bgrx, shown, PixelFormat::Bgrx8888).unwrap());
}

/// The names in `directory`, sorted.
pub fn names(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
