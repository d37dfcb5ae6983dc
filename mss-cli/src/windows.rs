//! `mss windows`: the applications' windows, as text or JSON.

use mss::Capture as _;
use serde_json::json;

use crate::Failure;
use crate::cli::WindowsArgs;

/// Runs `mss windows`: top of the stacking order first.
pub fn run(arguments: &WindowsArgs) -> Result<(), Failure> {
    let mut screen = crate::shot::open(&arguments.connect, false)?;
    let mut windows = screen.windows()?;
    windows.reverse();
    if arguments.json {
        let document: Vec<_> = windows
            .iter()
            .map(|window| {
                json!({
                    "id": window.id,
                    "id_hex": format!("{:#x}", window.id),
                    "title": window.title,
                    "class": window.class,
                    "instance": window.instance,
                    "pid": window.pid,
                    "left": window.region.left(),
                    "top": window.region.top(),
                    "width": window.region.width(),
                    "height": window.region.height(),
                    "viewable": window.viewable,
                    "minimized": window.minimized,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&document).expect("JSON values always serialise")
        );
        return Ok(());
    }
    for window in &windows {
        let state = if window.minimized {
            " [minimized]"
        } else if !window.viewable {
            " [hidden]"
        } else {
            ""
        };
        let pid = window
            .pid
            .map(|pid| format!(" pid {pid}"))
            .unwrap_or_default();
        println!("{window}{pid}{state}");
    }
    Ok(())
}
