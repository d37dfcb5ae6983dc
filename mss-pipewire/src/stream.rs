//! The PipeWire stream: the pictures of one monitor's cast, handed out as they come.
//!
//! # Frames as the compositor sends them
//!
//! A screen cast is pushed: the compositor sends a picture when the monitor changed, and
//! nothing while it is still. So, as fast as possible, the stream's first frame is the
//! newest picture and each next frame is the next picture the compositor sends: on a still
//! screen, a stream with no rate waits (until the caller's deadline), and costs no CPU. At a
//! fixed rate, each tick hands out the newest picture, the same one again while nothing
//! changed (its changes then are an empty list). Frames share the cast's buffers with grabs:
//! holding frames holds buffers, and past what the producer can spare the stream fails with
//! [`mss_core::Error::BuffersExhausted`].
//!
//! # Changes
//!
//! Changes come from the pictures' damage metadata when the producer sends it (mutter 43 does
//! not), in the monitor's coordinates, clipped to the region; otherwise they are unknown, and
//! changes-only compares each picture's region with the last frame delivered. A picture that
//! changed nothing inside the region is skipped and counted as missed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mss_core::stream::{Pacer, sleep_until};
use mss_core::{Changes, Error, Frame, FrameStream, Region, StreamFrame, StreamOptions};

use crate::cast::{Cast, CastError, FIRST_BUFFER_GRACE, FIRST_PICTURE_STARTS};
use crate::layout::Placed;
use crate::picture::{Damage, Picture};

/// What a stream needs of its capturer: its casts, their errors and its frames. The capturer
/// (`capture.rs`) implements it, so that this module does not depend on the capturer's.
pub(crate) trait Casts: Send {
    /// Whether casts have the compositor draw the pointer into frames.
    fn draws_cursor(&self) -> bool;
    /// Sets whether casts draw the pointer (as `Capture::draw_cursor`).
    fn set_draws_cursor(&mut self, draw: bool);
    /// The cast of `connector`, when it runs.
    fn running_cast(&self, connector: &str) -> Option<&Cast>;
    /// The cast of `placed`, started when it does not run.
    fn cast(&mut self, placed: &Placed) -> Result<&Cast, Error>;
    /// Stops the cast of `connector` (the next use starts it again).
    fn restart(&mut self, connector: &str);
    /// The deadline of a wait starting now, by the capturer's timeout.
    fn deadline(&self) -> Option<Instant>;
    /// The error for a cast of `placed` that gives no picture.
    fn cast_error(&mut self, placed: &Placed, error: CastError) -> Error;
    /// The frame of `region` in `picture` of `placed`.
    fn frame_of(
        &mut self,
        picture: Arc<Picture>,
        region: Region,
        placed: &Placed,
    ) -> Result<Frame, Error>;
    /// How the casts are obtained, for the stream's description.
    fn method(&self) -> &'static str;
}

/// The PipeWire stream; see the [module docs](self).
pub(crate) struct PipeWireStream<'a> {
    capture: &'a mut dyn Casts,
    /// The monitor streamed.
    placed: Placed,
    /// The region streamed, inside the monitor.
    region: Region,
    pacer: Pacer,
    fixed_rate: bool,
    changes_only: bool,
    use_damage: bool,
    /// The capturer's pointer setting before the stream, put back when it ends.
    cursor_before: bool,
    /// The sequence number of the picture last delivered (0: none yet, or the cast started
    /// again since).
    last_picture: u64,
    /// Changes-only: the bytes of the last frame delivered, when changes are found by
    /// comparing.
    baseline: Option<Vec<u8>>,
    /// The next frame's sequence number.
    sequence: u64,
    /// Ticks and pictures missed since the last frame delivered.
    missed: u64,
    /// How many times the cast was started for the first picture (see `next_frame`).
    starts: usize,
}

impl<'a> PipeWireStream<'a> {
    /// A stream of `region` on `placed` through `capture`'s cast of it, paced by `period`
    /// (as fast as the compositor sends when `None`), as `options` say.
    pub(crate) fn new(
        capture: &'a mut dyn Casts,
        placed: Placed,
        region: Region,
        period: Option<Duration>,
        options: &StreamOptions,
    ) -> Self {
        let cursor_before = capture.draws_cursor();
        capture.set_draws_cursor(options.with_cursor);
        Self {
            capture,
            placed,
            region,
            pacer: Pacer::new(period, Instant::now()),
            fixed_rate: period.is_some(),
            changes_only: options.changes_only,
            use_damage: options.use_damage,
            cursor_before,
            last_picture: 0,
            baseline: None,
            sequence: 0,
            missed: 0,
            starts: 1,
        }
    }

    /// The changes of picture `picture` since the last delivered, from damage metadata, in
    /// screen coordinates clipped to the region; `None` when not known.
    fn damage_since_last(&self, picture: u64, size: (u32, u32)) -> Option<Vec<Region>> {
        if !self.use_damage || self.last_picture == 0 {
            return None;
        }
        let cast = self.capture.running_cast(&self.placed.connector)?;
        let damage = cast.damage_between(self.last_picture, picture)?;
        Some(on_screen(&damage, self.placed.region(), size, self.region))
    }

    /// Waits for the next tick, or `None` when it falls after `deadline` (having slept until
    /// the deadline).
    fn tick_before(&mut self, deadline: Option<Instant>) -> Option<Instant> {
        let due = self.pacer.due(Instant::now());
        if let Some(deadline) = deadline.filter(|&deadline| due > deadline) {
            sleep_until(deadline);
            return None;
        }
        sleep_until(due);
        let now = Instant::now();
        self.missed += self.pacer.take(now);
        Some(now)
    }
}

impl FrameStream for PipeWireStream<'_> {
    fn next_frame_before(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<Option<StreamFrame>, Error> {
        loop {
            let placed = self.placed.clone();
            let waits_for_a_new_picture = self.changes_only || !self.fixed_rate;
            // The first picture of a cast is waited for within the capturer's timeout; later
            // ones as long as the caller's deadline allows (the screen may stay still).
            let first = self.last_picture == 0;
            let limit = if first {
                match (deadline, self.capture.deadline()) {
                    (Some(caller), Some(own)) => Some(caller.min(own)),
                    (caller, own) => caller.or(own),
                }
            } else {
                deadline
            };
            // A cast silent from its start (its first buffer lost, a still screen) is started
            // again after a grace, as a grab does, within the same limit.
            let retry = first
                && self.starts < FIRST_PICTURE_STARTS
                && self.capture.cast(&placed)?.pictures() == 0;
            let wait_until = if retry {
                let grace = Instant::now() + FIRST_BUFFER_GRACE;
                Some(limit.map_or(grace, |limit| limit.min(grace)))
            } else {
                limit
            };
            let outcome = if waits_for_a_new_picture {
                self.capture
                    .cast(&placed)?
                    .newer_than(self.last_picture, wait_until)
            } else {
                match self.tick_before(deadline) {
                    None => return Ok(None),
                    Some(_) => self.capture.cast(&placed)?.newest(wait_until).map(Some),
                }
            };
            let picture = match outcome {
                Ok(Some(picture)) => picture,
                Ok(None) | Err(CastError::TimedOut(_))
                    if retry && limit.is_none_or(|limit| Instant::now() < limit) =>
                {
                    self.capture.restart(&placed.connector);
                    self.starts += 1;
                    continue;
                }
                Ok(None) | Err(CastError::TimedOut(_)) => {
                    let callers_deadline_passed =
                        deadline.is_some_and(|caller| Instant::now() >= caller);
                    if first && !callers_deadline_passed {
                        // The capturer's own limit on a cast's first picture passed first.
                        let waiting = match outcome {
                            Err(CastError::TimedOut(waiting)) => waiting,
                            _ => "the first frame".to_owned(),
                        };
                        let error = CastError::TimedOut(waiting);
                        return Err(self.capture.cast_error(&placed, error));
                    }
                    return Ok(None);
                }
                Err(CastError::Starved) => {
                    // Only a fresh start is sure to show the screen as it is.
                    self.capture.restart(&placed.connector);
                    self.last_picture = 0;
                    continue;
                }
                Err(error) => return Err(self.capture.cast_error(&placed, error)),
            };
            let captured_at = if waits_for_a_new_picture && self.fixed_rate {
                // Changes-only at a rate: the new picture is handed out at the next tick.
                match self.tick_before(deadline) {
                    Some(now) => now,
                    None => return Ok(None),
                }
            } else {
                Instant::now()
            };
            let repeated = picture.sequence == self.last_picture;
            let size = (picture.width, picture.height);
            let damage = if repeated {
                Some(Vec::new())
            } else {
                self.damage_since_last(picture.sequence, size)
            };
            let sequence_of_picture = picture.sequence;
            let frame = self.capture.frame_of(picture, self.region, &placed)?;
            if self.changes_only && self.sequence > 0 {
                let unchanged = match &damage {
                    Some(rectangles) => rectangles.is_empty(),
                    None => {
                        let packed: Vec<u8> = frame.rows().flatten().copied().collect();
                        let unchanged = self.baseline.as_ref() == Some(&packed);
                        self.baseline = Some(packed);
                        unchanged
                    }
                };
                if unchanged {
                    self.last_picture = sequence_of_picture;
                    self.missed += 1;
                    continue;
                }
            } else if self.changes_only {
                self.baseline = Some(frame.rows().flatten().copied().collect());
            }
            let changes = match (self.sequence, damage) {
                (0, _) => Changes::Unknown,
                (_, Some(rectangles)) => Changes::Rectangles(rectangles),
                (_, None) => Changes::Unknown,
            };
            self.last_picture = sequence_of_picture;
            let sequence = self.sequence;
            self.sequence += 1;
            return Ok(Some(StreamFrame::new(
                frame,
                sequence,
                captured_at,
                changes,
                std::mem::take(&mut self.missed),
            )));
        }
    }

    fn describe(&self) -> String {
        let pace = if self.fixed_rate {
            "the newest frame at each tick"
        } else {
            "frames as the compositor sends them (one when the screen changed)"
        };
        let changes = if self.changes_only {
            "changes-only, found from damage metadata when the compositor sends it, else by \
             comparing frames"
        } else {
            "changes from damage metadata when the compositor sends it"
        };
        format!(
            "pipewire: {} of monitor {} through PipeWire, zero-copy, {pace}; {changes}",
            self.capture.method(),
            self.placed.connector
        )
    }
}

impl Drop for PipeWireStream<'_> {
    fn drop(&mut self) {
        self.capture.set_draws_cursor(self.cursor_before);
    }
}

/// Damage rectangles in a picture of `size` pixels of `monitor` (screen coordinates), as
/// screen rectangles clipped to `region`: scaled outward to whole screen units.
pub(crate) fn on_screen(
    damage: &[Damage],
    monitor: Region,
    size: (u32, u32),
    region: Region,
) -> Vec<Region> {
    let scale = |value: i64, pixels: u32, units: u32, up: bool| -> i64 {
        let scaled = value.saturating_mul(i64::from(units));
        let pixels = i64::from(pixels.max(1));
        if up {
            scaled.saturating_add(pixels - 1).div_euclid(pixels)
        } else {
            scaled.div_euclid(pixels)
        }
    };
    let mut rectangles: Vec<Region> = Vec::new();
    for rectangle in damage {
        let (x, y) = (i64::from(rectangle.x), i64::from(rectangle.y));
        let right = x.saturating_add(i64::from(rectangle.width));
        let bottom = y.saturating_add(i64::from(rectangle.height));
        let left = i64::from(monitor.left()) + scale(x, size.0, monitor.width(), false);
        let top = i64::from(monitor.top()) + scale(y, size.1, monitor.height(), false);
        let right = i64::from(monitor.left()) + scale(right, size.0, monitor.width(), true);
        let bottom = i64::from(monitor.top()) + scale(bottom, size.1, monitor.height(), true);
        let clip = |value: i64, low: i32, high: i32| value.clamp(i64::from(low), i64::from(high));
        let (left, right) = (
            clip(left, region.left(), region.right()),
            clip(right, region.left(), region.right()),
        );
        let (top, bottom) = (
            clip(top, region.top(), region.bottom()),
            clip(bottom, region.top(), region.bottom()),
        );
        if let Ok(clipped) = Region::from_signed(left, top, right - left, bottom - top)
            && !rectangles.contains(&clipped)
        {
            rectangles.push(clipped);
        }
    }
    rectangles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn damage(x: i32, y: i32, width: u32, height: u32) -> Damage {
        Damage {
            x,
            y,
            width,
            height,
        }
    }

    fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
        Region::new(left, top, width, height).unwrap()
    }

    #[test]
    fn damage_lands_on_the_screen_clipped_to_the_region() {
        let monitor = region(100, 0, 640, 480);
        let streamed = region(110, 10, 100, 100);
        // Scale 1: moved by the monitor's place, clipped to the region, outside dropped.
        assert_eq!(
            on_screen(
                &[
                    damage(5, 5, 20, 20),
                    damage(300, 300, 5, 5),
                    damage(5, 5, 20, 20)
                ],
                monitor,
                (640, 480),
                streamed
            ),
            [region(110, 10, 15, 15)]
        );
        // Scale 2: halved, outward.
        assert_eq!(
            on_screen(&[damage(21, 21, 3, 3)], monitor, (1280, 960), streamed),
            [region(110, 10, 2, 2)]
        );
        // Hostile values saturate and clip.
        assert_eq!(
            on_screen(
                &[damage(i32::MIN, i32::MIN, u32::MAX, u32::MAX)],
                monitor,
                (640, 480),
                streamed
            ),
            [streamed]
        );
    }
}
