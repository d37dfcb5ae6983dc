//! A screen that grows while the capturer lives: segments follow it.

use mss_core::{Capture, Region};
use mss_testkit::server::{DummyOptions, XServer};
use mss_x11_shm::ShmOptions;

use crate::support::open;

#[test]
fn when_the_screen_grows_too_small_segments_are_replaced_not_accumulated() {
    let server =
        XServer::xorg_dummy(&DummyOptions::new()).unwrap_or_else(|error| panic!("{error}"));
    server.set_mode("DUMMY0", "1024x768").unwrap();
    let scene = server
        .paint_scene()
        .unwrap_or_else(|error| panic!("{error}"));
    let mut capture = open(server.display(), ShmOptions::new());
    let before = capture.grab_screen().unwrap();
    assert_eq!((before.width(), before.height()), (1024, 768));
    scene.assert_frame(&before);
    drop(before);
    assert_eq!(capture.pool_stats().unwrap().live, 1);

    server
        .enable_output("DUMMY1", "800x600", Some("DUMMY0"))
        .unwrap();
    let after = capture.grab_screen().unwrap();
    assert_eq!((after.width(), after.height()), (1824, 768));
    // The painted area is unchanged; the new area shows whatever the server fills it with.
    let original = Region::new(0, 0, 1024, 768).unwrap();
    let original_part = capture.grab(original);
    assert!(matches!(capture.status().method, mss_x11_shm::METHOD_SHM));
    let stats = capture.pool_stats().unwrap();
    assert_eq!(
        (stats.live, stats.leased),
        (2, 2),
        "the 1024x768 segment was detached and replaced; two frames hold the two live ones"
    );
    scene.assert_frame(&original_part.unwrap());
    drop(after);
}

/// The sizes of this process's mappings of capture segments, from `/proc/self/maps`. Other
/// tests of this binary run in the same process, but none on a screen of the sizes used here.
fn segment_mapping_sizes() -> Vec<u64> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines()
        .filter(|line| line.contains("/memfd:mss-rs-capture"))
        .map(|line| {
            let range = line.split_whitespace().next().unwrap();
            let (start, end) = range.split_once('-').unwrap();
            u64::from_str_radix(end, 16).unwrap() - u64::from_str_radix(start, 16).unwrap()
        })
        .collect()
}

#[test]
fn after_grow_and_shrink_cycles_memory_returns_to_the_current_screen_size() {
    let server =
        XServer::xorg_dummy(&DummyOptions::new()).unwrap_or_else(|error| panic!("{error}"));
    server.set_mode("DUMMY0", "800x600").unwrap();
    let scene = server
        .paint_scene()
        .unwrap_or_else(|error| panic!("{error}"));
    let mut capture = open(server.display(), ShmOptions::new().max_buffers(4));
    let small = 800 * 600 * 4;
    for cycle in 0..3 {
        // Grow to 1800x600 and hold three frames at once: three segments of the large size.
        server
            .enable_output("DUMMY1", "1000x600", Some("DUMMY0"))
            .unwrap();
        let held: Vec<_> = (0..3).map(|_| capture.grab_screen().unwrap()).collect();
        assert_eq!(held[0].width(), 1800, "cycle {cycle}");
        drop(held);
        // Shrink back, then keep grabbing one frame at a time.
        server.disable_output("DUMMY1").unwrap();
        for _ in 0..6 {
            let frame = capture.grab_screen().unwrap();
            assert_eq!((frame.width(), frame.height()), (800, 600), "cycle {cycle}");
            scene.assert_frame(&frame);
        }
        let stats = capture.pool_stats().unwrap();
        assert_eq!(stats.live, 1, "cycle {cycle}: {stats:?}");
    }
    // Only one segment, of the current screen's size, is still mapped by this capturer; the
    // kernel maps whole pages.
    let page = 4096;
    let ours: Vec<u64> = segment_mapping_sizes()
        .into_iter()
        .filter(|&len| len == (small as u64).div_ceil(page) * page)
        .collect();
    assert!(!ours.is_empty(), "the current segment is mapped");
    assert!(
        !segment_mapping_sizes().contains(&((1800 * 600 * 4_u64).div_ceil(page) * page)),
        "no segment of the larger screen is left: {:?}",
        segment_mapping_sizes()
    );
}

#[test]
fn a_segment_the_server_refused_after_shm_worked_is_discarded_not_reused() {
    let server =
        XServer::xorg_dummy(&DummyOptions::new()).unwrap_or_else(|error| panic!("{error}"));
    server.set_mode("DUMMY0", "1024x768").unwrap();
    // Without screen-change events the capturer only learns of the shrink from the server's
    // refusal, which is what this test needs: a ShmGetImage that fails after SHM has worked.
    let options = ShmOptions::new().x11(mss_x11_shm::X11Options::new().watch_screen_changes(false));
    let mut capture = open(server.display(), options);
    drop(capture.grab_screen().unwrap());
    assert_eq!(capture.pool_stats().unwrap().live, 1);

    server.set_mode("DUMMY0", "800x600").unwrap();
    let beyond = Region::new(900, 700, 10, 10).unwrap();
    let error = capture.grab(beyond).unwrap_err();
    assert!(
        matches!(error, mss_core::Error::RegionOutOfBounds { .. }),
        "{error:?}"
    );
    assert_eq!(
        capture.pool_stats().unwrap().live,
        0,
        "the refused segment was detached, not put back"
    );
    assert_eq!(
        capture.status().method,
        mss_x11_shm::METHOD_SHM,
        "no fallback after SHM worked"
    );
    let frame = capture.grab_screen().unwrap();
    assert_eq!((frame.width(), frame.height()), (800, 600));
}
