//! Mapping memfds another process made: seals checked, ranges checked, read-only, unmapped on
//! drop, independent of the descriptor.

use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::FileExt as _;

use mss_memfd::{ForeignMemory, ForeignMemoryError};
use rustix::fs::{MemfdFlags, SealFlags};

/// A memfd of `len` bytes holding `byte(i)` at offset `i`, sealed with `seals`, as a
/// producer would make it.
fn producer_memfd(name: &str, len: usize, seals: SealFlags) -> OwnedFd {
    let fd =
        rustix::fs::memfd_create(name, MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING).unwrap();
    rustix::fs::ftruncate(&fd, len as u64).unwrap();
    let bytes: Vec<u8> = (0..len).map(byte).collect();
    File::from(fd.try_clone().unwrap())
        .write_all_at(&bytes, 0)
        .unwrap();
    if !seals.is_empty() {
        rustix::fs::fcntl_add_seals(&fd, seals).unwrap();
    }
    fd
}

fn byte(index: usize) -> u8 {
    (index * 7 + index / 251) as u8
}

/// The `/proc/self/maps` lines of memfd `name`.
fn mappings_of(name: &str) -> Vec<String> {
    std::fs::read_to_string("/proc/self/maps")
        .unwrap()
        .lines()
        .filter(|line| {
            line.contains(&format!("/memfd:{name} ")) || line.ends_with(&format!("/memfd:{name}"))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_sealed_memfd_is_mapped_whole_or_in_part_read_only() {
    let name = "mss-memfd-test-foreign";
    let fd = producer_memfd(
        name,
        20_000,
        SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL,
    );
    let whole = ForeignMemory::map(fd.as_fd(), 0, 20_000).unwrap();
    assert_eq!(whole.len(), 20_000);
    assert!(whole.bytes().iter().enumerate().all(|(i, &b)| b == byte(i)));
    // An offset inside a page, as a buffer's `mapoffset` + chunk offset can be.
    let part = ForeignMemory::map(fd.as_fd(), 5_003, 9_000).unwrap();
    assert_eq!((part.offset(), part.len()), (5_003, 9_000));
    assert!(
        part.bytes()
            .iter()
            .enumerate()
            .all(|(i, &b)| b == byte(5_003 + i))
    );
    // Both are shared, read-only mappings.
    let maps = mappings_of(name);
    assert_eq!(maps.len(), 2, "{maps:?}");
    for line in &maps {
        let permissions = line.split_whitespace().nth(1).unwrap();
        assert_eq!(permissions, "r--s", "{line}");
    }
    // What the producer writes after the mapping is seen through it.
    File::from(fd.try_clone().unwrap())
        .write_all_at(&[0xEE], 5_003)
        .unwrap();
    assert_eq!(part.bytes()[0], 0xEE);
    assert_eq!(whole.bytes()[5_003], 0xEE);
    drop(whole);
    assert_eq!(mappings_of(name).len(), 1, "dropping unmaps");
    drop(part);
    assert!(mappings_of(name).is_empty());
}

#[test]
fn the_mapping_outlives_the_descriptor() {
    let name = "mss-memfd-test-foreign-outlives";
    let fd = producer_memfd(name, 4096, SealFlags::SHRINK);
    let memory = ForeignMemory::map(fd.as_fd(), 100, 3000).unwrap();
    drop(fd);
    assert_eq!(memory.bytes()[2999], byte(3099));
    let read = std::thread::spawn(move || memory.bytes()[0])
        .join()
        .unwrap();
    assert_eq!(read, byte(100));
    assert!(mappings_of(name).is_empty(), "dropped on the other thread");
}

#[test]
fn memfds_that_could_shrink_are_refused() {
    let unsealed = producer_memfd("mss-memfd-test-unsealed", 4096, SealFlags::empty());
    let error = ForeignMemory::map(unsealed.as_fd(), 0, 4096).unwrap_err();
    assert!(
        matches!(error, ForeignMemoryError::NotSealed { .. }),
        "{error}"
    );
    // Sealed against growing only: it can still shrink.
    let grow_only = producer_memfd("mss-memfd-test-grow", 4096, SealFlags::GROW);
    assert!(matches!(
        ForeignMemory::map(grow_only.as_fd(), 0, 4096),
        Err(ForeignMemoryError::NotSealed { .. })
    ));
    // A memfd made without sealing allowed carries only F_SEAL_SEAL.
    let no_sealing =
        rustix::fs::memfd_create("mss-memfd-test-nosealing", MemfdFlags::CLOEXEC).unwrap();
    rustix::fs::ftruncate(&no_sealing, 4096).unwrap();
    let error = ForeignMemory::map(no_sealing.as_fd(), 0, 4096).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("the memfd is not sealed against shrinking"),
        "{error}"
    );
}

#[test]
fn files_that_are_not_memfds_are_refused() {
    let file = tempfile::tempfile().unwrap();
    file.set_len(4096).unwrap();
    let error = ForeignMemory::map(file.as_fd(), 0, 4096).unwrap_err();
    assert!(
        matches!(
            error,
            ForeignMemoryError::NotAMemfd { .. } | ForeignMemoryError::NotSealed { .. }
        ),
        "{error}"
    );
}

#[test]
fn ranges_past_the_end_and_empty_ones_are_refused() {
    let fd = producer_memfd("mss-memfd-test-range", 8192, SealFlags::SHRINK);
    let check = |offset: u64, len: usize| ForeignMemory::map(fd.as_fd(), offset, len);
    assert!(matches!(
        check(0, 8193),
        Err(ForeignMemoryError::OutOfRange {
            offset: 0,
            len: 8193,
            file_size: 8192
        })
    ));
    assert!(matches!(
        check(8000, 193),
        Err(ForeignMemoryError::OutOfRange { .. })
    ));
    assert!(matches!(
        check(u64::MAX, 1),
        Err(ForeignMemoryError::OutOfRange { .. })
    ));
    assert!(matches!(check(0, 0), Err(ForeignMemoryError::Empty)));
    assert_eq!(check(8191, 1).unwrap().bytes(), [byte(8191)]);
}

#[test]
fn foreign_memory_is_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<ForeignMemory>();
}
