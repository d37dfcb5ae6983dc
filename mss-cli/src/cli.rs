//! The command line's flags (clap derive).

use std::time::Duration;

use clap::{ArgAction, Args, Parser, Subcommand};

/// Screenshots of an X11 or Wayland display to PNG, compatible with python-mss's `mss` command.
///
/// Without a subcommand, `mss` takes a screenshot (as `mss shot`).
#[derive(Debug, Parser)]
#[command(
    name = "mss",
    version,
    disable_version_flag = true,
    args_conflicts_with_subcommands = true,
    after_help = ENVIRONMENT
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

/// The environment variables `mss` reads, for `--help`.
const ENVIRONMENT: &str = "Environment:
  MSS_BACKEND                the backend to use when -b is not given
  MSS_PIPEWIRE_SOURCE        mutter or portal: where the pipewire backend gets its screen casts
                             (default: GNOME's own interface when it is there, else the portal)
  MSS_PORTAL_RESTORE_TOKEN   a screen-cast portal restore token to try first (read from the
                             environment, which other users cannot read, unlike arguments);
                             the portal's tokens are kept in $XDG_STATE_HOME/mss/ by default";

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Take screenshots (the default).
    Shot(ShotArgs),
    /// Describe the display: screen, backends, MIT-SHM, monitors.
    Info(InfoArgs),
    /// List the applications' windows (X11): id, title, class, process, place, state.
    Windows(WindowsArgs),
    /// Record frames continuously: a PNG sequence, or raw frames to pipe into ffmpeg.
    Record(RecordArgs),
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

    /// Seconds each wait may take (default 10; 0 waits without limit; at most 365 days): on
    /// the display (the user's answer to a screen-cast portal's dialog too), and on the output (a FIFO nobody opens, a reader that stops reading, a
    /// recording's writer that takes no frame). A wait that ends without an answer (a client
    /// holding a server grab, a stopped server, a silent network, a stuck reader) is an
    /// error, exit code 1.
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout, allow_hyphen_values = true)]
    pub timeout: Option<WaitLimit>,
}

/// A `--timeout` value: the time per wait, or `None` for no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitLimit(pub Option<Duration>);

/// The longest `--timeout` or `--duration`: 365 days. Longer ones would overflow the clock's
/// arithmetic (`--timeout 1e19` crashed); `--timeout 0` waits without limit, and a recording
/// without `--duration` goes on until stopped.
pub const MAX_SECONDS: f64 = 365.0 * 24.0 * 3600.0;

/// Seconds as `--timeout` and `--duration` take them: a finite number from `minimum` (exclusive
/// when `exclusive`) up to [`MAX_SECONDS`], with `what` in the messages.
fn parse_seconds(text: &str, what: &str) -> Result<f64, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!("{text:?} is not a number of seconds ({what})"));
    }
    if seconds > MAX_SECONDS {
        return Err(format!(
            "{text:?} seconds is more than 365 days, the longest allowed ({what})"
        ));
    }
    Ok(seconds)
}

/// `--timeout`: seconds, from 0.001 to 365 days; 0 means no limit.
fn parse_timeout(text: &str) -> Result<WaitLimit, String> {
    let seconds = parse_seconds(text, "0 waits without limit")?;
    if seconds == 0.0 {
        return Ok(WaitLimit(None));
    }
    if seconds < 0.001 {
        return Err(format!(
            "{text:?}: a timeout is at least 0.001 seconds (0 waits without limit)"
        ));
    }
    Ok(WaitLimit(Some(Duration::from_secs_f64(seconds))))
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
    /// with -c or --region. `-`, /dev/stdout and /dev/fd/N write into those descriptors (a file
    /// there at its offset, so `>>` appends); an existing device, FIFO or socket is written to
    /// directly, a link is followed, a regular file is replaced atomically (keeping its mode);
    /// a file you may not write, or another user's file or link in a shared directory like
    /// /tmp, is refused.
    #[arg(short = 'o', long)]
    pub output: Option<String>,

    /// Draw the mouse pointer onto the screenshot (with --window, where it lies over the
    /// window).
    #[arg(long)]
    pub with_cursor: bool,

    /// Save one window instead (X11), by id as `mss windows` lists it (decimal or 0x hex): its
    /// whole contents, also where other windows cover it or the screen's edge cuts it.
    #[arg(long, value_name = "ID", value_parser = parse_window_id, conflicts_with_all = ["coordinates", "region", "window_title"])]
    pub window: Option<u64>,

    /// Save the one window whose title contains TEXT (case-sensitive); among several, the one
    /// shown if only one is; otherwise an error listing them.
    #[arg(long, value_name = "TEXT", conflicts_with_all = ["coordinates", "region"])]
    pub window_title: Option<String>,

    /// Print nothing on success.
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Display and backend.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `--window`: a window id, decimal or `0x` hex.
fn parse_window_id(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("{text:?} is not a window id (decimal, or hex with 0x)"))
}

/// `mss windows`.
#[derive(Debug, Args)]
pub struct WindowsArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,

    /// Display and backend.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// What `mss record` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RecordFormat {
    /// One PNG per frame (a sequence of files, or PNGs one after another into `-`, a FIFO or a
    /// device, as ffmpeg's `image2pipe` reads them).
    Png,
    /// The frames' own bytes, rows packed, one frame after another; the matching ffmpeg input
    /// arguments are printed on standard error.
    Raw,
}

/// `mss record`.
#[derive(Debug, Args, Clone)]
pub struct RecordArgs {
    /// The monitor: N = monitor N, 0 or -1 = the whole screen.
    #[arg(short = 'm', long, default_value_t = 0, allow_negative_numbers = true)]
    pub monitor: i64,

    /// Part of the screen, as `mss shot -c`: TOP,LEFT,WIDTH,HEIGHT or X11 geometry, relative to
    /// the monitor and cropped to the screen.
    #[arg(
        short = 'c',
        long,
        allow_hyphen_values = true,
        conflicts_with = "region"
    )]
    pub coordinates: Option<String>,

    /// Part of the screen in absolute coordinates, as `mss shot --region`.
    #[arg(long, allow_hyphen_values = true)]
    pub region: Option<String>,

    /// Frames a second, on a steady cadence (ticks the machine cannot keep up with are dropped
    /// and counted); 0 takes each frame as soon as the last is handed on.
    #[arg(long, default_value_t = 30.0, value_parser = parse_fps, allow_hyphen_values = true)]
    pub fps: f64,

    /// Stop after this many frames.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "duration")]
    pub frames: Option<u64>,

    /// Stop after this many seconds (at most 365 days). Without --frames or --duration, recording goes on until
    /// interrupted (Ctrl-C, SIGTERM, SIGHUP), which stops it cleanly: every frame captured is
    /// written whole, and the exit code is 0.
    #[arg(long, value_name = "SECONDS", value_parser = parse_duration)]
    pub duration: Option<Duration>,

    /// Write a frame only when the screen changed since the last one written (the first frame
    /// is always written). On an idle screen nothing is captured or written.
    #[arg(long)]
    pub changes_only: bool,

    /// Find changes by comparing frames instead of asking the display (X11 DAMAGE); for
    /// drivers known to report changes badly.
    #[arg(long)]
    pub no_damage: bool,

    /// Captures under way at once (1-4); 2 or more overlap the display's copy with writing.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=4))]
    pub in_flight: u8,

    /// Draw the mouse pointer onto each frame.
    #[arg(long)]
    pub with_cursor: bool,

    /// What to write.
    #[arg(long, value_enum, default_value_t = RecordFormat::Png)]
    pub format: RecordFormat,

    /// Where: for PNG a template with `{n}` (the frame number from 1, `{n:05}` zero-padded) and
    /// the placeholders of `mss shot`, default `frame-{n:05}.png`; `-`, /dev/stdout, a FIFO or a
    /// device get every frame one after another. For raw: `-` (the default), a FIFO, a device
    /// or a file (written as NAME.part while recording, renamed to NAME at the end; after a
    /// crash NAME.part holds every whole frame written).
    #[arg(short = 'o', long)]
    pub output: Option<String>,

    /// Replace files that already exist (without it they are refused, and nothing is
    /// overwritten).
    #[arg(long)]
    pub overwrite: bool,

    /// PNG compression level, 0-9 (1 is several times faster than 6 on busy screens).
    #[arg(short = 'l', long, default_value_t = 6, value_parser = clap::value_parser!(u8).range(0..=9))]
    pub level: u8,

    /// Print nothing but errors (no progress, no summary, no ffmpeg arguments).
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Display and backend.
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// `--fps`: a finite number of frames a second, 0 for as fast as possible.
fn parse_fps(text: &str) -> Result<f64, String> {
    let fps: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of frames a second"))?;
    if !fps.is_finite() || fps < 0.0 || (fps > 0.0 && fps < 0.001) || fps > 10_000.0 {
        return Err(format!(
            "{text:?}: frames a second go from 0.001 to 10000 (0 = as fast as possible)"
        ));
    }
    Ok(fps)
}

/// `--duration`: seconds above 0 (at least a nanosecond), at most 365 days.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let seconds = parse_seconds(text, "the duration must be above 0 seconds")?;
    let duration = Duration::from_secs_f64(seconds);
    if duration.is_zero() {
        return Err(format!("{text:?}: the duration must be above 0 seconds"));
    }
    Ok(duration)
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

    /// Measure streaming instead: with a consumer that reads every byte of every frame, grab
    /// then read one frame at a time (`sequential_ms_per_frame`) against the backend's stream
    /// (`stream_ms_per_frame`), alternating in rounds.
    #[arg(long)]
    pub stream: bool,

    /// With --stream: captures under way at once in the stream (1-8).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=8), requires = "stream")]
    pub in_flight: u8,

    /// With --stream: whole frames, without the display's change tracking (so every frame is
    /// copied in full even when the screen is still).
    #[arg(long, requires = "stream")]
    pub no_damage: bool,

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
        assert_eq!(
            parse_timeout("31536000").unwrap(),
            WaitLimit(Some(Duration::from_secs(31_536_000)))
        );
        for bad in [
            "-1", "nan", "inf", "two", "", "1e400", "1e19", "31536001", "1e-10", "-0.5",
        ] {
            let error = parse_timeout(bad).unwrap_err();
            assert!(
                error.contains("seconds") || error.contains(bad),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn window_ids_are_decimal_or_hex() {
        assert_eq!(parse_window_id("4194307").unwrap(), 4_194_307);
        assert_eq!(parse_window_id("0x400003").unwrap(), 0x40_0003);
        assert_eq!(parse_window_id(" 0X1A ").unwrap(), 0x1a);
        for bad in ["", "0x", "window", "-3", "0xZZ"] {
            assert!(parse_window_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rates_and_durations_are_checked() {
        assert_eq!(parse_fps("0").unwrap(), 0.0);
        assert_eq!(parse_fps("59.94").unwrap(), 59.94);
        for bad in ["-1", "nan", "inf", "0.0001", "20000", "fast"] {
            assert!(parse_fps(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("1e-9").unwrap(), Duration::from_nanos(1));
        for bad in [
            "0", "-2", "nan", "inf", "1e400", "long", "1e19", "4e-10", "31536001",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Whatever the text, the parsers answer without panicking, and what they accept can
        /// be added to the clock (a deadline, a recording's end) without overflowing.
        #[test]
        fn number_parsers_never_panic_and_accept_only_usable_values(
            text in "[-+0-9.eEinfaxX ]{0,24}|\\PC{0,12}",
        ) {
            let now = std::time::Instant::now();
            if let Ok(WaitLimit(Some(limit))) = parse_timeout(&text) {
                proptest::prop_assert!(now.checked_add(limit).is_some(), "{text}");
                proptest::prop_assert!(limit >= Duration::from_millis(1), "{text}");
            }
            if let Ok(duration) = parse_duration(&text) {
                proptest::prop_assert!(now.checked_add(duration).is_some(), "{text}");
                proptest::prop_assert!(!duration.is_zero(), "{text}");
            }
            if let Ok(fps) = parse_fps(&text) {
                proptest::prop_assert!(fps == 0.0 || (0.001..=10_000.0).contains(&fps));
            }
            let _ = parse_window_id(&text);
        }
    }
}
