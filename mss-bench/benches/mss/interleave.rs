//! Timing a subject and its floor alternately, so that both see the same machine.
//!
//! On a shared two-core machine the load changes from second to second (other builds, the
//! kernel, the X server's own scheduling). Criterion runs benchmarks one after the other, so a
//! floor timed in one interval and its subject in the next can differ by 20 % or more through
//! no fault of either, and the sign of the error depends on which ran first. Here every timed
//! call of one side is preceded by a call of the other (A b A b ... for the subject, B a B a
//! ... for the floor), so both sample the same mix of conditions and the same cache state.
//!
//! Both calls are timed. Criterion gets the timed side; the pair's totals over both
//! benchmarks, the same alternating run, are kept in [`PAIRED`] and written by
//! [`report_paired`]: their ratio is the run's most noise-proof figure.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::Bencher;

/// Total time of each side of a pair over every alternating call, warm-up included.
#[derive(Debug, Default, Clone, Copy)]
struct PairedTotals {
    subject: Duration,
    reference: Duration,
    calls: u64,
}

/// Totals by `group/subject vs reference`.
static PAIRED: Mutex<BTreeMap<String, PairedTotals>> = Mutex::new(BTreeMap::new());

/// Which side of a pair a benchmark times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The backend (`shm`, `getimage`).
    Subject,
    /// Its floor.
    Reference,
}

/// Times `timed` for criterion, calling `partner` before each call; both are added to the
/// pair's totals under `pair` (`grab_1920x1080/shm vs floor_shm_libxcb`).
pub fn interleaved(
    bencher: &mut Bencher<'_>,
    pair: &str,
    side: Side,
    mut timed: impl FnMut(),
    mut partner: impl FnMut(),
) {
    bencher.iter_custom(|iterations| {
        let (mut timed_total, mut partner_total) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..iterations {
            let start = Instant::now();
            partner();
            let middle = Instant::now();
            timed();
            timed_total += middle.elapsed();
            partner_total += middle - start;
        }
        let mut paired = PAIRED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let totals = paired.entry(pair.to_owned()).or_default();
        let (subject, reference) = match side {
            Side::Subject => (timed_total, partner_total),
            Side::Reference => (partner_total, timed_total),
        };
        totals.subject += subject;
        totals.reference += reference;
        totals.calls += iterations;
        timed_total
    });
}

/// Prints the paired ratios and, when `MSS_BENCH_PAIRED_JSON` names a file (as
/// `cargo xtask bench` does), writes them there as JSON.
pub fn report_paired() {
    let paired = PAIRED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut json = String::from("{\n");
    for (index, (pair, totals)) in paired.iter().enumerate() {
        let calls = totals.calls.max(1) as f64;
        let subject_ms = totals.subject.as_secs_f64() * 1e3 / calls;
        let reference_ms = totals.reference.as_secs_f64() * 1e3 / calls;
        println!(
            "mss-bench paired: {pair}: {subject_ms:.4} ms / {reference_ms:.4} ms = {:.3} over {} alternating calls each",
            subject_ms / reference_ms,
            totals.calls
        );
        let separator = if index + 1 < paired.len() { "," } else { "" };
        let _ = writeln!(
            json,
            r#"  "{pair}": {{"subject_ms": {subject_ms}, "reference_ms": {reference_ms}, "calls": {}}}{separator}"#,
            totals.calls
        );
    }
    json.push_str("}\n");
    if let Some(path) = std::env::var_os("MSS_BENCH_PAIRED_JSON")
        && let Err(error) = std::fs::write(&path, json)
    {
        panic!("cannot write {}: {error}", path.to_string_lossy());
    }
}
