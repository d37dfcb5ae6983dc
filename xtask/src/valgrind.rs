//! `cargo xtask valgrind`: runs the test binaries of the crate that contains unsafe code, and of
//! the crates whose frames live in its memory, under valgrind's memcheck, so a use-after-free,
//! an uninitialised read or a leaked slot fails the run.
//!
//! The binaries are found from cargo's JSON messages rather than guessed from `target/`, so
//! stale binaries of earlier builds are never run. The X tests in them start their own Xvfb,
//! the Wayland tests their own headless sway (the compositor runs natively; only the test
//! process, which maps the slots and lends them to the compositor, is under memcheck).

use std::path::PathBuf;

use crate::error::{Result, XtaskError};
use crate::shell::Cmd;
use crate::steps::Steps;
use crate::system_packages;

/// The crates whose tests run under valgrind: the ones allowed unsafe code (the memfd mappings,
/// the libpipewire FFI), the pool that lends its segments out, the backends that hand them
/// to their server (the X server through MIT-SHM, the Wayland compositor as `wl_buffer`s) and
/// release them from any thread, and the PipeWire backend, whose frames are mutter's mapped
/// buffers, queued back from any thread.
pub const VALGRIND_PACKAGES: &[&str] = &[
    "mss-memfd",
    "mss-libpipewire",
    "mss-buffer",
    "mss-x11-shm",
    "mss-wayland",
    "mss-pipewire",
];

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

/// Test targets (package, target) of which only some tests run under valgrind, by exact name,
/// with the reason the others are left out (printed with the run).
const TARGETS_PARTLY_UNDER_VALGRIND: &[(&str, &str, &[&str], &str)] = &[(
    "mss-wayland",
    "it",
    &[
        "frames_are_the_pooled_buffers_held_until_dropped_and_exhaustion_is_an_error",
        "the_stream_keeps_captures_in_flight_and_reports_damage",
        "grim_on_the_same_output_sees_the_same_pixels",
        "a_scaled_output_is_its_logical_size_on_the_screen_and_its_device_pixels_in_frames",
    ],
    "these lend memfd slots to the compositor (grabs, the pool run out, frames dropped on another \
     thread, streams holding frames); the others lend none and bound how long a compositor \
     may take to answer or to be found gone (one to three seconds), which under memcheck would \
     measure valgrind",
)];

/// Which tests of one binary run under valgrind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selection {
    /// Every test.
    All,
    /// Only these tests, by exact name, for this reason.
    Only(&'static [&'static str], &'static str),
    /// None, for this reason.
    None(&'static str),
}

/// The tests of `package`'s target `target` that run under valgrind.
fn selection(package: &str, target: &str) -> Selection {
    if let Some((_, _, reason)) =
        TARGETS_NOT_UNDER_VALGRIND
            .iter()
            .find(|(listed_package, listed_target, _)| {
                package == *listed_package && target == *listed_target
            })
    {
        return Selection::None(reason);
    }
    match TARGETS_PARTLY_UNDER_VALGRIND
        .iter()
        .find(|(listed_package, listed_target, _, _)| {
            package == *listed_package && target == *listed_target
        }) {
        Some((_, _, tests, reason)) => Selection::Only(tests, reason),
        None => Selection::All,
    }
}

/// Valgrind runs one thread of the program at a time, and by default lets the thread holding
/// its lock take it again: in a test binary whose tests run in parallel, one busy thread (eight
/// threads grabbing a thousand times, a stream's loop) kept a thread whose reply had come from
/// running for longer than its deadline, and grabs failed as timeouts (`ShmGetImage` after 10 s,
/// a PipeWire cast's first frame, a portal's answer) that say nothing about memory. Fair
/// scheduling hands the lock round in turn; those tests then pass under memcheck, with the
/// machine loaded, at the deadlines `cargo xtask test` uses.
const FAIR_SCHEDULING: &str = "--fair-sched=yes";

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
            let mut test_filter: &[&str] = &[];
            match selection(&binary.package, &binary.target) {
                Selection::None(reason) => {
                    println!(
                        "\nnot run under valgrind: {} (target {}): {reason}; it runs in `cargo xtask test`",
                        binary.package, binary.target
                    );
                    continue;
                }
                Selection::Only(tests, reason) => {
                    println!(
                        "\nunder valgrind, {} (target {}) runs {}: {reason}; every test runs in \
                         `cargo xtask test`",
                        binary.package,
                        binary.target,
                        tests.join(", ")
                    );
                    test_filter = tests;
                }
                Selection::All => {}
            }
            let heading = format!(
                "valgrind memcheck: {} (target {})",
                binary.package, binary.target
            );
            let mut command = Cmd::new("valgrind")
                .args(["--tool=memcheck", "--error-exitcode=1", "--leak-check=full"])
                .arg(FAIR_SCHEDULING)
                .arg(suppressions_option())
                .arg(&binary.executable)
                .env("PROPTEST_CASES", &proptest_cases)
                .current_dir(&binary.package_directory);
            if !test_filter.is_empty() {
                command = command.arg("--exact").args(test_filter);
            }
            steps.run(&heading, |counts| command.run_counting_tests(counts));
        }
    }
    steps.finish()
}

/// The `--suppressions` option naming `xtask/valgrind.supp`, which hides only allocations of
/// the standard library, glibc or a dependency that outlive the process's last moments on
/// purpose or in a thread still ending (each entry says which and why).
fn suppressions_option() -> String {
    let file = crate::paths::project_root().join("xtask/valgrind.supp");
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
    fn wayland_slot_tests_run_alone_and_soaks_not_at_all() {
        assert_eq!(selection("mss-buffer", "it"), Selection::All);
        assert_eq!(selection("mss-wayland", "mss_wayland"), Selection::All);
        assert!(matches!(
            selection("mss-x11-shm", "soak"),
            Selection::None(reason) if reason.contains("resident memory")
        ));
        let Selection::Only(tests, reason) = selection("mss-wayland", "it") else {
            panic!("mss-wayland's integration tests run in part");
        };
        assert!(reason.contains("lend memfd slots"), "{reason}");
        assert!(tests.contains(
            &"frames_are_the_pooled_buffers_held_until_dropped_and_exhaustion_is_an_error"
        ));
    }

    #[test]
    fn every_test_named_for_valgrind_exists() {
        for (package, target, tests, _) in TARGETS_PARTLY_UNDER_VALGRIND {
            assert!(VALGRIND_PACKAGES.contains(package), "{package}");
            let root = crate::paths::project_root()
                .join(package)
                .join("tests")
                .join(target);
            let mut text = String::new();
            for entry in std::fs::read_dir(&root).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|extension| extension == "rs") {
                    text.push_str(&std::fs::read_to_string(path).unwrap());
                }
            }
            for test in *tests {
                assert!(
                    text.contains(&format!("fn {test}(")),
                    "{package} (target {target}) has no test `{test}`: rename it here too"
                );
            }
        }
    }

    #[test]
    fn garbage_is_an_error_not_an_empty_list() {
        assert!(parse_test_binaries("{not json").is_err());
    }
}
