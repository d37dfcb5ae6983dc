//! Streaming capture: frames one after another, at a rate, optionally only when something
//! changed.
//!
//! [`Capture::stream`] opens a [`FrameStream`] from
//! [`StreamOptions`]; each [`StreamFrame`] carries the frame, its sequence number, when it was
//! captured, what changed since the previous frame delivered, and how many frames were dropped
//! or skipped before it. Every backend can stream: the default ([`GrabStream`]) calls
//! [`grab`](crate::Capture::grab) at the pace asked for. Backends make it faster where their
//! display allows (the MIT-SHM backend keeps several captures in flight and copies only what
//! changed).

use std::fmt;
use std::time::{Duration, Instant};

use crate::{Capture, Error, Frame, Region};

/// What a stream captures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamTarget {
    /// The whole screen, as it is when the stream opens.
    Screen,
    /// Monitor `number`, numbered as [`Monitors::get`](crate::Monitors::get) numbers them.
    Monitor(i64),
    /// A region of the screen.
    Region(Region),
    /// A window, by id ([`Capture::windows`]): its whole contents, following it as it moves
    /// and resizes.
    Window(u64),
}

/// How often a stream delivers frames.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum Rate {
    /// Each frame as soon as the last was taken.
    AsFastAsPossible,
    /// This many frames a second, on a steady cadence against the monotonic clock: ticks fall
    /// at `start + n / rate` whatever the consumer does, so there is no drift. A tick whose
    /// frame cannot be taken in time (the consumer is slower) is dropped and counted, never
    /// queued.
    PerSecond(f64),
}

/// The settings of a stream.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct StreamOptions {
    /// What to capture.
    pub target: StreamTarget,
    /// How often.
    pub rate: Rate,
    /// How many captures may be under way at once (at least 1): with 2 or more, the next
    /// capture is asked for before the current frame is handed over, so the display server's
    /// copy overlaps the consumer's work. Backends that cannot pipeline treat every value as 1.
    /// Bounded by the backend's buffers.
    pub in_flight: usize,
    /// Deliver a frame only when something changed since the last one delivered (the first
    /// frame is always delivered). Ticks with nothing new are skipped and counted.
    pub changes_only: bool,
    /// Use the display's change tracking (X11 DAMAGE) where it has one. Turn it off for a
    /// driver known to report badly: changes are then found by comparing frames.
    pub use_damage: bool,
    /// Draw the mouse pointer onto each frame ([`crate::cursor`]). A frame the pointer is
    /// drawn on is a copy, so the backend's buffers are never written.
    pub with_cursor: bool,
}

impl StreamOptions {
    /// The whole screen, as fast as possible, two captures in flight, every frame, damage
    /// tracking where available.
    pub fn new() -> Self {
        Self {
            target: StreamTarget::Screen,
            rate: Rate::AsFastAsPossible,
            in_flight: 2,
            changes_only: false,
            use_damage: true,
            with_cursor: false,
        }
    }

    /// Sets [`target`](Self::target).
    #[must_use]
    pub fn target(mut self, target: StreamTarget) -> Self {
        self.target = target;
        self
    }

    /// Sets [`rate`](Self::rate).
    #[must_use]
    pub fn rate(mut self, rate: Rate) -> Self {
        self.rate = rate;
        self
    }

    /// Sets [`in_flight`](Self::in_flight); values below 1 count as 1.
    #[must_use]
    pub fn in_flight(mut self, in_flight: usize) -> Self {
        self.in_flight = in_flight.max(1);
        self
    }

    /// Sets [`changes_only`](Self::changes_only).
    #[must_use]
    pub fn changes_only(mut self, changes_only: bool) -> Self {
        self.changes_only = changes_only;
        self
    }

    /// Sets [`use_damage`](Self::use_damage).
    #[must_use]
    pub fn use_damage(mut self, use_damage: bool) -> Self {
        self.use_damage = use_damage;
        self
    }

    /// Sets [`with_cursor`](Self::with_cursor).
    #[must_use]
    pub fn with_cursor(mut self, with_cursor: bool) -> Self {
        self.with_cursor = with_cursor;
        self
    }

    /// The region the target names on `capture`'s display now.
    ///
    /// # Errors
    ///
    /// [`Error::MonitorNotFound`] for a monitor that does not exist,
    /// [`Error::WindowUnavailable`] for a window that is not listed, and the errors of
    /// [`Capture::screen`], [`Capture::monitors`] and [`Capture::windows`].
    pub fn target_region<C: Capture + ?Sized>(&self, capture: &mut C) -> Result<Region, Error> {
        match self.target {
            StreamTarget::Screen => Ok(capture.screen()?.region()),
            StreamTarget::Monitor(number) => capture.monitors()?.get(number),
            StreamTarget::Region(region) => Ok(region),
            StreamTarget::Window(id) => {
                let display = capture.screen()?.display;
                capture
                    .windows()?
                    .into_iter()
                    .find(|window| window.id == id)
                    .map(|window| window.region)
                    .ok_or(Error::WindowUnavailable {
                        display,
                        window: id,
                        problem: crate::WindowProblem::Gone,
                    })
            }
        }
    }

    /// The rate checked: a [`Rate::PerSecond`] must be finite and above zero.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRate`] naming the rate.
    pub fn period(&self) -> Result<Option<Duration>, Error> {
        match self.rate {
            Rate::AsFastAsPossible => Ok(None),
            Rate::PerSecond(rate) if rate.is_finite() && rate > 0.0 => {
                Duration::try_from_secs_f64(1.0 / rate)
                    .map(Some)
                    .map_err(|_| Error::InvalidRate { rate })
            }
            Rate::PerSecond(rate) => Err(Error::InvalidRate { rate }),
        }
    }
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// What changed since the previous frame delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Changes {
    /// These rectangles (screen coordinates, inside the frame) hold every pixel that changed;
    /// empty when nothing did. They may cover a little more than what changed, never less.
    Rectangles(Vec<Region>),
    /// Not known: treat the whole frame as changed. Always the case for a stream's first
    /// frame.
    Unknown,
}

impl Changes {
    /// Whether the frame may differ from the previous one.
    pub fn any(&self) -> bool {
        match self {
            Changes::Rectangles(rectangles) => !rectangles.is_empty(),
            Changes::Unknown => true,
        }
    }
}

/// One frame of a stream.
#[non_exhaustive]
pub struct StreamFrame {
    /// The pixels.
    pub frame: Frame,
    /// 0 for the first frame delivered, then 1, 2, ... with no gaps.
    pub sequence: u64,
    /// When the capture was taken (asked of the display server), on the monotonic clock.
    pub captured_at: Instant,
    /// What changed since the previous frame delivered.
    pub changes: Changes,
    /// Ticks of the rate since the previous frame delivered that gave no frame: dropped
    /// because the consumer was late, or skipped because nothing changed.
    pub missed: u64,
}

impl StreamFrame {
    /// A frame of a stream.
    pub fn new(
        frame: Frame,
        sequence: u64,
        captured_at: Instant,
        changes: Changes,
        missed: u64,
    ) -> Self {
        Self {
            frame,
            sequence,
            captured_at,
            changes,
            missed,
        }
    }
}

impl fmt::Debug for StreamFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamFrame")
            .field("region", &self.frame.region())
            .field("sequence", &self.sequence)
            .field("changes", &self.changes)
            .field("missed", &self.missed)
            .finish_non_exhaustive()
    }
}

/// Frames one after another; opened by [`Capture::stream`].
///
/// Object safe, like [`Capture`]. Frames may be held: a stream never writes into memory a
/// held frame shows, and when every buffer is held it fails with
/// [`Error::BuffersExhausted`] rather than waiting.
pub trait FrameStream: Send {
    /// The next frame, or `None` if none came before `deadline` (with
    /// [`StreamOptions::changes_only`] on an idle screen, say). `None` as the deadline waits as
    /// long as it takes.
    ///
    /// # Errors
    ///
    /// The backend's capture errors; [`Error::BuffersExhausted`] when held frames hold every
    /// buffer.
    fn next_frame_before(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<Option<StreamFrame>, Error>;

    /// The next frame, waiting as long as it takes.
    ///
    /// # Errors
    ///
    /// As [`next_frame_before`](Self::next_frame_before).
    fn next_frame(&mut self) -> Result<StreamFrame, Error> {
        loop {
            if let Some(frame) = self.next_frame_before(None)? {
                return Ok(frame);
            }
        }
    }

    /// How the stream captures, in words (`MIT-SHM, 2 in flight, changes from DAMAGE`), and
    /// why not faster where it could be.
    fn describe(&self) -> String;
}

/// The ticks of a rate: when the next frame is due, and how many were missed.
///
/// Ticks fall at `start + n * period`. Taking a frame at a tick that was already late counts
/// the ticks passed over; the next tick is always in the future, so a slow consumer never
/// builds a queue.
#[derive(Clone, Debug)]
pub struct Pacer {
    period: Option<Duration>,
    start: Instant,
    next: u64,
}

impl Pacer {
    /// A pacer starting now (`period` `None`: as fast as possible).
    pub fn new(period: Option<Duration>, start: Instant) -> Self {
        Self {
            period,
            start,
            next: 0,
        }
    }

    /// When the next tick falls (`now` for as fast as possible).
    pub fn due(&self, now: Instant) -> Instant {
        match self.period {
            None => now,
            Some(period) => self.tick_time(self.next, period),
        }
    }

    /// Takes the tick due at or before `now`, returning how many earlier ticks were passed over
    /// (0 when on time).
    pub fn take(&mut self, now: Instant) -> u64 {
        let Some(period) = self.period else {
            self.next += 1;
            return 0;
        };
        let elapsed = now.saturating_duration_since(self.start);
        let current = (elapsed.as_nanos() / period.as_nanos().max(1)) as u64;
        let missed = current.saturating_sub(self.next);
        self.next = current.max(self.next) + 1;
        missed
    }

    fn tick_time(&self, tick: u64, period: Duration) -> Instant {
        let nanos = period.as_nanos().saturating_mul(u128::from(tick));
        self.start + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// The default stream of every backend: [`grab`](Capture::grab) at each tick.
///
/// With [`StreamOptions::changes_only`], each frame is compared with the last one delivered
/// (kept as a copy, with its place), and delivered only when its pixels or its place differ (a
/// window moved or resized is a change): the cost of a full grab and a compare per tick. Changes are [`Changes::Unknown`] except for frames found equal, which are skipped.
pub struct GrabStream<'a, C: Capture + ?Sized> {
    capture: &'a mut C,
    region: Region,
    /// A window target, grabbed with [`Capture::grab_window`].
    window: Option<u64>,
    pacer: Pacer,
    changes_only: bool,
    with_cursor: bool,
    previous: Option<(Region, Vec<u8>)>,
    sequence: u64,
    missed: u64,
}

impl<'a, C: Capture + ?Sized> GrabStream<'a, C> {
    /// A stream of `capture` with `options` (`in_flight` and `use_damage` do not apply).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRate`], and the errors of finding the target's region.
    pub fn new(capture: &'a mut C, options: &StreamOptions) -> Result<Self, Error> {
        let period = options.period()?;
        let region = options.target_region(capture)?;
        let window = match options.target {
            StreamTarget::Window(id) => Some(id),
            _ => None,
        };
        Ok(Self {
            capture,
            region,
            window,
            pacer: Pacer::new(period, Instant::now()),
            changes_only: options.changes_only,
            with_cursor: options.with_cursor,
            previous: None,
            sequence: 0,
            missed: 0,
        })
    }
}

impl<C: Capture + ?Sized> FrameStream for GrabStream<'_, C> {
    fn next_frame_before(
        &mut self,
        deadline: Option<Instant>,
    ) -> Result<Option<StreamFrame>, Error> {
        loop {
            let due = self.pacer.due(Instant::now());
            if deadline.is_some_and(|deadline| due > deadline) {
                if let Some(deadline) = deadline {
                    sleep_until(deadline);
                }
                return Ok(None);
            }
            sleep_until(due);
            self.missed += self.pacer.take(Instant::now());
            let captured_at = Instant::now();
            let mut frame = match self.window {
                Some(id) => self.capture.grab_window(id)?,
                None => self.capture.grab(self.region)?,
            };
            if self.with_cursor {
                let cursor = self.capture.cursor()?;
                crate::cursor::composite_cursor(&mut frame, &cursor);
            }
            if self.changes_only {
                let packed: Vec<u8> = frame.rows().flatten().copied().collect();
                if self.previous.as_ref().is_some_and(|(region, previous)| {
                    *region == frame.region() && *previous == packed
                }) {
                    self.missed += 1;
                    continue;
                }
                self.previous = Some((frame.region(), packed));
            }
            let sequence = self.sequence;
            self.sequence += 1;
            let missed = std::mem::take(&mut self.missed);
            return Ok(Some(StreamFrame::new(
                frame,
                sequence,
                captured_at,
                Changes::Unknown,
                missed,
            )));
        }
    }

    fn describe(&self) -> String {
        let changes = if self.changes_only {
            ", changes found by comparing frames"
        } else {
            ""
        };
        format!(
            "{}: one grab at a time{changes}",
            self.capture.backend_name()
        )
    }
}

/// Sleeps until `instant` (at once if it passed).
pub fn sleep_until(instant: Instant) {
    let left = instant.saturating_duration_since(Instant::now());
    if !left.is_zero() {
        std::thread::sleep(left);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_a_fixed_grid_and_late_ones_are_counted_not_queued() {
        let start = Instant::now();
        let period = Duration::from_millis(10);
        let mut pacer = Pacer::new(Some(period), start);
        assert_eq!(pacer.due(start), start);
        assert_eq!(pacer.take(start), 0);
        assert_eq!(pacer.due(start), start + period);
        // Taken a little late: on the grid, nothing missed.
        assert_eq!(pacer.take(start + Duration::from_millis(13)), 0);
        assert_eq!(pacer.due(start), start + 2 * period);
        // Three and a half periods late: ticks 2, 3 and 4 passed; 5 is taken; the next is 6.
        assert_eq!(pacer.take(start + Duration::from_millis(55)), 3);
        assert_eq!(pacer.due(start), start + 6 * period);
        // Early (before the tick is due) counts nothing and moves on by one.
        assert_eq!(pacer.take(start + Duration::from_millis(58)), 0);
        assert_eq!(pacer.due(start), start + 7 * period);
    }

    #[test]
    fn as_fast_as_possible_is_always_due() {
        let now = Instant::now();
        let mut pacer = Pacer::new(None, now);
        assert_eq!(pacer.due(now), now);
        assert_eq!(pacer.take(now + Duration::from_secs(5)), 0);
    }

    #[test]
    fn rates_must_be_positive_and_finite() {
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let error = StreamOptions::new()
                .rate(Rate::PerSecond(rate))
                .period()
                .unwrap_err();
            assert!(matches!(error, Error::InvalidRate { .. }), "{error:?}");
        }
        assert_eq!(
            StreamOptions::new()
                .rate(Rate::PerSecond(50.0))
                .period()
                .unwrap(),
            Some(Duration::from_millis(20))
        );
        assert_eq!(StreamOptions::new().in_flight(0).in_flight, 1);
    }

    #[test]
    fn changes_tell_whether_anything_may_differ() {
        assert!(Changes::Unknown.any());
        assert!(!Changes::Rectangles(Vec::new()).any());
        assert!(Changes::Rectangles(vec![Region::new(0, 0, 1, 1).unwrap()]).any());
    }

    #[test]
    fn streams_are_object_safe_and_send() {
        fn takes(_stream: Option<Box<dyn FrameStream + '_>>) {}
        takes(None);
        fn assert_send<T: Send + ?Sized>() {}
        assert_send::<dyn FrameStream>();
        assert_send::<StreamFrame>();
    }
}
