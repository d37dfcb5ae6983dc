use mss_consumer_example::{PixelSummary, summarize_monitors, summarize_rgb};
use mss_core::{Monitor, PixelFormat, Region, Rgba};
use mss_testkit::{FakeCapture, FakeFailure, backend_test};

/// The summary downstream code must compute for `region`, from the expected colours alone.
fn expected_summary(region: Region, colour_at: impl Fn(u32, u32) -> Rgba) -> PixelSummary {
    let mut rgb = Vec::new();
    for y in region.top()..region.bottom() {
        for x in region.left()..region.right() {
            let colour = colour_at(x as u32, y as u32);
            rgb.extend_from_slice(&[colour.r, colour.g, colour.b]);
        }
    }
    summarize_rgb(&rgb)
}

backend_test!(fn consumer_example_summarizes_every_monitor(capture, scene, server) {
    let summaries = summarize_monitors(capture).unwrap();
    assert_eq!(summaries.len(), 1);
    let summary = &summaries[0];
    assert_eq!(summary.number, 1);
    assert_eq!(summary.region, Region::new(0, 0, 640, 480).unwrap());
    // The default servers' one output: Xvfb's RandR screen, sway's first headless output,
    // mutter's first virtual monitor.
    let output = match server.family() {
        mss_testkit::ServerFamily::Wlroots => "HEADLESS-1",
        mss_testkit::ServerFamily::Gnome => "Meta-0",
        _ => "screen",
    };
    assert_eq!(summary.output.as_deref(), Some(output));
    assert_eq!(
        summary.pixels,
        expected_summary(summary.region, |x, y| scene.expected(x, y))
    );
});

#[test]
fn consumer_example_works_with_the_fake_backend() {
    let left = Region::new(0, 0, 60, 40).unwrap();
    let right = Region::new(60, 0, 41, 33).unwrap();
    let mut capture = FakeCapture::new(101, 40)
        .with_format(PixelFormat::Rgb565)
        .with_monitors(vec![
            Monitor::new(left).with_output("A").with_primary(true),
            Monitor::new(right).with_output("B"),
        ]);
    let summaries = summarize_monitors(&mut capture).unwrap();
    assert_eq!(capture.grab_count(), 2);
    let described: Vec<_> = summaries
        .iter()
        .map(|summary| {
            (
                summary.number,
                summary.region,
                summary.output.as_deref(),
                summary.primary,
            )
        })
        .collect();
    assert_eq!(
        described,
        [(1, left, Some("A"), true), (2, right, Some("B"), false)]
    );
    for summary in &summaries {
        assert_eq!(
            summary.pixels,
            expected_summary(summary.region, |x, y| capture.expected(x, y))
        );
    }
    assert_ne!(summaries[0].pixels, summaries[1].pixels);

    // Errors from the backend reach the caller unchanged.
    capture.fail_next_grab(FakeFailure::ConnectionLost);
    let error = summarize_monitors(&mut capture).unwrap_err();
    assert!(
        matches!(error, mss_core::Error::ConnectionLost { .. }),
        "{error:?}"
    );
}
