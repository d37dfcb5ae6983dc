//! The monotonic clock PipeWire producers stamp frames with.

/// `CLOCK_MONOTONIC` now, in nanoseconds: the clock of a frame's header timestamp (mutter
/// stamps each frame with `g_get_monotonic_time` when it records it; PipeWire's own times are
/// on it too).
pub(crate) fn monotonic_nanoseconds() -> i64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    now.tv_sec
        .saturating_mul(1_000_000_000)
        .saturating_add(now.tv_nsec)
}
