//! `cargo xtask demo`: the project's main job, end to end. It captures the screen to PNG; when
//! there is no display (or `--virtual` is given) it first starts a private Xvfb and paints a
//! known scene on it, so the capture shows real content and can be checked pixel for pixel.
//!
//! The capture itself is one command line, [`CAPTURE_COMMAND`], so switching to the `mss` CLI is a
//! one-line change.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::error::{Result, XtaskError};
use crate::shell::Cmd;
use crate::system_packages;
use crate::virtual_display::VirtualDisplay;

/// The program and arguments that capture the whole screen of `DISPLAY` into the PNG path
/// appended after them. The first word `cargo` means the cargo that runs xtask.
pub const CAPTURE_COMMAND: &[&str] = &[
    "cargo",
    "run",
    "--release",
    "--package",
    "mss-cli",
    "--bin",
    "mss",
    "--",
    // All monitors in one image (python-mss's `-m -1`), written to the path that follows.
    "--monitor",
    "-1",
    "--output",
];

/// The virtual screen: big enough to look like a desktop, depth 24 like most real ones.
const SCREEN_WIDTH: u32 = 1280;
const SCREEN_HEIGHT: u32 = 800;
const SCREEN_DEPTH: u32 = 24;

/// How long the painted scene may take to appear on the root window.
const PAINT_TIMEOUT: Duration = Duration::from_secs(15);
/// How often the root window is looked at while waiting for the scene.
const PAINT_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The name of the PNG the capture command is asked to write.
const CAPTURE_FILE_NAME: &str = "screen.png";

/// What `cargo xtask demo` was asked to do.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Use a private Xvfb even when `DISPLAY` is set.
    pub force_virtual_display: bool,
    /// Where the PNG files go; `target/xtask-demo` when not given.
    pub output_directory: Option<PathBuf>,
}

/// Runs the demo.
///
/// # Errors
///
/// Fails when the virtual display cannot be started or painted, when the capture command
/// fails or writes no PNG, or when the capture of the virtual display differs from the scene.
pub fn run(options: &DemoOptions) -> Result<()> {
    let output_directory = options
        .output_directory
        .clone()
        .unwrap_or_else(|| crate::paths::project_root().join("target/xtask-demo"));
    prepare_output_directory(&output_directory)?;
    let capture_path = output_directory.join(CAPTURE_FILE_NAME);

    let existing_display = std::env::var("DISPLAY")
        .ok()
        .filter(|display| !display.is_empty());
    match existing_display {
        Some(display) if !options.force_virtual_display => {
            println!("capturing the existing display {display}");
            capture(&display, &capture_path)?;
            report_pngs(&output_directory)?;
        }
        _ => {
            println!("no display to capture (or --virtual given): starting a private Xvfb");
            system_packages::ensure_installed(system_packages::DEMO_REQUIREMENTS)?;
            let work_directory = output_directory.join("virtual-display");
            create_directory(&work_directory)?;
            let scene_path = work_directory.join("scene.png");
            draw_scene(&scene_path)?;
            let display = VirtualDisplay::start(
                SCREEN_WIDTH,
                SCREEN_HEIGHT,
                SCREEN_DEPTH,
                &work_directory.join("xvfb.log"),
            )?;
            println!("virtual display {} is up", display.name());
            paint_root_window(display.name(), &scene_path, &work_directory)?;
            capture(display.name(), &capture_path)?;
            report_pngs(&output_directory)?;
            check_capture_matches_scene(&capture_path, &scene_path)?;
        }
    }
    Ok(())
}

fn create_directory(directory: &Path) -> Result<()> {
    std::fs::create_dir_all(directory).map_err(|source| XtaskError::File {
        action: "cannot create",
        path: directory.to_owned(),
        source,
    })
}

/// Creates the output directory and removes PNGs of an earlier run, so the PNGs listed at the
/// end are the ones this run wrote.
fn prepare_output_directory(directory: &Path) -> Result<()> {
    create_directory(directory)?;
    for png in pngs_in(directory)? {
        std::fs::remove_file(&png).map_err(|source| XtaskError::File {
            action: "cannot remove the old capture",
            path: png.clone(),
            source,
        })?;
    }
    Ok(())
}

fn pngs_in(directory: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(directory).map_err(|source| XtaskError::File {
        action: "cannot list",
        path: directory.to_owned(),
        source,
    })?;
    let mut pngs: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.is_file() && path.extension().is_some_and(|extension| extension == "png")
        })
        .collect();
    pngs.sort();
    Ok(pngs)
}

/// Draws the scene with ImageMagick: a gradient with a few solid shapes, 8 bits per channel so
/// that a depth-24 screen shows it exactly. No text, because fonts may not be installed.
fn draw_scene(scene_path: &Path) -> Result<()> {
    Cmd::new("convert")
        .arg("-size")
        .arg(format!("{SCREEN_WIDTH}x{SCREEN_HEIGHT}"))
        .args([
            "gradient:#1d2b53-#83769c",
            "-fill",
            "#ff004d",
            "-draw",
            "rectangle 80,80 520,360",
            "-fill",
            "#ffa300",
            "-draw",
            "circle 900,300 900,460",
            "-fill",
            "#00e436",
            "-draw",
            "polygon 200,720 420,460 640,720",
            "-fill",
            "#fff1e8",
            "-draw",
            "rectangle 0,760 1279,799",
            "-depth",
            "8",
        ])
        .arg(scene_path)
        .run()
}

/// Sets the scene as the root window's background and waits until a grab of the root shows it
/// exactly, so the capture that follows cannot race the painting.
fn paint_root_window(display_name: &str, scene_path: &Path, work_directory: &Path) -> Result<()> {
    // `display -window root` sets the background and exits; ImageMagick 6 reports status 1
    // even when it worked, so success is judged by looking at the screen below instead.
    let painter = Cmd::new("display")
        .args(["-window", "root"])
        .arg(scene_path)
        .env("DISPLAY", display_name);
    painter.echo();
    let painter_output = painter
        .to_command()
        .stdin(Stdio::null())
        .output()
        .map_err(|source| XtaskError::CommandNotStarted {
            command: painter.display(),
            source,
        })?;

    let root_grab = work_directory.join("root.png");
    let started = Instant::now();
    let mut last_difference = String::from("no comparison made");
    while started.elapsed() < PAINT_TIMEOUT {
        let grabbed = Cmd::new("import")
            .args(["-window", "root"])
            .arg(&root_grab)
            .env("DISPLAY", display_name)
            .output_unchecked()?;
        if grabbed.status.success() {
            match differing_pixels(scene_path, &root_grab)? {
                Ok(0) => {
                    println!(
                        "the scene is on the root window ({:.1}s)",
                        started.elapsed().as_secs_f64()
                    );
                    return Ok(());
                }
                Ok(count) => last_difference = format!("{count} pixels still differ"),
                Err(message) => last_difference = message,
            }
        } else {
            last_difference = format!(
                "import failed: {}",
                String::from_utf8_lossy(&grabbed.stderr).trim()
            );
        }
        std::thread::sleep(PAINT_POLL_INTERVAL);
    }
    Err(XtaskError::Timeout {
        what: format!(
            "the scene to appear on {display_name} ({last_difference}); `display` said: {}",
            String::from_utf8_lossy(&painter_output.stderr).trim()
        ),
        waited: PAINT_TIMEOUT,
    })
}

/// Counts the pixels in which two images differ with ImageMagick's `compare -metric AE`.
/// The outer error is a failure to run `compare`; the inner one is `compare` refusing the images
/// (different sizes, unreadable file), described in its own words.
fn differing_pixels(expected: &Path, actual: &Path) -> Result<Result<u64, String>> {
    let command = Cmd::new("compare")
        .args(["-metric", "AE"])
        .arg(expected)
        .arg(actual)
        .arg("null:");
    let output = command.output_unchecked()?;
    // compare prints the count on standard error, sometimes in floating-point notation.
    let printed = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    Ok(match printed.parse::<f64>() {
        Ok(count) if count >= 0.0 && count.fract() == 0.0 => Ok(count as u64),
        _ => Err(format!("`{}` said: {printed}", command.display())),
    })
}

fn capture(display_name: &str, capture_path: &Path) -> Result<()> {
    let (program, arguments) = CAPTURE_COMMAND
        .split_first()
        .expect("CAPTURE_COMMAND names a program");
    let command = if *program == "cargo" {
        Cmd::cargo()
    } else {
        Cmd::new(program)
    };
    let command = command
        .args(arguments)
        .arg(capture_path)
        .env("DISPLAY", display_name);
    command.run().map_err(|error| {
        XtaskError::Check(format!(
            "{error}\nthe screen capture failed; the command is CAPTURE_COMMAND in \
             xtask/src/demo.rs"
        ))
    })
}

fn report_pngs(output_directory: &Path) -> Result<()> {
    let pngs = pngs_in(output_directory)?;
    if pngs.is_empty() {
        return Err(XtaskError::Check(format!(
            "the capture command succeeded but wrote no PNG in {}",
            output_directory.display()
        )));
    }
    println!("captured:");
    for png in &pngs {
        println!("  {}", png.display());
    }
    Ok(())
}

fn check_capture_matches_scene(capture_path: &Path, scene_path: &Path) -> Result<()> {
    match differing_pixels(scene_path, capture_path)? {
        Ok(0) => {
            println!(
                "{} matches the painted scene pixel for pixel",
                capture_path.display()
            );
            Ok(())
        }
        Ok(count) => Err(XtaskError::Check(format!(
            "{} differs from the painted scene {} in {count} pixels",
            capture_path.display(),
            scene_path.display()
        ))),
        Err(message) => Err(XtaskError::Check(format!(
            "cannot compare {} with the painted scene: {message}",
            capture_path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_command_names_a_program_and_leaves_the_path_last() {
        assert!(!CAPTURE_COMMAND.is_empty());
        assert_eq!(CAPTURE_COMMAND.last(), Some(&"--output"));
    }

    #[test]
    fn pngs_of_an_earlier_run_are_removed_and_others_kept() {
        let directory = crate::paths::project_root().join(format!(
            "target/xtask-tests/demo-output-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&directory).unwrap();
        std::fs::write(directory.join("old.png"), b"old").unwrap();
        std::fs::write(directory.join("notes.txt"), b"kept").unwrap();
        prepare_output_directory(&directory).unwrap();
        assert!(pngs_in(&directory).unwrap().is_empty());
        assert!(directory.join("notes.txt").exists());
        std::fs::remove_dir_all(&directory).unwrap();
    }
}
