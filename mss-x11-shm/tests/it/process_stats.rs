//! What the soak binaries measure of their own process (not part of the `it` binary: resident
//! memory and descriptors are process-wide, so each soak runs in a process of its own).

/// Resident memory of this process in bytes, from /proc (`VmRSS`, in kB).
pub fn resident_bytes() -> u64 {
    let status =
        std::fs::read_to_string("/proc/self/status").expect("/proc/self/status is readable");
    let line = status
        .lines()
        .find(|line| line.starts_with("VmRSS:"))
        .expect("VmRSS is listed");
    let kilobytes: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kilobytes * 1024
}

/// Open file descriptors of this process, from /proc.
pub fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd is readable")
        .count()
}
