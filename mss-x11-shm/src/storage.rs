//! The frame storage of the SHM backend: a lease on a pooled segment.

use mss_buffer::Lease;
use mss_core::PixelStorage;

use crate::segment::Segment;

/// A frame's pixels: the segment the server wrote them into, leased from the capturer's pool.
///
/// Dropping it drops the lease, which returns the segment to its pool (or unmaps it if the
/// capturer is gone).
pub(crate) struct LeasedSegment(pub(crate) Lease<Segment>);

impl PixelStorage for LeasedSegment {
    fn bytes(&self) -> &[u8] {
        self.0.bytes()
    }

    fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        Some(self.0.bytes_mut())
    }
}
