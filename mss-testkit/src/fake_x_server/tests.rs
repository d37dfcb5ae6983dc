//! The fake server against x11rb's pure-Rust client: what it answers is what the script says.

use x11rb::connection::{Connection as _, RequestConnection as _};
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat};
use x11rb::rust_connection::RustConnection;

use super::*;

fn connect(server: &FakeXServer) -> RustConnection {
    // By its display name, as any client would.
    x11rb::connect(Some(server.display())).unwrap().0
}

#[test]
fn the_setup_and_images_are_the_scripts() {
    let mut script = XScript::new(40, 30);
    script.screen.bits_per_pixel = 16;
    script.screen.depth = 16;
    script.screen.masks = (0xF800, 0x07E0, 0x001F);
    script.screen.scanline_pad = 32;
    let server = FakeXServer::start(script).unwrap();
    let connection = connect(&server);
    let screen = &connection.setup().roots[0];
    assert_eq!((screen.width_in_pixels, screen.height_in_pixels), (40, 30));
    assert_eq!(screen.root, FAKE_ROOT);
    let reply = connection
        .get_image(ImageFormat::Z_PIXMAP, FAKE_ROOT, 3, 4, 5, 2, u32::MAX)
        .unwrap()
        .reply()
        .unwrap();
    assert_eq!(reply.depth, 16);
    // Five 16-bit pixels padded to 32 bits: 12 bytes a row.
    assert_eq!(reply.data, fake_image(ROOT_SEED, (3, 4, 5, 2), 16, 32));
    assert_eq!(&reply.data[..10], &fake_row(ROOT_SEED, 3, 4, 5, 16)[..]);
    // Outside the root: BadMatch.
    let outside = connection
        .get_image(ImageFormat::Z_PIXMAP, FAKE_ROOT, 38, 0, 5, 2, u32::MAX)
        .unwrap()
        .reply();
    assert!(outside.is_err(), "{outside:?}");
    assert_eq!(server.requests("GetImage"), 2);
    assert_eq!(server.connections(), 1);
}

#[test]
fn extensions_are_present_as_scripted() {
    let mut script = XScript::new(8, 8);
    script.extensions.damage = true;
    let server = FakeXServer::start(script).unwrap();
    let connection = connect(&server);
    assert!(connection.extension_information("RANDR").unwrap().is_some());
    assert!(
        connection
            .extension_information("DAMAGE")
            .unwrap()
            .is_some()
    );
    assert!(
        connection
            .extension_information("MIT-SHM")
            .unwrap()
            .is_none()
    );
    assert!(
        connection
            .extension_information("Composite")
            .unwrap()
            .is_none()
    );
}

#[test]
fn image_answers_lie_as_scripted_in_turn() {
    let mut script = XScript::new(8, 8);
    script.images = vec![
        ImageAnswer::Shorter(2),
        ImageAnswer::Depth(7),
        ImageAnswer::Error(8),
    ];
    let server = FakeXServer::start(script).unwrap();
    let connection = connect(&server);
    let get = || {
        connection
            .get_image(ImageFormat::Z_PIXMAP, FAKE_ROOT, 0, 0, 2, 2, u32::MAX)
            .unwrap()
            .reply()
    };
    assert_eq!(get().unwrap().data.len(), 16 - 8);
    assert_eq!(get().unwrap().depth, 7);
    assert!(get().is_err());
    // The last answer repeats.
    assert!(get().is_err());
}

#[test]
fn events_come_before_every_reply() {
    let mut script = XScript::new(8, 8);
    script.events_before_replies = vec![
        FakeEvent::ScreenChange {
            width: 8,
            height: 8
        };
        3
    ];
    let server = FakeXServer::start(script).unwrap();
    let connection = connect(&server);
    connection.get_input_focus().unwrap().reply().unwrap();
    let mut events = 0;
    while connection.poll_for_event().unwrap().is_some() {
        events += 1;
    }
    assert_eq!(events, 3);
}

#[test]
fn a_stalled_setup_is_never_answered_and_dropping_the_server_ends_the_wait() {
    let mut script = XScript::new(8, 8);
    script.setups = vec![SetupAnswer::Stall];
    let server = FakeXServer::start(script).unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    let stream = UnixStream::connect(server.socket_path()).unwrap();
    let client = std::thread::spawn(move || {
        let stream = x11rb::rust_connection::DefaultStream::from_unix_stream(stream)
            .unwrap()
            .0;
        sender
            .send(RustConnection::connect_to_stream(stream, 0).map(drop))
            .unwrap();
    });
    // Still waiting while the server lives (a generous look, not a measurement).
    assert!(
        receiver
            .recv_timeout(std::time::Duration::from_millis(200))
            .is_err()
    );
    drop(server);
    let answer = receiver
        .recv_timeout(std::time::Duration::from_secs(30))
        .unwrap();
    assert!(answer.is_err(), "{answer:?}");
    client.join().unwrap();
}
