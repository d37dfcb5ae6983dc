//! Integration tests of real memfd segments: size, seals, the descriptor, the mapping's life;
//! and of foreign memfds mapped read-only (`foreign`).
#![forbid(unsafe_code)]

/// Read-only mappings of memfds another process made.
mod foreign;

use std::fs::File;
use std::os::unix::fs::FileExt as _;

use mss_memfd::SharedMemory;
use rustix::fs::{MemfdFlags, SealFlags};

/// The lines of `/proc/self/maps` that map memfd `name`.
fn mappings_of(name: &str) -> usize {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    let needle = format!("/memfd:{name} ");
    maps.lines()
        .filter(|line| line.contains(&needle) || line.ends_with(&format!("/memfd:{name}")))
        .count()
}

#[test]
fn a_segment_is_zeroed_sized_and_shares_its_bytes_with_its_descriptor() {
    let mut memory = SharedMemory::create("mss-memfd-test-share", 10_000).unwrap();
    assert_eq!(memory.len(), 10_000);
    assert!(!memory.is_empty());
    assert!(memory.bytes().iter().all(|&byte| byte == 0));
    memory.bytes_mut()[9_999] = 0xA5;
    memory.bytes_mut()[0] = 0x5A;
    // What a server writes through the descriptor, this process reads through the mapping,
    // and the other way round.
    let file = File::from(memory.fd().unwrap().try_clone_to_owned().unwrap());
    let mut read = [0u8; 1];
    file.read_exact_at(&mut read, 9_999).unwrap();
    assert_eq!(read, [0xA5]);
    file.write_all_at(&[0x11, 0x22], 4_000).unwrap();
    assert_eq!(&memory.bytes()[4_000..4_002], &[0x11, 0x22]);
    assert_eq!(memory.bytes()[0], 0x5A);
}

#[test]
fn the_size_is_sealed_so_nobody_can_shrink_the_mapping() {
    let memory = SharedMemory::create("mss-memfd-test-seals", 8192).unwrap();
    let fd = memory.fd().unwrap();
    let seals = rustix::fs::fcntl_get_seals(fd).unwrap();
    assert!(
        seals.contains(SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL),
        "{seals:?}"
    );
    assert!(
        rustix::fs::ftruncate(fd, 0).is_err(),
        "shrinking is refused"
    );
    assert!(
        rustix::fs::ftruncate(fd, 1 << 20).is_err(),
        "growing is refused"
    );
    assert!(
        rustix::fs::fcntl_add_seals(fd, SealFlags::WRITE).is_err(),
        "the seals themselves are sealed"
    );
    let flags = rustix::io::fcntl_getfd(fd).unwrap();
    assert!(
        flags.contains(rustix::io::FdFlags::CLOEXEC),
        "not inherited by children"
    );
}

#[test]
fn the_noexec_seal_is_set_wherever_the_kernel_offers_it() {
    // Ask the kernel directly whether it knows MFD_NOEXEC_SEAL (Linux 6.3 and later).
    let kernel_offers_it = rustix::fs::memfd_create(
        "mss-memfd-probe",
        MemfdFlags::CLOEXEC | MemfdFlags::NOEXEC_SEAL,
    )
    .is_ok();
    let memory = SharedMemory::create("mss-memfd-test-noexec", 4096).unwrap();
    assert_eq!(memory.is_noexec_sealed(), kernel_offers_it);
    if kernel_offers_it {
        let seals = rustix::fs::fcntl_get_seals(memory.fd().unwrap()).unwrap();
        assert!(seals.contains(SealFlags::EXEC), "{seals:?}");
    }
}

#[test]
fn the_mapping_outlives_the_descriptor_and_goes_with_the_value() {
    let name = "mss-memfd-test-lifetime";
    let mut memory = SharedMemory::create(name, 4096 * 3).unwrap();
    assert_eq!(mappings_of(name), 1);
    // As ShmAttachFd does: the descriptor goes to the server and is closed after sending.
    let fd = memory.take_fd().unwrap();
    assert!(memory.take_fd().is_none() && memory.fd().is_none());
    drop(fd);
    memory.bytes_mut()[4096 * 3 - 1] = 7;
    assert_eq!(memory.bytes()[4096 * 3 - 1], 7);
    assert_eq!(mappings_of(name), 1);
    drop(memory);
    assert_eq!(mappings_of(name), 0, "dropping unmaps");
}

#[test]
fn segments_move_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SharedMemory>();
    let mut memory = SharedMemory::create("mss-memfd-test-threads", 64).unwrap();
    memory.bytes_mut()[3] = 9;
    let read = std::thread::spawn(move || memory.bytes()[3])
        .join()
        .unwrap();
    assert_eq!(read, 9);
}
