//! The command line forwards every backend feature of the facade, by hand
//! (`x11-shm = ["mss/x11-shm"]` in `mss-cli/Cargo.toml`), so that `mss` can be built with any
//! backend and `--backend` can name it. Tidy checks the forwarding:
//!
//! - every backend feature `F` of the facade has a CLI feature `F` whose value is exactly
//!   `["mss/F"]`;
//! - the CLI has no backend-looking feature the facade lacks (one named like a workspace crate
//!   `mss-F`, or one forwarding a facade backend under another name);
//! - except test-only backends: a backend whose crate's manifest says `[package.metadata.mss]`
//!   `test-only = true` is not forwarded by the CLI at all, and is in neither the facade's nor
//!   the CLI's `default` features, so no build of `mss` carries it by accident.

use crate::facade::{FACADE, backend_features};
use crate::workspace::Member;

/// The command-line crate, which forwards the facade's backend features.
pub const CLI: &str = "mss-cli";

/// One broken forwarding rule: the crate whose manifest must change, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardingProblem {
    /// The crate whose `Cargo.toml` holds the line to add, change or remove.
    pub crate_name: String,
    /// What is wrong and the line to add or remove.
    pub message: String,
}

/// Every broken forwarding rule among `members`; none when the facade or the CLI is not a
/// member (the facade's absence is reported by the feature runs).
pub fn forwarding_problems(members: &[Member]) -> Vec<ForwardingProblem> {
    let find = |name: &str| members.iter().find(|member| member.name == name);
    let (Some(facade), Some(cli)) = (find(FACADE), find(CLI)) else {
        return Vec::new();
    };
    let problem = |crate_name: &str, message: String| ForwardingProblem {
        crate_name: crate_name.to_owned(),
        message,
    };
    let backends = backend_features(facade);
    let test_only = |backend: &str| find(&format!("mss-{backend}")).is_some_and(|m| m.test_only);
    let mut problems = Vec::new();
    for backend in &backends {
        let forwarding = format!("mss/{backend}");
        let line = format!("{backend} = [\"{forwarding}\"]");
        if test_only(backend) {
            if let Some(value) = cli.features.get(backend) {
                problems.push(problem(
                    CLI,
                    format!(
                        "{CLI} forwards `{backend}`, a test-only backend (mss-{backend} has \
                         `[package.metadata.mss] test-only = true`): remove the line \
                         `{backend} = {}` from [features] in {CLI}/Cargo.toml",
                        toml_list(value)
                    ),
                ));
            }
            for (owner, owner_member, names) in [
                (FACADE, facade, vec![backend.clone()]),
                (CLI, cli, vec![backend.clone(), forwarding.clone()]),
            ] {
                let default = owner_member.features.get("default");
                for name in names {
                    if default.is_some_and(|default| default.contains(&name)) {
                        problems.push(problem(
                            owner,
                            format!(
                                "`{backend}` is a test-only backend (mss-{backend} has \
                                 `[package.metadata.mss] test-only = true`): remove \"{name}\" \
                                 from `default = [...]` in {}/Cargo.toml",
                                manifest_directory(owner_member)
                            ),
                        ));
                    }
                }
            }
            continue;
        }
        match cli.features.get(backend) {
            None => problems.push(problem(
                CLI,
                format!(
                    "{CLI} does not forward the backend feature `{backend}` of {FACADE}: add \
                     the line `{line}` to [features] in {CLI}/Cargo.toml"
                ),
            )),
            Some(value) if value.as_slice() != std::slice::from_ref(&forwarding) => {
                problems.push(problem(
                    CLI,
                    format!(
                        "{CLI}'s feature `{backend}` is `{backend} = {}`, not a plain forwarding: \
                     make the line `{line}` in {CLI}/Cargo.toml",
                        toml_list(value)
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    for (feature, value) in &cli.features {
        if feature == "default" || backends.contains(feature) {
            continue;
        }
        let named_like_a_crate = members
            .iter()
            .any(|member| member.name == format!("mss-{feature}"));
        let forwards_a_backend = value.iter().any(|item| {
            backends
                .iter()
                .any(|backend| item == &format!("mss/{backend}"))
        });
        if named_like_a_crate || forwards_a_backend {
            problems.push(problem(
                CLI,
                format!(
                    "{CLI} has the feature `{feature}`, which looks like a backend, but {FACADE} \
                     has no backend feature `{feature}`: remove the line `{feature} = {}` from \
                     [features] in {CLI}/Cargo.toml",
                    toml_list(value)
                ),
            ));
        }
    }
    problems
}

/// A feature's value as it is written in a manifest: `["mss/x11-shm"]`.
fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("\"{item}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The directory name of a member's manifest, as the messages show it (`mss`, `mss-cli`).
fn manifest_directory(member: &Member) -> String {
    member.directory.file_name().map_or_else(
        || member.name.clone(),
        |name| name.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn member(name: &str, features: &[(&str, &[&str])]) -> Member {
        Member {
            name: name.to_owned(),
            directory: format!("/w/{name}").into(),
            targets: Vec::new(),
            features: features
                .iter()
                .map(|(feature, value)| {
                    (
                        (*feature).to_owned(),
                        value.iter().map(|item| (*item).to_owned()).collect(),
                    )
                })
                .collect::<BTreeMap<_, _>>(),
            dependencies: Vec::new(),
            test_only: false,
        }
    }

    /// A workspace with two real backends and a test-only one (`fake`), whose CLI forwards the
    /// real ones correctly; each test breaks one thing.
    fn workspace() -> Vec<Member> {
        let mut fake = member("mss-fake", &[]);
        fake.test_only = true;
        vec![
            member(
                FACADE,
                &[
                    ("default", &["x11-shm", "png"]),
                    ("x11-shm", &["dep:mss-x11-shm", "dep:mss-x11"]),
                    ("wayland", &["dep:mss-wayland"]),
                    ("fake", &["dep:mss-fake"]),
                    ("png", &["dep:png"]),
                ],
            ),
            member(
                CLI,
                &[
                    ("default", &["x11-shm", "wayland"]),
                    ("x11-shm", &["mss/x11-shm"]),
                    ("wayland", &["mss/wayland"]),
                ],
            ),
            member("mss-x11-shm", &[]),
            member("mss-x11", &[]),
            member("mss-wayland", &[]),
            fake,
        ]
    }

    /// The problems after `change` to the member named `name`.
    fn with(name: &str, change: impl FnOnce(&mut Member)) -> Vec<ForwardingProblem> {
        let mut members = workspace();
        change(
            members
                .iter_mut()
                .find(|member| member.name == name)
                .unwrap(),
        );
        forwarding_problems(&members)
    }

    fn set(member: &mut Member, feature: &str, value: &[&str]) {
        member.features.insert(
            feature.to_owned(),
            value.iter().map(|item| (*item).to_owned()).collect(),
        );
    }

    fn one(problems: Vec<ForwardingProblem>, crate_name: &str, message: &str) {
        assert_eq!(
            problems,
            [ForwardingProblem {
                crate_name: crate_name.to_owned(),
                message: message.to_owned(),
            }]
        );
    }

    #[test]
    fn every_backend_forwarded_and_the_test_only_one_left_out_is_fine() {
        assert_eq!(forwarding_problems(&workspace()), []);
    }

    #[test]
    fn the_real_workspace_forwards_every_backend() {
        let members = crate::workspace::members().unwrap();
        assert_eq!(forwarding_problems(&members), []);
    }

    #[test]
    fn a_backend_the_cli_does_not_forward_names_the_line_to_add() {
        one(
            with(CLI, |cli| {
                cli.features.remove("wayland");
            }),
            CLI,
            "mss-cli does not forward the backend feature `wayland` of mss: add the line \
             `wayland = [\"mss/wayland\"]` to [features] in mss-cli/Cargo.toml",
        );
    }

    #[test]
    fn a_forwarding_with_a_wrong_value_names_the_line_to_make() {
        one(
            with(CLI, |cli| set(cli, "x11-shm", &["mss/x11-shm", "mss/png"])),
            CLI,
            "mss-cli's feature `x11-shm` is `x11-shm = [\"mss/x11-shm\", \"mss/png\"]`, not a \
             plain forwarding: make the line `x11-shm = [\"mss/x11-shm\"]` in \
             mss-cli/Cargo.toml",
        );
        let problems = with(CLI, |cli| set(cli, "wayland", &["mss/x11-shm"]));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .message
                .contains("`wayland = [\"mss/x11-shm\"]`")
        );
    }

    #[test]
    fn a_test_only_backend_forwarded_by_the_cli_is_an_error() {
        one(
            with(CLI, |cli| set(cli, "fake", &["mss/fake"])),
            CLI,
            "mss-cli forwards `fake`, a test-only backend (mss-fake has \
             `[package.metadata.mss] test-only = true`): remove the line \
             `fake = [\"mss/fake\"]` from [features] in mss-cli/Cargo.toml",
        );
    }

    #[test]
    fn a_test_only_backend_in_a_default_is_an_error() {
        one(
            with(FACADE, |facade| {
                set(facade, "default", &["x11-shm", "fake", "png"])
            }),
            FACADE,
            "`fake` is a test-only backend (mss-fake has `[package.metadata.mss] test-only = \
             true`): remove \"fake\" from `default = [...]` in mss/Cargo.toml",
        );
        one(
            with(CLI, |cli| {
                set(cli, "default", &["x11-shm", "wayland", "mss/fake"])
            }),
            CLI,
            "`fake` is a test-only backend (mss-fake has `[package.metadata.mss] test-only = \
             true`): remove \"mss/fake\" from `default = [...]` in mss-cli/Cargo.toml",
        );
    }

    #[test]
    fn a_backend_looking_feature_the_facade_lacks_names_the_line_to_remove() {
        one(
            with(CLI, |cli| set(cli, "x11", &["mss/x11"])),
            CLI,
            "mss-cli has the feature `x11`, which looks like a backend, but mss has no backend \
             feature `x11`: remove the line `x11 = [\"mss/x11\"]` from [features] in \
             mss-cli/Cargo.toml",
        );
        // Forwarding a backend under another name: the alias is reported (the backend itself
        // is forwarded properly).
        let problems = with(CLI, |cli| set(cli, "shm", &["mss/x11-shm"]));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].message.contains("the feature `shm`"),
            "{problems:?}"
        );
        // A feature that is no backend at all is none of this rule's business.
        assert_eq!(with(CLI, |cli| set(cli, "png", &["mss/png"])), []);
    }
}
