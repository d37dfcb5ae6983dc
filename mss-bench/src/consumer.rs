//! What a consumer of frames costs: reading every byte, page faults from `/proc`, and CPU time
//! (from `/proc` at clock-tick resolution, or from the kernel's CPU-time clocks to the
//! nanosecond).

use std::time::Duration;

use mss_core::Frame;

/// Reads every byte of `frame`, as a consumer that looks at the whole picture does (a video
/// encoder, a vision model): eight bytes at a time, summed so that nothing can be skipped.
pub fn read_every_byte(frame: &Frame) -> u64 {
    let mut sum = 0u64;
    for row in frame.rows() {
        let mut words = row.chunks_exact(8);
        for word in &mut words {
            sum = sum.wrapping_add(u64::from_le_bytes(
                word.try_into().expect("chunks of eight bytes"),
            ));
        }
        for &byte in words.remainder() {
            sum = sum.wrapping_add(u64::from(byte));
        }
    }
    std::hint::black_box(sum)
}

/// User plus system CPU time of process `pid` (`None`: this process) so far, from
/// `/proc/PID/stat`, at the kernel's clock-tick resolution (usually 10 ms).
///
/// # Errors
///
/// When the file cannot be read or parsed (the process is gone).
pub fn cpu_time(pid: Option<u32>) -> std::io::Result<Duration> {
    // utime and stime are fields 14 and 15.
    let total = stat_fields(pid, &[14, 15])?.iter().sum::<u64>();
    let per_second = rustix::param::clock_ticks_per_second();
    Ok(Duration::from_secs_f64(total as f64 / per_second as f64))
}

/// The minor page faults of this process so far (`minflt`, from `/proc/self/stat`): pages the
/// kernel had to map in on first touch, such as those of a freshly mapped allocation.
///
/// # Errors
///
/// When the file cannot be read or parsed.
pub fn minor_page_faults() -> std::io::Result<u64> {
    Ok(stat_fields(None, &[10])?[0])
}

/// Numeric fields of `/proc/PID/stat` (`None`: this process), numbered as in proc(5).
fn stat_fields(pid: Option<u32>, numbers: &[usize]) -> std::io::Result<Vec<u64>> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(path)?;
    let malformed = || std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed stat");
    // The command name (field 2) is in parentheses and may hold spaces: fields after it count
    // from its closing parenthesis.
    let after_name = &stat[stat.rfind(')').ok_or_else(malformed)? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    numbers
        .iter()
        .map(|number| {
            // Field 3 (state) is the first after the name: field N is at index N - 3.
            fields
                .get(number - 3)
                .and_then(|field| field.parse().ok())
                .ok_or_else(malformed)
        })
        .collect()
}

/// User plus system CPU time of process `pid` (`None`: this process) so far, every thread
/// included (those that ended too), to the nanosecond: the process's CPU-time clock
/// (`clock_getcpuclockid`), which the kernel brings up to date when read. For measures over a
/// few seconds of a process that uses a few milliseconds, where [`cpu_time`]'s clock ticks are
/// too coarse.
///
/// # Errors
///
/// When the process is gone (or cannot be looked at).
pub fn precise_cpu_time(pid: Option<u32>) -> std::io::Result<Duration> {
    use nix::time::{ClockId, clock_getcpuclockid, clock_gettime};
    let clock = match pid {
        None => ClockId::CLOCK_PROCESS_CPUTIME_ID,
        Some(pid) => {
            let pid = i32::try_from(pid).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "no such process id")
            })?;
            clock_getcpuclockid(nix::unistd::Pid::from_raw(pid))?
        }
    };
    let time = clock_gettime(clock)?;
    Ok(Duration::from(time))
}

#[cfg(test)]
mod tests {
    use mss_core::{PixelFormat, Region};

    use super::*;

    #[test]
    fn every_byte_counts_padding_excluded() {
        let region = Region::new(0, 0, 3, 2).unwrap();
        let frame = Frame::from_vec((1..=24).collect(), region, PixelFormat::Bgrx8888).unwrap();
        // Little-endian words of 8 bytes plus the remainder bytes, summed per row.
        let expected: u64 = frame
            .rows()
            .map(|row| {
                let words = row.chunks_exact(8);
                let tail: u64 = words.remainder().iter().map(|&b| u64::from(b)).sum();
                words
                    .map(|word| u64::from_le_bytes(word.try_into().unwrap()))
                    .fold(tail, u64::wrapping_add)
            })
            .fold(0, u64::wrapping_add);
        assert_eq!(read_every_byte(&frame), expected);
        let mut changed = frame.to_owned_frame();
        changed.bytes_mut()[23] ^= 1;
        assert_ne!(read_every_byte(&changed), expected, "the last byte is read");
    }

    #[test]
    fn minor_page_faults_count_fresh_pages_touched() {
        // 64 MB is far above malloc's threshold for mapping an allocation of its own, so its
        // pages are fresh and each first write faults (one fault per huge page where the kernel
        // hands out transparent huge pages: at least one either way).
        let before = minor_page_faults().unwrap();
        let touched = std::hint::black_box(vec![1u8; 64 << 20]);
        let after = minor_page_faults().unwrap();
        assert!(after > before, "{before} then {after}");
        // Reading it back faults nothing more.
        let again = minor_page_faults().unwrap();
        assert_eq!(
            touched.iter().map(|&byte| u64::from(byte)).sum::<u64>(),
            64 << 20
        );
        assert!(minor_page_faults().unwrap() - again < 16, "reading faulted");
    }

    #[test]
    fn cpu_time_grows_with_work() {
        // Spins until the process has used 100 ms more CPU (however loaded the machine is);
        // a reading that did not grow would spin until the limit.
        let before = cpu_time(None).unwrap();
        let start = std::time::Instant::now();
        let mut x = 0u64;
        let spent = loop {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
            }
            let spent = cpu_time(None).unwrap() - before;
            if spent >= Duration::from_millis(100) {
                break spent;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "only {spent:?} of CPU in 20 s"
            );
        };
        // No more CPU than the wall time allows on this machine's cores (plus a tick).
        let cores = std::thread::available_parallelism().map_or(1, usize::from) as u32;
        assert!(
            spent <= start.elapsed() * cores + Duration::from_millis(20),
            "{spent:?} of CPU in {:?}",
            start.elapsed()
        );
        assert!(cpu_time(Some(std::process::id())).unwrap() >= spent);
        assert!(cpu_time(Some(u32::MAX)).is_err());
    }

    #[test]
    fn precise_cpu_time_grows_with_work_and_agrees_for_this_process() {
        let before = precise_cpu_time(None).unwrap();
        let mut x = 0u64;
        // A million multiplications take well over a microsecond on any machine.
        for _ in 0..1_000_000 {
            x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
        }
        let after = precise_cpu_time(None).unwrap();
        assert!(after > before, "{before:?} then {after:?}");
        // By process id, the same clock: at least what was read before.
        assert!(precise_cpu_time(Some(std::process::id())).unwrap() >= after);
        assert!(precise_cpu_time(Some(u32::MAX)).is_err());
    }
}
