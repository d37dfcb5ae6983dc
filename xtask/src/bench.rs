//! `cargo xtask bench [--quick] [criterion flags]`: runs the mss-bench criterion binary, then
//! turns criterion's estimates into the ratios the project's claims are about.
//!
//! Criterion prints each benchmark as it runs. Afterwards this module reads every
//! `target/criterion/**/new/estimates.json` written by this run (older ones are skipped by
//! their modification time, so a quick run never reports a full run's figures), pairs each
//! subject with its floor inside the same group by the [`PAIRS`] table, and writes:
//!
//! - a table on standard output (markdown, so it can be pasted into `BENCHMARKS.md`), also
//!   saved as `target/mss-bench/results.md`;
//! - `target/mss-bench/results.json`: every benchmark's estimates and every ratio;
//! - `target/mss-bench/chart.svg`: milliseconds per frame by backend and size beside the
//!   floors. The SVG is written by hand (a few rectangles and labels): the `plotters` crate
//!   would add a dozen crates to xtask, which must stay quick to build.
//!
//! Ratios use the median of criterion's samples, which a shared machine's occasional stall
//! moves less than the mean. A missed target is printed as `MISS` but fails nothing: timings
//! on a shared two-core machine are evidence, not a gate. `--quick` is the CI smoke mode: tiny
//! sample times and a small screen, checking only that every benchmark runs and reports.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::error::{Result, XtaskError};
use crate::shell::Cmd;
use crate::system_packages;
use crate::workspace::project_root;

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BenchOptions {
    /// The smoke mode: tiny measurement times and a small screen; never judged on timings.
    pub quick: bool,
    /// Arguments passed to the criterion binary as they are (filters, `--sample-size`, ...).
    pub criterion_arguments: Vec<String>,
}

impl BenchOptions {
    /// Reads the arguments after `bench`: `--quick` is ours, a lone `--` is skipped, and
    /// everything else goes to criterion.
    pub fn parse(arguments: &[String]) -> Self {
        let mut options = Self::default();
        for argument in arguments {
            match argument.as_str() {
                "--quick" => options.quick = true,
                "--" => {}
                other => options.criterion_arguments.push(other.to_owned()),
            }
        }
        options
    }

    /// The arguments the criterion binary gets.
    fn criterion_command_line(&self) -> Vec<String> {
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

/// One pairing of a subject with the reference it is compared to, in every group whose name
/// starts with `group_prefix` and that has both.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// Groups this applies to, by name prefix (`grab_` covers `grab_1920x1080`).
    pub group_prefix: &'static str,
    /// The function measured (`shm`).
    pub subject: &'static str,
    /// What it is compared with (`floor_shm_libxcb`).
    pub reference: &'static str,
    /// The claimed upper bound of `subject / reference`, if the project claims one.
    pub target: Option<f64>,
}

const fn pair(
    group_prefix: &'static str,
    subject: &'static str,
    reference: &'static str,
    target: Option<f64>,
) -> Pair {
    Pair {
        group_prefix,
        subject,
        reference,
        target,
    }
}

/// The ratios reported, with the targets the project claims. The ids are those of
/// `mss-bench/benches/mss`.
pub const PAIRS: &[Pair] = &[
    pair("grab_", "shm", "floor_shm_libxcb", Some(1.10)),
    pair("grab_", "shm", "memcpy", None),
    pair("grab_", "floor_shm_libxcb", "memcpy", None),
    pair("grab_", "getimage", "floor_getimage_libxcb", Some(1.15)),
    pair("grab_", "getimage", "shm", None),
    pair("grab_", "getimage_pure_rust", "floor_getimage_libxcb", None),
    pair("region_", "shm", "floor_shm_libxcb", None),
    pair("region_", "getimage", "floor_getimage_libxcb", None),
    pair("two_threads_", "shm", "floor_shm_libxcb", None),
    pair("two_threads_", "getimage", "floor_getimage_libxcb", None),
    pair("convert_", "to_rgb", "memcpy_to_vec", None),
    pair("convert_", "to_rgba", "memcpy_to_vec", None),
    pair("convert_", "write_rgb", "memcpy", None),
    pair("convert_", "write_rgba", "memcpy", None),
    pair("convert_", "sketch_write_rgba", "memcpy", None),
    pair("convert_", "write_rgba", "sketch_write_rgba", None),
    pair("pool", "lease_release_two_threads", "lease_release", None),
    // PNG encoding of the plasma fractal: at least 3x faster than python-mss's settings
    // (and, printed by the bench, a file no larger).
    pair(
        "encode_",
        "png_level6",
        "python_mss_settings",
        Some(1.0 / 3.0),
    ),
    pair("encode_", "png_level1", "python_mss_settings", None),
    pair("encode_", "png_level6", "to_rgb", None),
    // Streams with a consumer that reads every byte: at least 1.6x the throughput of grabbing
    // then reading one frame at a time.
    pair("stream_", "stream_read", "sequential_read", Some(1.0 / 1.6)),
    pair(
        "stream_",
        "stream_read_whole_frames",
        "sequential_read",
        None,
    ),
    pair("stream_", "stream_read", "read", None),
    // A 64x64 square changing every frame: a changes-only frame costs at most a tenth of a
    // full grab.
    pair("changes_", "changes_only_stream", "full_grab", Some(0.10)),
    pair("changes_", "paint", "full_grab", None),
    // A window captured whole (covered parts included) through Composite: within 1.10x of an
    // SHM grab of a region of its size.
    pair("window_", "shm", "shm_region", Some(1.10)),
    pair("window_", "shm", "floor_shm_libxcb", None),
    pair("window_", "getimage", "floor_getimage_libxcb", None),
];

/// A measurement the bench reports besides criterion's timings (CPU use, frame counts), with
/// the bounds the project claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// `idle_changes_only_60fps/cpu_percent_of_one_core`.
    pub id: String,
    /// The value measured.
    pub value: f64,
    /// Its unit.
    pub unit: String,
    /// The claimed lower bound, if any.
    pub at_least: Option<f64>,
    /// The claimed upper bound, if any.
    pub at_most: Option<f64>,
    /// How it was measured, and what else was seen.
    pub detail: String,
}

impl Measure {
    /// `PASS` or `MISS` against the bounds, `-` without any, `n/a` in a quick run.
    pub fn verdict(&self, quick: bool) -> &'static str {
        if self.at_least.is_none() && self.at_most.is_none() {
            "-"
        } else if quick {
            "n/a"
        } else if self.at_least.is_none_or(|bound| self.value >= bound)
            && self.at_most.is_none_or(|bound| self.value <= bound)
        {
            "PASS"
        } else {
            "MISS"
        }
    }

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

/// Parses the bench's `measures.json`: `[{"id", "value", "unit", "at_least", "at_most",
/// "detail"}]`.
fn parse_measures(text: &str) -> Result<Vec<Measure>> {
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
                value: entry["value"].as_f64().ok_or_else(|| {
                    unexpected("measures.json: an entry has no `value`".to_owned())
                })?,
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

/// A subject compared with its reference in one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    /// The group.
    pub group: String,
    /// The pairing.
    pub pair: Pair,
    /// Subject's median, ms.
    pub subject_ms: f64,
    /// Reference's median, ms.
    pub reference_ms: f64,
    /// For pairs the bench times alternately: the mean ms of subject and reference over the
    /// same alternating calls (see `mss-bench/benches/mss/interleave.rs`).
    pub paired_ms: Option<(f64, f64)>,
}

impl Ratio {
    /// `subject / reference`, from criterion's medians.
    pub fn value(&self) -> f64 {
        self.subject_ms / self.reference_ms
    }

    /// `subject / reference` over the same alternating calls, when the pair was timed so.
    pub fn paired_value(&self) -> Option<f64> {
        self.paired_ms
            .map(|(subject, reference)| subject / reference)
    }

    /// The ratio judged against the target: the paired one when there is one (it is immune to
    /// load that changes between benchmarks), else the ratio of medians.
    pub fn judged_value(&self) -> f64 {
        self.paired_value().unwrap_or_else(|| self.value())
    }

    /// `PASS` or `MISS` against the target, `-` without one, `n/a` in a quick run.
    pub fn verdict(&self, quick: bool) -> &'static str {
        match self.pair.target {
            None => "-",
            Some(_) if quick => "n/a (quick)",
            Some(target) if self.judged_value() <= target => "PASS",
            Some(_) => "MISS",
        }
    }
}

/// The key of a pair in the bench's paired totals: `grab_1920x1080/shm vs floor_shm_libxcb`.
pub fn paired_key(group: &str, pair: &Pair) -> String {
    format!("{group}/{} vs {}", pair.subject, pair.reference)
}

/// Every pairing of [`PAIRS`] found in `estimates`, in table order, group by group, with the
/// paired means (by [`paired_key`]) where the bench has them.
pub fn ratios(estimates: &[Estimate], paired: &BTreeMap<String, (f64, f64)>) -> Vec<Ratio> {
    let mut by_group: BTreeMap<&str, BTreeMap<&str, f64>> = BTreeMap::new();
    for estimate in estimates {
        by_group
            .entry(&estimate.group)
            .or_default()
            .insert(&estimate.function, estimate.median_ms);
    }
    let mut found = Vec::new();
    for pair in PAIRS {
        for (group, functions) in &by_group {
            if !group.starts_with(pair.group_prefix) {
                continue;
            }
            if let (Some(&subject_ms), Some(&reference_ms)) =
                (functions.get(pair.subject), functions.get(pair.reference))
            {
                found.push(Ratio {
                    group: (*group).to_owned(),
                    pair: *pair,
                    subject_ms,
                    reference_ms,
                    paired_ms: paired.get(&paired_key(group, pair)).copied(),
                });
            }
        }
    }
    found
}

/// The pairs no group of this run had: a benchmark that did not run or did not report.
pub fn missing_pairs(found: &[Ratio]) -> Vec<String> {
    PAIRS
        .iter()
        .filter(|pair| !found.iter().any(|ratio| ratio.pair == **pair))
        .map(|pair| {
            format!(
                "{}*/{} vs {}",
                pair.group_prefix, pair.subject, pair.reference
            )
        })
        .collect()
}

/// Runs `cargo xtask bench`.
///
/// # Errors
///
/// The bench command's failure, missing results (a benchmark that did not report), and
/// failures to write the outputs.
pub fn run(options: &BenchOptions) -> Result<()> {
    system_packages::ensure_installed(system_packages::TEST_REQUIREMENTS)?;
    let bench = ["bench", "-p", "mss-bench", "--bench", "mss"];
    // Build at normal priority first, so that only the measuring runs at raised priority. The
    // mss binary is built in the same profile: the Wayland measures time the whole process
    // against grim.
    Cmd::cargo().args(bench).arg("--no-run").run()?;
    Cmd::cargo()
        .args([
            "build",
            "--profile",
            "bench",
            "-p",
            "mss-cli",
            "--bin",
            "mss",
        ])
        .run()?;
    let mss_binary = target_directory().join("release").join("mss");
    let output_directory = target_directory().join("mss-bench");
    std::fs::create_dir_all(&output_directory).map_err(|source| XtaskError::File {
        action: "cannot create",
        path: output_directory.clone(),
        source,
    })?;
    let paired_path = output_directory.join("paired.json");
    let measures_path = output_directory.join("measures.json");
    let started = SystemTime::now();
    // The machine is shared: at raised priority (root may lower niceness; anyone else gets a
    // warning from nice and the normal priority) other people's builds steal less time from
    // the benchmark and its Xvfb, which inherits the priority. Subjects and floors run alike.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Cmd::new("nice")
        .args(["-n", "-10"])
        .env("MSS_BENCH_PAIRED_JSON", &paired_path)
        .env("MSS_BENCH_MEASURES_JSON", &measures_path)
        .env("MSS_BENCH_MSS_BINARY", &mss_binary)
        .arg(cargo)
        .args(bench)
        .arg("--")
        .args(options.criterion_command_line())
        .run()?;

    let mut estimates = Vec::new();
    collect_estimates(
        &target_directory().join("criterion"),
        started,
        &mut estimates,
    )?;
    estimates
        .sort_by(|left, right| (&left.group, &left.function).cmp(&(&right.group, &right.function)));
    let found = ratios(&estimates, &read_paired(&paired_path, started)?);
    let missing = missing_pairs(&found);
    // A filter on the command line legitimately leaves pairs out; a plain run must have all.
    if !missing.is_empty() && options.criterion_arguments.is_empty() {
        return Err(XtaskError::Check(format!(
            "these benchmark pairs produced no result in this run: {}",
            missing.join(", ")
        )));
    }
    let measures = match read_fresh(&measures_path, started)? {
        Some(text) => parse_measures(&text)?,
        None => Vec::new(),
    };
    if measures.is_empty() && options.criterion_arguments.is_empty() {
        return Err(XtaskError::Check(
            "the bench wrote no measures (idle CPU, fixed rate) in this run".to_owned(),
        ));
    }

    let machine = machine_description();
    let mut table = markdown_table(&estimates, &found, options.quick, &machine);
    table.push_str(&measures_table(&measures, options.quick));
    println!("\n{table}");
    let write = |name: &str, contents: String| -> Result<PathBuf> {
        let path = output_directory.join(name);
        std::fs::write(&path, contents).map_err(|source| XtaskError::File {
            action: "cannot write",
            path: path.clone(),
            source,
        })?;
        Ok(path)
    };
    let mut json = results_json(&estimates, &found, options.quick, &machine);
    json["measures"] = measures
        .iter()
        .map(|measure| {
            json!({
                "id": measure.id,
                "value": measure.value,
                "unit": measure.unit,
                "at_least": measure.at_least,
                "at_most": measure.at_most,
                "detail": measure.detail,
                "verdict": measure.verdict(options.quick),
            })
        })
        .collect();
    let written = [
        write("results.md", table)?,
        write(
            "results.json",
            serde_json::to_string_pretty(&json).expect("a JSON value always serialises"),
        )?,
        write("chart.svg", chart_svg(&estimates))?,
    ];
    for path in written {
        println!("wrote {}", path.display());
    }
    let missed = found
        .iter()
        .filter(|ratio| ratio.verdict(options.quick) == "MISS")
        .count()
        + measures
            .iter()
            .filter(|measure| measure.verdict(options.quick) == "MISS")
            .count();
    if missed > 0 {
        println!("{missed} target(s) missed in this run (see MISS above); timings fail nothing");
    }
    Ok(())
}

/// Where cargo puts build output (and criterion its results).
fn target_directory() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join("target"))
}

/// The bench's paired means by pair key, if it wrote them during this run.
fn read_paired(path: &Path, since: SystemTime) -> Result<BTreeMap<String, (f64, f64)>> {
    match read_fresh(path, since)? {
        Some(text) => parse_paired(&text),
        None => Ok(BTreeMap::new()),
    }
}

/// The text of `path` if it was written at or after `since` (by this run).
fn read_fresh(path: &Path, since: SystemTime) -> Result<Option<String>> {
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
fn collect_estimates(
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

/// The machine, as `BENCHMARKS.md` wants it: cores, CPU model, Xvfb version.
fn machine_description() -> BTreeMap<&'static str, String> {
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

/// Milliseconds with enough digits for both 4K grabs and pool leases.
fn format_ms(milliseconds: f64) -> String {
    if milliseconds >= 0.1 {
        format!("{milliseconds:.3}")
    } else {
        format!("{milliseconds:.6}")
    }
}

/// The ratio table and the table of every benchmark, in markdown.
fn markdown_table(
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
            ratio.pair.subject,
            ratio.pair.reference,
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
fn measures_table(measures: &[Measure], quick: bool) -> String {
    let mut text = String::from(
        "\n| measure | value | unit | target | verdict | how |\n|---|---:|---|---:|---|---|\n",
    );
    for measure in measures {
        let _ = writeln!(
            text,
            "| {} | {:.3} | {} | {} | {} | {} |",
            measure.id,
            measure.value,
            measure.unit,
            measure.bounds(),
            measure.verdict(quick),
            measure.detail,
        );
    }
    text
}

/// Everything measured, as JSON.
fn results_json(
    estimates: &[Estimate],
    found: &[Ratio],
    quick: bool,
    machine: &BTreeMap<&'static str, String>,
) -> Value {
    json!({
        "mode": if quick { "quick" } else { "full" },
        "machine": machine,
        "statistic_for_ratios": "median; paired_ratio (judged when present) is the mean over the same alternating calls",
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
            "subject_ms": ratio.subject_ms,
            "reference_ms": ratio.reference_ms,
            "ratio": ratio.value(),
            "paired_subject_ms": ratio.paired_ms.map(|(subject, _)| subject),
            "paired_reference_ms": ratio.paired_ms.map(|(_, reference)| reference),
            "paired_ratio": ratio.paired_value(),
            "target": ratio.pair.target,
            "verdict": ratio.verdict(quick),
        })).collect::<Vec<_>>(),
    })
}

/// Groups drawn in the chart: the per-frame capture costs.
const CHARTED_GROUPS: &[&str] = &["grab_", "region_", "two_threads_"];

/// The order of bars within a group: each backend right under its floor.
const CHART_ORDER: &[&str] = &[
    "floor_shm_libxcb",
    "shm",
    "memcpy",
    "floor_getimage_libxcb",
    "getimage",
    "getimage_pure_rust",
];

/// A bar's colour: floors and memcpy grey, each backend its own colour.
fn bar_colour(function: &str) -> &'static str {
    match function {
        "shm" => "#1f77b4",
        "getimage" => "#ff7f0e",
        "getimage_pure_rust" => "#d62728",
        _ => "#9a9a9a",
    }
}

/// Horizontal bars of milliseconds per frame, one block per group (each with its own scale,
/// since a 4K grab and a 640x480 region differ by twenty times), floors in grey.
fn chart_svg(estimates: &[Estimate]) -> String {
    const WIDTH: f64 = 900.0;
    const LABEL_WIDTH: f64 = 190.0;
    const BAR_AREA: f64 = 560.0;
    const ROW: f64 = 22.0;
    let mut groups: BTreeMap<&str, Vec<&Estimate>> = BTreeMap::new();
    for estimate in estimates {
        if CHARTED_GROUPS
            .iter()
            .any(|prefix| estimate.group.starts_with(prefix))
        {
            groups.entry(&estimate.group).or_default().push(estimate);
        }
    }
    let mut body = String::new();
    let mut y = 40.0;
    for (group, members) in &mut groups {
        // Each backend right under its floor; anything else after them.
        members.sort_by_key(|estimate| {
            CHART_ORDER
                .iter()
                .position(|function| *function == estimate.function)
                .unwrap_or(CHART_ORDER.len())
        });
        let _ = writeln!(
            body,
            r#"<text x="10" y="{:.0}" font-weight="bold">{group} (ms per iteration, median)</text>"#,
            y + 14.0
        );
        y += ROW;
        let longest = members
            .iter()
            .map(|estimate| estimate.median_ms)
            .fold(f64::MIN_POSITIVE, f64::max);
        for estimate in members {
            let length = (estimate.median_ms / longest * BAR_AREA).max(1.0);
            let _ = writeln!(
                body,
                r#"<text x="{:.0}" y="{:.0}" text-anchor="end">{}</text><rect x="{:.0}" y="{:.0}" width="{length:.1}" height="{:.0}" fill="{}"/><text x="{:.1}" y="{:.0}">{}</text>"#,
                LABEL_WIDTH - 8.0,
                y + 15.0,
                estimate.function,
                LABEL_WIDTH,
                y + 3.0,
                ROW - 6.0,
                bar_colour(&estimate.function),
                LABEL_WIDTH + length + 6.0,
                y + 15.0,
                format_ms(estimate.median_ms),
            );
            y += ROW;
        }
        y += ROW / 2.0;
    }
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{:.0}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="24" font-size="16" font-weight="bold">mss-bench: milliseconds per frame by backend and size; floors in grey</text>
{body}</svg>
"#,
        y + 10.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(group: &str, function: &str, median_ms: f64) -> Estimate {
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
    fn ratios_pair_within_a_group_and_judge_the_targets() {
        let estimates = [
            estimate("grab_1920x1080", "shm", 0.26),
            estimate("grab_1920x1080", "floor_shm_libxcb", 0.25),
            estimate("grab_1920x1080", "getimage", 1.50),
            estimate("grab_1920x1080", "floor_getimage_libxcb", 1.20),
            // A floor from another size must never pair with this group's backend.
            estimate("grab_3840x2160", "floor_shm_libxcb", 1.60),
        ];
        let paired = BTreeMap::from([(
            "grab_1920x1080/getimage vs floor_getimage_libxcb".to_owned(),
            (1.10, 1.00),
        )]);
        let found = ratios(&estimates, &paired);
        let get = |subject: &str, reference: &str| {
            found
                .iter()
                .find(|ratio| ratio.pair.subject == subject && ratio.pair.reference == reference)
                .unwrap()
        };
        let shm = get("shm", "floor_shm_libxcb");
        assert_eq!(shm.group, "grab_1920x1080");
        assert!((shm.value() - 1.04).abs() < 1e-9);
        assert_eq!(shm.verdict(false), "PASS");
        assert_eq!(shm.verdict(true), "n/a (quick)");
        let getimage = get("getimage", "floor_getimage_libxcb");
        assert!((getimage.value() - 1.25).abs() < 1e-9);
        // The paired ratio (1.10) is judged, not the ratio of medians (1.25).
        assert!((getimage.paired_value().unwrap() - 1.10).abs() < 1e-9);
        assert_eq!(getimage.verdict(false), "PASS");
        assert_eq!(shm.paired_value(), None);
        let mut missed = getimage.clone();
        missed.paired_ms = Some((1.2, 1.0));
        assert_eq!(missed.verdict(false), "MISS");
        assert_eq!(get("getimage", "shm").verdict(false), "-");
        assert_eq!(
            found
                .iter()
                .filter(|ratio| ratio.group == "grab_3840x2160")
                .count(),
            0
        );
        let missing = missing_pairs(&found);
        assert!(missing.contains(&"convert_*/to_rgba vs memcpy_to_vec".to_owned()));
        assert!(!missing.contains(&"grab_*/shm vs floor_shm_libxcb".to_owned()));
    }

    #[test]
    fn the_chart_draws_one_bar_per_charted_benchmark() {
        let estimates = [
            estimate("grab_1920x1080", "shm", 0.26),
            estimate("grab_1920x1080", "floor_shm_libxcb", 0.25),
            estimate("region_640x480", "getimage", 0.4),
            estimate("pool", "lease_release", 0.0001),
        ];
        let svg = chart_svg(&estimates);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert_eq!(svg.matches("<rect x=").count(), 3, "{svg}");
        assert!(svg.contains(r##"fill="#1f77b4""##));
        assert!(svg.contains("grab_1920x1080 (ms per iteration, median)"));
        assert!(
            svg.find(">floor_shm_libxcb<").unwrap() < svg.find(">shm<").unwrap(),
            "the floor comes first: {svg}"
        );
        assert!(!svg.contains("lease_release"));
    }

    #[test]
    fn measures_are_parsed_and_judged_against_their_bounds() {
        let text = r#"[
            {"id": "idle/cpu", "value": 0.4, "unit": "%", "at_least": null, "at_most": 2.0, "detail": "10 s"},
            {"id": "rate/frames", "value": 590, "unit": "frames", "at_least": 594.0, "at_most": 606.0, "detail": "d"},
            {"id": "rate/p99", "value": 17.1, "unit": "ms", "at_least": null, "at_most": null, "detail": "d"}
        ]"#;
        let measures = parse_measures(text).unwrap();
        assert_eq!(measures.len(), 3);
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
        for bad in ["{}", "[{\"id\": \"x\"}]", "not json"] {
            assert!(parse_measures(bad).is_err(), "{bad}");
        }
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
