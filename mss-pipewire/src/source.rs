//! Where screen casts come from: a [`Source`] lists the monitors and starts a cast of one,
//! handing back the PipeWire node to read. [`MutterSource`] asks GNOME's compositor directly
//! (`org.gnome.Mutter.ScreenCast`, no dialog); the desktop portal (KDE, COSMIC, and GNOME
//! through a dialog) will be another source. Everything after the node (the stream, its
//! frames, grabs and streams of mss-core) is the same whatever the source.

use std::time::Duration;

use mss_core::Error;

use crate::layout::{self, Placed};
use crate::mutter::{self, CursorMode, MutterDbus, MutterError};
use crate::{BACKEND_NAME, METHOD};

/// A cast a source started.
pub(crate) struct Started {
    /// The PipeWire node to connect a stream to.
    pub(crate) node: u32,
    /// `CLOCK_MONOTONIC` nanoseconds just before the cast started: frames recorded earlier
    /// are not the screen as it is.
    pub(crate) started_at: i64,
    /// What keeps the cast going; dropping it ends the cast.
    pub(crate) keep: Box<dyn Send>,
}

/// Where screen casts come from; see the [module docs](self).
pub(crate) trait Source: Send {
    /// The monitors, as they are now.
    ///
    /// # Errors
    ///
    /// The source's errors, as mss-core's.
    fn monitors(&mut self) -> Result<Vec<Placed>, Error>;

    /// Starts a cast of `monitor`, the pointer shown as `cursor` says.
    ///
    /// # Errors
    ///
    /// The source's errors, as mss-core's.
    fn start(&mut self, monitor: &Placed, cursor: CursorMode) -> Result<Started, Error>;

    /// What the source is, for the status (`org.gnome.Mutter.ScreenCast on the session bus
    /// at ...`).
    fn describe(&self) -> String;
}

/// GNOME's compositor, asked directly over the session bus.
pub(crate) struct MutterSource {
    mutter: MutterDbus,
    display: String,
    timeout: Option<Duration>,
}

impl MutterSource {
    /// Connects to the session bus at `bus` and checks that mutter's screen cast is there.
    ///
    /// # Errors
    ///
    /// [`Error::DisplayUnavailable`] when the bus cannot be reached, [`Error::Timeout`] when
    /// it does not answer in time, [`Error::Unsupported`] when mutter's interfaces are not on
    /// it (saying that the portal path is not implemented yet).
    pub(crate) fn connect(
        bus: &str,
        display: &str,
        timeout: Option<Duration>,
    ) -> Result<Self, Error> {
        let mutter = MutterDbus::connect(bus, timeout).map_err(|error| match error {
            MutterError::Connect { .. } | MutterError::Dbus { .. } => Error::DisplayUnavailable {
                display: display.to_owned(),
                reason: error.to_string(),
                source: Some(Box::new(error)),
            },
            other => as_core_error(display, timeout, other),
        })?;
        let source = Self {
            mutter,
            display: display.to_owned(),
            timeout,
        };
        for name in [mutter::SCREEN_CAST, mutter::DISPLAY_CONFIG] {
            let owned = source
                .mutter
                .has_owner(name)
                .map_err(|error| as_core_error(display, timeout, error))?;
            if !owned {
                return Err(Error::Unsupported {
                    backend: BACKEND_NAME,
                    what: "capturing the screen",
                    reason: format!(
                        "{name} is not on the session bus at {bus}: the compositor is not \
                         GNOME's mutter, which offers it (KDE, COSMIC and other desktops \
                         offer the screen-cast portal, which mss-rs does not implement yet)"
                    ),
                });
            }
        }
        Ok(source)
    }
}

impl Source for MutterSource {
    fn monitors(&mut self) -> Result<Vec<Placed>, Error> {
        let state = self
            .mutter
            .display_state()
            .map_err(|error| as_core_error(&self.display, self.timeout, error))?;
        layout::monitors(&state)
    }

    fn start(&mut self, monitor: &Placed, cursor: CursorMode) -> Result<Started, Error> {
        let cast = self
            .mutter
            .record_monitor(&monitor.connector, cursor, self.timeout)
            .map_err(|error| as_core_error(&self.display, self.timeout, error))?;
        Ok(Started {
            node: cast.node_id(),
            started_at: cast.started_at(),
            keep: Box::new(cast),
        })
    }

    fn describe(&self) -> String {
        format!("{METHOD} on the session bus at {}", self.mutter.address())
    }
}

/// mss-core's error for `error` from mutter's bus, for `display`, whose calls are given
/// `timeout`.
fn as_core_error(display: &str, timeout: Option<Duration>, error: MutterError) -> Error {
    if error.is_timeout() {
        let waiting_for = match &error {
            MutterError::Timeout { waiting_for, .. } => format!("mutter's {waiting_for}"),
            MutterError::Dbus { call, .. } => format!("mutter's answer to {call}"),
            _ => "mutter".to_owned(),
        };
        let seconds = match &error {
            MutterError::Timeout { seconds, .. } => *seconds,
            _ => timeout.unwrap_or_default().as_secs_f64(),
        };
        return Error::Timeout {
            display: display.to_owned(),
            waiting_for,
            seconds,
        };
    }
    if error.is_gone() {
        return Error::ConnectionLost {
            display: display.to_owned(),
            reason: format!("mutter is gone from the session bus: {error}"),
            source: Some(Box::new(error)),
        };
    }
    let request = match &error {
        MutterError::Dbus { call, .. } | MutterError::Unexpected { call, .. } => *call,
        _ => "the session bus",
    };
    Error::Protocol {
        display: display.to_owned(),
        request,
        message: error.to_string(),
        source: Some(Box::new(error)),
    }
}
