//! The test-only `fake` backend, opened through the registry as an application opens any
//! backend: the proof that a backend plugs in with one crate, one feature and one registry
//! entry, and that a backend of no display server is opened only when named.

use mss::prelude::*;
use mss::{Backend, DisplaySystem, ForcedBy, Session, backend_from_env};
use mss_testkit::FakeCapture;

#[test]
fn the_fake_backend_opens_by_name_and_captures_its_screen_exactly() {
    assert_eq!(Backend::from_name("fake").unwrap(), Backend::FAKE);
    assert_eq!(Backend::FAKE.display_system(), DisplaySystem::Virtual);
    let mut screen = Mss::builder()
        .backend(Backend::FAKE)
        .display("fake:64x48")
        .open()
        .unwrap();
    assert_eq!(screen.backend(), Backend::FAKE);
    assert_eq!(screen.backend_name(), "fake");
    assert_eq!(screen.choice().forced_by(), Some(ForcedBy::Caller));
    let monitors = screen.monitors().unwrap();
    assert_eq!(monitors.all(), Region::new(0, 0, 64, 48).unwrap());
    let reference = FakeCapture::new(64, 48);
    reference.assert_frame(&screen.grab_screen().unwrap());
    reference.assert_frame(&screen.grab(Region::new(5, 7, 13, 11).unwrap()).unwrap());
    // Off the screen is the same error as on any backend.
    let error = screen.grab(Region::new(60, 0, 8, 8).unwrap()).unwrap_err();
    assert!(
        matches!(error, mss_core::Error::RegionOutOfBounds { .. }),
        "{error:?}"
    );
    // Code written against mss-core alone works with it, as with every backend.
    let summaries = mss_consumer_example::summarize_monitors(&mut screen).unwrap();
    assert_eq!(summaries.len(), 1);
}

#[test]
fn the_fake_backend_is_named_by_mss_backend_but_never_chosen_automatically() {
    assert_eq!(
        backend_from_env(Some(std::ffi::OsStr::new("fake"))).unwrap(),
        Some(Backend::FAKE)
    );
    for session in [
        Session::new(None, Some(":0".to_owned())),
        Session::new(Some("wayland-0".to_owned()), Some(":0".to_owned())),
        Session::new(None, None),
        Session::for_display("fake:64x48"),
    ] {
        assert!(
            !Backend::candidates(&session).contains(&Backend::FAKE),
            "{session:?}"
        );
    }
}

#[test]
fn a_bad_fake_display_is_an_error_naming_it() {
    let error = Mss::builder()
        .backend(Backend::FAKE)
        .display("fake:huge")
        .open()
        .unwrap_err();
    assert!(
        matches!(&error, mss::Error::Capture(mss_core::Error::DisplayUnavailable { display, .. }) if display == "fake:huge"),
        "{error:?}"
    );
}
