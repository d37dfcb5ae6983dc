//! Where memory lives: the file mappings of a process (`/proc/PID/maps`), so a test can check
//! that a frame's pixels are in shared memory that the display server maps too, that is, the
//! memory the server wrote, and not a copy of it.

use std::fmt;

/// One mapping of a process's address space, as `/proc/PID/maps` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// The first address.
    pub start: usize,
    /// The address just past the last.
    pub end: usize,
    /// The device of the mapped file (`major:minor`, hexadecimal as the kernel writes it).
    pub device: String,
    /// The inode of the mapped file; 0 for anonymous memory.
    pub inode: u64,
    /// The path, or the kernel's name for it (`/memfd:NAME (deleted)` for a memfd, `[heap]`),
    /// empty for anonymous memory.
    pub path: String,
}

impl Mapping {
    /// Whether this maps a memfd (anonymous shared memory that is a file).
    pub fn is_memfd(&self) -> bool {
        self.path.starts_with("/memfd:")
    }

    /// Whether `other` maps the same file (same device and inode), in any process.
    pub fn same_file(&self, other: &Mapping) -> bool {
        self.inode != 0
            && (self.device.as_str(), self.inode) == (other.device.as_str(), other.inode)
    }

    /// Whether the bytes `start..start + len` lie inside this mapping.
    pub fn holds(&self, start: usize, len: usize) -> bool {
        start >= self.start && start.checked_add(len).is_some_and(|end| end <= self.end)
    }
}

impl fmt::Display for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:#x}-{:#x} {} {} {}",
            self.start, self.end, self.device, self.inode, self.path
        )
    }
}

/// The mappings of process `pid` (`None`: this process).
///
/// # Errors
///
/// When `/proc/PID/maps` cannot be read (no such process, or not allowed).
pub fn mappings(pid: Option<u32>) -> std::io::Result<Vec<Mapping>> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/maps"),
        None => "/proc/self/maps".to_owned(),
    };
    Ok(std::fs::read_to_string(path)?
        .lines()
        .filter_map(parse_line)
        .collect())
}

/// The mapping of this process that holds `len` bytes at `address`, if one does.
///
/// # Errors
///
/// When `/proc/self/maps` cannot be read.
pub fn mapping_holding(address: *const u8, len: usize) -> std::io::Result<Option<Mapping>> {
    let start = address as usize;
    Ok(mappings(None)?
        .into_iter()
        .find(|mapping| mapping.holds(start, len)))
}

/// A line of `/proc/PID/maps`: `start-end perms offset device inode [path]`.
fn parse_line(line: &str) -> Option<Mapping> {
    let mut fields = line.splitn(6, ' ');
    let (start, end) = fields.next()?.split_once('-')?;
    let _permissions = fields.next()?;
    let _offset = fields.next()?;
    let device = fields.next()?.to_owned();
    let inode = fields.next()?.parse().ok()?;
    let path = fields.next().unwrap_or("").trim().to_owned();
    Some(Mapping {
        start: usize::from_str_radix(start, 16).ok()?,
        end: usize::from_str_radix(end, 16).ok()?,
        device,
        inode,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_with_and_without_a_path() {
        let memfd = parse_line(
            "7f1c2a000000-7f1c2a12c000 rw-s 00000000 00:01 4242                       /memfd:mss-rs-capture (deleted)",
        )
        .unwrap();
        assert_eq!(
            (memfd.start, memfd.end),
            (0x7f1c_2a00_0000, 0x7f1c_2a12_c000)
        );
        assert_eq!((memfd.device.as_str(), memfd.inode), ("00:01", 4242));
        assert!(memfd.is_memfd());
        assert!(memfd.holds(0x7f1c_2a00_0010, 0x100));
        assert!(!memfd.holds(0x7f1c_2a12_bf00, 0x200));
        let anonymous = parse_line("7ffd1000-7ffd2000 rw-p 00000000 00:00 0 ").unwrap();
        assert_eq!(anonymous.path, "");
        assert!(!anonymous.same_file(&anonymous));
        assert!(memfd.same_file(&memfd.clone()));
    }

    #[test]
    fn this_process_maps_its_own_stack() {
        let local = [7u8; 16];
        let mapping = mapping_holding(local.as_ptr(), local.len())
            .unwrap()
            .expect("a stack variable is mapped");
        assert!(!mapping.is_memfd(), "{mapping}");
    }
}
