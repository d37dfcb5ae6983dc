//! `mss shot`: screenshots to PNG, with python-mss's flags.

use std::path::Path;

use mss::{Backend, Capture, Mss, Region};

use crate::Failure;
use crate::cli::{ConnectArgs, ShotArgs};
use crate::geometry::{CommaOrder, Geometry, parse_geometry};

const MONITOR_TEMPLATE: &str = "monitor-{mon}.png";
const REGION_TEMPLATE: &str = "sct-{top}x{left}_{width}x{height}.png";

/// Opens the display as `connect` and `with_cursor` say.
///
/// Threads the capturer starts (an X11 connection's watchdog) inherit the signal mask of the
/// thread that opens it; interrupts are blocked while it opens, so that those threads never
/// take one and an interrupt always reaches the main thread, where a save holds interrupts
/// back for the instant a file is renamed into place.
pub fn open(connect: &ConnectArgs, with_cursor: bool) -> Result<Mss, Failure> {
    use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};
    let builder = builder(connect)?.with_cursor(with_cursor);
    let interrupts: SigSet = [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
    ]
    .into_iter()
    .collect();
    let mut previous = SigSet::empty();
    let blocked = pthread_sigmask(
        SigmaskHow::SIG_BLOCK,
        Some(&interrupts),
        Some(&mut previous),
    )
    .is_ok();
    let opened = builder.open();
    if blocked {
        let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(&previous), None);
    }
    Ok(opened?)
}

/// The builder for the display and backend `connect` names.
pub fn builder(connect: &ConnectArgs) -> Result<mss::MssBuilder, Failure> {
    let mut builder = Mss::builder().allow_xwayland(connect.xwayland);
    if let Some(limit) = connect.timeout {
        builder = builder.timeout(limit.0);
    }
    if let Some(display) = &connect.display {
        builder = builder.display(display);
    }
    if let Some(name) = &connect.backend {
        builder = builder.backend(Backend::from_name(name)?);
    }
    Ok(builder)
}

/// The limit on each wait `connect` asks for (`--timeout`), else the default.
pub fn wait_limit(connect: &ConnectArgs) -> Option<std::time::Duration> {
    connect
        .timeout
        .map_or(Some(mss::DEFAULT_TIMEOUT), |limit| limit.0)
}

/// Places `--region` text on the screen: absolute coordinates, not cropped.
pub fn absolute_region(text: &str, screen: &mut Mss) -> Result<Region, Failure> {
    let geometry = parse_geometry(text, CommaOrder::LeftTop)
        .map_err(|error| Failure::Usage(format!("--region: {error}")))?;
    let all = screen.monitors()?.all();
    let (left, top, width, height) = geometry.place(bounds(all));
    Ok(Region::from_signed(left, top, width, height)?)
}

fn bounds(region: Region) -> (i64, i64, i64, i64) {
    (
        i64::from(region.left()),
        i64::from(region.top()),
        i64::from(region.width()),
        i64::from(region.height()),
    )
}

/// Checks `-c` and `--region` text without a display, so usage errors come first; returns the
/// parsed `-c`.
pub fn parse_placement(
    coordinates: Option<&str>,
    region: Option<&str>,
) -> Result<Option<Geometry>, Failure> {
    let coordinates = coordinates
        .map(|text| parse_geometry(text, CommaOrder::TopLeft))
        .transpose()
        .map_err(|error| Failure::Usage(format!("-c/--coordinates: {error}")))?;
    if let Some(region) = region {
        parse_geometry(region, CommaOrder::LeftTop)
            .map_err(|error| Failure::Usage(format!("--region: {error}")))?;
    }
    Ok(coordinates)
}

/// The part of the screen `--region` (absolute, not cropped) or `-c` (relative to `monitor`,
/// the whole screen for 0 and -1, cropped to the screen) names, or `None` when neither is
/// given.
pub fn place(
    screen: &mut Mss,
    coordinates: Option<&Geometry>,
    region: Option<&str>,
    monitor: i64,
) -> Result<Option<Region>, Failure> {
    if let Some(region) = region {
        return absolute_region(region, screen).map(Some);
    }
    let Some(coordinates) = coordinates else {
        return Ok(None);
    };
    let monitors = screen.monitors()?;
    let reference = match monitor {
        0 | -1 => monitors.all(),
        number => monitors.get(number)?,
    };
    let (left, top, width, height) = coordinates.place(bounds(reference));
    let placed = Region::from_signed(left, top, width, height)?;
    // python-mss crops the placed rectangle to the whole screen.
    placed
        .intersection(&monitors.all())
        .map(Some)
        .ok_or_else(|| {
            Failure::Capture(format!(
                "coordinates {placed} lie entirely outside the screen of display {:?}, which is {}",
                monitors.display(),
                monitors.all()
            ))
        })
}

/// Runs `mss shot`.
pub fn run(arguments: &ShotArgs) -> Result<(), Failure> {
    // Parse everything that can be checked without a display first, so usage errors win.
    let coordinates = parse_placement(
        arguments.coordinates.as_deref(),
        arguments.region.as_deref(),
    )?;
    let partial = coordinates.is_some()
        || arguments.region.is_some()
        || arguments.window.is_some()
        || arguments.window_title.is_some();
    let template = arguments.output.as_deref().unwrap_or(if partial {
        REGION_TEMPLATE
    } else {
        MONITOR_TEMPLATE
    });
    // A bad template is bad usage even before anything is grabbed.
    mss::render_template(
        template,
        &mss::TemplateValues::new(0, Region::new(0, 0, 1, 1).expect("a 1x1 region")),
    )?;

    let mut screen = open(&arguments.connect, arguments.with_cursor)?;
    let window = match (&arguments.window, &arguments.window_title) {
        (Some(id), _) => Some(*id),
        (None, Some(text)) => Some(window_by_title(&mut screen, text)?),
        (None, None) => None,
    };
    if let Some(window) = window {
        let written = screen.save_window(window, template, arguments.level)?;
        print_written(&[written], arguments.quiet);
        return Ok(());
    }
    let placed = place(
        &mut screen,
        coordinates.as_ref(),
        arguments.region.as_deref(),
        arguments.monitor,
    )?;
    let written = if let Some(region) = placed {
        vec![screen.save_region(region, arguments.monitor, template, arguments.level)?]
    } else {
        match screen.save(arguments.monitor, template, arguments.level) {
            Ok(written) => written,
            // Every monitor that could be saved was: say which, then each failure.
            Err(mss::Error::MonitorsFailed {
                written, failures, ..
            }) => {
                print_written(&written, arguments.quiet);
                return Err(Failure::Captures(
                    failures
                        .iter()
                        .map(|(monitor, error)| format!("monitor {monitor}: {error}"))
                        .collect(),
                ));
            }
            Err(error) => return Err(error.into()),
        }
    };
    print_written(&written, arguments.quiet);
    Ok(())
}

/// The one window whose title contains `text`; among several, the one shown (not hidden or
/// minimized), if only one is.
fn window_by_title(screen: &mut Mss, text: &str) -> Result<u64, Failure> {
    let mut matching: Vec<mss::Window> = screen
        .windows()?
        .into_iter()
        .filter(|window| {
            window
                .title
                .as_deref()
                .is_some_and(|title| title.contains(text))
        })
        .collect();
    let shown: Vec<&mss::Window> = matching.iter().filter(|window| window.viewable).collect();
    if let [window] = shown.as_slice() {
        return Ok(window.id);
    }
    if matching.len() > 1 && !shown.is_empty() {
        matching.retain(|window| window.viewable);
    }
    match matching.as_slice() {
        [window] => Ok(window.id),
        [] => Err(Failure::Capture(format!(
            "no window's title contains {text:?} (`mss windows` lists them)"
        ))),
        several => Err(Failure::Capture(format!(
            "{} windows' titles contain {text:?}: {}; choose one with --window ID",
            several.len(),
            several
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ))),
    }
}

/// Prints the absolute path of each file written, unless `quiet`, and never of standard output
/// itself (`-`, `/dev/stdout`), which carries the PNG.
fn print_written(written: &[std::path::PathBuf], quiet: bool) {
    if quiet {
        return;
    }
    for path in written {
        if !is_standard_output(path) {
            println!("{}", absolute(path).display());
        }
    }
}

/// Whether `path` is `-` or names the file standard output is.
fn is_standard_output(path: &Path) -> bool {
    use std::os::fd::AsFd as _;
    use std::os::unix::fs::MetadataExt as _;
    if path == Path::new("-") {
        return true;
    }
    let Ok(target) = std::fs::metadata(path) else {
        return false;
    };
    let stdout = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .and_then(|fd| std::fs::File::from(fd).metadata());
    stdout.is_ok_and(|stdout| stdout.dev() == target.dev() && stdout.ino() == target.ino())
}

fn absolute(path: &Path) -> std::path::PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}
