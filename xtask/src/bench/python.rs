//! The Python benchmarks, the step of `cargo xtask bench` after the Rust ones: mss-rs's module
//! (`grab()` and `grab()` plus `numpy.asarray()`) against the same grab from Rust, and against
//! python-mss 10.2 (PyPI) and python-mss's main branch on the same Python, each on Debian's
//! Python and on Python 3.13 (from pyenv); `tools.to_png` against python-mss's.
//!
//! This module prepares what the driver (`mss-python/bench/driver.py`, standard library only)
//! needs and runs it: the interpreters, one virtual environment per package and interpreter
//! under `target/python-bench/` (every package imports as `mss`), mss-rs's module built with
//! pip as a user builds it (optimised; cargo's `dev` profile in `--quick`), the test kit's
//! display helper, and the plan. The driver writes measures in the bench's format, which
//! [`run`](super::run()) judges and prints with the others.
//!
//! Nothing is left out silently: an interpreter or a package that is missing (no Python 3.13
//! on the machine, no network to fetch python-mss's main branch) gives rows that say "not
//! available" and why. `--quick` (CI) measures Debian's Python only, on a small screen, and
//! says so in the 3.13 rows.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::bench::results::{Measure, parse_measures};
use crate::error::{Result, XtaskError};
use crate::paths::{project_root, target_directory};
use crate::python::{ensure_venv, venv_python};
use crate::shell::Cmd;
use crate::system_packages::DEBIAN_PYTHON;

/// The target of `grab()` plus `numpy.asarray()` from Python over the same grab from Rust.
pub const TARGET_OVER_RUST: f64 = 1.15;
/// The target of mss-rs's `tools.to_png` time over python-mss's: 5 times faster or more.
pub const PNG_TIME_TARGET: f64 = 0.2;

/// python-mss's release compared with: the newest 10.x on PyPI.
const PYTHON_MSS_RELEASE: &str = "mss==10.2.0";
/// Where python-mss's main branch comes from unless `MSS_BENCH_PYTHON_MSS_MAIN` says.
const PYTHON_MSS_MAIN: &str = "git+https://github.com/BoboTiG/python-mss";
/// A local copy of python-mss's repository (a git repository, bare or not, or a source
/// directory) to take the main branch from, for machines that cannot reach GitHub.
const PYTHON_MSS_MAIN_VARIABLE: &str = "MSS_BENCH_PYTHON_MSS_MAIN";

/// The subjects, by the names the driver and the rows use: mss-rs first, then what it is
/// compared with.
const OURS: &str = "mss-rs";
const RELEASE: &str = "python-mss 10.2";
const MAIN: &str = "python-mss main";

/// An interpreter to measure on, or why there is none.
struct Interpreter {
    /// `python3.11`.
    label: String,
    /// Its program, or why it is not measured.
    python: std::result::Result<PathBuf, String>,
}

/// The `MAJOR.MINOR.PATCH` version of `python`.
fn version_of(python: &Path) -> Result<String> {
    let text = Cmd::new(python)
        .args(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])
        .read()?;
    Ok(text.trim().to_owned())
}

/// The newest Python 3.13 pyenv installed (`$PYENV_ROOT/versions/3.13.*`, `~/.pyenv` by
/// default), or why there is none.
fn pyenv_python_3_13() -> std::result::Result<PathBuf, String> {
    let root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".pyenv")))
        .ok_or_else(|| "neither PYENV_ROOT nor HOME is set".to_owned())?;
    let versions = root.join("versions");
    let mut found: Vec<(Vec<u32>, PathBuf)> = std::fs::read_dir(&versions)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let patch = name.strip_prefix("3.13.")?.parse::<u32>().ok()?;
                    let python = entry.path().join("bin").join("python3");
                    python.exists().then_some((vec![patch], python))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().map(|(_, python)| python).ok_or_else(|| {
        format!(
            "no Python 3.13 on this machine (none in {}/3.13.*; `pyenv install 3.13` adds one)",
            versions.display()
        )
    })
}

/// The interpreters of this run: Debian's Python, then 3.13 (not in `--quick`).
fn interpreters(quick: bool) -> Result<Vec<Interpreter>> {
    let debian = Path::new(DEBIAN_PYTHON);
    let version = version_of(debian)?;
    let minor = version
        .rsplit_once('.')
        .map_or(version.as_str(), |(minor, _)| minor);
    let mut found = vec![Interpreter {
        label: format!("python{minor}"),
        python: Ok(debian.to_path_buf()),
    }];
    if minor != "3.13" {
        let python = if quick {
            Err("not run in --quick (the full run measures it)".to_owned())
        } else {
            pyenv_python_3_13()
        };
        found.push(Interpreter {
            label: "python3.13".to_owned(),
            python,
        });
    }
    Ok(found)
}

/// Installs `requirements` with pip into `venv`, made from `python` if needed; the venv's
/// Python, or pip's last words when it fails.
fn venv_with(
    python: &Path,
    venv: &Path,
    requirements: &[&str],
) -> Result<std::result::Result<PathBuf, String>> {
    ensure_venv(python, venv)?;
    let venv_python = venv_python(venv);
    let output = Cmd::new(&venv_python)
        .args([
            "-m",
            "pip",
            "--disable-pip-version-check",
            "install",
            "--quiet",
        ])
        .args(requirements)
        .output_unchecked()?;
    if output.status.success() {
        return Ok(Ok(venv_python));
    }
    let errors = String::from_utf8_lossy(&output.stderr);
    let last = errors
        .lines()
        .rfind(|line| !line.trim().is_empty())
        .unwrap_or("no message");
    Ok(Err(format!(
        "pip install {} failed: {}",
        requirements.join(" "),
        last.trim()
    )))
}

/// Where python-mss's main branch is installed from, as pip takes it.
fn python_mss_main_source() -> String {
    match std::env::var_os(PYTHON_MSS_MAIN_VARIABLE) {
        Some(path) => {
            let path = PathBuf::from(path);
            // A git repository (bare or not) by URL, so pip takes its HEAD; a plain source
            // directory as it is.
            if path.join("HEAD").exists() || path.join(".git").exists() {
                format!("git+file://{}", path.display())
            } else {
                path.display().to_string()
            }
        }
        None => PYTHON_MSS_MAIN.to_owned(),
    }
}

/// What pip says it installed as `mss` in `venv_python`'s environment (the commit, for a
/// branch).
fn installed_mss(venv_python: &Path) -> String {
    Cmd::new(venv_python)
        .args(["-m", "pip", "--disable-pip-version-check", "freeze"])
        .output_unchecked()
        .ok()
        .and_then(|output| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .find(|line| line.starts_with("mss"))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "mss (unknown)".to_owned())
}

/// The subjects of `interpreter`, each a venv's Python or why it has none.
fn subjects(interpreter: &Interpreter, python: &Path, quick: bool) -> Result<Value> {
    let directory = target_directory()
        .join("python-bench")
        .join(&interpreter.label);
    let ours_venv = directory.join("mss-rs");
    let ours = venv_with(python, &ours_venv, &["numpy"])?.map_err(XtaskError::Check)?;
    // A local directory is always built again; the optimised build is what users get from
    // pip, and --quick only checks that every row runs.
    let profile = if quick {
        "--profile dev"
    } else {
        "--profile release"
    };
    Cmd::new(&ours)
        .args([
            "-m",
            "pip",
            "--disable-pip-version-check",
            "install",
            "--quiet",
            "--force-reinstall",
            "--no-deps",
        ])
        .arg(project_root().join("mss-python"))
        .env("MATURIN_PEP517_ARGS", profile)
        .run()?;
    let mut subjects = serde_json::Map::new();
    subjects.insert(OURS.to_owned(), json!({ "python": ours }));
    let main_source = python_mss_main_source();
    for (name, directory_name, requirement) in [
        (RELEASE, "python-mss-10.2", PYTHON_MSS_RELEASE.to_owned()),
        (MAIN, "python-mss-main", main_source),
    ] {
        let venv = directory.join(directory_name);
        let subject = match venv_with(python, &venv, &["numpy", &requirement])? {
            Ok(venv_python) => {
                println!(
                    "{name} on {}: {}",
                    interpreter.label,
                    installed_mss(&venv_python)
                );
                json!({ "python": venv_python })
            }
            Err(why) => {
                let why = if name == MAIN && std::env::var_os(PYTHON_MSS_MAIN_VARIABLE).is_none() {
                    format!(
                        "{why} (set {PYTHON_MSS_MAIN_VARIABLE} to a local copy of the repository)"
                    )
                } else {
                    why
                };
                json!({ "unavailable": why })
            }
        };
        subjects.insert(name.to_owned(), subject);
    }
    Ok(Value::Object(subjects))
}

/// Runs the Python benchmarks and returns their measures.
///
/// # Errors
///
/// A failure to build mss-rs's module, the display helper or a virtual environment, the
/// driver's failure, or results it did not write.
pub fn run(quick: bool, output_directory: &Path) -> Result<Vec<Measure>> {
    let mut planned = Vec::new();
    for interpreter in interpreters(quick)? {
        let entry = match &interpreter.python {
            Ok(python) => json!({
                "label": interpreter.label,
                "subjects": subjects(&interpreter, python, quick)?,
            }),
            Err(why) => json!({ "label": interpreter.label, "unavailable": why }),
        };
        planned.push(entry);
    }
    Cmd::cargo()
        .args([
            "build",
            "--package",
            "mss-testkit",
            "--bin",
            "mss-test-display",
        ])
        .run()?;
    let helper = target_directory().join("debug").join("mss-test-display");
    let output = output_directory.join("python-measures.json");
    let _ = std::fs::remove_file(&output);
    let (sizes, calls, png_size) = if quick {
        (vec!["1280x720"], json!({ "1280x720": 10 }), "1280x720")
    } else {
        (
            vec!["1920x1080", "3840x2160"],
            json!({ "1920x1080": 400, "3840x2160": 150 }),
            "1920x1080",
        )
    };
    let plan = json!({
        "interpreters": planned,
        "others": [RELEASE, MAIN],
        "helper": helper,
        "sizes": sizes,
        "calls": calls,
        "warm_up": if quick { 2 } else { 20 },
        "png_size": png_size,
        "png_calls": if quick { 1 } else { 12 },
        "png_warm_up": if quick { 0 } else { 1 },
        "target_over_rust": TARGET_OVER_RUST,
        "png_time_target": PNG_TIME_TARGET,
        "output": output,
    });
    let plan_path = output_directory.join("python-plan.json");
    std::fs::write(
        &plan_path,
        serde_json::to_string_pretty(&plan).expect("a JSON value always serialises"),
    )
    .map_err(|source| XtaskError::File {
        action: "cannot write",
        path: plan_path.clone(),
        source,
    })?;
    // At raised priority, as the Rust benchmarks (see `run`): the display and the workers
    // inherit it.
    Cmd::new("nice")
        .args(["-n", "-10", DEBIAN_PYTHON])
        .arg(
            project_root()
                .join("mss-python")
                .join("bench")
                .join("driver.py"),
        )
        .arg(&plan_path)
        .run()?;
    let text = std::fs::read_to_string(&output).map_err(|source| XtaskError::File {
        action: "cannot read",
        path: output.clone(),
        source,
    })?;
    parse_measures(&text)
}
