//! Where the project and its build output are. A leaf module: everything that runs commands
//! or reads files starts from here.

use std::path::{Path, PathBuf};

/// The workspace root: the directory above xtask's own manifest.
pub fn project_root() -> PathBuf {
    let xtask_directory = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_directory
        .parent()
        .unwrap_or(xtask_directory)
        .to_path_buf()
}

/// Where cargo puts build output (and criterion its results).
pub fn target_directory() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join("target"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_root_holds_the_workspace_manifest() {
        let manifest = project_root().join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(text.contains("[workspace]"), "{}", manifest.display());
    }
}
