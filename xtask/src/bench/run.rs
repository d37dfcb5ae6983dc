//! The whole of `cargo xtask bench`: build, measure at raised priority, read what the bench
//! wrote, judge it and write the reports.

use std::path::PathBuf;
use std::time::SystemTime;

use crate::bench::chart::chart_svg;
use crate::bench::judge::{Ratio, missing_pairs, ratios};
use crate::bench::options::BenchOptions;
use crate::bench::report::{machine_description, markdown_table, measures_table, results_json};
use crate::bench::results::{
    Estimate, Measure, collect_estimates, parse_measures, read_fresh, read_paired,
};
use crate::error::{Result, XtaskError};
use crate::paths::target_directory;
use crate::shell::Cmd;
use crate::system_packages;

/// Runs `cargo xtask bench`.
///
/// # Errors
///
/// The bench command's failure, missing results (a benchmark that did not report), and
/// failures to write the outputs.
pub fn run(options: &BenchOptions) -> Result<()> {
    system_packages::ensure_installed(system_packages::TEST_REQUIREMENTS)?;
    let output_directory = target_directory().join("mss-bench");
    std::fs::create_dir_all(&output_directory).map_err(|source| XtaskError::File {
        action: "cannot create",
        path: output_directory.clone(),
        source,
    })?;
    let (estimates, found, mut measures) = if options.python_only {
        (Vec::new(), Vec::new(), Vec::new())
    } else {
        run_criterion(options, &output_directory)?
    };
    if options.runs_python() {
        println!("\n==> the Python benchmarks (mss-python/bench)");
        measures.extend(crate::bench::python::run(options.quick, &output_directory)?);
    } else {
        println!("\nthe Python benchmarks were not run: criterion was given a filter");
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
    let json = results_json(&estimates, &found, &measures, options.quick, &machine);
    let mut written = vec![
        write("results.md", table)?,
        write(
            "results.json",
            serde_json::to_string_pretty(&json).expect("a JSON value always serialises"),
        )?,
    ];
    // The chart is of criterion's timings: a run of the Python benchmarks alone keeps the
    // last one.
    if !estimates.is_empty() {
        written.push(write("chart.svg", chart_svg(&estimates))?);
    }
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

/// Builds and runs the criterion benchmarks, then reads what they wrote: the estimates, the
/// ratios found and the measures.
///
/// # Errors
///
/// The bench command's failure, and missing results (a benchmark that did not report).
fn run_criterion(
    options: &BenchOptions,
    output_directory: &std::path::Path,
) -> Result<(Vec<Estimate>, Vec<Ratio>, Vec<Measure>)> {
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
    Ok((estimates, found, measures))
}
