//! `cargo xtask test` and `cargo xtask ci`.
//!
//! `test` installs the system packages the tests need, runs every crate's tests with default
//! features, then runs the facade's tests once per backend with that backend alone (with and
//! without PNG support) and once with everything, so a backend that only works with another
//! one turned on is caught. The backends are found from the facade's features by the registry's
//! rule (a backend's feature is its name and turns on the crate `mss-<name>`), so a new backend
//! is tested alone without editing xtask (the runs are made in `feature_runs`). The Python
//! module's pytest suite runs after them (`python`). `ci` adds the format, tidy, lint and
//! documentation checks in front.

use crate::error::Result;
use crate::feature_runs::feature_runs;
use crate::python;
use crate::shell::Cmd;
use crate::steps::Steps;
use crate::system_packages;
use crate::workspace;

/// The steps of `cargo xtask test`, added to `steps`.
pub fn add_test_steps(steps: &mut Steps) {
    let packages_ready = steps.run("system packages for the tests", |_| {
        system_packages::ensure_installed(system_packages::TEST_REQUIREMENTS)
    });
    if !packages_ready {
        // Without an X server every X test fails for the same reason; the step above already
        // printed the command that fixes it, so more output would only bury it.
        return;
    }
    let workspace_tests = Cmd::cargo().args(["test", "--workspace", "--no-fail-fast"]);
    steps.run("tests of every crate (default features)", |counts| {
        workspace_tests.run_counting_tests(counts)
    });
    steps.run(
        "the Python module (venv, pip install ./mss-python, pytest)",
        python::run_tests,
    );
    let runs = match workspace::members().and_then(|members| feature_runs(&members)) {
        Ok(runs) => runs,
        Err(error) => {
            steps.run("the facade's backend features", |_| Err(error));
            return;
        }
    };
    for feature_run in runs {
        let heading = format!(
            "tests of {} with --no-default-features --features {}",
            feature_run.package, feature_run.features
        );
        steps.run(&heading, |counts| {
            feature_run.command().run_counting_tests(counts)
        });
    }
}

/// `cargo xtask test`.
///
/// # Errors
///
/// Fails when any step fails; the summary printed before says which.
pub fn test() -> Result<()> {
    let mut steps = Steps::default();
    add_test_steps(&mut steps);
    steps.finish()
}

/// `cargo xtask ci`: formatting, tidy, clippy and rustdoc checks, everything `test` does, then
/// a smoke run of the benchmarks (`cargo xtask bench --quick`: it checks that every benchmark
/// and floor runs and produces its ratio, never the timings).
///
/// # Errors
///
/// Fails when any step fails; the summary printed before says which.
pub fn ci() -> Result<()> {
    let mut steps = Steps::default();
    steps.run("formatting (cargo fmt --check)", |_| {
        Cmd::cargo().args(["fmt", "--all", "--", "--check"]).run()
    });
    steps.run("tidy", |_| crate::tidy::run());
    steps.run("lints (clippy, warnings denied)", |_| {
        Cmd::cargo()
            .args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
            .run()
    });
    steps.run("documentation (rustdoc, warnings denied)", |_| {
        Cmd::cargo()
            .args(["doc", "--workspace", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings")
            .run()
    });
    add_test_steps(&mut steps);
    steps.run("benchmarks, smoke run (cargo xtask bench --quick)", |_| {
        crate::bench::run(&crate::bench::BenchOptions::parse(&["--quick".to_owned()]))
    });
    steps.finish()
}
