//! `cargo xtask test` and `cargo xtask ci`.
//!
//! `test` installs the system packages the tests need, runs every crate's tests with default
//! features, then runs the crates that have backend features once per backend with that backend
//! alone, so a backend that only works with the other one turned on is caught. `ci` adds the
//! format, tidy, lint and documentation checks in front.

use crate::error::Result;
use crate::shell::Cmd;
use crate::steps::Steps;
use crate::system_packages;
use crate::workspace::Member;

/// One extra test run of one package with exactly the given features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureRun {
    /// The package to test.
    pub package: &'static str,
    /// The features turned on, with default features off.
    pub features: &'static str,
}

/// Every backend-feature run of `cargo xtask test`: each crate with backend features, once per
/// backend alone. The facade's tests also save PNG files, so its `png` feature stays on.
pub const BACKEND_FEATURE_RUNS: &[FeatureRun] = &[
    FeatureRun {
        package: "mss-testkit",
        features: "x11-getimage",
    },
    FeatureRun {
        package: "mss-testkit",
        features: "x11-shm",
    },
    FeatureRun {
        package: "mss",
        features: "x11-getimage,png",
    },
    FeatureRun {
        package: "mss",
        features: "x11-shm,png",
    },
    // Without PNG support, each backend alone.
    FeatureRun {
        package: "mss",
        features: "x11-getimage",
    },
    FeatureRun {
        package: "mss",
        features: "x11-shm",
    },
    // Everything, including the `image` interop.
    FeatureRun {
        package: "mss",
        features: "x11-shm,x11-getimage,png,image",
    },
];

/// What is wrong with [`BACKEND_FEATURE_RUNS`] given the workspace `members`: packages that are
/// not members and features they do not declare. Tidy reports these, so a renamed feature is
/// caught before a long test run fails on it.
pub fn feature_table_problems(members: &[Member]) -> Vec<String> {
    let mut problems = Vec::new();
    for feature_run in BACKEND_FEATURE_RUNS {
        let Some(member) = members
            .iter()
            .find(|member| member.name == feature_run.package)
        else {
            problems.push(format!("{} is not a workspace member", feature_run.package));
            continue;
        };
        for feature in feature_run.features.split(',') {
            if !member.features.iter().any(|known| known == feature) {
                problems.push(format!(
                    "{} has no feature `{feature}`",
                    feature_run.package
                ));
            }
        }
    }
    problems
}

impl FeatureRun {
    fn command(self) -> Cmd {
        Cmd::cargo().args([
            "test",
            "--package",
            self.package,
            "--no-default-features",
            "--features",
            self.features,
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
    for feature_run in BACKEND_FEATURE_RUNS {
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
    use super::*;

    #[test]
    fn feature_runs_turn_off_default_features() {
        let command = BACKEND_FEATURE_RUNS[0].command().display();
        assert!(
            command.ends_with(
                "test --package mss-testkit --no-default-features --features x11-getimage --no-fail-fast"
            ),
            "{command}"
        );
    }

    #[test]
    fn every_feature_run_names_a_member_and_its_features() {
        let members = crate::workspace::members().unwrap();
        assert_eq!(feature_table_problems(&members), Vec::<String>::new());
    }

    #[test]
    fn unknown_packages_and_features_in_the_table_are_reported() {
        let members = vec![Member {
            name: "mss-testkit".to_owned(),
            directory: "/w/mss-testkit".into(),
            crate_roots: Vec::new(),
            features: vec!["x11-getimage".to_owned()],
        }];
        let problems = feature_table_problems(&members);
        // One problem per row of the real table: the unknown feature, and each `mss` row.
        let mss_rows = BACKEND_FEATURE_RUNS
            .iter()
            .filter(|run| run.package == "mss")
            .count();
        let mut expected = vec!["mss-testkit has no feature `x11-shm`".to_owned()];
        expected.extend(std::iter::repeat_n(
            "mss is not a workspace member".to_owned(),
            mss_rows,
        ));
        assert_eq!(problems, expected);
    }
}
