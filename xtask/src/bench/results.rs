//! Reading what the bench wrote during this run: criterion's estimates
//! (`target/criterion/**/new/`), the paired totals (`paired.json`) and the measures that are
//! not times (`measures.json`). Files older than the run are skipped by their modification
//! time, so a quick run never reports a full run's figures.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use serde_json::Value;

use crate::error::{Result, XtaskError};

/// A measurement the bench reports besides criterion's timings (CPU use, frame counts), with
/// the bounds the project claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// `idle_changes_only_60fps/cpu_percent_of_one_core`.
    pub id: String,
    /// The value measured; `None` when it could not be (the detail says why).
    pub value: Option<f64>,
    /// Its unit.
    pub unit: String,
    /// The claimed lower bound, if any.
    pub at_least: Option<f64>,
    /// The claimed upper bound, if any.
    pub at_most: Option<f64>,
    /// How it was measured, and what else was seen.
    pub detail: String,
}

/// Parses the bench's `measures.json`: `[{"id", "value", "unit", "at_least", "at_most",
/// "detail"}]`; a `value` of `null` is a measure that could not be taken, its detail saying
/// why.
pub fn parse_measures(text: &str) -> Result<Vec<Measure>> {
    let unexpected = |detail: String| XtaskError::UnexpectedOutput {
        command: "cargo bench -p mss-bench".to_owned(),
        detail,
    };
    let value: Value = serde_json::from_str(text)
        .map_err(|error| unexpected(format!("measures.json is not JSON: {error}")))?;
    let entries = value
        .as_array()
        .ok_or_else(|| unexpected("measures.json is not an array".to_owned()))?;
    entries
        .iter()
        .map(|entry| {
            let text = |field: &str| {
                entry[field]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| unexpected(format!("measures.json: an entry has no `{field}`")))
            };
            Ok(Measure {
                id: text("id")?,
                value: match &entry["value"] {
                    Value::Null if entry.get("value").is_some() => None,
                    value => Some(value.as_f64().ok_or_else(|| {
                        unexpected("measures.json: an entry has no `value`".to_owned())
                    })?),
                },
                unit: text("unit")?,
                at_least: entry["at_least"].as_f64(),
                at_most: entry["at_most"].as_f64(),
                detail: text("detail")?,
            })
        })
        .collect()
}

/// One benchmark's result, in milliseconds per iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// The group, such as `grab_1920x1080`.
    pub group: String,
    /// The function, such as `shm`.
    pub function: String,
    /// Median of the samples, ms per iteration.
    pub median_ms: f64,
    /// Mean, ms per iteration.
    pub mean_ms: f64,
    /// The mean's 95 % confidence interval, ms.
    pub mean_interval_ms: (f64, f64),
    /// Standard deviation of the samples, ms.
    pub std_dev_ms: f64,
}

impl Estimate {
    /// `group/function`, criterion's id.
    pub fn id(&self) -> String {
        format!("{}/{}", self.group, self.function)
    }

    /// Reads criterion's `benchmark.json` (ids) and `estimates.json` (nanoseconds) texts.
    ///
    /// # Errors
    ///
    /// [`XtaskError::UnexpectedOutput`] naming the missing field.
    pub fn from_criterion(benchmark: &str, estimates: &str) -> Result<Self> {
        let unexpected = |detail: String| XtaskError::UnexpectedOutput {
            command: "cargo bench -p mss-bench".to_owned(),
            detail,
        };
        let parse = |text: &str, what: &str| {
            serde_json::from_str::<Value>(text)
                .map_err(|error| unexpected(format!("criterion's {what} is not JSON: {error}")))
        };
        let benchmark = parse(benchmark, "benchmark.json")?;
        let estimates = parse(estimates, "estimates.json")?;
        let text = |key: &str| {
            benchmark[key]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| unexpected(format!("benchmark.json has no `{key}`")))
        };
        let milliseconds = |path: &[&str]| {
            path.iter()
                .fold(&estimates, |value, key| &value[*key])
                .as_f64()
                .map(|nanoseconds| nanoseconds / 1e6)
                .ok_or_else(|| unexpected(format!("estimates.json has no `{}`", path.join("."))))
        };
        Ok(Self {
            group: text("group_id")?,
            function: text("function_id")?,
            median_ms: milliseconds(&["median", "point_estimate"])?,
            mean_ms: milliseconds(&["mean", "point_estimate"])?,
            mean_interval_ms: (
                milliseconds(&["mean", "confidence_interval", "lower_bound"])?,
                milliseconds(&["mean", "confidence_interval", "upper_bound"])?,
            ),
            std_dev_ms: milliseconds(&["std_dev", "point_estimate"])?,
        })
    }
}

/// The bench's paired means by pair key, if it wrote them during this run.
pub fn read_paired(path: &Path, since: SystemTime) -> Result<BTreeMap<String, (f64, f64)>> {
    match read_fresh(path, since)? {
        Some(text) => parse_paired(&text),
        None => Ok(BTreeMap::new()),
    }
}

/// The text of `path` if it was written at or after `since` (by this run).
pub fn read_fresh(path: &Path, since: SystemTime) -> Result<Option<String>> {
    let fresh = std::fs::metadata(path)
        .and_then(|metadata| metadata.modified())
        .is_ok_and(|modified| modified >= since);
    if !fresh {
        return Ok(None);
    }
    std::fs::read_to_string(path)
        .map(Some)
        .map_err(|source| XtaskError::File {
            action: "cannot read",
            path: path.to_path_buf(),
            source,
        })
}

/// Parses the bench's `paired.json`: `{"key": {"subject_ms": x, "reference_ms": y, ...}}`.
fn parse_paired(text: &str) -> Result<BTreeMap<String, (f64, f64)>> {
    let unexpected = |detail: String| XtaskError::UnexpectedOutput {
        command: "cargo bench -p mss-bench".to_owned(),
        detail,
    };
    let value: Value = serde_json::from_str(text)
        .map_err(|error| unexpected(format!("paired.json is not JSON: {error}")))?;
    let entries = value
        .as_object()
        .ok_or_else(|| unexpected("paired.json is not an object".to_owned()))?;
    entries
        .iter()
        .map(|(key, entry)| {
            let number = |field: &str| {
                entry[field]
                    .as_f64()
                    .ok_or_else(|| unexpected(format!("paired.json: `{key}` has no `{field}`")))
            };
            Ok((
                key.clone(),
                (number("subject_ms")?, number("reference_ms")?),
            ))
        })
        .collect()
}

/// Adds the estimates under `directory` written at or after `since`.
pub fn collect_estimates(
    directory: &Path,
    since: SystemTime,
    estimates: &mut Vec<Estimate>,
) -> Result<()> {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|source| XtaskError::File {
            action: "cannot read",
            path: path.to_path_buf(),
            source,
        })
    };
    let entries = std::fs::read_dir(directory).map_err(|source| XtaskError::File {
        action: "cannot list",
        path: directory.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let estimates_path = path.join("estimates.json");
        if path.file_name().is_some_and(|name| name == "new") && estimates_path.is_file() {
            let fresh = std::fs::metadata(&estimates_path)
                .and_then(|metadata| metadata.modified())
                .is_ok_and(|modified| modified >= since);
            if fresh {
                estimates.push(Estimate::from_criterion(
                    &read(&path.join("benchmark.json"))?,
                    &read(&estimates_path)?,
                )?);
            }
        } else {
            collect_estimates(&path, since, estimates)?;
        }
    }
    Ok(())
}

/// Milliseconds with enough digits for both 4K grabs and pool leases, as the tables and the
/// chart show them.
pub fn format_ms(milliseconds: f64) -> String {
    if milliseconds >= 0.1 {
        format!("{milliseconds:.3}")
    } else {
        format!("{milliseconds:.6}")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An estimate whose every statistic is `median_ms`, for the tests of the modules that read
    /// estimates (judge, chart).
    pub(crate) fn estimate(group: &str, function: &str, median_ms: f64) -> Estimate {
        Estimate {
            group: group.to_owned(),
            function: function.to_owned(),
            median_ms,
            mean_ms: median_ms,
            mean_interval_ms: (median_ms, median_ms),
            std_dev_ms: 0.0,
        }
    }

    #[test]
    fn criterion_files_are_read_in_milliseconds() {
        let benchmark = r#"{"group_id":"grab_1920x1080","function_id":"shm","value_str":null}"#;
        let estimates = r#"{
            "mean":{"confidence_interval":{"lower_bound":240000.0,"upper_bound":260000.0},"point_estimate":250000.0},
            "median":{"point_estimate":245000.0},
            "std_dev":{"point_estimate":5000.0}}"#;
        let read = Estimate::from_criterion(benchmark, estimates).unwrap();
        assert_eq!(read.id(), "grab_1920x1080/shm");
        assert!((read.median_ms - 0.245).abs() < 1e-12);
        assert!((read.mean_ms - 0.25).abs() < 1e-12);
        assert!((read.mean_interval_ms.1 - 0.26).abs() < 1e-12);

        let error = Estimate::from_criterion(benchmark, r#"{"median":{"point_estimate":1.0}}"#)
            .unwrap_err();
        assert!(error.to_string().contains("mean.point_estimate"), "{error}");
    }

    #[test]
    fn paired_totals_are_parsed_and_bad_ones_named() {
        let parsed = parse_paired(
            r#"{"grab_1920x1080/shm vs floor_shm_libxcb": {"subject_ms": 0.25, "reference_ms": 0.24, "calls": 90}}"#,
        )
        .unwrap();
        assert_eq!(
            parsed["grab_1920x1080/shm vs floor_shm_libxcb"],
            (0.25, 0.24)
        );
        let error = parse_paired(r#"{"x": {"subject_ms": 1.0}}"#).unwrap_err();
        assert!(
            error.to_string().contains("`x` has no `reference_ms`"),
            "{error}"
        );
    }
}
