//! Starting a server process that reports its display through `-displayfd`, stopping it, and
//! running short helper programs with a time limit.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process, kill_process_group};

use super::ServerError;

/// How long a stopped server gets to exit after SIGTERM before it is killed outright.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// How often a wait for a process to exit looks again.
const POLL_INTERVAL: Duration = Duration::from_millis(2);

/// A running server process and the display number it reported.
pub(crate) struct StartedServer {
    pub(crate) child: Child,
    pub(crate) display_number: u32,
}

/// Starts `binary` with `arguments` plus `-displayfd 1`, and waits (at most `timeout`) for the
/// display number it writes to its standard output.
///
/// Standard output is a pipe only the server writes to, so `-displayfd 1` needs no file
/// descriptor passing. Standard error goes to `log_path`, which error messages quote.
pub(crate) fn start_with_displayfd(
    binary: &Path,
    arguments: &[OsString],
    log_path: &Path,
    timeout: Duration,
) -> Result<StartedServer, ServerError> {
    let mut command = Command::new(binary);
    command.args(arguments);
    start_command_with_displayfd(command, binary, log_path, timeout)
}

/// [`start_with_displayfd`] for a command already set up (a program run as another user, with
/// its own environment); `binary` names the server in errors.
pub(crate) fn start_command_with_displayfd(
    mut command: Command,
    binary: &Path,
    log_path: &Path,
    timeout: Duration,
) -> Result<StartedServer, ServerError> {
    let log = File::create(log_path).map_err(|source| ServerError::Io {
        context: format!("creating the server log {}", log_path.display()),
        source,
    })?;
    let mut child = command
        .args(["-displayfd", "1"])
        // Its own process group, so stopping it also stops whatever it runs through (runuser).
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|source| spawn_error(binary, source))?;
    let stdout = child.stdout.take().expect("standard output was piped");
    let (sender, receiver) = mpsc::channel();
    // The reader thread keeps draining the pipe after the first line so that the server never
    // blocks or gets SIGPIPE on it; it ends when the server exits and closes the pipe.
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let first = reader.read_line(&mut line).map(|_| line);
        let _ = sender.send(first);
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let answer = match receiver.recv_timeout(timeout) {
        Ok(answer) => answer,
        Err(_) => {
            stop(&mut child);
            return Err(ServerError::StartTimeout {
                binary: binary.to_owned(),
                seconds: timeout.as_secs_f64(),
                log: read_log(log_path),
            });
        }
    };
    let line = match answer {
        Ok(line) if !line.trim().is_empty() => line,
        // An empty answer means the server closed its output without naming a display: it
        // failed to start. Collect its exit status for the message.
        _ => {
            let status = wait_with_timeout(&mut child, STOP_GRACE);
            stop(&mut child);
            return Err(ServerError::Exited {
                binary: binary.to_owned(),
                status: status.map_or_else(|| "still running".to_owned(), |s| s.to_string()),
                log: read_log(log_path),
            });
        }
    };
    match line.trim().parse::<u32>() {
        Ok(display_number) => Ok(StartedServer {
            child,
            display_number,
        }),
        Err(_) => {
            stop(&mut child);
            Err(ServerError::Exited {
                binary: binary.to_owned(),
                status: format!("wrote {:?} instead of a display number", line.trim()),
                log: read_log(log_path),
            })
        }
    }
}

/// Stops a child: SIGTERM so a server removes its socket and lock file, then SIGKILL if it
/// has not exited within [`STOP_GRACE`]; always reaps it so no zombie is left. A child that
/// leads its own process group (servers do) has the signals sent to the whole group.
pub(crate) fn stop(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let pid = Pid::from_child(child);
    // Failures here mean the process (or group) is already gone, which the wait handles.
    if kill_process_group(pid, Signal::TERM).is_err() {
        let _ = kill_process(pid, Signal::TERM);
    }
    if wait_with_timeout(child, STOP_GRACE).is_none() {
        let _ = kill_process_group(pid, Signal::KILL);
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Waits at most `timeout` for the child to exit.
fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(POLL_INTERVAL),
            _ => return None,
        }
    }
}

/// The output of a helper program that exited successfully.
pub(crate) fn run_with_timeout(
    mut command: Command,
    timeout: Duration,
) -> Result<String, ServerError> {
    let program = command.get_program().to_owned();
    let arguments: Vec<String> = command
        .get_args()
        .map(|argument| argument.to_string_lossy().into_owned())
        .collect();
    let describe = || {
        std::iter::once(program.to_string_lossy().into_owned())
            .chain(arguments.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| spawn_error(Path::new(&program), source))?;
    // Both pipes are drained on their own threads so a chatty program cannot block on a full
    // pipe while we wait for it.
    let stdout = drain(child.stdout.take().expect("piped"));
    let stderr = drain(child.stderr.take().expect("piped"));
    let Some(status) = wait_with_timeout(&mut child, timeout) else {
        stop(&mut child);
        return Err(ServerError::CommandTimeout {
            command: describe(),
            seconds: timeout.as_secs_f64(),
        });
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if status.success() {
        Ok(stdout)
    } else {
        Err(ServerError::CommandFailed {
            command: describe(),
            status: status.to_string(),
            stderr: stderr.trim().to_owned(),
        })
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn spawn_error(binary: &Path, source: std::io::Error) -> ServerError {
    if source.kind() == std::io::ErrorKind::NotFound {
        ServerError::BinaryMissing {
            binary: binary.to_owned(),
        }
    } else {
        ServerError::Spawn {
            binary: binary.to_owned(),
            source,
        }
    }
}

/// The last lines of a server's log, for error messages.
pub(crate) fn read_log(path: &Path) -> String {
    const KEEP_LINES: usize = 25;
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(KEEP_LINES);
    lines[start..].join("\n")
}
