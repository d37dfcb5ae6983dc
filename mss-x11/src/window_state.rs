//! [`WindowState`]: what an [`X11Display`](crate::X11Display) remembers of windows between
//! captures, and undoes when it closes.
//!
//! It is plain data, kept apart from the code that lists and captures windows
//! (`crate::windows`), which uses the display: the display owns this state and needs nothing
//! else of windows.

use std::collections::HashMap;

use mss_core::{PixelFormat, Region};
use x11rb::protocol::composite::{ConnectionExt as _, Redirect};
use x11rb::protocol::xproto::{ConnectionExt as _, Window};

use crate::connection::X11Connection;

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
    pub format: PixelFormat,
    /// Bytes per row of the captured rectangle, padding included.
    pub stride: usize,
    /// The pixmap to free after the capture (Composite), if any.
    pub pixmap: Option<u32>,
}

/// What a display remembers of windows.
#[derive(Debug, Default)]
pub(crate) struct WindowState {
    /// The atoms windows are described with, once interned.
    pub(crate) atoms: Option<WindowAtoms>,
    /// The Composite version (0.2 or later), asked the first time a window is captured:
    /// `None` until then, `Some(None)` when the server has none.
    pub(crate) composite: Option<Option<(u32, u32)>>,
    /// Windows the display redirected for captures, undone when it closes.
    pub(crate) redirected: Vec<Window>,
    /// Where each window's pixels were at its last capture: the next capture's guess.
    pub(crate) sources: HashMap<Window, WindowSource>,
}

impl WindowState {
    /// What a status should say of window captures, once the display found that the server
    /// has no Composite: windows are then read from the screen, where other windows cover
    /// them.
    pub(crate) fn caveat(&self) -> Option<String> {
        matches!(self.composite, Some(None)).then(|| {
            "windows are read from the screen (the X server has no Composite extension): parts \
             covered by other windows show those windows, and parts off the screen are left out"
                .to_owned()
        })
    }

    /// Undoes every redirection made for window captures, if any (best effort: windows gone
    /// since give errors nobody waits for).
    pub(crate) fn unredirect_all<C: X11Connection>(&mut self, connection: &C) {
        if self.redirected.is_empty() {
            return;
        }
        for window in std::mem::take(&mut self.redirected) {
            if let Ok(cookie) = connection.composite_unredirect_window(window, Redirect::AUTOMATIC)
            {
                cookie.ignore_error();
            }
        }
        // A round trip sends them (the connection may be the application's, and outlive
        // the display); a server forgets a closed connection's redirections itself.
        if let Ok(cookie) = connection.get_input_focus() {
            let _ = cookie.reply();
        }
    }
}
