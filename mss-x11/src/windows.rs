//! Windows: listing the applications' top-level windows, and finding a window's pixels for a
//! capture, through Composite where the server has it.
//!
//! # Which windows
//!
//! With an EWMH window manager, its client list, in stacking order
//! (`_NET_CLIENT_LIST_STACKING`, else `_NET_CLIENT_LIST` ordered by the stacking of their
//! top-level ancestors). Otherwise the root's children in stacking order: under a window
//! manager (one selects the root's substructure redirect), the clients it marked with
//! `WM_STATE`, found below their frames (as ICCCM has window managers mark them, and as
//! `xprop` finds them), and not the manager's own windows; with no window manager at all, the
//! named top-level windows (menus and tooltips, which bypass managers, excepted). Frames are
//! never listed: a client's geometry and pixels are its own.
//!
//! # A window's pixels
//!
//! With Composite (0.2 or later), the window is redirected (automatically: the server still
//! draws it on the screen as before) the first time it is captured, so it keeps its whole
//! contents in a pixmap of its own even where other windows cover it or the screen's edge cuts
//! it. Each capture names that pixmap anew (`NameWindowPixmap`: the pixmap of a resized window
//! is a new one) and frees it afterwards. Every redirection made is undone when the display
//! closes. Without Composite, the window's part on the screen is read from the window itself,
//! where covered parts show whatever covers them; the status says so.

use std::time::{Duration, Instant};

use mss_core::{Error, Region, Window as WindowInfo, WindowProblem};
use x11rb::errors::ReplyError;
use x11rb::protocol::composite::{self, ConnectionExt as _, Redirect};
use x11rb::protocol::xproto::{
    AtomEnum, ConnectionExt as _, GetWindowAttributesReply, MapState, Window,
};

#[allow(
    unused_imports,
    reason = "the trait's methods are called on the connection"
)]
use crate::X11Connection as _;
use crate::format::{ScreenFormat, validate_visual};
use crate::{X11Connection, X11Display};

x11rb::atom_manager! {
    /// The atoms windows are described with.
    pub(crate) WindowAtoms: WindowAtomsCookie {
        _NET_CLIENT_LIST_STACKING,
        _NET_CLIENT_LIST,
        _NET_WM_NAME,
        UTF8_STRING,
        _NET_WM_PID,
        _NET_WM_STATE,
        _NET_WM_STATE_HIDDEN,
        WM_STATE,
    }
}

/// ICCCM's `WM_STATE` value of a minimized (iconified) window.
const ICONIC_STATE: u32 = 3;

/// How deep below a top-level window its client is looked for (frames nest a few levels).
const CLIENT_SEARCH_DEPTH: usize = 4;

/// After redirecting a window that was partly hidden, the quiet (no drawing on the window)
/// that ends the wait for its application to repaint what was hidden.
const REPAINT_QUIET: Duration = Duration::from_millis(30);
/// The longest that wait lasts, for an application that keeps drawing.
const REPAINT_LIMIT: Duration = Duration::from_millis(500);

/// The sequence number of a request whose reply is read later, by number.
fn forget_sequence<C, R>(
    cookie: x11rb::cookie::Cookie<'_, C, R>,
) -> x11rb::connection::SequenceNumber
where
    C: x11rb::connection::RequestConnection + ?Sized,
    R: x11rb::x11_utils::TryParse,
{
    let sequence = cookie.sequence_number();
    std::mem::forget(cookie);
    sequence
}

/// The text of a property of type `STRING`. ICCCM says Latin-1, but many programs store UTF-8
/// there (ImageMagick's `display`, scripts setting titles); bytes that are valid UTF-8 with
/// characters beyond ASCII are almost never meant as Latin-1 (`Ã©` for `é`), so they are read
/// as UTF-8, and anything else as Latin-1.
fn string_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&byte| char::from(byte)).collect(),
    }
}

/// The requests [`X11Display::probe_window`] sent, by sequence number.
#[derive(Debug)]
pub struct WindowProbe {
    window: Window,
    atoms: WindowAtoms,
    attributes: x11rb::connection::SequenceNumber,
    wm_state: x11rb::connection::SequenceNumber,
    net_wm_state: x11rb::connection::SequenceNumber,
    geometry: x11rb::connection::SequenceNumber,
    translate: x11rb::connection::SequenceNumber,
    /// The pixmap named (Composite), and the `GetGeometry` of that pixmap: its size is the
    /// window's size when it was named, whatever happened between the requests.
    pixmap: Option<(u32, x11rb::connection::SequenceNumber)>,
}

/// Where a capture of a window reads its pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowSource {
    /// The drawable to read: the window's named pixmap (Composite), or the window.
    pub drawable: u32,
    /// Where in the drawable the captured rectangle starts.
    pub x: i16,
    /// Where in the drawable the captured rectangle starts.
    pub y: i16,
    /// The captured rectangle's width.
    pub width: u16,
    /// The captured rectangle's height.
    pub height: u16,
    /// Where the captured rectangle is on the screen (the whole window with Composite).
    pub region: Region,
    /// The pixels' depth and visual.
    pub depth: u8,
    /// The pixels' visual.
    pub visual: u32,
    /// The pixel layout.
    pub format: mss_core::PixelFormat,
    /// Bytes per row of the captured rectangle, padding included.
    pub stride: usize,
    /// The pixmap to free after the capture (Composite), if any.
    pub pixmap: Option<u32>,
}

impl<C: X11Connection> X11Display<C> {
    /// The atoms, interned the first time they are needed.
    fn window_atoms(&mut self) -> Result<WindowAtoms, Error> {
        if let Some(atoms) = self.window_atoms {
            return Ok(atoms);
        }
        let atoms = WindowAtoms::new(self.connection())
            .map_err(|error| self.connection_lost(error))?
            .reply()
            .map_err(|error| self.reply_error("InternAtom", error))?;
        self.window_atoms = Some(atoms);
        Ok(atoms)
    }

    /// The Composite version when the server has 0.2 or later (`NameWindowPixmap`), asked
    /// once.
    pub fn composite(&mut self) -> Result<Option<(u32, u32)>, Error> {
        if let Some(version) = self.composite_version {
            return Ok(version);
        }
        let present = self
            .connection()
            .extension_information(composite::X11_EXTENSION_NAME)
            .map_err(|error| self.connection_lost(error))?
            .is_some();
        let version = if present {
            let reply = self
                .connection()
                .composite_query_version(0, 4)
                .map_err(|error| self.connection_lost(error))?
                .reply()
                .map_err(|error| self.reply_error("CompositeQueryVersion", error))?;
            let version = (reply.major_version, reply.minor_version);
            (version >= (0, 2)).then_some(version)
        } else {
            None
        };
        self.composite_version = Some(version);
        Ok(version)
    }

    /// What a status should say of window captures, once this display found that the server
    /// has no Composite: windows are then read from the screen, where other windows cover
    /// them.
    pub fn windows_caveat(&self) -> Option<String> {
        matches!(self.composite_version, Some(None)).then(|| {
            "windows are read from the screen (the X server has no Composite extension): parts \
             covered by other windows show those windows, and parts off the screen are left out"
                .to_owned()
        })
    }

    /// The applications' top-level windows, bottom of the stacking order first: the EWMH
    /// manager's client list; else, under another window manager, the clients it marked with
    /// `WM_STATE` (never its frames); with no manager, the named top-level windows.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] or [`Error::Protocol`] when the server fails.
    pub fn windows(&mut self) -> Result<Vec<WindowInfo>, Error> {
        let atoms = self.window_atoms()?;
        let clients = self.client_windows(&atoms)?;
        let mut windows = Vec::new();
        for id in clients {
            if let Some(window) = self.describe(&atoms, id)? {
                windows.push(window);
            }
        }
        Ok(windows)
    }

    /// The client windows, bottom first.
    fn client_windows(&mut self, atoms: &WindowAtoms) -> Result<Vec<Window>, Error> {
        let root = self.root();
        let stacking = self.window_list(root, atoms._NET_CLIENT_LIST_STACKING)?;
        if !stacking.is_empty() {
            return Ok(stacking);
        }
        let top_levels = self.children(root)?;
        let listed = self.window_list(root, atoms._NET_CLIENT_LIST)?;
        if !listed.is_empty() {
            // In the order of their top-level ancestors' stacking.
            let mut ordered: Vec<(usize, Window)> = Vec::new();
            for client in listed {
                let top = self.top_level_of(client)?;
                let rank = top
                    .and_then(|top| top_levels.iter().position(|&window| window == top))
                    .unwrap_or(usize::MAX);
                ordered.push((rank, client));
            }
            ordered.sort_by_key(|&(rank, _)| rank);
            return Ok(ordered.into_iter().map(|(_, client)| client).collect());
        }
        // A window manager (whoever redirects the root's structure) marks its clients with
        // WM_STATE; its own windows (an icon manager, say) are not clients.
        let managed = self.attributes(root)?.is_some_and(|attributes| {
            attributes
                .all_event_masks
                .contains(x11rb::protocol::xproto::EventMask::SUBSTRUCTURE_REDIRECT)
        });
        let mut clients = Vec::new();
        for top in top_levels {
            if let Some(client) = self.client_below(atoms, top, CLIENT_SEARCH_DEPTH)? {
                clients.push(client);
            } else if !managed
                && self
                    .title(atoms, top)?
                    .is_some_and(|title| !title.is_empty())
                && !self.is_override_redirect(top)?
            {
                // No window manager: the named top-level windows.
                clients.push(top);
            }
        }
        Ok(clients)
    }

    /// The window carrying `WM_STATE` at or below `window`, searching `depth` levels.
    fn client_below(
        &mut self,
        atoms: &WindowAtoms,
        window: Window,
        depth: usize,
    ) -> Result<Option<Window>, Error> {
        if self.has_property(window, atoms.WM_STATE)? {
            return Ok(Some(window));
        }
        if depth == 0 {
            return Ok(None);
        }
        for child in self.children(window)? {
            if let Some(client) = self.client_below(atoms, child, depth - 1)? {
                return Ok(Some(client));
            }
        }
        Ok(None)
    }

    /// The root's child that holds `window`, if `window` still exists.
    fn top_level_of(&mut self, mut window: Window) -> Result<Option<Window>, Error> {
        let root = self.root();
        loop {
            let Some(reply) = self.tree(window)? else {
                return Ok(None);
            };
            if reply.parent == root || reply.parent == x11rb::NONE {
                return Ok(Some(window));
            }
            window = reply.parent;
        }
    }

    /// `window`'s children, bottom first; none when it is gone.
    fn children(&mut self, window: Window) -> Result<Vec<Window>, Error> {
        Ok(self
            .tree(window)?
            .map(|reply| reply.children)
            .unwrap_or_default())
    }

    /// `QueryTree`, or `None` for a window that is gone.
    fn tree(
        &mut self,
        window: Window,
    ) -> Result<Option<x11rb::protocol::xproto::QueryTreeReply>, Error> {
        let reply = self
            .connection()
            .query_tree(window)
            .map_err(|error| self.connection_lost(error))?
            .reply();
        self.gone_is_none(reply, "QueryTree")
    }

    /// A reply, with a `BadWindow` (the window went away meanwhile) as `None`.
    fn gone_is_none<T>(
        &self,
        reply: Result<T, ReplyError>,
        request: &'static str,
    ) -> Result<Option<T>, Error> {
        match reply {
            Ok(reply) => Ok(Some(reply)),
            Err(ReplyError::X11Error(error))
                if error.error_kind == x11rb::protocol::ErrorKind::Window =>
            {
                Ok(None)
            }
            Err(error) => Err(self.reply_error(request, error)),
        }
    }

    /// A list of windows on `window` under `property`; empty when unset.
    fn window_list(&mut self, window: Window, property: u32) -> Result<Vec<Window>, Error> {
        Ok(self
            .property(window, property, AtomEnum::WINDOW.into(), 4096)?
            .and_then(|reply| reply.value32().map(Iterator::collect))
            .unwrap_or_default())
    }

    /// `GetProperty`, or `None` when the window is gone or the property unset.
    fn property(
        &mut self,
        window: Window,
        property: u32,
        kind: u32,
        longs: u32,
    ) -> Result<Option<x11rb::protocol::xproto::GetPropertyReply>, Error> {
        let reply = self
            .connection()
            .get_property(false, window, property, kind, 0, longs)
            .map_err(|error| self.connection_lost(error))?
            .reply();
        Ok(self
            .gone_is_none(reply, "GetProperty")?
            .filter(|reply| reply.type_ != x11rb::NONE))
    }

    /// Whether `window` has `property` at all.
    fn has_property(&mut self, window: Window, property: u32) -> Result<bool, Error> {
        Ok(self
            .property(window, property, AtomEnum::ANY.into(), 0)?
            .is_some())
    }

    /// Whether `window` bypasses the window manager (menus, tooltips).
    fn is_override_redirect(&mut self, window: Window) -> Result<bool, Error> {
        Ok(self
            .attributes(window)?
            .is_some_and(|attributes| attributes.override_redirect))
    }

    /// `GetWindowAttributes`, or `None` for a window that is gone.
    fn attributes(&mut self, window: Window) -> Result<Option<GetWindowAttributesReply>, Error> {
        let reply = self
            .connection()
            .get_window_attributes(window)
            .map_err(|error| self.connection_lost(error))?
            .reply();
        self.gone_is_none(reply, "GetWindowAttributes")
    }

    /// `_NET_WM_NAME` as UTF-8, else `WM_NAME` (see [`string_text`]), if set.
    fn title(&mut self, atoms: &WindowAtoms, window: Window) -> Result<Option<String>, Error> {
        if let Some(reply) = self.property(window, atoms._NET_WM_NAME, atoms.UTF8_STRING, 1024)? {
            return Ok(Some(String::from_utf8_lossy(&reply.value).into_owned()));
        }
        Ok(self
            .property(window, AtomEnum::WM_NAME.into(), AtomEnum::ANY.into(), 1024)?
            .map(|reply| {
                if reply.type_ == u32::from(AtomEnum::STRING) {
                    string_text(&reply.value)
                } else {
                    String::from_utf8_lossy(&reply.value).into_owned()
                }
            }))
    }

    /// Whether the window manager minimized `window` (`WM_STATE` iconic, or
    /// `_NET_WM_STATE_HIDDEN`).
    fn is_minimized(&mut self, atoms: &WindowAtoms, window: Window) -> Result<bool, Error> {
        let iconic = self
            .property(window, atoms.WM_STATE, atoms.WM_STATE, 2)?
            .and_then(|reply| reply.value32().and_then(|mut values| values.next()))
            == Some(ICONIC_STATE);
        let hidden = self
            .property(window, atoms._NET_WM_STATE, AtomEnum::ATOM.into(), 64)?
            .and_then(|reply| {
                reply
                    .value32()
                    .map(|mut states| states.any(|state| state == atoms._NET_WM_STATE_HIDDEN))
            })
            .unwrap_or(false);
        Ok(iconic || hidden)
    }

    /// Where `window`'s contents are on the screen, and its border width; `None` when gone.
    fn placement(&mut self, window: Window) -> Result<Option<(Region, u16, u8)>, Error> {
        let connection = self.connection();
        let geometry = connection
            .get_geometry(window)
            .map_err(|error| self.connection_lost(error))?;
        let translated = connection
            .translate_coordinates(window, self.root(), 0, 0)
            .map_err(|error| self.connection_lost(error))?;
        let Some(geometry) = self.gone_is_none(geometry.reply(), "GetGeometry")? else {
            return Ok(None);
        };
        let Some(translated) = self.gone_is_none(translated.reply(), "TranslateCoordinates")?
        else {
            return Ok(None);
        };
        let region = Region::new(
            i32::from(translated.dst_x),
            i32::from(translated.dst_y),
            u32::from(geometry.width),
            u32::from(geometry.height),
        )?;
        Ok(Some((region, geometry.border_width, geometry.depth)))
    }

    /// Everything [`windows`](Self::windows) says of `window`; `None` when it is gone.
    fn describe(
        &mut self,
        atoms: &WindowAtoms,
        window: Window,
    ) -> Result<Option<WindowInfo>, Error> {
        let Some(attributes) = self.attributes(window)? else {
            return Ok(None);
        };
        let Some((region, _, _)) = self.placement(window)? else {
            return Ok(None);
        };
        let mut info = WindowInfo::new(u64::from(window), region).with_state(
            attributes.map_state == MapState::VIEWABLE,
            self.is_minimized(atoms, window)?,
        );
        if let Some(title) = self.title(atoms, window)? {
            info = info.with_title(&title);
        }
        if let Some(reply) = self.property(
            window,
            AtomEnum::WM_CLASS.into(),
            AtomEnum::STRING.into(),
            256,
        )? {
            let mut parts = reply.value.split(|&byte| byte == 0);
            let instance = parts.next().map(string_text).unwrap_or_default();
            let class = parts.next().map(string_text).unwrap_or_default();
            info = info.with_class(&instance, &class);
        }
        if let Some(pid) = self
            .property(window, atoms._NET_WM_PID, AtomEnum::CARDINAL.into(), 1)?
            .and_then(|reply| reply.value32().and_then(|mut values| values.next()))
        {
            info = info.with_pid(pid);
        }
        Ok(Some(info))
    }

    /// The error for `window` with `problem`.
    fn window_unavailable(&self, window: Window, problem: WindowProblem) -> Error {
        Error::WindowUnavailable {
            display: self.display_name().to_owned(),
            window: u64::from(window),
            problem,
        }
    }

    /// Where a capture of `window` reads its pixels: its Composite pixmap (redirected at the
    /// first capture) where the server has Composite, else the window itself. The window
    /// is checked first: gone, unmapped or minimized is an error naming it. One round trip
    /// ([`probe_window`](Self::probe_window), then [`finish_probe`](Self::finish_probe)).
    ///
    /// # Errors
    ///
    /// As [`finish_probe`](Self::finish_probe).
    pub fn window_source(&mut self, id: u64) -> Result<WindowSource, Error> {
        let (probe, _) = self.probe_window(id)?;
        self.finish_probe(probe)
    }

    /// Sends every request that checks and places window `id` at once, and names its pixmap
    /// (Composite); returns them to be read by [`finish_probe`](Self::finish_probe), and where
    /// the pixels were the last time, so that the caller can ask for them in the same round
    /// trip and use them when the probe confirms the guess.
    ///
    /// # Errors
    ///
    /// [`Error::WindowUnavailable`] for an id that is no X11 window id or a window gone when
    /// it is first redirected; the connection's errors.
    pub fn probe_window(&mut self, id: u64) -> Result<(WindowProbe, Option<WindowSource>), Error> {
        let window = u32::try_from(id).map_err(|_| Error::WindowUnavailable {
            display: self.display_name().to_owned(),
            window: id,
            problem: WindowProblem::Gone,
        })?;
        let atoms = self.window_atoms()?;
        let composite = self.composite()?.is_some();
        if composite && !self.redirected.contains(&window) {
            self.redirect(window)?;
        }
        let lost = |display: &Self, error| display.connection_lost(error);
        let connection = self.connection();
        let attributes = connection
            .get_window_attributes(window)
            .map(forget_sequence)
            .map_err(|e| lost(self, e))?;
        let wm_state = connection
            .get_property(false, window, atoms.WM_STATE, atoms.WM_STATE, 0, 2)
            .map(forget_sequence)
            .map_err(|e| lost(self, e))?;
        let net_wm_state = connection
            .get_property(false, window, atoms._NET_WM_STATE, AtomEnum::ATOM, 0, 64)
            .map(forget_sequence)
            .map_err(|e| lost(self, e))?;
        let geometry = connection
            .get_geometry(window)
            .map(forget_sequence)
            .map_err(|e| lost(self, e))?;
        let translate = connection
            .translate_coordinates(window, self.root(), 0, 0)
            .map(forget_sequence)
            .map_err(|e| lost(self, e))?;
        let pixmap = if composite {
            let pixmap = connection
                .generate_x11_id()
                .map_err(|error| Error::ConnectionLost {
                    display: self.display_name().to_owned(),
                    reason: error.to_string(),
                    source: None,
                })?;
            // Its failure (the window unmapped or gone meanwhile) shows as the pixmap's
            // geometry failing, read below.
            connection
                .composite_name_window_pixmap(window, pixmap)
                .map_err(|e| lost(self, e))?
                .ignore_error();
            let pixmap_geometry = connection
                .get_geometry(pixmap)
                .map(forget_sequence)
                .map_err(|e| lost(self, e))?;
            Some((pixmap, pixmap_geometry))
        } else {
            None
        };
        let pixmap_id = pixmap.map(|(pixmap, _)| pixmap);
        let guess = self.window_cache.get(&window).map(|last| WindowSource {
            drawable: pixmap_id.unwrap_or(window),
            pixmap: pixmap_id,
            ..*last
        });
        Ok((
            WindowProbe {
                window,
                atoms,
                attributes,
                wm_state,
                net_wm_state,
                geometry,
                translate,
                pixmap,
            },
            guess,
        ))
    }

    /// Redirects `window` (once), checking the answer.
    ///
    /// A redirected window gets a pixmap of its own, which the server fills with what the
    /// screen showed there, covering windows included, and asks the application to repaint
    /// what was hidden (`Expose`); the application's drawing lands in the pixmap. When the
    /// window was partly hidden (covered, or beyond the screen's edge), this waits, with
    /// DAMAGE, until the window has seen no drawing for [`REPAINT_QUIET`] (at most
    /// [`REPAINT_LIMIT`]), so that the first capture shows the window and not what covered it.
    /// An application that does not repaint within that time is not waited for further.
    fn redirect(&mut self, window: Window) -> Result<(), Error> {
        let watch = if self.partly_hidden(window)? {
            crate::DamageTracker::start(self, window)?.ok()
        } else {
            None
        };
        let cookie = self
            .connection()
            .composite_redirect_window(window, Redirect::AUTOMATIC)
            .map_err(|error| self.connection_lost(error))?;
        let redirected = self.finish_redirect(window, cookie.check());
        if let Some(watch) = watch {
            if redirected.is_ok() {
                self.await_repaint(&watch)?;
            }
            watch.destroy(self)?;
            self.take_damage_notice()?;
        }
        redirected
    }

    /// Waits until `watch` (DAMAGE on a window just redirected) has been quiet for
    /// [`REPAINT_QUIET`], or [`REPAINT_LIMIT`] has passed.
    fn await_repaint(&mut self, watch: &crate::DamageTracker) -> Result<(), Error> {
        let limit = Instant::now() + REPAINT_LIMIT;
        loop {
            let quiet_until = (Instant::now() + REPAINT_QUIET).min(limit);
            if !self.wait_for_damage(Some(quiet_until))? || Instant::now() >= limit {
                return Ok(());
            }
            // Drawing: re-armed, and the quiet starts again.
            let sequence = watch.subtract(self)?;
            self.connection().discard_reply(
                sequence,
                x11rb::connection::RequestKind::IsVoid,
                x11rb::connection::DiscardMode::DiscardReplyAndError,
            );
        }
    }

    /// Whether part of `window` is hidden now: beyond the screen's edge, or under a viewable
    /// window stacked above its top-level window. Best effort: a window that goes away
    /// meanwhile is not hidden (its capture reports it gone).
    fn partly_hidden(&mut self, window: Window) -> Result<bool, Error> {
        let connection = self.connection();
        let root = self.root();
        let lost = |display: &Self, error| display.connection_lost(error);
        let geometry = connection
            .get_geometry(window)
            .map_err(|e| lost(self, e))?
            .reply();
        let translate = connection
            .translate_coordinates(window, root, 0, 0)
            .map_err(|e| lost(self, e))?
            .reply();
        let (Ok(geometry), Ok(translate)) = (geometry, translate) else {
            return Ok(false);
        };
        let border = i32::from(geometry.border_width);
        let Ok(placed) = Region::new(
            i32::from(translate.dst_x) - border,
            i32::from(translate.dst_y) - border,
            u32::from(geometry.width) + 2 * u32::from(geometry.border_width),
            u32::from(geometry.height) + 2 * u32::from(geometry.border_width),
        ) else {
            return Ok(false);
        };
        if placed.intersection(&self.known_screen()) != Some(placed) {
            return Ok(true);
        }
        // The top-level ancestor, and the windows stacked above it.
        let mut top = window;
        for _ in 0..=CLIENT_SEARCH_DEPTH {
            let Ok(tree) = connection
                .query_tree(top)
                .map_err(|e| lost(self, e))?
                .reply()
            else {
                return Ok(false);
            };
            if tree.parent == root || tree.parent == x11rb::NONE {
                break;
            }
            top = tree.parent;
        }
        let Ok(tree) = connection
            .query_tree(root)
            .map_err(|e| lost(self, e))?
            .reply()
        else {
            return Ok(false);
        };
        let Some(position) = tree.children.iter().position(|&child| child == top) else {
            return Ok(false);
        };
        let mut above = Vec::new();
        for &sibling in &tree.children[position + 1..] {
            let attributes = connection
                .get_window_attributes(sibling)
                .map_err(|e| lost(self, e))?;
            let geometry = connection
                .get_geometry(sibling)
                .map_err(|e| lost(self, e))?;
            above.push((attributes, geometry));
        }
        for (attributes, geometry) in above {
            let (Ok(attributes), Ok(geometry)) = (attributes.reply(), geometry.reply()) else {
                continue;
            };
            if attributes.map_state != MapState::VIEWABLE
                || attributes.class == x11rb::protocol::xproto::WindowClass::INPUT_ONLY
            {
                continue;
            }
            let extra = 2 * u32::from(geometry.border_width);
            let covering = Region::new(
                i32::from(geometry.x),
                i32::from(geometry.y),
                u32::from(geometry.width) + extra,
                u32::from(geometry.height) + extra,
            );
            if covering.is_ok_and(|covering| covering.intersection(&placed).is_some()) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Judges the answer to a redirection of `window`.
    fn finish_redirect(
        &mut self,
        window: Window,
        answer: Result<(), ReplyError>,
    ) -> Result<(), Error> {
        match answer {
            Ok(()) => {
                self.redirected.push(window);
                Ok(())
            }
            Err(ReplyError::X11Error(error))
                if error.error_kind == x11rb::protocol::ErrorKind::Window =>
            {
                Err(self.window_unavailable(window, WindowProblem::Gone))
            }
            // Another client redirected it manually (a compositing manager), or this one did
            // already (a window id met again after `forget_window`): its pixmap can be named.
            // Remembered, so that it is not asked again at every capture; undoing it at the
            // end fails harmlessly when the redirection is not this client's.
            Err(ReplyError::X11Error(error))
                if error.error_kind == x11rb::protocol::ErrorKind::Access =>
            {
                self.redirected.push(window);
                Ok(())
            }
            Err(error) => Err(self.reply_error("CompositeRedirectWindow", error)),
        }
    }

    /// Reads what [`probe_window`](Self::probe_window) asked: the window must exist, be
    /// shown and not be minimized; returns where its pixels are now (remembered for the next
    /// probe's guess). On an error the named pixmap is freed.
    ///
    /// # Errors
    ///
    /// [`Error::WindowUnavailable`]; [`Error::Unsupported`] for a window entirely off the
    /// screen on a server without Composite; [`Error::UnsupportedFormat`] for a window whose
    /// pixels cannot be read (a palette visual); the server's failures.
    pub fn finish_probe(&mut self, probe: WindowProbe) -> Result<WindowSource, Error> {
        let result = self.read_probe(&probe);
        if result.is_err() {
            if let Some((pixmap, _)) = probe.pixmap {
                if let Ok(cookie) = self.connection().free_pixmap(pixmap) {
                    cookie.ignore_error();
                }
            }
            self.window_cache.remove(&probe.window);
        }
        result
    }

    fn read_probe(&mut self, probe: &WindowProbe) -> Result<WindowSource, Error> {
        use x11rb::cookie::Cookie;
        use x11rb::protocol::xproto::{
            GetGeometryReply, GetPropertyReply, TranslateCoordinatesReply,
        };
        let window = probe.window;
        let connection = self.connection();
        // Every reply is read, so none is left behind, before any is judged.
        let attributes =
            Cookie::<C, GetWindowAttributesReply>::new(connection, probe.attributes).reply();
        let wm_state = Cookie::<C, GetPropertyReply>::new(connection, probe.wm_state).reply();
        let net_wm_state =
            Cookie::<C, GetPropertyReply>::new(connection, probe.net_wm_state).reply();
        let geometry = Cookie::<C, GetGeometryReply>::new(connection, probe.geometry).reply();
        let translate =
            Cookie::<C, TranslateCoordinatesReply>::new(connection, probe.translate).reply();
        let pixmap_geometry = probe
            .pixmap
            .map(|(_, sequence)| Cookie::<C, GetGeometryReply>::new(connection, sequence).reply());
        let gone = || Error::WindowUnavailable {
            display: self.display_name().to_owned(),
            window: u64::from(window),
            problem: WindowProblem::Gone,
        };
        let Some(attributes) = self.gone_is_none(attributes, "GetWindowAttributes")? else {
            return Err(gone());
        };
        let iconic = self
            .gone_is_none(wm_state, "GetProperty")?
            .and_then(|reply| reply.value32().and_then(|mut values| values.next()))
            == Some(ICONIC_STATE);
        let hidden = self
            .gone_is_none(net_wm_state, "GetProperty")?
            .and_then(|reply| {
                reply
                    .value32()
                    .map(|mut states| states.any(|state| state == probe.atoms._NET_WM_STATE_HIDDEN))
            })
            .unwrap_or(false);
        if iconic || hidden {
            return Err(self.window_unavailable(window, WindowProblem::Minimized));
        }
        if attributes.map_state != MapState::VIEWABLE {
            return Err(self.window_unavailable(window, WindowProblem::Unmapped));
        }
        let (Some(mut geometry), Some(translate)) = (
            self.gone_is_none(geometry, "GetGeometry")?,
            self.gone_is_none(translate, "TranslateCoordinates")?,
        ) else {
            return Err(gone());
        };
        if let Some(pixmap_geometry) = pixmap_geometry {
            // The pixmap holds the window and its border as they were when it was named; the
            // window may have been resized (or unmapped: no pixmap) since its own geometry
            // was read. The pixmap's size is the one to read.
            let pixmap_geometry = match pixmap_geometry {
                Ok(reply) => reply,
                Err(ReplyError::X11Error(_)) => return Err(gone()),
                Err(error) => return Err(self.reply_error("GetGeometry", error)),
            };
            let border = geometry.border_width.saturating_mul(2);
            match (
                pixmap_geometry.width.checked_sub(border),
                pixmap_geometry.height.checked_sub(border),
            ) {
                (Some(width), Some(height)) if width > 0 && height > 0 => {
                    geometry.width = width;
                    geometry.height = height;
                    geometry.depth = pixmap_geometry.depth;
                }
                // The border changed meanwhile as well: judged again at the next capture.
                _ => return Err(gone()),
            }
        }
        let region = Region::new(
            i32::from(translate.dst_x),
            i32::from(translate.dst_y),
            u32::from(geometry.width),
            u32::from(geometry.height),
        )?;
        let format = self.visual_format(geometry.depth, attributes.visual)?;
        let border = i16::try_from(geometry.border_width).unwrap_or(i16::MAX);
        let source = match probe.pixmap {
            Some((pixmap, _)) => WindowSource {
                drawable: pixmap,
                x: border,
                y: border,
                width: geometry.width,
                height: geometry.height,
                region,
                depth: geometry.depth,
                visual: attributes.visual,
                format: format.format,
                stride: format.stride_for(geometry.width),
                pixmap: Some(pixmap),
            },
            None => {
                // No Composite: the part on the screen, read from the window.
                let visible = region.intersection(&self.known_screen()).ok_or_else(|| {
                    Error::Unsupported {
                        backend: "x11",
                        what: "capturing a window off the screen",
                        reason: format!(
                            "window {window:#x} is entirely off the screen ({region}) and the \
                             X server has no Composite extension to keep its contents"
                        ),
                    }
                })?;
                let width = visible.width() as u16;
                WindowSource {
                    drawable: window,
                    x: (visible.left() - region.left()) as i16,
                    y: (visible.top() - region.top()) as i16,
                    width,
                    height: visible.height() as u16,
                    region: visible,
                    depth: geometry.depth,
                    visual: attributes.visual,
                    format: format.format,
                    stride: format.stride_for(width),
                    pixmap: None,
                }
            }
        };
        self.window_cache.insert(window, source);
        Ok(source)
    }

    /// Whether a window capture that failed with `error` should be tried once more: the
    /// window was found gone although this display had redirected it, which also happens to
    /// a live window when its id was met before (an application's window ids are reused after
    /// it exits) or when it was resized or unmapped while the capture's requests were being
    /// served. What this display knew of the window is forgotten, so the next try redirects
    /// and judges it afresh and reports what it finds.
    pub fn retry_window_capture(&mut self, id: u64, error: &Error) -> bool {
        let gone = matches!(
            error,
            Error::WindowUnavailable { window, problem: WindowProblem::Gone, .. } if *window == id
        );
        let Ok(window) = u32::try_from(id) else {
            return false;
        };
        if !gone {
            return false;
        }
        self.window_cache.remove(&window);
        let known = self.redirected.len();
        self.redirected.retain(|&redirected| redirected != window);
        self.redirected.len() != known
    }

    /// Frees what [`window_source`](Self::window_source) made for a capture (no round trip).
    pub fn release_window_source(&self, source: &WindowSource) {
        if let Some(pixmap) = source.pixmap {
            if let Ok(cookie) = self.connection().free_pixmap(pixmap) {
                cookie.ignore_error();
            }
        }
    }

    /// The layout of pixels of `depth` and `visual` on this screen.
    fn visual_format(&self, depth: u8, visual: u32) -> Result<ScreenFormat, Error> {
        if (depth, visual) == (self.format.depth, self.format.visual) {
            return Ok(self.format);
        }
        let setup = self.connection().x11_setup();
        validate_visual(
            &setup,
            &setup.roots[self.screen_number()],
            (depth, visual, "the window's visual"),
            self.display_name(),
        )
    }

    /// Undoes every redirection made for window captures (best effort: windows gone since
    /// give errors nobody waits for).
    pub(crate) fn unredirect_windows(&mut self) {
        for window in std::mem::take(&mut self.redirected) {
            if let Ok(cookie) = self
                .connection()
                .composite_unredirect_window(window, Redirect::AUTOMATIC)
            {
                cookie.ignore_error();
            }
        }
        // A round trip sends them (the connection may be the application's, and outlive
        // this display); a server forgets a closed connection's redirections itself.
        if let Ok(cookie) = self.connection().get_input_focus() {
            let _ = cookie.reply();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::string_text;

    #[test]
    fn string_properties_are_latin1_unless_they_are_utf8() {
        assert_eq!(string_text(b"Terminal"), "Terminal");
        // "Logo – viewer" as UTF-8 in a STRING property (ImageMagick's display does this).
        assert_eq!(string_text("Logo – viewer".as_bytes()), "Logo – viewer");
        // Latin-1 proper: 0xE9 alone is not UTF-8.
        assert_eq!(string_text(b"caf\xe9"), "café");
        assert_eq!(string_text(b""), "");
    }
}
