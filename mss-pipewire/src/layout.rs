//! The monitors as mutter lays them out (`DisplayConfig.GetCurrentState`), as mss-core's
//! [`Monitor`]s in the screen's logical coordinates, and how a region of one maps to the
//! device pixels of its screen cast.
//!
//! A monitor here is a logical monitor: a place on the screen, shown by one or more physical
//! monitors (more than one when mirrored); it is cast through its first physical monitor's
//! connector. Its size is its current mode's, turned when its transform turns it, and
//! divided by its scale in mutter's logical layout mode (rounded, as mutter does). Monitors
//! are listed in the order of mutter's physical monitors (`Meta-0`, `Meta-1`, ... for
//! virtual ones), each logical monitor once; monitor 0 is their bounding box.
//!
//! mutter paints a logical monitor upright into its screen cast, at its scale in the logical
//! layout mode (`round(width * scale)` by `round(height * scale)` pixels), so frames of rotated
//! monitors are upright: monitors report no transform, and their pixel size is the cast's.

use mss_core::{Error, Monitor, Monitors, Region, printable};

use crate::BACKEND_NAME;
use crate::mutter::{DisplayState, LayoutMode};

/// A monitor, with the connector its screen cast is asked for by.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Placed {
    /// The connector of the first physical monitor showing it (`Meta-0`, `DP-1`).
    pub(crate) connector: String,
    /// The monitor, in the screen's logical coordinates.
    pub(crate) monitor: Monitor,
}

impl Placed {
    /// Where it is on the screen.
    pub(crate) fn region(&self) -> Region {
        self.monitor.region()
    }
}

/// The monitors of `state`, in order (see the [module docs](self)).
///
/// # Errors
///
/// [`Error::Unsupported`] when no monitor is on (mutter shows nothing to capture).
pub(crate) fn monitors(state: &DisplayState) -> Result<Vec<Placed>, Error> {
    let mut placed: Vec<(usize, Placed)> = Vec::new();
    for (index, logical) in state.logical_monitors.iter().enumerate() {
        let Some(first) = state.monitors.iter().find(|monitor| {
            logical.connectors.contains(&monitor.connector) && monitor.mode.is_some()
        }) else {
            continue;
        };
        let (mode_width, mode_height) = first.mode.expect("found with a mode");
        let rotated = logical.transform % 2 == 1;
        let (width, height) = if rotated {
            (mode_height, mode_width)
        } else {
            (mode_width, mode_height)
        };
        let scale = if logical.scale.is_finite() && logical.scale > 0.0 {
            logical.scale
        } else {
            1.0
        };
        let (logical_width, logical_height, pixel_width, pixel_height) = match state.layout_mode {
            LayoutMode::Physical => (width, height, width, height),
            _ => {
                let logical_width = round(f64::from(width) / scale);
                let logical_height = round(f64::from(height) / scale);
                (
                    logical_width,
                    logical_height,
                    round(f64::from(logical_width) * scale),
                    round(f64::from(logical_height) * scale),
                )
            }
        };
        let Ok(region) = Region::from_signed(
            i64::from(logical.x),
            i64::from(logical.y),
            i64::from(logical_width),
            i64::from(logical_height),
        ) else {
            continue;
        };
        let mut monitor = Monitor::new(region)
            .with_primary(logical.primary)
            .with_output(printable(&first.connector));
        if (pixel_width, pixel_height) != (logical_width, logical_height) {
            monitor = monitor.with_pixel_size(pixel_width, pixel_height);
        }
        if let Some(name) = first
            .display_name
            .as_deref()
            .filter(|name| !name.is_empty())
        {
            monitor = monitor.with_name(printable(name));
        }
        let description = [&first.vendor, &first.product, &first.serial]
            .into_iter()
            .map(|part| part.trim())
            .filter(|part| !part.is_empty() && *part != "unknown")
            .collect::<Vec<_>>()
            .join(" ");
        if !description.is_empty() {
            monitor = monitor.with_description(printable(&description));
        }
        // Ordered by the first physical monitor's place in mutter's list.
        let order = state
            .monitors
            .iter()
            .position(|monitor| monitor.connector == first.connector)
            .unwrap_or(usize::MAX - index);
        placed.push((
            order,
            Placed {
                connector: first.connector.clone(),
                monitor,
            },
        ));
    }
    placed.sort_by_key(|(order, _)| *order);
    if placed.is_empty() {
        return Err(Error::Unsupported {
            backend: BACKEND_NAME,
            what: "capturing the screen",
            reason: "mutter reports no monitor that is on".to_owned(),
        });
    }
    Ok(placed.into_iter().map(|(_, placed)| placed).collect())
}

/// The layout of `placed` for `display`: their bounding box and the monitors.
pub(crate) fn layout(display: &str, placed: &[Placed]) -> Monitors {
    let all = bounding_box(placed);
    Monitors::new(
        display,
        all,
        placed.iter().map(|placed| placed.monitor.clone()).collect(),
    )
}

/// The bounding box of `placed` (never empty: [`monitors`] lists at least one).
pub(crate) fn bounding_box(placed: &[Placed]) -> Region {
    placed
        .iter()
        .map(Placed::region)
        .reduce(|all, region| all.union(&region))
        .expect("monitors() never lists no monitor")
}

/// A non-negative size rounded to the nearest whole pixel, as mutter rounds (`roundf`).
fn round(value: f64) -> u32 {
    value.round().clamp(0.0, f64::from(u32::MAX)) as u32
}

/// A region of a monitor in the device pixels of a picture of it: the rectangle of the
/// picture, from its top-left corner, that shows the region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PixelRect {
    pub(crate) x: u32,
    pub(crate) y: u32,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

/// Where `region` (inside `monitor`, screen coordinates) lies in a picture of `monitor` of
/// `picture` pixels: its edges scaled by the picture's size over the monitor's, outward to
/// whole pixels, so a region of a scale-2 monitor gives twice its size.
pub(crate) fn pixels_of(region: Region, monitor: Region, picture: (u32, u32)) -> PixelRect {
    let edge = |offset: i32, pixels: u32, units: u32, up: bool| -> u32 {
        let offset = u64::try_from(offset).unwrap_or(0);
        let scaled = offset * u64::from(pixels);
        let units = u64::from(units.max(1));
        let edge = if up {
            scaled.div_ceil(units)
        } else {
            scaled / units
        };
        u32::try_from(edge.min(u64::from(pixels))).unwrap_or(pixels)
    };
    let left = edge(
        region.left() - monitor.left(),
        picture.0,
        monitor.width(),
        false,
    );
    let right = edge(
        region.right() - monitor.left(),
        picture.0,
        monitor.width(),
        true,
    );
    let top = edge(
        region.top() - monitor.top(),
        picture.1,
        monitor.height(),
        false,
    );
    let bottom = edge(
        region.bottom() - monitor.top(),
        picture.1,
        monitor.height(),
        true,
    );
    PixelRect {
        x: left,
        y: top,
        width: right.saturating_sub(left).max(1),
        height: bottom.saturating_sub(top).max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutter::{LogicalMonitor, PhysicalMonitor};

    fn physical(connector: &str, mode: (u32, u32)) -> PhysicalMonitor {
        PhysicalMonitor {
            connector: connector.to_owned(),
            vendor: "MetaVendor".to_owned(),
            product: "Virtual remote monitor".to_owned(),
            serial: "0x1234".to_owned(),
            display_name: Some(format!("Virtual {connector}")),
            mode: Some(mode),
            refresh_rate: Some(60.0),
        }
    }

    fn logical(x: i32, y: i32, scale: f64, transform: u32, connectors: &[&str]) -> LogicalMonitor {
        LogicalMonitor {
            x,
            y,
            scale,
            transform,
            primary: x == 0,
            connectors: connectors.iter().map(|&c| c.to_owned()).collect(),
        }
    }

    fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
        Region::new(left, top, width, height).unwrap()
    }

    #[test]
    fn monitors_are_logical_monitors_in_connector_order_with_their_names() {
        // mutter lists the larger Meta-1 first among logical monitors and places it at x = 0.
        let state = DisplayState {
            monitors: vec![
                physical("Meta-0", (640, 480)),
                physical("Meta-1", (800, 600)),
            ],
            logical_monitors: vec![
                logical(0, 0, 1.0, 0, &["Meta-1"]),
                logical(800, 0, 1.0, 0, &["Meta-0"]),
            ],
            layout_mode: LayoutMode::Logical,
        };
        let placed = monitors(&state).unwrap();
        let described: Vec<_> = placed
            .iter()
            .map(|placed| {
                let monitor = &placed.monitor;
                (
                    placed.connector.as_str(),
                    monitor.region(),
                    monitor.is_primary(),
                    monitor.output(),
                    monitor.name(),
                    monitor.description(),
                    monitor.pixel_size(),
                )
            })
            .collect();
        assert_eq!(
            described,
            [
                (
                    "Meta-0",
                    region(800, 0, 640, 480),
                    false,
                    Some("Meta-0"),
                    Some("Virtual Meta-0"),
                    Some("MetaVendor Virtual remote monitor 0x1234"),
                    (640, 480)
                ),
                (
                    "Meta-1",
                    region(0, 0, 800, 600),
                    true,
                    Some("Meta-1"),
                    Some("Virtual Meta-1"),
                    Some("MetaVendor Virtual remote monitor 0x1234"),
                    (800, 600)
                ),
            ]
        );
        let all = layout("wayland-0", &placed);
        assert_eq!(all.all(), region(0, 0, 1440, 600));
        assert_eq!(all.get(1).unwrap(), region(800, 0, 640, 480));
    }

    #[test]
    fn scale_transform_layout_mode_and_mirrors() {
        let state = |scale, transform, layout_mode| DisplayState {
            monitors: vec![
                physical("DP-1", (2560, 1440)),
                physical("DP-2", (2560, 1440)),
            ],
            // DP-2 mirrors DP-1: one logical monitor.
            logical_monitors: vec![logical(0, 0, scale, transform, &["DP-1", "DP-2"])],
            layout_mode,
        };
        let only = |state: &DisplayState| {
            let placed = monitors(state).unwrap();
            assert_eq!(placed.len(), 1);
            (
                placed[0].region(),
                placed[0].monitor.pixel_size(),
                placed[0].monitor.scale(),
            )
        };
        assert_eq!(
            only(&state(2.0, 0, LayoutMode::Logical)),
            (region(0, 0, 1280, 720), (2560, 1440), 2.0)
        );
        // A quarter turn swaps the sides; frames stay upright.
        assert_eq!(
            only(&state(2.0, 1, LayoutMode::Logical)),
            (region(0, 0, 720, 1280), (1440, 2560), 2.0)
        );
        // Fractional: 2560 / 1.5 = 1706.67, rounded as mutter rounds; the cast is 1707 * 1.5.
        assert_eq!(
            only(&state(1.5, 0, LayoutMode::Logical)),
            (region(0, 0, 1707, 960), (2561, 1440), 2561.0 / 1707.0)
        );
        // The physical layout mode ignores the scale for sizes, and so does the cast.
        assert_eq!(
            only(&state(2.0, 0, LayoutMode::Physical)),
            (region(0, 0, 2560, 1440), (2560, 1440), 1.0)
        );
    }

    #[test]
    fn monitors_without_a_mode_or_a_logical_monitor_are_left_out_and_none_is_unsupported() {
        let mut off = physical("HDMI-1", (1920, 1080));
        off.mode = None;
        let state = DisplayState {
            monitors: vec![off, physical("DP-1", (640, 480)), physical("DP-9", (1, 1))],
            logical_monitors: vec![
                logical(0, 0, 1.0, 0, &["HDMI-1"]),
                logical(0, 0, 1.0, 0, &["DP-1"]),
            ],
            layout_mode: LayoutMode::Logical,
        };
        let placed = monitors(&state).unwrap();
        assert_eq!(placed.len(), 1);
        assert_eq!(placed[0].connector, "DP-1");
        let error = monitors(&DisplayState {
            monitors: Vec::new(),
            logical_monitors: Vec::new(),
            layout_mode: LayoutMode::Logical,
        })
        .unwrap_err();
        assert!(matches!(error, Error::Unsupported { .. }), "{error:?}");
    }

    #[test]
    fn names_reach_callers_printable() {
        let mut monitor = physical("DP-\u{1b}[31m1", (640, 480));
        monitor.display_name = Some("Evil\u{202e}name".to_owned());
        let state = DisplayState {
            monitors: vec![monitor.clone()],
            logical_monitors: vec![logical(0, 0, 1.0, 0, &[&monitor.connector])],
            layout_mode: LayoutMode::Logical,
        };
        let placed = monitors(&state).unwrap();
        assert_eq!(placed[0].monitor.output(), Some("DP-\u{fffd}[31m1"));
        assert_eq!(placed[0].monitor.name(), Some("Evil\u{fffd}name"));
        // The connector asked for is mutter's own, unchanged.
        assert_eq!(placed[0].connector, monitor.connector);
    }

    #[test]
    fn regions_map_to_device_pixels_outward() {
        let monitor = region(100, 50, 640, 480);
        let rect = |left, top, width, height, picture| {
            pixels_of(region(left, top, width, height), monitor, picture)
        };
        let pixels = |x, y, width, height| PixelRect {
            x,
            y,
            width,
            height,
        };
        assert_eq!(rect(100, 50, 640, 480, (640, 480)), pixels(0, 0, 640, 480));
        assert_eq!(rect(110, 60, 5, 3, (640, 480)), pixels(10, 10, 5, 3));
        // Scale 2: twice the size, at twice the offset.
        assert_eq!(rect(110, 60, 5, 3, (1280, 960)), pixels(20, 20, 10, 6));
        // Scale 1.5: edges outward (15 and 22.5 -> 15..23).
        assert_eq!(rect(110, 60, 5, 3, (960, 720)), pixels(15, 15, 8, 5));
        assert_eq!(rect(739, 529, 1, 1, (960, 720)), pixels(958, 718, 2, 2));
    }
}
