//! [`Cast`]: one monitor's screen cast, consumed: a PipeWire stream connected to the node the
//! source started, a thread that takes every frame as it comes, and the newest picture, which
//! grabs and streams hand out.
//!
//! # The newest picture
//!
//! A screen cast sends a frame when something on the monitor changed (mutter records the
//! stage after a repaint), and nothing while the screen is still. So the cast keeps the
//! newest picture, whatever the capturer is doing: its thread dequeues every frame as soon as
//! PipeWire hands it over, and replaces the newest with it; the one before goes back to the
//! producer at once unless frames still hold it. A grab on an idle screen then answers at
//! once with the newest picture, which is the screen as it is.
//!
//! # The first picture
//!
//! A picture is accepted only when it was recorded at or after the moment the cast was
//! started (its header's timestamp, `CLOCK_MONOTONIC`, against the time taken just before
//! `Start`): mutter's first recording after `Start` paints the whole stage as it is then, so
//! it shows everything shown before the cast began. A grab waits for that first picture, up
//! to its deadline. The same rule holds after the stream was paused: pictures must be
//! recorded after it resumed. (A picture without a header is accepted as it comes.)
//!
//! # Buffers frames hold
//!
//! The producer needs a free buffer to record a change; without one, mutter drops the frame
//! and sends nothing more until the next change, so the newest picture would be stale. So a
//! new frame over the newest picture is refused ([`Error::BuffersExhausted`]) when the
//! buffers frames hold would then leave the producer fewer than three (the newest, one in
//! flight, one free): frames may hold `buffers - 3` buffers besides the newest. Should the
//! producer still run out (pictures arriving faster than they are taken), the cast says it
//! was starved, and the capturer starts it again, since only a fresh start is sure to show
//! the screen as it is.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mss_libpipewire::{Stream, StreamEvent, StreamFlags, StreamState};
use mss_memfd::ForeignMemory;
use mss_spa_pod::VideoFormatInfo;
use mss_spa_pod::ids::param;

use crate::picture::{Damage, Intake, NotAPicture, Picture, pixel_format};
use crate::pipewire::{self, PipeWire};
use crate::pointer::Pointer;

/// How long the cast's thread waits for an event before looking again (it is woken at once
/// to stop; this only bounds a wait that nothing ends).
const EVENT_WAIT: Duration = Duration::from_secs(3600);

/// How many recent pictures' damage is kept, for streams that take more than one picture's
/// changes at once.
const DAMAGE_HISTORY: usize = 64;

/// How long a cast may stay silent after its start before it is started again: mutter sends
/// its first buffer within tens of milliseconds of the start, and PipeWire 0.3 can lose that
/// buffer (the consumer's `Start` resets the link's hand-over), after which a still screen
/// sends nothing.
pub(crate) const FIRST_BUFFER_GRACE: Duration = Duration::from_secs(2);

/// How many times a grab or a stream starts a monitor's cast that sent no picture within
/// [`FIRST_BUFFER_GRACE`], the last start waiting until the deadline.
pub(crate) const FIRST_PICTURE_STARTS: usize = 3;

/// What a cast is read for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CastKind {
    /// Frames, the newest kept as a picture (the pointer hidden or drawn in).
    Frames,
    /// Frames, and the pointer from the cursor metadata of every buffer.
    FramesAndPointer,
    /// The pointer only: buffers are read for their cursor metadata and given back at once
    /// (no frame is mapped or kept), and the producer is asked for few of them.
    Pointer,
    /// Asked for as [`Frames`](Self::Frames), every buffer given back unread: what a cast
    /// whose first buffer PipeWire lost looks like on a still screen (tests only, through
    /// `PipeWireOptions::lose_frames_of_first_casts`).
    LostFrames,
}

impl CastKind {
    fn reads_pointer(self) -> bool {
        matches!(self, CastKind::FramesAndPointer | CastKind::Pointer)
    }

    fn reads_frames(self) -> bool {
        self != CastKind::Pointer
    }
}

/// Why a cast gives no picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CastError {
    /// The stream failed, or PipeWire dropped it with an error (PipeWire went away): the
    /// text says what happened. PipeWire's connection cannot be used any more.
    Failed(String),
    /// The stream ended without an error: the producer stopped the cast or went away.
    Ended(String),
    /// The producer ran out of free buffers, so a change may be missing from the newest
    /// picture: the cast must be started again.
    Starved,
    /// Handing out another frame would let frames hold more buffers than `limit`.
    Exhausted {
        /// How many buffers (besides the newest) frames may hold.
        limit: usize,
    },
    /// Nothing came before the deadline; the text says what the cast was waiting in.
    TimedOut(String),
}

/// What the cast's thread and the capturer share.
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// Pictures of this cast alive (the newest, those frames hold, one being made).
    live: Arc<AtomicUsize>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[derive(Default)]
struct State {
    /// The newest picture.
    newest: Option<Arc<Picture>>,
    /// Pictures accepted so far (the newest's sequence number).
    pictures: u64,
    /// The negotiated format, while there is one.
    format: Option<VideoFormatInfo>,
    /// Buffers the stream has (added and not removed).
    buffers: usize,
    /// The stream's state.
    stream_state: Option<StreamState>,
    /// Pictures are accepted from this `CLOCK_MONOTONIC` time on.
    accept_from: i64,
    /// Why the stream ended, once it has.
    ended: Option<CastError>,
    /// The producer ran out of free buffers.
    starved: bool,
    /// The last buffer refused, and why (for a timeout's message).
    refused: Option<String>,
    /// Recent pictures' damage, by sequence number (`None`: the picture said nothing).
    damage: VecDeque<(u64, Option<Vec<Damage>>)>,
    /// What the newest cursor metadata said, once a buffer carried some (casts that asked
    /// for it only).
    pointer: Option<Pointer>,
    /// A buffer came without cursor metadata, though the cast asked for it: the producer
    /// does not send it.
    no_pointer_metadata: bool,
}

impl State {
    /// In words, what a wait for a picture is stuck on.
    fn waiting_in(&self) -> String {
        let mut words = match (self.stream_state, self.format) {
            (None | Some(StreamState::Unconnected | StreamState::Connecting), _) => {
                "the PipeWire stream being connected".to_owned()
            }
            (Some(StreamState::Paused), None) => "a format being agreed".to_owned(),
            (Some(StreamState::Paused), Some(_)) => {
                "the PipeWire stream, which is paused, being started".to_owned()
            }
            _ if self.buffers == 0 => "buffers from the producer".to_owned(),
            _ => "a frame from the producer".to_owned(),
        };
        if let Some(refused) = &self.refused {
            words.push_str(&format!(" (the last buffer was refused: {refused})"));
        }
        words
    }
}

/// One monitor's screen cast; see the [module docs](self).
pub(crate) struct Cast {
    /// What keeps the source's cast going (mutter's session, stopped when dropped).
    keep: Option<Box<dyn Send>>,
    /// The stream (`None` only while the cast is dropped).
    stream: Option<Arc<Stream>>,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Cast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.shared.state();
        f.debug_struct("Cast")
            .field("pictures", &state.pictures)
            .field("buffers", &state.buffers)
            .field("ended", &state.ended)
            .finish_non_exhaustive()
    }
}

impl Cast {
    /// Connects a stream to `node` on `pipewire`, offering `size` as the preferred frame
    /// size, and starts taking its frames; pictures recorded before `started_at`
    /// (`CLOCK_MONOTONIC` nanoseconds) are not accepted. `keep` is held as long as the cast.
    /// `kind` says what it is read for: with the pointer, the stream asks for cursor metadata
    /// and the cast keeps what it says ([`pointer`](Self::pointer)).
    ///
    /// # Errors
    ///
    /// The text of libpipewire's refusal.
    pub(crate) fn connect(
        pipewire: &PipeWire,
        node: u32,
        size: (u32, u32),
        started_at: i64,
        keep: Box<dyn Send>,
        kind: CastKind,
    ) -> Result<Self, String> {
        let stream = Stream::new(
            &pipewire.core,
            "mss-rs screen capture",
            &[
                ("media.type", "Video"),
                ("media.category", "Capture"),
                ("media.role", "Screen"),
            ],
        )
        .map_err(|error| error.to_string())?;
        let stream = Arc::new(stream);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                accept_from: started_at,
                ..State::default()
            }),
            changed: Condvar::new(),
            live: Arc::new(AtomicUsize::new(0)),
        });
        let stop = Arc::new(AtomicBool::new(false));
        // The thread first, so no event is missed: it reads what connecting records.
        let thread = {
            let (stream, shared, stop) =
                (Arc::clone(&stream), Arc::clone(&shared), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("mss-pipewire-cast".to_owned())
                .spawn(move || Taker::new(stream, shared, stop, kind).run())
                .map_err(|error| format!("starting the cast's thread: {error}"))?
        };
        let connected = stream
            .connect(
                Some(node),
                StreamFlags::AUTOCONNECT | StreamFlags::DONT_RECONNECT,
                &[pipewire::enum_format(size)],
                pipewire::after_format(kind.reads_pointer(), kind.reads_frames()),
            )
            .map_err(|error| error.to_string());
        let cast = Self {
            keep: Some(keep),
            stream: Some(stream),
            shared,
            stop,
            thread: Some(thread),
        };
        // On failure, dropping the cast stops its thread.
        connected.map(|()| cast)
    }

    /// Pictures accepted so far (0: none yet).
    pub(crate) fn pictures(&self) -> u64 {
        self.shared.state().pictures
    }

    /// The newest picture, waiting until `deadline` (`None`: without limit) for the first;
    /// with `new_frame`, checked first that one more frame may hold it.
    ///
    /// # Errors
    ///
    /// [`CastError::Ended`] once the stream ended, [`CastError::Starved`] when the producer
    /// ran out of buffers, [`CastError::Exhausted`] when frames hold all they may,
    /// [`CastError::TimedOut`] when no picture came in time.
    pub(crate) fn newest(&self, deadline: Option<Instant>) -> Result<Arc<Picture>, CastError> {
        self.wait(deadline, |state| state.newest.clone())
    }

    /// The newest picture once it is newer than picture `sequence` (0: any), waiting until
    /// `deadline` (`None`: without limit); `None` when none came by then.
    ///
    /// # Errors
    ///
    /// As [`newest`](Self::newest), but a deadline passing is `Ok(None)`.
    pub(crate) fn newer_than(
        &self,
        sequence: u64,
        deadline: Option<Instant>,
    ) -> Result<Option<Arc<Picture>>, CastError> {
        match self.wait(deadline, |state| {
            state
                .newest
                .as_ref()
                .filter(|picture| picture.sequence > sequence)
                .cloned()
        }) {
            Ok(picture) => Ok(Some(picture)),
            Err(CastError::TimedOut(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Checks that one more frame may hold `picture`, the newest or an older one: it may
    /// when frames hold it already, or when the buffers frames hold would leave the producer
    /// enough (see the [module docs](self)).
    ///
    /// # Errors
    ///
    /// [`CastError::Exhausted`] with the number of buffers frames may hold.
    pub(crate) fn may_hold(&self, picture: &Arc<Picture>) -> Result<(), CastError> {
        let state = self.shared.state();
        // Held by the cast (as the newest) and by the caller's reference: no frame yet.
        let references = Arc::strong_count(picture);
        let held_by_frames = match &state.newest {
            Some(newest) if Arc::ptr_eq(newest, picture) => references > 2,
            _ => references > 1,
        };
        if held_by_frames {
            return Ok(());
        }
        let limit = state.buffers.saturating_sub(3).max(1);
        // Alive besides the newest: what frames hold (this one among them, once handed out).
        let others = self.shared.live.load(Ordering::SeqCst).saturating_sub(1);
        let newest_is_it = state
            .newest
            .as_ref()
            .is_some_and(|newest| Arc::ptr_eq(newest, picture));
        let after = if newest_is_it { others + 1 } else { others };
        if after > limit {
            return Err(CastError::Exhausted { limit });
        }
        Ok(())
    }

    /// The damage of pictures `after + 1` to `upto`, in their pixels; `None` when a picture
    /// among them said nothing or is no longer known.
    pub(crate) fn damage_between(&self, after: u64, upto: u64) -> Option<Vec<Damage>> {
        let state = self.shared.state();
        let mut rectangles = Vec::new();
        for sequence in after + 1..=upto {
            let (_, damage) = state.damage.iter().find(|(known, _)| *known == sequence)?;
            rectangles.extend_from_slice(damage.as_deref()?);
        }
        Some(rectangles)
    }

    /// What the newest cursor metadata says, waiting until `deadline` (`None`: without
    /// limit) for the first buffer; `Ok(None)` when buffers come without it (the producer
    /// does not send the pointer as metadata).
    ///
    /// # Errors
    ///
    /// As [`newest`](Self::newest).
    pub(crate) fn pointer(&self, deadline: Option<Instant>) -> Result<Option<Pointer>, CastError> {
        self.wait(deadline, |state| {
            match (&state.pointer, state.no_pointer_metadata) {
                (Some(pointer), _) => Some(Some(pointer.clone())),
                (None, true) => Some(None),
                (None, false) => None,
            }
        })
    }

    /// The buffers the stream has.
    pub(crate) fn buffers(&self) -> usize {
        self.shared.state().buffers
    }

    /// Waits until `ready` finds something, the stream ended or starved, or `deadline`.
    fn wait<T>(
        &self,
        deadline: Option<Instant>,
        mut ready: impl FnMut(&State) -> Option<T>,
    ) -> Result<T, CastError> {
        let mut state = self.shared.state();
        loop {
            if let Some(ended) = &state.ended {
                return Err(ended.clone());
            }
            if state.starved {
                return Err(CastError::Starved);
            }
            if let Some(found) = ready(&state) {
                return Ok(found);
            }
            state = match deadline {
                None => self
                    .shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(CastError::TimedOut(state.waiting_in()));
                    }
                    self.shared
                        .changed
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }
}

impl Drop for Cast {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(stream) = &self.stream {
            stream.interrupt();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // The newest picture goes first (queued back if nothing holds it), then the stream,
        // here on the capturer's thread (the cast's thread, which shared it, has ended), and
        // the source's cast last, once nothing reads it.
        let newest = self.shared.state().newest.take();
        drop(newest);
        drop(self.stream.take());
        drop(self.keep.take());
    }
}

/// The cast's thread: takes every event and frame of the stream as it comes.
struct Taker {
    stream: Arc<Stream>,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    /// Each buffer's mapping, made once, forgotten when the buffer is removed.
    mappings: HashMap<u64, Arc<ForeignMemory>>,
    /// The stream has been connected (an `Unconnected` state after it is the end).
    connected: bool,
    /// What the cast is read for.
    kind: CastKind,
}

impl Taker {
    fn new(
        stream: Arc<Stream>,
        shared: Arc<Shared>,
        stop: Arc<AtomicBool>,
        kind: CastKind,
    ) -> Self {
        Self {
            stream,
            shared,
            stop,
            kind,
            mappings: HashMap::new(),
            connected: false,
        }
    }

    fn run(mut self) {
        while !self.stop.load(Ordering::SeqCst) {
            match self.stream.next_event(EVENT_WAIT) {
                Ok(Some(event)) => self.handle(event),
                Ok(None) => {}
                Err(error) => {
                    self.end(format!("reading the stream's events failed: {error}"));
                    return;
                }
            }
        }
    }

    fn end(&self, reason: String) {
        let old = {
            let mut state = self.shared.state();
            state.ended.get_or_insert(CastError::Failed(reason));
            state.newest.take()
        };
        self.shared.changed.notify_all();
        drop(old);
    }

    fn handle(&mut self, event: StreamEvent) {
        match event {
            StreamEvent::StateChanged { new, error, .. } => self.state_changed(new, error),
            StreamEvent::ParamChanged {
                id: param::FORMAT,
                pod,
            } => self.format_changed(pod.as_deref()),
            StreamEvent::BufferAdded { .. } => {
                self.shared.state().buffers += 1;
            }
            StreamEvent::BufferRemoved { id } => {
                self.mappings.remove(&id);
                let mut state = self.shared.state();
                state.buffers = state.buffers.saturating_sub(1);
            }
            StreamEvent::Process => self.take_frames(),
            _ => {}
        }
    }

    fn state_changed(&mut self, new: StreamState, error: Option<String>) {
        let old_newest = {
            let mut state = self.shared.state();
            let was_streaming = state.stream_state == Some(StreamState::Streaming);
            state.stream_state = Some(new);
            match new {
                StreamState::Error => {
                    state.ended.get_or_insert(CastError::Failed(format!(
                        "the PipeWire stream failed: {}",
                        error.as_deref().unwrap_or("no reason given")
                    )));
                    state.newest.take()
                }
                StreamState::Unconnected if self.connected => {
                    state.ended.get_or_insert(match error {
                        Some(error) => {
                            CastError::Failed(format!("PipeWire disconnected the stream: {error}"))
                        }
                        None => CastError::Ended(
                            "the screen cast ended: its producer stopped it or went away"
                                .to_owned(),
                        ),
                    });
                    state.newest.take()
                }
                StreamState::Paused if was_streaming => {
                    // Not running: the newest picture may miss changes from now on, and
                    // pictures must be recorded after the stream runs again.
                    state.accept_from = crate::clock::monotonic_nanoseconds();
                    state.newest.take()
                }
                StreamState::Connecting | StreamState::Paused | StreamState::Streaming => {
                    self.connected = true;
                    None
                }
                _ => None,
            }
        };
        self.shared.changed.notify_all();
        drop(old_newest);
    }

    fn format_changed(&mut self, pod: Option<&[u8]>) {
        let parsed = pod.map(VideoFormatInfo::parse);
        let mut state = self.shared.state();
        match parsed {
            None => state.format = None,
            Some(Ok(format))
                if format.modifier.is_none() && pixel_format(format.format).is_some() =>
            {
                state.format = Some(format);
            }
            Some(Ok(format)) => {
                state.ended.get_or_insert(CastError::Failed(format!(
                    "the producer chose a format that was not offered: {format:?}"
                )));
            }
            Some(Err(error)) => {
                state.ended.get_or_insert(CastError::Failed(format!(
                    "the producer's format cannot be read: {error}"
                )));
            }
        }
        drop(state);
        self.shared.changed.notify_all();
    }

    /// Dequeues every frame ready, keeps the newest picture, and gives the rest back.
    fn take_frames(&mut self) {
        while let Some(buffer) = self.stream.dequeue_buffer() {
            if self.kind.reads_pointer() {
                // Every buffer, frame or not (mutter sends the pointer's moves in buffers
                // with no frame), says where the pointer is.
                let mut state = self.shared.state();
                match buffer.cursor() {
                    Some(meta) => state.pointer.get_or_insert_default().update(meta),
                    None => state.no_pointer_metadata = true,
                }
                drop(state);
                self.shared.changed.notify_all();
            }
            if !self.kind.reads_frames() || self.kind == CastKind::LostFrames {
                // Given back to the producer at once.
                continue;
            }
            let (format, accept_from, sequence) = {
                let state = self.shared.state();
                (state.format, state.accept_from, state.pictures + 1)
            };
            let Some(format) = format else {
                continue;
            };
            let intake = Intake {
                format,
                accept_from,
                mappings: &mut self.mappings,
                live: &self.shared.live,
                sequence,
            };
            let picture = match intake.picture(buffer) {
                Ok(picture) => picture,
                Err(NotAPicture::Empty | NotAPicture::Early) => continue,
                Err(NotAPicture::Unusable(reason)) => {
                    self.shared.state().refused = Some(reason);
                    continue;
                }
            };
            let old = {
                let mut state = self.shared.state();
                // Every buffer out of the producer's hands at once: it had none left to
                // record a change into since it sent this one.
                if self.shared.live.load(Ordering::SeqCst) >= state.buffers {
                    state.starved = true;
                }
                state.pictures = sequence;
                state.damage.push_back((sequence, picture.damage.clone()));
                if state.damage.len() > DAMAGE_HISTORY {
                    state.damage.pop_front();
                }
                state.refused = None;
                state.newest.replace(Arc::new(picture))
            };
            self.shared.changed.notify_all();
            // Given back to the producer (unless frames hold it), outside the lock.
            drop(old);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_says_what_it_waits_for() {
        let mut state = State::default();
        assert_eq!(state.waiting_in(), "the PipeWire stream being connected");
        state.stream_state = Some(StreamState::Paused);
        assert_eq!(state.waiting_in(), "a format being agreed");
        state.stream_state = Some(StreamState::Streaming);
        assert_eq!(state.waiting_in(), "buffers from the producer");
        state.buffers = 8;
        state.refused = Some("a buffer without data".to_owned());
        assert_eq!(
            state.waiting_in(),
            "a frame from the producer (the last buffer was refused: a buffer without data)"
        );
    }
}
