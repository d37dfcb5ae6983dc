//! `chart.svg`: milliseconds per frame by backend and size beside the floors. Written by hand
//! (a few rectangles and labels): the `plotters` crate would add a dozen crates to xtask,
//! which must stay quick to build.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::bench::results::{Estimate, format_ms};

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
pub fn chart_svg(estimates: &[Estimate]) -> String {
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
    use crate::bench::results::tests::estimate;

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
}
