//! Capture buffers: a sealed memfd mapping shared with the compositor as one `wl_buffer`,
//! pooled and reused, and the frame storage that leases one.

use mss_buffer::Lease;
use mss_core::{Error, PixelStorage};
use mss_memfd::SharedMemory;
use wayland_client::protocol::wl_buffer::WlBuffer;
use wayland_client::protocol::wl_shm::WlShm;
use wayland_client::protocol::wl_shm_pool::WlShmPool;
use wayland_client::{QueueHandle, WEnum};

use crate::layout::{BufferLayout, format_name};
use crate::state::State;

/// One capture buffer.
pub(crate) struct Slot {
    memory: SharedMemory,
    pool: WlShmPool,
    buffer: WlBuffer,
    layout: BufferLayout,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl Slot {
    /// Makes a buffer of `layout`, shared with the compositor.
    ///
    /// # Errors
    ///
    /// [`Error::SharedMemory`] when the memory cannot be made or is too large for the
    /// protocol.
    pub(crate) fn create(
        shm: &WlShm,
        layout: BufferLayout,
        qh: &QueueHandle<State>,
    ) -> Result<Self, Error> {
        let len = layout.stride as usize * layout.height as usize;
        let too_large = || Error::SharedMemory {
            bytes: len,
            reason: "a Wayland buffer is at most 2 GiB".to_owned(),
            source: None,
        };
        let size = i32::try_from(len).map_err(|_| too_large())?;
        let (width, height, stride) = (
            i32::try_from(layout.width).map_err(|_| too_large())?,
            i32::try_from(layout.height).map_err(|_| too_large())?,
            i32::try_from(layout.stride).map_err(|_| too_large())?,
        );
        let WEnum::Value(format) = layout.format else {
            return Err(Error::SharedMemory {
                bytes: len,
                reason: format!(
                    "{} is not a format this client knows",
                    format_name(layout.format)
                ),
                source: None,
            });
        };
        let memory = SharedMemory::create("mss-wayland-slot", len.max(1)).map_err(|error| {
            Error::SharedMemory {
                bytes: len,
                reason: error.to_string(),
                source: Some(Box::new(error)),
            }
        })?;
        let fd = memory.fd().ok_or_else(|| Error::SharedMemory {
            bytes: len,
            reason: "the memory has no file descriptor to share".to_owned(),
            source: None,
        })?;
        let pool = shm.create_pool(fd, size.max(1), qh, ());
        let buffer = pool.create_buffer(0, width, height, stride, format, qh, ());
        Ok(Self {
            memory,
            pool,
            buffer,
            layout,
        })
    }

    /// Its layout.
    pub(crate) fn layout(&self) -> BufferLayout {
        self.layout
    }

    /// The `wl_buffer` the compositor copies into.
    pub(crate) fn buffer(&self) -> &WlBuffer {
        &self.buffer
    }

    /// The image bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        let len = self.layout.stride as usize * self.layout.height as usize;
        &self.memory.bytes()[..len]
    }

    /// The image bytes, to write (turning an upside-down image the right way up).
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        let len = self.layout.stride as usize * self.layout.height as usize;
        &mut self.memory.bytes_mut()[..len]
    }

    /// Frees the buffer on the compositor's side. Only the capturer calls this, from its own
    /// thread (a slot dropped anywhere else just unmaps; the compositor frees what a closed
    /// connection left).
    pub(crate) fn retire(self) {
        self.buffer.destroy();
        self.pool.destroy();
    }
}

/// A frame's pixels: a leased slot the compositor wrote into.
///
/// Dropping it returns the slot to the pool (or unmaps it if the capturer is gone), on any
/// thread, without a word to the compositor.
pub(crate) struct LeasedSlot(pub(crate) Lease<Slot>);

impl PixelStorage for LeasedSlot {
    fn bytes(&self) -> &[u8] {
        self.0.bytes()
    }

    fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        Some(self.0.bytes_mut())
    }
}

/// Turns an upside-down image of `height` rows of `stride` bytes the right way up, in place.
pub(crate) fn flip_rows(bytes: &mut [u8], stride: usize, height: usize) {
    for row in 0..height / 2 {
        let (top, bottom) = bytes.split_at_mut((height - 1 - row) * stride);
        top[row * stride..(row + 1) * stride].swap_with_slice(&mut bottom[..stride]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_flip_in_place() {
        for height in 0..6usize {
            let stride = 3;
            let mut bytes: Vec<u8> = (0..(stride * height) as u8).collect();
            let expected: Vec<u8> = bytes.chunks(stride).rev().flatten().copied().collect();
            flip_rows(&mut bytes, stride, height);
            assert_eq!(bytes, expected, "{height} rows");
        }
    }
}
