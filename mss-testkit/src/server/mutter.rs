//! [`MutterOptions`] and [`MutterServer`]: GNOME's compositor, headless, with the services a
//! screen cast needs, on a private session bus.
//!
//! # What works (mutter 43.8, PipeWire 0.3.65, WirePlumber 0.4, Debian 12, observed)
//!
//! - As root, with a private `XDG_RUNTIME_DIR` (mode 700), `HOME` and XDG directories: a
//!   session bus (`dbus-daemon --session` on a socket in the runtime directory, which prints
//!   its address once it listens), `pipewire` (its socket `pipewire-0` appears there),
//!   `wireplumber` (the session manager that links a screen-cast stream to its reader), and
//!   `mutter --headless --no-x11 --virtual-monitor WxH ...`, whose virtual monitors are
//!   `Meta-0`, `Meta-1`, ... in the order given. mutter lays them out itself, side by side
//!   (observed: the largest at x = 0, the others to its right), so their places are read
//!   from the compositor: its outputs ([`xdg_scene::outputs`](crate::xdg_scene::outputs)),
//!   or `DisplayConfig` on the bus (the `pipewire` backend's client). mutter renders without
//!   a GPU (surfaceless EGL) and so offers screen casts in shared memory only (it says
//!   "Disabling DMA buffer screen sharing").
//! - mutter is ready when its Wayland socket exists and it owns `org.gnome.Mutter.ScreenCast`
//!   and `org.gnome.Mutter.DisplayConfig` on the bus; every wait has a deadline.
//! - Animations are off, so a window is shown at once in its final place: mutter's default
//!   plugin zooms a window being mapped in for 250 ms unless `MUTTER_DEBUG_DISABLE_ANIMATIONS`
//!   is `1` (the GSettings key `enable-animations`, off in a key file in the private
//!   configuration directory, `GSETTINGS_BACKEND=keyfile`, does not stop that effect). With
//!   the effect, the window's frame callback comes while it is still growing, and a screen
//!   cast started then shows the desktop's background around a small window: what was
//!   taken for a stale first frame of mutter's screen casts.
//! - Every program runs in one process group (the bus's), stopped with SIGTERM, then SIGKILL
//!   after a grace period, and reaped.
//! - The bus starts only the services of its own directory (its configuration names no
//!   system directory), so nothing of the machine's is started behind a test's back: no
//!   desktop portal unless a test starts one ([`FakePortal`](super::FakePortal)), whose
//!   permission store (`xdg-permission-store`, where it keeps restore data) the bus starts
//!   on demand from that directory.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};
use tempfile::TempDir;

use super::sway::{io_error, processes_in_group, which};
use super::{ServerError, process};

/// How often a wait for a socket or a bus name looks again.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// How long stopped programs get before they are killed outright.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// The bus names mutter owns once its screen-cast and display services run.
const MUTTER_NAMES: [&str; 2] = [
    "org.gnome.Mutter.ScreenCast",
    "org.gnome.Mutter.DisplayConfig",
];
/// mutter's Wayland socket, in the runtime directory.
const WAYLAND_SOCKET: &str = "wayland-mutter";

/// How a headless mutter is started.
#[derive(Clone, Debug, PartialEq)]
pub struct MutterOptions {
    monitors: Vec<(u32, u32)>,
    refresh_rate: Option<u32>,
    timeout: Duration,
}

impl Default for MutterOptions {
    /// One 1280x720 virtual monitor.
    fn default() -> Self {
        Self::new()
    }
}

impl MutterOptions {
    /// One 1280x720 virtual monitor at mutter's default rate (60 Hz), 30 s to come up.
    pub fn new() -> Self {
        Self {
            monitors: vec![(1280, 720)],
            refresh_rate: None,
            timeout: Duration::from_secs(30),
        }
    }

    /// The virtual monitors' sizes (`Meta-0` first; mutter places them).
    #[must_use]
    pub fn monitors(mut self, sizes: &[(u32, u32)]) -> Self {
        self.monitors = sizes.to_vec();
        self
    }

    /// Every virtual monitor's refresh rate, in hertz (`--virtual-monitor WxH@R`; mutter's
    /// default is 60). A screen cast sends at most one frame per refresh interval, by mutter's
    /// own clock.
    #[must_use]
    pub fn refresh_rate(mut self, hertz: u32) -> Self {
        self.refresh_rate = Some(hertz);
        self
    }

    /// How long everything may take to come up.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A private headless mutter with its session bus, PipeWire and WirePlumber, alive as long as
/// this value.
///
/// Dropping it stops them all (SIGTERM to their process group, SIGKILL after 5 s), reaps them
/// and removes the runtime directory.
pub struct MutterServer {
    /// Every program started, the bus first (its pid is the group's id).
    children: Vec<(&'static str, Child)>,
    runtime_dir: TempDir,
    bus_address: String,
    /// The Wayland socket's path, as text.
    display: String,
    monitors: Vec<(u32, u32)>,
}

impl std::fmt::Debug for MutterServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MutterServer")
            .field("runtime_dir", &self.runtime_dir.path())
            .field("bus_address", &self.bus_address)
            .field("monitors", &self.monitors)
            .finish_non_exhaustive()
    }
}

impl MutterServer {
    /// Starts the session bus, PipeWire, WirePlumber and mutter, and waits until mutter's
    /// Wayland socket and screen-cast service are up.
    ///
    /// # Errors
    ///
    /// [`ServerError::BinaryMissing`] when a program is not installed (run `cargo xtask
    /// test`); [`ServerError::StartTimeout`] or [`ServerError::Exited`] with the logs when one
    /// does not come up; [`ServerError::Io`] when the runtime directory cannot be prepared.
    pub fn start(options: &MutterOptions) -> Result<Self, ServerError> {
        for binary in ["dbus-daemon", "pipewire", "wireplumber", "mutter"] {
            which(Path::new(binary))?;
        }
        let runtime_dir = tempfile::Builder::new()
            .prefix("mss-testkit-mutter-")
            .tempdir()
            .map_err(|source| io_error("creating mutter's runtime directory", source))?;
        std::fs::set_permissions(
            runtime_dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .map_err(|source| io_error("making mutter's runtime directory private", source))?;
        let settings = runtime_dir.path().join("config/glib-2.0/settings");
        std::fs::create_dir_all(&settings)
            .and_then(|()| {
                std::fs::write(
                    settings.join("keyfile"),
                    format!(
                        "[org/gnome/desktop/interface]\nenable-animations=false\n\
                         cursor-theme='{}'\ncursor-size={}\n",
                        crate::xcursor::MUTTER_THEME,
                        crate::xcursor::MUTTER_SIZE
                    ),
                )
            })
            .map_err(|source| io_error("writing mutter's settings", source))?;
        let display = runtime_dir
            .path()
            .join(WAYLAND_SOCKET)
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                io_error(
                    "naming mutter's Wayland socket",
                    std::io::Error::other("the temporary directory's path is not UTF-8"),
                )
            })?;
        let mut server = Self {
            children: Vec::new(),
            bus_address: String::new(),
            display,
            runtime_dir,
            monitors: options.monitors.clone(),
        };
        let deadline = Instant::now() + options.timeout;
        server.start_bus(deadline, options.timeout)?;
        server.spawn("pipewire", &[])?;
        server.wait_for(deadline, options.timeout, "pipewire", |server| {
            server.pipewire_socket().exists()
        })?;
        server.spawn("wireplumber", &[])?;
        let mut arguments = vec![
            "--headless".to_owned(),
            "--no-x11".to_owned(),
            format!("--wayland-display={WAYLAND_SOCKET}"),
        ];
        for (width, height) in &options.monitors {
            arguments.push("--virtual-monitor".to_owned());
            arguments.push(match options.refresh_rate {
                Some(hertz) => format!("{width}x{height}@{hertz}"),
                None => format!("{width}x{height}"),
            });
        }
        server.spawn("mutter", &arguments)?;
        server.wait_for(deadline, options.timeout, "mutter", |server| {
            server.wayland_display().exists()
        })?;
        let bus = zbus::blocking::connection::Builder::address(server.bus_address.as_str())
            .and_then(|builder| builder.build())
            .map_err(|error| ServerError::Connect {
                display: server.bus_address.clone(),
                reason: error.to_string(),
            })?;
        let bus =
            zbus::blocking::fdo::DBusProxy::new(&bus).map_err(|error| ServerError::Connect {
                display: server.bus_address.clone(),
                reason: error.to_string(),
            })?;
        server.wait_for(deadline, options.timeout, "mutter", |_| {
            MUTTER_NAMES.iter().all(|name| {
                zbus::names::BusName::try_from(*name)
                    .ok()
                    .and_then(|name| bus.name_has_owner(name).ok())
                    .unwrap_or(false)
            })
        })?;
        Ok(server)
    }

    /// Starts the session bus and reads the address it prints once it listens.
    fn start_bus(&mut self, deadline: Instant, timeout: Duration) -> Result<(), ServerError> {
        let socket = self.runtime_dir.path().join("bus");
        let services = self.runtime_dir.path().join("dbus-services");
        let config = self.runtime_dir.path().join("dbus-session.conf");
        std::fs::create_dir_all(&services)
            .and_then(|()| {
                std::fs::write(
                    services.join("org.freedesktop.impl.portal.PermissionStore.service"),
                    "[D-BUS Service]\nName=org.freedesktop.impl.portal.PermissionStore\n\
                     Exec=/usr/libexec/xdg-permission-store\n",
                )
            })
            .and_then(|()| std::fs::write(&config, bus_config(&services)))
            .map_err(|source| io_error("writing the session bus's configuration", source))?;
        let mut command = Command::new("dbus-daemon");
        command.args([
            format!("--config-file={}", config.display()),
            "--nofork".to_owned(),
            "--nopidfile".to_owned(),
            format!("--address=unix:path={}", socket.display()),
            "--print-address=1".to_owned(),
        ]);
        self.environment(&mut command);
        let log = self.log_file("dbus-daemon")?;
        let mut child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .map_err(|source| ServerError::Spawn {
                binary: "dbus-daemon".into(),
                source,
            })?;
        let stdout = child.stdout.take().expect("standard output was piped");
        self.children.push(("dbus-daemon", child));
        let (sender, receiver) = mpsc::channel();
        // The reader keeps draining the pipe after the address, so the bus never blocks on it.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = sender.send(reader.read_line(&mut line).map(|_| line));
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok(Ok(line)) if !line.trim().is_empty() => {
                self.bus_address = line.trim().to_owned();
                Ok(())
            }
            Ok(_) => Err(ServerError::Exited {
                binary: "dbus-daemon".into(),
                status: "closed its output without an address".to_owned(),
                log: self.log(),
            }),
            Err(_) => Err(ServerError::StartTimeout {
                binary: "dbus-daemon".into(),
                seconds: timeout.as_secs_f64(),
                log: self.log(),
            }),
        }
    }

    /// A command running `program` in this server's session: its environment only (runtime,
    /// home and XDG directories, the bus), so a program started by a test finds the bus,
    /// PipeWire and the Wayland socket as the server's own programs do.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        self.environment(&mut command);
        command
    }

    /// The environment every program gets: only this server's directories and bus.
    fn environment(&self, command: &mut Command) {
        let dir = self.runtime_dir.path();
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("XDG_RUNTIME_DIR", dir)
            .env("HOME", dir)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CACHE_HOME", dir.join("cache"))
            .env("XDG_STATE_HOME", dir.join("state"))
            .env("GSETTINGS_BACKEND", "keyfile")
            .env("MUTTER_DEBUG_DISABLE_ANIMATIONS", "1")
            .env("NO_AT_BRIDGE", "1");
        if !self.bus_address.is_empty() {
            command.env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address);
        }
    }

    fn log_file(&self, program: &str) -> Result<std::fs::File, ServerError> {
        std::fs::File::create(self.runtime_dir.path().join(format!("{program}.log")))
            .map_err(|source| io_error(&format!("creating {program}'s log"), source))
    }

    /// Starts `program` in the bus's process group, its output in its log.
    fn spawn(&mut self, program: &'static str, arguments: &[String]) -> Result<(), ServerError> {
        let group = self.children[0].1.id();
        let log = self.log_file(program)?;
        let mut command = Command::new(program);
        command.args(arguments);
        self.environment(&mut command);
        let child = command
            .process_group(group as i32)
            .stdin(Stdio::null())
            .stdout(
                log.try_clone()
                    .map_err(|source| io_error(&format!("{program}'s log"), source))?,
            )
            .stderr(log)
            .spawn()
            .map_err(|source| ServerError::Spawn {
                binary: program.into(),
                source,
            })?;
        self.children.push((program, child));
        Ok(())
    }

    /// Waits until `ready`, or fails with the logs when a program exits or the deadline
    /// passes.
    fn wait_for(
        &mut self,
        deadline: Instant,
        timeout: Duration,
        waiting_for: &'static str,
        mut ready: impl FnMut(&Self) -> bool,
    ) -> Result<(), ServerError> {
        loop {
            if ready(self) {
                return Ok(());
            }
            for (program, child) in &mut self.children {
                if let Ok(Some(status)) = child.try_wait() {
                    let program: &str = program;
                    let status = status.to_string();
                    return Err(ServerError::Exited {
                        binary: program.into(),
                        status,
                        log: self.log(),
                    });
                }
            }
            if Instant::now() >= deadline {
                return Err(ServerError::StartTimeout {
                    binary: waiting_for.into(),
                    seconds: timeout.as_secs_f64(),
                    log: self.log(),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// The session bus's address (`unix:path=...`), for D-Bus clients of mutter.
    pub fn bus_address(&self) -> &str {
        &self.bus_address
    }

    /// mutter's Wayland socket (an absolute path, accepted as `WAYLAND_DISPLAY`).
    pub fn wayland_display(&self) -> PathBuf {
        self.runtime_dir.path().join(WAYLAND_SOCKET)
    }

    /// mutter's Wayland socket's path, as text: the display name the `pipewire` backend
    /// opens (it finds the session bus and PipeWire beside it).
    pub fn wayland_display_name(&self) -> &str {
        &self.display
    }

    /// PipeWire's socket.
    pub fn pipewire_socket(&self) -> PathBuf {
        self.runtime_dir.path().join("pipewire-0")
    }

    /// The runtime directory (`XDG_RUNTIME_DIR` of every program here).
    pub fn runtime_dir(&self) -> &Path {
        self.runtime_dir.path()
    }

    /// The virtual monitors' sizes, as started.
    pub fn monitors(&self) -> &[(u32, u32)] {
        &self.monitors
    }

    /// The process ids of the programs started (bus, PipeWire, WirePlumber, mutter).
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(|(_, child)| child.id()).collect()
    }

    /// The end of every program's log.
    pub fn log(&self) -> String {
        ["dbus-daemon", "pipewire", "wireplumber", "mutter"]
            .iter()
            .map(|program| {
                let path = self.runtime_dir.path().join(format!("{program}.log"));
                format!("--- {program}:\n{}", process::read_log(&path))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for MutterServer {
    fn drop(&mut self) {
        let Some((_, leader)) = self.children.first() else {
            return;
        };
        let group = leader.id();
        let pid = Pid::from_child(leader);
        let _ = rustix::process::kill_process_group(pid, Signal::TERM);
        let reap = |children: &mut Vec<(&'static str, Child)>| {
            for (_, child) in children.iter_mut() {
                let _ = child.try_wait();
            }
            processes_in_group(group).is_empty()
        };
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline && !reap(&mut self.children) {
            std::thread::sleep(POLL_INTERVAL);
        }
        let _ = rustix::process::kill_process_group(pid, Signal::KILL);
        for (_, child) in &mut self.children {
            let _ = child.wait();
        }
    }
}

/// The session bus's configuration: a session bus that starts only the services of
/// `services`, where everyone may own and call every name, as on a desktop's session bus.
fn bus_config(services: &Path) -> String {
    let services = services
        .display()
        .to_string()
        .replace('&', "&amp;")
        .replace('<', "&lt;");
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#
    )
}
