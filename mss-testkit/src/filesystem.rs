//! Small file systems for tests of full disks, and the rule for tests that need root.
//!
//! [`SmallTmpfs`] mounts a tmpfs of a few pages in a temporary directory (root only) and
//! unmounts it on drop, so a test can fill a disk for real. [`root_or_explain`] says whether a
//! test that needs root (another user's files, a mount) can run: as root it can; otherwise it
//! fails under `CI=true` (a CI run never skips) and is skipped, with a note on standard error,
//! on a developer's machine.

use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

/// A tmpfs of a fixed size mounted on a temporary directory, unmounted (lazily, so a file
/// still open does not keep it) and removed on drop.
#[derive(Debug)]
pub struct SmallTmpfs {
    directory: TempDir,
}

impl SmallTmpfs {
    /// Mounts a tmpfs of `bytes` (rounded up to whole pages by the kernel), mode 1777 when
    /// `shared` (a sticky, world-writable directory like `/tmp`), else 0755.
    ///
    /// # Errors
    ///
    /// The reason when it cannot be mounted (not root, no `mount`), with `mount`'s own words.
    pub fn mount(bytes: u64, shared: bool) -> Result<Self, String> {
        let directory = tempfile::Builder::new()
            .prefix("mss-tmpfs-")
            .tempdir()
            .map_err(|error| format!("cannot make a directory to mount on: {error}"))?;
        let mode = if shared { "1777" } else { "0755" };
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={bytes},mode={mode}"))
            .args(["mss-test", directory.path().to_str().expect("a UTF-8 path")])
            .output()
            .map_err(|error| format!("cannot run mount: {error}"))?;
        if !output.status.success() {
            return Err(format!(
                "mount -t tmpfs failed ({}): {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        Ok(Self { directory })
    }

    /// [`mount`](Self::mount), or `None` when the test may be skipped here: see
    /// [`root_or_explain`]. Under `CI=true` a tmpfs that cannot be mounted fails the test.
    pub fn mount_or_explain(bytes: u64, shared: bool, test: &str) -> Option<Self> {
        match Self::mount(bytes, shared) {
            Ok(tmpfs) => Some(tmpfs),
            Err(reason) => {
                skip_or_fail(test, &format!("a small tmpfs cannot be mounted: {reason}"));
                None
            }
        }
    }

    /// The mounted directory.
    pub fn path(&self) -> &Path {
        self.directory.path()
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.directory.path())
            .status();
    }
}

/// Whether the test `test`, which needs root, can run: true as root; otherwise a failure under
/// `CI=true`, and `false` (the test returns early, with a note on standard error) elsewhere.
pub fn root_or_explain(test: &str) -> bool {
    if rustix::process::geteuid().is_root() {
        return true;
    }
    skip_or_fail(test, "it needs root (files of another user, mounts)");
    false
}

/// Fails under `CI=true`; elsewhere writes why `test` did not run.
fn skip_or_fail(test: &str, reason: &str) {
    assert!(
        std::env::var_os("CI").is_none_or(|value| value != "true"),
        "{test}: {reason}; CI runs every test (run `cargo xtask test` as root)"
    );
    eprintln!("{test}: not run here: {reason}");
}
