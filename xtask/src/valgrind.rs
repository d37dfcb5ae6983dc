//! `cargo xtask valgrind`: runs the test binaries of the crate that contains unsafe code, and of
//! the crates whose frames live in its memory, under valgrind's memcheck, so a use-after-free,
//! an uninitialised read or a leaked slot fails the run.
//!
//! The binaries are found from cargo's JSON messages rather than guessed from `target/`, so
//! stale binaries of earlier builds are never run. The X tests in them start their own Xvfb.

use std::path::PathBuf;

use crate::error::{Result, XtaskError};
use crate::shell::Cmd;
use crate::steps::Steps;
use crate::system_packages;

/// The crates whose tests run under valgrind: the ones allowed unsafe code (the memfd mappings,
/// the libpipewire FFI), the pool that lends its segments out, and the backend that hands them
/// to the X server and releases them from any thread.
pub const VALGRIND_PACKAGES: &[&str] =
    &["mss-memfd", "mss-libpipewire", "mss-buffer", "mss-x11-shm"];

/// Test targets (package, target) that run in `cargo xtask test` but not under valgrind, each
/// with the reason, which is printed when the target is left out.
const TARGETS_NOT_UNDER_VALGRIND: &[(&str, &str, &str)] = &[
    (
        "mss-x11-shm",
        "soak",
        "it asserts that resident memory stays flat, and under memcheck resident memory \
         includes valgrind's own quarantine of freed blocks (20 MB by default), so it measures \
         valgrind",
    ),
    (
        "mss-x11-shm",
        "stream_soak",
        "as the soak: it asserts flat resident memory over 100,000 frames, which under memcheck \
         would measure valgrind's quarantine (and take hours)",
    ),
];

/// Property tests run this many cases under valgrind unless `PROPTEST_CASES` says otherwise;
/// valgrind slows code down many times, and the full case count runs in `cargo xtask test`.
const PROPTEST_CASES_UNDER_VALGRIND: &str = "32";

/// One test binary cargo built.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TestBinary {
    /// The package it tests.
    package: String,
    /// The target name (the crate for unit tests, `it` for the integration tests).
    target: String,
    /// The executable.
    executable: PathBuf,
    /// The package directory, where cargo would run it.
    package_directory: PathBuf,
}

/// Runs the valgrind job.
///
/// # Errors
///
/// Fails when packages are missing, the build fails, no test binary was built, or any binary
/// fails under valgrind.
pub fn run() -> Result<()> {
    let mut steps = Steps::default();
    let packages_ready = steps.run("system packages for the tests and valgrind", |_| {
        let mut requirements = system_packages::TEST_REQUIREMENTS.to_vec();
        requirements.extend_from_slice(system_packages::VALGRIND_REQUIREMENTS);
        system_packages::ensure_installed(&requirements)
    });
    if !packages_ready {
        return steps.finish();
    }
    let mut binaries = Vec::new();
    let built = steps.run("build the test binaries", |_| {
        binaries = build_test_binaries()?;
        if binaries.is_empty() {
            return Err(XtaskError::Check(format!(
                "cargo built no test binary for {}",
                VALGRIND_PACKAGES.join(", ")
            )));
        }
        Ok(())
    });
    if built {
        let proptest_cases = std::env::var("PROPTEST_CASES")
            .unwrap_or_else(|_| PROPTEST_CASES_UNDER_VALGRIND.to_owned());
        for binary in &binaries {
            if let Some((_, _, reason)) = TARGETS_NOT_UNDER_VALGRIND
                .iter()
                .find(|(package, target, _)| binary.package == *package && binary.target == *target)
            {
                println!(
                    "\nnot run under valgrind: {} (target {}): {reason}; it runs in `cargo xtask test`",
                    binary.package, binary.target
                );
                continue;
            }
            let heading = format!(
                "valgrind memcheck: {} (target {})",
                binary.package, binary.target
            );
            let command = Cmd::new("valgrind")
                .args(["--tool=memcheck", "--error-exitcode=1", "--leak-check=full"])
                .arg(suppressions_option())
                .arg(&binary.executable)
                .env("PROPTEST_CASES", &proptest_cases)
                .current_dir(&binary.package_directory);
            steps.run(&heading, |counts| command.run_counting_tests(counts));
        }
    }
    steps.finish()
}

/// The `--suppressions` option naming `xtask/valgrind.supp`, which hides only allocations that
/// the Rust standard library keeps on purpose until exit (each entry says which and why).
fn suppressions_option() -> String {
    let file = crate::workspace::project_root().join("xtask/valgrind.supp");
    format!("--suppressions={}", file.display())
}

fn build_test_binaries() -> Result<Vec<TestBinary>> {
    let mut command = Cmd::cargo().args([
        "test",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ]);
    for package in VALGRIND_PACKAGES {
        command = command.args(["--package", package]);
    }
    command.echo();
    let messages = command.read()?;
    parse_test_binaries(&messages).map_err(|detail| XtaskError::UnexpectedOutput {
        command: command.display(),
        detail,
    })
}

/// Picks the test executables of [`VALGRIND_PACKAGES`] out of cargo's JSON messages (one JSON
/// object per line).
fn parse_test_binaries(messages: &str) -> Result<Vec<TestBinary>, String> {
    let mut binaries = Vec::new();
    for line in messages.lines().filter(|line| line.starts_with('{')) {
        let message: serde_json::Value =
            serde_json::from_str(line).map_err(|error| format!("{error} in {line}"))?;
        let is_test_artifact =
            message["reason"] == "compiler-artifact" && message["profile"]["test"] == true;
        let Some(executable) = message["executable"].as_str() else {
            continue;
        };
        if !is_test_artifact {
            continue;
        }
        let manifest = message["manifest_path"].as_str().unwrap_or_default();
        let package_directory = PathBuf::from(manifest)
            .parent()
            .map(PathBuf::from)
            .unwrap_or_default();
        let package = package_name(&message["package_id"]).unwrap_or_default();
        if !VALGRIND_PACKAGES.contains(&package.as_str()) {
            continue;
        }
        binaries.push(TestBinary {
            package,
            target: message["target"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            executable: PathBuf::from(executable),
            package_directory,
        });
    }
    Ok(binaries)
}

/// The package name inside a cargo package id, which is either the newer
/// `path+file:///dir/name#version` / `path+file:///dir#name@version` form or the older
/// `name version (source)` form.
fn package_name(package_id: &serde_json::Value) -> Option<String> {
    let id = package_id.as_str()?;
    if let Some((location, fragment)) = id.rsplit_once('#') {
        // `#name@version` names the package; a bare `#version` leaves it as the last path part.
        if let Some((name, _version)) = fragment.split_once('@') {
            return Some(name.to_owned());
        }
        return location.rsplit('/').next().map(str::to_owned);
    }
    id.split_whitespace().next().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_artifacts_of_the_unsafe_crates_are_picked() {
        let messages = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/mss-buffer#0.1.0","manifest_path":"/w/mss-buffer/Cargo.toml","target":{"name":"mss_buffer"},"profile":{"test":true},"executable":"/w/target/debug/deps/mss_buffer-1"}
{"reason":"compiler-artifact","package_id":"path+file:///w/mss-x11-shm#mss-x11-shm@0.1.0","manifest_path":"/w/mss-x11-shm/Cargo.toml","target":{"name":"it"},"profile":{"test":true},"executable":"/w/target/debug/deps/it-2"}
{"reason":"compiler-artifact","package_id":"path+file:///w/mss-core#0.1.0","manifest_path":"/w/mss-core/Cargo.toml","target":{"name":"mss_core"},"profile":{"test":false},"executable":null}
{"reason":"compiler-artifact","package_id":"path+file:///w/mss-testkit#0.1.0","manifest_path":"/w/mss-testkit/Cargo.toml","target":{"name":"mss_testkit"},"profile":{"test":true},"executable":"/w/target/debug/deps/mss_testkit-3"}
{"reason":"build-finished","success":true}
"#;
        let binaries = parse_test_binaries(messages).unwrap();
        assert_eq!(
            binaries,
            vec![
                TestBinary {
                    package: "mss-buffer".into(),
                    target: "mss_buffer".into(),
                    executable: "/w/target/debug/deps/mss_buffer-1".into(),
                    package_directory: "/w/mss-buffer".into(),
                },
                TestBinary {
                    package: "mss-x11-shm".into(),
                    target: "it".into(),
                    executable: "/w/target/debug/deps/it-2".into(),
                    package_directory: "/w/mss-x11-shm".into(),
                },
            ]
        );
    }

    #[test]
    fn package_names_are_read_from_every_id_form() {
        let check = |id: &str, expected: &str| {
            assert_eq!(
                package_name(&serde_json::Value::from(id)).as_deref(),
                Some(expected),
                "{id}"
            );
        };
        check("path+file:///w/mss-buffer#0.1.0", "mss-buffer");
        check(
            "path+file:///w/consumer-example#mss-consumer-example@0.1.0",
            "mss-consumer-example",
        );
        check("mss-buffer 0.1.0 (path+file:///w/mss-buffer)", "mss-buffer");
    }

    #[test]
    fn suppressions_file_exists_and_every_entry_is_narrowed_to_a_leak_kind() {
        let option = suppressions_option();
        let path = option.strip_prefix("--suppressions=").unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let entries = text.matches("\n{").count();
        assert!(entries > 0, "{path} has no entries");
        assert_eq!(text.matches("match-leak-kinds:").count(), entries, "{text}");
    }

    #[test]
    fn garbage_is_an_error_not_an_empty_list() {
        assert!(parse_test_binaries("{not json").is_err());
    }
}
