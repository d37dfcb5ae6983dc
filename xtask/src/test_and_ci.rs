//! `cargo xtask test` and `cargo xtask ci`.
//!
//! `test` installs the system packages the tests need, runs every crate's tests with default
//! features, then runs the facade's tests once per backend with that backend alone (with and
//! without PNG support) and once with everything, so a backend that only works with another
//! one turned on is caught. The backends are found from the facade's features by the registry's
//! rule (a backend's feature is its name and turns on the crate `mss-<name>`), so a new backend
//! is tested alone without editing xtask. `ci` adds the format, tidy, lint and documentation
//! checks in front.

use crate::error::{Result, XtaskError};
use crate::shell::Cmd;
use crate::steps::Steps;
use crate::system_packages;
use crate::workspace::{self, Member};

/// The facade crate, whose features pick the backends.
pub const FACADE: &str = "mss";

/// The facade's features that are not backends: each backend run keeps `png` (the facade's
/// tests also save PNG files) and runs once without it; the full run adds `image`.
const PNG_FEATURE: &str = "png";
const IMAGE_FEATURE: &str = "image";

/// One extra test run of one package with exactly the given features.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureRun {
    /// The package to test.
    pub package: String,
    /// The features turned on, comma separated, with default features off.
    pub features: String,
}

/// The backend features of the facade `member`: those that turn on the crate `mss-<feature>`.
pub fn backend_features(member: &Member) -> Vec<String> {
    member
        .features
        .iter()
        .filter(|(name, enables)| enables.contains(&format!("dep:mss-{name}")))
        .map(|(name, _)| name.clone())
        .collect()
}

/// Every feature run of `cargo xtask test`, from the facade among `members`: each backend alone
/// with `png`, each alone without it, and every backend with `png` and `image`.
///
/// # Errors
///
/// [`XtaskError::Check`] when the facade is missing or has no backend feature.
pub fn feature_runs(members: &[Member]) -> Result<Vec<FeatureRun>> {
    let facade = members
        .iter()
        .find(|member| member.name == FACADE)
        .ok_or_else(|| {
            XtaskError::Check(format!("the facade {FACADE} is not a workspace member"))
        })?;
    let backends = backend_features(facade);
    if backends.is_empty() {
        return Err(XtaskError::Check(format!(
            "{FACADE} has no backend feature (a feature named F that turns on `dep:mss-F`)"
        )));
    }
    let run = |features: String| FeatureRun {
        package: FACADE.to_owned(),
        features,
    };
    let mut runs: Vec<FeatureRun> = backends
        .iter()
        .map(|backend| run(format!("{backend},{PNG_FEATURE}")))
        .collect();
    runs.extend(backends.iter().map(|backend| run(backend.clone())));
    let mut everything = backends.clone();
    everything.extend([PNG_FEATURE.to_owned(), IMAGE_FEATURE.to_owned()]);
    runs.push(run(everything.join(",")));
    Ok(runs)
}

/// What is wrong with the feature runs given the workspace `members`: a run that cannot be
/// made, features the facade does not declare, or a backend feature whose crate is not a
/// member. Tidy reports these, so a renamed feature is caught before a long test run fails on
/// it.
pub fn feature_table_problems(members: &[Member]) -> Vec<String> {
    let runs = match feature_runs(members) {
        Ok(runs) => runs,
        Err(error) => return vec![error.to_string()],
    };
    let mut problems = Vec::new();
    let facade = members.iter().find(|member| member.name == FACADE);
    for feature_run in &runs {
        for feature in feature_run.features.split(',') {
            if !facade.is_some_and(|member| member.has_feature(feature)) {
                problems.push(format!(
                    "{} has no feature `{feature}`",
                    feature_run.package
                ));
            }
        }
    }
    if let Some(facade) = facade {
        for backend in backend_features(facade) {
            let crate_name = format!("mss-{backend}");
            if !members.iter().any(|member| member.name == crate_name) {
                problems.push(format!(
                    "backend feature `{backend}` turns on {crate_name}, which is not a workspace member"
                ));
            }
        }
    }
    problems
}

impl FeatureRun {
    fn command(&self) -> Cmd {
        Cmd::cargo().args([
            "test",
            "--package",
            &self.package,
            "--no-default-features",
            "--features",
            &self.features,
            "--no-fail-fast",
        ])
    }
}

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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn member(name: &str, features: &[(&str, &[&str])]) -> Member {
        Member {
            name: name.to_owned(),
            directory: format!("/w/{name}").into(),
            crate_roots: Vec::new(),
            features: features
                .iter()
                .map(|(name, enables)| {
                    (
                        (*name).to_owned(),
                        enables.iter().map(|item| (*item).to_owned()).collect(),
                    )
                })
                .collect::<BTreeMap<_, _>>(),
            dependencies: Vec::new(),
        }
    }

    fn facade_with(backends: &[&str]) -> Vec<Member> {
        let mut features: Vec<(&str, &[&str])> =
            vec![("png", &["dep:png"]), ("image", &["dep:image"])];
        let enables: Vec<[String; 2]> = backends
            .iter()
            .map(|backend| [format!("dep:mss-{backend}"), "dep:mss-plumbing".to_owned()])
            .collect();
        let borrowed: Vec<Vec<&str>> = enables
            .iter()
            .map(|pair| pair.iter().map(String::as_str).collect())
            .collect();
        for (backend, enables) in backends.iter().zip(&borrowed) {
            features.push((backend, enables));
        }
        let mut members = vec![member(FACADE, &features)];
        members.extend(
            backends
                .iter()
                .map(|backend| member(&format!("mss-{backend}"), &[])),
        );
        members
    }

    #[test]
    fn feature_runs_follow_the_facades_backend_features() {
        let runs = feature_runs(&facade_with(&["x11-getimage", "x11-shm"])).unwrap();
        let features: Vec<&str> = runs.iter().map(|run| run.features.as_str()).collect();
        assert_eq!(
            features,
            [
                "x11-getimage,png",
                "x11-shm,png",
                "x11-getimage",
                "x11-shm",
                "x11-getimage,x11-shm,png,image",
            ]
        );
        assert!(runs.iter().all(|run| run.package == FACADE));
        let command = runs[0].command().display();
        assert!(
            command.ends_with(
                "test --package mss --no-default-features --features x11-getimage,png --no-fail-fast"
            ),
            "{command}"
        );
    }

    #[test]
    fn a_new_backend_feature_gets_its_runs_without_editing_xtask() {
        let runs = feature_runs(&facade_with(&["wayland", "x11-shm"])).unwrap();
        assert!(runs.iter().any(|run| run.features == "wayland"));
        assert!(runs.iter().any(|run| run.features == "wayland,png"));
    }

    #[test]
    fn the_real_facade_has_backend_runs_and_no_problems() {
        let members = workspace::members().unwrap();
        assert_eq!(feature_table_problems(&members), Vec::<String>::new());
        let runs = feature_runs(&members).unwrap();
        assert!(runs.iter().any(|run| run.features == "x11-shm"));
        assert!(runs.iter().any(|run| run.features == "x11-getimage"));
    }

    #[test]
    fn a_backend_without_its_crate_or_a_facade_without_backends_is_reported() {
        let mut members = facade_with(&["x11-shm"]);
        members.retain(|member| member.name != "mss-x11-shm");
        assert_eq!(
            feature_table_problems(&members),
            ["backend feature `x11-shm` turns on mss-x11-shm, which is not a workspace member"]
        );
        let problems = feature_table_problems(&facade_with(&[]));
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("has no backend feature"),
            "{problems:?}"
        );
        let problems = feature_table_problems(&[]);
        assert!(
            problems[0].contains("not a workspace member"),
            "{problems:?}"
        );
    }
}
