//! Project automation for mss-rs, run as `cargo xtask <command>` (an alias in
//! `.cargo/config.toml`).
//!
//! Design choices: xtask is an ordinary workspace member so it needs nothing but cargo; it
//! depends on none of the library crates, so it builds and reports even while they are broken;
//! it runs other programs with `std::process` in the xshell style (echo the command, run it, turn
//! a bad exit into an error naming it); and it installs the Debian packages the tests need when
//! it runs as root, so a fresh machine needs no manual set-up. CI runs `cargo xtask ci` through
//! `.ci/run` and the GitHub workflow.
#![forbid(unsafe_code)]

mod bench;
mod cli_features;
mod demo;
mod error;
mod facade;
mod feature_runs;
mod layering;
mod paths;
mod python;
mod shell;
mod steps;
mod system_packages;
mod test_and_ci;
mod test_counts;
mod tidy;
mod usage;
mod valgrind;
mod virtual_display;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::error::{Result, XtaskError};
use crate::usage::USAGE;

/// One parsed command line.
#[derive(Debug, Clone)]
enum Command {
    Test,
    Ci,
    Demo(demo::DemoOptions),
    Bench(bench::BenchOptions),
    Valgrind,
    Tidy,
    Help,
}

fn parse_arguments(arguments: &[String]) -> Result<Command> {
    let usage_error = |message: String| XtaskError::Usage { message };
    let Some((command, rest)) = arguments.split_first() else {
        return Ok(Command::Help);
    };
    let no_options = |command: Command| {
        if rest.is_empty() {
            Ok(command)
        } else {
            Err(usage_error(format!(
                "`{}` takes no arguments, got: {}",
                arguments[0],
                rest.join(" ")
            )))
        }
    };
    match command.as_str() {
        "test" => no_options(Command::Test),
        "ci" => no_options(Command::Ci),
        "valgrind" => no_options(Command::Valgrind),
        "tidy" => no_options(Command::Tidy),
        "help" | "--help" | "-h" => Ok(Command::Help),
        "bench" => Ok(Command::Bench(bench::BenchOptions::parse(rest))),
        "demo" => {
            let mut options = demo::DemoOptions {
                force_virtual_display: false,
                output_directory: None,
            };
            let mut rest = rest.iter();
            while let Some(option) = rest.next() {
                match option.as_str() {
                    "--virtual" => options.force_virtual_display = true,
                    "--output-dir" => {
                        let directory = rest.next().ok_or_else(|| {
                            usage_error("--output-dir needs a directory".to_owned())
                        })?;
                        options.output_directory = Some(PathBuf::from(directory));
                    }
                    other => {
                        return Err(usage_error(format!("unknown option for demo: `{other}`")));
                    }
                }
            }
            Ok(Command::Demo(options))
        }
        other => Err(usage_error(format!("unknown command `{other}`"))),
    }
}

fn run(command: &Command) -> Result<()> {
    match command {
        Command::Test => test_and_ci::test(),
        Command::Ci => test_and_ci::ci(),
        Command::Demo(options) => demo::run(options),
        Command::Bench(options) => bench::run(options),
        Command::Valgrind => valgrind::run(),
        Command::Tidy => tidy::run(),
        Command::Help => {
            println!("{USAGE}");
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let outcome = parse_arguments(&arguments).and_then(|command| run(&command));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // The step summary already named the failed steps as the last lines of the output.
        Err(XtaskError::StepsFailed { .. }) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str]) -> Result<Command> {
        let arguments: Vec<String> = words.iter().map(|word| (*word).to_owned()).collect();
        parse_arguments(&arguments)
    }

    #[test]
    fn commands_are_recognised() {
        assert!(matches!(parse(&["test"]), Ok(Command::Test)));
        assert!(matches!(parse(&["ci"]), Ok(Command::Ci)));
        assert!(matches!(parse(&["valgrind"]), Ok(Command::Valgrind)));
        assert!(matches!(parse(&["tidy"]), Ok(Command::Tidy)));
        assert!(matches!(parse(&[]), Ok(Command::Help)));
    }

    #[test]
    fn demo_options_are_parsed() {
        let Ok(Command::Demo(options)) = parse(&["demo", "--virtual", "--output-dir", "/tmp/d"])
        else {
            panic!("demo was not parsed");
        };
        assert!(options.force_virtual_display);
        assert_eq!(options.output_directory, Some(PathBuf::from("/tmp/d")));
    }

    #[test]
    fn bad_command_lines_are_usage_errors_naming_the_problem() {
        let check = |words: &[&str], expected: &str| {
            let error = parse(words).unwrap_err();
            assert!(matches!(error, XtaskError::Usage { .. }), "{error:?}");
            assert!(error.to_string().contains(expected), "{error}");
            assert!(error.to_string().contains("usage: cargo xtask"), "{error}");
        };
        check(&["benchmark"], "unknown command `benchmark`");
        check(
            &["test", "--fast"],
            "`test` takes no arguments, got: --fast",
        );
        check(&["demo", "--output-dir"], "--output-dir needs a directory");
        check(&["demo", "--colour"], "unknown option for demo: `--colour`");
    }
}
