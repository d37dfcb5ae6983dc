//! The allowed dependency edges between the workspace's crates, checked by tidy from
//! `cargo metadata`, so the layering ARCHITECTURE.md describes cannot silently decay.
//!
//! Every crate has a [`Layer`]. Backends are found, not listed: a crate `mss-F` is a backend
//! when the facade has a feature `F` that turns it on (the registry's rule), so a new backend
//! is checked without editing this file. Every other crate must be listed in [`LAYERS`]; a new
//! crate that is not is reported, so its place is decided, not defaulted. Only normal and
//! build dependencies are checked: tests may use anything. A layer may also refuse third-party
//! crates ([`Layer::forbidden_third_party`]): the floors must share no code with the backends'
//! X11 stack, so they may not depend on x11rb. A test-only backend (its manifest says
//! `[package.metadata.mss] test-only = true`) may also depend on the test kit, whose scenes it
//! shows. And `mss-core` keeps its promise to downstream libraries: no third-party crate but
//! those of [`CORE_THIRD_PARTY`].

use crate::facade::{FACADE, backend_features};
use crate::workspace::Member;

/// Where a crate stands in the layering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    /// The contract and generic building blocks (`mss-core`, `mss-buffer`, `mss-memfd`): they
    /// depend on no crate of the workspace.
    Foundation,
    /// Plumbing one display system's backends share (`mss-x11`): foundations only.
    Plumbing,
    /// A capture backend (`mss-<feature>`): foundations and plumbing, never another backend
    /// and never the facade.
    Backend,
    /// The floors the benchmarks compare against (`mss-floor`): foundations only, and no
    /// x11rb, so they share no code with what they measure.
    Measurement,
    /// Code that must work with any backend from the contract alone (`mss-testkit`,
    /// `mss-consumer-example`): `mss-core` only.
    ContractOnly,
    /// The facade (`mss`): foundations, plumbing and backends.
    Facade,
    /// The command line (`mss-cli`): the facade, foundations and the floors.
    Application,
    /// Bindings for another language (`mss-python`): the facade and foundations, and the
    /// command line, whose argument handling the Python package's `mss` command runs.
    Bindings,
    /// The benchmarks (`mss-bench`): anything but the tooling, to compare layers.
    Benchmarks,
    /// Project automation (`xtask`): no crate of the workspace, so it builds while they break.
    Tooling,
}

/// The only third-party crates `mss-core` may depend on (ARCHITECTURE.md, `mss-core`): `std`
/// and `thiserror`, and `fearless_simd` (no dependencies of its own) behind the optional `simd`
/// feature, for run-time dispatched conversions.
pub const CORE_THIRD_PARTY: &[&str] = &["thiserror", "fearless_simd"];

/// The layer of every crate that is not a backend.
pub const LAYERS: &[(&str, Layer)] = &[
    ("mss-core", Layer::Foundation),
    ("mss-buffer", Layer::Foundation),
    ("mss-memfd", Layer::Foundation),
    ("mss-spa-pod", Layer::Foundation),
    ("mss-libpipewire", Layer::Foundation),
    ("mss-x11", Layer::Plumbing),
    ("mss-floor", Layer::Measurement),
    ("mss-testkit", Layer::ContractOnly),
    ("mss-consumer-example", Layer::ContractOnly),
    (FACADE, Layer::Facade),
    ("mss-cli", Layer::Application),
    ("mss-python", Layer::Bindings),
    ("mss-bench", Layer::Benchmarks),
    ("xtask", Layer::Tooling),
];

impl Layer {
    /// Whether a crate of this layer may depend on `dependency`, of layer `dependency_layer`.
    fn may_depend_on(self, dependency: &str, dependency_layer: Layer) -> bool {
        use Layer::*;
        match self {
            Foundation | Tooling => false,
            Plumbing | Measurement => dependency_layer == Foundation,
            Backend => matches!(dependency_layer, Foundation | Plumbing),
            ContractOnly => dependency == "mss-core",
            Facade => matches!(dependency_layer, Foundation | Plumbing | Backend),
            Application => matches!(dependency_layer, Foundation | Facade | Measurement),
            Bindings => matches!(dependency_layer, Foundation | Facade | Application),
            Benchmarks => dependency_layer != Tooling,
        }
    }

    /// Third-party crates a crate of this layer may not depend on.
    pub fn forbidden_third_party(self) -> &'static [&'static str] {
        match self {
            // A floor over the backends' own connection could not show that it is slow.
            Layer::Measurement => &["x11rb", "x11rb-protocol"],
            _ => &[],
        }
    }
}

/// The layer of `name` among `members`, or `None` for a crate with no layer.
fn layer_of(name: &str, members: &[Member]) -> Option<Layer> {
    if let Some((_, layer)) = LAYERS.iter().find(|(crate_name, _)| *crate_name == name) {
        return Some(*layer);
    }
    let facade = members.iter().find(|member| member.name == FACADE)?;
    backend_features(facade)
        .iter()
        .any(|feature| format!("mss-{feature}") == name)
        .then_some(Layer::Backend)
}

/// Every broken layering rule among `members`, in words.
pub fn layering_problems(members: &[Member]) -> Vec<String> {
    let mut problems = Vec::new();
    for member in members {
        let Some(layer) = layer_of(&member.name, members) else {
            problems.push(format!(
                "{} has no layer: add it to LAYERS in xtask/src/layering.rs (or, for a backend, \
                 a facade feature `F` turning on `dep:mss-F`)",
                member.name
            ));
            continue;
        };
        for dependency in &member.dependencies {
            let workspace_crate = members.iter().any(|other| &other.name == dependency);
            if member.name == "mss-core"
                && !workspace_crate
                && !CORE_THIRD_PARTY.contains(&dependency.as_str())
            {
                problems.push(format!(
                    "mss-core may not depend on {dependency}: downstream libraries depend on it \
                     alone, which brings std, thiserror and (with `simd`) fearless_simd only"
                ));
                continue;
            }
            if layer.forbidden_third_party().contains(&dependency.as_str()) {
                problems.push(format!(
                    "{} ({layer:?}) may not depend on {dependency}: it must share no code with \
                     what it measures",
                    member.name
                ));
                continue;
            }
            // Other third-party crates are not the layering's business.
            let Some(dependency_layer) = workspace_crate
                .then(|| layer_of(dependency, members))
                .flatten()
            else {
                continue;
            };
            // A test-only backend (a made-up screen for tests) may show the test kit's scene.
            let test_backend_on_the_kit = member.test_only
                && layer == Layer::Backend
                && dependency_layer == Layer::ContractOnly;
            if !layer.may_depend_on(dependency, dependency_layer) && !test_backend_on_the_kit {
                problems.push(format!(
                    "{} ({layer:?}) may not depend on {dependency} ({dependency_layer:?})",
                    member.name
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn member(name: &str, dependencies: &[&str]) -> Member {
        Member {
            name: name.to_owned(),
            directory: format!("/w/{name}").into(),
            targets: Vec::new(),
            features: BTreeMap::new(),
            dependencies: dependencies.iter().map(|name| (*name).to_owned()).collect(),
            test_only: false,
        }
    }

    /// A small workspace with the real layering: two X11 backends, the facade, the rest.
    fn workspace() -> Vec<Member> {
        let mut facade = member(
            FACADE,
            &[
                "mss-core",
                "mss-x11",
                "mss-x11-shm",
                "mss-x11-getimage",
                "png",
            ],
        );
        for backend in ["x11-shm", "x11-getimage"] {
            facade.features.insert(
                backend.to_owned(),
                vec![format!("dep:mss-{backend}"), "dep:mss-x11".to_owned()],
            );
        }
        vec![
            member("mss-core", &["thiserror"]),
            member("mss-buffer", &["crossbeam"]),
            member("mss-memfd", &["memmap2"]),
            member("mss-x11", &["mss-core", "x11rb"]),
            member("mss-floor", &["mss-core", "xcb", "rustix"]),
            member("mss-x11-getimage", &["mss-core", "mss-x11"]),
            member(
                "mss-x11-shm",
                &["mss-core", "mss-buffer", "mss-memfd", "mss-x11", "x11rb"],
            ),
            member("mss-testkit", &["mss-core", "x11rb"]),
            member("mss-consumer-example", &["mss-core"]),
            facade,
            member("mss-cli", &["mss", "mss-memfd", "mss-floor", "clap"]),
            member("mss-python", &["mss", "mss-core", "mss-cli", "pyo3"]),
            member(
                "mss-bench",
                &["mss", "mss-x11-shm", "mss-testkit", "mss-floor"],
            ),
            member("xtask", &["serde_json"]),
        ]
    }

    #[test]
    fn the_real_workspace_keeps_its_layering() {
        let members = crate::workspace::members().unwrap();
        assert_eq!(layering_problems(&members), Vec::<String>::new());
    }

    #[test]
    fn mss_core_takes_no_third_party_crate_but_its_own_few() {
        let mut members = workspace();
        let core = members.iter_mut().find(|m| m.name == "mss-core").unwrap();
        core.dependencies.push("fearless_simd".to_owned());
        assert_eq!(layering_problems(&members), Vec::<String>::new());
        let core = members.iter_mut().find(|m| m.name == "mss-core").unwrap();
        core.dependencies.push("pulp".to_owned());
        let problems = layering_problems(&members);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("mss-core may not depend on pulp:"),
            "{problems:?}"
        );
        // Other foundations may take what they need.
        let buffer = members.iter_mut().find(|m| m.name == "mss-buffer").unwrap();
        buffer.dependencies.push("pulp".to_owned());
        assert_eq!(layering_problems(&members).len(), 1);
    }

    #[test]
    fn only_a_test_only_backend_may_depend_on_the_test_kit() {
        let mut members = workspace();
        let facade = members.iter_mut().find(|m| m.name == FACADE).unwrap();
        facade
            .features
            .insert("fake".to_owned(), vec!["dep:mss-fake".to_owned()]);
        let mut fake = member("mss-fake", &["mss-core", "mss-testkit"]);
        fake.test_only = true;
        members.push(fake);
        assert_eq!(layering_problems(&members), Vec::<String>::new());
        members.last_mut().unwrap().test_only = false;
        assert_eq!(
            layering_problems(&members),
            ["mss-fake (Backend) may not depend on mss-testkit (ContractOnly)"]
        );
        // A test-only backend is still a backend: no other backend, no facade.
        let fake = members.last_mut().unwrap();
        fake.test_only = true;
        fake.dependencies.push("mss-x11-shm".to_owned());
        assert_eq!(
            layering_problems(&members),
            ["mss-fake (Backend) may not depend on mss-x11-shm (Backend)"]
        );
    }

    #[test]
    fn the_model_workspace_has_no_problem() {
        assert_eq!(layering_problems(&workspace()), Vec::<String>::new());
    }

    /// Adds `dependency` to `crate_name` in the model workspace and returns the problems.
    fn with_edge(crate_name: &str, dependency: &str) -> Vec<String> {
        let mut members = workspace();
        let member = members
            .iter_mut()
            .find(|member| member.name == crate_name)
            .unwrap();
        member.dependencies.push(dependency.to_owned());
        layering_problems(&members)
    }

    #[test]
    fn each_forbidden_edge_is_named() {
        let check = |from: &str, to: &str, expected: &str| {
            assert_eq!(with_edge(from, to), [expected.to_owned()], "{from} -> {to}");
        };
        check(
            "mss-x11-shm",
            "mss-x11-getimage",
            "mss-x11-shm (Backend) may not depend on mss-x11-getimage (Backend)",
        );
        check(
            "mss-x11-getimage",
            "mss",
            "mss-x11-getimage (Backend) may not depend on mss (Facade)",
        );
        check(
            "mss-testkit",
            "mss-x11-shm",
            "mss-testkit (ContractOnly) may not depend on mss-x11-shm (Backend)",
        );
        check(
            "mss-testkit",
            "mss-buffer",
            "mss-testkit (ContractOnly) may not depend on mss-buffer (Foundation)",
        );
        check(
            "mss-core",
            "mss-buffer",
            "mss-core (Foundation) may not depend on mss-buffer (Foundation)",
        );
        check(
            "mss-x11",
            "mss-x11-shm",
            "mss-x11 (Plumbing) may not depend on mss-x11-shm (Backend)",
        );
        check(
            "mss-cli",
            "mss-x11-shm",
            "mss-cli (Application) may not depend on mss-x11-shm (Backend)",
        );
        check(
            "mss-python",
            "mss-x11-shm",
            "mss-python (Bindings) may not depend on mss-x11-shm (Backend)",
        );
        check(
            "mss-cli",
            "mss-python",
            "mss-cli (Application) may not depend on mss-python (Bindings)",
        );
        check(
            "xtask",
            "mss-core",
            "xtask (Tooling) may not depend on mss-core (Foundation)",
        );
        check(
            "mss-floor",
            "mss-x11",
            "mss-floor (Measurement) may not depend on mss-x11 (Plumbing)",
        );
        check(
            "mss-floor",
            "mss-x11-shm",
            "mss-floor (Measurement) may not depend on mss-x11-shm (Backend)",
        );
        check(
            "mss-floor",
            "x11rb",
            "mss-floor (Measurement) may not depend on x11rb: it must share no code with what \
             it measures",
        );
        check(
            "mss-x11",
            "mss-floor",
            "mss-x11 (Plumbing) may not depend on mss-floor (Measurement)",
        );
    }

    #[test]
    fn a_new_backend_is_found_from_the_facade_and_a_new_crate_must_get_a_layer() {
        let mut members = workspace();
        members.push(member(
            "mss-wayland",
            &["mss-core", "mss-buffer", "mss-memfd"],
        ));
        members
            .iter_mut()
            .find(|member| member.name == FACADE)
            .unwrap()
            .features
            .insert("wayland".to_owned(), vec!["dep:mss-wayland".to_owned()]);
        assert_eq!(layering_problems(&members), Vec::<String>::new());
        members.push(member("mss-extra", &[]));
        let problems = layering_problems(&members);
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("mss-extra has no layer"),
            "{problems:?}"
        );
    }
}
