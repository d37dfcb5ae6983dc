//! The Python module's tests, a step of `cargo xtask test`: a virtual environment of Debian's
//! Python under `target/`, the module built and installed into it the way users install it
//! (`pip install ./mss-python`: pip reads its `pyproject.toml` and gets maturin, the build
//! backend, from the package index), the test dependencies, the test display helper of the
//! test kit, then pytest over `mss-python/tests`. It also builds the module's wheel as a
//! package index would carry it, a manylinux wheel ([`MANYLINUX`]), which maturin audits
//! (only the libraries every glibc system has, no newer symbol versions), and checks its tag.
//!
//! The module is built with cargo's `dev` profile (`MATURIN_PEP517_ARGS`), which shares the
//! workspace's build output with `cargo test`; a user's `pip install` builds it optimised.

use std::path::{Path, PathBuf};

use crate::error::{Result, XtaskError};
use crate::shell::Cmd;
use crate::system_packages::DEBIAN_PYTHON;
use crate::test_counts::TestCounts;

/// The crate's directory, relative to the project root.
const CRATE: &str = "mss-python";

/// The platform the published wheel claims: glibc 2.34 or later, what a build on Debian 12
/// needs (glibc 2.34 moved `dlopen` and the threads into libc). maturin refuses to tag a wheel
/// that links a library outside manylinux's list or a newer symbol version.
pub const MANYLINUX: &str = "manylinux_2_34";

/// Where the virtual environment lives.
fn venv_directory() -> PathBuf {
    crate::paths::target_directory().join("python-venv")
}

/// The environment's interpreter.
pub fn venv_python(venv: &Path) -> PathBuf {
    venv.join("bin").join("python")
}

/// Creates the environment with `python` (`python -m venv`) unless a working one is there.
///
/// # Errors
///
/// The failure of `python -m venv`.
pub fn ensure_venv(python: &Path, venv: &Path) -> Result<()> {
    let works = Cmd::new(venv_python(venv))
        .args(["-c", "import pip"])
        .output_unchecked()
        .is_ok_and(|output| output.status.success());
    if works {
        return Ok(());
    }
    Cmd::new(python)
        .args(["-m", "venv", "--clear"])
        .arg(venv)
        .run()
}

/// Runs the step: environment, dependencies, module, helper, pytest; adds pytest's counts.
///
/// # Errors
///
/// The first command that fails, named.
pub fn run_tests(counts: &mut TestCounts) -> Result<()> {
    let root = crate::paths::project_root();
    let venv = venv_directory();
    ensure_venv(Path::new(DEBIAN_PYTHON), &venv)?;
    let python = venv_python(&venv);
    let pip = |arguments: &[&str]| {
        Cmd::new(&python)
            .args([
                "-m",
                "pip",
                "--disable-pip-version-check",
                "install",
                "--quiet",
            ])
            .args(arguments)
    };
    let requirements = root.join(CRATE).join("tests").join("requirements.txt");
    pip(&["--requirement"]).arg(&requirements).run()?;
    // A local directory is always built again; --force-reinstall replaces the module even
    // when its version did not change, and --no-deps leaves the test dependencies alone.
    pip(&["--force-reinstall", "--no-deps"])
        .arg(root.join(CRATE))
        .env("MATURIN_PEP517_ARGS", "--profile dev")
        .run()?;
    check_manylinux_wheel(&python)?;
    Cmd::cargo()
        .args([
            "build",
            "--package",
            "mss-testkit",
            "--bin",
            "mss-test-display",
        ])
        .run()?;
    let helper = crate::paths::target_directory()
        .join("debug")
        .join("mss-test-display");
    if !helper.exists() {
        return Err(XtaskError::Check(format!(
            "the test display helper was built but is not at {}",
            helper.display()
        )));
    }
    Cmd::new(&python)
        .args(["-m", "pytest", "-p", "no:cacheprovider"])
        .arg(root.join(CRATE).join("tests"))
        .env("MSS_TEST_DISPLAY", &helper)
        .current_dir(root.join(CRATE))
        .run_counting_tests(counts)
}

/// Builds the module's wheel for a package index (`pip wheel`, maturin asked for
/// [`MANYLINUX`], which it audits) into an empty directory and checks that exactly that wheel
/// came out, tagged for this platform.
///
/// # Errors
///
/// pip's failure (maturin's audit among them), or a wheel with another name.
fn check_manylinux_wheel(python: &Path) -> Result<()> {
    let root = crate::paths::project_root();
    let directory = crate::paths::target_directory().join("python-wheel");
    if directory.exists() {
        std::fs::remove_dir_all(&directory)
            .map_err(|error| XtaskError::Check(format!("{}: {error}", directory.display())))?;
    }
    Cmd::new(python)
        .args([
            "-m",
            "pip",
            "--disable-pip-version-check",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
        ])
        .arg(&directory)
        .arg(root.join(CRATE))
        .env(
            "MATURIN_PEP517_ARGS",
            format!("--profile dev --compatibility {MANYLINUX}"),
        )
        .run()?;
    let wheels: Vec<String> = std::fs::read_dir(&directory)
        .map_err(|error| XtaskError::Check(format!("{}: {error}", directory.display())))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let platform = format!("{MANYLINUX}_{}.whl", std::env::consts::ARCH);
    match wheels.as_slice() {
        [wheel] if wheel.starts_with("mss_rs-") && wheel.ends_with(&platform) => {
            println!("the wheel is {wheel}");
            Ok(())
        }
        _ => Err(XtaskError::Check(format!(
            "pip wheel ./{CRATE} made {wheels:?} in {}, expected one mss_rs wheel ending in {platform}",
            directory.display()
        ))),
    }
}
