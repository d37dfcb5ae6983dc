//! The pointer read from the screen casts' cursor metadata. A headless mutter has no pointer
//! until a remote-desktop session adds a virtual one ([`VirtualPointer`]), which the tests put
//! at known places. Over the desktop mutter shows the Adwaita theme's arrow, whose file is the
//! reference for the image's pixels, size and hot spot ([`mss_testkit::xcursor`]); over a
//! window that set no pointer image (the test kit's scenes) it shows none.

use std::time::Instant;

use mss_core::{Capture, CursorImage, Error, Frame, Region};
use mss_pipewire::PipeWireCapture;
use mss_testkit::xcursor::{self, XcursorImage};
use mss_testkit::{FakePortal, FakePortalOptions, FullscreenScene, MutterServer, VirtualPointer};

use crate::support::{HANG_GUARD, mutter, open, region};

/// The arrow mutter shows over the desktop, read from the theme's file (as mutter 43 shows
/// it: see [`xcursor::mutter_default_pointer`]).
fn arrow() -> XcursorImage {
    xcursor::mutter_default_pointer().unwrap_or_else(|error| panic!("{error}"))
}

fn pointer(server: &MutterServer, connector: &str) -> VirtualPointer {
    VirtualPointer::new(server, connector)
        .unwrap_or_else(|error| panic!("{error}\n{}", server.log()))
}

/// Where `arrow` is on the screen with its hot spot at (`x`, `y`).
fn arrow_at(arrow: &XcursorImage, x: i32, y: i32) -> Region {
    region(
        x - arrow.hotspot.0 as i32,
        y - arrow.hotspot.1 as i32,
        arrow.width,
        arrow.height,
    )
}

/// Moves `pointer` to (`x`, `y`) on its monitor and reads the pointer until it is at
/// `expected`, for at most the hang guard: the pointer's motion reaches mutter's cursor, and
/// then a cast's metadata, a moment after the call that moved it returns. The motion is sent
/// again before each read that did not find it there: mutter drops a pointer update it has no
/// free buffer for and sends nothing more until the pointer moves, as a real pointer does.
fn cursor_once_at(
    capture: &mut dyn Capture,
    pointer: &VirtualPointer,
    (x, y): (f64, f64),
    expected: Region,
) -> CursorImage {
    cursor_once_at_one_of(capture, pointer, (x, y), &[expected])
}

/// As [`cursor_once_at`], for a pointer whose image may be read at any of `expected`.
fn cursor_once_at_one_of(
    capture: &mut dyn Capture,
    pointer: &VirtualPointer,
    (x, y): (f64, f64),
    expected: &[Region],
) -> CursorImage {
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        pointer.move_to(x, y).unwrap();
        let last = match capture.cursor() {
            Ok(image) if expected.contains(&image.region()) => return image,
            Ok(image) => format!("the pointer at {}", image.region()),
            Err(error @ Error::CursorUnavailable { .. }) => error.to_string(),
            Err(error) => panic!("reading the pointer: {error}"),
        };
        assert!(
            Instant::now() < deadline,
            "the pointer was not read at {expected:?} within {HANG_GUARD:?}: last {last}"
        );
        std::thread::yield_now();
    }
}

/// The pointer on each of two monitors (mutter puts the larger `Meta-1` at x = 0 and `Meta-0`
/// to its right, from x = 800), in screen coordinates. Over the desktop of `Meta-0` the image
/// is the theme's arrow, pixel for pixel, placed at the position given minus its hot spot;
/// over the pattern's window on `Meta-1`, which set no pointer image, mutter shows none, and
/// the image is one transparent pixel at the pointer (as XFixes answers for a hidden
/// pointer). The cast of the monitor the pointer left is asked first and says it is gone; the
/// other monitor's cast is started then, and both are kept. They are casts of their own: the
/// frames' casts are as they were (only the one grabbed runs), and frames stay the pattern.
#[test]
fn the_pointer_is_read_where_it_was_put_on_either_monitor() {
    let server = mutter(&[(640, 480), (800, 600)]);
    let on_window = FullscreenScene::show(&server.wayland_display(), region(0, 0, 800, 600))
        .unwrap_or_else(|error| panic!("{error}\n{}", server.log()));
    let arrow = arrow();
    let on_meta_0 = pointer(&server, "Meta-0");
    let on_meta_1 = pointer(&server, "Meta-1");
    let mut capture = open(&server);

    let image = cursor_once_at(
        &mut capture,
        &on_meta_0,
        (100.0, 50.0),
        arrow_at(&arrow, 800 + 100, 50),
    );
    assert_eq!(image.pixels(), arrow.pixels, "the theme's arrow, exactly");

    let image = cursor_once_at(
        &mut capture,
        &on_meta_1,
        (300.0, 200.0),
        region(300, 200, 1, 1),
    );
    assert_eq!(image.pixels(), [0], "no pointer image over the window");
    // mutter indeed shows none there: with the pointer drawn in, the window is the pattern.
    assert!(capture.draw_cursor(true));
    let drawn = capture.grab(region(0, 0, 800, 600)).unwrap();
    if let Err(mismatch) = on_window.check_frame(&drawn) {
        panic!("mutter drew a pointer over the window: {mismatch}");
    }
    drop(drawn);
    assert!(capture.draw_cursor(false));

    // Back on Meta-0, near its bottom-right corner: the arrow again (its image sent anew),
    // running off the monitor, and whole.
    let image = cursor_once_at(
        &mut capture,
        &on_meta_0,
        (630.0, 470.0),
        arrow_at(&arrow, 800 + 630, 470),
    );
    assert_eq!(image.pixels(), arrow.pixels);

    let frame = capture.grab(region(0, 0, 800, 600)).unwrap();
    if let Err(mismatch) = on_window.check_frame(&frame) {
        panic!("the frame is not the pattern: {mismatch}");
    }
    assert_eq!(
        capture
            .casts()
            .iter()
            .map(|(connector, _)| connector.as_str())
            .collect::<Vec<_>>(),
        ["Meta-1"]
    );
}

/// The image read is what mutter draws into frames: a frame with the pointer drawn in
/// (`draw_cursor(true)`) equals the frame without it with the image read composited over it
/// by mss-core's rule (premultiplied "over"), pixel for pixel. The pointer is over the
/// desktop (no window), where mutter shows the arrow. While mutter draws the pointer, the
/// pointer is read from casts of its own.
#[test]
fn the_pointer_read_composited_over_the_screen_is_the_frame_mutter_draws() {
    let server = mutter(&[(320, 240)]);
    let arrow = arrow();
    let on_meta_0 = pointer(&server, "Meta-0");
    let mut capture = open(&server);
    let image = cursor_once_at(
        &mut capture,
        &on_meta_0,
        (150.0, 100.0),
        arrow_at(&arrow, 150, 100),
    );
    let plain = capture.grab_monitor(1).unwrap();
    let mut expected = plain.to_owned_frame();
    mss_core::cursor::composite_cursor(&mut expected, &image);

    assert!(capture.draw_cursor(true));
    let deadline = Instant::now() + HANG_GUARD;
    let drawn = loop {
        let frame = capture.grab_monitor(1).unwrap();
        if same_pixels(&frame, &expected) {
            break frame;
        }
        assert!(
            Instant::now() < deadline,
            "no frame with the pointer drawn equals the composited one within {HANG_GUARD:?}: \
             {}",
            first_difference(&frame, &expected)
        );
        std::thread::yield_now();
    };
    drop(drawn);
    // Read while mutter draws it: the same image, from a cast of its own.
    let again = cursor_once_at(
        &mut capture,
        &on_meta_0,
        (150.0, 100.0),
        arrow_at(&arrow, 150, 100),
    );
    assert_eq!(again.pixels(), image.pixels());
}

fn same_pixels(frame: &Frame, expected: &Frame) -> bool {
    frame.region() == expected.region() && frame.rows().eq(expected.rows())
}

fn first_difference(frame: &Frame, expected: &Frame) -> String {
    let width = frame.width() as usize * frame.format().bytes_per_pixel();
    for (y, (got, want)) in frame.rows().zip(expected.rows()).enumerate() {
        if got[..width] != want[..width] {
            let x = (0..width).find(|&x| got[x] != want[x]).unwrap_or(0);
            let pixel = x / 4 * 4;
            return format!(
                "first difference at ({}, {y}): {:?}, expected {:?}",
                x / 4,
                &got[pixel..pixel + 4],
                &want[pixel..pixel + 4]
            );
        }
    }
    format!("regions {} and {}", frame.region(), expected.region())
}

/// No pointer to read: a headless mutter has no pointer device until a remote-desktop session
/// adds one, and with none it shows no pointer. The error says so, naming every monitor whose
/// cast was asked, and nothing made up is returned; the capturer still grabs, and once a
/// pointer is added it is read.
///
/// mutter 43 sends a pointer's image when a cast starts (or the image changes), as it is
/// then: a pointer that appears while a cast runs may be sent before its image is loaded, as
/// an empty image, and then not again until the image changes. So the casts that saw no
/// pointer report it either with the arrow or with no image (one transparent pixel at the
/// pointer), as mutter's timing has it, and the arrow is read, always, by a capturer whose
/// casts start once the pointer is shown.
#[test]
fn with_no_pointer_shown_reading_it_is_cursor_unavailable() {
    let server = mutter(&[(640, 480), (320, 240)]);
    let mut capture = open(&server);
    let error = capture.cursor().unwrap_err();
    match &error {
        Error::CursorUnavailable { display, reason } => {
            assert_eq!(display, server.wayland_display_name());
            assert!(
                reason.contains("Meta-0") && reason.contains("Meta-1"),
                "{reason}"
            );
        }
        other => panic!("expected CursorUnavailable, got {other:?}"),
    }
    // Not a failure of the capturer: it still grabs, and reads the pointer once one is there.
    capture
        .grab_monitor(0)
        .unwrap_or_else(|error| panic!("{error}\n{}", server.log()));
    let on_meta_1 = pointer(&server, "Meta-1");
    let arrow = arrow();
    let (empty, whole) = (region(640 + 10, 20, 1, 1), arrow_at(&arrow, 640 + 10, 20));
    let image = cursor_once_at_one_of(&mut capture, &on_meta_1, (10.0, 20.0), &[empty, whole]);
    if image.region() == empty {
        assert_eq!(image.pixels(), [0]);
    } else {
        assert_eq!(image.pixels(), arrow.pixels);
    }
    drop(capture);
    let mut capture = open(&server);
    let image = cursor_once_at(
        &mut capture,
        &on_meta_1,
        (10.0, 20.0),
        arrow_at(&arrow, 640 + 10, 20),
    );
    assert_eq!(image.pixels(), arrow.pixels);
}

/// Through the screen-cast portal: the session is started again with the pointer as metadata
/// (restored from its token, no dialog), and the pointer is read as through mutter's own
/// interface. While the portal's session draws the pointer into frames, reading it is
/// unsupported (one session, one mode).
#[test]
fn through_the_portal_the_pointer_is_read_from_its_streams() {
    let server = mutter(&[(640, 480)]);
    let portal = FakePortal::start(&server, &FakePortalOptions::new())
        .unwrap_or_else(|error| panic!("{error}\n{}", server.log()));
    let tokens = tempfile::tempdir().unwrap();
    let mut capture = PipeWireCapture::open_with(
        Some(server.wayland_display_name()),
        mss_pipewire::PipeWireOptions::new()
            .timeout(Some(HANG_GUARD))
            .source(mss_pipewire::CastSource::Portal)
            .token_store(mss_pipewire::TokenStore::Directory(
                tokens.path().to_owned(),
            )),
    )
    .unwrap_or_else(|error| panic!("{error}\n{}\n{}", portal.log(), server.log()));
    let arrow = arrow();
    let on_meta_0 = pointer(&server, "Meta-0");
    let image = cursor_once_at(
        &mut capture,
        &on_meta_0,
        (200.0, 100.0),
        arrow_at(&arrow, 200, 100),
    );
    assert_eq!(image.pixels(), arrow.pixels);
    // Hidden first (1), then metadata (4), the second session restored with no dialog.
    assert_eq!(portal.cursor_modes_asked(), [1, 4]);
    assert_eq!(portal.dialogs_shown(), 1);

    assert!(capture.draw_cursor(true));
    let error = capture.cursor().unwrap_err();
    assert!(
        matches!(
            error,
            Error::Unsupported {
                backend: "pipewire",
                what: "reading the cursor",
                ..
            }
        ),
        "{error:?}"
    );
}

/// A portal that does not offer the pointer as metadata (`AvailableCursorModes` 3: hidden and
/// embedded): reading the pointer is unsupported, saying so, and no new session is asked for.
#[test]
fn a_portal_without_the_metadata_mode_cannot_read_the_pointer() {
    let server = mutter(&[(320, 240)]);
    let portal = FakePortal::start(&server, &FakePortalOptions::new().cursor_modes(1 | 2))
        .unwrap_or_else(|error| panic!("{error}\n{}", server.log()));
    let tokens = tempfile::tempdir().unwrap();
    let mut capture = PipeWireCapture::open_with(
        Some(server.wayland_display_name()),
        mss_pipewire::PipeWireOptions::new()
            .timeout(Some(HANG_GUARD))
            .source(mss_pipewire::CastSource::Portal)
            .token_store(mss_pipewire::TokenStore::Directory(
                tokens.path().to_owned(),
            )),
    )
    .unwrap_or_else(|error| panic!("{error}\n{}\n{}", portal.log(), server.log()));
    match capture.cursor().unwrap_err() {
        Error::Unsupported {
            backend: "pipewire",
            what: "reading the cursor",
            reason,
        } => assert!(reason.contains("AvailableCursorModes are 3"), "{reason}"),
        other => panic!("expected Unsupported, got {other:?}"),
    }
    assert_eq!(portal.cursor_modes_asked(), [1]);
    capture.grab_monitor(1).unwrap();
}
