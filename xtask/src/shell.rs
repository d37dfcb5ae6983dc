//! Running other programs, in the style of the `xshell` crate: build a command, echo it, run it,
//! and turn a bad exit into an error that names the command.
//!
//! Every command is printed before it runs (`$ cargo test ...`), so a CI log reads like a shell
//! session that a person can copy from.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::error::{Result, XtaskError};
use crate::test_counts::TestCounts;

/// One program invocation: program, arguments, extra environment and working directory.
#[derive(Debug, Clone)]
pub struct Cmd {
    program: OsString,
    /// How the program is shown in the echoed command line, when not as `program`.
    program_label: Option<String>,
    arguments: Vec<OsString>,
    environment: Vec<(OsString, OsString)>,
    working_directory: PathBuf,
}

impl Cmd {
    /// A command that runs `program` in the project root.
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Self {
            program: program.as_ref().to_owned(),
            program_label: None,
            arguments: Vec::new(),
            environment: Vec::new(),
            working_directory: crate::paths::project_root(),
        }
    }

    /// The cargo that runs xtask (cargo sets `CARGO`), so nested builds use the same toolchain.
    /// It is shown as plain `cargo`, so echoed command lines can be copied.
    pub fn cargo() -> Self {
        let mut command =
            Self::new(std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")));
        command.program_label = Some("cargo".to_owned());
        command
    }

    /// Appends one argument.
    pub fn arg(mut self, argument: impl AsRef<OsStr>) -> Self {
        self.arguments.push(argument.as_ref().to_owned());
        self
    }

    /// Appends several arguments.
    pub fn args<I>(mut self, arguments: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        self.arguments.extend(
            arguments
                .into_iter()
                .map(|argument| argument.as_ref().to_owned()),
        );
        self
    }

    /// Sets one environment variable for the child only.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.environment
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Runs the command in `directory` instead of the project root.
    pub fn current_dir(mut self, directory: impl AsRef<Path>) -> Self {
        self.working_directory = directory.as_ref().to_owned();
        self
    }

    /// The command line as a person would type it, environment first.
    pub fn display(&self) -> String {
        let environment = self.environment.iter().map(|(key, value)| {
            format!(
                "{}={}",
                key.to_string_lossy(),
                quote(&value.to_string_lossy())
            )
        });
        let program = match &self.program_label {
            Some(label) => label.clone(),
            None => self.program.to_string_lossy().into_owned(),
        };
        let words = std::iter::once(program).chain(
            self.arguments
                .iter()
                .map(|argument| quote(&argument.to_string_lossy())),
        );
        environment.chain(words).collect::<Vec<_>>().join(" ")
    }

    /// The equivalent `std::process::Command`, for callers that manage the child themselves.
    pub fn to_command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.arguments)
            .envs(self.environment.iter().map(|(key, value)| (key, value)))
            .current_dir(&self.working_directory);
        command
    }

    /// Prints the command line, the way a shell trace would.
    pub fn echo(&self) {
        println!("$ {}", self.display());
    }

    /// Echoes and runs the command with inherited standard streams.
    ///
    /// # Errors
    ///
    /// [`XtaskError::CommandNotStarted`] if it cannot start, [`XtaskError::CommandFailed`] if it
    /// exits unsuccessfully.
    pub fn run(&self) -> Result<()> {
        self.echo();
        let status = self
            .to_command()
            .status()
            .map_err(|source| self.not_started(source))?;
        self.check(status)
    }

    /// Runs the command quietly and returns its standard output; standard error is passed on so
    /// that diagnostics stay visible.
    ///
    /// # Errors
    ///
    /// As [`Cmd::run`], and [`XtaskError::UnexpectedOutput`] if the output is not UTF-8.
    pub fn read(&self) -> Result<String> {
        let output = self
            .to_command()
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|source| self.not_started(source))?;
        self.check(output.status)?;
        String::from_utf8(output.stdout).map_err(|error| XtaskError::UnexpectedOutput {
            command: self.display(),
            detail: format!("standard output is not UTF-8: {error}"),
        })
    }

    /// Runs the command quietly and returns everything it printed and its status, without
    /// judging the status: for probes whose failure is an answer, not an error.
    ///
    /// # Errors
    ///
    /// [`XtaskError::CommandNotStarted`] if it cannot start.
    pub fn output_unchecked(&self) -> Result<Output> {
        self.to_command()
            .stdin(Stdio::null())
            .output()
            .map_err(|source| self.not_started(source))
    }

    /// Echoes and runs a test command, passing its standard output through line by line while
    /// adding every `test result:` summary to `counts`.
    ///
    /// # Errors
    ///
    /// As [`Cmd::run`].
    pub fn run_counting_tests(&self, counts: &mut TestCounts) -> Result<()> {
        self.echo();
        let mut child = self
            .to_command()
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|source| self.not_started(source))?;
        if let Some(child_stdout) = child.stdout.take() {
            pass_through_counting_tests(BufReader::new(child_stdout), std::io::stdout(), counts);
        }
        let status = child.wait().map_err(|source| self.not_started(source))?;
        self.check(status)
    }

    fn not_started(&self, source: std::io::Error) -> XtaskError {
        XtaskError::CommandNotStarted {
            command: self.display(),
            source,
        }
    }

    fn check(&self, status: std::process::ExitStatus) -> Result<()> {
        if status.success() {
            Ok(())
        } else {
            Err(XtaskError::CommandFailed {
                command: self.display(),
                status,
            })
        }
    }
}

/// Copies `reader` to `writer` line by line, flushing each line so output appears as it comes,
/// and adds every libtest summary line to `counts`.
fn pass_through_counting_tests(
    mut reader: impl BufRead,
    mut writer: impl Write,
    counts: &mut TestCounts,
) {
    let mut raw_line = Vec::new();
    loop {
        raw_line.clear();
        // A read error here only means the pipe broke; the exit status of the child decides.
        match reader.read_until(b'\n', &mut raw_line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let line = String::from_utf8_lossy(&raw_line);
        counts.add_line(&line);
        // A closed stdout (say, `| head`) must not stop the tests, so write errors are ignored.
        let _ = writer.write_all(line.as_bytes());
        let _ = writer.flush();
    }
}

/// Quotes a word for display only when a shell would need it.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-_./=:,+@%".contains(character));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Whether `program` is an executable file somewhere on `PATH`.
pub fn program_on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|directory| is_executable(&directory.join(program)))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_only_words_that_need_it() {
        let command = Cmd::new("cargo")
            .env("RUSTDOCFLAGS", "-D warnings")
            .args(["clippy", "--", "-D", "warnings", "it's"]);
        assert_eq!(
            command.display(),
            r"RUSTDOCFLAGS='-D warnings' cargo clippy -- -D warnings 'it'\''s'"
        );
    }

    #[test]
    fn cargo_is_shown_as_plain_cargo_whatever_its_path() {
        assert_eq!(Cmd::cargo().arg("test").display(), "cargo test");
    }

    #[test]
    fn failed_command_error_names_the_command() {
        let error = Cmd::new("false").read().unwrap_err();
        assert!(matches!(error, XtaskError::CommandFailed { .. }));
        assert!(error.to_string().starts_with("`false` failed"), "{error}");
    }

    #[test]
    fn missing_program_error_names_the_program() {
        let error = Cmd::new("xtask-no-such-program").read().unwrap_err();
        assert!(matches!(error, XtaskError::CommandNotStarted { .. }));
        assert!(
            error
                .to_string()
                .contains("could not start `xtask-no-such-program`"),
            "{error}"
        );
    }

    #[test]
    fn read_returns_standard_output() {
        let output = Cmd::new("echo").arg("hello").read().unwrap();
        assert_eq!(output, "hello\n");
    }

    #[test]
    fn pass_through_copies_every_line_and_counts_the_summaries() {
        // The summary is fed from memory: a real child printing it would reach the stdout of
        // this test binary and be counted by `cargo xtask test` as tests that never ran.
        let input = "running 4 tests\n\
                     test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out\n\
                     no newline at the end";
        let mut copied = Vec::new();
        let mut counts = TestCounts::default();
        pass_through_counting_tests(input.as_bytes(), &mut copied, &mut counts);
        assert_eq!(String::from_utf8(copied).unwrap(), input);
        assert_eq!(
            counts,
            TestCounts {
                passed: 3,
                failed: 0,
                ignored: 1
            }
        );
    }

    #[test]
    fn counting_run_fails_when_the_command_fails() {
        let mut counts = TestCounts::default();
        let error = Cmd::new("false")
            .run_counting_tests(&mut counts)
            .unwrap_err();
        assert!(
            matches!(error, XtaskError::CommandFailed { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn program_on_path_finds_sh_and_not_nonsense() {
        assert!(program_on_path("sh"));
        assert!(!program_on_path("xtask-no-such-program"));
    }
}
