//! [`ShmStream`]: the MIT-SHM backend's stream, pipelined, copying only what changed.
//!
//! # Two ways of filling a slot
//!
//! **Copy what changed** (DAMAGE, XFixes 2 and shared pixmaps on the server): each pooled
//! segment the stream meets gets a pixmap in shared memory over it (`ShmCreatePixmap`, the
//! frame's own layout) and a server-side region of what it lacks. At each tick the root's
//! damage is moved into a region ([`DamageTracker::subtract`]), added to every known slot's region,
//! and the slot to fill gets one `CopyArea` from the root clipped to its own region
//! (`XFixesSetGCClipRegion`): the server copies only the pixels that changed since that slot
//! was last filled, at the frame's stride, into the memory the frame will show. A slot met for
//! the first time is copied whole. Every frame is the complete, exact screen; the cost follows
//! the change. A `GetInputFocus` after the copy tells when it is done.
//!
//! **Whole frames** (otherwise, or when the caller turns damage off): `ShmGetImage` of the
//! region into each slot, as a grab does; changes are unknown, and `changes_only` compares
//! each frame with a copy of the last one delivered.
//!
//! # In flight
//!
//! Requests are sent ahead: as fast as possible, up to `in_flight` captures are under way, and
//! the next one is asked for (and written to the server at once, not left in the connection's
//! buffer) before a frame is handed over, so the server's copy overlaps the consumer's work. At a fixed rate each tick's capture is sent when it falls due. A held
//! frame holds its slot; when every slot is held and none is in flight, the stream fails with
//! [`Error::BuffersExhausted`] instead of waiting.
//!
//! # Frames are read-only
//!
//! A slot is refilled only where it changed, so a frame's memory must not be written: frames
//! from a stream refuse in-place writes, and [`Frame::bytes_mut`] (or drawing the pointer)
//! works on a copy.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use mss_buffer::Lease;
use mss_core::cursor::composite_cursor;
use mss_core::stream::{Pacer, sleep_until};
use mss_core::{
    Changes, Error, Frame, FrameStream, PixelStorage, Region, StreamFrame, StreamOptions,
};
use mss_x11::{DamageTracker, X11Connection, X11Display};
use x11rb::connection::SequenceNumber;
use x11rb::cookie::{Cookie, VoidCookie};
use x11rb::protocol::shm::{self, ConnectionExt as _};
use x11rb::protocol::xfixes::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{
    ConnectionExt as _, CreateGCAux, Gcontext, GetInputFocusReply, Pixmap, SubwindowMode,
};

use crate::names::BACKEND_NAME;
use crate::request::{SHM_GET_IMAGE, ShmGetImage};
use crate::segment::Segment;
use crate::segments::Segments;

/// A frame's pixels in a slot the stream refills: readable, never written in place.
struct StreamSlot(Lease<Segment>);

impl PixelStorage for StreamSlot {
    fn bytes(&self) -> &[u8] {
        self.0.bytes()
    }
}

/// What the copy path keeps on the server for one segment.
struct SlotState {
    /// A pixmap in the segment's memory, the stream region's size.
    pixmap: Pixmap,
    /// What the segment lacks: every change since it was last filled.
    stale: xfixes::Region,
}

/// The copy path's server resources.
struct CopyPath {
    damage: DamageTracker,
    /// Copies from the root, children included, with no exposure events.
    gc: Gcontext,
    slots: HashMap<shm::Seg, SlotState>,
}

/// A capture sent and not yet received.
struct InFlight {
    lease: Lease<Segment>,
    /// The request whose reply says the slot is filled.
    sequence: SequenceNumber,
    /// The `ShmGetImage` that request is, when it fills the slot whole (not the copy path).
    image_request: Option<ShmGetImage>,
    /// Void requests to check once that reply came (no round trip then).
    checks: Vec<(SequenceNumber, &'static str)>,
    captured_at: Instant,
    /// Whether this is the stream's first capture (whole, changes unknown).
    first: bool,
}

/// The MIT-SHM stream; see the [module docs](self).
pub(crate) struct ShmStream<'a, C: X11Connection> {
    display: &'a mut X11Display<C>,
    segments: &'a mut Segments,
    region: Region,
    copy: Option<CopyPath>,
    /// Why the copy path is not in use.
    whole_frames_reason: Option<String>,
    pacer: Pacer,
    fixed_rate: bool,
    in_flight: usize,
    changes_only: bool,
    with_cursor: bool,
    queue: VecDeque<InFlight>,
    /// A DamageNotify seen and not yet acted on (changes-only waits).
    notified: bool,
    /// The last frame delivered, packed, for changes-only without damage.
    previous: Option<Vec<u8>>,
    /// Whether no capture was sent yet (the first frame is always whole and delivered).
    first: bool,
    sequence: u64,
    missed: u64,
}

impl<'a, C: X11Connection> ShmStream<'a, C> {
    /// Opens a stream of `region` on `display` with `segments` (shared memory in use) as
    /// `options` say, at one frame each `period` (`None`: as fast as possible).
    pub(crate) fn open(
        display: &'a mut X11Display<C>,
        segments: &'a mut Segments,
        options: &StreamOptions,
        period: Option<Duration>,
        region: Region,
    ) -> Result<Self, Error> {
        display.check_region(region)?;
        let (copy, whole_frames_reason) = if !options.use_damage {
            (None, Some("change tracking turned off".to_owned()))
        } else if let Some(reason) = segments.whole_frames_reason() {
            (None, Some(reason.to_owned()))
        } else {
            let root = display.root();
            match DamageTracker::start(display, root)? {
                Ok(damage) => (Some(open_copy_path(display, damage)?), None),
                Err(reason) => (None, Some(reason)),
            }
        };
        Ok(Self {
            display,
            segments,
            region,
            copy,
            whole_frames_reason,
            pacer: Pacer::new(period, Instant::now()),
            fixed_rate: period.is_some(),
            in_flight: options.in_flight.max(1),
            changes_only: options.changes_only,
            with_cursor: options.with_cursor,
            queue: VecDeque::new(),
            notified: false,
            previous: None,
            first: true,
            sequence: 0,
            missed: 0,
        })
    }

    /// Sends the next capture.
    fn send(&mut self, captured_at: Instant) -> Result<(), Error> {
        let (x, y, width, height) = self.display.check_region(self.region)?;
        let mut checks = Vec::new();
        if let Some(copy) = &self.copy {
            // What changed moves into the changes region, and every slot, held or idle, now
            // lacks it too; the region's rectangles come back with the fence below.
            let display = &mut *self.display;
            checks.push((copy.damage.subtract(display)?, "DamageSubtract"));
            let connection = display.connection();
            for slot in copy.slots.values() {
                let cookie = connection
                    .xfixes_union_region(slot.stale, copy.damage.changes_region(), slot.stale)
                    .map_err(|error| display.connection_lost(error))?;
                checks.push((cookie.sequence_number(), "XFixesUnionRegion"));
                std::mem::forget(cookie);
            }
        }
        // Segments the pool retires take the pixmap and region made on them along.
        let copy = &mut self.copy;
        let lease = self.segments.lease(self.display, &mut |display, segment| {
            forget_slot(copy, display, segment)
        })?;
        let display = &mut *self.display;
        let connection = display.connection();
        let sent = |result: Result<VoidCookie<'_, C>, x11rb::errors::ConnectionError>,
                    request: &'static str,
                    checks: &mut Vec<(SequenceNumber, &'static str)>|
         -> Result<(), Error> {
            let cookie = result.map_err(|error| display.connection_lost(error))?;
            checks.push((cookie.sequence_number(), request));
            std::mem::forget(cookie);
            Ok(())
        };
        let mut image_request = None;
        let sequence = match &mut self.copy {
            None => {
                let request = ShmGetImage::screen(display, (x, y, width, height));
                image_request = Some(request);
                request.send(display, lease.id(), 0)?
            }
            Some(copy) => {
                let segment = lease.id();
                let whole = !copy.slots.contains_key(&segment);
                if whole {
                    let pixmap = new_id(display)?;
                    let stale = new_id(display)?;
                    sent(
                        connection.shm_create_pixmap(
                            pixmap,
                            display.root(),
                            width,
                            height,
                            display.format().depth(),
                            segment,
                            0,
                        ),
                        "ShmCreatePixmap",
                        &mut checks,
                    )?;
                    sent(
                        connection.xfixes_create_region(stale, &[]),
                        "XFixesCreateRegion",
                        &mut checks,
                    )?;
                    copy.slots.insert(segment, SlotState { pixmap, stale });
                }
                let slot = &copy.slots[&segment];
                let clip = if whole { x11rb::NONE } else { slot.stale };
                sent(
                    connection.xfixes_set_gc_clip_region(copy.gc, clip, -x, -y),
                    "XFixesSetGCClipRegion",
                    &mut checks,
                )?;
                sent(
                    connection.copy_area(
                        display.root(),
                        slot.pixmap,
                        copy.gc,
                        x,
                        y,
                        0,
                        0,
                        width,
                        height,
                    ),
                    "CopyArea",
                    &mut checks,
                )?;
                sent(
                    connection.xfixes_set_region(slot.stale, &[]),
                    "XFixesSetRegion",
                    &mut checks,
                )?;
                // The fence: its reply says the copy is done, and lists what changed.
                copy.damage.fetch(display)?
            }
        };
        // Written now, so that the server starts on the capture while the consumer works.
        // Left to the next wait, it could stay in the connection's buffer until the call
        // after next: libxcb writes nothing at a wait for a reply to a request it has
        // already written, so over libxcb every other capture reached the server only when
        // the consumer asked for the next frame (tests/it/stream.rs counts them).
        self.display
            .connection()
            .flush_requests()
            .map_err(|error| self.display.connection_lost(error))?;
        self.queue.push_back(InFlight {
            lease,
            sequence,
            image_request,
            checks,
            captured_at,
            first: std::mem::take(&mut self.first),
        });
        Ok(())
    }

    /// Receives the oldest capture in flight and makes it a frame.
    fn receive(&mut self) -> Result<StreamFrame, Error> {
        let in_flight = self
            .queue
            .pop_front()
            .expect("receive is only called with a capture in flight");
        let display = &mut *self.display;
        let connection = display.connection();
        let mut failure = None;
        let mut image = None;
        let mut changes = Changes::Unknown;
        match in_flight.image_request {
            Some(request) => match ShmGetImage::receive(display, in_flight.sequence) {
                Ok(reply) => image = Some((request, reply)),
                Err(error) => failure = Some((error, SHM_GET_IMAGE)),
            },
            None => {
                match Cookie::<C, xfixes::FetchRegionReply>::new(connection, in_flight.sequence)
                    .reply()
                {
                    // The first frame is whole: its changes are unknown.
                    Ok(reply) if !in_flight.first => {
                        changes = Changes::Rectangles(
                            DamageTracker::rectangles(&reply)
                                .iter()
                                .filter_map(|rectangle| rectangle.intersection(&self.region))
                                .collect(),
                        );
                    }
                    Ok(_) => {}
                    Err(error) => failure = Some((error, "XFixesFetchRegion")),
                }
            }
        }
        if failure.is_none() {
            for (sequence, request) in &in_flight.checks {
                if let Err(error) = VoidCookie::new(connection, *sequence).check() {
                    failure = Some((error, *request));
                    break;
                }
            }
        }
        let failed = match failure {
            Some((error, request)) => Some(display.grab_error(self.region, request, error)),
            None => image.and_then(|(request, reply)| request.check(display, &reply).err()),
        };
        if let Some(error) = failed {
            // The slot is not trusted again, nor what was made on it.
            let copy = &mut self.copy;
            self.segments
                .discard(display, in_flight.lease, &mut |display, segment| {
                    forget_slot(copy, display, segment);
                });
            return Err(error);
        }
        let stride = display.stride_for(u16::try_from(self.region.width()).unwrap_or(u16::MAX));
        let mut frame = Frame::new(
            StreamSlot(in_flight.lease),
            0,
            self.region,
            stride,
            display.format(),
        )?;
        if self.with_cursor {
            let cursor = self.display.cursor_image(BACKEND_NAME)?;
            composite_cursor(&mut frame, &cursor);
        }
        // Numbered when it is delivered (see `accept`).
        Ok(StreamFrame::new(
            frame,
            0,
            in_flight.captured_at,
            changes,
            std::mem::take(&mut self.missed),
        ))
    }

    /// The frame numbered for delivery, or `None` (counted as missed) when changes-only finds
    /// nothing new in it.
    fn accept(&mut self, mut frame: StreamFrame) -> Option<StreamFrame> {
        if !self.is_new(&frame) {
            self.missed += frame.missed + 1;
            return None;
        }
        frame.sequence = self.sequence;
        self.sequence += 1;
        Some(frame)
    }

    /// Whether a frame is new enough to deliver: always, except in changes-only, where it
    /// must have changed inside the stream's region (with damage: the rectangles say so;
    /// without: it is compared with the last one delivered).
    fn is_new(&mut self, item: &StreamFrame) -> bool {
        if !self.changes_only {
            return true;
        }
        if self.copy.is_some() {
            return item.changes.any();
        }
        let frame = &item.frame;
        let packed: Vec<u8> = frame.rows().flatten().copied().collect();
        if self.previous.as_ref() == Some(&packed) {
            return false;
        }
        self.previous = Some(packed);
        true
    }

    /// Whether the screen changed since the last capture was sent (changes-only with damage),
    /// without waiting.
    fn change_noticed(&mut self) -> Result<bool, Error> {
        if let (false, Some(copy)) = (self.notified || self.first, &self.copy) {
            self.notified = copy.damage.take_notice(self.display)?;
        }
        Ok(self.notified || self.first)
    }

    /// Waits for the screen to change (changes-only with damage), until `deadline`.
    fn wait_for_change(&mut self, deadline: Option<Instant>) -> Result<bool, Error> {
        if self.notified || self.first {
            return Ok(true);
        }
        if let Some(copy) = &self.copy {
            self.notified = copy.damage.wait(self.display, deadline)?;
        }
        Ok(self.notified)
    }
}

/// Frees what the copy path made on `segment` (its pixmap and region), which the pool is
/// retiring. Errors cannot matter: a broken connection frees it all anyway.
fn forget_slot<C: X11Connection>(
    copy: &mut Option<CopyPath>,
    display: &X11Display<C>,
    segment: &Segment,
) {
    let Some(slot) = copy
        .as_mut()
        .and_then(|copy| copy.slots.remove(&segment.id()))
    else {
        return;
    };
    let connection = display.connection();
    if let Ok(cookie) = connection.free_pixmap(slot.pixmap) {
        cookie.ignore_error();
    }
    if let Ok(cookie) = connection.xfixes_destroy_region(slot.stale) {
        cookie.ignore_error();
    }
}

/// The GC the copy path copies with.
fn open_copy_path<C: X11Connection>(
    display: &mut X11Display<C>,
    damage: DamageTracker,
) -> Result<CopyPath, Error> {
    let gc = new_id(display)?;
    let connection = display.connection();
    connection
        .create_gc(
            gc,
            display.root(),
            &CreateGCAux::new()
                .subwindow_mode(SubwindowMode::INCLUDE_INFERIORS)
                .graphics_exposures(0),
        )
        .map_err(|error| display.connection_lost(error))?
        .check()
        .map_err(|error| display.reply_error("CreateGC", error))?;
    Ok(CopyPath {
        damage,
        gc,
        slots: HashMap::new(),
    })
}

/// A new resource id.
fn new_id<C: X11Connection>(display: &X11Display<C>) -> Result<u32, Error> {
    display
        .connection()
        .generate_x11_id()
        .map_err(|error| Error::ConnectionLost {
            display: display.display_name().to_owned(),
            reason: error.to_string(),
            source: None,
        })
}

impl<C: X11Connection> FrameStream for ShmStream<'_, C> {
    fn next_frame_before(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<Option<StreamFrame>, Error> {
        loop {
            // As fast as possible, keep `in_flight` captures under way; at a fixed rate one
            // is sent per tick.
            let pipeline_full = self.fixed_rate || self.queue.len() >= self.in_flight;
            if !self.queue.is_empty() && pipeline_full {
                let frame = self.receive()?;
                if let Some(frame) = self.accept(frame) {
                    return Ok(Some(frame));
                }
                continue;
            }
            let due = self.pacer.due(Instant::now());
            let past_deadline = deadline.is_some_and(|deadline| due > deadline);
            // Changes-only: with a capture in flight, only look (a change already noticed
            // goes out now, else the frame in flight is handed over); with none, wait for one.
            let idle = !past_deadline
                && self.changes_only
                && self.copy.is_some()
                && !if self.queue.is_empty() {
                    self.wait_for_change(deadline)?
                } else {
                    self.change_noticed()?
                };
            if past_deadline || idle {
                // Nothing more is sent before the deadline: hand over what is in flight, if
                // anything, else nothing.
                if !self.queue.is_empty() {
                    let frame = self.receive()?;
                    if let Some(frame) = self.accept(frame) {
                        return Ok(Some(frame));
                    }
                    continue;
                }
                if let Some(deadline) = deadline {
                    sleep_until(deadline);
                }
                return Ok(None);
            }
            sleep_until(due);
            let now = Instant::now();
            self.missed += self.pacer.take(now);
            self.notified = false;
            match self.send(now) {
                Ok(()) => {}
                // Every slot held: deliver what is in flight first; with nothing in flight
                // the caller holds them all.
                Err(Error::BuffersExhausted { .. }) if !self.queue.is_empty() => {
                    let frame = self.receive()?;
                    if let Some(frame) = self.accept(frame) {
                        return Ok(Some(frame));
                    }
                }
                Err(error) => return Err(error),
            }
        }
    }

    fn describe(&self) -> String {
        let in_flight = if self.fixed_rate { 1 } else { self.in_flight };
        match &self.whole_frames_reason {
            None => format!(
                "x11-shm: MIT-SHM, {in_flight} in flight, changes from DAMAGE, only changed \
                 pixels copied"
            ),
            Some(reason) => format!(
                "x11-shm: MIT-SHM ShmGetImage, {in_flight} in flight, whole frames ({reason})"
            ),
        }
    }
}

impl<C: X11Connection> Drop for ShmStream<'_, C> {
    fn drop(&mut self) {
        let display = &mut *self.display;
        let connection = display.connection();
        // Replies still to come are discarded as their cookies drop.
        for in_flight in self.queue.drain(..) {
            match &self.copy {
                None => drop(Cookie::<C, shm::GetImageReply>::new(
                    connection,
                    in_flight.sequence,
                )),
                Some(_) => drop(Cookie::<C, GetInputFocusReply>::new(
                    connection,
                    in_flight.sequence,
                )),
            }
            for (sequence, _) in in_flight.checks {
                VoidCookie::new(connection, sequence).ignore_error();
            }
        }
        if let Some(copy) = self.copy.take() {
            // Errors cannot be reported from a drop; a broken connection frees all this anyway.
            for slot in copy.slots.into_values() {
                if let Ok(cookie) = connection.free_pixmap(slot.pixmap) {
                    cookie.ignore_error();
                }
                if let Ok(cookie) = connection.xfixes_destroy_region(slot.stale) {
                    cookie.ignore_error();
                }
            }
            if let Ok(cookie) = connection.free_gc(copy.gc) {
                cookie.ignore_error();
            }
            let _ = copy.damage.destroy(display);
        }
    }
}
