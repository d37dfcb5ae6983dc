//! The command line of `cargo xtask bench`: `--quick` and `--python-only` are ours, the rest
//! goes to criterion.

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BenchOptions {
    /// The smoke mode: tiny measurement times and a small screen; never judged on timings.
    pub quick: bool,
    /// Only the Python benchmarks (no criterion run).
    pub python_only: bool,
    /// Arguments passed to the criterion binary as they are (filters, `--sample-size`, ...).
    pub criterion_arguments: Vec<String>,
}

impl BenchOptions {
    /// Reads the arguments after `bench`: `--quick` and `--python-only` are ours, a lone `--`
    /// is skipped, and everything else goes to criterion.
    pub fn parse(arguments: &[String]) -> Self {
        let mut options = Self::default();
        for argument in arguments {
            match argument.as_str() {
                "--quick" => options.quick = true,
                "--python-only" => options.python_only = true,
                "--" => {}
                other => options.criterion_arguments.push(other.to_owned()),
            }
        }
        options
    }

    /// Whether the Python benchmarks run: always, unless criterion was given arguments (a
    /// filter picks Rust benchmarks); `--python-only` runs them alone.
    pub fn runs_python(&self) -> bool {
        self.python_only || self.criterion_arguments.is_empty()
    }

    /// The arguments the criterion binary gets.
    pub fn criterion_command_line(&self) -> Vec<String> {
        let mut arguments = Vec::new();
        if self.quick {
            // Criterion's own quick mode stops once its estimate is stable; the short times
            // bound it, and `--quick` also tells the bench binary to use a small screen.
            for argument in [
                "--quick",
                "--warm-up-time",
                "0.1",
                "--measurement-time",
                "0.2",
            ] {
                arguments.push(argument.to_owned());
            }
        }
        arguments.extend(self.criterion_arguments.iter().cloned());
        arguments
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_keep_quick_and_pass_the_rest_to_criterion() {
        let arguments: Vec<String> = ["--quick", "--", "grab_", "--sample-size", "20"]
            .iter()
            .map(|argument| (*argument).to_owned())
            .collect();
        let options = BenchOptions::parse(&arguments);
        assert!(options.quick);
        assert_eq!(
            options.criterion_arguments,
            ["grab_", "--sample-size", "20"]
        );
        let command_line = options.criterion_command_line();
        assert_eq!(command_line[0], "--quick");
        assert_eq!(command_line.last().map(String::as_str), Some("20"));
        assert!(
            !options.runs_python(),
            "a criterion filter picks Rust benchmarks"
        );
        assert!(BenchOptions::parse(&[]).runs_python());
        let python = BenchOptions::parse(&["--python-only".to_owned()]);
        assert!(python.python_only && python.runs_python());
    }
}
