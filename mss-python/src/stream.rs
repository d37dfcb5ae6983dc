//! `Stream`: a [`mss_core::FrameStream`] as a Python iterator of `ScreenShot`s.
//!
//! A Rust stream borrows its capturer, and a Python object cannot hold a borrow, so each
//! stream runs on a thread of its own that owns both: it opens its own capturer (the same
//! backend, display and settings as the `MSS` it came from, which stays free for grabs), opens
//! the stream, then answers requests for the next frame until the Python object lets go of
//! it. A request carries a deadline of at most [`SLICE`], so a caller waiting for a change on
//! an idle screen gets the GIL back that often to see Ctrl-C; frames are converted to
//! python-mss's layout on that thread, so the caller only wraps them.

use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mss::{Capture, Frame, MssBuilder, StreamOptions};
use pyo3::prelude::*;

use crate::errors::Failure;
use crate::screenshot::{ScreenShot, StreamInfo, packed_bgra};

/// The longest a request waits before the caller looks for signals (Ctrl-C) again.
const SLICE: Duration = Duration::from_millis(100);

/// A frame from the worker, ready to wrap.
type Delivered = (Frame, StreamInfo);

/// The thread that owns the capturer and its stream.
struct Worker {
    requests: Sender<Instant>,
    replies: Receiver<Result<Option<Delivered>, Failure>>,
    thread: JoinHandle<()>,
}

impl Worker {
    /// Starts the thread and waits until the stream is open; returns its description.
    fn start(builder: MssBuilder, options: StreamOptions) -> Result<(Self, String), Failure> {
        let (requests, requests_received) = channel::<Instant>();
        let (replies_sent, replies) = sync_channel(1);
        let (opened_sent, opened) = sync_channel::<Result<String, Failure>>(1);
        let thread = std::thread::Builder::new()
            .name("mss-stream".to_owned())
            .spawn(move || {
                serve(
                    &builder,
                    &options,
                    &opened_sent,
                    &requests_received,
                    &replies_sent,
                )
            })
            .map_err(|error| Failure::Other {
                class: "ScreenShotError",
                kind: "Thread",
                message: format!("cannot start the stream's thread: {error}"),
            })?;
        let description = opened.recv().map_err(|_| Failure::StreamClosed)??;
        Ok((
            Self {
                requests,
                replies,
                thread,
            },
            description,
        ))
    }

    /// The next frame if one comes before `deadline`.
    fn next_before(&self, deadline: Instant) -> Result<Option<Delivered>, Failure> {
        self.requests
            .send(deadline)
            .map_err(|_| Failure::StreamClosed)?;
        self.replies.recv().map_err(|_| Failure::StreamClosed)?
    }
}

/// The worker's life: open, report, then one frame per request until the requests stop.
fn serve(
    builder: &MssBuilder,
    options: &StreamOptions,
    opened: &SyncSender<Result<String, Failure>>,
    requests: &Receiver<Instant>,
    replies: &SyncSender<Result<Option<Delivered>, Failure>>,
) {
    let mut mss = match builder.clone().open() {
        Ok(mss) => mss,
        Err(error) => {
            let _ = opened.send(Err(Failure::from(error)));
            return;
        }
    };
    let mut stream = match mss.stream(options) {
        Ok(stream) => stream,
        Err(error) => {
            let _ = opened.send(Err(Failure::from(error)));
            return;
        }
    };
    if opened.send(Ok(stream.describe())).is_err() {
        return;
    }
    while let Ok(deadline) = requests.recv() {
        let reply = stream
            .next_frame_before(Some(deadline))
            .map(|frame| {
                frame.map(|item| {
                    let info = StreamInfo::new(item.sequence, item.missed, &item.changes);
                    (packed_bgra(item.frame), info)
                })
            })
            .map_err(Failure::from);
        if replies.send(reply).is_err() {
            return;
        }
    }
}

/// Frames one after another, as `ScreenShot`s with `sequence`, `missed` and `changes`: made by
/// `MSS.stream()`. Iterate it (`for shot in stream`), or call `next(timeout)`; `close()` (or
/// leaving a `with` block) ends it.
///
/// Frames may be held, up to the capturer's buffers (8): past that the next frame raises
/// `BuffersExhaustedError` instead of waiting.
#[pyclass(module = "mss", frozen)]
pub struct Stream {
    worker: Mutex<Option<Worker>>,
    description: String,
}

impl Stream {
    /// Opens a stream of `options` on a new capturer built by `builder`.
    pub fn open(py: Python<'_>, builder: MssBuilder, options: StreamOptions) -> PyResult<Self> {
        let (worker, description) = py
            .detach(move || Worker::start(builder, options))
            .map_err(|failure| failure.into_py_err(py))?;
        Ok(Self {
            worker: Mutex::new(Some(worker)),
            description,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Option<Worker>> {
        self.worker.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next frame, waiting until `end` (`None`: as long as it takes), checking for signals
    /// between slices.
    fn next_until<'py>(
        &self,
        py: Python<'py>,
        end: Option<Instant>,
    ) -> PyResult<Option<Bound<'py, ScreenShot>>> {
        loop {
            let slice_end = Instant::now() + SLICE;
            let deadline = end.map_or(slice_end, |end| end.min(slice_end));
            let delivered = py
                .detach(|| {
                    let guard = self.lock();
                    let worker = guard.as_ref().ok_or(Failure::StreamClosed)?;
                    worker.next_before(deadline)
                })
                .map_err(|failure| failure.into_py_err(py))?;
            if let Some((frame, info)) = delivered {
                return ScreenShot::create(py, frame, Some(info)).map(Some);
            }
            if end.is_some_and(|end| Instant::now() >= end) {
                return Ok(None);
            }
            py.check_signals()?;
        }
    }
}

#[pymethods]
impl Stream {
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// The next frame; `StopIteration` once the stream is closed.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, ScreenShot>>> {
        if self.lock().is_none() {
            return Ok(None);
        }
        self.next_until(py, None)
    }

    /// The next frame, or `None` if none comes within `timeout` seconds (`None`: wait as long
    /// as it takes).
    #[pyo3(signature = (timeout=None))]
    fn next<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<f64>,
    ) -> PyResult<Option<Bound<'py, ScreenShot>>> {
        let end = match timeout {
            None => None,
            Some(seconds) => Some(
                Instant::now() + Duration::try_from_secs_f64(seconds).map_err(|_| {
                    pyo3::exceptions::PyValueError::new_err(format!(
                        "timeout must be a non-negative number of seconds or None, not {seconds}"
                    ))
                })?,
            ),
        };
        self.next_until(py, end)
    }

    /// How the stream captures, in words (`MIT-SHM, 2 in flight, changes from DAMAGE`).
    #[getter]
    fn description(&self) -> &str {
        &self.description
    }

    /// Whether [`close`](Self::close) was called.
    #[getter]
    fn closed(&self) -> bool {
        self.lock().is_none()
    }

    /// Ends the stream and closes its capturer (frames held stay readable). Closing twice
    /// does nothing.
    fn close(&self, py: Python<'_>) {
        let worker = py.detach(|| self.lock().take());
        if let Some(worker) = worker {
            let Worker {
                requests, thread, ..
            } = worker;
            drop(requests);
            // The worker ends within one request's slice; its capturer closes with it.
            py.detach(move || {
                let _ = thread.join();
            });
        }
    }

    fn __enter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_arguments))]
    fn __exit__(&self, py: Python<'_>, _arguments: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }
}
