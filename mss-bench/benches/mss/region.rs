//! `region_640x480`: a 640x480 region of the first screen, by each backend beside its floor
//! (same ids as `grab_*`, and the same alternate timing, so the same pairs apply).

use criterion::{Criterion, Throughput};
use mss_bench::BenchScreen;
use mss_core::Region;

use crate::grab::grab_pairs;

pub fn bench(criterion: &mut Criterion, screen: &BenchScreen, region: Region) {
    let group_name = format!("region_{}x{}", region.width(), region.height());
    let mut group = criterion.benchmark_group(&group_name);
    group.throughput(Throughput::Bytes(region.area() * 4));
    grab_pairs(&mut group, &group_name, screen, region);
    group.finish();
}
