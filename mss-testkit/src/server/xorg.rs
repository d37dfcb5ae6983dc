//! [`DummyOptions`], starting Xorg with the dummy video driver, and changing its outputs with
//! `xrandr`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use super::{ServerError, ServerKind, XServer, launch, server_temp_dir};

/// How an Xorg server with the dummy video driver is started.
///
/// # What works with the dummy driver (driver 0.4.0, Xorg 21.1, observed)
///
/// - `DUMMY0` starts connected and primary at the largest mode that fits the `Virtual` size;
///   `DUMMY1` to `DUMMY15` start disconnected and with no modes.
/// - A mode from the server's list (such as `1280x720`) must be added to a disconnected output
///   with `xrandr --addmode OUTPUT MODE` before `--output OUTPUT --mode MODE` accepts it; adding
///   a mode an output already has is harmless.
/// - Modes the server does not know are created with `xrandr --newmode NAME CLOCK HDISP
///   HSYNCSTART HSYNCEND HTOTAL VDISP VSYNCSTART VSYNCEND VTOTAL`; creating an existing name
///   again fails with `BadName`, so [`XServer::ensure_mode`] only creates after `--addmode`
///   said "cannot find mode". The timings only need to be inside the wide sync ranges of the
///   generated config ([`XServer::ensure_mode`] uses about 60 Hz; `333x211` at 4.9 MHz works).
/// - `xrandr` grows or shrinks the root window to fit the enabled outputs (up to `Virtual`).
/// - `-displayfd` works with Xorg exactly as with Xvfb, and startup takes well under a second.
/// - When the root grows past the painted [`Scene`](crate::Scene), the background pixmap tiles
///   into the new area; [`Scene::expected`](crate::Scene::expected) follows that tiling.
/// - Xorg refuses an absolute `-config` path unless it runs as root; the test machines run
///   tests as root.
#[derive(Clone, Debug, PartialEq)]
pub struct DummyOptions {
    virtual_width: u32,
    virtual_height: u32,
    depth: u8,
    video_ram_kib: u32,
    binary: PathBuf,
    timeout: Duration,
}

impl Default for DummyOptions {
    /// A 4096x2160 virtual screen at depth 24.
    fn default() -> Self {
        Self::new()
    }
}

impl DummyOptions {
    /// A 4096x2160 virtual screen (the largest root the outputs can span) at depth 24.
    pub fn new() -> Self {
        Self {
            virtual_width: 4096,
            virtual_height: 2160,
            depth: 24,
            video_ram_kib: 256_000,
            binary: PathBuf::from("Xorg"),
            timeout: Duration::from_secs(30),
        }
    }

    /// Sets the virtual screen size, the largest root window the outputs can span. The video
    /// memory grows to fit.
    #[must_use]
    pub fn virtual_size(mut self, width: u32, height: u32) -> Self {
        self.virtual_width = width;
        self.virtual_height = height;
        self.video_ram_kib = self.video_ram_kib.max(width * height * 4 / 1024 + 1024);
        self
    }

    /// Sets the root depth (16 or 24).
    #[must_use]
    pub fn depth(mut self, depth: u8) -> Self {
        self.depth = depth;
        self
    }

    /// Runs this program instead of `Xorg` from `PATH`.
    #[must_use]
    pub fn binary(mut self, binary: impl Into<PathBuf>) -> Self {
        self.binary = binary.into();
        self
    }

    /// How long the server may take to report its display (30 s by default; Xorg loads
    /// modules and is slower to start than Xvfb).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `xorg.conf` text: a dummy Device with enough video memory, a Monitor with sync
    /// ranges wide enough for any mode, and a Screen with the virtual size. Input devices are
    /// not added: tests need none, and hot-plugging them would only slow the start.
    pub fn config(&self) -> String {
        format!(
            r#"Section "ServerFlags"
    Option "AutoAddDevices" "false"
    Option "AutoEnableDevices" "false"
    Option "DontVTSwitch" "true"
EndSection

Section "Device"
    Identifier "mss-dummy-device"
    Driver "dummy"
    VideoRam {video_ram}
EndSection

Section "Monitor"
    Identifier "mss-dummy-monitor"
    HorizSync 5.0 - 1000.0
    VertRefresh 5.0 - 200.0
EndSection

Section "Screen"
    Identifier "mss-dummy-screen"
    Device "mss-dummy-device"
    Monitor "mss-dummy-monitor"
    DefaultDepth {depth}
    SubSection "Display"
        Depth {depth}
        Virtual {width} {height}
    EndSubSection
EndSection
"#,
            video_ram = self.video_ram_kib,
            depth = self.depth,
            width = self.virtual_width,
            height = self.virtual_height,
        )
    }
}

pub(super) fn start(options: &DummyOptions) -> Result<XServer, ServerError> {
    let temp_dir = server_temp_dir()?;
    let config_path = temp_dir.path().join("xorg.conf");
    let config_dir = temp_dir.path().join("xorg.conf.d");
    let xorg_log = temp_dir.path().join("xorg.log");
    let write_error = |path: &PathBuf| {
        let context = format!("writing {}", path.display());
        move |source| ServerError::Io { context, source }
    };
    std::fs::write(&config_path, options.config()).map_err(write_error(&config_path))?;
    // An empty configuration directory keeps the machine's own xorg.conf.d snippets out.
    std::fs::create_dir(&config_dir).map_err(write_error(&config_dir))?;
    let arguments: Vec<OsString> = vec![
        "-noreset".into(),
        "-nolisten".into(),
        "tcp".into(),
        "-config".into(),
        config_path.into(),
        "-configdir".into(),
        config_dir.into(),
        "-logfile".into(),
        xorg_log.into(),
    ];
    launch(
        &options.binary,
        &arguments,
        ServerKind::XorgDummy,
        temp_dir,
        options.timeout,
        false,
    )
}

impl XServer {
    /// Makes `mode` available on `output`: adds it with `xrandr --addmode`, first creating it
    /// with `xrandr --newmode` when the server does not know it and it is named `WIDTHxHEIGHT`.
    ///
    /// # Errors
    ///
    /// [`ServerError::CommandFailed`] when xrandr refuses, [`ServerError::Layout`] for an
    /// unknown mode whose name is not `WIDTHxHEIGHT`.
    pub fn ensure_mode(&self, output: &str, mode: &str) -> Result<(), ServerError> {
        match self.xrandr(&["--addmode", output, mode]) {
            Ok(_) => return Ok(()),
            Err(ServerError::CommandFailed { stderr, .. })
                if stderr.contains("cannot find mode") => {}
            Err(error) => return Err(error),
        }
        let (width, height) = parse_mode_size(mode).ok_or_else(|| ServerError::Layout {
            display: self.display().to_owned(),
            reason: format!(
                "mode {mode:?} is not known to the server and is not named WIDTHxHEIGHT, so it cannot be created"
            ),
        })?;
        let timings = mode_line(width, height);
        let mut arguments = vec!["--newmode", mode];
        arguments.extend(timings.iter().map(String::as_str));
        self.xrandr(&arguments)?;
        self.xrandr(&["--addmode", output, mode])?;
        Ok(())
    }

    /// Turns `output` on at `mode` (`1280x720`), right of `right_of` when given. The root
    /// window grows to fit.
    ///
    /// # Errors
    ///
    /// As [`ensure_mode`](Self::ensure_mode).
    pub fn enable_output(
        &self,
        output: &str,
        mode: &str,
        right_of: Option<&str>,
    ) -> Result<(), ServerError> {
        self.ensure_mode(output, mode)?;
        let mut arguments = vec!["--output", output, "--mode", mode];
        if let Some(neighbour) = right_of {
            arguments.extend(["--right-of", neighbour]);
        }
        self.xrandr(&arguments)?;
        Ok(())
    }

    /// Changes the mode of an enabled `output`, keeping its position.
    ///
    /// # Errors
    ///
    /// As [`ensure_mode`](Self::ensure_mode).
    pub fn set_mode(&self, output: &str, mode: &str) -> Result<(), ServerError> {
        self.ensure_mode(output, mode)?;
        self.xrandr(&["--output", output, "--mode", mode])?;
        Ok(())
    }

    /// Makes `output` the primary one.
    ///
    /// # Errors
    ///
    /// [`ServerError::CommandFailed`] when xrandr refuses.
    pub fn set_primary(&self, output: &str) -> Result<(), ServerError> {
        self.xrandr(&["--output", output, "--primary"])?;
        Ok(())
    }

    /// Turns `output` off.
    ///
    /// # Errors
    ///
    /// [`ServerError::CommandFailed`] when xrandr refuses.
    pub fn disable_output(&self, output: &str) -> Result<(), ServerError> {
        self.xrandr(&["--output", output, "--off"])?;
        Ok(())
    }
}

/// `1280x720` as `(1280, 720)`.
fn parse_mode_size(mode: &str) -> Option<(u32, u32)> {
    let (width, height) = mode.split_once('x')?;
    Some((width.parse().ok()?, height.parse().ok()?))
}

/// Timings for a mode of `width` x `height` at about 60 Hz: small porches and sync pulses, and
/// the pixel clock that gives 60 frames a second, in xrandr's `--newmode` order.
fn mode_line(width: u32, height: u32) -> Vec<String> {
    let (horizontal_total, vertical_total) = (width + 40, height + 10);
    let clock_mhz = f64::from(horizontal_total) * f64::from(vertical_total) * 60.0 / 1_000_000.0;
    vec![
        format!("{clock_mhz:.3}"),
        width.to_string(),
        (width + 8).to_string(),
        (width + 24).to_string(),
        horizontal_total.to_string(),
        height.to_string(),
        (height + 2).to_string(),
        (height + 5).to_string(),
        vertical_total.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_names_parse_and_timings_are_ordered() {
        assert_eq!(parse_mode_size("1280x720"), Some((1280, 720)));
        assert_eq!(parse_mode_size("1280x720_60"), None);
        assert_eq!(parse_mode_size("big"), None);
        let timings = mode_line(333, 211);
        assert_eq!(timings[1..5], ["333", "341", "357", "373"]);
        assert_eq!(timings[5..], ["211", "213", "216", "221"]);
        // 373 * 221 * 60 = 4946280 Hz.
        assert_eq!(timings[0], "4.946");
    }

    #[test]
    fn config_names_the_dummy_driver_and_virtual_size() {
        let config = DummyOptions::new().virtual_size(5000, 3000).config();
        assert!(config.contains("Driver \"dummy\""));
        assert!(config.contains("Virtual 5000 3000"));
        // 5000 * 3000 * 4 bytes / 1024 + 1024 = 59617 KiB is below the default 256000.
        assert!(config.contains("VideoRam 256000"));
        let huge = DummyOptions::new().virtual_size(8192, 8192).config();
        assert!(huge.contains("VideoRam 263168"), "{huge}");
    }
}
