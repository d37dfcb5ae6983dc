//! The command line's flags (clap derive).

use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};

/// Screenshots of an X11 display to PNG, compatible with python-mss's `mss` command.
///
/// Without a subcommand, `mss` takes a screenshot (as `mss shot`).
#[derive(Debug, Parser)]
#[command(
    name = "mss",
    version,
    disable_version_flag = true,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Print the version and exit.
    #[arg(short = 'v', long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,

    /// What to do; a screenshot when not given.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The screenshot flags, when no subcommand is given.
    #[command(flatten)]
    pub shot: ShotArgs,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Take screenshots (the default).
    Shot(ShotArgs),
    /// Describe the display: screen, backends, MIT-SHM, monitors.
    Info(InfoArgs),
    /// Measure grabs per second with each available backend.
    Bench(BenchArgs),
}

/// Which display and backend to use.
#[derive(Debug, Args, Clone)]
pub struct ConnectArgs {
    /// The X display (`:1`); `$DISPLAY` when not given.
    #[arg(long)]
    pub display: Option<String>,

    /// The capture backend (`mss info` lists them: `x11-shm`, `x11-getimage`); when not
    /// given, `$MSS_BACKEND`, else the best one for the session.
    #[arg(short = 'b', long)]
    pub backend: Option<String>,

    /// Capture the root of XWayland (the X server of a Wayland desktop) anyway: an X11 desktop
    /// on a rootful XWayland, black on a rootless one. Without it, XWayland is refused.
    #[arg(long)]
    pub xwayland: bool,

    /// Seconds each wait on the display may take (default 10; 0 waits without limit). A
    /// display that does not answer in time (a client holding a server grab, a stopped server,
    /// a silent network) is an error, exit code 1.
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout, allow_hyphen_values = true)]
    pub timeout: Option<WaitLimit>,
}

/// A `--timeout` value: the time per wait, or `None` for no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitLimit(pub Option<Duration>);

/// `--timeout`: seconds, non-negative and finite; 0 means no limit.
fn parse_timeout(text: &str) -> Result<WaitLimit, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!(
            "{text:?} is not a number of seconds (0 waits without limit)"
        ));
    }
    if seconds == 0.0 {
        return Ok(WaitLimit(None));
    }
    Duration::try_from_secs_f64(seconds)
        .map(|limit| WaitLimit(Some(limit)))
        .map_err(|error| format!("{text:?}: {error}"))
}

/// `mss shot`.
#[derive(Debug, Args, Clone)]
pub struct ShotArgs {
    /// Part of the screen, python-mss style: TOP,LEFT,WIDTH,HEIGHT or X11 geometry
    /// WxH{+|-}[+|-]X{+|-}[+|-]Y, relative to the monitor chosen with -m (monitor 0, the whole
    /// screen, when -m is 0 or -1) and cropped to the screen.
    #[arg(
        short = 'c',
        long,
        allow_hyphen_values = true,
        conflicts_with = "region"
    )]
    pub coordinates: Option<String>,

    /// Part of the screen in absolute screen coordinates: LEFT,TOP,WIDTH,HEIGHT or WxH+X+Y.
    /// Not cropped: a region off the screen is an error.
    #[arg(long, allow_hyphen_values = true)]
    pub region: Option<String>,

    /// PNG compression level, 0-9.
    #[arg(short = 'l', long, default_value_t = 6, value_parser = clap::value_parser!(u8).range(0..=9))]
    pub level: u8,

    /// The monitor: 0 = one file per monitor, -1 = all monitors in one image, N = monitor N.
    #[arg(short = 'm', long, default_value_t = 0, allow_negative_numbers = true)]
    pub monitor: i64,

    /// The output file name template: `{mon}`, `{top}`, `{left}`, `{width}`, `{height}`,
    /// `{date}` or `{date:%Y-%m-%d}`. Default `monitor-{mon}.png`, or `sct-{top}x{left}_{width}x{height}.png`
    /// with -c or --region. `-` writes to standard output; an existing device or FIFO is written
    /// to directly, a link is followed, a regular file is replaced atomically (keeping its mode);
    /// a file you may not write is refused.
    #[arg(short = 'o', long)]
    pub output: Option<String>,

    /// Draw the mouse pointer onto the screenshot.
    #[arg(long)]
    pub with_cursor: bool,

    /// Print nothing on success.
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Display and backend.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `mss info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,

    /// Display and backend.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `mss bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The monitor to grab (0 = the whole screen).
    #[arg(short = 'm', long, default_value_t = 0, allow_negative_numbers = true)]
    pub monitor: i64,

    /// A region to grab instead, in absolute screen coordinates: LEFT,TOP,WIDTH,HEIGHT or
    /// WxH+X+Y.
    #[arg(long, allow_hyphen_values = true)]
    pub region: Option<String>,

    /// Grabs per backend.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub frames: u32,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,

    /// Display and backend (only that backend is measured when given).
    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_seconds_and_zero_means_no_limit() {
        assert_eq!(
            parse_timeout("2").unwrap(),
            WaitLimit(Some(Duration::from_secs(2)))
        );
        assert_eq!(
            parse_timeout(" 0.25 ").unwrap(),
            WaitLimit(Some(Duration::from_millis(250)))
        );
        assert_eq!(parse_timeout("0").unwrap(), WaitLimit(None));
        for bad in ["-1", "nan", "inf", "two", "", "1e400"] {
            let error = parse_timeout(bad).unwrap_err();
            assert!(
                error.contains("seconds") || error.contains(bad),
                "{bad}: {error}"
            );
        }
    }
}
