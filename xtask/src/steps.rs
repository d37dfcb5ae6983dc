//! Running a list of named steps with a heading each, going on after a failure so one run shows
//! every problem, and closing with a summary.
//!
//! The summary ends with the test total in the plain `N passed, N failed` form, so the last line
//! of a `test` or `ci` log says how many tests ran, summed over every cargo test run.

use std::time::{Duration, Instant};

use crate::error::{Result, XtaskError};
use crate::test_counts::TestCounts;

/// How one step ended.
#[derive(Debug)]
struct StepRecord {
    heading: String,
    duration: Duration,
    failure: Option<String>,
}

/// The steps run so far and the tests they counted.
#[derive(Debug, Default)]
pub struct Steps {
    records: Vec<StepRecord>,
    counts: TestCounts,
}

impl Steps {
    /// Runs one step under a heading and records how it ended; returns whether it succeeded.
    /// The step gets the running test counts so that test steps can add to them.
    pub fn run(&mut self, heading: &str, step: impl FnOnce(&mut TestCounts) -> Result<()>) -> bool {
        println!();
        println!("==> {heading}");
        let started = Instant::now();
        let outcome = step(&mut self.counts);
        let duration = started.elapsed();
        let failure = outcome.err().map(|error| error.to_string());
        match &failure {
            Some(message) => println!("==> FAILED: {heading}\n{message}"),
            None => println!("==> ok: {heading} ({:.1}s)", duration.as_secs_f64()),
        }
        let succeeded = failure.is_none();
        self.records.push(StepRecord {
            heading: heading.to_owned(),
            duration,
            failure,
        });
        succeeded
    }

    /// Prints the summary of every step and the test total.
    ///
    /// # Errors
    ///
    /// [`XtaskError::StepsFailed`] naming the failed steps, if any failed.
    pub fn finish(self) -> Result<()> {
        println!();
        println!("==> summary");
        for record in &self.records {
            let verdict = if record.failure.is_some() {
                "FAILED"
            } else {
                "ok"
            };
            println!(
                "  {verdict:<6} {:>7.1}s  {}",
                record.duration.as_secs_f64(),
                record.heading
            );
        }
        let failed_steps: Vec<String> = self
            .records
            .iter()
            .filter(|record| record.failure.is_some())
            .map(|record| record.heading.clone())
            .collect();
        if !failed_steps.is_empty() {
            println!("failed steps: {}", failed_steps.join("; "));
        }
        println!("{}", self.counts.closing_line());
        if failed_steps.is_empty() {
            Ok(())
        } else {
            Err(XtaskError::StepsFailed { failed_steps })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_steps_run_and_failures_are_named() {
        let mut steps = Steps::default();
        let mut later_step_ran = false;
        assert!(!steps.run("first fails", |_| Err(XtaskError::Check("broken".into()))));
        assert!(steps.run("second passes", |counts| {
            later_step_ran = true;
            counts.passed += 2;
            Ok(())
        }));
        assert!(later_step_ran);
        let error = steps.finish().unwrap_err();
        assert!(
            matches!(&error, XtaskError::StepsFailed { failed_steps } if failed_steps == &["first fails"]),
            "{error:?}"
        );
    }

    #[test]
    fn passing_steps_finish_ok() {
        let mut steps = Steps::default();
        assert!(steps.run("passes", |_| Ok(())));
        assert!(steps.finish().is_ok());
    }
}
