//! DAMAGE against the test kit's fake X server: change rectangles of any place and size, as
//! many as a server cares to list, and damage notices before every reply.

use std::time::{Duration, Instant};

use mss_core::Region;
use mss_testkit::fake_x_server::strategies::rectangles;
use mss_testkit::fake_x_server::{FAKE_ROOT, FakeEvent, FakeRectangle, FakeXServer, XScript};
use mss_x11::x11rb::cookie::Cookie;
use mss_x11::x11rb::protocol::xfixes::FetchRegionReply;
use mss_x11::{AutoConnection, ConnectionPreference, DamageTracker, X11Display, X11Options};
use proptest::collection::vec;
use proptest::prelude::*;

/// No deadline is tested here: far beyond the fake server's answers.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A screen with DAMAGE and XFixes 6, answering every `XFixesFetchRegion` with `changes`.
fn damaged(changes: Vec<FakeRectangle>, events: Vec<FakeEvent>) -> (FakeXServer, X11Display) {
    let mut script = XScript::new(64, 48);
    script.extensions.damage = true;
    script.damage_rectangles = changes;
    script.events_before_replies = events;
    let server = FakeXServer::start(script).unwrap();
    let options = X11Options::new()
        .connection(ConnectionPreference::PureRust)
        .timeout(Some(TIMEOUT));
    let display = X11Display::open_with(Some(server.display()), options).unwrap();
    (server, display)
}

/// The rectangles a tracker on the root reads from the server's next fetch.
fn fetched(display: &mut X11Display<AutoConnection>) -> Vec<Region> {
    let tracker = DamageTracker::start(display, FAKE_ROOT).unwrap().unwrap();
    tracker.subtract(display).unwrap();
    let sequence = tracker.fetch(display).unwrap();
    let reply = Cookie::<_, FetchRegionReply>::new(display.connection(), sequence)
        .reply()
        .unwrap();
    DamageTracker::rectangles(&reply)
}

fn region_of(rectangle: &FakeRectangle) -> Option<Region> {
    Region::new(
        i32::from(rectangle.x),
        i32::from(rectangle.y),
        u32::from(rectangle.width),
        u32::from(rectangle.height),
    )
    .ok()
}

#[test]
fn thousands_of_change_rectangles_become_the_one_around_them() {
    let changes: Vec<FakeRectangle> = (0..5000)
        .map(|index| FakeRectangle {
            x: (index % 100) as i16 * 3,
            y: (index / 100) as i16 * 2 - 7,
            width: 2,
            height: 1,
        })
        .collect();
    let (_server, mut display) = damaged(changes, Vec::new());
    assert_eq!(
        fetched(&mut display),
        [Region::new(0, -7, 299, 99).unwrap()]
    );
}

#[test]
fn a_damage_notice_ends_a_wait() {
    let notice = FakeEvent::DamageNotify(FakeRectangle {
        x: 1,
        y: 2,
        width: 3,
        height: 4,
    });
    let (_server, mut display) = damaged(Vec::new(), vec![notice; 3]);
    let tracker = DamageTracker::start(&mut display, FAKE_ROOT)
        .unwrap()
        .unwrap();
    // The notices came before the replies of the tracker's own requests: waiting finds one.
    let waited = tracker
        .wait(&mut display, Some(Instant::now() + TIMEOUT))
        .unwrap();
    assert!(waited);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever the server lists (anywhere, of any size, none or thousands), the changes read
    /// are at most 256 rectangles of some size that together cover every change listed.
    #[test]
    fn change_rectangles_cover_what_the_server_lists_and_are_few(
        changes in prop_oneof![vec(rectangles(), 0..8), vec(rectangles(), 250..400)],
    ) {
        let (_server, mut display) = damaged(changes.clone(), Vec::new());
        let read = fetched(&mut display);
        prop_assert!(read.len() <= 256, "{} rectangles", read.len());
        for change in changes.iter().filter_map(region_of) {
            prop_assert!(
                read.iter().any(|rectangle| rectangle.contains(&change)),
                "{change} is in no rectangle read"
            );
        }
    }
}
