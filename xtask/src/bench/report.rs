//! The reports of a run: the ratio table, the table of every benchmark and the measures in
//! markdown (printed, and saved as `results.md`), the same as JSON (`results.json`), and the
//! machine they ran on.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::bench::judge::Ratio;
use crate::bench::results::{Estimate, Measure, format_ms};
use crate::shell::Cmd;

impl Measure {
    /// The bounds in words: `<= 2`, `594 - 606`, `-`.
    fn bounds(&self) -> String {
        match (self.at_least, self.at_most) {
            (Some(low), Some(high)) => format!("{low} - {high}"),
            (Some(low), None) => format!(">= {low}"),
            (None, Some(high)) => format!("<= {high}"),
            (None, None) => "-".to_owned(),
        }
    }
}

/// The machine, as `BENCHMARKS.md` wants it: cores, CPU model, Xvfb version.
pub fn machine_description() -> BTreeMap<&'static str, String> {
    let cores = std::thread::available_parallelism()
        .map(|cores| cores.to_string())
        .unwrap_or_else(|_| "unknown".to_owned());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    // Xvfb has no version option; the Debian package that installed it (see
    // system_packages) says which server it is.
    let xvfb = Cmd::new("dpkg-query")
        .args(["--show", "--showformat=${Version}", "xvfb"])
        .output_unchecked()
        .ok()
        .filter(|output| output.status.success() && !output.stdout.is_empty())
        .map(|output| format!("Xvfb {}", String::from_utf8_lossy(&output.stdout).trim()))
        .unwrap_or_else(|| "Xvfb of unknown version".to_owned());
    BTreeMap::from([("cores", cores), ("cpu", cpu), ("xvfb", xvfb)])
}

/// The ratio table and the table of every benchmark, in markdown.
pub fn markdown_table(
    estimates: &[Estimate],
    found: &[Ratio],
    quick: bool,
    machine: &BTreeMap<&'static str, String>,
) -> String {
    let mut text = String::new();
    let mode = if quick {
        "quick smoke run: timings mean nothing"
    } else {
        "full run"
    };
    let _ = writeln!(
        text,
        "mss-bench, {mode}; {} cores, {}; {}\n",
        machine["cores"], machine["cpu"], machine["xvfb"]
    );
    text.push_str(
        "| group | subject | reference | subject ms | reference ms | ratio | paired ratio | target | verdict |\n\
         |---|---|---|---:|---:|---:|---:|---:|---|\n",
    );
    for ratio in found {
        let target = ratio
            .pair
            .target
            .map_or_else(|| "-".to_owned(), |target| format!("<= {target:.2}"));
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {:.3} | {} | {target} | {} |",
            ratio.group,
            ratio.pair.subject_label(),
            ratio.pair.reference_label(),
            format_ms(ratio.subject_ms),
            format_ms(ratio.reference_ms),
            ratio.value(),
            ratio
                .paired_value()
                .map_or_else(|| "-".to_owned(), |paired| format!("{paired:.3}")),
            ratio.verdict(quick),
        );
    }
    text.push_str(
        "\n| benchmark | median ms | mean ms | mean 95% interval ms | std dev ms |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for estimate in estimates {
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} - {} | {} |",
            estimate.id(),
            format_ms(estimate.median_ms),
            format_ms(estimate.mean_ms),
            format_ms(estimate.mean_interval_ms.0),
            format_ms(estimate.mean_interval_ms.1),
            format_ms(estimate.std_dev_ms),
        );
    }
    text
}

/// The measures, in markdown.
pub fn measures_table(measures: &[Measure], quick: bool) -> String {
    let mut text = String::from(
        "\n| measure | value | unit | target | verdict | how |\n|---|---:|---|---:|---|---|\n",
    );
    for measure in measures {
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {} |",
            measure.id,
            measure
                .value
                .map_or_else(|| "-".to_owned(), |value| format!("{value:.3}")),
            measure.unit,
            measure.bounds(),
            measure.verdict(quick),
            measure.detail,
        );
    }
    text
}

/// Everything measured, as JSON: the benchmarks, the ratios and the measures, each with its
/// verdict.
pub fn results_json(
    estimates: &[Estimate],
    found: &[Ratio],
    measures: &[Measure],
    quick: bool,
    machine: &BTreeMap<&'static str, String>,
) -> Value {
    json!({
        "mode": if quick { "quick" } else { "full" },
        "machine": machine,
        "statistic_for_ratios": "median (less the median of net_of, when set, on both sides); paired_ratio (judged when present) is the mean over the same alternating calls",
        "benchmarks": estimates.iter().map(|estimate| json!({
            "id": estimate.id(),
            "group": estimate.group,
            "function": estimate.function,
            "median_ms": estimate.median_ms,
            "mean_ms": estimate.mean_ms,
            "mean_interval_ms": [estimate.mean_interval_ms.0, estimate.mean_interval_ms.1],
            "std_dev_ms": estimate.std_dev_ms,
        })).collect::<Vec<_>>(),
        "ratios": found.iter().map(|ratio| json!({
            "group": ratio.group,
            "subject": ratio.pair.subject,
            "reference": ratio.pair.reference,
            "net_of": ratio.pair.net_of,
            "subject_ms": ratio.subject_ms,
            "reference_ms": ratio.reference_ms,
            "ratio": ratio.value(),
            "paired_subject_ms": ratio.paired_ms.map(|(subject, _)| subject),
            "paired_reference_ms": ratio.paired_ms.map(|(_, reference)| reference),
            "paired_ratio": ratio.paired_value(),
            "target": ratio.pair.target,
            "verdict": ratio.verdict(quick),
        })).collect::<Vec<_>>(),
        "measures": measures.iter().map(|measure| json!({
            "id": measure.id,
            "value": measure.value,
            "unit": measure.unit,
            "at_least": measure.at_least,
            "at_most": measure.at_most,
            "detail": measure.detail,
            "verdict": measure.verdict(quick),
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::results::parse_measures;

    #[test]
    fn measures_are_parsed_and_judged_against_their_bounds() {
        let text = r#"[
            {"id": "idle/cpu", "value": 0.4, "unit": "%", "at_least": null, "at_most": 2.0, "detail": "10 s"},
            {"id": "rate/frames", "value": 590, "unit": "frames", "at_least": 594.0, "at_most": 606.0, "detail": "d"},
            {"id": "rate/p99", "value": 17.1, "unit": "ms", "at_least": null, "at_most": null, "detail": "d"},
            {"id": "py/ratio", "value": null, "unit": "ratio", "at_least": null, "at_most": 1.15, "detail": "not available: no Python 3.13"}
        ]"#;
        let measures = parse_measures(text).unwrap();
        assert_eq!(measures.len(), 4);
        assert_eq!(measures[3].value, None);
        assert_eq!(measures[3].verdict(false), "not available");
        assert_eq!(measures[3].verdict(true), "not available");
        assert_eq!(measures[0].verdict(false), "PASS");
        assert_eq!(measures[1].verdict(false), "MISS");
        assert_eq!(measures[1].verdict(true), "n/a");
        assert_eq!(measures[2].verdict(false), "-");
        assert_eq!(measures[1].bounds(), "594 - 606");
        let table = measures_table(&measures, false);
        assert!(
            table.contains("| idle/cpu | 0.400 | % | <= 2 | PASS | 10 s |"),
            "{table}"
        );
        assert!(
            table.contains(
                "| py/ratio | - | ratio | <= 1.15 | not available | not available: no Python 3.13 |"
            ),
            "{table}"
        );
        for bad in ["{}", "[{\"id\": \"x\"}]", "not json"] {
            assert!(parse_measures(bad).is_err(), "{bad}");
        }
    }
}
