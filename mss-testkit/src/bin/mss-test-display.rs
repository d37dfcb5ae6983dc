//! `mss-test-display`: a test display server with the known scene, for tests written in
//! another language (the Python module's pytest suite).
//!
//! It starts the server, paints the pattern every pixel of which encodes its coordinates
//! (`mss_testkit::pattern`), prints `display NAME` (and, for sway, `runtime-dir PATH`) then
//! `ready`, and then answers one command a line on standard input, `ok` (with a value) or
//! `error MESSAGE` on standard output:
//!
//! - `paint LEFT TOP WIDTH HEIGHT R G B`: fills a rectangle and returns once it is shown;
//! - `window SEED LEFT TOP WIDTH HEIGHT TITLE`: a window showing the pattern seeded `SEED`
//!   (`mss_testkit::x11_windows::window_colour`), shown; answers `ok ID` (X11 only);
//! - `unmap ID`, `destroy ID`: hides or destroys such a window.
//!
//! The server stops when standard input closes (the test is over, or died).
//!
//! ```text
//! mss-test-display xvfb 640x480 [DEPTH]
//! mss-test-display xorg DUMMY0=1400x1050 DUMMY1=1280x720 [--primary DUMMY1]
//! mss-test-display sway 640x480 320x240
//! ```
#![forbid(unsafe_code)]

use std::io::{BufRead, Write};
use std::process::ExitCode;

use mss_core::{Region, Rgba};
use mss_testkit::{
    DummyOptions, KnownScene, SwayOptions, TestServer, TestWindows, WaylandServer, XServer,
    XvfbOptions,
};

/// A started server, kept alive until the end.
enum Server {
    X11(XServer),
    Wayland(WaylandServer),
}

impl Server {
    fn as_test_server(&self) -> &dyn TestServer {
        match self {
            Server::X11(server) => server,
            Server::Wayland(server) => server,
        }
    }
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let server = match start(&arguments) {
        Ok(server) => server,
        Err(message) => {
            eprintln!("mss-test-display: {message}");
            return ExitCode::from(1);
        }
    };
    let mut scene = match server.as_test_server().paint_scene() {
        Ok(scene) => scene,
        Err(error) => {
            eprintln!("mss-test-display: cannot paint the scene: {error}");
            return ExitCode::from(1);
        }
    };
    let mut stdout = std::io::stdout().lock();
    let mut announce = |line: String| {
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
    };
    announce(format!("display {}", server.as_test_server().display()));
    if let Server::Wayland(wayland) = &server {
        announce(format!("runtime-dir {}", wayland.runtime_dir().display()));
    }
    announce("ready".to_owned());
    let mut windows: Option<TestWindows> = None;
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let answer = match command(&server, scene.as_mut(), &mut windows, &line) {
            Ok(value) if value.is_empty() => "ok".to_owned(),
            Ok(value) => format!("ok {value}"),
            Err(message) => format!("error {}", message.replace('\n', " ")),
        };
        announce(answer);
    }
    ExitCode::SUCCESS
}

/// The server the arguments ask for, started.
fn start(arguments: &[String]) -> Result<Server, String> {
    let (kind, rest) = arguments
        .split_first()
        .ok_or("usage: mss-test-display xvfb|xorg|sway ...")?;
    match kind.as_str() {
        "xvfb" => {
            let (width, height) = size(rest.first().map_or("640x480", String::as_str))?;
            let depth = rest
                .get(1)
                .map_or(Ok(24), |depth| depth.parse::<u8>())
                .map_err(|error| format!("depth: {error}"))?;
            XServer::xvfb(&XvfbOptions::new(width, height, depth))
                .map(Server::X11)
                .map_err(|error| error.to_string())
        }
        "xorg" => {
            let server =
                XServer::xorg_dummy(&DummyOptions::new()).map_err(|error| error.to_string())?;
            let mut previous: Option<&str> = None;
            let mut outputs = rest.iter();
            while let Some(argument) = outputs.next() {
                if argument == "--primary" {
                    let output = outputs.next().ok_or("--primary needs an output")?;
                    server
                        .set_primary(output)
                        .map_err(|error| error.to_string())?;
                    continue;
                }
                let (output, mode) = argument
                    .split_once('=')
                    .ok_or_else(|| format!("{argument:?} is not OUTPUT=WIDTHxHEIGHT"))?;
                match previous {
                    None => server.set_mode(output, mode),
                    Some(left) => server.enable_output(output, mode, Some(left)),
                }
                .map_err(|error| error.to_string())?;
                previous = Some(output);
            }
            Ok(Server::X11(server))
        }
        "sway" => {
            let sizes = rest
                .iter()
                .map(|argument| size(argument))
                .collect::<Result<Vec<_>, _>>()?;
            let options = if sizes.is_empty() {
                SwayOptions::new()
            } else {
                SwayOptions::new().outputs(&sizes)
            };
            WaylandServer::start(&options)
                .map(Server::Wayland)
                .map_err(|error| error.to_string())
        }
        other => Err(format!("unknown server {other:?}: xvfb, xorg or sway")),
    }
}

/// `640x480` as `(640, 480)`.
fn size(text: &str) -> Result<(u32, u32), String> {
    let (width, height) = text
        .split_once('x')
        .ok_or_else(|| format!("{text:?} is not WIDTHxHEIGHT"))?;
    let number = |value: &str| {
        value
            .parse::<u32>()
            .map_err(|error| format!("{text:?}: {error}"))
    };
    Ok((number(width)?, number(height)?))
}

/// Runs one command line; the value to answer with `ok`.
fn command(
    server: &Server,
    scene: &mut dyn KnownScene,
    windows: &mut Option<TestWindows>,
    line: &str,
) -> Result<String, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let number = |index: usize| -> Result<i64, String> {
        words
            .get(index)
            .ok_or_else(|| format!("{line:?}: argument {index} is missing"))?
            .parse::<i64>()
            .map_err(|error| format!("{line:?}: argument {index}: {error}"))
    };
    let region = |first: usize| -> Result<Region, String> {
        Region::from_signed(
            number(first)?,
            number(first + 1)?,
            number(first + 2)?,
            number(first + 3)?,
        )
        .map_err(|error| error.to_string())
    };
    let channel = |index: usize| -> Result<u8, String> {
        u8::try_from(number(index)?).map_err(|error| format!("{line:?}: argument {index}: {error}"))
    };
    let window_id = |index: usize| -> Result<u32, String> {
        u32::try_from(number(index)?)
            .map_err(|error| format!("{line:?}: argument {index}: {error}"))
    };
    match words.first().copied() {
        Some("paint") => {
            let colour = Rgba::rgb(channel(5)?, channel(6)?, channel(7)?);
            scene
                .paint_rect(region(1)?, colour)
                .map_err(|error| error.to_string())?;
            Ok(String::new())
        }
        Some("window") => {
            let seed = u32::try_from(number(1)?).map_err(|error| error.to_string())?;
            let placed = region(2)?;
            let title = words
                .get(6..)
                .map(|title| title.join(" "))
                .unwrap_or_default();
            let id = connected(server, windows)?
                .create(placed, &title, ("mss-test", "MssTest"), seed)
                .map_err(|error| error.to_string())?;
            Ok(id.to_string())
        }
        Some("unmap") => {
            let id = window_id(1)?;
            connected(server, windows)?
                .unmap(id)
                .map_err(|error| error.to_string())?;
            Ok(String::new())
        }
        Some("destroy") => {
            let id = window_id(1)?;
            connected(server, windows)?
                .destroy(id)
                .map_err(|error| error.to_string())?;
            Ok(String::new())
        }
        Some(other) => Err(format!(
            "unknown command {other:?}: paint, window, unmap or destroy"
        )),
        None => Err("an empty command".to_owned()),
    }
}

/// The windows of an X11 server, connected on first use.
fn connected<'a>(
    server: &Server,
    windows: &'a mut Option<TestWindows>,
) -> Result<&'a mut TestWindows, String> {
    let Server::X11(x11) = server else {
        return Err("windows are made on X11 servers only".to_owned());
    };
    if windows.is_none() {
        *windows = Some(TestWindows::connect(x11.display()).map_err(|error| error.to_string())?);
    }
    Ok(windows.as_mut().expect("connected above"))
}
