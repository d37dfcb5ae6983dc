//! XWayland is recognised, rootless or rootful, refused by default and opened on request with a
//! caveat; other servers are not mistaken for it.

use mss_core::Error;
use mss_testkit::{SwayOptions, WaylandServer};
use mss_x11::{X11Display, X11Options};

use crate::support::xvfb;

fn sway_with_xwayland() -> WaylandServer {
    WaylandServer::start(&SwayOptions::new().outputs(&[(320, 200)]).xwayland(true))
        .unwrap_or_else(|error| panic!("cannot start sway: {error}"))
}

fn refusal(display: &str) -> String {
    let error = X11Display::open(Some(display)).unwrap_err();
    let Error::XWaylandRoot {
        display: named,
        evidence,
        ..
    } = &error
    else {
        panic!("expected XWaylandRoot, got {error:?}");
    };
    assert_eq!(named, display);
    evidence.clone()
}

#[test]
fn a_rootless_xwayland_is_refused_and_opened_on_request_with_a_caveat() {
    let session = sway_with_xwayland();
    let display = session.x11_display().unwrap();
    let evidence = refusal(display);
    assert!(
        evidence.starts_with("its RandR outputs are named XWAYLAND0; it runs rootless"),
        "{evidence}"
    );
    let opened =
        X11Display::open_with(Some(display), X11Options::new().allow_xwayland(true)).unwrap();
    assert_eq!(
        opened.caveats().collect::<Vec<_>>(),
        [format!(
            "display {display:?} is a rootless XWayland: its root holds no pixels, so frames are black"
        )]
    );
}

#[test]
fn a_rootful_xwayland_is_told_apart_from_a_rootless_one() {
    let session = sway_with_xwayland();
    let rootful = session.start_rootful_xwayland().unwrap();
    let evidence = refusal(rootful.display());
    assert!(
        evidence.contains("it runs rootful: its root is an X11 desktop"),
        "{evidence}"
    );
    let opened = X11Display::open_with(
        Some(rootful.display()),
        X11Options::new().allow_xwayland(true),
    )
    .unwrap();
    let caveats: Vec<String> = opened.caveats().collect();
    assert!(
        matches!(&caveats[..], [caveat] if caveat.contains("is a rootful XWayland")),
        "{caveats:?}"
    );
}

#[test]
fn xvfb_is_not_xwayland() {
    let server = xvfb(64, 48, 24);
    let display = X11Display::open(Some(server.display())).unwrap();
    assert_eq!(display.caveats().next(), None);
}
