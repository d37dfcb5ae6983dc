//! Which crates the project has, read from `cargo metadata` so that a crate added
//! to the workspace is checked by tidy without editing xtask.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Result, XtaskError};
use crate::shell::Cmd;

/// One workspace member as tidy needs it.
#[derive(Debug, Clone)]
pub struct Member {
    /// The package name, such as `mss-core`.
    pub name: String,
    /// The directory that holds its `Cargo.toml`.
    pub directory: PathBuf,
    /// Every target cargo lists for it: library, binaries, tests, benches, examples and build
    /// script, each with its crate root.
    pub targets: Vec<Target>,
    /// The features it declares, each with what it turns on (`dep:mss-x11-shm`, ...).
    pub features: BTreeMap<String, Vec<String>>,
    /// The packages it depends on as a library or build script needs them (not
    /// dev-dependencies), by package name.
    pub dependencies: Vec<String>,
    /// Whether its manifest says `[package.metadata.mss]` `test-only = true`: a backend only
    /// tests use, which no build of the command line may carry.
    pub test_only: bool,
}

/// What a cargo target is, from the first of its `kind`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    /// The library (`lib`, `rlib`, `proc-macro`, ...).
    Library,
    /// A binary.
    Binary,
    /// An integration test.
    Test,
    /// A benchmark.
    Bench,
    /// An example.
    Example,
    /// The build script (`custom-build`).
    BuildScript,
    /// A kind this list does not know yet, as cargo names it.
    Other(String),
}

impl TargetKind {
    /// The kind of a target whose `kind` array starts with `kind`.
    pub fn from_cargo(kind: &str) -> Self {
        match kind {
            "lib" | "rlib" | "dylib" | "cdylib" | "staticlib" | "proc-macro" => Self::Library,
            "bin" => Self::Binary,
            "test" => Self::Test,
            "bench" => Self::Bench,
            "example" => Self::Example,
            "custom-build" => Self::BuildScript,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl std::fmt::Display for TargetKind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Self::Library => "library",
            Self::Binary => "binary",
            Self::Test => "test",
            Self::Bench => "bench",
            Self::Example => "example",
            Self::BuildScript => "build script",
            Self::Other(kind) => kind,
        })
    }
}

/// One cargo target of a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What it is.
    pub kind: TargetKind,
    /// Its name (`it`, `mss`, `build-script-build`, ...).
    pub name: String,
    /// Its crate root (`src/lib.rs`, `tests/it/main.rs`, `build.rs`, ...).
    pub root: PathBuf,
}

impl Member {
    /// Whether it declares `feature`.
    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.contains_key(feature)
    }
}

/// The members of the workspace, in the order cargo lists them.
///
/// # Errors
///
/// Fails if `cargo metadata` fails or prints something other than the documented JSON.
pub fn members() -> Result<Vec<Member>> {
    let command = Cmd::cargo().args(["metadata", "--format-version", "1", "--no-deps"]);
    let text = command.read()?;
    parse_members(&text).map_err(|detail| XtaskError::UnexpectedOutput {
        command: command.display(),
        detail,
    })
}

/// The members in the text of `cargo metadata --format-version 1`, or what is wrong with it.
fn parse_members(text: &str) -> Result<Vec<Member>, String> {
    let unexpected = |detail: &str| detail.to_owned();
    let metadata: serde_json::Value =
        serde_json::from_str(text).map_err(|error| unexpected(&error.to_string()))?;
    let packages = metadata["packages"]
        .as_array()
        .ok_or_else(|| unexpected("no `packages` array"))?;
    packages
        .iter()
        .map(|package| {
            let name = package["name"]
                .as_str()
                .ok_or_else(|| unexpected("a package without a name"))?;
            let manifest = package["manifest_path"]
                .as_str()
                .ok_or_else(|| unexpected("a package without a manifest_path"))?;
            let directory = Path::new(manifest)
                .parent()
                .ok_or_else(|| unexpected("a manifest_path without a directory"))?
                .to_path_buf();
            let targets = package["targets"]
                .as_array()
                .map(|targets| targets.iter().filter_map(target).collect())
                .unwrap_or_default();
            let features = package["features"]
                .as_object()
                .map(|features| {
                    features
                        .iter()
                        .map(|(name, enables)| {
                            let enables = enables
                                .as_array()
                                .map(|list| {
                                    list.iter()
                                        .filter_map(|item| item.as_str().map(str::to_owned))
                                        .collect()
                                })
                                .unwrap_or_default();
                            (name.clone(), enables)
                        })
                        .collect()
                })
                .unwrap_or_default();
            // `kind` is null for normal dependencies, "build" for build dependencies and "dev"
            // for dev-dependencies, which are left out.
            let dependencies = package["dependencies"]
                .as_array()
                .map(|dependencies| {
                    dependencies
                        .iter()
                        .filter(|dependency| dependency["kind"].as_str() != Some("dev"))
                        .filter_map(|dependency| dependency["name"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            // `[package.metadata.mss] test-only = true`; `metadata` is null without a table.
            let test_only = package["metadata"]["mss"]["test-only"].as_bool() == Some(true);
            Ok(Member {
                name: name.to_owned(),
                directory,
                targets,
                features,
                dependencies,
                test_only,
            })
        })
        .collect()
}

/// A target of `cargo metadata`'s JSON, or `None` when it lacks a kind, name or root.
fn target(target: &serde_json::Value) -> Option<Target> {
    Some(Target {
        kind: TargetKind::from_cargo(target["kind"].as_array()?.first()?.as_str()?),
        name: target["name"].as_str()?.to_owned(),
        root: PathBuf::from(target["src_path"].as_str()?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::project_root;

    #[test]
    fn members_carry_feature_values_and_normal_dependencies_only() {
        let members = members().unwrap();
        let facade = members.iter().find(|member| member.name == "mss").unwrap();
        assert!(
            facade.features["x11-shm"].contains(&"dep:mss-x11-shm".to_owned()),
            "{:?}",
            facade.features
        );
        assert!(facade.dependencies.contains(&"mss-core".to_owned()));
        // mss-testkit is only a dev-dependency of the facade.
        assert!(!facade.dependencies.contains(&"mss-testkit".to_owned()));
    }

    #[test]
    fn members_list_every_target_with_its_kind() {
        let members = members().unwrap();
        let kinds = |name: &str| -> Vec<(TargetKind, String)> {
            members
                .iter()
                .find(|member| member.name == name)
                .unwrap()
                .targets
                .iter()
                .map(|target| (target.kind.clone(), target.name.clone()))
                .collect()
        };
        assert!(kinds("mss-bench").contains(&(TargetKind::Bench, "mss".to_owned())));
        assert!(kinds("mss-bench").contains(&(TargetKind::Test, "it".to_owned())));
        assert!(kinds("mss").contains(&(TargetKind::Example, "png_timing".to_owned())));
        assert!(kinds("mss-memfd").contains(&(TargetKind::Library, "mss_memfd".to_owned())));
        assert_eq!(
            TargetKind::from_cargo("custom-build"),
            TargetKind::BuildScript
        );
        assert_eq!(TargetKind::from_cargo("proc-macro"), TargetKind::Library);
        assert_eq!(TargetKind::BuildScript.to_string(), "build script");
    }

    #[test]
    fn test_only_backends_are_read_from_the_package_metadata() {
        let text = r#"{"packages": [
            {"name": "mss-fake", "manifest_path": "/w/mss-fake/Cargo.toml",
             "targets": [{"kind": ["lib"], "name": "mss_fake", "src_path": "/w/mss-fake/src/lib.rs"}],
             "features": {}, "dependencies": [], "metadata": {"mss": {"test-only": true}}},
            {"name": "mss-x11-shm", "manifest_path": "/w/mss-x11-shm/Cargo.toml",
             "targets": [], "features": {}, "dependencies": [], "metadata": null},
            {"name": "mss-other", "manifest_path": "/w/mss-other/Cargo.toml",
             "targets": [], "features": {}, "dependencies": [],
             "metadata": {"mss": {"test-only": false}, "docs": {"rs": {}}}}
        ]}"#;
        let members = parse_members(text).unwrap();
        let test_only: Vec<bool> = members.iter().map(|member| member.test_only).collect();
        assert_eq!(test_only, [true, false, false]);
        assert_eq!(members[0].targets[0].kind, TargetKind::Library);
        assert_eq!(members[0].directory, PathBuf::from("/w/mss-fake"));
        assert!(
            parse_members(r#"{"packages": [{"name": "x"}]}"#)
                .unwrap_err()
                .contains("manifest_path")
        );
    }

    #[test]
    fn members_include_xtask_with_its_main() {
        let members = members().unwrap();
        let xtask = members
            .iter()
            .find(|member| member.name == "xtask")
            .expect("xtask is a workspace member");
        assert_eq!(xtask.directory, project_root().join("xtask"));
        let crate_roots: Vec<PathBuf> = xtask
            .targets
            .iter()
            .map(|target| target.root.clone())
            .collect();
        assert_eq!(crate_roots, vec![project_root().join("xtask/src/main.rs")]);
        assert_eq!(xtask.targets[0].kind, TargetKind::Binary);
    }
}
