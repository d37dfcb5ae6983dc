//! Adding up the `test result:` lines that libtest prints, and the closing line of pytest (the
//! Python module's tests), so `test` and `ci` can close with one total over every test binary,
//! doc-test run, feature run and pytest run.

/// Numbers of tests that passed, failed and were ignored, summed over test runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TestCounts {
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed.
    pub failed: u64,
    /// Tests that were ignored (tidy forbids ignoring tests, so this should stay zero).
    pub ignored: u64,
}

impl TestCounts {
    /// Adds the numbers of one line of test output if it is a libtest summary such as
    /// `test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in
    /// 0.01s`; any other line is left alone.
    pub fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            self.add_pytest_line(line);
            return;
        };
        // After the verdict ("ok." or "FAILED.") come `N word` pairs separated by semicolons.
        let Some((_verdict, numbers)) = rest.split_once(". ") else {
            return;
        };
        for part in numbers.split(';') {
            let mut words = part.split_whitespace();
            let (Some(count), Some(kind)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(count) = count.parse::<u64>() else {
                continue;
            };
            match kind {
                "passed" => self.passed += count,
                "failed" => self.failed += count,
                "ignored" => self.ignored += count,
                _ => {}
            }
        }
    }

    /// Adds the numbers of pytest's closing line, such as `==== 12 passed, 1 failed, 2 skipped
    /// in 3.45s ====` (errors count as failures, skips as skipped); any other line is left
    /// alone.
    fn add_pytest_line(&mut self, line: &str) {
        let line = line.trim();
        if !(line.starts_with('=') && line.ends_with('=')) {
            return;
        }
        let Some((numbers, _duration)) = line
            .trim_matches(|c| c == '=' || c == ' ')
            .rsplit_once(" in ")
        else {
            return;
        };
        for part in numbers.split(", ") {
            let mut words = part.split_whitespace();
            let (Some(count), Some(kind), None) = (words.next(), words.next(), words.next()) else {
                return;
            };
            let Ok(count) = count.parse::<u64>() else {
                return;
            };
            match kind {
                "passed" => self.passed += count,
                "failed" | "error" | "errors" => self.failed += count,
                "skipped" => self.ignored += count,
                _ => {}
            }
        }
    }

    /// The closing line in the plain `N passed, N failed, N skipped` form that test-log readers
    /// understand in any language.
    pub fn closing_line(&self) -> String {
        format!(
            "total: {} passed, {} failed, {} skipped",
            self.passed, self.failed, self.ignored
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts_of(lines: &[&str]) -> TestCounts {
        let mut counts = TestCounts::default();
        for line in lines {
            counts.add_line(line);
        }
        counts
    }

    #[test]
    fn passing_and_failing_summaries_are_summed() {
        let counts = counts_of(&[
            "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.03s",
            "test result: FAILED. 4 passed; 2 failed; 1 ignored; 0 measured; 3 filtered out; finished in 1.20s",
        ]);
        assert_eq!(
            counts,
            TestCounts {
                passed: 16,
                failed: 2,
                ignored: 1
            }
        );
    }

    #[test]
    fn other_lines_are_not_counted() {
        let counts = counts_of(&[
            "running 3 tests",
            "test region::tests::empty ... ok",
            "test result is written to the log: 5 passed",
            "failures:",
        ]);
        assert_eq!(counts, TestCounts::default());
    }

    #[test]
    fn pytest_closing_lines_are_counted_and_its_other_lines_are_not() {
        let counts = counts_of(&[
            "============================= test session starts ==============================",
            "tests/test_grab.py ....                                                  [100%]",
            "=================== 12 passed, 1 failed, 2 skipped, 1 error in 3.45s ===================",
            "==== 3 passed, 4 warnings in 0.50s ====",
            "================================== FAILURES ===================================",
        ]);
        assert_eq!(
            counts,
            TestCounts {
                passed: 15,
                failed: 2,
                ignored: 2
            }
        );
    }

    #[test]
    fn closing_line_has_the_plain_form() {
        let counts = TestCounts {
            passed: 7,
            failed: 1,
            ignored: 0,
        };
        assert_eq!(
            counts.closing_line(),
            "total: 7 passed, 1 failed, 0 skipped"
        );
    }
}
