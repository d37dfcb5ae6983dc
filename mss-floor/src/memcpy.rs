//! [`MemcpyFloor`]: the cost of touching every byte of a frame once.

use std::hint::black_box;

/// The memcpy floor: a frame's bytes copied into a buffer reused across copies, the least any
/// consumer of a frame pays to touch every byte once.
#[derive(Debug, Clone)]
pub struct MemcpyFloor {
    target: Vec<u8>,
}

impl MemcpyFloor {
    /// A floor for frames of `len` bytes.
    pub fn new(len: usize) -> Self {
        Self {
            target: vec![0; len],
        }
    }

    /// Copies `source` into the reused buffer; the optimiser may skip neither the read nor the
    /// write.
    ///
    /// # Panics
    ///
    /// When `source` is not [`frame_len`](Self::frame_len) bytes long (a wrong benchmark, not
    /// a run-time condition).
    #[inline]
    pub fn copy(&mut self, source: &[u8]) {
        self.target.copy_from_slice(black_box(source));
        black_box(&mut self.target);
    }

    /// Bytes of one frame.
    pub fn frame_len(&self) -> usize {
        self.target.len()
    }

    /// The bytes copied last.
    pub fn copied(&self) -> &[u8] {
        &self.target
    }
}
