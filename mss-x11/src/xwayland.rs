//! Telling XWayland from a real X server.
//!
//! XWayland is the X server a Wayland compositor runs for X11 programs. Its root window is not
//! the desktop. In the usual rootless mode (what compositors start) the root holds no pixels at
//! all: each X11 window is drawn into a buffer of its own that the compositor shows, and the
//! Wayland windows are not on the X side. Measured on Xwayland 22.1 under sway: `ShmGetImage` of
//! the root returns black, even where an X11 window is shown, and `GetImage` of the root fails
//! with `BadMatch`. In rootful mode (`Xwayland` started without `-rootless`) the root is an X11
//! desktop of its own, shown in one Wayland window; capturing it is meaningful, but it is still
//! not the Wayland desktop. A screenshot of either looks like a capture that worked and is not
//! what the user sees, the silent black frame mss-rs promises never to hand out, so
//! [`X11Display`](crate::X11Display) refuses both unless the caller opts in
//! ([`X11Options::allow_xwayland`](crate::X11Options::allow_xwayland)).

use crate::connection::X11Connection;
use x11rb::CURRENT_TIME;
use x11rb::errors::ReplyError;
use x11rb::protocol::ErrorKind;
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, Window};

use crate::edid::printable_name;
use crate::errors::{connection_lost, reply_error};
use mss_core::Error;

/// The extension newer XWayland servers (23.1 and later) announce.
const XWAYLAND_EXTENSION: &str = "XWAYLAND";
/// The prefix of XWayland's RandR output names (`XWAYLAND0`, `XWAYLAND1`, ...).
const XWAYLAND_OUTPUT_PREFIX: &[u8] = b"XWAYLAND";

/// An XWayland server, as recognised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct XWayland {
    /// How it was recognised, in words.
    pub(crate) evidence: String,
    /// Whether it runs rootless: its root window holds no pixels.
    pub(crate) rootless: bool,
}

impl XWayland {
    /// What it is and why its root is not the desktop, in words, for errors.
    pub(crate) fn describe(&self) -> String {
        if self.rootless {
            format!(
                "{}; it runs rootless: its root window holds no pixels at all, neither the \
                 Wayland desktop nor the X11 windows, which are drawn off-screen",
                self.evidence
            )
        } else {
            format!(
                "{}; it runs rootful: its root is an X11 desktop of its own, shown in one \
                 Wayland window, not the Wayland desktop",
                self.evidence
            )
        }
    }

    /// What frames of its root lack, for [`mss_core::BackendStatus::caveats`].
    pub(crate) fn caveat(&self, display: &str) -> String {
        if self.rootless {
            format!(
                "display {display:?} is a rootless XWayland: its root holds no pixels, so \
                 frames are black"
            )
        } else {
            format!(
                "display {display:?} is a rootful XWayland: frames show its X11 desktop, not \
                 the Wayland desktop around it"
            )
        }
    }
}

/// The server as XWayland, or `None` for any other server.
///
/// The `XWAYLAND` extension is asked for first (no round trip when x11rb already knows the
/// extensions); older XWayland servers, such as Debian 12's 22.1, lack it and are recognised
/// by their RandR output names, which takes two pipelined round trips. Whether it runs rootless
/// is then asked the only way the protocol tells: a `GetImage` of one pixel of the root, which
/// a rootless XWayland answers with `BadMatch`.
pub(crate) fn detect_xwayland<C: X11Connection>(
    connection: &C,
    display: &str,
    root: Window,
    randr_version: Option<(u32, u32)>,
) -> Result<Option<XWayland>, Error> {
    let Some(evidence) = xwayland_evidence(connection, display, root, randr_version)? else {
        return Ok(None);
    };
    let probe = connection
        .get_image(ImageFormat::Z_PIXMAP, root, 0, 0, 1, 1, u32::MAX)
        .map_err(|error| connection_lost(connection, display, error))?
        .reply();
    let rootless = match probe {
        Ok(_) => false,
        Err(ReplyError::X11Error(error)) if error.error_kind == ErrorKind::Match => true,
        Err(error) => return Err(reply_error(connection, display, "GetImage", error)),
    };
    Ok(Some(XWayland { evidence, rootless }))
}

/// Why a server was recognised as XWayland, in words, or `None` for any other server.
fn xwayland_evidence<C: X11Connection>(
    connection: &C,
    display: &str,
    root: Window,
    randr_version: Option<(u32, u32)>,
) -> Result<Option<String>, Error> {
    let has_extension = connection
        .extension_information(XWAYLAND_EXTENSION)
        .map_err(|error| connection_lost(connection, display, error))?
        .is_some();
    if has_extension {
        return Ok(Some("it has the XWAYLAND extension".to_owned()));
    }
    if randr_version.is_none_or(|version| version < (1, 2)) {
        return Ok(None);
    }
    let resources = connection
        .randr_get_screen_resources_current(root)
        .map_err(|error| connection_lost(connection, display, error))?
        .reply()
        .map_err(|error| reply_error(connection, display, "RRGetScreenResourcesCurrent", error))?;
    let cookies = resources
        .outputs
        .iter()
        .map(|&output| connection.randr_get_output_info(output, CURRENT_TIME))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| connection_lost(connection, display, error))?;
    let mut names = Vec::new();
    for cookie in cookies {
        let info = cookie
            .reply()
            .map_err(|error| reply_error(connection, display, "RRGetOutputInfo", error))?;
        names.push(info.name);
    }
    Ok(names_evidence(&names))
}

/// The evidence in a list of RandR output names: some are named `XWAYLAND...`.
fn names_evidence(names: &[Vec<u8>]) -> Option<String> {
    let xwayland: Vec<String> = names
        .iter()
        .filter(|name| name.starts_with(XWAYLAND_OUTPUT_PREFIX))
        .map(|name| printable_name(name))
        .collect();
    (!xwayland.is_empty()).then(|| format!("its RandR outputs are named {}", xwayland.join(", ")))
}

/// The error for capturing the root of an XWayland server without opting in.
pub(crate) fn xwayland_error(display: &str, xwayland: &XWayland) -> Error {
    Error::XWaylandRoot {
        display: display.to_owned(),
        evidence: xwayland.describe(),
        instead: "capture the Wayland desktop with a Wayland backend; to capture this X \
                  server's root anyway (an X11 desktop on a rootful XWayland, black on a \
                  rootless one), allow XWayland in the options"
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_named_xwayland_are_evidence_and_others_are_not() {
        let names = |list: &[&str]| -> Vec<Vec<u8>> {
            list.iter().map(|name| name.as_bytes().to_vec()).collect()
        };
        assert_eq!(
            names_evidence(&names(&["XWAYLAND0", "XWAYLAND1"])),
            Some("its RandR outputs are named XWAYLAND0, XWAYLAND1".to_owned())
        );
        assert_eq!(names_evidence(&names(&["screen"])), None);
        assert_eq!(names_evidence(&names(&["DUMMY0", "DUMMY1"])), None);
        assert_eq!(names_evidence(&names(&[])), None);
        assert_eq!(
            names_evidence(&names(&["xwayland0", "HDMI-1"])),
            None,
            "the prefix is upper case, as XWayland names its outputs"
        );
    }

    #[test]
    fn output_names_in_the_evidence_are_printable() {
        let evidence = names_evidence(&[b"XWAYLAND\x1b[2J\x07\xe2\x80\xae0".to_vec()]).unwrap();
        assert_eq!(
            evidence,
            "its RandR outputs are named XWAYLAND\u{fffd}[2J\u{fffd}\u{fffd}\u{fffd}\u{fffd}0"
        );
    }
}
