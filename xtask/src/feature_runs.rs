//! The facade's feature runs of `cargo xtask test`: each backend alone (with and without PNG
//! support) and everything together, derived from the facade's backend features so that a new
//! backend is tested alone without editing xtask; and what tidy reports when they cannot be
//! made.

use crate::error::{Result, XtaskError};
use crate::facade::{FACADE, backend_features};
use crate::shell::Cmd;
use crate::workspace::Member;

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

/// Every feature run of `cargo xtask test`, from the facade among `members`: each backend alone
/// with `png`, each alone without it, and every backend with `png` and `image`. A test-only
/// backend (a made-up screen, no display server) joins only the run of everything: alone, the
/// facade's conformance suite would have no display server's backend to run.
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
    let is_test_only = |backend: &String| {
        members
            .iter()
            .any(|member| member.name == format!("mss-{backend}") && member.test_only)
    };
    if backends.iter().all(is_test_only) {
        return Err(XtaskError::Check(format!(
            "{FACADE} has no backend feature of a display server (a feature named F that turns \
             on `dep:mss-F`, whose crate is not test-only)"
        )));
    }
    let run = |features: String| FeatureRun {
        package: FACADE.to_owned(),
        features,
    };
    let alone: Vec<&String> = backends.iter().filter(|b| !is_test_only(b)).collect();
    let mut runs: Vec<FeatureRun> = alone
        .iter()
        .map(|backend| run(format!("{backend},{PNG_FEATURE}")))
        .collect();
    runs.extend(alone.iter().map(|backend| run((*backend).clone())));
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
    /// The `cargo test` command of this run.
    pub fn command(&self) -> Cmd {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::workspace;

    fn member(name: &str, features: &[(&str, &[&str])]) -> Member {
        Member {
            name: name.to_owned(),
            directory: format!("/w/{name}").into(),
            targets: Vec::new(),
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
            test_only: false,
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
    fn a_test_only_backend_runs_only_with_everything() {
        let mut members = facade_with(&["fake", "x11-shm"]);
        for member in &mut members {
            member.test_only = member.name == "mss-fake";
        }
        let runs = feature_runs(&members).unwrap();
        let features: Vec<&str> = runs.iter().map(|run| run.features.as_str()).collect();
        assert_eq!(
            features,
            ["x11-shm,png", "x11-shm", "fake,x11-shm,png,image"]
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
