//! The monotonic clock PipeWire producers stamp frames with.

use nix::time::{ClockId, clock_gettime};

/// `CLOCK_MONOTONIC` now, in nanoseconds: the clock of a frame's header timestamp (mutter
/// stamps each frame with `g_get_monotonic_time` when it records it; PipeWire's own times are
/// on it too).
pub(crate) fn monotonic_nanoseconds() -> i64 {
    // CLOCK_MONOTONIC exists on every Linux; should the call fail anyway, 0 makes every
    // timestamp count as recorded after it (pictures are then accepted as they come).
    clock_gettime(ClockId::CLOCK_MONOTONIC).map_or(0, |now| {
        now.tv_sec()
            .saturating_mul(1_000_000_000)
            .saturating_add(now.tv_nsec())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_clock_moves_forward() {
        let first = super::monotonic_nanoseconds();
        let second = super::monotonic_nanoseconds();
        assert!(first > 0 && second >= first, "{first} {second}");
    }
}
