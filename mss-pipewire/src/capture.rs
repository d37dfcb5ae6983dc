//! [`PipeWireCapture`]: the `Capture` implementation over screen casts: monitors from the
//! source, one cast per monitor started on first use, frames cut from the newest picture of
//! a monitor's cast, regions across monitors assembled.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mss_core::assemble::{Assembly, check_frame_size};
use mss_core::stream::GrabStream;
use mss_core::{
    BackendStatus, Capture, CursorImage, Error, Frame, FrameStream, Monitors, PixelFormat, Region,
    ScreenInfo, StreamOptions, StreamTarget,
};

use crate::BACKEND_NAME;
use crate::cast::{Cast, CastError, CastKind, FIRST_BUFFER_GRACE, FIRST_PICTURE_STARTS};
use crate::layout::{self, Placed, pixels_of};
use crate::mutter::CursorMode;
use crate::picture::{Picture, Pixels};
use crate::pointer::Pointer;
use crate::session::{self, Environment};
use crate::source::{self, CastSource, Source, SourceOptions};
use crate::stream::{Casts, PipeWireStream};
use crate::token::TokenStore;

/// How many times [`Capture::cursor`] starts a monitor's cast that shows the pointer without
/// its image (see `PipeWireCapture::pointer_of`).
const POINTER_STARTS: usize = 3;

/// How long a wait on the session may take unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = mss_core::OpenOptions::DEFAULT_TIMEOUT;

/// Options of [`PipeWireCapture`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PipeWireOptions {
    /// The time each wait may take (a D-Bus call, the user's answer to the portal's dialog,
    /// a cast's first frame); `None` waits without limit.
    pub timeout: Option<Duration>,
    /// Which interface to ask for screen casts: mutter's, else the portal's, by default.
    pub source: CastSource,
    /// A restore token of the screen-cast portal to try first (one that an earlier
    /// capturer's [`PipeWireCapture::restore_token`] gave), instead of the one kept in
    /// [`token_store`](Self::token_store).
    pub restore_token: Option<String>,
    /// Where the portal's restore token is kept between runs.
    pub token_store: TokenStore,
    /// Whether the portal may be asked (it may show its dialog); `false` for a probe of what
    /// the backend would answer, which is then refused saying so.
    pub may_ask_user: bool,
    /// Tests only: the first this many frame casts the capturer starts drop every buffer
    /// unread, as a cast whose first buffer was lost looks on a still screen.
    #[doc(hidden)]
    pub lose_frames_of_first_casts: usize,
}

impl PipeWireOptions {
    /// A 10-second timeout, mutter's interface else the portal, the portal's token kept in
    /// the state directory.
    pub fn new() -> Self {
        Self {
            timeout: Some(DEFAULT_TIMEOUT),
            source: CastSource::Automatic,
            restore_token: None,
            token_store: TokenStore::StateDirectory,
            may_ask_user: true,
            lose_frames_of_first_casts: 0,
        }
    }

    /// Sets [`timeout`](Self::timeout).
    #[must_use]
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets [`source`](Self::source).
    #[must_use]
    pub fn source(mut self, source: CastSource) -> Self {
        self.source = source;
        self
    }

    /// Sets [`restore_token`](Self::restore_token).
    #[must_use]
    pub fn restore_token(mut self, token: Option<String>) -> Self {
        self.restore_token = token;
        self
    }

    /// Tests only: sets [`lose_frames_of_first_casts`](Self::lose_frames_of_first_casts).
    #[doc(hidden)]
    #[must_use]
    pub fn lose_frames_of_first_casts(mut self, casts: usize) -> Self {
        self.lose_frames_of_first_casts = casts;
        self
    }

    /// Sets [`may_ask_user`](Self::may_ask_user).
    #[must_use]
    pub fn may_ask_user(mut self, may: bool) -> Self {
        self.may_ask_user = may;
        self
    }

    /// Sets [`token_store`](Self::token_store).
    #[must_use]
    pub fn token_store(mut self, store: TokenStore) -> Self {
        self.token_store = store;
        self
    }
}

impl Default for PipeWireOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// Captures the monitors of a Wayland session through screen casts (mutter's own, or the
/// desktop portal's) and PipeWire.
///
/// See the [crate docs](crate) for what it does and how.
pub struct PipeWireCapture {
    /// The casts started, by connector (first: they go before the source, see `Drop`).
    casts: HashMap<String, Cast>,
    /// Casts read for the pointer only (sent as metadata), by connector, for
    /// [`Capture::cursor`], beside the casts of `casts`, which stay as they are (mutter only:
    /// through the portal one session has one mode, and `casts` send the pointer).
    pointer_casts: HashMap<String, Cast>,
    source: Box<dyn Source>,
    /// Monitors' pixel sizes learnt from their casts' first frames, by connector, for
    /// sources that do not say them.
    learnt_sizes: HashMap<String, (u32, u32)>,
    /// The pointer mode of the casts of `casts`: drawn into frames, hidden, or (through the
    /// portal, once the pointer was read) sent as metadata, frames as when hidden.
    cursor: CursorMode,
    display: String,
    timeout: Option<Duration>,
    /// A grab has delivered pixels.
    proven: bool,
    /// Why the capturer cannot be used any more, once it cannot.
    lost: Option<String>,
    /// Frame casts still to start as [`CastKind::LostFrames`] (tests only).
    lose_frames_of_first_casts: usize,
}

impl std::fmt::Debug for PipeWireCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeWireCapture")
            .field("display", &self.display)
            .field("casts", &self.casts)
            .field("cursor", &self.cursor)
            .field("lost", &self.lost)
            .finish_non_exhaustive()
    }
}

impl PipeWireCapture {
    /// Opens the session of `display` (a Wayland socket's name or path; the session of the
    /// environment when `None`) with the default options.
    ///
    /// # Errors
    ///
    /// As [`open_with`](Self::open_with).
    pub fn open(display: Option<&str>) -> Result<Self, Error> {
        Self::open_with(display, PipeWireOptions::new())
    }

    /// Opens the session of `display` with `options`: finds its bus and PipeWire (see the
    /// crate docs), asks mutter's screen cast when it is on the bus, else the desktop
    /// portal's (whose dialog may ask the user, once: see the crate docs on restore tokens),
    /// reads the monitors, and connects to PipeWire. mutter's casts start when a monitor is
    /// first grabbed or streamed; the portal's streams run from the start.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] when the session has no bus, when neither mutter's screen cast
    /// nor the portal's is on it (naming what each answered), or when libpipewire cannot be
    /// loaded (naming the library and its Debian package); [`Error::DisplayUnavailable`] when
    /// the Wayland socket named, the bus or PipeWire is not there, or when the user refused
    /// (or the portal cancelled) the portal's dialog; [`Error::Timeout`] naming what did not
    /// answer in time (the user's choice in the portal's dialog among them).
    pub fn open_with(display: Option<&str>, options: PipeWireOptions) -> Result<Self, Error> {
        let places = session::find(display, &Environment::of_process())?;
        let source = source::open(
            &places,
            &SourceOptions {
                source: options.source,
                timeout: options.timeout,
                restore_token: options.restore_token,
                token_store: options.token_store,
                may_ask_user: options.may_ask_user,
            },
        )?;
        Ok(Self {
            casts: HashMap::new(),
            pointer_casts: HashMap::new(),
            source,
            learnt_sizes: HashMap::new(),
            cursor: CursorMode::Hidden,
            display: places.display,
            timeout: options.timeout,
            proven: false,
            lost: None,
            lose_frames_of_first_casts: options.lose_frames_of_first_casts,
        })
    }

    /// The screen-cast portal's restore token for the choice the user made (or that was
    /// restored), when the capturer casts through the portal and the portal handed one out:
    /// pass it to a later capturer ([`PipeWireOptions::restore_token`]) to restore that
    /// choice without the dialog. It is also kept in the [`TokenStore`] unless that is
    /// [`TokenStore::Nowhere`].
    pub fn restore_token(&self) -> Option<String> {
        self.source.restore_token()
    }

    /// The monitors' casts running now, by connector, with the buffers each has.
    pub fn casts(&self) -> Vec<(String, usize)> {
        let mut casts: Vec<(String, usize)> = self
            .casts
            .iter()
            .map(|(connector, cast)| (connector.clone(), cast.buffers()))
            .collect();
        casts.sort();
        casts
    }

    /// Fails with [`Error::ConnectionLost`] once the capturer cannot be used any more.
    fn check_usable(&self) -> Result<(), Error> {
        match &self.lost {
            Some(reason) => Err(Error::ConnectionLost {
                display: self.display.clone(),
                reason: reason.clone(),
                source: None,
            }),
            None => Ok(()),
        }
    }

    /// Passes `error` on, first closing the capturer for good when it says the session is
    /// gone or did not answer in time.
    fn fail(&mut self, error: Error) -> Error {
        let reason = match &error {
            Error::ConnectionLost { reason, .. } => Some(reason.clone()),
            Error::Timeout { .. } => Some(format!("closed after an earlier error: {error}")),
            _ => None,
        };
        if let Some(reason) = reason {
            self.lost.get_or_insert(reason);
            self.casts.clear();
            self.pointer_casts.clear();
        }
        error
    }

    /// The monitors now; casts of monitors no longer there are stopped.
    pub(crate) fn placed(&mut self) -> Result<Vec<Placed>, Error> {
        self.check_usable()?;
        let mut placed = self.source.monitors().map_err(|error| self.fail(error))?;
        let there = |connector: &String| placed.iter().any(|placed| &placed.connector == connector);
        self.casts.retain(|connector, _| there(connector));
        self.pointer_casts.retain(|connector, _| there(connector));
        for one in &mut placed {
            if let Some(&(width, height)) = self.learnt_sizes.get(&one.connector)
                && (width, height) != one.monitor.pixel_size()
            {
                one.monitor = one.monitor.clone().with_pixel_size(width, height);
            }
        }
        Ok(placed)
    }

    /// The cast of `placed`, started if it is not running.
    pub(crate) fn cast(&mut self, placed: &Placed) -> Result<&Cast, Error> {
        self.check_usable()?;
        if !self.casts.contains_key(&placed.connector) {
            let kind = match self.cursor {
                CursorMode::Metadata => CastKind::FramesAndPointer,
                _ if self.lose_frames_of_first_casts > 0 => {
                    self.lose_frames_of_first_casts -= 1;
                    CastKind::LostFrames
                }
                _ => CastKind::Frames,
            };
            let cast = self.start_cast(placed, self.cursor, kind)?;
            self.casts.insert(placed.connector.clone(), cast);
        }
        Ok(&self.casts[&placed.connector])
    }

    /// A new cast of `placed` with the pointer as `cursor` says, read as `kind` says.
    fn start_cast(
        &mut self,
        placed: &Placed,
        cursor: CursorMode,
        kind: CastKind,
    ) -> Result<Cast, Error> {
        let started = self
            .source
            .start(placed, cursor)
            .map_err(|error| self.fail(error))?;
        Cast::connect(
            self.source.pipewire(),
            started.node,
            placed.monitor.pixel_size(),
            started.started_at,
            started.keep,
            kind,
        )
        .map_err(|reason| {
            self.fail(Error::ConnectionLost {
                display: self.display.clone(),
                reason: format!("connecting a PipeWire stream to the screen cast: {reason}"),
                source: None,
            })
        })
    }

    /// Whether the pointer is read from casts of its own (mutter), rather than from the
    /// frames' casts (the portal, whose one session has one pointer mode).
    fn pointer_casts_of_their_own(&self) -> bool {
        self.source.mixes_cursor_modes()
    }

    /// The cast that sends `placed`'s pointer as metadata, started if it is not running: one
    /// of its own, or the frames' cast through the portal.
    fn pointer_cast(&mut self, placed: &Placed) -> Result<&Cast, Error> {
        if !self.pointer_casts_of_their_own() {
            return self.cast(placed);
        }
        self.check_usable()?;
        if !self.pointer_casts.contains_key(&placed.connector) {
            let cast = self.start_cast(placed, CursorMode::Metadata, CastKind::Pointer)?;
            self.pointer_casts.insert(placed.connector.clone(), cast);
        }
        Ok(&self.pointer_casts[&placed.connector])
    }

    /// Whether the cast [`pointer_cast`](Self::pointer_cast) would give runs now.
    fn pointer_cast_runs(&self, connector: &str) -> bool {
        if self.pointer_casts_of_their_own() {
            self.pointer_casts.contains_key(connector)
        } else {
            self.casts.contains_key(connector)
        }
    }

    /// Stops the cast [`pointer_cast`](Self::pointer_cast) gives for `connector`.
    fn stop_pointer_cast(&mut self, connector: &str) {
        if self.pointer_casts_of_their_own() {
            self.pointer_casts.remove(connector);
        } else {
            self.casts.remove(connector);
        }
    }

    /// What `placed`'s cast says of the pointer (its first buffer waited for until
    /// `deadline`); the cast is started if it is not running, and started again when it
    /// ended and the source can start it again, ran out of buffers, or shows a pointer whose
    /// image never came (see below). `None` when its buffers carry no cursor metadata.
    ///
    /// A producer sends the pointer's image once, in the first buffer after the cast starts
    /// (or when the image changes), and PipeWire 0.3 can lose that very buffer: the producer
    /// records it as soon as its own stream runs, and the consumer's stream, starting a moment
    /// later, resets the link's buffer exchange (`SPA_NODE_COMMAND_Start` sets its status to
    /// "need data"), so the buffer goes back to the producer unread. Observed with mutter 43,
    /// whose first buffer carries the pointer only. A cast that shows the pointer with no
    /// image is then started again, up to [`POINTER_STARTS`] times. The same loss of a first
    /// buffer that carries a frame leaves a cast silent while nothing changes (mutter records
    /// on a change or a pointer move only): a cast that sent no buffer at all within
    /// [`FIRST_BUFFER_GRACE`] is started again too (the last start waits until `deadline`).
    fn pointer_of(
        &mut self,
        placed: &Placed,
        deadline: Option<Instant>,
    ) -> Result<Option<Pointer>, Error> {
        let mut restarts = 0;
        loop {
            let again = restarts + 1 < POINTER_STARTS;
            let grace = Instant::now() + FIRST_BUFFER_GRACE;
            let wait_until = match deadline {
                Some(deadline) if !again || deadline <= grace => Some(deadline),
                None if !again => None,
                _ => Some(grace),
            };
            let outcome = self.pointer_cast(placed)?.pointer(wait_until);
            let before_deadline = deadline.is_none_or(|deadline| Instant::now() < deadline);
            match outcome {
                Ok(Some(pointer)) if pointer.lost_image() && again => {}
                Ok(pointer) => return Ok(pointer),
                Err(CastError::TimedOut(_)) if again && before_deadline => {}
                Err(CastError::Ended(_)) if again && self.source.restarts_ended_casts() => {}
                Err(CastError::Starved) if again => {}
                Err(error) => return Err(self.cast_error(placed, error)),
            }
            self.stop_pointer_cast(&placed.connector);
            restarts += 1;
        }
    }

    /// The interface casts come from (the status's method).
    pub(crate) fn method(&self) -> &'static str {
        self.source.method()
    }

    /// The cast of `connector`, when it runs.
    pub(crate) fn running_cast(&self, connector: &str) -> Option<&Cast> {
        self.casts.get(connector)
    }

    /// Whether casts have the compositor draw the pointer into frames.
    pub(crate) fn draws_cursor(&self) -> bool {
        self.cursor == CursorMode::Embedded
    }

    /// Stops the cast of `connector` (the next use starts it again).
    pub(crate) fn restart(&mut self, connector: &str) {
        self.casts.remove(connector);
    }

    /// The deadline of a wait starting now.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.timeout.map(|timeout| Instant::now() + timeout)
    }

    /// The error for a cast that gives no picture, the capturer closed when it must be.
    pub(crate) fn cast_error(&mut self, placed: &Placed, error: CastError) -> Error {
        let connector = &placed.connector;
        let error = match error {
            CastError::Failed(reason) | CastError::Ended(reason) => Error::ConnectionLost {
                display: self.display.clone(),
                reason: format!("the screen cast of monitor {connector}: {reason}"),
                source: None,
            },
            CastError::Starved | CastError::Exhausted { .. } => Error::BuffersExhausted {
                limit: match error {
                    CastError::Exhausted { limit } => limit,
                    _ => 1,
                },
            },
            CastError::TimedOut(waiting) => Error::Timeout {
                display: self.display.clone(),
                waiting_for: format!(
                    "a frame of the screen cast of monitor {connector}: {waiting}"
                ),
                seconds: self.timeout.unwrap_or_default().as_secs_f64(),
            },
        };
        self.fail(error)
    }

    /// The newest picture of `placed`'s cast, of the monitor's size: the cast is started if
    /// it is not running, and started again (once) when it ran out of buffers, or, when the
    /// source can start ended casts again (mutter), when it ended without an error or sends
    /// pictures of another size than the monitor has now (its mode or scale changed). A
    /// source that does not know pixel sizes (the portal) learns each monitor's from its
    /// first picture; a stream renegotiated to another size after it is an error. A cast that
    /// sent no picture within [`FIRST_BUFFER_GRACE`] of its start is started again (its first
    /// buffer lost: see `pointer_of`), up to [`FIRST_PICTURE_STARTS`] times. Every wait ends
    /// within one timeout of the call.
    pub(crate) fn picture(&mut self, placed: &Placed) -> Result<Arc<Picture>, Error> {
        let restarts = self.source.restarts_ended_casts();
        let mut expected = if self.source.pixel_sizes_known() {
            Some(placed.monitor.pixel_size())
        } else {
            self.learnt_sizes.get(&placed.connector).copied()
        };
        let mut again = true;
        let deadline = self.deadline();
        let mut starts = 1;
        loop {
            // A cast's first buffer can be lost (see `pointer_of`), and on a still screen the
            // producer sends no other: a cast that sent no picture within the grace is started
            // again, up to FIRST_PICTURE_STARTS times, the last waiting until the deadline.
            let retry = self.cast(placed)?.pictures() == 0 && starts < FIRST_PICTURE_STARTS;
            let grace = Instant::now() + FIRST_BUFFER_GRACE;
            let wait_until = match deadline {
                Some(deadline) if !retry || deadline <= grace => Some(deadline),
                None if !retry => None,
                _ => Some(grace),
            };
            let outcome = self.cast(placed)?.newest(wait_until);
            let before_deadline = deadline.is_none_or(|deadline| Instant::now() < deadline);
            if retry && before_deadline && matches!(outcome, Err(CastError::TimedOut(_))) {
                self.restart(&placed.connector);
                starts += 1;
                continue;
            }
            if let (Ok(picture), None) = (&outcome, expected) {
                let size = (picture.width, picture.height);
                self.learnt_sizes.insert(placed.connector.clone(), size);
                expected = Some(size);
            }
            let wanted = expected.unwrap_or_default();
            match outcome {
                Ok(picture) if (picture.width, picture.height) == wanted => return Ok(picture),
                Ok(picture) if again && restarts => {
                    let _ = picture;
                    self.restart(&placed.connector);
                }
                Ok(picture) => {
                    let error = Error::Protocol {
                        display: self.display.clone(),
                        request: "the screen cast",
                        message: format!(
                            "monitor {} is {}x{} pixels, but its screen cast sends frames of \
                             {}x{}",
                            placed.connector, wanted.0, wanted.1, picture.width, picture.height
                        ),
                        source: None,
                    };
                    return Err(self.fail(error));
                }
                Err(CastError::Ended(_)) if again && restarts => {
                    self.restart(&placed.connector);
                }
                Err(CastError::Starved) if again => {
                    self.restart(&placed.connector);
                }
                Err(error) => return Err(self.cast_error(placed, error)),
            }
            again = false;
        }
    }

    /// A frame of `region` (inside `placed`) cut from `picture`, with no copy: its storage is
    /// the picture's buffer, starting at the region's first pixel, with the picture's stride.
    pub(crate) fn frame_of(
        &mut self,
        picture: Arc<Picture>,
        region: Region,
        placed: &Placed,
    ) -> Result<Frame, Error> {
        if let Some(cast) = self.casts.get(&placed.connector)
            && let Err(error) = cast.may_hold(&picture)
        {
            return Err(self.cast_error(placed, error));
        }
        let rect = pixels_of(region, placed.region(), (picture.width, picture.height));
        let offset = picture.offset
            + rect.y as usize * picture.stride
            + rect.x as usize * picture.format.bytes_per_pixel();
        let shown = Region::new(region.left(), region.top(), rect.width, rect.height)?;
        let (stride, format) = (picture.stride, picture.format);
        self.proven = true;
        Frame::new(Pixels(picture), offset, shown, stride, format)
    }

    /// A region across several monitors, or partly on none: each monitor's part is copied
    /// once into a new frame, opaque black where no monitor is.
    fn assemble(
        &mut self,
        region: Region,
        screen: Region,
        placed: &[Placed],
    ) -> Result<Frame, Error> {
        let parts: Vec<(&Placed, Region)> = placed
            .iter()
            .filter_map(|placed| Some((placed, region.intersection(&placed.region())?)))
            .collect();
        if parts.is_empty() {
            return Err(Error::RegionOutOfBounds {
                display: self.display.clone(),
                region,
                screen,
            });
        }
        check_frame_size(BACKEND_NAME, region.area() * 4, || {
            format!("region {region}")
        })?;
        let mut assembly: Option<Assembly> = None;
        for (placed, part) in parts {
            let picture = self.picture(placed)?;
            let rect = pixels_of(part, placed.region(), (picture.width, picture.height));
            if (rect.width, rect.height) != (part.width(), part.height()) {
                return Err(Error::Unsupported {
                    backend: BACKEND_NAME,
                    what: "a region across monitors of different scales",
                    reason: format!(
                        "monitor {} gives {}x{} device pixels for {part}; capture each monitor on \
                         its own",
                        placed.connector, rect.width, rect.height
                    ),
                });
            }
            let offset = picture.offset
                + rect.y as usize * picture.stride
                + rect.x as usize * picture.format.bytes_per_pixel();
            assembly
                .get_or_insert_with(|| Assembly::new(region, picture.format))
                .paste(
                    part,
                    &picture.bytes()[offset..],
                    picture.stride,
                    picture.format,
                );
        }
        self.proven = true;
        assembly.expect("at least one part was pasted").into_frame()
    }
}

impl Capture for PipeWireCapture {
    fn backend_name(&self) -> &'static str {
        BACKEND_NAME
    }

    fn status(&self) -> BackendStatus {
        let mut status = BackendStatus::new(BACKEND_NAME, self.source.method())
            .with_zero_copy(true)
            .with_proven(self.proven)
            .with_connection(self.source.describe());
        for caveat in self.source.caveats() {
            status = status.with_caveat(caveat);
        }
        status
    }

    fn screen(&mut self) -> Result<ScreenInfo, Error> {
        let placed = self.placed()?;
        let all = layout::bounding_box(&placed);
        // mutter casts shared memory in BGRx, the format offered first.
        Ok(ScreenInfo::new(
            &self.display,
            all.width(),
            all.height(),
            PixelFormat::Bgrx8888,
        )
        .with_origin(all.left(), all.top()))
    }

    fn monitors(&mut self) -> Result<Monitors, Error> {
        let placed = self.placed()?;
        Ok(layout::layout(&self.display, &placed))
    }

    fn grab(&mut self, region: Region) -> Result<Frame, Error> {
        let placed = self.placed()?;
        let all = layout::bounding_box(&placed);
        if !all.contains(&region) {
            return Err(Error::RegionOutOfBounds {
                display: self.display.clone(),
                region,
                screen: all,
            });
        }
        if let Some(one) = placed
            .iter()
            .find(|placed| placed.region().contains(&region))
        {
            let picture = self.picture(one)?;
            return self.frame_of(picture, region, one);
        }
        self.assemble(region, all, &placed)
    }

    /// The screen-cast portal's restore token, when the capturer casts through the portal;
    /// see [`PipeWireCapture::restore_token`].
    fn restore_token(&self) -> Option<String> {
        self.source.restore_token()
    }

    /// Not through screen casts of monitors.
    fn windows(&mut self) -> Result<Vec<mss_core::Window>, Error> {
        Err(windows_unsupported("listing windows"))
    }

    /// Not through screen casts of monitors.
    fn grab_window(&mut self, window: u64) -> Result<Frame, Error> {
        let _ = window;
        Err(windows_unsupported("capturing a window"))
    }

    /// The pointer as the screen casts send it as metadata (mutter's cursor mode
    /// `metadata`, the portal's 4): its newest image placed at the newest position minus the
    /// hot spot, on the monitor whose cast sees it. mutter is asked for casts of their own,
    /// read for the pointer only, so the frames' casts stay as they are; through the portal,
    /// whose one session has one mode, the first call starts the session again with the
    /// pointer as metadata (frames stay the same, without the pointer). Casts running are
    /// asked first, then a cast of each other monitor is started in turn until one sees the
    /// pointer; all are kept for later calls. A position is in the
    /// cast's pixels from the monitor's corner, as frames of that monitor are placed (on a
    /// scaled monitor, not the logical layout's units). An empty pointer image (the pointer
    /// shows nothing) is one transparent pixel at the pointer, as on X11.
    ///
    /// # Errors
    ///
    /// [`Error::CursorUnavailable`] when no monitor's cast sees the pointer (it is hidden, or
    /// on no monitor); [`Error::Unsupported`] when the portal does not offer the pointer as
    /// metadata, or draws it into frames (one session, one mode), or a cast's buffers carry
    /// no cursor metadata; [`Error::Protocol`] for an image the producer sent that cannot
    /// be read; and the errors of a grab (a cast that fails, a timeout).
    fn cursor(&mut self) -> Result<CursorImage, Error> {
        self.check_usable()?;
        if let Err(reason) = self.source.sends_cursor() {
            return Err(cursor_unsupported(reason));
        }
        if !self.pointer_casts_of_their_own() {
            match self.cursor {
                CursorMode::Embedded => {
                    return Err(cursor_unsupported(
                        "the screen-cast portal's session draws the pointer into frames \
                         (with_cursor), and one session sends the pointer one way only: stop \
                         drawing it to read it"
                            .to_owned(),
                    ));
                }
                CursorMode::Hidden => {
                    self.cursor = CursorMode::Metadata;
                    self.casts.clear();
                }
                _ => {}
            }
        }
        let placed = self.placed()?;
        let deadline = self.deadline();
        // Casts running first: when one of them sees the pointer, no cast is started.
        let (running, others): (Vec<&Placed>, Vec<&Placed>) = placed
            .iter()
            .partition(|placed| self.pointer_cast_runs(&placed.connector));
        let mut elsewhere = Vec::new();
        for one in running.into_iter().chain(others) {
            let Some(pointer) = self.pointer_of(one, deadline)? else {
                return Err(cursor_unsupported(format!(
                    "the screen cast of monitor {} sends no cursor metadata",
                    one.connector
                )));
            };
            match cursor_image(&pointer, one) {
                Ok(Some(image)) => return Ok(image),
                Ok(None) => elsewhere.push(one.connector.as_str()),
                Err(message) => {
                    return Err(Error::Protocol {
                        display: self.display.clone(),
                        request: "the screen cast's cursor metadata",
                        message,
                        source: None,
                    });
                }
            }
        }
        Err(Error::CursorUnavailable {
            display: self.display.clone(),
            reason: format!(
                "the pointer is hidden or on no monitor: the screen casts of {} say it is not \
                 over them",
                elsewhere.join(", ")
            ),
        })
    }

    /// The compositor draws the pointer into frames when asked (the cast's cursor mode
    /// `embedded`; otherwise `hidden`). Casts already running are started again with the new
    /// mode (through the portal, a new session, restored from its token). `false` when the
    /// portal cannot draw the pointer.
    fn draw_cursor(&mut self, draw: bool) -> bool {
        if draw && !self.source.can_draw_cursor() {
            return false;
        }
        let cursor = match (draw, self.cursor) {
            (true, _) => CursorMode::Embedded,
            // The pointer once read through the portal stays sent as metadata: the frames
            // are the same.
            (false, CursorMode::Metadata) => CursorMode::Metadata,
            (false, _) => CursorMode::Hidden,
        };
        if cursor != self.cursor {
            self.cursor = cursor;
            self.casts.clear();
        }
        true
    }

    /// A region on one monitor streams the pictures of its cast as they come (see the
    /// `stream` module docs of this crate); a region across monitors and a window stream
    /// through the default stream.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRate`] and the errors of finding the target; a region off the screen is
    /// reported by the first frame.
    fn stream(&mut self, options: &StreamOptions) -> Result<Box<dyn FrameStream + '_>, Error> {
        if matches!(options.target, StreamTarget::Window(_)) {
            return Ok(Box::new(GrabStream::new(self, options)?));
        }
        let period = options.period()?;
        let region = options.target_region(self)?;
        let placed = self.placed()?;
        let Some(one) = placed
            .into_iter()
            .find(|placed| placed.region().contains(&region))
        else {
            return Ok(Box::new(GrabStream::new(self, options)?));
        };
        Ok(Box::new(PipeWireStream::new(
            self, one, region, period, options,
        )))
    }
}

impl Drop for PipeWireCapture {
    /// The casts go first (each stops its thread, its stream and then its session), while
    /// the bus and PipeWire they were made on are still there.
    fn drop(&mut self) {
        self.casts.clear();
        self.pointer_casts.clear();
    }
}

/// [`Error::Unsupported`] for reading the cursor, saying `reason`.
fn cursor_unsupported(reason: String) -> Error {
    Error::Unsupported {
        backend: BACKEND_NAME,
        what: "reading the cursor",
        reason,
    }
}

/// The image of `pointer` on the screen, placed on `placed`'s monitor; `None` when the
/// pointer is not over it (or hidden).
///
/// # Errors
///
/// Why the image the producer sent could not be read, or that it sent none.
fn cursor_image(pointer: &Pointer, placed: &Placed) -> Result<Option<CursorImage>, String> {
    let Some((x, y)) = pointer.position else {
        return Ok(None);
    };
    let Some(sprite) = &pointer.sprite else {
        return Err(pointer
            .refused
            .clone()
            .unwrap_or_else(|| "the pointer's position came, but never its image".to_owned()));
    };
    let monitor = placed.region();
    let (left, top) = (i64::from(monitor.left()), i64::from(monitor.top()));
    let (x, y) = (i64::from(x), i64::from(y));
    let placed_at = |left, top, width, height| {
        Region::from_signed(left, top, width, height)
            .map_err(|error| format!("the pointer at ({x}, {y}) on {}: {error}", placed.connector))
    };
    if sprite.width == 0 {
        let region = placed_at(left + x, top + y, 1, 1)?;
        return CursorImage::new(region, vec![0])
            .map(Some)
            .map_err(|error| error.to_string());
    }
    let (hot_x, hot_y) = (i64::from(sprite.hotspot.0), i64::from(sprite.hotspot.1));
    let region = placed_at(
        left + x - hot_x,
        top + y - hot_y,
        i64::from(sprite.width),
        i64::from(sprite.height),
    )?;
    CursorImage::new(region, sprite.pixels.clone())
        .map(Some)
        .map_err(|error| error.to_string())
}

/// Why windows are [`Error::Unsupported`] here.
fn windows_unsupported(what: &'static str) -> Error {
    Error::Unsupported {
        backend: BACKEND_NAME,
        what,
        reason: "the pipewire backend casts monitors; window casts (RecordWindow) are not \
                 implemented yet: capture the window's region of its monitor instead"
            .to_owned(),
    }
}

impl Casts for PipeWireCapture {
    fn draws_cursor(&self) -> bool {
        PipeWireCapture::draws_cursor(self)
    }

    fn set_draws_cursor(&mut self, draw: bool) {
        Capture::draw_cursor(self, draw);
    }

    fn running_cast(&self, connector: &str) -> Option<&Cast> {
        PipeWireCapture::running_cast(self, connector)
    }

    fn cast(&mut self, placed: &Placed) -> Result<&Cast, Error> {
        PipeWireCapture::cast(self, placed)
    }

    fn restart(&mut self, connector: &str) {
        PipeWireCapture::restart(self, connector);
    }

    fn deadline(&self) -> Option<Instant> {
        PipeWireCapture::deadline(self)
    }

    fn cast_error(&mut self, placed: &Placed, error: CastError) -> Error {
        PipeWireCapture::cast_error(self, placed, error)
    }

    fn frame_of(
        &mut self,
        picture: Arc<Picture>,
        region: Region,
        placed: &Placed,
    ) -> Result<Frame, Error> {
        PipeWireCapture::frame_of(self, picture, region, placed)
    }

    fn method(&self) -> &'static str {
        PipeWireCapture::method(self)
    }
}
