//! [`Picture`]: a frame the producer filled, dequeued from its stream and mapped; and
//! [`Pixels`], the storage of every [`mss_core::Frame`] cut from it.
//!
//! A picture *is* the dequeued buffer: its memory is the producer's memfd, mapped read-only
//! once per buffer ([`ForeignMemory`]), and the buffer goes back to the producer when the last
//! holder of the picture lets go, on whichever thread that is. Frames hold the picture through
//! an `Arc`, so several frames (of different regions, or the same picture grabbed twice) share
//! one buffer; they are read-only, since the producer refills the buffer once it has it back.

use std::collections::HashMap;
use std::os::fd::AsFd as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mss_core::{PixelFormat, PixelStorage};
use mss_libpipewire::{Buffer, DataType, MetaRegion};
use mss_memfd::ForeignMemory;
use mss_spa_pod::{VideoFormat, VideoFormatInfo};

/// `SPA_CHUNK_FLAG_CORRUPTED`.
const CHUNK_CORRUPTED: i32 = 1;
/// `SPA_META_HEADER_FLAG_CORRUPTED` and `SPA_META_HEADER_FLAG_GAP`.
const HEADER_NOT_A_FRAME: u32 = (1 << 1) | (1 << 4);

/// A filled buffer of a stream, mapped; see the [module docs](self).
pub(crate) struct Picture {
    /// The dequeued buffer, queued back to the producer when the picture is dropped.
    _buffer: Buffer,
    /// The buffer's memory, from its map offset.
    memory: Arc<ForeignMemory>,
    /// Where the first pixel is in `memory`.
    pub(crate) offset: usize,
    /// Bytes from one row to the next.
    pub(crate) stride: usize,
    /// Width in pixels.
    pub(crate) width: u32,
    /// Height in pixels.
    pub(crate) height: u32,
    /// The pixels' layout.
    pub(crate) format: PixelFormat,
    /// 1 for the first picture of its cast, then 2, 3, ... with no gaps.
    pub(crate) sequence: u64,
    /// What changed since the picture before, in its pixels, when the producer says.
    pub(crate) damage: Option<Vec<Damage>>,
    /// The count of pictures of its cast alive, which it leaves when dropped.
    live: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Picture")
            .field("sequence", &self.sequence)
            .field("size", &(self.width, self.height))
            .field("stride", &self.stride)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl Drop for Picture {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Picture {
    /// The mapped bytes, from the buffer's map offset.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.memory.bytes()
    }
}

/// A rectangle of a picture that changed since the picture before, in its pixels (from the
/// producer's damage metadata, whose values are taken as they come).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Damage {
    pub(crate) x: i32,
    pub(crate) y: i32,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

impl From<&MetaRegion> for Damage {
    fn from(region: &MetaRegion) -> Self {
        Self {
            x: region.x,
            y: region.y,
            width: region.width,
            height: region.height,
        }
    }
}

/// Why a dequeued buffer is not a picture.
#[derive(Debug)]
pub(crate) enum NotAPicture {
    /// It carries no frame: an empty or corrupted chunk (mutter sends those when only the
    /// pointer moved), or a header flagged corrupted or a gap.
    Empty,
    /// It was recorded before the time pictures are accepted from.
    Early,
    /// It cannot be used, for the reason given (the producer broke the protocol).
    Unusable(String),
}

/// What turning a buffer into a picture needs from its stream.
pub(crate) struct Intake<'a> {
    /// The negotiated format.
    pub(crate) format: VideoFormatInfo,
    /// Buffers recorded before this `CLOCK_MONOTONIC` time are not accepted.
    pub(crate) accept_from: i64,
    /// Each buffer's mapping, by buffer id, made once.
    pub(crate) mappings: &'a mut HashMap<u64, Arc<ForeignMemory>>,
    /// The cast's count of pictures alive.
    pub(crate) live: &'a Arc<AtomicUsize>,
    /// The sequence number the picture gets.
    pub(crate) sequence: u64,
}

/// mss-core's format for a negotiated one.
pub(crate) fn pixel_format(format: VideoFormat) -> Option<PixelFormat> {
    match format {
        VideoFormat::Bgrx => Some(PixelFormat::Bgrx8888),
        VideoFormat::Bgra => Some(PixelFormat::Bgra8888),
        VideoFormat::Rgbx => Some(PixelFormat::Rgbx8888),
        VideoFormat::Rgba => Some(PixelFormat::Rgba8888),
        _ => None,
    }
}

impl Intake<'_> {
    /// Checks `buffer` and wraps it as a picture: one memfd block whose chunk holds a whole
    /// frame of the negotiated size inside the block, recorded at or after `accept_from`
    /// when it says when.
    ///
    /// # Errors
    ///
    /// [`NotAPicture`] saying why not; the buffer then goes back to the producer at once.
    pub(crate) fn picture(self, buffer: Buffer) -> Result<Picture, NotAPicture> {
        if let Some(header) = buffer.header() {
            if header.flags & HEADER_NOT_A_FRAME != 0 {
                return Err(NotAPicture::Empty);
            }
            if header.pts < self.accept_from {
                return Err(NotAPicture::Early);
            }
        }
        let Some(data) = buffer.datas().first() else {
            return Err(NotAPicture::Unusable("a buffer without data".to_owned()));
        };
        let Some(chunk) = data
            .chunk
            .filter(|chunk| chunk.size > 0 && chunk.flags & CHUNK_CORRUPTED == 0)
        else {
            return Err(NotAPicture::Empty);
        };
        if data.data_type != DataType::MemFd {
            return Err(NotAPicture::Unusable(format!(
                "a buffer of type {:?}, not the shared memory (memfd) asked for",
                data.data_type
            )));
        }
        let format = pixel_format(self.format.format).ok_or_else(|| {
            NotAPicture::Unusable(format!(
                "the format {:?}, which was not offered",
                self.format.format
            ))
        })?;
        let memory = match self.mappings.get(&buffer.id()) {
            Some(memory) => Arc::clone(memory),
            None => {
                let fd = data.fd.as_ref().ok_or_else(|| {
                    NotAPicture::Unusable("a memfd block without a descriptor".to_owned())
                })?;
                let memory = ForeignMemory::map(
                    fd.as_fd(),
                    u64::from(data.map_offset),
                    data.max_size as usize,
                )
                .map_err(|error| {
                    NotAPicture::Unusable(format!("its memfd cannot be mapped: {error}"))
                })?;
                let memory = Arc::new(memory);
                self.mappings.insert(buffer.id(), Arc::clone(&memory));
                memory
            }
        };
        let (width, height) = (self.format.size.width, self.format.size.height);
        let stride = usize::try_from(chunk.stride).unwrap_or(0);
        let row = width as usize * 4;
        let offset = chunk.offset as usize;
        // Everything the frame reads lies in the chunk, and the chunk in the block.
        let needed = (height as usize)
            .checked_sub(1)
            .and_then(|rows| rows.checked_mul(stride))
            .and_then(|bytes| bytes.checked_add(row));
        let chunk_end = offset.checked_add(chunk.size as usize);
        let fits = width > 0
            && stride >= row
            && needed.is_some_and(|needed| needed <= chunk.size as usize)
            && chunk_end.is_some_and(|end| end <= memory.len());
        if !fits {
            return Err(NotAPicture::Unusable(format!(
                "a {width}x{height} frame with stride {stride} in a chunk of {} bytes at offset \
                 {offset} of a {}-byte block",
                chunk.size,
                memory.len()
            )));
        }
        self.live.fetch_add(1, Ordering::SeqCst);
        Ok(Picture {
            damage: buffer
                .damage()
                .map(|damage| damage.iter().map(Damage::from).collect()),
            _buffer: buffer,
            memory,
            offset,
            stride,
            width,
            height,
            format,
            sequence: self.sequence,
            live: Arc::clone(self.live),
        })
    }
}

/// The storage of frames cut from a picture: the picture's mapped buffer, read-only (a frame
/// written to works on a copy). The buffer goes back to the producer when the last frame over
/// it (and the stream, once a newer picture replaced it) lets go.
pub(crate) struct Pixels(pub(crate) Arc<Picture>);

impl PixelStorage for Pixels {
    fn bytes(&self) -> &[u8] {
        self.0.bytes()
    }
}
