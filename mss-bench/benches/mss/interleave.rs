//! Timing a subject and its floor alternately, so that both see the same machine.
//!
//! On a shared two-core machine the load changes from second to second (other builds, the
//! kernel, the X server's own scheduling). Criterion runs benchmarks one after the other, so a
//! floor timed in one interval and its subject in the next can differ by 20 % or more through
//! no fault of either, and the sign of the error depends on which ran first. Here every timed
//! call of one side is preceded by an untimed call of the other (A b A b ... for the subject,
//! B a B a ... for the floor): both benchmarks then sample the same mix of conditions and
//! the same cache state, and their ratio is what the code costs, not when it ran.

use std::time::{Duration, Instant};

use criterion::Bencher;

/// Times `timed` alone, calling `partner` untimed before each call.
pub fn interleaved(bencher: &mut Bencher<'_>, mut timed: impl FnMut(), mut partner: impl FnMut()) {
    bencher.iter_custom(|iterations| {
        let mut total = Duration::ZERO;
        for _ in 0..iterations {
            partner();
            let start = Instant::now();
            timed();
            total += start.elapsed();
        }
        total
    });
}
