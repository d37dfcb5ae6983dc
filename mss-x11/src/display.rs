//! [`X11Display`]: one screen of an X connection, checked and ready to capture from.

use std::ffi::OsString;
use std::fmt;

use mss_core::{Error, Monitors, PixelFormat, Region, ScreenInfo};
use x11rb::errors::ReplyError;
use x11rb::protocol::Event;
use x11rb::protocol::randr::{self, ConnectionExt as _};
use x11rb::protocol::xproto::{ConnectionExt as _, Window};
use x11rb::x11_utils::X11Error;

use crate::auto_connection::AutoConnection;
use crate::connection::X11Connection;
use crate::errors::{connection_lost, display_unavailable, region_to_protocol, reply_error};
use crate::format::{ScreenFormat, validate_screen_format};
use crate::monitors::list_monitors;
use crate::options::X11Options;
use crate::window_state::WindowState;
use crate::xwayland::{XWayland, detect_xwayland, xwayland_error};

/// The most events read in one go before the server is called a flood: the events this crate
/// selects come a few at a time (a screen change, one damage notice per capture), and even a
/// shared connection's input events do not come tens of thousands between two captures.
pub(crate) const MAX_EVENTS_AT_ONCE: usize = 65_536;

/// One screen of an X connection, validated for capture: the plumbing both X11 backends share.
///
/// It owns the connection ([`AutoConnection`] by default: libxcb loaded at run time, or x11rb's
/// pure-Rust connection where libxcb cannot be loaded; any [`X11Connection`] can be given,
/// including libxcb wrapping an application's own `xcb::Connection`),
/// knows the screen's pixel layout (checked once, from the connection setup), caches the
/// root window's size for region checks, and lists monitors through RandR.
///
/// Every error it returns names the display.
///
/// # Thread safety
///
/// `X11Display<C>` is `Send` when `C` is (every x11rb connection is); methods that update
/// the cached screen size take `&mut self`.
pub struct X11Display<C: X11Connection = AutoConnection> {
    connection: C,
    display_name: String,
    screen_number: usize,
    pub(crate) format: ScreenFormat,
    root_size: (u16, u16),
    root_size_stale: bool,
    randr_version: Option<(u32, u32)>,
    watching_screen_changes: bool,
    options: X11Options,
    /// The server as XWayland, when it is one (and the options allow it).
    xwayland: Option<XWayland>,
    /// The XFixes version, asked for the first time the cursor is read: `None` until then,
    /// `Some(None)` when the server has no XFixes.
    pub(crate) xfixes_version: Option<Option<(u32, u32)>>,
    /// Whether a DAMAGE tracker reads its events from this connection.
    pub(crate) damage_events: bool,
    /// Whether a DamageNotify arrived since [`take_damage_notice`](Self::take_damage_notice)
    /// last looked.
    pub(crate) damage_notified: bool,
    /// What the display remembers of windows between captures.
    pub(crate) window_state: WindowState,
}

impl<C: X11Connection> Drop for X11Display<C> {
    fn drop(&mut self) {
        self.window_state.unredirect_all(&self.connection);
    }
}

impl X11Display<AutoConnection> {
    /// Connects to `display` (or `$DISPLAY` when `None`) over libxcb, loaded at run time, or
    /// over x11rb's pure-Rust connection where libxcb cannot be loaded (see
    /// [`AutoConnection`]; [`describe_connection`](Self::describe_connection) tells which).
    ///
    /// # Errors
    ///
    /// - [`Error::DisplayUnavailable`] when no name is given and `$DISPLAY` is unset or
    ///   empty, when the name is empty or malformed, or when no server answers there.
    /// - Every error of [`from_connection`](X11Display::from_connection).
    pub fn open(display: Option<&str>) -> Result<Self, Error> {
        Self::open_with(display, X11Options::default())
    }

    /// [`open`](Self::open) with options.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    pub fn open_with(display: Option<&str>, options: X11Options) -> Result<Self, Error> {
        let display_name = resolve_display_name(display, std::env::var_os("DISPLAY"))?;
        let (connection, screen_number) = AutoConnection::connect_with_timeout(
            Some(&display_name),
            options.connection_preference(),
            options.wait_timeout(),
        )
        .map_err(|error| display_unavailable(&display_name, error))?;
        Self::from_connection_with(connection, screen_number, display_name, options)
    }
}

impl<C: X11Connection> X11Display<C> {
    /// Uses an open connection, capturing screen `screen_number` (what `connect` returned).
    /// `display_name` is only used in error messages and [`ScreenInfo`].
    ///
    /// Checks the screen's pixel format from the connection setup, reads the root window's
    /// size, asks for the RandR version, recognises XWayland (see
    /// [`X11Options::allow_xwayland`]) and, if RandR is present, selects
    /// `ScreenChangeNotify` on the root window (see [`X11Options::watch_screen_changes`]).
    ///
    /// # Errors
    ///
    /// - [`Error::UnsupportedFormat`] when the screen's pixel layout cannot be captured.
    /// - [`Error::DisplayUnavailable`] when the server has no such screen.
    /// - [`Error::XWaylandRoot`] when the server is XWayland and the options do not allow it.
    /// - [`Error::ConnectionLost`] or [`Error::Protocol`] when a request fails.
    pub fn from_connection(
        connection: C,
        screen_number: usize,
        display_name: impl Into<String>,
    ) -> Result<Self, Error> {
        Self::from_connection_with(
            connection,
            screen_number,
            display_name,
            X11Options::default(),
        )
    }

    /// [`from_connection`](Self::from_connection) with options.
    ///
    /// # Errors
    ///
    /// As [`from_connection`](Self::from_connection).
    pub fn from_connection_with(
        connection: C,
        screen_number: usize,
        display_name: impl Into<String>,
        options: X11Options,
    ) -> Result<Self, Error> {
        let display_name = display_name.into();
        let format = validate_screen_format(&connection.x11_setup(), screen_number, &display_name)?;
        let randr_version = query_randr_version(&connection, &display_name)?;
        let xwayland = detect_xwayland(&connection, &display_name, format.root, randr_version)?;
        if let (Some(xwayland), false) = (&xwayland, options.allows_xwayland()) {
            return Err(xwayland_error(&display_name, xwayland));
        }
        let watching_screen_changes = options.watches_screen_changes()
            && randr_version.is_some()
            && connection.delivers_x11_events();
        if watching_screen_changes {
            connection
                .randr_select_input(format.root, randr::NotifyMask::SCREEN_CHANGE)
                .map_err(|error| connection_lost(&connection, &display_name, error))?
                .check()
                .map_err(|error| reply_error(&connection, &display_name, "RRSelectInput", error))?;
        }
        let mut display = Self {
            connection,
            display_name,
            screen_number,
            format,
            root_size: (0, 0),
            root_size_stale: true,
            randr_version,
            watching_screen_changes,
            options,
            xwayland,
            xfixes_version: None,
            damage_events: false,
            damage_notified: false,
            window_state: WindowState::default(),
        };
        // The setup's size is from when the connection opened, which for a connection the
        // application had before may be long ago: ask.
        display.refresh_root_size()?;
        Ok(display)
    }

    /// The connection, for requests of your own (the SHM backend sends its own here).
    pub fn connection(&self) -> &C {
        &self.connection
    }

    /// When the server is XWayland (captured because [`X11Options::allow_xwayland`] said so),
    /// what frames lack, in words; `None` for any other server.
    pub(crate) fn xwayland_caveat(&self) -> Option<String> {
        self.xwayland
            .as_ref()
            .map(|xwayland| xwayland.caveat(&self.display_name))
    }

    /// Every caveat a backend's status reports of this display
    /// ([`mss_core::BackendStatus::caveats`]): what frames lack on an XWayland captured because
    /// [`X11Options::allow_xwayland`] said so, and, once a window capture found the server
    /// without Composite, that windows are read from the screen.
    pub fn caveats(&self) -> impl Iterator<Item = String> {
        [self.xwayland_caveat(), self.window_state.caveat()]
            .into_iter()
            .flatten()
    }

    /// What carries the requests, in words (`libxcb (loaded at run time)`, `x11rb pure Rust
    /// (libxcb could not be loaded: ...)`), for status reports.
    pub fn describe_connection(&self) -> String {
        self.connection.describe_x11_connection().into_owned()
    }

    /// The display's name as given or read from `$DISPLAY`.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// The screen number captured.
    pub(crate) fn screen_number(&self) -> usize {
        self.screen_number
    }

    /// The root window, which grabs read from.
    pub fn root(&self) -> Window {
        self.format.root
    }

    /// The layout of frames from this screen.
    pub fn format(&self) -> PixelFormat {
        self.format.format
    }

    /// The RandR version the server speaks to us, or `None` without RandR.
    pub fn randr_version(&self) -> Option<(u32, u32)> {
        self.randr_version
    }

    /// Bytes per row of an image `width` pixels wide, padding included.
    pub fn stride_for(&self, width: u16) -> usize {
        self.format.stride_for(width)
    }

    /// The screen as of now: no round trip when screen changes are watched and none was
    /// signalled, one `GetGeometry` otherwise.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] or [`Error::Protocol`] when the connection fails.
    pub fn screen_info(&mut self) -> Result<ScreenInfo, Error> {
        let screen = self.current_screen()?;
        Ok(ScreenInfo::new(
            self.display_name.clone(),
            screen.width(),
            screen.height(),
            self.format.format,
        ))
    }

    /// The monitors as they are now, read fresh from the server (see [`MonitorSource`](crate::MonitorSource)).
    /// Region 0 ("all") is the root window's current size.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] or [`Error::Protocol`] when a request fails, including when
    /// the configuration keeps changing while it is read.
    pub fn monitors(&mut self) -> Result<Monitors, Error> {
        self.drain_events()?;
        let screen = self.refresh_root_size()?;
        let monitors = list_monitors(
            &self.connection,
            &self.display_name,
            self.format.root,
            screen,
            self.randr_version,
            self.options.source(),
        )?;
        Ok(Monitors::new(self.display_name.clone(), screen, monitors))
    }

    /// Checks that `region` lies on the screen as it is now and converts it to the
    /// protocol's `int16` position and `uint16` size.
    ///
    /// Uses the cached root size, updated from screen-change events without a round trip;
    /// before reporting a region out of bounds it re-reads the size once, so a screen that
    /// grew is never refused.
    ///
    /// # Errors
    ///
    /// [`Error::RegionOutOfBounds`] naming the region and the screen; [`Error::ConnectionLost`]
    /// or [`Error::Protocol`] if the size cannot be read.
    pub fn check_region(&mut self, region: Region) -> Result<(i16, i16, u16, u16), Error> {
        self.drain_events()?;
        // Without watched events the cache may be stale: a region it refuses is re-checked
        // below, and one the server refuses is caught by `grab_error`, so no round trip here.
        let screen = if self.root_size_stale {
            self.refresh_root_size()?
        } else {
            self.cached_screen()
        };
        match region_to_protocol(&self.display_name, region, screen) {
            Err(Error::RegionOutOfBounds { .. }) => {
                let screen = self.refresh_root_size()?;
                region_to_protocol(&self.display_name, region, screen)
            }
            result => result,
        }
    }

    /// Turns a failed grab request into the error to report.
    ///
    /// A server `BadMatch` on a region that passed [`check_region`](Self::check_region)
    /// means the screen shrank since: the root size is re-read and, if `region` is now off
    /// the screen, the result is [`Error::RegionOutOfBounds`]. Anything else is mapped as by
    /// [`reply_error`](Self::reply_error).
    pub fn grab_error(
        &mut self,
        region: Region,
        request: &'static str,
        error: ReplyError,
    ) -> Error {
        if let ReplyError::X11Error(X11Error {
            error_kind: x11rb::protocol::ErrorKind::Match,
            ..
        }) = &error
        {
            match self.refresh_root_size() {
                Ok(screen) if !screen.contains(&region) => {
                    return Error::RegionOutOfBounds {
                        display: self.display_name.clone(),
                        region,
                        screen,
                    };
                }
                Ok(_) => {}
                Err(refresh_error) => return refresh_error,
            }
        }
        reply_error(&self.connection, &self.display_name, request, error)
    }

    /// Checks the depth and visual a grab reply states against the root window's.
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] naming `request` and both depth/visual pairs when they differ.
    pub fn check_reply_visual(
        &self,
        request: &'static str,
        depth: u8,
        visual: u32,
    ) -> Result<(), Error> {
        if (depth, visual) == (self.format.depth, self.format.visual) {
            Ok(())
        } else {
            Err(crate::errors::unexpected_visual(
                &self.display_name,
                request,
                (self.format.depth, self.format.visual),
                (depth, visual),
            ))
        }
    }

    /// Maps a connection error (a request could not be sent) to [`Error::ConnectionLost`].
    pub fn connection_lost(&self, error: x11rb::errors::ConnectionError) -> Error {
        connection_lost(&self.connection, &self.display_name, error)
    }

    /// Maps a failed reply to [`Error::Protocol`] or [`Error::ConnectionLost`].
    pub fn reply_error(&self, request: &'static str, error: ReplyError) -> Error {
        reply_error(&self.connection, &self.display_name, request, error)
    }

    /// Reads the root window's size from the server and caches it.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] or [`Error::Protocol`] when `GetGeometry` fails.
    pub(crate) fn refresh_root_size(&mut self) -> Result<Region, Error> {
        let geometry = self
            .connection
            .get_geometry(self.format.root)
            .map_err(|error| connection_lost(&self.connection, &self.display_name, error))?
            .reply()
            .map_err(|error| {
                reply_error(&self.connection, &self.display_name, "GetGeometry", error)
            })?;
        self.root_size = (geometry.width, geometry.height);
        self.root_size_stale = false;
        Ok(self.cached_screen())
    }

    /// The screen rectangle as of now: pending screen-change events are read first, and the
    /// size is re-read only if one arrived.
    fn current_screen(&mut self) -> Result<Region, Error> {
        self.drain_events()?;
        // Without events nothing tells us about changes, so the size must be asked for.
        if self.root_size_stale || !self.watching_screen_changes {
            self.refresh_root_size()
        } else {
            Ok(self.cached_screen())
        }
    }

    /// The screen rectangle as last read: current after [`check_region`](Self::check_region)
    /// or [`screen_info`](Self::screen_info), with no round trip. Backends size their buffers
    /// from it.
    pub fn known_screen(&self) -> Region {
        self.cached_screen()
    }

    fn cached_screen(&self) -> Region {
        let (width, height) = self.root_size;
        Region::new(0, 0, u32::from(width.max(1)), u32::from(height.max(1)))
            .expect("a size of at least 1x1 is a valid region")
    }

    /// Reads queued events without blocking and notes whether the screen changed.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] when the connection is broken; [`Error::Protocol`] when the
    /// server sends more than [`MAX_EVENTS_AT_ONCE`] events without a pause (reading them all
    /// would never end, and a flood read as it comes would only move the unbounded queue from
    /// the server to this process).
    pub(crate) fn drain_events(&mut self) -> Result<(), Error> {
        if !self.watching_screen_changes && !self.damage_events {
            return Ok(());
        }
        let mut read = 0usize;
        while let Some(event) = self
            .connection
            .poll_x11_event()
            .map_err(|error| connection_lost(&self.connection, &self.display_name, error))?
        {
            read += 1;
            if read > MAX_EVENTS_AT_ONCE {
                return Err(Error::Protocol {
                    display: self.display_name.clone(),
                    request: "reading events",
                    message: format!(
                        "the server sent more than {MAX_EVENTS_AT_ONCE} events without a pause, \
                         which no healthy server does; the rest are left unread"
                    ),
                    source: None,
                });
            }
            match event {
                Event::RandrScreenChangeNotify(change) if change.root == self.format.root => {
                    self.root_size_stale = true;
                }
                Event::DamageNotify(_) => self.damage_notified = true,
                _ => {}
            }
        }
        Ok(())
    }
}

impl<C: X11Connection> fmt::Debug for X11Display<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("X11Display")
            .field("display_name", &self.display_name)
            .field("screen_number", &self.screen_number)
            .field("format", &self.format)
            .field("root_size", &self.root_size)
            .field("randr_version", &self.randr_version)
            .field("watching_screen_changes", &self.watching_screen_changes)
            .finish_non_exhaustive()
    }
}

/// The display name to connect to: `given`, or else `$DISPLAY` (passed in as `environment`).
///
/// # Errors
///
/// [`Error::DisplayUnavailable`] when the name is empty, or none is given and `$DISPLAY` is
/// unset or empty.
pub(crate) fn resolve_display_name(
    given: Option<&str>,
    environment: Option<OsString>,
) -> Result<String, Error> {
    let unavailable = |display: String, reason: &str| Error::DisplayUnavailable {
        display,
        reason: reason.to_owned(),
        source: None,
    };
    match given {
        Some("") => Err(unavailable(
            String::new(),
            "the display name is empty; pass a name such as \":0\", or None to use $DISPLAY",
        )),
        Some(name) => Ok(name.to_owned()),
        None => match environment {
            None => Err(unavailable(
                String::new(),
                "DISPLAY is not set; set it (for example DISPLAY=:0) or pass a display name",
            )),
            Some(value) if value.is_empty() => Err(unavailable(
                String::new(),
                "DISPLAY is set but empty; set it (for example DISPLAY=:0) or pass a display name",
            )),
            Some(value) => value.into_string().map_err(|value| {
                unavailable(
                    value.to_string_lossy().into_owned(),
                    "DISPLAY is not valid UTF-8",
                )
            }),
        },
    }
}

/// Asks for RandR 1.6 and returns the version the server agrees to, or `None` when the
/// extension is absent or older than 1.0 answers.
fn query_randr_version<C: X11Connection>(
    connection: &C,
    display: &str,
) -> Result<Option<(u32, u32)>, Error> {
    let present = connection
        .extension_information(randr::X11_EXTENSION_NAME)
        .map_err(|error| connection_lost(connection, display, error))?
        .is_some();
    if !present {
        return Ok(None);
    }
    let reply = connection
        .randr_query_version(1, 6)
        .map_err(|error| connection_lost(connection, display, error))?
        .reply()
        .map_err(|error| reply_error(connection, display, "RRQueryVersion", error))?;
    Ok(Some((reply.major_version, reply.minor_version)))
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case(Some(":5"), Some(":1"), Ok(":5"))]
    #[case(None, Some(":1"), Ok(":1"))]
    #[case(Some("localhost:2.0"), None, Ok("localhost:2.0"))]
    #[case(None, None, Err("DISPLAY is not set"))]
    #[case(None, Some(""), Err("DISPLAY is set but empty"))]
    #[case(Some(""), Some(":1"), Err("the display name is empty"))]
    fn display_name_comes_from_argument_or_environment(
        #[case] given: Option<&str>,
        #[case] environment: Option<&str>,
        #[case] expected: Result<&str, &str>,
    ) {
        let result = resolve_display_name(given, environment.map(OsString::from));
        match (result, expected) {
            (Ok(name), Ok(expected)) => assert_eq!(name, expected),
            (Err(error @ Error::DisplayUnavailable { .. }), Err(fragment)) => {
                assert!(error.to_string().contains(fragment), "{error}");
            }
            (result, expected) => panic!("got {result:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn display_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<X11Display>();
        assert_send::<X11Display<x11rb::rust_connection::RustConnection>>();
    }
}
