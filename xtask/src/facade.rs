//! The facade and its backend features, by the registry's rule: a backend's feature is its
//! name and turns on the crate `mss-<name>`. Tidy's layering, the feature runs of `cargo
//! xtask test` and the check of the command line's features find the backends here.

use crate::workspace::Member;

/// The facade crate, whose features pick the backends.
pub const FACADE: &str = "mss";

/// The backend features of the facade `member`: those that turn on the crate `mss-<feature>`.
pub fn backend_features(member: &Member) -> Vec<String> {
    member
        .features
        .iter()
        .filter(|(name, enables)| enables.contains(&format!("dep:mss-{name}")))
        .map(|(name, _)| name.clone())
        .collect()
}
