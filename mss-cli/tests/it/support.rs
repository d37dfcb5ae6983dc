//! Running the binary and reading the PNGs it writes.

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant};

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

/// Waits for `child` to exit, at most `limit` (then kills it and fails the test).
pub fn wait_at_most(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mss did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// How long a test waits for mss to reach a step or to end before it fails (never a hang).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The test's end of mss's hidden hold hook (`MSS_TEST_HOLD`, see
/// `mss::destination::hold_for_tests`): a Unix socket the process connects to at the steps it
/// was told, then waits on until released. With it a test stops a save or a recording between
/// two known system calls, with no timing involved.
pub struct Hold {
    _directory: tempfile::TempDir,
    socket: PathBuf,
    listener: UnixListener,
}

/// A process stopped at a step; released when dropped (or with [`Held::release`]).
pub struct Held {
    /// The step's name (`save:written`, `record:frame-written:3`).
    pub step: String,
    stream: UnixStream,
}

impl Held {
    /// Lets the process go on.
    pub fn release(mut self) {
        let _ = self.stream.write_all(b"g");
    }
}

impl Hold {
    pub fn new() -> Self {
        let directory = tempfile::tempdir().unwrap();
        let socket = directory.path().join("hold");
        let listener = UnixListener::bind(&socket).unwrap();
        listener.set_nonblocking(true).unwrap();
        Self {
            _directory: directory,
            socket,
            listener,
        }
    }

    /// Makes `command` stop at each of `steps`.
    pub fn arm(&self, command: &mut Command, steps: &[&str]) {
        command
            .env("MSS_TEST_HOLD", &self.socket)
            .env("MSS_TEST_HOLD_AT", steps.join(","));
    }

    /// Waits until `child` reaches a step (at most [`PATIENCE`]; failing if it exits first).
    pub fn reached(&self, child: &mut Child) -> Held {
        let start = Instant::now();
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).unwrap();
                    stream.set_read_timeout(Some(PATIENCE)).unwrap();
                    let mut step = String::new();
                    BufReader::new(&stream).read_line(&mut step).unwrap();
                    return Held {
                        step: step.trim_end().to_owned(),
                        stream,
                    };
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(error) => panic!("the hold socket failed: {error}"),
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("mss ended ({status}) before reaching the step it was to stop at");
            }
            if start.elapsed() > PATIENCE {
                let _ = child.kill();
                let _ = child.wait();
                panic!("mss did not reach the step within {PATIENCE:?}");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Sends `signal` to `child`.
pub fn signal(child: &Child, signal: rustix::process::Signal) {
    rustix::process::kill_process(rustix::process::Pid::from_child(child), signal).unwrap();
}

/// `sh -c SCRIPT` with `$0` the mss binary, in `directory`, on `server`: for redirections and
/// limits a shell sets up (`> file`, `3>>file`, `ulimit -f`, `umask`).
pub fn mss_in_shell(server: &XServer, directory: &Path, script: &str) -> Command {
    let mut command = Command::new("sh");
    command
        .args(["-c", script])
        .arg(env!("CARGO_BIN_EXE_mss"))
        .current_dir(directory)
        .env("DISPLAY", server.display())
        .env_remove("MSS_BACKEND");
    command
}
