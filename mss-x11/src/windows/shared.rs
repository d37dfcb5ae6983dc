//! What listing and capturing windows both read of a window: the atoms, interned once;
//! whether the window manager minimized it; a window gone meanwhile.

use mss_core::Error;
use x11rb::errors::ReplyError;
use x11rb::protocol::xproto::GetPropertyReply;

use crate::connection::X11Connection;
use crate::display::X11Display;
use crate::window_state::WindowAtoms;

/// ICCCM's `WM_STATE` value of a minimized (iconified) window.
const ICONIC_STATE: u32 = 3;

/// How deep below a top-level window its client is looked for (frames nest a few levels).
pub(super) const CLIENT_SEARCH_DEPTH: usize = 4;

/// Whether the window manager minimized a window, from its `WM_STATE` (iconic) and
/// `_NET_WM_STATE` (hidden) properties, `None` when unset.
pub(super) fn minimized(
    atoms: &WindowAtoms,
    wm_state: Option<&GetPropertyReply>,
    net_wm_state: Option<&GetPropertyReply>,
) -> bool {
    let iconic = wm_state.and_then(|reply| reply.value32().and_then(|mut values| values.next()))
        == Some(ICONIC_STATE);
    let hidden = net_wm_state
        .and_then(|reply| {
            reply
                .value32()
                .map(|mut states| states.any(|state| state == atoms._NET_WM_STATE_HIDDEN))
        })
        .unwrap_or(false);
    iconic || hidden
}

impl<C: X11Connection> X11Display<C> {
    /// The atoms, interned the first time they are needed.
    pub(super) fn window_atoms(&mut self) -> Result<WindowAtoms, Error> {
        if let Some(atoms) = self.window_state.atoms {
            return Ok(atoms);
        }
        let atoms = WindowAtoms::new(self.connection())
            .map_err(|error| self.connection_lost(error))?
            .reply()
            .map_err(|error| self.reply_error("InternAtom", error))?;
        self.window_state.atoms = Some(atoms);
        Ok(atoms)
    }

    /// A reply, with a `BadWindow` (the window went away meanwhile) as `None`.
    pub(super) fn gone_is_none<T>(
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
}
