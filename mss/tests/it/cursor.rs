//! The pointer drawn onto frames: a semi-transparent ARGB cursor made with RENDER on Xvfb,
//! composited with the premultiplied rule, checked pixel by pixel.

use mss::prelude::*;
use mss::{Error, Rgba};
use mss_testkit::{XServer, XvfbOptions};
use x11rb::connection::Connection as _;
use x11rb::protocol::render::{ConnectionExt as _, CreatePictureAux, PictType};
use x11rb::protocol::xproto::{
    ChangeWindowAttributesAux, ConnectionExt as _, CreateGCAux, ImageFormat,
};
use x11rb::rust_connection::RustConnection;

/// The cursor: 4x2 premultiplied ARGB words, with its hotspot at its top-left corner.
const CURSOR_WIDTH: u16 = 4;
const CURSOR_HEIGHT: u16 = 2;
const CURSOR: [u32; 8] = [
    0xFFFF_0000, // opaque red
    0x8080_8080, // 50 % white
    0x0000_0000, // fully transparent
    0x8080_0000, // 50 % red
    0xFF00_00FF, // opaque blue
    0x4000_4000, // 25 % green
    0x0000_0000, // fully transparent
    0xFFFF_FFFF, // opaque white
];
/// Where the pointer is moved to.
const POINTER: (i16, i16) = (100, 50);

/// Sets `CURSOR` as the root window's cursor and moves the pointer to `POINTER`. The returned
/// connection owns the cursor: keep it alive while grabbing.
fn install_cursor(display: &str) -> RustConnection {
    let (connection, screen_number) = x11rb::connect(Some(display)).unwrap();
    let root = connection.setup().roots[screen_number].root;
    connection
        .render_query_version(0, 11)
        .unwrap()
        .reply()
        .unwrap();
    let formats = connection
        .render_query_pict_formats()
        .unwrap()
        .reply()
        .unwrap();
    let argb32 = formats
        .formats
        .iter()
        .find(|format| {
            format.type_ == PictType::DIRECT
                && format.depth == 32
                && (format.direct.alpha_shift, format.direct.alpha_mask) == (24, 0xFF)
                && (
                    format.direct.red_shift,
                    format.direct.green_shift,
                    format.direct.blue_shift,
                ) == (16, 8, 0)
        })
        .expect("the server has an a8r8g8b8 picture format")
        .id;
    let pixmap = connection.generate_id().unwrap();
    let gc = connection.generate_id().unwrap();
    let picture = connection.generate_id().unwrap();
    let cursor = connection.generate_id().unwrap();
    connection
        .create_pixmap(32, pixmap, root, CURSOR_WIDTH, CURSOR_HEIGHT)
        .unwrap()
        .check()
        .unwrap();
    connection
        .create_gc(gc, pixmap, &CreateGCAux::new())
        .unwrap()
        .check()
        .unwrap();
    let bytes: Vec<u8> = CURSOR.iter().flat_map(|word| word.to_le_bytes()).collect();
    connection
        .put_image(
            ImageFormat::Z_PIXMAP,
            pixmap,
            gc,
            CURSOR_WIDTH,
            CURSOR_HEIGHT,
            0,
            0,
            0,
            32,
            &bytes,
        )
        .unwrap()
        .check()
        .unwrap();
    connection
        .render_create_picture(picture, pixmap, argb32, &CreatePictureAux::new())
        .unwrap()
        .check()
        .unwrap();
    connection
        .render_create_cursor(cursor, picture, 0, 0)
        .unwrap()
        .check()
        .unwrap();
    connection
        .change_window_attributes(root, &ChangeWindowAttributesAux::new().cursor(cursor))
        .unwrap()
        .check()
        .unwrap();
    connection
        .warp_pointer(x11rb::NONE, root, 0, 0, 0, 0, POINTER.0, POINTER.1)
        .unwrap()
        .check()
        .unwrap();
    connection
}

/// The premultiplied "over" rule, in floating point, written independently of the crate.
fn over(cursor: u32, below: Rgba) -> Rgba {
    let [b, g, r, a] = cursor.to_le_bytes();
    let channel = |source: u8, destination: u8| {
        (f64::from(source) + f64::from(destination) * (255.0 - f64::from(a)) / 255.0)
            .round()
            .min(255.0) as u8
    };
    Rgba::rgb(
        channel(r, below.r),
        channel(g, below.g),
        channel(b, below.b),
    )
}

#[test]
fn a_semi_transparent_cursor_is_composited_premultiplied_on_every_backend() {
    let server = XServer::xvfb(&XvfbOptions::new(200, 120, 24))
        .expect("cannot start Xvfb; run `cargo xtask test`, which installs it");
    let scene = server.paint_scene().unwrap();
    let _cursor_owner = install_cursor(server.display());
    let cursor_region = Region::new(
        i32::from(POINTER.0),
        i32::from(POINTER.1),
        u32::from(CURSOR_WIDTH),
        u32::from(CURSOR_HEIGHT),
    )
    .unwrap();
    for backend in crate::backends_of(mss::DisplaySystem::X11) {
        let mut screen = Mss::builder()
            .display(server.display())
            .backend(backend)
            .with_cursor(true)
            .open()
            .unwrap();
        let cursor = screen.cursor().unwrap();
        assert_eq!(cursor.region(), cursor_region, "{backend}");
        assert_eq!(cursor.pixels(), CURSOR, "{backend}");

        // A region that cuts the cursor: only its first three columns are inside.
        let region = Region::new(90, 45, 13, 10).unwrap();
        let frame = screen.grab(region).unwrap();
        for y in 0..region.height() {
            for x in 0..region.width() {
                let (screen_x, screen_y) = (region.left() + x as i32, region.top() + y as i32);
                let below = scene.expected(screen_x as u32, screen_y as u32);
                let expected = if cursor_region.contains_point(screen_x, screen_y) {
                    let index = (screen_y - cursor_region.top()) as usize
                        * usize::from(CURSOR_WIDTH)
                        + (screen_x - cursor_region.left()) as usize;
                    over(CURSOR[index], below)
                } else {
                    below
                };
                assert_eq!(
                    frame.pixel(x, y).unwrap(),
                    expected,
                    "{backend}: pixel ({screen_x}, {screen_y})"
                );
            }
        }
        // Exact values spelled out for the three kinds of pixel, over the scene's colour.
        assert_eq!(frame.pixel(10, 5).unwrap(), Rgba::rgb(255, 0, 0), "opaque");
        let below_half = scene.expected(101, 50);
        let half = |c: u8| 128 + ((u32::from(c) * 127 + 127) / 255) as u8;
        assert_eq!(
            frame.pixel(11, 5).unwrap(),
            Rgba::rgb(half(below_half.r), half(below_half.g), half(below_half.b)),
            "50 % white"
        );
        assert_eq!(
            frame.pixel(12, 5).unwrap(),
            scene.expected(102, 50),
            "transparent"
        );

        // Without the cursor the frame is the scene.
        screen.set_with_cursor(false);
        scene.assert_frame(&screen.grab(region).unwrap());
    }
}

#[test]
fn a_server_without_xfixes_is_unsupported_naming_xfixes() {
    let server = XServer::xvfb(&XvfbOptions::new(64, 48, 24).disable_extension("XFIXES"))
        .expect("cannot start Xvfb; run `cargo xtask test`, which installs it");
    for backend in crate::backends_of(mss::DisplaySystem::X11) {
        let mut screen = Mss::builder()
            .display(server.display())
            .backend(backend)
            .with_cursor(true)
            .open()
            .unwrap();
        let error = screen.grab_screen().unwrap_err();
        assert!(
            matches!(error, mss_core::Error::Unsupported { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("XFixes"), "{error}");
        let error: Error = error.into();
        assert!(error.to_string().contains("XFixes"));
    }
}
