//! mutter's D-Bus client: the display configuration, casts, refusals.

use std::time::Duration;

use mss_pipewire::mutter::{CursorMode, LayoutMode, MutterDbus, MutterError};

use crate::support::mutter;

const TIMEOUT: Option<Duration> = Some(Duration::from_secs(60));

#[test]
fn mutter_describes_two_monitors() {
    let server = mutter(&[(1280, 720), (800, 600)]);
    let client = MutterDbus::connect(server.bus_address(), TIMEOUT).unwrap();
    assert!(client.has_owner("org.gnome.Mutter.ScreenCast").unwrap());
    assert!(!client.has_owner("org.freedesktop.portal.Desktop").unwrap());
    let described: Vec<_> = client
        .monitors()
        .unwrap()
        .into_iter()
        .map(|monitor| {
            (
                monitor.connector,
                (monitor.x, monitor.y, monitor.width, monitor.height),
                monitor.scale,
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            ("Meta-0".to_owned(), (0, 0, 1280, 720), 1.0),
            // mutter's own layout: the largest monitor first, the others to its right.
            ("Meta-1".to_owned(), (1280, 0, 800, 600), 1.0),
        ]
    );
    let state = client.display_state().unwrap();
    // mutter's default, without its experimental `scale-monitor-framebuffer`.
    assert_eq!(state.layout_mode, LayoutMode::Physical);
    assert_eq!(state.logical_monitors.len(), 2);
    assert_eq!(
        state
            .logical_monitors
            .iter()
            .filter(|logical| logical.primary)
            .count(),
        1
    );
}

#[test]
fn a_cast_names_its_node_and_an_unknown_monitor_is_refused() {
    let server = mutter(&[(640, 480)]);
    let client = MutterDbus::connect(server.bus_address(), TIMEOUT).unwrap();
    let before = client.record_monitor("Meta-0", CursorMode::Hidden, TIMEOUT);
    let cast = before.unwrap();
    assert!(cast.node_id() > 0);
    assert!(cast.started_at() > 0);
    drop(cast);
    let error = client
        .record_monitor("Meta-9", CursorMode::Hidden, TIMEOUT)
        .unwrap_err();
    assert!(
        matches!(
            error,
            MutterError::Dbus {
                call: "RecordMonitor",
                ..
            }
        ),
        "{error}"
    );
    assert!(!error.is_gone() && !error.is_timeout());
}
