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
    /// The crate roots of its library and binaries (`src/lib.rs`, `src/main.rs`, ...).
    pub crate_roots: Vec<PathBuf>,
    /// The features it declares, each with what it turns on (`dep:mss-x11-shm`, ...).
    pub features: BTreeMap<String, Vec<String>>,
    /// The packages it depends on as a library or build script needs them (not
    /// dev-dependencies), by package name.
    pub dependencies: Vec<String>,
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
    let unexpected = |detail: &str| XtaskError::UnexpectedOutput {
        command: command.display(),
        detail: detail.to_owned(),
    };
    let metadata: serde_json::Value =
        serde_json::from_str(&text).map_err(|error| unexpected(&error.to_string()))?;
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
            let crate_roots = package["targets"]
                .as_array()
                .map(|targets| {
                    targets
                        .iter()
                        .filter(|target| is_library_or_binary(target))
                        .filter_map(|target| target["src_path"].as_str().map(PathBuf::from))
                        .collect()
                })
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
            Ok(Member {
                name: name.to_owned(),
                directory,
                crate_roots,
                features,
                dependencies,
            })
        })
        .collect()
}

/// Whether a cargo target is the crate's library or one of its binaries, rather than a test,
/// example, bench or build script.
fn is_library_or_binary(target: &serde_json::Value) -> bool {
    target["kind"].as_array().is_some_and(|kinds| {
        kinds.iter().any(|kind| {
            matches!(
                kind.as_str(),
                Some("lib" | "rlib" | "dylib" | "cdylib" | "staticlib" | "proc-macro" | "bin")
            )
        })
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
    fn members_include_xtask_with_its_main() {
        let members = members().unwrap();
        let xtask = members
            .iter()
            .find(|member| member.name == "xtask")
            .expect("xtask is a workspace member");
        assert_eq!(xtask.directory, project_root().join("xtask"));
        assert_eq!(
            xtask.crate_roots,
            vec![project_root().join("xtask/src/main.rs")]
        );
    }
}
