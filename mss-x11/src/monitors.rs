//! Listing monitors through RandR, fresh on every call.
//!
//! Requests are pipelined: everything one step needs is sent before the first reply is
//! read, so a listing costs a few round trips however many monitors there are.

use crate::connection::X11Connection;
use mss_core::{Error, Monitor, Region};
use x11rb::cookie::Cookie;
use x11rb::protocol::randr::{
    ConnectionExt as _, GetOutputInfoReply, GetOutputPropertyReply, Output, SetConfig,
};
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, Window};
use x11rb::{CURRENT_TIME, NONE};

use crate::edid::{edid_display_name, printable_name};
use crate::errors::{connection_lost, reply_error};
use crate::options::MonitorSource;

/// How often a listing is restarted when the configuration changes under it.
const ATTEMPTS: usize = 3;
/// EDID bytes to read: the 128-byte base block, in 32-bit units.
const EDID_LONGS: u32 = 32;

/// One monitor found, before its output's name and EDID are read.
struct Found {
    region: Region,
    primary: bool,
    output: Option<Output>,
}

/// Why one attempt at listing did not finish.
enum Attempt {
    Failed(Error),
    ConfigurationChanged,
}

impl From<Error> for Attempt {
    fn from(error: Error) -> Self {
        Self::Failed(error)
    }
}

/// The monitors of `root`, whose current rectangle is `screen`.
pub(crate) fn list_monitors<C: X11Connection>(
    connection: &C,
    display: &str,
    root: Window,
    screen: Region,
    randr_version: Option<(u32, u32)>,
    source: MonitorSource,
) -> Result<Vec<Monitor>, Error> {
    let root_only = vec![Monitor::new(screen).with_primary(true)];
    let Some(version) = randr_version else {
        return Ok(root_only);
    };
    if version < (1, 2) || source == MonitorSource::RootOnly {
        return Ok(root_only);
    }
    let use_get_monitors = version >= (1, 5) && source == MonitorSource::Auto;
    for _ in 0..ATTEMPTS {
        let attempt = if use_get_monitors {
            from_get_monitors(connection, display, root)
        } else {
            from_crtcs(connection, display, root, version)
        };
        match attempt {
            Ok(monitors) => return Ok(monitors),
            Err(Attempt::Failed(error)) => return Err(error),
            Err(Attempt::ConfigurationChanged) => {}
        }
    }
    Err(Error::Protocol {
        display: display.to_owned(),
        request: "RRGetOutputInfo",
        message: format!(
            "the display configuration changed while monitors were listed, {ATTEMPTS} times in a row"
        ),
        source: None,
    })
}

/// RandR 1.5: the server's own monitor list (which includes `xrandr --setmonitor` ones).
fn from_get_monitors<C: X11Connection>(
    connection: &C,
    display: &str,
    root: Window,
) -> Result<Vec<Monitor>, Attempt> {
    let sent = |error| connection_lost(connection, display, error);
    let monitors_cookie = connection.randr_get_monitors(root, true).map_err(sent)?;
    let primary_cookie = connection.randr_get_output_primary(root).map_err(sent)?;
    let edid_cookie = connection.intern_atom(true, b"EDID").map_err(sent)?;
    let reply = monitors_cookie
        .reply()
        .map_err(|error| reply_error(connection, display, "RRGetMonitors", error))?;
    let primary_output = primary_cookie
        .reply()
        .map_err(|error| reply_error(connection, display, "RRGetOutputPrimary", error))?
        .output;
    let edid_atom = edid_cookie
        .reply()
        .map_err(|error| reply_error(connection, display, "InternAtom", error))?
        .atom;
    let found = reply
        .monitors
        .iter()
        .filter(|monitor| monitor.width > 0 && monitor.height > 0)
        .map(|monitor| Found {
            region: Region::new(
                i32::from(monitor.x),
                i32::from(monitor.y),
                u32::from(monitor.width),
                u32::from(monitor.height),
            )
            .expect("a 16-bit rectangle of non-zero size is a valid region"),
            primary: monitor.primary,
            output: choose_output(&monitor.outputs, primary_output),
        })
        .collect();
    describe(connection, display, found, edid_atom, CURRENT_TIME)
}

/// RandR 1.2 to 1.4: one monitor per CRTC that drives at least one output.
fn from_crtcs<C: X11Connection>(
    connection: &C,
    display: &str,
    root: Window,
    version: (u32, u32),
) -> Result<Vec<Monitor>, Attempt> {
    let sent = |error| connection_lost(connection, display, error);
    let resources_cookie = connection
        .randr_get_screen_resources_current(root)
        .map_err(sent)?;
    // The primary output exists from RandR 1.3 on.
    let primary_cookie = if version >= (1, 3) {
        Some(connection.randr_get_output_primary(root).map_err(sent)?)
    } else {
        None
    };
    let edid_cookie = connection.intern_atom(true, b"EDID").map_err(sent)?;
    let resources = resources_cookie
        .reply()
        .map_err(|error| reply_error(connection, display, "RRGetScreenResourcesCurrent", error))?;
    let primary_output = match primary_cookie {
        Some(cookie) => {
            cookie
                .reply()
                .map_err(|error| reply_error(connection, display, "RRGetOutputPrimary", error))?
                .output
        }
        None => NONE,
    };
    let edid_atom = edid_cookie
        .reply()
        .map_err(|error| reply_error(connection, display, "InternAtom", error))?
        .atom;
    let crtc_cookies = resources
        .crtcs
        .iter()
        .map(|&crtc| connection.randr_get_crtc_info(crtc, resources.config_timestamp))
        .collect::<Result<Vec<_>, _>>()
        .map_err(sent)?;
    let mut found = Vec::new();
    for cookie in crtc_cookies {
        let crtc = cookie
            .reply()
            .map_err(|error| reply_error(connection, display, "RRGetCrtcInfo", error))?;
        if crtc.status != SetConfig::SUCCESS {
            return Err(Attempt::ConfigurationChanged);
        }
        if crtc.outputs.is_empty() || crtc.width == 0 || crtc.height == 0 {
            continue;
        }
        let output = choose_output(&crtc.outputs, primary_output);
        found.push(Found {
            region: Region::new(
                i32::from(crtc.x),
                i32::from(crtc.y),
                u32::from(crtc.width),
                u32::from(crtc.height),
            )
            .expect("a 16-bit rectangle of non-zero size is a valid region"),
            primary: primary_output != NONE && output == Some(primary_output),
            output,
        });
    }
    describe(
        connection,
        display,
        found,
        edid_atom,
        resources.config_timestamp,
    )
}

/// The output that names a monitor: the primary output if the monitor shows it, else its
/// first output.
fn choose_output(outputs: &[Output], primary_output: Output) -> Option<Output> {
    if primary_output != NONE && outputs.contains(&primary_output) {
        Some(primary_output)
    } else {
        outputs.first().copied()
    }
}

/// Reads each monitor's output name and EDID display name, all requests pipelined.
fn describe<C: X11Connection>(
    connection: &C,
    display: &str,
    found: Vec<Found>,
    edid_atom: u32,
    config_timestamp: u32,
) -> Result<Vec<Monitor>, Attempt> {
    type Cookies<'c, C> = (
        Cookie<'c, C, GetOutputInfoReply>,
        Option<Cookie<'c, C, GetOutputPropertyReply>>,
    );
    let sent = |error| connection_lost(connection, display, error);
    let mut pending: Vec<(Found, Option<Cookies<'_, C>>)> = Vec::with_capacity(found.len());
    for monitor in found {
        let cookies = match monitor.output {
            Some(output) => {
                let info = connection
                    .randr_get_output_info(output, config_timestamp)
                    .map_err(sent)?;
                let edid = if edid_atom == NONE {
                    None
                } else {
                    Some(
                        connection
                            .randr_get_output_property(
                                output,
                                edid_atom,
                                AtomEnum::ANY,
                                0,
                                EDID_LONGS,
                                false,
                                false,
                            )
                            .map_err(sent)?,
                    )
                };
                Some((info, edid))
            }
            None => None,
        };
        pending.push((monitor, cookies));
    }
    let mut monitors = Vec::with_capacity(pending.len());
    for (found, cookies) in pending {
        let mut monitor = Monitor::new(found.region).with_primary(found.primary);
        if let Some((info_cookie, edid_cookie)) = cookies {
            let info = info_cookie
                .reply()
                .map_err(|error| reply_error(connection, display, "RRGetOutputInfo", error))?;
            if info.status != SetConfig::SUCCESS {
                return Err(Attempt::ConfigurationChanged);
            }
            monitor = monitor.with_output(printable_name(&info.name));
            if let Some(cookie) = edid_cookie {
                let property = cookie.reply().map_err(|error| {
                    reply_error(connection, display, "RRGetOutputProperty", error)
                })?;
                if let Some(name) = edid_display_name(&property.data) {
                    monitor = monitor.with_name(name);
                }
            }
        }
        monitors.push(monitor);
    }
    Ok(monitors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_primary_output_names_the_monitor_when_it_shows_it() {
        assert_eq!(choose_output(&[5, 6], 6), Some(6));
        assert_eq!(choose_output(&[5, 6], 9), Some(5));
        assert_eq!(choose_output(&[5, 6], NONE), Some(5));
        assert_eq!(choose_output(&[], 6), None);
    }
}
