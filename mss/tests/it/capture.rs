//! Opening, backend choice, grabbing and saving through the facade.

use mss::prelude::*;
use mss::{Backend, Error};
use mss_testkit::{XServer, XvfbOptions};

fn server(options: &XvfbOptions) -> XServer {
    XServer::xvfb(options).unwrap_or_else(|error| {
        panic!("cannot start Xvfb ({error}); run `cargo xtask test`, which installs it")
    })
}

/// The PNG at `path` as a frame showing `region`, to check against a scene (an independent
/// reference, not another grab).
#[cfg(feature = "png")]
fn png_frame(path: &std::path::Path, region: Region) -> Frame {
    let (width, height, rgb) = decode_png(path);
    assert_eq!((width, height), (region.width(), region.height()));
    let bgrx: Vec<u8> = rgb
        .chunks_exact(3)
        .flat_map(|pixel| [pixel[2], pixel[1], pixel[0], 0])
        .collect();
    Frame::from_vec(bgrx, region, mss::PixelFormat::Bgrx8888).unwrap()
}

#[cfg(feature = "png")]
fn decode_png(path: &std::path::Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    pixels.truncate(info.buffer_size());
    assert_eq!(info.color_type, png::ColorType::Rgb);
    (info.width, info.height, pixels)
}

#[test]
fn every_compiled_backend_opens_and_grabs_exact_pixels() {
    let server = server(&XvfbOptions::new(320, 200, 24));
    let scene = server.paint_scene().unwrap();
    for backend in crate::backends_of(mss::DisplaySystem::X11) {
        let mut screen = Mss::builder()
            .display(server.display())
            .backend(backend)
            .open()
            .unwrap();
        assert_eq!(screen.backend(), backend);
        assert_eq!(screen.backend_name(), backend.name());
        scene.assert_frame(&screen.grab_screen().unwrap());
        scene.assert_frame(&screen.grab(Region::new(7, 9, 50, 40).unwrap()).unwrap());
        assert!(screen.status().proven, "{}", screen.status());
    }
}

#[test]
fn the_default_backend_is_shm_when_compiled_in() {
    let server = server(&XvfbOptions::new(64, 48, 24));
    let screen = Mss::builder()
        .display(server.display())
        .ignore_env()
        .open()
        .unwrap();
    assert_eq!(
        screen.backend(),
        crate::backends_of(mss::DisplaySystem::X11)[0]
    );
    if Backend::X11_SHM.is_compiled_in() {
        assert_eq!(screen.status().method, "MIT-SHM", "{}", screen.status());
    }
}

#[cfg(feature = "x11-shm")]
#[test]
fn the_fallback_reason_is_visible_without_mit_shm() {
    let server = server(&XvfbOptions::new(64, 48, 24).disable_extension("MIT-SHM"));
    let scene = server.paint_scene().unwrap();
    let mut screen = Mss::builder()
        .display(server.display())
        .backend(Backend::X11_SHM)
        .open()
        .unwrap();
    let status = screen.status();
    assert_eq!((status.backend, status.method), ("x11-shm", "GetImage"));
    let reason = status.fallback_reason.clone().expect("a fallback reason");
    assert!(reason.contains("MIT-SHM"), "{reason}");
    scene.assert_frame(&screen.grab_screen().unwrap());
}

#[test]
fn a_dead_display_is_a_capture_error_naming_it() {
    let error = Mss::builder()
        .display(":4097")
        .ignore_env()
        .open()
        .unwrap_err();
    assert!(
        matches!(&error, Error::Capture(mss_core::Error::DisplayUnavailable { display, .. }) if display == ":4097"),
        "{error:?}"
    );
}

#[cfg(feature = "png")]
#[test]
fn save_writes_each_monitor_and_the_whole_screen_exactly() {
    let server = server(&XvfbOptions::new(160, 120, 24));
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let template = directory
        .path()
        .join("m{mon}-{left}x{top}-{width}x{height}.png");
    let template = template.to_str().unwrap();
    let mut screen = Mss::builder().display(server.display()).open().unwrap();

    let whole = Region::new(0, 0, 160, 120).unwrap();
    let written = screen.save(0, template, 6).unwrap();
    assert_eq!(written, [directory.path().join("m1-0x0-160x120.png")]);
    scene.assert_frame(&png_frame(&written[0], whole));
    let written = screen.save(-1, template, 1).unwrap();
    assert_eq!(written, [directory.path().join("m0-0x0-160x120.png")]);
    scene.assert_frame(&png_frame(&written[0], whole));

    let error = screen.save(2, template, 6).unwrap_err();
    assert!(
        matches!(
            error,
            Error::Capture(mss_core::Error::MonitorNotFound {
                number: 2,
                count: 1,
                ..
            })
        ),
        "{error:?}"
    );
    let error = screen.save(1, "{nope}.png", 6).unwrap_err();
    assert!(matches!(error, Error::Template { .. }), "{error:?}");
}

#[cfg(feature = "png")]
#[test]
fn grab_monitor_and_save_png_in_one_line() {
    let server = server(&XvfbOptions::new(96, 64, 24));
    let scene = server.paint_scene().unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("a.png");
    let mut screen = Mss::builder().display(server.display()).open().unwrap();
    screen.grab_monitor(1).unwrap().save_png(&path).unwrap();
    scene.assert_frame(&png_frame(&path, Region::new(0, 0, 96, 64).unwrap()));
}

#[test]
fn the_facade_plugs_into_code_taking_dyn_capture() {
    fn area_of_all(capture: &mut dyn Capture) -> u64 {
        capture.monitors().unwrap().all().area()
    }
    let server = server(&XvfbOptions::new(64, 48, 24));
    let mut screen = Mss::builder().display(server.display()).open().unwrap();
    assert_eq!(area_of_all(&mut screen), 64 * 48);
}

#[cfg(feature = "png")]
#[test]
fn saving_every_monitor_goes_on_past_a_failure_and_refuses_clashing_names() {
    use mss_core::Monitor;
    use mss_testkit::{FakeCapture, FakeFailure};
    let left = Region::new(0, 0, 40, 30).unwrap();
    let right = Region::new(40, 0, 24, 30).unwrap();
    let mut fake = FakeCapture::new(64, 30).with_monitors(vec![
        Monitor::new(left).with_output("A"),
        Monitor::new(right).with_output("B"),
    ]);
    // The first grab (monitor 1) fails; monitor 2 must still be saved.
    fake.fail_next_grab(FakeFailure::Protocol);
    let mut screen = Mss::from_capture(Box::new(fake), Backend::compiled_in()[0]);
    let directory = tempfile::tempdir().unwrap();
    let template = directory.path().join("m{mon}.png");
    let error = screen.save(0, template.to_str().unwrap(), 1).unwrap_err();
    let Error::MonitorsFailed {
        total,
        written,
        failures,
    } = &error
    else {
        panic!("expected MonitorsFailed, got {error:?}");
    };
    assert_eq!(*total, 2);
    assert_eq!(written, &[directory.path().join("m2.png")]);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, 1);
    assert!(
        error
            .to_string()
            .starts_with("1 of 2 monitors could not be saved: monitor 1: "),
        "{error}"
    );
    assert!(!directory.path().join("m1.png").exists());
    let (width, height, _) = decode_png(&directory.path().join("m2.png"));
    assert_eq!((width, height), (24, 30));

    // Names that do not tell the monitors apart are refused before anything is grabbed.
    let same = directory.path().join("same.png");
    let error = screen.save(0, same.to_str().unwrap(), 1).unwrap_err();
    assert!(matches!(error, Error::Template { .. }), "{error:?}");
    assert!(!same.exists());
    // Names that differ through the region are fine.
    let by_position = directory.path().join("at-{left}.png");
    let written = screen.save(0, by_position.to_str().unwrap(), 1).unwrap();
    assert_eq!(written.len(), 2);
}

#[test]
fn backends_are_opened_with_a_10_second_limit_per_wait_unless_told_otherwise() {
    let limit = |builder: mss::MssBuilder| builder.open_options().wait_timeout();
    assert_eq!(mss::DEFAULT_TIMEOUT, std::time::Duration::from_secs(10));
    assert_eq!(limit(Mss::builder()), Some(mss::DEFAULT_TIMEOUT));
    assert_eq!(limit(Mss::builder().timeout(None)), None);
    let short = Some(std::time::Duration::from_millis(250));
    assert_eq!(limit(Mss::builder().timeout(short)), short);
}
