//! The compositor's outputs as monitors: where each lies on the screen, in the compositor's
//! logical coordinates, read afresh on every call so that mode and layout changes show at once.

use mss_core::{Error, Monitor, Region, Transform};
use wayland_client::protocol::wl_output;

use crate::BACKEND_NAME;
use crate::connection::Wayland;
use crate::state::Output;

/// The outputs on the screen now, each as its index in the connection's output list and where
/// it is (screen coordinates), read after a round trip so that mode and layout changes are
/// seen.
///
/// # Errors
///
/// The errors of the round trip; [`Error::Unsupported`] when the compositor has no outputs.
pub(crate) fn outputs_now(wayland: &mut Wayland) -> Result<Vec<(usize, Region)>, Error> {
    wayland.roundtrip("the outputs' descriptions")?;
    let outputs: Vec<(usize, Region)> = wayland
        .state
        .outputs
        .iter()
        .enumerate()
        .filter(|(_, output)| !output.removed)
        .filter_map(|(index, output)| output_region(output).map(|region| (index, region)))
        .collect();
    if outputs.is_empty() {
        return Err(Error::Unsupported {
            backend: BACKEND_NAME,
            what: "capturing the screen",
            reason: format!(
                "the compositor at {:?} has no outputs",
                wayland.display_name()
            ),
        });
    }
    Ok(outputs)
}

/// The monitor that `output`, placed at `region`, is: its name, description, device-pixel
/// size (so its scale) and transform as the compositor describes them.
pub(crate) fn monitor(output: &Output, region: Region) -> Monitor {
    let mut monitor = Monitor::new(region).with_transform(transform(output.transform));
    if let Some(name) = &output.name {
        monitor = monitor.with_output(name.clone());
    }
    if let Some(description) = &output.description {
        monitor = monitor.with_description(description.clone());
    }
    if let Some((width, height, _)) = output.mode
        && let (Ok(width), Ok(height)) = (u32::try_from(width), u32::try_from(height))
    {
        monitor = monitor.with_pixel_size(width, height);
    }
    monitor
}

/// The bounding box of `outputs` as [`outputs_now`] lists them (never empty, so there always
/// is one).
pub(crate) fn bounding_box(outputs: &[(usize, Region)]) -> Region {
    outputs
        .iter()
        .map(|&(_, region)| region)
        .reduce(|all, region| all.union(&region))
        .expect("outputs_now never lists no output")
}

/// Where `output` is on the screen, in logical coordinates: xdg-output's logical position and
/// size when the compositor gives them, else `wl_output`'s position with the current mode
/// divided by the scale (turned when the transform says so).
fn output_region(output: &Output) -> Option<Region> {
    let (x, y) = output.logical_position.unwrap_or(output.position);
    let (width, height) = match output.logical_size {
        Some(size) => size,
        None => {
            let (width, height, _) = output.mode?;
            let scale = output.scale.max(1);
            if transform(output.transform).swaps_sides() {
                (height / scale, width / scale)
            } else {
                (width / scale, height / scale)
            }
        }
    };
    Region::from_signed(
        i64::from(x),
        i64::from(y),
        i64::from(width),
        i64::from(height),
    )
    .ok()
}

/// mss-core's transform for Wayland's.
fn transform(transform: wl_output::Transform) -> Transform {
    match transform {
        wl_output::Transform::_90 => Transform::Rotated90,
        wl_output::Transform::_180 => Transform::Rotated180,
        wl_output::Transform::_270 => Transform::Rotated270,
        wl_output::Transform::Flipped => Transform::Flipped,
        wl_output::Transform::Flipped90 => Transform::Flipped90,
        wl_output::Transform::Flipped180 => Transform::Flipped180,
        wl_output::Transform::Flipped270 => Transform::Flipped270,
        _ => Transform::Normal,
    }
}
