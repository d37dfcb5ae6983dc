//! Finding where a window's pixels are for a capture, through Composite: redirecting the
//! window at its first capture (and waiting for its application to repaint what the
//! redirection exposed), naming its pixmap at each one, and checking and placing it with one
//! batch of requests whose replies are read in the same round trip as the image request's;
//! forgetting what was known of a window found gone (see the [module docs](super)).

use std::time::{Duration, Instant};

use mss_core::{Error, Region, WindowProblem};
use x11rb::errors::ReplyError;
use x11rb::protocol::composite::{self, ConnectionExt as _, Redirect};
use x11rb::protocol::xproto::{
    AtomEnum, ConnectionExt as _, GetWindowAttributesReply, MapState, Window,
};

use super::shared::{CLIENT_SEARCH_DEPTH, minimized};
use crate::connection::X11Connection;
use crate::damage::DamageTracker;
use crate::display::X11Display;
use crate::format::{ScreenFormat, validate_visual};
use crate::window_state::{WindowAtoms, WindowSource};

/// Once every pixel of a window redirected while partly hidden has been drawn, the quiet (no
/// drawing on the window) that ends the wait for its application, which may still be drawing
/// over a background the server filled in first.
const REPAINT_QUIET: Duration = Duration::from_millis(30);
/// The longest the whole repaint wait lasts: for an application that does not repaint what
/// was exposed (a hung one), or that keeps drawing.
const REPAINT_LIMIT: Duration = Duration::from_secs(1);

/// The sequence number of a request whose reply is read later, by number.
pub(super) fn forget_sequence<C, R>(
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

/// The requests [`X11Display::probe_window`] sent, by sequence number.
#[derive(Debug)]
pub(super) struct WindowProbe {
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

impl<C: X11Connection> X11Display<C> {
    /// The Composite version when the server has 0.2 or later (`NameWindowPixmap`), asked
    /// once.
    fn composite(&mut self) -> Result<Option<(u32, u32)>, Error> {
        if let Some(version) = self.window_state.composite {
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
        self.window_state.composite = Some(version);
        Ok(version)
    }

    /// The error for `window` with `problem`.
    fn window_unavailable(&self, window: Window, problem: WindowProblem) -> Error {
        Error::WindowUnavailable {
            display: self.display_name().to_owned(),
            window: u64::from(window),
            problem,
        }
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
    pub(super) fn probe_window(
        &mut self,
        id: u64,
    ) -> Result<(WindowProbe, Option<WindowSource>), Error> {
        let window = u32::try_from(id).map_err(|_| Error::WindowUnavailable {
            display: self.display_name().to_owned(),
            window: id,
            problem: WindowProblem::Gone,
        })?;
        let atoms = self.window_atoms()?;
        let composite = self.composite()?.is_some();
        if composite && !self.window_state.redirected.contains(&window) {
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
        let guess = self
            .window_state
            .sources
            .get(&window)
            .map(|last| WindowSource {
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
    /// A redirected window gets a pixmap of its own, into which the server copies what the
    /// screen showed of the window, and asks the application to repaint what was hidden
    /// (`Expose`), filling it first with the window's background if it has one; the
    /// application's drawing lands in the pixmap. When the window was partly hidden (covered,
    /// or beyond the screen's edge), this waits, with DAMAGE, until every pixel of the window
    /// has been drawn since the redirection (the server's copy and fill, and the
    /// application's repaint of the rest), and then until the window has seen no drawing for
    /// [`REPAINT_QUIET`], all within [`REPAINT_LIMIT`].
    ///
    /// The first part is what makes the first capture right: it ends when the application
    /// has repainted what was exposed, however long a loaded machine takes to get it done,
    /// and never before. The quiet after it is for an application that draws over a
    /// background the server filled in (which already counts as drawn). An application that
    /// does not repaint at all is waited for until the limit.
    fn redirect(&mut self, window: Window) -> Result<(), Error> {
        let watch = match self.partly_hidden(window)? {
            Some(area) => DamageTracker::start(self, window)?
                .ok()
                .map(|watch| (watch, area)),
            None => None,
        };
        let cookie = self
            .connection()
            .composite_redirect_window(window, Redirect::AUTOMATIC)
            .map_err(|error| self.connection_lost(error))?;
        let redirected = self.finish_redirect(window, cookie.check());
        if let Some((watch, area)) = watch {
            if redirected.is_ok() {
                self.await_repaint(&watch, area)?;
            }
            watch.destroy(self)?;
            self.take_damage_notice()?;
        }
        redirected
    }

    /// Waits until `watch` (DAMAGE on a window just redirected) has reported drawing on every
    /// pixel of `area` (the window, in its own coordinates), then until it has been quiet for
    /// [`REPAINT_QUIET`]; at most [`REPAINT_LIMIT`] in all.
    fn await_repaint(&mut self, watch: &DamageTracker, area: Region) -> Result<(), Error> {
        let limit = Instant::now() + REPAINT_LIMIT;
        let mut unpainted = vec![area];
        while !unpainted.is_empty() {
            if !self.wait_for_damage(Some(limit))? {
                return Ok(());
            }
            let painted = self.take_damage(watch)?;
            unpainted = subtract_rectangles(unpainted, &painted);
        }
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

    /// Moves what `watch` reported since the last look into its region, re-arming it, and
    /// returns that region's rectangles (one round trip).
    fn take_damage(&mut self, watch: &DamageTracker) -> Result<Vec<Region>, Error> {
        let subtract = watch.subtract(self)?;
        let fetch = watch.fetch(self)?;
        let reply = x11rb::cookie::Cookie::<C, x11rb::protocol::xfixes::FetchRegionReply>::new(
            self.connection(),
            fetch,
        )
        .reply()
        .map_err(|error| self.reply_error("XFixesFetchRegion", error))?;
        self.connection().discard_reply(
            subtract,
            x11rb::connection::RequestKind::IsVoid,
            x11rb::connection::DiscardMode::DiscardReplyAndError,
        );
        Ok(DamageTracker::rectangles(&reply))
    }

    /// When part of `window` is hidden now (beyond the screen's edge, or under a viewable
    /// window stacked above its top-level window), the window's area in its own coordinates;
    /// `None` when it is wholly shown. Best effort: a window that goes away meanwhile is not
    /// hidden (its capture reports it gone).
    fn partly_hidden(&mut self, window: Window) -> Result<Option<Region>, Error> {
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
            return Ok(None);
        };
        let border = i32::from(geometry.border_width);
        let Ok(area) = Region::new(0, 0, u32::from(geometry.width), u32::from(geometry.height))
        else {
            return Ok(None);
        };
        let Ok(placed) = Region::new(
            i32::from(translate.dst_x) - border,
            i32::from(translate.dst_y) - border,
            u32::from(geometry.width) + 2 * u32::from(geometry.border_width),
            u32::from(geometry.height) + 2 * u32::from(geometry.border_width),
        ) else {
            return Ok(None);
        };
        if placed.intersection(&self.known_screen()) != Some(placed) {
            return Ok(Some(area));
        }
        // The top-level ancestor, and the windows stacked above it.
        let mut top = window;
        for _ in 0..=CLIENT_SEARCH_DEPTH {
            let Ok(tree) = connection
                .query_tree(top)
                .map_err(|e| lost(self, e))?
                .reply()
            else {
                return Ok(None);
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
            return Ok(None);
        };
        let Some(position) = tree.children.iter().position(|&child| child == top) else {
            return Ok(None);
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
                return Ok(Some(area));
            }
        }
        Ok(None)
    }

    /// Judges the answer to a redirection of `window`.
    fn finish_redirect(
        &mut self,
        window: Window,
        answer: Result<(), ReplyError>,
    ) -> Result<(), Error> {
        match answer {
            Ok(()) => {
                self.window_state.redirected.push(window);
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
                self.window_state.redirected.push(window);
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
    pub(super) fn finish_probe(&mut self, probe: WindowProbe) -> Result<WindowSource, Error> {
        let result = self.read_probe(&probe);
        if result.is_err() {
            if let Some((pixmap, _)) = probe.pixmap
                && let Ok(cookie) = self.connection().free_pixmap(pixmap)
            {
                cookie.ignore_error();
            }
            self.window_state.sources.remove(&probe.window);
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
        let wm_state = self.gone_is_none(wm_state, "GetProperty")?;
        let net_wm_state = self.gone_is_none(net_wm_state, "GetProperty")?;
        if minimized(&probe.atoms, wm_state.as_ref(), net_wm_state.as_ref()) {
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
        // Offsets into the drawable are 16 signed bits on the wire: one that does not fit is
        // refused, never truncated into another place.
        let offset = |what: &str, offset: i64| {
            i16::try_from(offset).map_err(|_| Error::Unsupported {
                backend: "x11",
                what: "capturing a window whose pixels start beyond 32767 pixels into it",
                reason: format!(
                    "window {window:#x} ({region}) would be read from {offset} pixels {what} \
                     its corner, which the X protocol cannot ask for"
                ),
            })
        };
        let border = offset("right of and below", i64::from(geometry.border_width))?;
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
                // Inside a screen of 16-bit size.
                let width = u16::try_from(visible.width()).unwrap_or(u16::MAX);
                let height = u16::try_from(visible.height()).unwrap_or(u16::MAX);
                WindowSource {
                    drawable: window,
                    x: offset(
                        "right of",
                        i64::from(visible.left()) - i64::from(region.left()),
                    )?,
                    y: offset("below", i64::from(visible.top()) - i64::from(region.top()))?,
                    width,
                    height,
                    region: visible,
                    depth: geometry.depth,
                    visual: attributes.visual,
                    format: format.format,
                    stride: format.stride_for(width),
                    pixmap: None,
                }
            }
        };
        self.window_state.sources.insert(window, source);
        Ok(source)
    }

    /// Whether a window capture that failed with `error` should be tried once more: the
    /// window was found gone although this display had redirected it, which also happens to
    /// a live window when its id was met before (an application's window ids are reused after
    /// it exits) or when it was resized or unmapped while the capture's requests were being
    /// served. What this display knew of the window is forgotten, so the next try redirects
    /// and judges it afresh and reports what it finds.
    pub(super) fn retry_window_capture(&mut self, id: u64, error: &Error) -> bool {
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
        self.window_state.sources.remove(&window);
        let known = self.window_state.redirected.len();
        self.window_state
            .redirected
            .retain(|&redirected| redirected != window);
        self.window_state.redirected.len() != known
    }

    /// Frees what [`finish_probe`](Self::finish_probe) named for a capture (no round trip).
    pub(super) fn release_window_source(&self, source: &WindowSource) {
        if let Some(pixmap) = source.pixmap
            && let Ok(cookie) = self.connection().free_pixmap(pixmap)
        {
            cookie.ignore_error();
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
}

/// What of `areas` the rectangles `painted` leave uncovered, as rectangles.
fn subtract_rectangles(areas: Vec<Region>, painted: &[Region]) -> Vec<Region> {
    painted.iter().fold(areas, |areas, painted| {
        areas
            .into_iter()
            .flat_map(|area| match area.intersection(painted) {
                None => vec![area],
                Some(overlap) => {
                    let (left, top, right, bottom) =
                        (area.left(), area.top(), area.right(), area.bottom());
                    // Above and below the overlap across the whole area, then beside it.
                    [
                        (left, top, right, overlap.top()),
                        (left, overlap.bottom(), right, bottom),
                        (left, overlap.top(), overlap.left(), overlap.bottom()),
                        (overlap.right(), overlap.top(), right, overlap.bottom()),
                    ]
                    .into_iter()
                    .filter(|&(left, top, right, bottom)| right > left && bottom > top)
                    .filter_map(|(left, top, right, bottom)| {
                        Region::new(left, top, right.abs_diff(left), bottom.abs_diff(top)).ok()
                    })
                    .collect()
                }
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
        Region::new(left, top, width, height).unwrap()
    }

    fn area(regions: &[Region]) -> u64 {
        regions.iter().map(Region::area).sum()
    }

    #[test]
    fn painted_rectangles_are_taken_out_of_what_is_left_to_paint() {
        let window = region(0, 0, 140, 100);
        // What the server copies of a window covered in its middle, then the repaint of the
        // covered part: nothing is left.
        let copied = [region(0, 0, 140, 40), region(0, 40, 60, 60)];
        let left = subtract_rectangles(vec![window], &copied);
        assert_eq!(area(&left), 140 * 100 - 140 * 40 - 60 * 60);
        assert!(left.iter().all(|piece| window.contains(piece)));
        assert!(subtract_rectangles(left.clone(), &[region(60, 40, 80, 60)]).is_empty());
        // Damage beyond the window (its border) covers what it overlaps and nothing else.
        assert!(subtract_rectangles(vec![window], &[region(-2, -2, 144, 104)]).is_empty());
        // A hole in the middle leaves a frame of four pieces around it.
        let framed = subtract_rectangles(vec![window], &[region(10, 10, 20, 20)]);
        assert_eq!(framed.len(), 4);
        assert_eq!(area(&framed), 140 * 100 - 20 * 20);
        assert!(
            framed
                .iter()
                .all(|piece| piece.intersection(&region(10, 10, 20, 20)).is_none())
        );
        // Rectangles that miss change nothing.
        assert_eq!(
            subtract_rectangles(vec![window], &[region(200, 0, 5, 5)]),
            [window]
        );
    }
}
