//! [`SwayOptions`] and [`WaylandServer`]: a headless sway, optionally with XWayland, started
//! as an unprivileged user.
//!
//! # What works (sway 1.7, wlroots 0.15, Xwayland 22.1, Debian 12, observed)
//!
//! - sway refuses to run as root, so when the tests run as root it is started as `nobody` with
//!   `runuser`, with a private `XDG_RUNTIME_DIR` (mode 700, owned by `nobody`). Root can still
//!   connect to the sockets in it.
//! - `WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1` runs it with no GPU
//!   and no input devices; `WLR_HEADLESS_OUTPUTS=N` creates outputs `HEADLESS-1`..`HEADLESS-N`.
//! - `xwayland force` starts XWayland with the compositor. Its display number is learned from
//!   a command the configuration runs (`exec`), which sees `DISPLAY`. XWayland admits only the
//!   compositor's user until that user runs `xhost +si:localuser:NAME`, which is done here for
//!   the user running the tests. XWayland's root is then a real X root: RandR lists outputs
//!   `XWAYLAND0`... and no `XWAYLAND` extension (that extension arrived in Xwayland 23.1).
//! - Stopping: SIGTERM to the whole process group (`runuser`, sway, XWayland), SIGKILL after a
//!   grace period.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};
use tempfile::TempDir;

use super::{COMMAND_TIMEOUT, ServerError, XServer, process};

/// How often a wait for sway's sockets looks again.
const POLL_INTERVAL: Duration = Duration::from_millis(10);
/// How long a stopped compositor gets before it is killed outright.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// The user sway runs as when the tests run as root.
const UNPRIVILEGED_USER: &str = "nobody";

/// How a headless sway is started.
#[derive(Clone, Debug, PartialEq)]
pub struct SwayOptions {
    /// Each output's left, top, width and height on the screen, `HEADLESS-1` first.
    outputs: Vec<(i32, i32, u32, u32)>,
    xwayland: bool,
    binary: PathBuf,
    timeout: Duration,
}

impl Default for SwayOptions {
    /// One 640x480 output, no XWayland.
    fn default() -> Self {
        Self::new()
    }
}

impl SwayOptions {
    /// One 640x480 output, no XWayland.
    pub fn new() -> Self {
        Self {
            outputs: vec![(0, 0, 640, 480)],
            xwayland: false,
            binary: PathBuf::from("sway"),
            timeout: Duration::from_secs(20),
        }
    }

    /// The outputs' sizes, placed left to right with their tops at y = 0 (`HEADLESS-1` at
    /// x = 0).
    #[must_use]
    pub fn outputs(mut self, sizes: &[(u32, u32)]) -> Self {
        let mut left = 0_i32;
        self.outputs = sizes
            .iter()
            .map(|&(width, height)| {
                let output = (left, 0, width, height);
                left = left.saturating_add_unsigned(width);
                output
            })
            .collect();
        self
    }

    /// The outputs, each as its left, top, width and height on the screen, `HEADLESS-1`
    /// first: for layouts with gaps and empty corners between outputs.
    #[must_use]
    pub fn outputs_at(mut self, outputs: &[(i32, i32, u32, u32)]) -> Self {
        self.outputs = outputs.to_vec();
        self
    }

    /// Runs XWayland beside the compositor (`xwayland force`).
    #[must_use]
    pub fn xwayland(mut self, xwayland: bool) -> Self {
        self.xwayland = xwayland;
        self
    }

    /// Runs this program instead of `sway` from `PATH`.
    #[must_use]
    pub fn binary(mut self, binary: impl Into<PathBuf>) -> Self {
        self.binary = binary.into();
        self
    }

    /// How long sway (and XWayland) may take to come up (20 s by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The configuration file's text; `display_file` is where the `exec` line writes
    /// XWayland's display name.
    pub fn config(&self, display_file: &Path) -> String {
        let mut config = String::from(if self.xwayland {
            "xwayland force\n"
        } else {
            "xwayland disable\n"
        });
        for (index, (left, top, width, height)) in self.outputs.iter().enumerate() {
            config.push_str(&format!(
                "output HEADLESS-{} mode {width}x{height} position {left} {top}\n",
                index + 1
            ));
        }
        if self.xwayland {
            config.push_str(&format!(
                "exec sh -c 'echo \"$DISPLAY\" > {}.tmp && mv {0}.tmp {0}'\n",
                display_file.display()
            ));
        }
        config
    }
}

/// A private headless sway that lives as long as this value.
///
/// Dropping it stops the compositor and XWayland (SIGTERM to their process group, SIGKILL after
/// 5 s), reaps them and removes the runtime directory.
pub struct WaylandServer {
    child: Child,
    runtime_dir: TempDir,
    socket: PathBuf,
    x11_display: Option<String>,
    run_as: Option<String>,
}

impl fmt::Debug for WaylandServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaylandServer")
            .field("pid", &self.child.id())
            .field("socket", &self.socket)
            .field("x11_display", &self.x11_display)
            .finish_non_exhaustive()
    }
}

impl WaylandServer {
    /// Starts sway as `options` describe and waits until its socket (and XWayland, if asked
    /// for) accepts connections.
    ///
    /// # Errors
    ///
    /// [`ServerError::BinaryMissing`] when sway is not installed, [`ServerError::StartTimeout`]
    /// or [`ServerError::Exited`] when it does not come up (with its log),
    /// [`ServerError::Io`] when the runtime directory cannot be prepared.
    pub fn start(options: &SwayOptions) -> Result<Self, ServerError> {
        let run_as = rustix::process::geteuid()
            .is_root()
            .then(|| UNPRIVILEGED_USER.to_owned());
        let runtime_dir = tempfile::Builder::new()
            .prefix("mss-testkit-sway-")
            .tempdir()
            .map_err(|source| io_error("creating sway's runtime directory", source))?;
        let display_file = runtime_dir.path().join("x11-display");
        let config_path = runtime_dir.path().join("config");
        std::fs::write(&config_path, options.config(&display_file))
            .map_err(|source| io_error("writing sway's configuration", source))?;
        if let Some(user) = &run_as {
            hand_over(runtime_dir.path(), user)?;
        }
        let log_path = runtime_dir.path().join("sway.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|source| io_error("creating sway's log", source))?;
        let mut command = match &run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&options.binary);
                command
            }
            None => Command::new(&options.binary),
        };
        command
            .arg("-c")
            .arg(&config_path)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("XDG_RUNTIME_DIR", runtime_dir.path())
            .env("WLR_BACKENDS", "headless")
            .env("WLR_RENDERER", "pixman")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .env(
                "WLR_HEADLESS_OUTPUTS",
                options.outputs.len().max(1).to_string(),
            )
            .stdin(Stdio::null())
            .stdout(
                log.try_clone()
                    .map_err(|source| io_error("sway's log", source))?,
            )
            .stderr(log)
            .process_group(0);
        // Looked up here: behind runuser, a missing binary would only show in the log.
        which(&options.binary)?;
        let child = command.spawn().map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ServerError::BinaryMissing {
                    binary: command.get_program().into(),
                }
            } else {
                ServerError::Spawn {
                    binary: command.get_program().into(),
                    source,
                }
            }
        })?;
        let mut server = Self {
            child,
            socket: PathBuf::new(),
            runtime_dir,
            x11_display: None,
            run_as,
        };
        let deadline = (Instant::now() + options.timeout, options.timeout);
        // The socket's file appears at bind(), before sway listens on it, and a client arriving
        // in between is refused; sway makes its IPC socket only after the Wayland one listens.
        // So both are waited for, and the Wayland socket must take a connection.
        server.socket = server.wait_for(deadline, &options.binary, &log_path, |dir| {
            let socket = dir.join("wayland-1");
            let ready = sway_ipc_socket(dir).is_some()
                && std::os::unix::net::UnixStream::connect(&socket).is_ok();
            ready.then_some(socket)
        })?;
        if options.xwayland {
            let display = server.wait_for(deadline, &options.binary, &log_path, |_| {
                std::fs::read_to_string(&display_file)
                    .ok()
                    .map(|text| text.trim().to_owned())
                    .filter(|text| !text.is_empty())
            })?;
            server.x11_display = Some(display);
            // Let the user running the tests into XWayland; this also waits until XWayland
            // answers.
            let me = current_user_name();
            server.run_as_compositor_user("xhost", [format!("+si:localuser:{me}")])?;
        }
        Ok(server)
    }

    /// Starts a headless weston, a compositor without wlr-screencopy (like GNOME and KDE, it
    /// offers its own screenshot protocol only), with one 640x480 output. weston runs as root
    /// too, so it is started as the user running the tests.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    pub fn start_weston() -> Result<Self, ServerError> {
        let binary = Path::new("weston");
        which(binary)?;
        let runtime_dir = tempfile::Builder::new()
            .prefix("mss-testkit-weston-")
            .tempdir()
            .map_err(|source| io_error("creating weston's runtime directory", source))?;
        let log_path = runtime_dir.path().join("weston.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|source| io_error("creating weston's log", source))?;
        let mut command = Command::new(binary);
        command
            .args([
                "--backend=headless-backend.so",
                "--socket=wayland-1",
                "--idle-time=0",
                "--width=640",
                "--height=480",
            ])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("XDG_RUNTIME_DIR", runtime_dir.path())
            .stdin(Stdio::null())
            .stdout(
                log.try_clone()
                    .map_err(|source| io_error("weston's log", source))?,
            )
            .stderr(log)
            .process_group(0);
        let child = command.spawn().map_err(|source| ServerError::Spawn {
            binary: binary.to_owned(),
            source,
        })?;
        let mut server = Self {
            child,
            socket: PathBuf::new(),
            runtime_dir,
            x11_display: None,
            run_as: None,
        };
        let timeout = Duration::from_secs(10);
        server.socket = server.wait_for(
            (Instant::now() + timeout, timeout),
            binary,
            &log_path,
            |dir| {
                // Bound before it listens: ready once it takes a connection.
                let socket = dir.join("wayland-1");
                std::os::unix::net::UnixStream::connect(&socket)
                    .is_ok()
                    .then_some(socket)
            },
        )?;
        Ok(server)
    }

    /// Waits until `ready` finds something in the runtime directory, or fails with the log
    /// when the compositor exits or the deadline passes.
    fn wait_for<T>(
        &mut self,
        (deadline, timeout): (Instant, Duration),
        binary: &Path,
        log_path: &Path,
        mut ready: impl FnMut(&Path) -> Option<T>,
    ) -> Result<T, ServerError> {
        loop {
            if let Some(found) = ready(self.runtime_dir.path()) {
                return Ok(found);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(ServerError::Exited {
                    binary: binary.to_owned(),
                    status: status.to_string(),
                    log: process::read_log(log_path),
                });
            }
            if Instant::now() >= deadline {
                return Err(ServerError::StartTimeout {
                    binary: binary.to_owned(),
                    seconds: timeout.as_secs_f64(),
                    log: process::read_log(log_path),
                });
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// The Wayland display: the absolute path of the compositor's socket, which clients accept
    /// as `WAYLAND_DISPLAY`.
    pub fn wayland_display(&self) -> &Path {
        &self.socket
    }

    /// The compositor's runtime directory (`XDG_RUNTIME_DIR` of its clients).
    pub fn runtime_dir(&self) -> &Path {
        self.runtime_dir.path()
    }

    /// XWayland's display name (`:N`), when started with [`SwayOptions::xwayland`].
    pub fn x11_display(&self) -> Option<&str> {
        self.x11_display.as_deref()
    }

    /// The compositor's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The end of the compositor's log.
    pub fn log(&self) -> String {
        let sway = self.runtime_dir.path().join("sway.log");
        if sway.exists() {
            process::read_log(&sway)
        } else {
            process::read_log(&self.runtime_dir.path().join("weston.log"))
        }
    }

    /// Runs `swaymsg` with `arguments` against this compositor and returns its output.
    ///
    /// # Errors
    ///
    /// As [`XServer::run`](crate::XServer::run).
    pub fn swaymsg<I, S>(&self, arguments: I) -> Result<String, ServerError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_as_compositor_user("swaymsg", arguments)
    }

    /// Runs `program` as the compositor's user, with this compositor's `WAYLAND_DISPLAY`,
    /// `XDG_RUNTIME_DIR`, `SWAYSOCK` and (with XWayland) `DISPLAY`, and returns its output.
    ///
    /// # Errors
    ///
    /// As [`XServer::run`](crate::XServer::run).
    pub fn run_as_compositor_user<I, S>(
        &self,
        program: &str,
        arguments: I,
    ) -> Result<String, ServerError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--", program]);
                command
            }
            None => Command::new(program),
        };
        command
            .args(arguments)
            .env("XDG_RUNTIME_DIR", self.runtime_dir.path())
            .env("WAYLAND_DISPLAY", &self.socket);
        if let Some(sway_socket) = self.sway_socket() {
            command.env("SWAYSOCK", sway_socket);
        }
        match &self.x11_display {
            Some(display) => command.env("DISPLAY", display),
            None => command.env_remove("DISPLAY"),
        };
        process::run_with_timeout(command, COMMAND_TIMEOUT)
    }

    /// Starts a second XWayland as a client of this compositor, rootful (without `-rootless`):
    /// its root is an X11 desktop of its own, shown in one Wayland window the size of the first
    /// output, and `GetImage` of it works. The user running the tests is let in.
    ///
    /// # Errors
    ///
    /// As [`XServer::xvfb`], plus [`ServerError::CommandFailed`] when `xhost` fails.
    pub fn start_rootful_xwayland(&self) -> Result<XServer, ServerError> {
        let binary = Path::new("Xwayland");
        which(binary)?;
        let temp_dir = super::server_temp_dir()?;
        if let Some(user) = &self.run_as {
            hand_over(temp_dir.path(), user)?;
        }
        let mut command = match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(binary);
                command
            }
            None => Command::new(binary),
        };
        command
            .arg("-noreset")
            .env("XDG_RUNTIME_DIR", self.runtime_dir.path())
            .env("WAYLAND_DISPLAY", &self.socket)
            .env_remove("DISPLAY");
        let log_path = temp_dir.path().join("server.log");
        let started = process::start_command_with_displayfd(
            command,
            binary,
            &log_path,
            Duration::from_secs(20),
        )?;
        let server = XServer {
            child: started.child,
            kind: super::ServerKind::XWayland,
            display: format!(":{}", started.display_number),
            tcp_display: None,
            temp_dir,
        };
        let me = current_user_name();
        let mut xhost = match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--", "xhost"]);
                command
            }
            None => Command::new("xhost"),
        };
        xhost
            .arg(format!("+si:localuser:{me}"))
            .env("DISPLAY", server.display());
        process::run_with_timeout(xhost, COMMAND_TIMEOUT)?;
        super::check_connection(server.display())?;
        Ok(server)
    }

    /// sway's IPC socket in the runtime directory.
    fn sway_socket(&self) -> Option<PathBuf> {
        sway_ipc_socket(self.runtime_dir.path())
    }
}

/// sway's IPC socket (`sway-ipc.*.sock`) in the runtime directory `directory`, once it exists.
fn sway_ipc_socket(directory: &Path) -> Option<PathBuf> {
    std::fs::read_dir(directory)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            path.file_name()
                .and_then(OsStr::to_str)
                .is_some_and(|name| name.starts_with("sway-ipc."))
        })
}

impl Drop for WaylandServer {
    fn drop(&mut self) {
        // The process group holds runuser, sway and XWayland; its id is runuser's (or sway's).
        // Its members other than our child are reaped by init once they exit, so the group is
        // watched in /proc until it is empty, not only our child.
        let group = self.child.id();
        let pid = Pid::from_child(&self.child);
        let _ = rustix::process::kill_process_group(pid, Signal::TERM);
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline && !self.group_is_gone(group) {
            std::thread::sleep(POLL_INTERVAL);
        }
        let _ = rustix::process::kill_process_group(pid, Signal::KILL);
        let _ = self.child.wait();
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline && !processes_in_group(group).is_empty() {
            std::thread::sleep(POLL_INTERVAL);
        }
    }
}

impl WaylandServer {
    /// Reaps our child if it exited, and tells whether the whole group is gone.
    fn group_is_gone(&mut self, group: u32) -> bool {
        let _ = self.child.try_wait();
        processes_in_group(group).is_empty()
    }
}

/// The pids of the live (not yet reaped) processes in process group `group`, from `/proc`.
pub(crate) fn processes_in_group(group: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // Field 5 of /proc/PID/stat is the process group; the command name (field 2) may
            // hold spaces and parentheses, so count from its last closing parenthesis.
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let after_name = stat.get(stat.rfind(')')? + 2..)?;
                    after_name.split(' ').nth(2)?.parse::<u32>().ok()
                })
                == Some(group)
        })
        .collect()
}

/// Gives the runtime directory and everything in it to `user`, mode 700 as Wayland requires.
fn hand_over(directory: &Path, user: &str) -> Result<(), ServerError> {
    let (uid, gid) = user_ids(user)?;
    let entries = std::fs::read_dir(directory)
        .map_err(|source| io_error("listing sway's runtime directory", source))?;
    for path in std::iter::once(directory.to_owned())
        .chain(entries.filter_map(Result::ok).map(|entry| entry.path()))
    {
        rustix::fs::chown(&path, Some(uid), Some(gid)).map_err(|error| {
            io_error(
                &format!("giving {} to {user}", path.display()),
                error.into(),
            )
        })?;
    }
    std::fs::set_permissions(
        directory,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .map_err(|source| io_error("making sway's runtime directory private", source))
}

/// The user and group ids of `user`, from `/etc/passwd`.
fn user_ids(user: &str) -> Result<(rustix::process::Uid, rustix::process::Gid), ServerError> {
    let passwd = std::fs::read_to_string("/etc/passwd")
        .map_err(|source| io_error("reading /etc/passwd", source))?;
    passwd
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            (fields.len() > 3 && fields[0] == user).then(|| {
                let uid = fields[2].parse::<u32>().ok()?;
                let gid = fields[3].parse::<u32>().ok()?;
                Some((
                    rustix::process::Uid::from_raw(uid),
                    rustix::process::Gid::from_raw(gid),
                ))
            })?
        })
        .next()
        .ok_or_else(|| {
            io_error(
                &format!("looking up user {user}"),
                std::io::Error::new(std::io::ErrorKind::NotFound, "not in /etc/passwd"),
            )
        })
}

/// The name of the user running the tests, for XWayland's access list.
fn current_user_name() -> String {
    let uid = rustix::process::geteuid().as_raw().to_string();
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                (fields.len() > 2 && fields[2] == uid).then(|| fields[0].to_owned())
            })
        })
        .unwrap_or_else(|| "root".to_owned())
}

/// Fails with [`ServerError::BinaryMissing`] when `binary` is not on `PATH`.
pub(super) fn which(binary: &Path) -> Result<(), ServerError> {
    let found = if binary.components().count() > 1 {
        binary.is_file()
    } else {
        std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path).any(|directory| directory.join(binary).is_file())
        })
    };
    if found {
        Ok(())
    } else {
        Err(ServerError::BinaryMissing {
            binary: binary.to_owned(),
        })
    }
}

pub(super) fn io_error(context: &str, source: std::io::Error) -> ServerError {
    ServerError::Io {
        context: context.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_placed_left_to_right_or_where_asked() {
        let display_file = Path::new("/run/x11-display");
        assert_eq!(
            SwayOptions::new()
                .outputs(&[(1280, 720), (640, 480)])
                .config(display_file),
            "xwayland disable\n\
             output HEADLESS-1 mode 1280x720 position 0 0\n\
             output HEADLESS-2 mode 640x480 position 1280 0\n"
        );
        assert_eq!(
            SwayOptions::new()
                .outputs_at(&[(0, 0, 640, 480), (-20000, 9000, 320, 240)])
                .config(display_file),
            "xwayland disable\n\
             output HEADLESS-1 mode 640x480 position 0 0\n\
             output HEADLESS-2 mode 320x240 position -20000 9000\n"
        );
    }
}
