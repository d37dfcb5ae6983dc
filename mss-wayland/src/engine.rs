//! The screencopy engine: the one place that drives wlr-screencopy, for grabs and streams
//! alike.
//!
//! Every capture of a region of one output takes the same steps, whoever asks for it:
//! `capture_output_region` is sent, the buffer layouts the compositor offers are awaited and
//! one is chosen, a pooled slot of that layout is leased, `copy` (or `copy_with_damage`) is
//! sent, `ready` or `failed` is awaited (with a deadline when a stream gives one), the image is
//! turned the right way up when the compositor says `y_invert`, and the frame object is
//! destroyed and forgotten. [`ScreencopyEngine`] holds what those steps need (the connection,
//! the pool of slots, the pointer setting, the frames' keys), so the grab and the stream only
//! decide which regions to copy and what to make of the pixels.
//!
//! The steps are separate calls ([`request`](ScreencopyEngine::request),
//! [`start_copy`](ScreencopyEngine::start_copy), [`await_copy`](ScreencopyEngine::await_copy),
//! [`finish_copy`](ScreencopyEngine::finish_copy)) because the stream keeps a copy under way
//! while the consumer works on the last frame; the grab takes them in one go with
//! [`copy`](ScreencopyEngine::copy).

use std::time::Instant;

use mss_buffer::{AcquireError, Lease, Pool, PoolStats};
use mss_core::{Error, PixelFormat};
use wayland_protocols_wlr::screencopy::v1::client::zwlr_screencopy_frame_v1::ZwlrScreencopyFrameV1;

use crate::connection::Wayland;
use crate::damage::Damage;
use crate::layout::{BufferLayout, OutputRegion};
use crate::limit::check_frame_size;
use crate::slot::{Slot, flip_rows};
use crate::state::FrameState;

/// A frame the compositor was asked for, with the buffer layout chosen among those it offered;
/// nothing is copied yet.
#[derive(Debug)]
pub(crate) struct OfferedFrame {
    /// The key its events are kept under in the connection's state.
    key: u64,
    /// The frame object, destroyed when the frame is done with.
    proxy: ZwlrScreencopyFrameV1,
    /// The layout chosen.
    layout: BufferLayout,
    /// The pixel format of that layout.
    format: PixelFormat,
}

impl OfferedFrame {
    /// The pixel format the frame would be delivered in.
    pub(crate) fn format(&self) -> PixelFormat {
        self.format
    }
}

/// A copy sent to the compositor and not yet finished: the frame and the slot it writes into.
#[derive(Debug)]
pub(crate) struct PendingCopy {
    /// The frame asked for.
    offered: OfferedFrame,
    /// The slot the compositor copies into.
    lease: Lease<Slot>,
    /// Sent as `copy_with_damage`, so the compositor reports what changed.
    with_damage: bool,
}

/// What one finished copy delivered.
#[derive(Debug)]
pub(crate) struct Copied {
    /// The slot holding the image, the right way up.
    pub(crate) lease: Lease<Slot>,
    /// The slot's layout: the image's size in device pixels and its stride.
    pub(crate) layout: BufferLayout,
    /// The image's pixel format.
    pub(crate) format: PixelFormat,
    /// The damaged rectangles in the output's device pixels, for a copy sent with damage;
    /// `None` otherwise.
    pub(crate) damage: Option<Damage>,
}

/// Drives wlr-screencopy on one connection into one pool of slots; see the [module
/// docs](self).
pub(crate) struct ScreencopyEngine {
    // The pool closes before the connection (declaration order): frames released after that
    // only unmap their memory.
    /// The slots frames are copied into.
    pool: Pool<Slot>,
    /// The connection, with what the compositor told it.
    wayland: Wayland,
    /// Whether the compositor is asked to draw the pointer into frames.
    overlay_cursor: bool,
    /// The key of the next frame asked for.
    next_key: u64,
    /// The bound `zwlr_screencopy_manager_v1` version (below 3 there is no `buffer_done`).
    version: u32,
}

impl ScreencopyEngine {
    /// An engine on `wayland`, with at most `max_buffers` slots at once (at least 1).
    pub(crate) fn new(wayland: Wayland, max_buffers: usize) -> Self {
        let version = wayland
            .state
            .screencopy
            .as_ref()
            .map_or(0, wayland_client::Proxy::version);
        Self {
            pool: Pool::new(max_buffers.max(1)),
            wayland,
            overlay_cursor: false,
            next_key: 0,
            version,
        }
    }

    /// The connection.
    pub(crate) fn wayland(&self) -> &Wayland {
        &self.wayland
    }

    /// The connection, to read the outputs with.
    pub(crate) fn wayland_mut(&mut self) -> &mut Wayland {
        &mut self.wayland
    }

    /// The bound `zwlr_screencopy_manager_v1` version.
    pub(crate) fn version(&self) -> u32 {
        self.version
    }

    /// The pool's counts.
    pub(crate) fn pool_stats(&self) -> PoolStats {
        self.pool.stats()
    }

    /// Whether the compositor is asked to draw the pointer into frames.
    pub(crate) fn overlay_cursor(&self) -> bool {
        self.overlay_cursor
    }

    /// Asks the compositor to draw the pointer into the frames requested from now on, or not.
    pub(crate) fn set_overlay_cursor(&mut self, draw: bool) {
        self.overlay_cursor = draw;
    }

    /// Asks for a frame of `target` and waits until the compositor has described the buffers
    /// it accepts, choosing one (see the `offers` module).
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] once the connection is closed, the errors of waiting,
    /// [`Error::Protocol`] when the compositor reports the capture failed or offers only
    /// buffers that cannot hold a frame (a stride smaller than a row, no pixels: naming the
    /// problem), [`Error::Unsupported`] when it offers no format mss-rs reads (naming those it
    /// offers) or a buffer past the frame size limit.
    pub(crate) fn request(&mut self, target: &OutputRegion) -> Result<OfferedFrame, Error> {
        self.wayland.check_open()?;
        let key = self.next_key;
        self.next_key += 1;
        let qh = self.wayland.handle();
        let (x, y, width, height) = target.local();
        let state = &mut self.wayland.state;
        let manager = state
            .screencopy
            .as_ref()
            .expect("screencopy is bound when the capturer opens");
        let proxy = manager.capture_output_region(
            i32::from(self.overlay_cursor),
            &state.outputs[target.output].proxy,
            x,
            y,
            width,
            height,
            &qh,
            key,
        );
        state.frames.insert(key, FrameState::default());
        // Version 3 ends the list of layouts with `buffer_done`; before it, nothing ends the
        // list and the compositor sends one layout (shared memory), so the first is all.
        let version = self.version;
        self.wayland
            .dispatch_until("the screencopy buffer's description", |state| {
                state.frames.get(&key).is_none_or(|frame| {
                    frame.failed || frame.buffer_done || (version < 3 && !frame.offers.is_empty())
                })
            })?;
        let state = self
            .wayland
            .state
            .frames
            .get(&key)
            .expect("frames are kept until they end");
        if state.failed {
            proxy.destroy();
            self.wayland.state.frames.remove(&key);
            return Err(capture_failed(self.wayland.display_name()));
        }
        let chosen = state.offers.choose(self.wayland.display_name());
        let (layout, format) = match chosen {
            Ok(chosen) => chosen,
            Err(error) => {
                proxy.destroy();
                self.wayland.state.frames.remove(&key);
                return Err(error);
            }
        };
        let offered = OfferedFrame {
            key,
            proxy,
            layout,
            format,
        };
        // The compositor sizes the buffer; mss-rs still allocates no more than its limit.
        let bytes = u64::from(layout.stride) * u64::from(layout.height);
        let checked = check_frame_size(bytes, || {
            format!(
                "the {}x{} buffer (stride {}) the compositor offers for region {}",
                layout.width, layout.height, layout.stride, target.region
            )
        });
        if let Err(error) = checked {
            self.decline(offered);
            return Err(error);
        }
        Ok(offered)
    }

    /// Gives up `offered` without copying it: its object is destroyed and its events
    /// forgotten.
    pub(crate) fn decline(&mut self, offered: OfferedFrame) {
        offered.proxy.destroy();
        self.wayland.state.frames.remove(&offered.key);
    }

    /// Asks for a frame of `target` and sends the copy into a pooled slot of the layout
    /// chosen; with `with_damage`, the compositor holds the copy until the output changes and
    /// reports the damage.
    ///
    /// # Errors
    ///
    /// As [`request`](Self::request), plus [`Error::BuffersExhausted`] when every slot is held
    /// and [`Error::SharedMemory`] when a new one cannot be made.
    pub(crate) fn start_copy(
        &mut self,
        target: &OutputRegion,
        with_damage: bool,
    ) -> Result<PendingCopy, Error> {
        let offered = self.request(target)?;
        let lease = match self.lease_slot(offered.layout) {
            Ok(lease) => lease,
            Err(error) => {
                self.decline(offered);
                return Err(error);
            }
        };
        if with_damage {
            offered.proxy.copy_with_damage(lease.buffer());
        } else {
            offered.proxy.copy(lease.buffer());
        }
        Ok(PendingCopy {
            offered,
            lease,
            with_damage,
        })
    }

    /// Waits until the compositor has finished `pending` (ready or failed) or `deadline`
    /// passes; `false` means the deadline passed first.
    ///
    /// # Errors
    ///
    /// As [`Wayland::dispatch_before`]: the connection's timeout, loss or protocol errors.
    pub(crate) fn await_copy(
        &mut self,
        pending: &PendingCopy,
        deadline: Option<Instant>,
    ) -> Result<bool, Error> {
        let key = pending.offered.key;
        self.wayland
            .dispatch_before("the screencopy frame", deadline, &mut |state| {
                state
                    .frames
                    .get(&key)
                    .is_none_or(|frame| frame.ready || frame.failed)
            })
    }

    /// Ends `pending` (its object destroyed, its events forgotten) and returns what it
    /// delivered, turned the right way up when the compositor said `y_invert`.
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] when the compositor reported the capture failed, or has not said
    /// it is ready.
    pub(crate) fn finish_copy(&mut self, pending: PendingCopy) -> Result<Copied, Error> {
        let PendingCopy {
            offered,
            mut lease,
            with_damage,
        } = pending;
        offered.proxy.destroy();
        let state = self
            .wayland
            .state
            .frames
            .remove(&offered.key)
            .unwrap_or_default();
        if state.failed || !state.ready {
            return Err(capture_failed(self.wayland.display_name()));
        }
        let layout = offered.layout;
        if state.y_invert {
            flip_rows(
                lease.bytes_mut(),
                layout.stride as usize,
                layout.height as usize,
            );
        }
        Ok(Copied {
            lease,
            layout,
            format: offered.format,
            damage: with_damage.then_some(state.damage),
        })
    }

    /// Gives up `pending` without reading it: its object is destroyed, its events forgotten,
    /// and its slot goes back to the pool.
    pub(crate) fn abandon(&mut self, pending: PendingCopy) {
        self.decline(pending.offered);
    }

    /// Copies `target` at once (no damage awaited): the grab's way through the steps.
    ///
    /// # Errors
    ///
    /// As [`start_copy`](Self::start_copy), [`await_copy`](Self::await_copy) and
    /// [`finish_copy`](Self::finish_copy).
    pub(crate) fn copy(&mut self, target: &OutputRegion) -> Result<Copied, Error> {
        let pending = self.start_copy(target, false)?;
        match self.await_copy(&pending, None) {
            Ok(_) => self.finish_copy(pending),
            Err(error) => {
                self.abandon(pending);
                Err(error)
            }
        }
    }

    /// A free slot of `layout` from the pool, or a new one.
    fn lease_slot(&mut self, layout: BufferLayout) -> Result<Lease<Slot>, Error> {
        let qh = self.wayland.handle();
        let shm = self
            .wayland
            .state
            .shm
            .clone()
            .expect("wl_shm is bound when the capturer opens");
        self.pool
            .acquire(
                |slot: &Slot| slot.layout() == layout,
                || Slot::create(&shm, layout, &qh),
                Slot::retire,
            )
            .map_err(|error| match error {
                AcquireError::Exhausted { limit } => Error::BuffersExhausted { limit },
                AcquireError::Create(error) => error,
                other => Error::SharedMemory {
                    bytes: layout.stride as usize * layout.height as usize,
                    reason: other.to_string(),
                    source: None,
                },
            })
    }
}

/// The error for a screencopy the compositor reported as failed.
fn capture_failed(display: &str) -> Error {
    Error::Protocol {
        display: display.to_owned(),
        request: "zwlr_screencopy_frame_v1.copy",
        message: "the compositor reported that the capture failed (the output may have gone \
                  away or changed mode meanwhile)"
            .to_owned(),
        source: None,
    }
}
