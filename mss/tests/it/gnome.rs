//! The facade on a GNOME session (a headless mutter): with no backend named, `wayland` refuses
//! (mutter has no wlr-screencopy) and `pipewire` is chosen; frames and saves are exact; on
//! sway the choice still takes `wayland`; with the screen-cast portal there too, mutter's own
//! interface is still the one asked (no dialog), and a restore token given is passed on.

use mss::prelude::*;
use mss::{Answer, Backend, Session};
use mss_testkit::{FakePortal, FakePortalOptions, MutterOptions, MutterServer, XdgScene};

fn mutter(sizes: &[(u32, u32)]) -> MutterServer {
    MutterServer::start(&MutterOptions::new().monitors(sizes)).unwrap_or_else(|error| {
        panic!("cannot start mutter ({error}); run `cargo xtask test`, which installs it")
    })
}

#[test]
fn a_gnome_session_chooses_pipewire_after_wayland_refuses() {
    let server = mutter(&[(640, 480), (320, 240)]);
    let socket = server.wayland_display_name().to_owned();
    let scene = XdgScene::show(&server.wayland_display()).unwrap();
    let session = Session::new(Some(socket.clone()), None);
    assert_eq!(
        Backend::candidates(&session)
            .into_iter()
            .filter(|backend| backend.display_system() == mss::DisplaySystem::Wayland)
            .collect::<Vec<_>>(),
        Backend::compiled_in()
            .into_iter()
            .filter(|backend| [Backend::WAYLAND, Backend::PIPEWIRE].contains(backend))
            .collect::<Vec<_>>(),
        "wlr-screencopy first, GNOME's screen cast after it"
    );
    let mut screen = Mss::builder()
        .session(session)
        .display(&socket)
        .ignore_env()
        .open()
        .unwrap();
    assert_eq!(screen.backend(), Backend::PIPEWIRE);
    let answers: Vec<(Backend, String)> = screen
        .choice()
        .candidates()
        .iter()
        .map(|candidate| (candidate.backend(), candidate.to_string()))
        .collect();
    if Backend::WAYLAND.is_compiled_in() {
        assert_eq!(answers[0].0, Backend::WAYLAND);
        assert!(
            matches!(
                screen.choice().candidates()[0].answer(),
                Answer::Refused(mss_core::Error::Unsupported { .. })
            ),
            "{answers:?}"
        );
        assert!(
            answers[0].1.contains("zwlr_screencopy_manager_v1"),
            "{answers:?}"
        );
    }
    let chosen = answers
        .iter()
        .find(|(backend, _)| *backend == Backend::PIPEWIRE)
        .unwrap();
    assert_eq!(chosen.1, "pipewire: chosen");
    let status = screen.status();
    assert_eq!(
        (status.method, status.zero_copy),
        ("org.gnome.Mutter.ScreenCast", true)
    );
    scene.assert_frame(&screen.grab_monitor(2).unwrap());
    scene.assert_frame(&screen.grab_screen().unwrap());
    assert!(screen.status().proven);
    save_each_monitor_exactly(&mut screen, &scene);
}

/// `save` writes one PNG per monitor, each the scene exactly.
#[cfg(feature = "png")]
fn save_each_monitor_exactly(screen: &mut Mss, scene: &XdgScene) {
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
fn save_each_monitor_exactly(_: &mut Mss, _: &XdgScene) {}

#[test]
fn the_pointer_is_drawn_by_mutter_when_asked() {
    let server = mutter(&[(320, 240)]);
    let scene = XdgScene::show(&server.wayland_display()).unwrap();
    let mut screen = Mss::builder()
        .display(server.wayland_display_name())
        .backend(Backend::PIPEWIRE)
        .with_cursor(true)
        .open()
        .unwrap();
    // mutter draws it into the frames (the cast's cursor mode `embedded`); a headless mutter
    // has no pointer device, so the frame is the scene itself, and reading the pointer (from
    // casts of its own, with the pointer as metadata) says there is none to read.
    assert!(screen.draws_cursor());
    scene.assert_frame(&screen.grab_screen().unwrap());
    let error = screen.cursor().unwrap_err();
    assert!(
        matches!(error, mss_core::Error::CursorUnavailable { .. }),
        "{error:?}"
    );
    scene.assert_frame(&screen.grab_screen().unwrap());
}

/// On sway, `wayland` is chosen, and `pipewire`, after it, is never asked.
#[cfg(feature = "wayland")]
#[test]
fn on_sway_the_choice_still_takes_wayland() {
    use mss_testkit::{SwayOptions, WaylandServer};
    let server = WaylandServer::start(&SwayOptions::new())
        .unwrap_or_else(|error| panic!("cannot start sway ({error}); run `cargo xtask test`"));
    let socket = server.wayland_display().to_str().unwrap().to_owned();
    let screen = Mss::builder()
        .session(Session::new(Some(socket.clone()), None))
        .display(&socket)
        .ignore_env()
        .open()
        .unwrap();
    assert_eq!(screen.backend(), Backend::WAYLAND);
    let pipewire = screen
        .choice()
        .candidates()
        .iter()
        .find(|candidate| candidate.backend() == Backend::PIPEWIRE)
        .expect("pipewire is a candidate of a Wayland session");
    assert!(
        matches!(pipewire.answer(), Answer::NotTried(_)),
        "{pipewire}"
    );
    // Asked by name, it says why it cannot capture sway.
    let error = Mss::builder()
        .display(&socket)
        .backend(Backend::PIPEWIRE)
        .open()
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("org.gnome.Mutter.ScreenCast"), "{message}");
}

/// With the portal on the bus too, the `pipewire` backend casts through mutter's own
/// interface: no dialog, no restore token; a token given to the builder reaches the backend's
/// options (and is not shown by their `Debug`, since it grants capture).
#[test]
fn with_the_portal_there_too_mutter_s_interface_is_asked_and_no_dialog_shown() {
    let server = mutter(&[(320, 240)]);
    let scene = XdgScene::show(&server.wayland_display()).unwrap();
    let portal = FakePortal::start(&server, &FakePortalOptions::new()).unwrap_or_else(|error| {
        panic!("cannot start the portal ({error}); run `cargo xtask test`")
    });
    let builder = Mss::builder()
        .backend(Backend::PIPEWIRE)
        .display(server.wayland_display_name())
        .ignore_env()
        .restore_token("5f0c6a4e-2b1d-4c1a-9f00-0123456789ab");
    let options = builder.open_options();
    assert_eq!(
        options.given_restore_token(),
        Some("5f0c6a4e-2b1d-4c1a-9f00-0123456789ab")
    );
    assert!(!format!("{options:?}").contains("5f0c6a4e"), "{options:?}");
    let mut screen = builder.open().unwrap();
    assert_eq!(screen.status().method, "org.gnome.Mutter.ScreenCast");
    scene.assert_frame(&screen.grab_screen().unwrap());
    assert_eq!(screen.restore_token(), None);
    assert_eq!(portal.dialogs_shown(), 0);
}
