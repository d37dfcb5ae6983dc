//! `Capturer`: one open [`mss::Mss`], shared safely between Python threads; what the Python
//! class `mss.MSS` is built on.
//!
//! Every call that waits on the display, converts or encodes runs without the GIL
//! (`Python::detach`), so other Python threads run meanwhile; the capturer itself is behind a
//! mutex taken only once the GIL is released, so two threads grabbing with one object take
//! turns without ever blocking each other's Python code.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use mss::{Backend, Capture, Mss, MssBuilder, Rate, StreamOptions, StreamTarget};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::Failure;
use crate::region::region_from_py;
use crate::screenshot::{ScreenShot, packed_bgra};
use crate::stream::Stream;

/// python-mss's backend names and what they are here; every other name is the facade's
/// (`x11-shm`, `x11-getimage`, `wayland`, ...), compared case-insensitively as python-mss does.
const ALIASES: &[(&str, Option<&str>)] = &[
    // The automatic choice: the session's backends in order, or `MSS_BACKEND`'s.
    ("default", None),
    ("xshmgetimage", Some("x11-shm")),
    ("xgetimage", Some("x11-getimage")),
    // python-mss's legacy Xlib backend asks for the same image with `XGetImage`.
    ("xlib", Some("x11-getimage")),
];

/// The backend `name` asks for; `None` for the automatic choice.
fn backend_named(name: &str) -> Result<Option<Backend>, Failure> {
    let name = name.trim().to_ascii_lowercase();
    if let Some((_, alias)) = ALIASES.iter().find(|(alias, _)| *alias == name) {
        return alias
            .map(|backend| Backend::from_name(backend).map_err(Failure::from))
            .transpose();
    }
    Backend::from_name(&name).map(Some).map_err(Failure::from)
}

/// What a stream or a recording captures: `region`, or window `window`, or the whole screen.
fn stream_target(region: Option<&Bound<'_, PyAny>>, window: Option<u64>) -> PyResult<StreamTarget> {
    Ok(match (region, window) {
        (Some(_), Some(_)) => {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "a stream takes a region or a window, not both",
            ));
        }
        (Some(region), None) => StreamTarget::Region(region_from_py(region)?),
        (None, Some(window)) => StreamTarget::Window(window),
        (None, None) => StreamTarget::Screen,
    })
}

/// A rectangle as Python gets it: `(left, top, width, height)`.
type Rectangle = (i32, i32, u32, u32);

/// An open capturer.
#[pyclass(module = "mss._mss", frozen)]
pub struct Capturer {
    inner: Mutex<Option<Mss>>,
    /// How it was opened, so a stream can open its own capturer the same way.
    builder: MssBuilder,
    backend: &'static str,
}

impl Capturer {
    fn lock(&self) -> MutexGuard<'_, Option<Mss>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `operation` on the open capturer without the GIL.
    fn with_open<T: Send>(
        &self,
        py: Python<'_>,
        what: &'static str,
        operation: impl FnOnce(&mut Mss) -> Result<T, Failure> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut guard = self.lock();
            let mss = guard.as_mut().ok_or(Failure::Closed { what })?;
            operation(mss)
        })
        .map_err(|failure| failure.into_py_err(py))
    }
}

#[pymethods]
impl Capturer {
    /// Opens the display: `backend` by name (python-mss's or this project's; `None` or
    /// `"default"` chooses), `display` (`None`: the session's), the pointer drawn in or not,
    /// XWayland allowed or not, `timeout` seconds per wait (`None`: no limit).
    #[new]
    #[pyo3(signature = (*, backend=None, display=None, with_cursor=false, allow_xwayland=false, timeout=Some(10.0)))]
    fn new(
        py: Python<'_>,
        backend: Option<&str>,
        display: Option<&str>,
        with_cursor: bool,
        allow_xwayland: bool,
        timeout: Option<f64>,
    ) -> PyResult<Self> {
        let fail = |failure: Failure| failure.into_py_err(py);
        let mut builder = Mss::builder()
            .with_cursor(with_cursor)
            .allow_xwayland(allow_xwayland);
        if let Some(backend) = backend_named(backend.unwrap_or("default")).map_err(fail)? {
            builder = builder.backend(backend);
        }
        if let Some(display) = display.filter(|display| !display.trim().is_empty()) {
            builder = builder.display(display);
        }
        let timeout = match timeout {
            None => None,
            Some(seconds) => Some(Duration::try_from_secs_f64(seconds).map_err(|_| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "timeout must be a non-negative number of seconds or None, not {seconds}"
                ))
            })?),
        };
        builder = builder.timeout(timeout);
        let opening = builder.clone();
        let mss = py
            .detach(move || opening.open())
            .map_err(|error| fail(Failure::from(error)))?;
        let backend = mss.backend().name();
        // From now on streams open exactly this backend, whatever the environment says.
        let builder = builder.backend(mss.backend());
        Ok(Self {
            inner: Mutex::new(Some(mss)),
            builder,
            backend,
        })
    }

    /// The backend opened (`x11-shm`, `x11-getimage`, `wayland`).
    #[getter]
    fn backend(&self) -> &'static str {
        self.backend
    }

    /// Whether [`close`](Self::close) was called.
    #[getter]
    fn closed(&self) -> bool {
        self.lock().is_none()
    }

    /// How the backend captures: a dict with `backend`, `method`, `zero_copy`,
    /// `fallback_reason`, `connection`, `caveats` and `text` (all of it in words).
    fn status<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let status = self.with_open(py, "read the status", |mss| Ok(mss.status()))?;
        let dict = PyDict::new(py);
        dict.set_item("backend", status.backend)?;
        dict.set_item("method", status.method)?;
        dict.set_item("zero_copy", status.zero_copy)?;
        dict.set_item("fallback_reason", status.fallback_reason.clone())?;
        dict.set_item("connection", status.connection.clone())?;
        dict.set_item("caveats", status.caveats.clone())?;
        dict.set_item("text", status.to_string())?;
        Ok(dict)
    }

    /// The monitors, read now: `(screen, monitors)`, the screen as `(left, top, width,
    /// height)` and each monitor as a dict (`left`, `top`, `width`, `height`, `is_primary`,
    /// `output`, `name`, `description`, `scale`).
    fn monitors<'py>(&self, py: Python<'py>) -> PyResult<(Rectangle, Vec<Bound<'py, PyDict>>)> {
        let monitors = self.with_open(py, "identify monitors", |mss| {
            mss.monitors().map_err(Failure::from)
        })?;
        let all = monitors.all();
        let screen = (all.left(), all.top(), all.width(), all.height());
        let list = monitors
            .monitors()
            .iter()
            .map(|monitor| {
                let dict = PyDict::new(py);
                dict.set_item("left", monitor.left())?;
                dict.set_item("top", monitor.top())?;
                dict.set_item("width", monitor.width())?;
                dict.set_item("height", monitor.height())?;
                dict.set_item("is_primary", monitor.is_primary())?;
                dict.set_item("output", monitor.output())?;
                dict.set_item("name", monitor.name())?;
                dict.set_item("description", monitor.description())?;
                dict.set_item("scale", monitor.scale())?;
                Ok(dict)
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok((screen, list))
    }

    /// Grabs `region` (a 4-tuple, a mapping or an object with `left`, `top`, `width` and
    /// `height`): a `ScreenShot` that is the captured frame.
    fn grab<'py>(
        &self,
        py: Python<'py>,
        region: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, ScreenShot>> {
        let region = region_from_py(region)?;
        let frame = self.with_open(py, "take a screenshot", |mss| {
            Ok(packed_bgra(mss.grab(region)?))
        })?;
        ScreenShot::create(py, frame, None)
    }

    /// For the benchmarks (`mss-python/bench`): grabs `region` from Rust and drops the frame,
    /// as `grab` does but with no Python object made, and returns the nanoseconds that took,
    /// measured in Rust with the GIL released. `grab` from Python is compared with it.
    fn _time_grab(&self, py: Python<'_>, region: &Bound<'_, PyAny>) -> PyResult<u64> {
        let region = region_from_py(region)?;
        self.with_open(py, "take a screenshot", |mss| {
            let start = std::time::Instant::now();
            drop(packed_bgra(mss.grab(region)?));
            Ok(u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX))
        })
    }

    /// Grabs window `window` (an id from [`windows`](Self::windows)) whole.
    fn grab_window<'py>(&self, py: Python<'py>, window: u64) -> PyResult<Bound<'py, ScreenShot>> {
        let frame = self.with_open(py, "capture a window", |mss| {
            Ok(packed_bgra(mss.grab_window(window)?))
        })?;
        ScreenShot::create(py, frame, None)
    }

    /// The applications' top-level windows, bottom of the stacking order first, each a dict
    /// (`id`, `title`, `class_name`, `instance`, `pid`, `left`, `top`, `width`, `height`,
    /// `viewable`, `minimized`).
    fn windows<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let windows = self.with_open(py, "list windows", |mss| {
            mss.windows().map_err(Failure::from)
        })?;
        windows
            .iter()
            .map(|window| {
                let dict = PyDict::new(py);
                dict.set_item("id", window.id)?;
                dict.set_item("title", window.title.clone())?;
                dict.set_item("class_name", window.class.clone())?;
                dict.set_item("instance", window.instance.clone())?;
                dict.set_item("pid", window.pid)?;
                dict.set_item("left", window.region.left())?;
                dict.set_item("top", window.region.top())?;
                dict.set_item("width", window.region.width())?;
                dict.set_item("height", window.region.height())?;
                dict.set_item("viewable", window.viewable)?;
                dict.set_item("minimized", window.minimized)?;
                Ok(dict)
            })
            .collect()
    }

    /// Opens a stream on a capturer of its own, opened as this one was: of `region` (any
    /// region; `None` is the whole screen), or of window `window`; `fps` frames a second
    /// (`None`: as fast as possible); only frames that changed with `changes_only`.
    #[pyo3(signature = (region=None, *, window=None, fps=None, changes_only=false, in_flight=2, use_damage=true, with_cursor=false))]
    #[allow(clippy::too_many_arguments)]
    fn stream(
        &self,
        py: Python<'_>,
        region: Option<&Bound<'_, PyAny>>,
        window: Option<u64>,
        fps: Option<f64>,
        changes_only: bool,
        in_flight: usize,
        use_damage: bool,
        with_cursor: bool,
    ) -> PyResult<Stream> {
        if self.closed() {
            return Err(Failure::Closed {
                what: "open a stream",
            }
            .into_py_err(py));
        }
        let target = stream_target(region, window)?;
        let rate = fps.map_or(Rate::AsFastAsPossible, Rate::PerSecond);
        let options = StreamOptions::new()
            .target(target)
            .rate(rate)
            .changes_only(changes_only)
            .in_flight(in_flight)
            .use_damage(use_damage)
            .with_cursor(with_cursor);
        Stream::open(py, self.builder.clone(), options)
    }

    /// Records frames to `output` (a template with `{n}` for a PNG sequence, else a path) on a
    /// capturer of its own, without the GIL, until `frames` or `duration` (seconds) is
    /// reached, `stop.is_set()` is true, or Ctrl-C (raised once every frame captured is
    /// written whole). Returns the summary as a dict; `mss.MSS.record` documents the rest.
    #[pyo3(signature = (output, region=None, *, window=None, format="png", fps=Some(30.0), frames=None, duration=None, level=6, changes_only=false, in_flight=2, use_damage=true, with_cursor=false, overwrite=false, stop=None))]
    #[allow(clippy::too_many_arguments)]
    fn record<'py>(
        &self,
        py: Python<'py>,
        output: String,
        region: Option<&Bound<'py, PyAny>>,
        window: Option<u64>,
        format: &str,
        fps: Option<f64>,
        frames: Option<u64>,
        duration: Option<f64>,
        level: u8,
        changes_only: bool,
        in_flight: usize,
        use_damage: bool,
        with_cursor: bool,
        overwrite: bool,
        stop: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        if self.closed() {
            return Err(Failure::Closed { what: "record" }.into_py_err(py));
        }
        let target = stream_target(region, window)?;
        let duration = duration
            .map(|seconds| {
                Duration::try_from_secs_f64(seconds)
                    .ok()
                    .filter(|duration| !duration.is_zero())
                    .ok_or_else(|| {
                        pyo3::exceptions::PyValueError::new_err(format!(
                            "duration must be a positive number of seconds or None, not {seconds}"
                        ))
                    })
            })
            .transpose()?;
        if frames == Some(0) {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "frames must be at least 1, or None",
            ));
        }
        let request = crate::record::Request {
            output,
            target,
            format: crate::record::Request::format(format)?,
            fps,
            frames,
            duration,
            level,
            changes_only,
            in_flight,
            use_damage,
            with_cursor,
            overwrite,
            stop: stop.map(Bound::unbind),
        };
        crate::record::record(py, self.builder.clone(), request)
    }

    /// Closes the connection (at once; frames still held stay readable, and their slots are
    /// unmapped when they go). Closing twice does nothing.
    fn close(&self, py: Python<'_>) {
        let mss = py.detach(|| self.lock().take());
        // Dropping the capturer talks to the display; without the GIL too.
        py.detach(move || drop(mss));
    }
}
