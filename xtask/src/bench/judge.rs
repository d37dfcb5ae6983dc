//! What is compared with what, and the verdicts: the [`PAIRS`] table (each subject with its
//! reference and the project's target), the ratios found in a run, and `PASS`/`MISS` against
//! the targets and the measures' bounds.

use std::collections::BTreeMap;

use crate::bench::results::{Estimate, Measure};

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
    /// A benchmark of the same group that both sides include and that is no part of what is
    /// compared (the painting of a changing screen): subtracted from both before the ratio.
    pub net_of: Option<&'static str>,
}

impl Pair {
    /// The subject as the tables show it: `stream_read - paint` when measured net of another.
    pub fn subject_label(&self) -> String {
        match self.net_of {
            Some(net_of) => format!("{} - {net_of}", self.subject),
            None => self.subject.to_owned(),
        }
    }

    /// The reference as the tables show it.
    pub fn reference_label(&self) -> String {
        match self.net_of {
            Some(net_of) => format!("{} - {net_of}", self.reference),
            None => self.reference.to_owned(),
        }
    }
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
        net_of: None,
    }
}

/// A pair compared net of `net_of`, a cost both sides include.
const fn net_pair(
    group_prefix: &'static str,
    subject: &'static str,
    reference: &'static str,
    net_of: &'static str,
    target: Option<f64>,
) -> Pair {
    Pair {
        group_prefix,
        subject,
        reference,
        target,
        net_of: Some(net_of),
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
    // Conversions to RGB(A) within 1.2x of a memcpy of the frame (timed alternately with it):
    // a new vector against a new copy, a reused vector against a copy into a reused vector.
    pair("convert_", "to_rgb", "memcpy_to_vec", Some(1.2)),
    pair("convert_", "to_rgba", "memcpy_to_vec", Some(1.2)),
    pair("convert_", "write_rgb", "memcpy", Some(1.2)),
    pair("convert_", "write_rgba", "memcpy", Some(1.2)),
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
    // The same stream with the whole screen changing before every frame (another client
    // paints it, waiting for the server; both sides include that painting, so the ratio is
    // taken net of it): every frame is a whole copy, as for grab-then-read. Reported beside
    // the still screen's, no claim.
    net_pair(
        "changing_stream_",
        "stream_read",
        "sequential_read",
        "paint",
        None,
    ),
    net_pair(
        "changing_stream_",
        "stream_read_whole_frames",
        "sequential_read",
        "paint",
        None,
    ),
    pair("changing_stream_", "paint", "sequential_read", None),
    // A window captured whole (covered parts included) through Composite: within 1.10x of an
    // SHM grab of a region of its size.
    pair("window_", "shm", "shm_region", Some(1.10)),
    pair("window_", "shm", "floor_shm_libxcb", None),
    pair("window_", "getimage", "floor_getimage_libxcb", None),
];

impl Measure {
    /// `PASS` or `MISS` against the bounds, `-` without any, `n/a` in a quick run, `not
    /// available` when it could not be measured.
    pub fn verdict(&self, quick: bool) -> &'static str {
        let Some(value) = self.value else {
            return "not available";
        };
        if self.at_least.is_none() && self.at_most.is_none() {
            "-"
        } else if quick {
            "n/a"
        } else if self.at_least.is_none_or(|bound| value >= bound)
            && self.at_most.is_none_or(|bound| value <= bound)
        {
            "PASS"
        } else {
            "MISS"
        }
    }
}

/// A subject compared with its reference in one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Ratio {
    /// The group.
    pub group: String,
    /// The pairing.
    pub pair: Pair,
    /// Subject's median, ms (less the median of [`Pair::net_of`], when there is one).
    pub subject_ms: f64,
    /// Reference's median, ms (less the median of [`Pair::net_of`], when there is one).
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
            let net_of_ms = match pair.net_of {
                None => Some(0.0),
                Some(net_of) => functions.get(net_of).copied(),
            };
            if let (Some(&subject_ms), Some(&reference_ms), Some(net_of_ms)) = (
                functions.get(pair.subject),
                functions.get(pair.reference),
                net_of_ms,
            ) {
                let (subject_ms, reference_ms) = (subject_ms - net_of_ms, reference_ms - net_of_ms);
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
                pair.group_prefix,
                pair.subject_label(),
                pair.reference_label()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::results::tests::estimate;

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
        assert!(missing.contains(
            &"changing_stream_*/stream_read - paint vs sequential_read - paint".to_owned()
        ));
    }

    #[test]
    fn pairs_net_of_a_shared_cost_subtract_it_from_both_sides() {
        let estimates = [
            estimate("changing_stream_3840x2160", "paint", 2.0),
            estimate("changing_stream_3840x2160", "sequential_read", 10.0),
            estimate("changing_stream_3840x2160", "stream_read", 8.0),
        ];
        let found = ratios(&estimates, &BTreeMap::new());
        let net = found
            .iter()
            .find(|ratio| ratio.pair.subject == "stream_read" && ratio.pair.net_of.is_some())
            .unwrap();
        // (8 - 2) / (10 - 2), not 8 / 10.
        assert!((net.value() - 0.75).abs() < 1e-9);
        assert_eq!(net.pair.subject_label(), "stream_read - paint");
        assert_eq!(net.pair.reference_label(), "sequential_read - paint");
        let paint = found
            .iter()
            .find(|ratio| ratio.pair.subject == "paint")
            .unwrap();
        assert!((paint.value() - 0.2).abs() < 1e-9);
        // Without the shared cost's own benchmark, the net pair is not reported.
        let without_paint = ratios(&estimates[1..], &BTreeMap::new());
        assert!(
            without_paint
                .iter()
                .all(|ratio| ratio.pair.net_of.is_none())
        );
    }
}
