//! `proptest` strategies for hostile [`XScript`]s: the screens, image answers, monitors,
//! events and window trees the backends' property tests feed to the real code.
//!
//! Each strategy mixes what real servers send with what no healthy server does, and a script
//! says whether it is [`Hostile::benign`]: a benign one must be captured (an exact frame for
//! every region on the screen), a hostile one may be refused, but never with a panic, a hang
//! or memory without bound.

use mss_core::Region;
use proptest::collection::vec;
use proptest::prelude::*;
use x11rb_protocol::protocol::xproto::VisualClass;

use super::script::{
    FAKE_ROOT, FakeEvent, FakeMonitor, FakeProperty, FakeRectangle, FakeScreen, FakeWindow,
    ImageAnswer, XScript,
};

/// A script, and whether a healthy server could have answered it.
#[derive(Clone, Debug)]
pub struct Hostile {
    /// What the fake server answers.
    pub script: XScript,
    /// Whether nothing in it is hostile: a layout the backends capture, every image exact, no
    /// output named like XWayland's.
    pub benign: bool,
}

/// The pixel layouts real servers have: depth, bits per pixel, masks.
const LAYOUTS: [(u8, u8, (u32, u32, u32)); 5] = [
    (24, 32, (0xFF_0000, 0xFF00, 0xFF)),
    (32, 32, (0xFF_0000, 0xFF00, 0xFF)),
    (16, 16, (0xF800, 0x07E0, 0x001F)),
    (15, 16, (0x7C00, 0x03E0, 0x001F)),
    (30, 32, (0x3FF0_0000, 0x000F_FC00, 0x0000_03FF)),
];

/// Layouts no backend captures: packed 24 bits, a palette, RGB order, bits that do not match
/// the depth, 8 bits per pixel.
const ODD_LAYOUTS: [(u8, u8, (u32, u32, u32)); 5] = [
    (24, 24, (0xFF_0000, 0xFF00, 0xFF)),
    (8, 8, (0xE0, 0x1C, 0x03)),
    (24, 32, (0xFF, 0xFF00, 0xFF_0000)),
    (24, 16, (0xFF_0000, 0xFF00, 0xFF)),
    (16, 32, (0xF800, 0x07E0, 0x001F)),
];

/// Screens of 1 to 48 pixels a side, of every layout, row padding and byte order, with a
/// 32-bit ARGB depth beside the root's now and then; `true` when the backends capture it.
pub fn screens() -> impl Strategy<Value = (FakeScreen, bool)> {
    let layout = prop_oneof![
        12 => (0..LAYOUTS.len()).prop_map(|index| (LAYOUTS[index], true)),
        1 => (0..ODD_LAYOUTS.len()).prop_map(|index| (ODD_LAYOUTS[index], false)),
    ];
    let pad = prop_oneof![
        20 => prop::sample::select(vec![(8u8, true), (16, true), (32, true)]),
        1 => prop::sample::select(vec![(12u8, false), (64, false), (0, false)]),
    ];
    let class = prop_oneof![
        16 => Just((VisualClass::TRUE_COLOR, true)),
        4 => Just((VisualClass::DIRECT_COLOR, true)),
        1 => Just((VisualClass::PSEUDO_COLOR, false)),
        1 => Just((VisualClass::STATIC_GRAY, false)),
    ];
    (
        1u16..=48,
        1u16..=48,
        layout,
        pad,
        class,
        prop::bool::weighted(0.97),
        prop::bool::weighted(0.3),
    )
        .prop_map(
            |(
                width,
                height,
                ((depth, bits, masks), layout_ok),
                (pad, pad_ok),
                (class, class_ok),
                lsb_first,
                argb,
            )| {
                let mut screen = FakeScreen::depth24(width, height);
                screen.depth = depth;
                screen.bits_per_pixel = bits;
                screen.masks = masks;
                screen.scanline_pad = pad;
                screen.visual_class = class;
                screen.lsb_first = lsb_first;
                if argb && depth != 32 {
                    screen.other_depths = vec![(32, 32, (0xFF_0000, 0xFF00, 0xFF))];
                }
                (screen, layout_ok && pad_ok && class_ok && lsb_first)
            },
        )
}

/// How image requests are answered: mostly exactly, else shorter, longer, of another depth
/// or visual, or an error; `true` when every answer is exact.
pub fn image_answers() -> impl Strategy<Value = (Vec<ImageAnswer>, bool)> {
    let answer = prop_oneof![
        20 => Just(ImageAnswer::Exact),
        1 => (1u16..64).prop_map(ImageAnswer::Shorter),
        1 => (1u16..64).prop_map(ImageAnswer::Longer),
        1 => any::<u8>().prop_map(ImageAnswer::Depth),
        1 => any::<u32>().prop_map(ImageAnswer::Visual),
        1 => (1u8..=255).prop_map(ImageAnswer::Error),
    ];
    vec(answer, 0..4).prop_map(|answers| {
        let exact = answers.iter().all(|answer| *answer == ImageAnswer::Exact);
        (answers, exact)
    })
}

/// Bytes for a name: printable text, UTF-8 with controls and bidirectional marks, Latin-1,
/// escape sequences, NULs, any bytes.
pub fn names() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => "[a-zA-Z0-9 ._-]{1,8}".prop_map(String::into_bytes),
        1 => Just(b"\x1b[31m".to_vec()),
        1 => Just(b"\x1b]0;title\x07".to_vec()),
        1 => Just("\u{202e}\u{2066}\u{200f}".as_bytes().to_vec()),
        1 => Just("é\u{85}\u{9b}".as_bytes().to_vec()),
        1 => Just(b"\xe9\xff\x00\x7f".to_vec()),
        1 => vec(any::<u8>(), 1..8),
    ];
    vec(piece, 0..4).prop_map(|pieces| pieces.concat())
}

/// An EDID block, well formed with a name of `name`'s bytes, or any bytes.
fn edids() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        2 => Just(None),
        1 => names().prop_map(|name| Some(edid_named(&name))),
        1 => vec(any::<u8>(), 0..200).prop_map(Some),
    ]
}

/// A 128-byte EDID base block whose display name descriptor holds `name` (13 bytes at most).
pub fn edid_named(name: &[u8]) -> Vec<u8> {
    let mut block = vec![0u8; 128];
    block[..8].copy_from_slice(&[0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]);
    block[54..59].copy_from_slice(&[0, 0, 0, 0xFC, 0]);
    let name = &name[..name.len().min(13)];
    block[59..59 + name.len()].copy_from_slice(name);
    let sum = block[..127]
        .iter()
        .fold(0u8, |sum, byte| sum.wrapping_add(*byte));
    block[127] = 0u8.wrapping_sub(sum);
    block
}

/// RandR monitors anywhere (far off the screen, of no size), named with any bytes; `true`
/// when no output is named like XWayland's (which makes a server XWayland).
pub fn monitors() -> impl Strategy<Value = (Vec<FakeMonitor>, bool)> {
    let monitor = (
        any::<i16>(),
        any::<i16>(),
        prop_oneof![3 => 0u16..64, 1 => any::<u16>()],
        prop_oneof![3 => 0u16..64, 1 => any::<u16>()],
        any::<bool>(),
        prop_oneof![
            30 => names(),
            1 => names().prop_map(|name| [b"XWAYLAND".to_vec(), name].concat())
        ],
        edids(),
    )
        .prop_map(
            |(x, y, width, height, primary, output_name, edid)| FakeMonitor {
                x,
                y,
                width,
                height,
                primary,
                output_name,
                edid,
            },
        );
    vec(monitor, 0..4).prop_map(|monitors| {
        let benign = !monitors
            .iter()
            .any(|monitor| monitor.output_name.starts_with(b"XWAYLAND"));
        (monitors, benign)
    })
}

/// Rectangles as the protocol carries them, anywhere and of any size (none included).
pub fn rectangles() -> impl Strategy<Value = FakeRectangle> {
    (any::<i16>(), any::<i16>(), any::<u16>(), any::<u16>()).prop_map(|(x, y, width, height)| {
        FakeRectangle {
            x,
            y,
            width,
            height,
        }
    })
}

/// Events before every reply (damage, screen changes, of any size), numbered as a server
/// numbers them. (Events numbered out of sequence leave x11rb's pure-Rust connection waiting
/// for a reply it filed under another number until the deadline, which would make each such
/// case last a whole timeout; they have tests of their own.)
pub fn events() -> impl Strategy<Value = Vec<FakeEvent>> {
    let event = prop_oneof![
        rectangles().prop_map(FakeEvent::DamageNotify),
        (any::<u16>(), any::<u16>())
            .prop_map(|(width, height)| FakeEvent::ScreenChange { width, height }),
    ];
    vec(event, 0..4)
}

/// The ids window trees are made of: `count` windows from 0x1000.
fn window_ids(count: usize) -> Vec<u32> {
    (0..count).map(|index| 0x1000 + index as u32).collect()
}

/// Window trees as a hostile server tells them: parents that are the root, nothing, another
/// window or the window itself; children lists that disagree with the parents; sizes of zero
/// and places far off the screen; titles, classes and `WM_STATE` of any bytes; EWMH client
/// lists naming windows that exist or not, twice or not. Returns the windows, the root's
/// children, the root's properties and whether a window manager runs.
pub fn window_trees() -> impl Strategy<Value = (Vec<FakeWindow>, Vec<u32>, Vec<FakeProperty>, bool)>
{
    (0usize..6).prop_flat_map(|count| {
        let ids = window_ids(count);
        let id = prop::sample::select(
            ids.clone()
                .into_iter()
                .chain([FAKE_ROOT, 0, 0x9999])
                .collect::<Vec<_>>(),
        );
        let window = (
            id.clone(),
            vec(id.clone(), 0..4),
            prop_oneof![4 => -20i16..60, 1 => any::<i16>()],
            prop_oneof![4 => -20i16..60, 1 => any::<i16>()],
            prop_oneof![4 => 0u16..40, 1 => any::<u16>()],
            prop_oneof![4 => 0u16..40, 1 => any::<u16>()],
            prop_oneof![4 => Just(0u16), 1 => 0u16..4, 1 => any::<u16>()],
            prop::sample::select(vec![24u8, 24, 32, 8]),
            prop::bool::weighted(0.8),
            prop::bool::weighted(0.2),
            (
                names(),
                names(),
                names(),
                prop::option::of(vec(any::<u32>(), 0..3)),
            ),
        );
        let windows = vec(window, count..=count).prop_map(move |windows| {
            windows
                .into_iter()
                .zip(window_ids(count))
                .map(
                    |(
                        (
                            parent,
                            children,
                            root_x,
                            root_y,
                            width,
                            height,
                            border,
                            depth,
                            viewable,
                            override_redirect,
                            (title, wm_name, class, wm_state),
                        ),
                        id,
                    )| {
                        let mut window = FakeWindow::new(id, root_x, root_y, width, height);
                        window.parent = parent;
                        window.children = children;
                        window.border = border;
                        window.depth = depth;
                        window.viewable = viewable;
                        window.override_redirect = override_redirect;
                        if !title.is_empty() {
                            window.properties.push(FakeProperty::bytes(
                                "_NET_WM_NAME",
                                "UTF8_STRING",
                                &title,
                            ));
                        }
                        if !wm_name.is_empty() {
                            window
                                .properties
                                .push(FakeProperty::bytes("WM_NAME", "STRING", &wm_name));
                        }
                        if !class.is_empty() {
                            window
                                .properties
                                .push(FakeProperty::bytes("WM_CLASS", "STRING", &class));
                        }
                        if let Some(state) = wm_state {
                            window
                                .properties
                                .push(FakeProperty::words("WM_STATE", "WM_STATE", &state));
                        }
                        window
                    },
                )
                .collect::<Vec<_>>()
        });
        let root_children = vec(id.clone(), 0..8);
        let list = prop_oneof![
            Just(None),
            vec(id.clone(), 0..8).prop_map(|ids| Some(FakeProperty::words(
                "_NET_CLIENT_LIST",
                "WINDOW",
                &ids
            ))),
            vec(id, 0..8).prop_map(|ids| Some(FakeProperty::words(
                "_NET_CLIENT_LIST_STACKING",
                "WINDOW",
                &ids
            ))),
        ];
        (windows, root_children, list, any::<bool>()).prop_map(
            |(windows, children, list, manager)| {
                (windows, children, list.into_iter().collect(), manager)
            },
        )
    })
}

/// A whole hostile script: a screen, extensions, image answers, monitors and events (no
/// windows; see [`window_trees`]).
pub fn scripts() -> impl Strategy<Value = Hostile> {
    let randr = prop::option::of((Just(1u32), 0u32..=6));
    (
        screens(),
        image_answers(),
        monitors(),
        events(),
        randr,
        any::<bool>(),
    )
        .prop_map(|(screen, images, monitors, events, randr, xfixes)| {
            let ((screen, screen_ok), (images, images_ok)) = (screen, images);
            let (monitors, monitors_ok) = monitors;
            let mut script = XScript::new(screen.width, screen.height);
            script.screen = screen;
            script.images = images;
            script.monitors = monitors;
            script.events_before_replies = events;
            script.extensions.randr = randr;
            if !xfixes {
                script.extensions.xfixes = None;
            }
            Hostile {
                script,
                benign: screen_ok && images_ok && monitors_ok,
            }
        })
}

/// Regions of a `width` x `height` screen: mostly on it, now and then across its edges or off
/// it.
pub fn regions(width: u16, height: u16) -> impl Strategy<Value = Vec<Region>> {
    let (width, height) = (i32::from(width), i32::from(height));
    let on = (0..width, 0..height).prop_flat_map(move |(left, top)| {
        (Just(left), Just(top), 1..=width - left, 1..=height - top)
    });
    let anywhere = (-8..width + 8, -8..height + 8, 1..width + 16, 1..height + 16);
    let region = prop_oneof![4 => on, 1 => anywhere].prop_map(|(left, top, w, h)| {
        Region::new(left, top, w as u32, h as u32).expect("a region of positive size")
    });
    vec(region, 1..4)
}

/// A hostile script and regions of its screen.
pub fn scripts_and_regions() -> impl Strategy<Value = (Hostile, Vec<Region>)> {
    scripts().prop_flat_map(|hostile| {
        let screen = &hostile.script.screen;
        let regions = regions(screen.width, screen.height);
        (Just(hostile), regions)
    })
}
