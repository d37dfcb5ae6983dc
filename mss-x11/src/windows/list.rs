//! Listing the applications' top-level windows: the EWMH client list, the clients a window
//! manager marked with `WM_STATE` below its frames, or the named top-level windows; their
//! titles, classes, pids, places on the screen, and whether they are viewable or minimized
//! (see the [module docs](super)).

use std::collections::HashSet;

use mss_core::{Error, Region, Window as WindowInfo};
use x11rb::protocol::xproto::{
    AtomEnum, ConnectionExt as _, GetWindowAttributesReply, MapState, Window,
};

use super::shared::{CLIENT_SEARCH_DEPTH, minimized};
use crate::connection::X11Connection;
use crate::display::X11Display;
use crate::window_state::WindowAtoms;

/// The most windows one listing asks the tree of: a desktop has a few hundred, and a server
/// whose tree has cycles, or children without end, cannot make a listing go on for ever.
const MAX_TREE_QUERIES: usize = 16_384;

/// How deep a window is looked for below the root before it is called lost (a parent chain
/// longer than any real tree, or a cycle).
const MAX_TREE_DEPTH: usize = 64;

/// The walk of one listing through the window tree: the windows already searched (a tree with
/// a cycle names them again) and the `QueryTree`s left.
struct TreeWalk {
    searched: HashSet<Window>,
    queries_left: usize,
}

impl TreeWalk {
    fn new() -> Self {
        Self {
            searched: HashSet::new(),
            queries_left: MAX_TREE_QUERIES,
        }
    }

    /// Takes one `QueryTree` from the budget.
    ///
    /// # Errors
    ///
    /// [`Error::Protocol`] naming `QueryTree` when the budget is spent.
    fn query(&mut self, display: &str) -> Result<(), Error> {
        self.queries_left = self
            .queries_left
            .checked_sub(1)
            .ok_or_else(|| Error::Protocol {
                display: display.to_owned(),
                request: "QueryTree",
                message: format!(
                    "listing the windows took more than {MAX_TREE_QUERIES} window trees, more than \
                 any desktop has: the server's window tree is endless or loops"
                ),
                source: None,
            })?;
        Ok(())
    }
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

impl<C: X11Connection> X11Display<C> {
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

    /// The client windows, bottom first, each once.
    fn client_windows(&mut self, atoms: &WindowAtoms) -> Result<Vec<Window>, Error> {
        let root = self.root();
        let mut walk = TreeWalk::new();
        let stacking = self.window_list(root, atoms._NET_CLIENT_LIST_STACKING)?;
        if !stacking.is_empty() {
            return Ok(clients_once(stacking, root));
        }
        let top_levels = self.children(root, &mut walk)?;
        let listed = clients_once(self.window_list(root, atoms._NET_CLIENT_LIST)?, root);
        if !listed.is_empty() {
            // In the order of their top-level ancestors' stacking.
            let mut ordered: Vec<(usize, Window)> = Vec::new();
            for client in listed {
                let top = self.top_level_of(client, &mut walk)?;
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
            if let Some(client) = self.client_below(atoms, top, CLIENT_SEARCH_DEPTH, &mut walk)? {
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
        Ok(clients_once(clients, root))
    }

    /// The window carrying `WM_STATE` at or below `window`, searching `depth` levels; a window
    /// met before in this walk (a tree with a cycle) is not searched again.
    fn client_below(
        &mut self,
        atoms: &WindowAtoms,
        window: Window,
        depth: usize,
        walk: &mut TreeWalk,
    ) -> Result<Option<Window>, Error> {
        if !walk.searched.insert(window) {
            return Ok(None);
        }
        if self.has_property(window, atoms.WM_STATE)? {
            return Ok(Some(window));
        }
        if depth == 0 {
            return Ok(None);
        }
        for child in self.children(window, walk)? {
            if let Some(client) = self.client_below(atoms, child, depth - 1, walk)? {
                return Ok(Some(client));
            }
        }
        Ok(None)
    }

    /// The root's child that holds `window`, if `window` still exists and its parents lead to
    /// the root (not round a cycle, nor deeper than [`MAX_TREE_DEPTH`]).
    fn top_level_of(
        &mut self,
        mut window: Window,
        walk: &mut TreeWalk,
    ) -> Result<Option<Window>, Error> {
        let root = self.root();
        let mut chain = HashSet::new();
        for _ in 0..MAX_TREE_DEPTH {
            if !chain.insert(window) {
                return Ok(None);
            }
            walk.query(self.display_name())?;
            let Some(reply) = self.tree(window)? else {
                return Ok(None);
            };
            if reply.parent == root || reply.parent == x11rb::NONE {
                return Ok(Some(window));
            }
            window = reply.parent;
        }
        Ok(None)
    }

    /// `window`'s children, bottom first; none when it is gone.
    fn children(&mut self, window: Window, walk: &mut TreeWalk) -> Result<Vec<Window>, Error> {
        walk.query(self.display_name())?;
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
        let wm_state = self.property(window, atoms.WM_STATE, atoms.WM_STATE, 2)?;
        let net_wm_state = self.property(window, atoms._NET_WM_STATE, AtomEnum::ATOM.into(), 64)?;
        Ok(minimized(atoms, wm_state.as_ref(), net_wm_state.as_ref()))
    }

    /// Where `window`'s contents are on the screen, and its border width; `None` when gone, or
    /// of no size (which a server may say; such a window shows nothing and is not listed).
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
        if geometry.width == 0 || geometry.height == 0 {
            return Ok(None);
        }
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
}

/// The clients among `windows`, in order, each once: a server may list a window twice, or
/// list the root or no window (`None`), which are no application's.
fn clients_once(windows: Vec<Window>, root: Window) -> Vec<Window> {
    let mut seen = HashSet::from([root, x11rb::NONE]);
    windows
        .into_iter()
        .filter(|&window| seen.insert(window))
        .collect()
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
