//! `mss info`: the display, its screen, the backends and the monitors.

use mss::{Answer, Backend, Capture, ForcedBy, Mss, MssBuilder, Session};
use serde_json::json;

use crate::Failure;
use crate::cli::InfoArgs;

/// Runs `mss info`.
///
/// `info` captures nothing, so it describes an XWayland display even without `--xwayland`,
/// saying that screenshots of it are refused.
pub fn run(arguments: &InfoArgs) -> Result<(), Failure> {
    let mut builder = crate::shot::builder(&arguments.connect)?;
    let (mut screen, xwayland_refusal) = match builder.clone().open() {
        Ok(screen) => (screen, None),
        Err(mss::Error::Capture(refusal @ mss::CaptureError::XWaylandRoot { .. })) => {
            builder = builder.allow_xwayland(true);
            (builder.clone().open()?, Some(refusal.to_string()))
        }
        Err(error) => return Err(error.into()),
    };
    let info = screen.screen()?;
    let monitors = screen.monitors()?;
    let status = screen.status();
    let compiled: Vec<&str> = Backend::compiled_in().iter().map(|b| b.name()).collect();
    let session = Session::from_env();
    let candidates = candidate_answers(&screen, &builder);
    let forced_by = screen.choice().forced_by().map(forced_by_name);
    // What every backend was opened with (--timeout; 0 is none).
    let wait_limit = builder.open_options().wait_timeout();
    let zero_copy_note = if status.zero_copy {
        "yes".to_owned()
    } else if let Some(reason) = &status.fallback_reason {
        format!("no: {reason}")
    } else {
        format!("no: {} copies each frame once", status.method)
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
            "forced_by": forced_by,
            "candidates": candidates.iter().map(|(backend, answer)| json!({
                "backend": backend.name(),
                "display_system": backend.display_system().name(),
                "answer": answer,
            })).collect::<Vec<_>>(),
            "session": {
                "wayland_display": session.wayland_display(),
                "x11_display": session.x11_display(),
            },
            "backend": status.backend,
            "method": status.method,
            "connection": status.connection,
            "timeout_seconds": wait_limit.map(|limit| limit.as_secs_f64()),
            "caveats": status.caveats,
            "xwayland_refused": xwayland_refusal,
            "zero_copy": status.zero_copy,
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
    match wait_limit {
        Some(limit) => println!(
            "wait limit: {} s per wait on the display",
            limit.as_secs_f64()
        ),
        None => println!("wait limit: none (--timeout 0)"),
    }
    if let Some(refusal) = &xwayland_refusal {
        println!("screenshots: refused without --xwayland: {refusal}");
    }
    match forced_by {
        Some(by) => println!("choice: forced by {by}"),
        None => println!("choice: the first of the session's candidates that opens"),
    }
    for (backend, answer) in &candidates {
        println!("  {backend}: {answer}");
    }
    println!("zero copy: {zero_copy_note}");
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

/// How a forced choice is named to a user of the command line.
fn forced_by_name(forced_by: ForcedBy) -> &'static str {
    match forced_by {
        ForcedBy::Caller => "--backend",
        _ => mss::BACKEND_ENV_VAR,
    }
}

/// Every candidate of the choice with its answer in words: `chosen`, the refusal, or, for a
/// candidate not asked because an earlier one opened, what it answers now that `info` asks it
/// (it opens too, or its refusal), so a user sees what each backend would do. Those are asked
/// without asking the user: a backend that would show a dialog (the screen-cast portal's)
/// says so instead.
fn candidate_answers(screen: &Mss, builder: &MssBuilder) -> Vec<(Backend, String)> {
    let chosen = screen.backend();
    screen
        .choice()
        .candidates()
        .iter()
        .map(|candidate| {
            let backend = candidate.backend();
            let answer = match candidate.answer() {
                Answer::NotTried(_) if screen.choice().chosen().is_some() => {
                    match builder.clone().backend(backend).may_ask_user(false).open() {
                        Ok(other) => {
                            format!("opens too ({}); {chosen} comes first", other.status())
                        }
                        Err(error) => error.to_string(),
                    }
                }
                answer => answer.to_string(),
            };
            (backend, answer)
        })
        .collect()
}
