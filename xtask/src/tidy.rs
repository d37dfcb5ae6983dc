//! Tidy: project rules that the compiler and clippy do not check, in the manner of
//! rust-analyzer's tidy. They run as `cargo xtask tidy`, as a step of `cargo xtask ci`, and as the
//! `#[test]` below, so a plain `cargo test` enforces them too.
//!
//! The rules:
//! - every target cargo lists (library, binaries, tests, benches, examples, build script)
//!   forbids unsafe code in its crate root, except the libraries named in [`UNSAFE_ALLOWED`]:
//!   a whole library, or one module of a library whose root denies unsafe code and allows it
//!   on that module alone;
//! - in that code every `unsafe` block or impl is preceded by a `// SAFETY:` comment;
//! - no Rust file holds an ignored test, a `todo`/`unimplemented` stub or a `dbg` call;
//! - README.md opens with the two set-up commands in [`README_FIRST_LINES`];
//! - every crate's manifest has `[lints] workspace = true`;
//! - the facade has backend features, each turning on a member crate `mss-<feature>`;
//! - the command line forwards every backend feature but the test-only ones
//!   ([`crate::cli_features`]);
//! - every crate keeps to its layer's allowed dependencies ([`crate::layering`]).

use std::path::{Path, PathBuf};

use crate::error::{Result, XtaskError};
use crate::workspace::{self, Member, TargetKind};

/// Where `unsafe` code may be, and why: nowhere else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsafeAllowance {
    /// The crate.
    pub crate_name: &'static str,
    /// Which part of its library.
    pub scope: UnsafeScope,
    /// Why it cannot be done without.
    pub reason: &'static str,
}

/// The part of a library an [`UnsafeAllowance`] covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsafeScope {
    /// The whole library; its root need not forbid unsafe code.
    Library,
    /// One module: the library's root has `#![deny(unsafe_code)]` (a forbid cannot be lifted
    /// for a module) and `#[allow(unsafe_code)]` directly above `mod <module>;`, and nowhere
    /// else; `file` is the module's file, relative to the crate.
    Module {
        /// The module's name, as the root declares it.
        module: &'static str,
        /// Its file.
        file: &'static str,
    },
}

/// Every place `unsafe` code is allowed. Everything else forbids it.
pub const UNSAFE_ALLOWED: &[UnsafeAllowance] = &[
    UnsafeAllowance {
        crate_name: "mss-memfd",
        scope: UnsafeScope::Library,
        reason: "mapping the memfd segments every shared-memory slot lives in (mmap)",
    },
    UnsafeAllowance {
        crate_name: "mss-libpipewire",
        scope: UnsafeScope::Library,
        reason: "the FFI of libpipewire-0.3, loaded at run time so the build links no C library",
    },
    UnsafeAllowance {
        crate_name: "mss-python",
        scope: UnsafeScope::Module {
            module: "buffer",
            file: "src/buffer.rs",
        },
        reason: "Python's buffer protocol, which PyO3 offers only as an unsafe fn handing raw \
                 pointers to C: how a ScreenShot is the captured frame without a copy",
    },
];

/// The allowance of `crate_name`, if it has one.
fn unsafe_allowance(crate_name: &str) -> Option<UnsafeAllowance> {
    UNSAFE_ALLOWED
        .iter()
        .copied()
        .find(|allowance| allowance.crate_name == crate_name)
}

/// The crates with an allowance, for messages.
fn allowed_crates() -> String {
    UNSAFE_ALLOWED
        .iter()
        .map(|allowance| match allowance.scope {
            UnsafeScope::Library => allowance.crate_name.to_owned(),
            UnsafeScope::Module { file, .. } => format!("{} ({file})", allowance.crate_name),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The exact first lines of README.md: the two commands that set up a fresh machine.
pub const README_FIRST_LINES: [&str; 2] = ["cargo xtask demo", "cargo xtask test"];

/// Text that must not appear in any Rust file, with the reason shown when it does. The patterns
/// are assembled with `concat!` so that this file does not contain them itself.
const FORBIDDEN_TEXT: &[(&str, &str)] = &[
    (
        concat!("#[", "ignore"),
        "tests are never ignored: make it pass or fail",
    ),
    (concat!("to", "do!"), "no stubs: write the code"),
    (concat!("unimple", "mented!"), "no stubs: write the code"),
    (
        concat!("d", "bg!"),
        "debugging output does not belong in the tree",
    ),
];

/// One broken rule, at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file, relative to the project root where possible.
    pub path: PathBuf,
    /// The 1-based line, when the rule is about a line.
    pub line: Option<usize>,
    /// Which rule and how to fix it.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let root = crate::paths::project_root();
        let path = self.path.strip_prefix(&root).unwrap_or(&self.path);
        match self.line {
            Some(line) => write!(formatter, "{}:{line}: {}", path.display(), self.message),
            None => write!(formatter, "{}: {}", path.display(), self.message),
        }
    }
}

/// Checks every rule over the whole project and returns the problems found.
///
/// # Errors
///
/// Fails when the workspace cannot be listed or a file cannot be read.
pub fn check() -> Result<Vec<Problem>> {
    let root = crate::paths::project_root();
    let members = workspace::members()?;
    let mut problems = Vec::new();
    for member in &members {
        match unsafe_allowance(&member.name).map(|allowance| allowance.scope) {
            Some(UnsafeScope::Library) => {
                for path in rust_files(&member.directory)? {
                    problems.extend(unsafe_without_safety_comment(&path, &read(&path)?));
                }
            }
            Some(UnsafeScope::Module { module, file }) => {
                let path = member.directory.join(file);
                problems.extend(unsafe_without_safety_comment(&path, &read(&path)?));
                problems.extend(unsafe_outside_its_module(member, module)?);
            }
            None => {}
        }
        problems.extend(crate_roots_without_forbid(member)?);
        let manifest = member.directory.join("Cargo.toml");
        if !uses_workspace_lints(&read(&manifest)?) {
            problems.push(Problem {
                path: manifest,
                line: None,
                message: "add `[lints]\\nworkspace = true` so the workspace lints apply".into(),
            });
        }
    }
    problems.extend(
        crate::feature_runs::feature_table_problems(&members)
            .into_iter()
            .map(|message| Problem {
                path: root.join("xtask/src/feature_runs.rs"),
                line: None,
                message: format!("backend feature runs: {message}"),
            }),
    );
    for problem in crate::cli_features::forwarding_problems(&members) {
        let manifest = members
            .iter()
            .find(|member| member.name == problem.crate_name)
            .map_or_else(
                || root.join("Cargo.toml"),
                |member| member.directory.join("Cargo.toml"),
            );
        problems.push(Problem {
            path: manifest,
            line: None,
            message: format!("backend features of the command line: {}", problem.message),
        });
    }
    problems.extend(
        crate::layering::layering_problems(&members)
            .into_iter()
            .map(|message| Problem {
                path: root.join("Cargo.toml"),
                line: None,
                message: format!("layering: {message}"),
            }),
    );
    for path in rust_files(&root)? {
        problems.extend(forbidden_text(&path, &read(&path)?));
    }
    let readme = root.join("README.md");
    match std::fs::read_to_string(&readme) {
        Ok(text) => problems.extend(readme_problems(&readme, &text)),
        Err(error) => problems.push(Problem {
            path: readme,
            line: None,
            message: format!("cannot read the README: {error}"),
        }),
    }
    Ok(problems)
}

/// `cargo xtask tidy`: prints every problem.
///
/// # Errors
///
/// [`XtaskError::Check`] counting the problems when there are any.
pub fn run() -> Result<()> {
    let problems = check()?;
    for problem in &problems {
        println!("{problem}");
    }
    if problems.is_empty() {
        println!("tidy: every rule holds");
        Ok(())
    } else {
        Err(XtaskError::Check(format!(
            "tidy found {} problem(s), listed above",
            problems.len()
        )))
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| XtaskError::File {
        action: "cannot read",
        path: path.to_owned(),
        source,
    })
}

/// Every `.rs` file under `directory`, skipping build output and hidden directories.
fn rust_files(directory: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![directory.to_owned()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current).map_err(|source| XtaskError::File {
            action: "cannot list",
            path: current.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| XtaskError::File {
                action: "cannot list",
                path: current.clone(),
                source,
            })?;
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    pending.push(path);
                }
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The crate roots of `member`'s targets that lack `#![forbid(unsafe_code)]`. Only the library
/// of a crate in [`UNSAFE_ALLOWED`] may go without (one allowed a module denies unsafe code
/// instead, which [`unsafe_outside_its_module`] checks): its tests, examples and binaries
/// forbid unsafe code like every other crate's.
fn crate_roots_without_forbid(member: &Member) -> Result<Vec<Problem>> {
    let allowed_unsafe = unsafe_allowance(&member.name).is_some();
    let mut problems = Vec::new();
    for target in &member.targets {
        if allowed_unsafe && target.kind == TargetKind::Library {
            continue;
        }
        let forbids = read(&target.root)?
            .lines()
            .any(|line| line.trim() == "#![forbid(unsafe_code)]");
        if !forbids {
            problems.push(Problem {
                path: target.root.clone(),
                line: None,
                message: format!(
                    "the {} target `{}` of {} may not use unsafe code: add \
                     `#![forbid(unsafe_code)]` to its crate root (only the libraries of {} may \
                     use it)",
                    target.kind,
                    target.name,
                    member.name,
                    allowed_crates()
                ),
            });
        }
    }
    Ok(problems)
}

/// For a crate allowed unsafe code in `module` only: its library's root must deny unsafe code,
/// and `#[allow(unsafe_code)]` may stand only directly above `mod <module>;` in that root.
fn unsafe_outside_its_module(member: &Member, module: &str) -> Result<Vec<Problem>> {
    let Some(library) = member
        .targets
        .iter()
        .find(|target| target.kind == TargetKind::Library)
    else {
        return Ok(Vec::new());
    };
    let mut problems = Vec::new();
    let root_text = read(&library.root)?;
    if !root_text
        .lines()
        .any(|line| line.trim() == "#![deny(unsafe_code)]")
    {
        problems.push(Problem {
            path: library.root.clone(),
            line: None,
            message: format!(
                "{} may use unsafe code in `mod {module}` only: add `#![deny(unsafe_code)]` to \
                 its library root",
                member.name
            ),
        });
    }
    let declaration = format!("mod {module};");
    for path in rust_files(&member.directory)? {
        let text = read(&path)?;
        let lines: Vec<&str> = text.lines().collect();
        for (index, line) in lines.iter().enumerate() {
            let line = line.trim();
            let inner = line == "#![allow(unsafe_code)]";
            if line != "#[allow(unsafe_code)]" && !inner {
                continue;
            }
            let next = lines[index + 1..]
                .iter()
                .map(|line| line.trim())
                .find(|line| !line.is_empty() && !line.starts_with("//"));
            let on_the_module = !inner
                && path == library.root
                && next.is_some_and(|next| {
                    next == declaration || next == format!("pub {declaration}")
                });
            if !on_the_module {
                problems.push(Problem {
                    path: path.clone(),
                    line: Some(index + 1),
                    message: format!(
                        "{} may allow unsafe code only on `mod {module}` in its library root",
                        member.name
                    ),
                });
            }
        }
    }
    Ok(problems)
}

/// Finds `unsafe` blocks and impls whose comment block directly above (attributes may stand
/// between) holds no `SAFETY:` line.
fn unsafe_without_safety_comment(path: &Path, text: &str) -> Vec<Problem> {
    let lines: Vec<&str> = text.lines().collect();
    let mut problems = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let opens_unsafe = ["unsafe {", "unsafe{", "unsafe impl"]
            .iter()
            .any(|pattern| code.contains(pattern));
        if opens_unsafe && !has_safety_comment_above(&lines[..index]) {
            problems.push(Problem {
                path: path.to_owned(),
                line: Some(index + 1),
                message: "put a `// SAFETY:` comment directly above this unsafe code, naming \
                          every precondition and why it holds"
                    .into(),
            });
        }
    }
    problems
}

fn has_safety_comment_above(lines_above: &[&str]) -> bool {
    for line in lines_above.iter().rev() {
        let line = line.trim();
        if line.starts_with("//") {
            if line.contains("SAFETY:") {
                return true;
            }
        } else if !line.starts_with("#[") {
            return false;
        }
    }
    false
}

fn forbidden_text(path: &Path, text: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for (pattern, reason) in FORBIDDEN_TEXT {
            if line.contains(pattern) {
                problems.push(Problem {
                    path: path.to_owned(),
                    line: Some(index + 1),
                    message: format!("`{pattern}` is not allowed: {reason}"),
                });
            }
        }
    }
    problems
}

fn readme_problems(path: &Path, text: &str) -> Vec<Problem> {
    let mut lines = text.lines();
    README_FIRST_LINES
        .iter()
        .enumerate()
        .filter_map(|(index, expected)| {
            let actual = lines.next().unwrap_or_default();
            (actual.trim() != *expected).then(|| Problem {
                path: path.to_owned(),
                line: Some(index + 1),
                message: format!(
                    "README.md must open with the set-up commands; line {} must be `{expected}`, \
                     found `{actual}`",
                    index + 1
                ),
            })
        })
        .collect()
}

/// Whether a manifest has a `[lints]` table with `workspace = true`.
fn uses_workspace_lints(manifest: &str) -> bool {
    let mut in_lints_table = false;
    for line in manifest.lines() {
        let line: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if line.starts_with('[') {
            in_lints_table = line == "[lints]";
        } else if (in_lints_table && line == "workspace=true") || line == "lints.workspace=true" {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Target;

    /// The project's own rules, enforced by `cargo test`.
    #[test]
    fn tidy() {
        let problems = check().unwrap();
        let listing: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            problems.is_empty(),
            "tidy found problems:\n{}",
            listing.join("\n")
        );
    }

    /// A crate on disk for the forbid rule: each target's root written with `text`, under a
    /// directory of its own in the build output, removed again when dropped.
    struct FixtureCrate {
        directory: PathBuf,
        member: Member,
    }

    impl FixtureCrate {
        fn new(name: &str, targets: &[(TargetKind, &str, &str)]) -> Self {
            let directory = crate::paths::target_directory().join(format!(
                "xtask-tests/tidy-forbid-{}-{name}",
                std::process::id()
            ));
            let targets = targets
                .iter()
                .map(|(kind, path, text)| {
                    let root = directory.join(path);
                    std::fs::create_dir_all(root.parent().unwrap()).unwrap();
                    std::fs::write(&root, text).unwrap();
                    let target_name = root.file_stem().unwrap().to_string_lossy().into_owned();
                    Target {
                        kind: kind.clone(),
                        name: target_name,
                        root,
                    }
                })
                .collect();
            let member = Member {
                name: name.to_owned(),
                directory: directory.clone(),
                targets,
                features: std::collections::BTreeMap::new(),
                dependencies: Vec::new(),
                test_only: false,
            };
            Self { directory, member }
        }

        /// The problems of the forbid rule, as `(file relative to the crate, message)`.
        fn problems(&self) -> Vec<(String, String)> {
            crate_roots_without_forbid(&self.member)
                .unwrap()
                .into_iter()
                .map(|problem| {
                    let path = problem.path.strip_prefix(&self.directory).unwrap();
                    (path.display().to_string(), problem.message)
                })
                .collect()
        }
    }

    impl Drop for FixtureCrate {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.directory);
        }
    }

    const FORBIDS: &str = "//! A crate root.\n#![forbid(unsafe_code)]\n\nmod a;\n";
    const LACKS: &str = "//! A crate root that forgot.\n\nmod a;\n";

    #[test]
    fn every_target_root_must_forbid_unsafe_code_tests_included() {
        let fixture = FixtureCrate::new(
            "mss-fixture",
            &[
                (TargetKind::Library, "src/lib.rs", FORBIDS),
                (TargetKind::Binary, "src/main.rs", FORBIDS),
                (TargetKind::Test, "tests/it/main.rs", LACKS),
                (TargetKind::Bench, "benches/speed.rs", LACKS),
                (TargetKind::Example, "examples/demo.rs", FORBIDS),
                (TargetKind::BuildScript, "build.rs", LACKS),
            ],
        );
        let problems = fixture.problems();
        let paths: Vec<&str> = problems.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(paths, ["tests/it/main.rs", "benches/speed.rs", "build.rs"]);
        assert_eq!(
            problems[0].1,
            "the test target `main` of mss-fixture may not use unsafe code: add \
             `#![forbid(unsafe_code)]` to its crate root (only the libraries of mss-memfd, \
             mss-libpipewire, mss-python (src/buffer.rs) may use it)"
        );
        assert!(
            problems[2].1.starts_with("the build script target"),
            "{problems:?}"
        );
    }

    #[test]
    fn only_the_library_of_a_crate_allowed_unsafe_goes_without() {
        let fixture = FixtureCrate::new(
            UNSAFE_ALLOWED[0].crate_name,
            &[
                (TargetKind::Library, "src/lib.rs", LACKS),
                (TargetKind::Test, "tests/it/main.rs", LACKS),
                (TargetKind::Example, "examples/map.rs", FORBIDS),
            ],
        );
        let paths: Vec<String> = fixture
            .problems()
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        assert_eq!(paths, ["tests/it/main.rs"]);
    }

    /// The lines of `unsafe_outside_its_module` problems for a crate allowed `mod buffer`,
    /// as `(file relative to the crate, line)`.
    fn module_allowance_problems(
        files: &[(TargetKind, &str, &str)],
    ) -> Vec<(String, Option<usize>)> {
        let fixture = FixtureCrate::new("mss-module-fixture", files);
        unsafe_outside_its_module(&fixture.member, "buffer")
            .unwrap()
            .into_iter()
            .map(|problem| {
                let path = problem.path.strip_prefix(&fixture.directory).unwrap();
                (path.display().to_string(), problem.line)
            })
            .collect()
    }

    #[test]
    fn a_module_allowed_unsafe_code_is_the_only_place_allowing_it() {
        const ROOT: &str =
            "//! Root.\n#![deny(unsafe_code)]\n\n#[allow(unsafe_code)]\nmod buffer;\nmod other;\n";
        assert_eq!(
            module_allowance_problems(&[(TargetKind::Library, "src/lib.rs", ROOT)]),
            []
        );
        // The root must deny unsafe code.
        let lax = ROOT.replace("#![deny(unsafe_code)]\n", "");
        assert_eq!(
            module_allowance_problems(&[(TargetKind::Library, "src/lib.rs", &lax)]),
            [("src/lib.rs".to_owned(), None)]
        );
        // An allow on another module, or an inner one anywhere, is reported at its line.
        let elsewhere = ROOT.replace("mod other;", "#[allow(unsafe_code)]\nmod other;");
        assert_eq!(
            module_allowance_problems(&[(TargetKind::Library, "src/lib.rs", &elsewhere)]),
            [("src/lib.rs".to_owned(), Some(6))]
        );
        let fixture_files = [
            (TargetKind::Library, "src/lib.rs", ROOT),
            (
                TargetKind::Example,
                "src/other.rs",
                "#![allow(unsafe_code)]\n",
            ),
        ];
        assert_eq!(
            module_allowance_problems(&fixture_files),
            [("src/other.rs".to_owned(), Some(1))]
        );
    }

    #[test]
    fn every_allowance_says_why() {
        for allowance in UNSAFE_ALLOWED {
            assert!(!allowance.reason.is_empty(), "{allowance:?}");
        }
    }

    fn lines_flagged_for_unsafe(text: &str) -> Vec<usize> {
        unsafe_without_safety_comment(Path::new("x.rs"), text)
            .into_iter()
            .filter_map(|problem| problem.line)
            .collect()
    }

    #[test]
    fn unsafe_needs_a_safety_comment_directly_above() {
        let text = "\
fn f() {
    // SAFETY: the pointer comes from a live Vec.
    let a = unsafe { read(p) };
    let b = unsafe { read(p) };
    // Reads the value.
    // SAFETY: as above, and the comment may span lines.
    #[allow(unused)]
    let c = unsafe { read(p) };
    // Only a plain comment.
    unsafe { write(p) }
}
// SAFETY: the slot is only touched by its owner.
unsafe impl Send for Slot {}
unsafe impl Sync for Slot {}
";
        assert_eq!(lines_flagged_for_unsafe(text), vec![4, 10, 14]);
    }

    #[test]
    fn unsafe_in_a_comment_or_a_function_signature_is_not_a_block() {
        let text = "// this is not unsafe { at all }\npub unsafe fn f() {}\n";
        assert!(lines_flagged_for_unsafe(text).is_empty());
    }

    #[test]
    fn forbidden_text_is_found_with_its_line() {
        let text = format!("fn f() {{\n    {}x);\n}}\n", concat!("d", "bg!("));
        let problems = forbidden_text(Path::new("x.rs"), &text);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(2));
        assert!(problems[0].message.contains("not allowed"));
    }

    #[test]
    fn readme_must_open_with_both_commands() {
        let good = "cargo xtask demo  \ncargo xtask test\n\n# mss-rs\n";
        assert!(readme_problems(Path::new("README.md"), good).is_empty());
        let swapped = "cargo xtask test\ncargo xtask demo\n";
        assert_eq!(readme_problems(Path::new("README.md"), swapped).len(), 2);
        let heading_first = "# mss-rs\ncargo xtask demo\ncargo xtask test\n";
        assert_eq!(
            readme_problems(Path::new("README.md"), heading_first).len(),
            2
        );
    }

    #[test]
    fn workspace_lints_are_recognised_in_both_spellings() {
        assert!(uses_workspace_lints(
            "[package]\nname = \"a\"\n\n[lints]\nworkspace = true\n"
        ));
        assert!(uses_workspace_lints("lints.workspace = true\n"));
        assert!(!uses_workspace_lints(
            "[lints]\n[features]\nworkspace = true\n"
        ));
        assert!(!uses_workspace_lints("[package]\nname = \"a\"\n"));
    }
}
