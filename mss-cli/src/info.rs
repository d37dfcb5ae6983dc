//! `mss info`: the display, its screen, the backends and the monitors.

use mss::{Backend, Capture, Session};
use serde_json::json;

use crate::Failure;
use crate::cli::InfoArgs;

/// Runs `mss info`.
///
/// `info` captures nothing, so it describes an XWayland display even without `--xwayland`,
/// saying that screenshots of it are refused.
pub fn run(arguments: &InfoArgs) -> Result<(), Failure> {
    let builder = crate::shot::builder(&arguments.connect)?;
    let (mut screen, xwayland_refusal) = match builder.clone().open() {
        Ok(screen) => (screen, None),
        Err(mss::Error::Capture(refusal @ mss::CaptureError::XWaylandRoot { .. })) => (
            builder.allow_xwayland(true).open()?,
            Some(refusal.to_string()),
        ),
        Err(error) => return Err(error.into()),
    };
    let info = screen.screen()?;
    let monitors = screen.monitors()?;
    let status = screen.status();
    let compiled: Vec<&str> = Backend::compiled_in().iter().map(|b| b.name()).collect();
    let session = Session::from_env();
    let shm_active = status.backend == "x11-shm" && status.method == "MIT-SHM";
    let shm_note = if shm_active {
        "active".to_owned()
    } else if status.backend == "wayland" {
        "not used: a Wayland compositor shares memory through wl_shm".to_owned()
    } else if let Some(reason) = &status.fallback_reason {
        format!("not active: {reason}")
    } else {
        format!("not active: backend {} does not use it", status.backend)
    };
    if arguments.json {
        let monitor_list: Vec<_> = monitors
            .monitors()
            .iter()
            .enumerate()
            .map(|(index, monitor)| {
                json!({
                    "number": index + 1,
                    "left": monitor.left(),
                    "top": monitor.top(),
                    "width": monitor.width(),
                    "height": monitor.height(),
                    "primary": monitor.is_primary(),
                    "output": monitor.output(),
                    "name": monitor.name(),
                    "description": monitor.description(),
                    "pixel_width": monitor.pixel_size().0,
                    "pixel_height": monitor.pixel_size().1,
                    "scale": monitor.scale(),
                    "transform": format!("{:?}", monitor.transform()),
                })
            })
            .collect();
        let all = monitors.all();
        let document = json!({
            "display": info.display,
            "screen": {
                "left": info.left,
                "top": info.top,
                "width": info.width,
                "height": info.height,
                "depth": info.depth,
                "format": format!("{:?}", info.format),
            },
            "backends_compiled_in": compiled,
            "backends": Backend::all().iter().map(|backend| json!({
                "name": backend.name(),
                "display_system": backend.display_system().name(),
                "compiled_in": backend.is_compiled_in(),
                "summary": backend.summary(),
            })).collect::<Vec<_>>(),
            "session": {
                "wayland_display": session.wayland_display(),
                "x11_display": session.x11_display(),
            },
            "backend": status.backend,
            "method": status.method,
            "connection": status.connection,
            "caveats": status.caveats,
            "xwayland_refused": xwayland_refusal,
            "zero_copy": status.zero_copy,
            "shm_active": shm_active,
            "fallback_reason": status.fallback_reason,
            "all": {
                "left": all.left(), "top": all.top(), "width": all.width(), "height": all.height(),
            },
            "monitors": monitor_list,
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&document).expect("JSON values always serialise")
        );
        return Ok(());
    }
    println!("display: {}", info.display);
    let origin = if (info.left, info.top) == (0, 0) {
        String::new()
    } else {
        format!(" at ({}, {})", info.left, info.top)
    };
    println!(
        "screen: {}x{}{origin}, depth {} ({:?})",
        info.width, info.height, info.depth, info.format
    );
    println!("backends compiled in: {}", compiled.join(", "));
    if let Some(wayland) = session.wayland_display() {
        println!("session: Wayland ({wayland})");
    }
    println!("backend: {status}");
    if let Some(refusal) = &xwayland_refusal {
        println!("screenshots: refused without --xwayland: {refusal}");
    }
    println!("MIT-SHM: {shm_note}");
    println!("monitors:");
    println!("  0: {} (all monitors)", monitors.all());
    for (index, monitor) in monitors.monitors().iter().enumerate() {
        let mut details = Vec::new();
        if monitor.is_primary() {
            details.push("primary".to_owned());
        }
        if let Some(output) = monitor.output() {
            details.push(format!("output {output}"));
        }
        if let Some(name) = monitor.name() {
            details.push(format!("name {name:?}"));
        }
        if let Some(description) = monitor.description() {
            details.push(format!("{description:?}"));
        }
        if monitor.scale() != 1.0 {
            let (width, height) = monitor.pixel_size();
            details.push(format!(
                "scale {}, {width}x{height} pixels",
                monitor.scale()
            ));
        }
        let details = if details.is_empty() {
            String::new()
        } else {
            format!(" ({})", details.join(", "))
        };
        println!("  {}: {}{details}", index + 1, monitor.region());
    }
    Ok(())
}
