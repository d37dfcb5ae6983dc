//! The Wayland stream: screencopy frames kept in flight, each into its own pooled buffer.
//!
//! # In flight
//!
//! A screencopy completes at the output's next repaint. One capture at a time therefore waits
//! for a repaint *after* the consumer is done with the last frame, which costs up to a repaint
//! per frame as soon as the consumer takes any time. With `in_flight` of 2 or more (as fast as
//! possible), the next capture is asked for before a frame is handed over, so it completes at
//! the next repaint while the consumer works. Never more than one is pending: the compositor
//! answers every pending capture at the same repaint, so a second would be a copy of the same
//! picture (measured: twice the refresh rate in frames, half of them duplicates). At a fixed
//! rate one capture is sent per tick.
//!
//! # Changes
//!
//! With `changes_only`, captures use `copy_with_damage`: the compositor holds the copy until
//! something on the output changed and reports the damaged rectangles, so a still screen
//! costs nothing and produces no frames. wlroots copies the whole region into the buffer every
//! time (the damage only describes), so buffers need no bookkeeping of their own. Without
//! `changes_only`, every repaint is a frame and changes are unknown. A compositor of
//! wlr-screencopy version 1 has no `copy_with_damage`: there changes-only compares each frame
//! with the last one delivered.
//!
//! A region across several outputs streams through the default stream (one assembled grab per
//! tick); the capturer makes that choice when the stream is opened.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use mss_buffer::Lease;
use mss_core::stream::{Pacer, sleep_until};
use mss_core::{
    Changes, Error, Frame, FrameStream, PixelStorage, Region, StreamFrame, StreamOptions,
};

use crate::damage::damage_on_screen;
use crate::engine::{Copied, PendingCopy, ScreencopyEngine};
use crate::layout::OutputRegion;
use crate::slot::Slot;

/// A capture asked for and not yet handed over.
struct InFlight {
    /// The copy under way.
    copy: PendingCopy,
    /// When it was asked for (the frame's capture time).
    captured_at: Instant,
}

/// The stream's frames: a leased buffer, read-only (a stream's buffers are refilled later).
struct StreamSlot(Lease<Slot>);

impl PixelStorage for StreamSlot {
    fn bytes(&self) -> &[u8] {
        self.0.bytes()
    }

    fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        None
    }
}

/// The Wayland stream; see the [module docs](self).
pub(crate) struct WaylandStream<'a> {
    /// The engine the captures go through, borrowed from the capturer.
    engine: &'a mut ScreencopyEngine,
    /// The region streamed and the output it lies on.
    target: OutputRegion,
    /// When each capture is due.
    pacer: Pacer,
    /// A rate was asked for (captures are then never pipelined).
    fixed_rate: bool,
    /// The captures the consumer allowed in flight.
    in_flight: usize,
    /// Only frames that changed are delivered.
    changes_only: bool,
    /// The capturer's pointer setting before the stream, put back when it ends.
    cursor_before: bool,
    /// Captures asked for, oldest first.
    queue: VecDeque<InFlight>,
    /// Captures sent so far.
    sent: u64,
    /// Changes-only: the first frame's bytes, until the first capture with damage has been
    /// checked against them (see `send`).
    baseline: Option<Vec<u8>>,
    /// The next frame's sequence number.
    sequence: u64,
    /// Ticks missed since the last frame delivered.
    missed: u64,
}

impl<'a> WaylandStream<'a> {
    /// A stream of `target` (a region on one output) through `engine`, paced by `period` (as
    /// fast as possible when `None`), as `options` say. The capturer chooses this stream when
    /// the target lies on one output and the default stream otherwise.
    pub(crate) fn new(
        engine: &'a mut ScreencopyEngine,
        target: OutputRegion,
        period: Option<Duration>,
        options: &StreamOptions,
    ) -> Self {
        let cursor_before = engine.overlay_cursor();
        engine.set_overlay_cursor(options.with_cursor);
        Self {
            engine,
            target,
            pacer: Pacer::new(period, Instant::now()),
            fixed_rate: period.is_some(),
            in_flight: options.in_flight.max(1),
            changes_only: options.changes_only,
            cursor_before,
            queue: VecDeque::new(),
            sent: 0,
            baseline: None,
            sequence: 0,
            missed: 0,
        }
    }

    /// Asks for the next capture into a free buffer.
    fn send(&mut self, captured_at: Instant) -> Result<(), Error> {
        // Changes-only copies wait for damage, except the stream's first, which is taken as it
        // is. The compositor keeps damage per client, not per stream, so the first copy with
        // damage reports what changed since this client's last one (everything, for a client
        // that never asked): it is checked against the first frame in `receive_before`.
        let with_damage = self.changes_only && self.sent > 0 && self.damage_reported();
        let copy = self.engine.start_copy(&self.target, with_damage)?;
        self.sent += 1;
        self.queue.push_back(InFlight { copy, captured_at });
        Ok(())
    }

    /// Waits until the oldest capture is done or `deadline` passes (`None` then). A capture
    /// that changes-only finds unchanged comes back as `Some(None)`.
    fn receive_before(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<Option<Option<StreamFrame>>, Error> {
        let oldest = &self.queue.front().expect("a capture is in flight").copy;
        if !self.engine.await_copy(oldest, deadline)? {
            return Ok(None);
        }
        let InFlight { copy, captured_at } =
            self.queue.pop_front().expect("a capture is in flight");
        let Copied {
            lease,
            layout,
            format,
            damage,
        } = self.engine.finish_copy(copy)?;
        let region = self.target.region;
        let shown = Region::new(region.left(), region.top(), layout.width, layout.height)?;
        let frame = Frame::new(StreamSlot(lease), 0, shown, layout.stride as usize, format)?;
        let changes = if let Some(damage) = damage {
            // Damage comes in the output's device pixels; the stream's frames are in screen
            // coordinates. It is clamped to the region, whatever its values.
            let rectangles = damage_on_screen(&damage, layout, &self.target);
            if rectangles.is_empty() {
                // Changed elsewhere on the output.
                return Ok(Some(None));
            }
            if let Some(baseline) = self.baseline.take() {
                // The first capture with damage may report changes from before the stream.
                let packed: Vec<u8> = frame.rows().flatten().copied().collect();
                if packed == baseline {
                    return Ok(Some(None));
                }
            }
            Changes::Rectangles(rectangles)
        } else if self.changes_only {
            // The stream's first frame, or any frame of a compositor that reports no damage
            // (wlr-screencopy version 1 has no copy_with_damage): compared with the last frame
            // delivered, and kept for the next comparison.
            let packed: Vec<u8> = frame.rows().flatten().copied().collect();
            if self.sequence > 0 && self.baseline.as_ref() == Some(&packed) {
                return Ok(Some(None));
            }
            self.baseline = Some(packed);
            Changes::Unknown
        } else {
            Changes::Unknown
        };
        let sequence = self.sequence;
        self.sequence += 1;
        Ok(Some(Some(StreamFrame::new(
            frame,
            sequence,
            captured_at,
            changes,
            std::mem::take(&mut self.missed),
        ))))
    }
}

impl FrameStream for WaylandStream<'_> {
    fn next_frame_before(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<Option<StreamFrame>, Error> {
        loop {
            if self.queue.is_empty() {
                let due = self.pacer.due(Instant::now());
                if deadline.is_some_and(|deadline| due > deadline) {
                    if let Some(deadline) = deadline {
                        sleep_until(deadline);
                    }
                    return Ok(None);
                }
                sleep_until(due);
                let now = Instant::now();
                self.missed += self.pacer.take(now);
                self.send(now)?;
            }
            match self.receive_before(deadline)? {
                None => return Ok(None),
                Some(None) => self.missed += 1,
                Some(Some(frame)) => {
                    // Pipelined: the next capture is asked for before this frame is handed
                    // over, so it completes at the next repaint while the consumer works.
                    // Only one is ever pending: the compositor answers every pending capture
                    // at the same repaint, so more would only give copies of one picture.
                    if self.pipelined() {
                        let now = Instant::now();
                        self.missed += self.pacer.take(now);
                        match self.send(now) {
                            // Every buffer held (this frame included): asked for next time.
                            Ok(()) | Err(Error::BuffersExhausted { .. }) => {}
                            Err(error) => return Err(error),
                        }
                    }
                    return Ok(Some(frame));
                }
            }
        }
    }

    fn describe(&self) -> String {
        let pipelining = if self.pipelined() {
            "the next capture asked for before each frame is handed over"
        } else {
            "one capture at a time"
        };
        let changes = if self.changes_only && self.damage_reported() {
            "changes from the compositor's damage (copy_with_damage)"
        } else if self.changes_only {
            "changes found by comparing frames (wlr-screencopy version 1 reports no damage)"
        } else {
            "a frame every repaint"
        };
        format!("wayland: wlr-screencopy, {pipelining}, {changes}")
    }
}

impl WaylandStream<'_> {
    /// Whether the compositor reports damage: `copy_with_damage` came with version 2 of
    /// wlr-screencopy, and asking a version 1 compositor for it is a protocol error.
    fn damage_reported(&self) -> bool {
        self.engine.version() >= 2
    }

    /// Whether captures are pipelined: as fast as possible with more than one in flight.
    fn pipelined(&self) -> bool {
        !self.fixed_rate && self.in_flight > 1
    }
}

impl Drop for WaylandStream<'_> {
    fn drop(&mut self) {
        for in_flight in self.queue.drain(..) {
            self.engine.abandon(in_flight.copy);
        }
        self.engine.set_overlay_cursor(self.cursor_before);
    }
}
