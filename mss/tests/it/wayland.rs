//! The facade on a Wayland session: the Wayland backend is the default, XWayland's `DISPLAY`
//! beside it notwithstanding, frames save exactly, and the pointer is the compositor's to
//! draw.

use mss::prelude::*;
use mss::{Backend, Session};
use mss_testkit::{SwayOptions, WaylandScene, WaylandServer};

fn sway(outputs: &[(u32, u32)]) -> WaylandServer {
    WaylandServer::start(&SwayOptions::new().outputs(outputs)).unwrap_or_else(|error| {
        panic!("cannot start sway ({error}); run `cargo xtask test`, which installs it")
    })
}

#[test]
fn a_wayland_session_opens_the_wayland_backend_and_saves_exact_frames() {
    let server = sway(&[(320, 200), (160, 120)]);
    let socket = server.wayland_display().to_str().unwrap().to_owned();
    let scene = WaylandScene::paint(&socket).unwrap();
    // As a program on that desktop sees it: WAYLAND_DISPLAY, and an XWayland DISPLAY beside.
    let session = Session::new(Some(socket.clone()), Some(":99".to_owned()));
    assert_eq!(Backend::candidates(&session)[0], Backend::WAYLAND);
    let mut screen = Mss::builder()
        .session(session)
        .display(&socket)
        .ignore_env()
        .open()
        .unwrap();
    assert_eq!(screen.backend(), Backend::WAYLAND);
    let status = screen.status();
    assert_eq!((status.method, status.zero_copy), ("wlr-screencopy", true));
    scene.assert_frame(&screen.grab_monitor(2).unwrap());
    assert!(screen.status().proven);
    save_each_monitor_exactly(&mut screen, &scene);
}

/// `save` writes one PNG per monitor, each the scene exactly.
#[cfg(feature = "png")]
fn save_each_monitor_exactly(screen: &mut Mss, scene: &WaylandScene) {
    let directory = tempfile::tempdir().unwrap();
    let template = directory.path().join("m{mon}.png");
    let written = screen.save(0, &template.to_string_lossy(), 1).unwrap();
    assert_eq!(written.len(), 2);
    for (path, number) in written.iter().zip(1..) {
        let region = screen.monitors().unwrap().get(number).unwrap();
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut rgb).unwrap();
        rgb.truncate(info.buffer_size());
        let bgrx: Vec<u8> = rgb
            .chunks_exact(3)
            .flat_map(|p| [p[2], p[1], p[0], 0])
            .collect();
        scene.assert_frame(&Frame::from_vec(bgrx, region, mss::PixelFormat::Bgrx8888).unwrap());
    }
}

#[cfg(not(feature = "png"))]
fn save_each_monitor_exactly(_: &mut Mss, _: &WaylandScene) {}

#[test]
fn the_pointer_is_drawn_by_the_compositor_when_asked() {
    let server = sway(&[(200, 150)]);
    let socket = server.wayland_display().to_str().unwrap().to_owned();
    let scene = WaylandScene::paint(&socket).unwrap();
    let mut screen = Mss::builder()
        .display(&socket)
        .backend(Backend::WAYLAND)
        .with_cursor(true)
        .open()
        .unwrap();
    // The compositor is asked to draw it (overlay_cursor), so no pointer image is read: a
    // headless sway has no pointer device, and the frame is the scene itself.
    assert!(screen.draws_cursor());
    let frame = screen.grab_screen().unwrap();
    scene.assert_frame(&frame);
    // Reading the pointer image is not something Wayland offers a client.
    let error = screen.cursor().unwrap_err();
    assert!(
        matches!(error, mss_core::Error::Unsupported { .. }),
        "{error:?}"
    );
}

/// On a compositor without wlr-screencopy (weston), the choice asks every candidate of the
/// session and the error names each one's answer.
#[test]
fn a_compositor_no_backend_can_capture_gets_every_candidates_answer() {
    let weston = WaylandServer::start_weston()
        .unwrap_or_else(|error| panic!("cannot start weston ({error}); run `cargo xtask test`"));
    let socket = weston.wayland_display().to_str().unwrap().to_owned();
    let error = Mss::builder()
        .session(Session::new(Some(socket.clone()), None))
        .display(&socket)
        .ignore_env()
        .open()
        .unwrap_err();
    let mss::Error::NoBackendOpened(refusals) = &error else {
        panic!("expected every candidate's answer, got {error:?}");
    };
    let asked: Vec<Backend> = refusals.candidates().iter().map(|c| c.backend()).collect();
    assert_eq!(asked, Backend::candidates(&Session::for_display(&socket)));
    assert!(
        refusals.candidates().iter().all(|candidate| matches!(
            candidate.answer(),
            mss::Answer::Refused(mss_core::Error::Unsupported { .. })
        )),
        "{refusals:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with(&format!(
            "no capture backend could open the Wayland display {socket:?}: wayland: "
        )),
        "{message}"
    );
    assert!(message.contains("zwlr_screencopy_manager_v1"), "{message}");
}
