//! Telling XWayland from a real X server.
//!
//! XWayland is the X server a Wayland compositor runs for X11 programs. Its root window is not
//! the desktop: in the usual rootless mode it holds only the X11 windows, each placed where the
//! compositor shows it, over black. A screenshot of that root looks like a capture that worked
//! and is all black where the Wayland windows are, which is exactly the silent black frame
//! mss-rs promises never to hand out, so [`X11Display`](crate::X11Display) refuses it unless
//! the caller opts in ([`X11Options::allow_xwayland`](crate::X11Options::allow_xwayland)).

use x11rb::CURRENT_TIME;
use x11rb::connection::RequestConnection;
use x11rb::protocol::randr::ConnectionExt as _;
use x11rb::protocol::xproto::Window;

use crate::errors::{connection_lost, reply_error};
use mss_core::Error;

/// The extension newer XWayland servers (23.1 and later) announce.
const XWAYLAND_EXTENSION: &str = "XWAYLAND";
/// The prefix of XWayland's RandR output names (`XWAYLAND0`, `XWAYLAND1`, ...).
const XWAYLAND_OUTPUT_PREFIX: &[u8] = b"XWAYLAND";

/// Why a server was recognised as XWayland, in words, or `None` for any other server.
///
/// The `XWAYLAND` extension is asked for first (no round trip when x11rb already knows the
/// extensions); older XWayland servers, such as Debian 12's 22.1, lack it and are recognised
/// by their RandR output names, which takes two pipelined round trips.
pub(crate) fn xwayland_evidence<C: RequestConnection>(
    connection: &C,
    display: &str,
    root: Window,
    randr_version: Option<(u32, u32)>,
) -> Result<Option<String>, Error> {
    let has_extension = connection
        .extension_information(XWAYLAND_EXTENSION)
        .map_err(|error| connection_lost(display, error))?
        .is_some();
    if has_extension {
        return Ok(Some("it has the XWAYLAND extension".to_owned()));
    }
    if randr_version.is_none_or(|version| version < (1, 2)) {
        return Ok(None);
    }
    let resources = connection
        .randr_get_screen_resources_current(root)
        .map_err(|error| connection_lost(display, error))?
        .reply()
        .map_err(|error| reply_error(display, "RRGetScreenResourcesCurrent", error))?;
    let cookies = resources
        .outputs
        .iter()
        .map(|&output| connection.randr_get_output_info(output, CURRENT_TIME))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| connection_lost(display, error))?;
    let mut names = Vec::new();
    for cookie in cookies {
        let info = cookie
            .reply()
            .map_err(|error| reply_error(display, "RRGetOutputInfo", error))?;
        names.push(info.name);
    }
    Ok(names_evidence(&names))
}

/// The evidence in a list of RandR output names: some are named `XWAYLAND...`.
fn names_evidence(names: &[Vec<u8>]) -> Option<String> {
    let xwayland: Vec<String> = names
        .iter()
        .filter(|name| name.starts_with(XWAYLAND_OUTPUT_PREFIX))
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .collect();
    (!xwayland.is_empty()).then(|| format!("its RandR outputs are named {}", xwayland.join(", ")))
}

/// The error for capturing the root of an XWayland server without opting in.
pub(crate) fn xwayland_error(display: &str, evidence: String) -> Error {
    Error::XWaylandRoot {
        display: display.to_owned(),
        evidence,
        instead: "capture the Wayland session with a Wayland backend, or opt in to capturing \
                  its X11 windows only"
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
}
