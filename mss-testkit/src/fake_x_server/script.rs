//! [`XScript`]: everything a [`FakeXServer`](super::FakeXServer) answers, decided by the test
//! (or by `proptest`) before the server starts.
//!
//! The script is hostile where a test wants it to be and consistent everywhere else: every
//! reply is well formed on the wire (x11rb's own types serialise it), while what it says (a
//! size, a depth, a tree, a name, how many events come first) is whatever the script holds.

use x11rb_protocol::protocol::xproto::VisualClass;

/// The root window's id.
pub const FAKE_ROOT: u32 = 0x0000_0100;
/// The root visual's id.
pub const FAKE_ROOT_VISUAL: u32 = 0x21;

/// Everything a fake X server answers.
#[derive(Clone, Debug)]
pub struct XScript {
    /// The one screen, as the connection setup describes it.
    pub screen: FakeScreen,
    /// Which extensions are present, and in which versions.
    pub extensions: FakeExtensions,
    /// The RandR monitors (RandR 1.5 `GetMonitors`; also the CRTCs and outputs of RandR 1.2).
    pub monitors: Vec<FakeMonitor>,
    /// The windows below the root; see [`FakeWindow`].
    pub windows: Vec<FakeWindow>,
    /// The root's children, bottom first (`QueryTree` of the root).
    pub root_children: Vec<u32>,
    /// The root's properties (`_NET_CLIENT_LIST_STACKING`, say).
    pub root_properties: Vec<FakeProperty>,
    /// Whether a window manager runs: the root's event masks include
    /// `SubstructureRedirect`.
    pub window_manager: bool,
    /// How image requests (`GetImage`, `ShmGetImage`) are answered, in the order they arrive;
    /// the last answer repeats, and an empty list answers every one exactly.
    pub images: Vec<ImageAnswer>,
    /// How each connection's setup is answered, in the order connections arrive; past the end
    /// of the list, setups are answered.
    pub setups: Vec<SetupAnswer>,
    /// Requests never answered, by name (as [`request_name`](super::request_name) names
    /// them): the client waits for a reply that does not come.
    pub silent: Vec<&'static str>,
    /// Events sent before every reply (so a client reading the reply has them all queued), or
    /// only before the replies to requests named [`events_only_before`](Self::events_only_before).
    pub events_before_replies: Vec<FakeEvent>,
    /// The request (by [`request_name`](super::request_name)) whose replies alone the events
    /// come before; `None`: every reply.
    pub events_only_before: Option<&'static str>,
    /// The sequence numbers those events carry.
    pub event_numbers: EventNumbers,
    /// An event sent without end from the moment the setup is answered, as fast as the client
    /// reads.
    pub flood: Option<FakeEvent>,
    /// The rectangles every `XFixesFetchRegion` answers (what damage says changed).
    pub damage_rectangles: Vec<FakeRectangle>,
}

impl XScript {
    /// A `width` x `height` screen of depth 24 (32 bits per pixel, rows padded to 32 bits,
    /// BGRx masks), RandR 1.6 with one monitor covering it, XFixes 6, nothing else, every
    /// request answered exactly.
    pub fn new(width: u16, height: u16) -> Self {
        Self {
            screen: FakeScreen::depth24(width, height),
            extensions: FakeExtensions {
                randr: Some((1, 6)),
                shm: None,
                xfixes: Some((6, 0)),
                damage: false,
                composite: None,
                xwayland: false,
            },
            monitors: vec![FakeMonitor {
                x: 0,
                y: 0,
                width,
                height,
                primary: true,
                output_name: b"FAKE-1".to_vec(),
                edid: None,
            }],
            windows: Vec::new(),
            root_children: Vec::new(),
            root_properties: Vec::new(),
            window_manager: false,
            images: Vec::new(),
            setups: Vec::new(),
            silent: Vec::new(),
            events_before_replies: Vec::new(),
            events_only_before: None,
            event_numbers: EventNumbers::Request,
            flood: None,
            damage_rectangles: Vec::new(),
        }
    }

    /// The window `id` of the script, if it has one.
    pub fn window(&self, id: u32) -> Option<&FakeWindow> {
        self.windows.iter().find(|window| window.id == id)
    }
}

/// The screen as the connection setup describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeScreen {
    /// The root window's width in pixels (in the setup and `GetGeometry` of the root).
    pub width: u16,
    /// The root window's height in pixels.
    pub height: u16,
    /// The root depth.
    pub depth: u8,
    /// Bits per pixel of the root depth's pixmap format.
    pub bits_per_pixel: u8,
    /// Bits every image row is padded to.
    pub scanline_pad: u8,
    /// Whether images are LSB-first (`image_byte_order`).
    pub lsb_first: bool,
    /// The root visual's class.
    pub visual_class: VisualClass,
    /// The root visual's red, green and blue masks.
    pub masks: (u32, u32, u32),
    /// Other depths listed with one TrueColor visual each (id `0x40 + depth`) and a pixmap
    /// format (windows of another depth than the root use them): depth, bits per pixel,
    /// masks.
    pub other_depths: Vec<(u8, u8, (u32, u32, u32))>,
}

impl FakeScreen {
    /// Depth 24 at 32 bits per pixel, rows padded to 32 bits, LSB-first, TrueColor, BGRx.
    pub fn depth24(width: u16, height: u16) -> Self {
        Self {
            width,
            height,
            depth: 24,
            bits_per_pixel: 32,
            scanline_pad: 32,
            lsb_first: true,
            visual_class: VisualClass::TRUE_COLOR,
            masks: (0xFF_0000, 0xFF00, 0xFF),
            other_depths: Vec::new(),
        }
    }

    /// Bits per pixel of images of `depth` on this screen, when the setup lists a pixmap
    /// format for it.
    pub fn bits_per_pixel_of(&self, depth: u8) -> Option<u8> {
        if depth == self.depth {
            return Some(self.bits_per_pixel);
        }
        self.other_depths
            .iter()
            .find(|(other, _, _)| *other == depth)
            .map(|&(_, bits, _)| bits)
    }

    /// The visual id of `depth` on this screen: the root visual for the root depth.
    pub fn visual_of(&self, depth: u8) -> u32 {
        if depth == self.depth {
            FAKE_ROOT_VISUAL
        } else {
            0x40 + u32::from(depth)
        }
    }
}

/// Which extensions the server has, with the versions it agrees to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeExtensions {
    /// RandR, with the version `RRQueryVersion` answers.
    pub randr: Option<(u32, u32)>,
    /// MIT-SHM.
    pub shm: Option<FakeShm>,
    /// XFixes, with the version `XFixesQueryVersion` answers.
    pub xfixes: Option<(u32, u32)>,
    /// DAMAGE (version 1.1).
    pub damage: bool,
    /// Composite, with the version `CompositeQueryVersion` answers.
    pub composite: Option<(u32, u32)>,
    /// The `XWAYLAND` extension (no requests; its presence says XWayland).
    pub xwayland: bool,
}

/// MIT-SHM as the fake server has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FakeShm {
    /// The version `ShmQueryVersion` answers.
    pub version: (u16, u16),
    /// Whether `ShmAttachFd` is accepted (a refusal is `BadAccess`, as over TCP).
    pub attach: bool,
}

/// One RandR monitor, with the output that shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeMonitor {
    /// Where it is on the screen.
    pub x: i16,
    /// Where it is on the screen.
    pub y: i16,
    /// Its width in pixels (zero is sent as it is).
    pub width: u16,
    /// Its height in pixels.
    pub height: u16,
    /// Whether it is the primary monitor.
    pub primary: bool,
    /// Its output's name, any bytes.
    pub output_name: Vec<u8>,
    /// The output's `EDID` property, any bytes.
    pub edid: Option<Vec<u8>>,
}

/// A window below the root. The script says each reply separately, so a tree may be
/// inconsistent (a child listed under a parent it does not name, a cycle of parents), and a
/// window may have any size, place and properties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeWindow {
    /// Its id.
    pub id: u32,
    /// The parent `QueryTree` names (the root, `NONE`, another window, itself).
    pub parent: u32,
    /// The children `QueryTree` lists, bottom first.
    pub children: Vec<u32>,
    /// Its place in its parent (`GetGeometry`).
    pub x: i16,
    /// Its place in its parent (`GetGeometry`).
    pub y: i16,
    /// Where its top-left corner is on the root (`TranslateCoordinates` to the root).
    pub root_x: i16,
    /// Where its top-left corner is on the root.
    pub root_y: i16,
    /// Its width (zero is sent as it is).
    pub width: u16,
    /// Its height.
    pub height: u16,
    /// Its border width.
    pub border: u16,
    /// Its depth (its visual is the screen's visual of that depth).
    pub depth: u8,
    /// Whether it is viewable (`GetWindowAttributes`'s map state); unviewable is unmapped.
    pub viewable: bool,
    /// Whether it bypasses the window manager.
    pub override_redirect: bool,
    /// Its properties.
    pub properties: Vec<FakeProperty>,
}

impl FakeWindow {
    /// A viewable depth-24 top-level window `id`, `width` x `height` at (`x`, `y`) on the
    /// root, without a border or properties.
    pub fn new(id: u32, x: i16, y: i16, width: u16, height: u16) -> Self {
        Self {
            id,
            parent: FAKE_ROOT,
            children: Vec::new(),
            x,
            y,
            root_x: x,
            root_y: y,
            width,
            height,
            border: 0,
            depth: 24,
            viewable: true,
            override_redirect: false,
            properties: Vec::new(),
        }
    }

    /// The window with a property added.
    #[must_use]
    pub fn with_property(mut self, property: FakeProperty) -> Self {
        self.properties.push(property);
        self
    }
}

/// A property of a window, named by atom names (interned by the fake server as asked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeProperty {
    /// The property's name (`WM_NAME`, `_NET_WM_NAME`, ...).
    pub name: String,
    /// Its type's name (`STRING`, `UTF8_STRING`, `WINDOW`, ...).
    pub type_name: String,
    /// 8, 16 or 32.
    pub format: u8,
    /// Its value: bytes, or 16- or 32-bit items in the client's byte order.
    pub data: Vec<u8>,
}

impl FakeProperty {
    /// An 8-bit property.
    pub fn bytes(name: &str, type_name: &str, data: &[u8]) -> Self {
        Self {
            name: name.to_owned(),
            type_name: type_name.to_owned(),
            format: 8,
            data: data.to_vec(),
        }
    }

    /// A 32-bit property.
    pub fn words(name: &str, type_name: &str, words: &[u32]) -> Self {
        Self {
            name: name.to_owned(),
            type_name: type_name.to_owned(),
            format: 32,
            data: words.iter().flat_map(|word| word.to_ne_bytes()).collect(),
        }
    }
}

/// How an image request is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageAnswer {
    /// The image asked for, laid out as the setup says.
    Exact,
    /// The reply says (`GetImage`: carries) this many 4-byte units fewer than the image.
    Shorter(u16),
    /// The reply says (`GetImage`: carries) this many 4-byte units more than the image.
    Longer(u16),
    /// The reply states this depth.
    Depth(u8),
    /// The reply states this visual.
    Visual(u32),
    /// An error of this code instead (8 is `BadMatch`).
    Error(u8),
}

/// How a connection setup is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetupAnswer {
    /// The setup, as the script's screen says.
    Answer,
    /// Nothing, ever (until the server is dropped).
    Stall,
    /// The connection is closed at once, as a server resetting does.
    Close,
}

/// The sequence numbers the events sent before a reply carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventNumbers {
    /// The request's, as a server's events do.
    Request,
    /// 0: lower than the packets before them (a client reads that as 65536 requests later).
    Stale,
    /// The request's plus one: a request not sent yet.
    Ahead,
}

/// An event the server sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FakeEvent {
    /// DAMAGE's `DamageNotify` on the root, for this rectangle.
    DamageNotify(FakeRectangle),
    /// RandR's `RRScreenChangeNotify` of the root, at this size.
    ScreenChange {
        /// The new width.
        width: u16,
        /// The new height.
        height: u16,
    },
}

/// A rectangle as the protocol carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FakeRectangle {
    /// Left edge.
    pub x: i16,
    /// Top edge.
    pub y: i16,
    /// Width.
    pub width: u16,
    /// Height.
    pub height: u16,
}
