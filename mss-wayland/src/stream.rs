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
//! `changes_only`, every repaint is a frame and changes are unknown.
//!
//! A region across several outputs streams through the default stream (one assembled grab per
//! tick).

use std::collections::VecDeque;
use std::time::Instant;

use mss_buffer::Lease;
use mss_core::stream::{Pacer, sleep_until};
use mss_core::{
    Capture as _, Changes, Error, Frame, FrameStream, PixelFormat, PixelStorage, Region,
    StreamFrame, StreamOptions,
};
use wayland_protocols_wlr::screencopy::v1::client::zwlr_screencopy_frame_v1::ZwlrScreencopyFrameV1;

use crate::capture::{WaylandCapture, local};
use crate::slot::{Slot, flip_rows};
use crate::state::BufferLayout;

/// A capture asked for and not yet handed over.
struct InFlight {
    key: u64,
    frame: ZwlrScreencopyFrameV1,
    lease: Lease<Slot>,
    layout: BufferLayout,
    format: PixelFormat,
    captured_at: Instant,
    /// Asked for with `copy_with_damage`.
    with_damage: bool,
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
    capture: &'a mut WaylandCapture,
    region: Region,
    output: usize,
    /// Where the output is on the screen (damage comes in its coordinates).
    placed: Region,
    /// `region` in the output's coordinates.
    local: (i32, i32, i32, i32),
    pacer: Pacer,
    fixed_rate: bool,
    in_flight: usize,
    changes_only: bool,
    /// The capturer's pointer setting before the stream, put back when it ends.
    cursor_before: bool,
    queue: VecDeque<InFlight>,
    /// Captures sent so far.
    sent: u64,
    /// Changes-only: the first frame's bytes, until the first capture with damage has been
    /// checked against them (see `send`).
    baseline: Option<Vec<u8>>,
    sequence: u64,
    missed: u64,
}

impl<'a> WaylandStream<'a> {
    /// Opens a stream of `options` on `capture`: its own when the target lies on one output,
    /// else the default stream.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRate`], [`Error::RegionOutOfBounds`] and the errors of finding the
    /// target.
    pub(crate) fn open(
        capture: &'a mut WaylandCapture,
        options: &StreamOptions,
    ) -> Result<Box<dyn FrameStream + 'a>, Error> {
        if matches!(options.target, mss_core::StreamTarget::Window(_)) {
            return Ok(Box::new(mss_core::stream::GrabStream::new(
                capture, options,
            )?));
        }
        let period = options.period()?;
        let region = options.target_region(capture)?;
        let outputs = capture.outputs_now()?;
        let Some(&(output, placed)) = outputs.iter().find(|(_, output)| output.contains(&region))
        else {
            // Across outputs (or off the screen, which the first grab reports).
            return Ok(Box::new(mss_core::stream::GrabStream::new(
                capture, options,
            )?));
        };
        let cursor_before = capture.overlay_cursor();
        capture.draw_cursor(options.with_cursor);
        Ok(Box::new(Self {
            capture,
            region,
            output,
            placed,
            local: local(region, placed),
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
        }))
    }

    /// Asks for the next capture into a free buffer.
    fn send(&mut self, captured_at: Instant) -> Result<(), Error> {
        let key = self.capture.send_capture(self.output, self.local)?;
        let (frame, layout, format) = self.capture.await_buffer_layout(key)?;
        let lease = match self.capture.lease_slot(layout) {
            Ok(lease) => lease,
            Err(error) => {
                frame.destroy();
                self.capture.forget_frame(key);
                return Err(error);
            }
        };
        // Changes-only copies wait for damage, except the stream's first, which is taken as it
        // is. The compositor keeps damage per client, not per stream, so the first copy with
        // damage reports what changed since this client's last one (everything, for a client
        // that never asked): it is checked against the first frame in `receive_before`.
        let with_damage = self.changes_only && self.sent > 0;
        if with_damage {
            frame.copy_with_damage(lease.buffer());
        } else {
            frame.copy(lease.buffer());
        }
        self.sent += 1;
        self.queue.push_back(InFlight {
            key,
            frame,
            lease,
            layout,
            format,
            captured_at,
            with_damage,
        });
        Ok(())
    }

    /// Waits until the oldest capture is done or `deadline` passes (`None` then). A capture
    /// that changes-only finds unchanged comes back as `Some(None)`.
    fn receive_before(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<Option<Option<StreamFrame>>, Error> {
        let key = self.queue.front().expect("a capture is in flight").key;
        let done = self.capture.wayland_mut().dispatch_before(
            "the screencopy frame",
            deadline,
            &mut |state| {
                state
                    .frames
                    .get(&key)
                    .is_none_or(|frame| frame.ready || frame.failed)
            },
        )?;
        if !done {
            return Ok(None);
        }
        let InFlight {
            key,
            frame,
            mut lease,
            layout,
            format,
            captured_at,
            with_damage,
        } = self.queue.pop_front().expect("a capture is in flight");
        frame.destroy();
        let state = self.capture.forget_frame(key).unwrap_or_default();
        if state.failed || !state.ready {
            return Err(crate::capture::capture_failed(
                self.capture.wayland_mut().display_name(),
            ));
        }
        if state.y_invert {
            flip_rows(
                lease.bytes_mut(),
                layout.stride as usize,
                layout.height as usize,
            );
        }
        let shown = Region::new(
            self.region.left(),
            self.region.top(),
            layout.width,
            layout.height,
        )?;
        let frame = Frame::new(StreamSlot(lease), 0, shown, layout.stride as usize, format)?;
        let changes = if with_damage {
            // Damage comes in the output's device pixels; the stream's frames are in screen
            // coordinates.
            let scale = f64::from(layout.width) / f64::from(self.region.width());
            let rectangles: Vec<Region> = state
                .damage
                .iter()
                .filter_map(|&(x, y, width, height)| {
                    let to_screen = |value: u32| (f64::from(value) / scale).floor() as i64;
                    let to_screen_end = |value: u32| (f64::from(value) / scale).ceil() as i64;
                    let rectangle = Region::from_signed(
                        i64::from(self.placed.left()) + to_screen(x),
                        i64::from(self.placed.top()) + to_screen(y),
                        to_screen_end(x + width) - to_screen(x),
                        to_screen_end(y + height) - to_screen(y),
                    )
                    .ok()?;
                    rectangle.intersection(&self.region)
                })
                .collect();
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
        } else {
            if self.changes_only && self.sequence == 0 {
                self.baseline = Some(frame.rows().flatten().copied().collect());
            }
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
        let changes = if self.changes_only {
            "changes from the compositor's damage (copy_with_damage)"
        } else {
            "a frame every repaint"
        };
        format!("wayland: wlr-screencopy, {pipelining}, {changes}")
    }
}

impl WaylandStream<'_> {
    /// Whether captures are pipelined: as fast as possible with more than one in flight.
    fn pipelined(&self) -> bool {
        !self.fixed_rate && self.in_flight > 1
    }
}

impl Drop for WaylandStream<'_> {
    fn drop(&mut self) {
        for in_flight in self.queue.drain(..) {
            in_flight.frame.destroy();
            self.capture.forget_frame(in_flight.key);
        }
        let before = self.cursor_before;
        self.capture.draw_cursor(before);
    }
}
