//! Shared set-up: a server with the scene painted and a capturer on it.

use mss_testkit::{Scene, XServer, XvfbOptions};
use mss_x11_shm::{ShmCapture, ShmOptions};

/// A private Xvfb with the known scene painted.
pub struct Painted {
    pub server: XServer,
    pub scene: Scene,
}

/// Starts an Xvfb with `options` and paints the scene.
pub fn painted(options: &XvfbOptions) -> Painted {
    let server = XServer::xvfb(options).unwrap_or_else(|error| panic!("{error}"));
    let scene = server
        .paint_scene()
        .unwrap_or_else(|error| panic!("{error}"));
    Painted { server, scene }
}

/// A 640x480x24 painted Xvfb.
pub fn default_painted() -> Painted {
    painted(&XvfbOptions::new(640, 480, 24))
}

/// Opens an SHM capturer with `options` on `display`.
pub fn open(display: &str, options: ShmOptions) -> ShmCapture {
    ShmCapture::open_with(Some(display), options).unwrap_or_else(|error| panic!("{error}"))
}

/// Asserts that `frame` shows the scene's pattern, without needing the `Scene` (which holds
/// an X connection) on this thread.
pub fn assert_pattern(frame: &mss_core::Frame) {
    let format = frame.format();
    mss_testkit::pattern::check_frame(frame, format, |x, y| {
        Some(mss_testkit::pattern::expected_colour(
            format, x as u32, y as u32,
        ))
    })
    .unwrap_or_else(|mismatch| panic!("{mismatch}"));
}

/// The environment variable naming the test a child run of this binary is for.
const CHILD_TEST: &str = "MSS_SHM_TEST_CHILD";
/// The environment variable naming the display the child run captures.
const CHILD_DISPLAY: &str = "MSS_SHM_TEST_CHILD_DISPLAY";

/// In the child run of `test` (its path in this binary, `module::name`), the display the
/// parent started; `None` in the ordinary run, which should then call
/// [`run_in_child_process`].
pub fn child_display(test: &str) -> Option<String> {
    (std::env::var(CHILD_TEST).as_deref() == Ok(test))
        .then(|| std::env::var(CHILD_DISPLAY).expect("the parent names the display"))
}

/// Runs `test` again, alone, in a child process of this test binary, on `display`: for what
/// must not happen in the process where other tests run at the same time, such as lowering a
/// resource limit (limits are per process). Fails with the child's output when it fails.
pub fn run_in_child_process(test: &str, display: &str) {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_TEST, test)
        .env(CHILD_DISPLAY, display)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the child run of {test} failed ({}):\n{stdout}{stderr}",
        output.status
    );
}

/// Runs `body` with the soft limit of `resource` set to `limit`, then restores it.
pub fn with_soft_limit<T>(
    resource: rustix::process::Resource,
    limit: u64,
    body: impl FnOnce() -> T,
) -> T {
    let before = rustix::process::getrlimit(resource);
    rustix::process::setrlimit(
        resource,
        rustix::process::Rlimit {
            current: Some(limit),
            maximum: before.maximum,
        },
    )
    .unwrap();
    let result = body();
    rustix::process::setrlimit(resource, before).unwrap();
    result
}

/// This process's address space now, in bytes (`VmSize`).
pub fn address_space_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kilobytes: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmSize:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|number| number.trim().parse().ok())
        .expect("/proc/self/status has VmSize");
    kilobytes * 1024
}

/// The lowest descriptor number free now: every number below it is in use, so with that as
/// the limit on open files no new descriptor can be made, while those open keep working
/// (`poll` refuses more descriptors than the limit, so 0 would break the connection).
pub fn descriptors_in_use() -> u64 {
    use std::os::fd::AsRawFd as _;
    let probe = rustix::io::fcntl_dupfd_cloexec(std::io::stdin(), 0).unwrap();
    u64::try_from(probe.as_raw_fd()).unwrap()
}
