//! [`Buffer`]: a buffer dequeued from a stream, with what it holds read out, and queued back
//! when dropped.

use std::os::fd::OwnedFd;
use std::sync::Arc;

use crate::sys;
use crate::thread_loop::LoopInner;

/// How a buffer's data block is stored (`enum spa_data_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataType {
    /// `SPA_DATA_MemPtr`: memory of the producer's process, not shared.
    MemPtr,
    /// `SPA_DATA_MemFd`: a memfd, shared by its file descriptor.
    MemFd,
    /// `SPA_DATA_DmaBuf`: a DMA-BUF.
    DmaBuf,
    /// Another type, by number.
    Other(u32),
}

impl DataType {
    pub(crate) fn from_raw(raw: u32) -> Self {
        match raw {
            1 => DataType::MemPtr,
            sys::SPA_DATA_MEM_FD => DataType::MemFd,
            sys::SPA_DATA_DMA_BUF => DataType::DmaBuf,
            other => DataType::Other(other),
        }
    }
}

/// Where the valid bytes of a data block are (`struct spa_chunk`), as the producer wrote them
/// for this frame: values from another process, to be checked before use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Chunk {
    /// Offset of the first valid byte from the start of the block.
    pub offset: u32,
    /// Bytes of valid data.
    pub size: u32,
    /// Bytes from one row to the next (may be negative or 0 for non-video data).
    pub stride: i32,
    /// `SPA_CHUNK_FLAG_*` (1: corrupted).
    pub flags: i32,
}

/// A data block of a buffer: how it is stored, its memory, and its valid part this frame.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BufferData {
    /// The storage type.
    pub data_type: DataType,
    /// `SPA_DATA_FLAG_*`.
    pub flags: u32,
    /// A duplicate of the block's file descriptor (MemFd and DmaBuf), made when the buffer was
    /// added and closed when the last copy is dropped; it stays valid whatever happens to the
    /// stream.
    pub fd: Option<Arc<OwnedFd>>,
    /// Where the block starts in the file.
    pub map_offset: u32,
    /// The block's size in bytes.
    pub max_size: u32,
    /// The valid part, when the buffer has a chunk.
    pub chunk: Option<Chunk>,
}

/// `struct spa_meta_header`: the frame's sequence number and timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetaHeader {
    /// `SPA_META_HEADER_FLAG_*` (2: corrupted, 16: a gap).
    pub flags: u32,
    /// Offset in the current cycle.
    pub offset: u32,
    /// Presentation timestamp, in nanoseconds.
    pub pts: i64,
    /// Decoding timestamp as a difference with `pts`.
    pub dts_offset: i64,
    /// The sequence number of the frame.
    pub seq: u64,
}

/// A rectangle of metadata (`struct spa_meta_region`), in the frame's pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetaRegion {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// The pointer (`struct spa_meta_cursor`), when the stream sends it as metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetaCursor {
    /// The cursor's id; 0 means no cursor information in this frame.
    pub id: u32,
    /// Flags (none defined yet).
    pub flags: u32,
    /// Where the pointer is, in the frame's pixels.
    pub position: (i32, i32),
    /// The hot spot within the bitmap.
    pub hotspot: (i32, i32),
    /// The pointer's image, when this frame carries a new one.
    pub bitmap: Option<CursorBitmap>,
}

impl MetaCursor {
    /// Cursor metadata with these values (no flags), as a producer would send it: for
    /// consumers' tests, which cannot dequeue one without a producer.
    pub fn new(
        id: u32,
        position: (i32, i32),
        hotspot: (i32, i32),
        bitmap: Option<CursorBitmap>,
    ) -> Self {
        Self {
            id,
            flags: 0,
            position,
            hotspot,
            bitmap,
        }
    }
}

/// A pointer image (`struct spa_meta_bitmap` and its pixels), copied out.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CursorBitmap {
    /// The video format (`enum spa_video_format`).
    pub format: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes from one row to the next.
    pub stride: u32,
    /// `stride * height` bytes of pixels.
    pub pixels: Vec<u8>,
}

impl CursorBitmap {
    /// A bitmap with these values, as a producer would send it: for consumers' tests.
    pub fn new(format: u32, width: u32, height: u32, stride: u32, pixels: Vec<u8>) -> Self {
        Self {
            format,
            width,
            height,
            stride,
            pixels,
        }
    }
}

/// A buffer dequeued from a [`Stream`](crate::Stream): the frame the producer filled.
///
/// What it holds was read out of the buffer when it was dequeued (`datas`, `header`,
/// `damage`, `crop`, `cursor`), so reading it needs no lock and is valid whatever the stream
/// does meanwhile. The pixels themselves are in the data blocks' memory, reached through
/// their file descriptors (`BufferData::fd`).
///
/// Dropping it queues the buffer back to the stream, on whichever thread drops it, so the
/// producer can fill it again; if the stream was destroyed or the buffer removed meanwhile,
/// dropping it does nothing more than free this value.
pub struct Buffer {
    pub(crate) thread_loop: Arc<LoopInner>,
    pub(crate) shared: Arc<dyn Owner>,
    pub(crate) id: u64,
    pub(crate) raw: *mut sys::pw_buffer,
    pub(crate) contents: Contents,
}

/// What a buffer needs of the stream it was dequeued from to go back to it: implemented by the
/// state the stream shares with its listener (`stream.rs`), so that this module does not
/// depend on the stream's.
pub(crate) trait Owner: Send + Sync {
    /// The stream; live while [`has_buffer`](Self::has_buffer) says so.
    fn stream(&self) -> *mut sys::pw_stream;

    /// Whether the stream is alive and still has buffer `id` at `raw`. Only meaningful with
    /// the loop's lock held, under which both can change.
    fn has_buffer(&self, id: u64, raw: *mut sys::pw_buffer) -> bool;
}

/// What a buffer held when it was dequeued.
#[derive(Debug)]
pub(crate) struct Contents {
    datas: Vec<BufferData>,
    header: Option<MetaHeader>,
    damage: Option<Vec<MetaRegion>>,
    crop: Option<MetaRegion>,
    cursor: Option<MetaCursor>,
}

// SAFETY: `raw` is only dereferenced or passed to libpipewire with the thread loop's lock
// held and after checking, under that lock, that the stream still has this buffer (see
// `Drop`); everything else in a `Buffer` is owned data. So it may move to and be dropped on
// any thread.
unsafe impl Send for Buffer {}
// SAFETY: shared references read only the owned fields, never `raw`.
unsafe impl Sync for Buffer {}

impl std::fmt::Debug for Buffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Buffer")
            .field("id", &self.id)
            .field("contents", &self.contents)
            .finish()
    }
}

impl Buffer {
    /// The buffer's id, as in [`StreamEvent::BufferAdded`](crate::StreamEvent::BufferAdded):
    /// the same for every dequeue of this buffer, never reused within the stream.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The data blocks (one per plane; one for the packed RGB formats).
    pub fn datas(&self) -> &[BufferData] {
        &self.contents.datas
    }

    /// The header metadata, when negotiated.
    pub fn header(&self) -> Option<MetaHeader> {
        self.contents.header
    }

    /// The damaged rectangles, when damage metadata was negotiated (empty when the producer
    /// listed none).
    pub fn damage(&self) -> Option<&[MetaRegion]> {
        self.contents.damage.as_deref()
    }

    /// The crop rectangle (the valid part of the frame), when negotiated.
    pub fn crop(&self) -> Option<MetaRegion> {
        self.contents.crop
    }

    /// The pointer metadata, when negotiated.
    pub fn cursor(&self) -> Option<&MetaCursor> {
        self.contents.cursor.as_ref()
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let _lock = self.thread_loop.lock();
        if !self.shared.has_buffer(self.id, self.raw) {
            return;
        }
        // SAFETY: with the loop's lock held, the stream is not destroyed and still has this
        // buffer (checked just above; both change only under this lock), so `raw` is a live
        // `pw_buffer` of the live stream `shared.stream()`, dequeued by us and not yet queued
        // back (a `Buffer` is made once per dequeue and dropped once).
        unsafe {
            (self.thread_loop.pipewire.api().pw_stream_queue_buffer)(self.shared.stream(), self.raw)
        };
    }
}

/// Reads what a dequeued buffer holds: data blocks (with the duplicated descriptors of the
/// buffer's registration) and metadata.
///
/// # Safety
///
/// `raw` must be a live `pw_buffer` dequeued from a live stream, with the loop's lock held,
/// so that its `spa_buffer`, data, chunk and metadata pointers are valid; `fds` must be the
/// descriptors registered for it (one per data block).
pub(crate) unsafe fn read_buffer(
    raw: *mut sys::pw_buffer,
    fds: &[Option<Arc<OwnedFd>>],
) -> Contents {
    // SAFETY: by this function's contract `raw` is a live pw_buffer, whose `buffer` is its
    // `spa_buffer`.
    let spa = unsafe { &*(*raw).buffer };
    let mut datas = Vec::with_capacity(spa.n_datas as usize);
    for index in 0..spa.n_datas as usize {
        // SAFETY: `datas` points to `n_datas` `spa_data`s, allocated by libpipewire with the
        // buffer.
        let data = unsafe { &*spa.datas.add(index) };
        let chunk = (!data.chunk.is_null()).then(|| {
            // SAFETY: a non-null `chunk` points to a `spa_chunk` in memory the producer shares
            // with us, mapped by libpipewire for the buffer's life. The producer may write it
            // at any time; it is read once, unaligned (its placement is the producer's), into
            // a copy of plain integers, any bit pattern of which is a value: a concurrent write
            // can change the numbers read, which callers check, never this read's safety.
            let chunk = unsafe { data.chunk.read_unaligned() };
            Chunk {
                offset: chunk.offset,
                size: chunk.size,
                stride: chunk.stride,
                flags: chunk.flags,
            }
        });
        datas.push(BufferData {
            data_type: DataType::from_raw(data.type_),
            flags: data.flags,
            fd: fds.get(index).cloned().flatten(),
            map_offset: data.mapoffset,
            max_size: data.maxsize,
            chunk,
        });
    }
    let (mut header, mut damage, mut crop, mut cursor) = (None, None, None, None);
    for index in 0..spa.n_metas as usize {
        // SAFETY: `metas` points to `n_metas` `spa_meta`s, allocated with the buffer.
        let meta = unsafe { &*spa.metas.add(index) };
        if meta.data.is_null() {
            continue;
        }
        // SAFETY: a non-null `data` points to `size` bytes of metadata in memory shared with
        // the producer and mapped for the buffer's life; they are copied out once as plain
        // bytes (any value is valid), so the producer writing them concurrently can only
        // change the values read.
        let bytes = unsafe { copy_shared(meta.data.cast(), meta.size as usize) };
        match meta.type_ {
            sys::SPA_META_HEADER => header = read_header(&bytes),
            sys::SPA_META_VIDEO_DAMAGE => damage = Some(read_regions(&bytes)),
            sys::SPA_META_VIDEO_CROP => crop = read_regions(&bytes).first().copied(),
            sys::SPA_META_CURSOR => cursor = read_cursor(&bytes),
            _ => {}
        }
    }
    Contents {
        datas,
        header,
        damage,
        crop,
        cursor,
    }
}

/// Copies `len` bytes from shared memory.
///
/// # Safety
///
/// `source` must be valid for reads of `len` bytes.
unsafe fn copy_shared(source: *const u8, len: usize) -> Vec<u8> {
    let mut copy = vec![0u8; len];
    // SAFETY: the caller promises `len` readable bytes at `source`; `copy` is a fresh
    // allocation of `len` bytes, so they do not overlap.
    unsafe { std::ptr::copy_nonoverlapping(source, copy.as_mut_ptr(), len) };
    copy
}

fn u32_at(bytes: &[u8], offset: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(
        bytes.get(offset..offset + 4)?.try_into().ok()?,
    ))
}

fn u64_at(bytes: &[u8], offset: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(
        bytes.get(offset..offset + 8)?.try_into().ok()?,
    ))
}

fn read_header(bytes: &[u8]) -> Option<MetaHeader> {
    Some(MetaHeader {
        flags: u32_at(bytes, 0)?,
        offset: u32_at(bytes, 4)?,
        pts: u64_at(bytes, 8)? as i64,
        dts_offset: u64_at(bytes, 16)? as i64,
        seq: u64_at(bytes, 24)?,
    })
}

/// The valid regions of an array of `spa_meta_region`, up to the first empty one (SPA's end
/// marker).
fn read_regions(bytes: &[u8]) -> Vec<MetaRegion> {
    bytes
        .chunks_exact(16)
        .map(|region| MetaRegion {
            x: u32_at(region, 0).unwrap_or_default() as i32,
            y: u32_at(region, 4).unwrap_or_default() as i32,
            width: u32_at(region, 8).unwrap_or_default(),
            height: u32_at(region, 12).unwrap_or_default(),
        })
        .take_while(|region| region.width > 0 && region.height > 0)
        .collect()
}

fn read_cursor(bytes: &[u8]) -> Option<MetaCursor> {
    let bitmap_offset = u32_at(bytes, 24)? as usize;
    let bitmap = (bitmap_offset >= 28)
        .then(|| {
            let header = bytes.get(bitmap_offset..bitmap_offset.checked_add(20)?)?;
            let (width, height) = (u32_at(header, 4)?, u32_at(header, 8)?);
            let stride = u32::try_from(u32_at(header, 12)? as i32).ok()?;
            let start = bitmap_offset.checked_add(u32_at(header, 16)? as usize)?;
            let len = (stride as usize).checked_mul(height as usize)?;
            Some(CursorBitmap {
                format: u32_at(header, 0)?,
                width,
                height,
                stride,
                pixels: bytes.get(start..start.checked_add(len)?)?.to_vec(),
            })
        })
        .flatten();
    Some(MetaCursor {
        id: u32_at(bytes, 0)?,
        flags: u32_at(bytes, 4)?,
        position: (u32_at(bytes, 8)? as i32, u32_at(bytes, 12)? as i32),
        hotspot: (u32_at(bytes, 16)? as i32, u32_at(bytes, 20)? as i32),
        bitmap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(values: &[u32]) -> Vec<u8> {
        values
            .iter()
            .flat_map(|value| value.to_ne_bytes())
            .collect()
    }

    #[test]
    fn damage_ends_at_the_first_empty_region() {
        let bytes = words(&[1, 2, 30, 40, 5, 6, 7, 8, 0, 0, 0, 0, 9, 9, 9, 9]);
        let regions = read_regions(&bytes);
        assert_eq!(
            regions,
            [
                MetaRegion {
                    x: 1,
                    y: 2,
                    width: 30,
                    height: 40
                },
                MetaRegion {
                    x: 5,
                    y: 6,
                    width: 7,
                    height: 8
                },
            ]
        );
        assert!(read_regions(&bytes[..15]).is_empty());
    }

    #[test]
    fn a_header_is_read_field_by_field() {
        let mut bytes = words(&[2, 7]);
        bytes.extend_from_slice(&(-5i64).to_ne_bytes());
        bytes.extend_from_slice(&3i64.to_ne_bytes());
        bytes.extend_from_slice(&99u64.to_ne_bytes());
        assert_eq!(
            read_header(&bytes),
            Some(MetaHeader {
                flags: 2,
                offset: 7,
                pts: -5,
                dts_offset: 3,
                seq: 99
            })
        );
        assert_eq!(read_header(&bytes[..31]), None);
    }

    #[test]
    fn a_cursor_bitmap_is_copied_only_when_it_fits() {
        // Cursor 7 at (10, 20), hot spot (1, 2), bitmap at 28: BGRA (12), 2x1, stride 8,
        // pixels 20 bytes after the bitmap header.
        let mut bytes = words(&[7, 0, 10, 20, 1, 2, 28, 12, 2, 1, 8, 20]);
        bytes.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let cursor = read_cursor(&bytes).unwrap();
        assert_eq!(
            (cursor.id, cursor.position, cursor.hotspot),
            (7, (10, 20), (1, 2))
        );
        let bitmap = cursor.bitmap.unwrap();
        assert_eq!(
            (bitmap.format, bitmap.width, bitmap.height, bitmap.stride),
            (12, 2, 1, 8)
        );
        assert_eq!(bitmap.pixels, [1, 2, 3, 4, 5, 6, 7, 8]);
        // One byte of pixels short: no bitmap, the rest still read.
        let short = read_cursor(&bytes[..bytes.len() - 1]).unwrap();
        assert_eq!(short.bitmap, None);
        assert_eq!(short.position, (10, 20));
        // A bitmap offset inside the cursor structure is no bitmap.
        let mut inside = bytes.clone();
        inside[24..28].copy_from_slice(&8u32.to_ne_bytes());
        assert_eq!(read_cursor(&inside).unwrap().bitmap, None);
    }
}
