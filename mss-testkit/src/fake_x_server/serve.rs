//! One connection of the fake server: its setup, then each request read, parsed with x11rb's
//! parser, counted and answered (or not) as the script says.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use x11rb_protocol::protocol::Request;
use x11rb_protocol::protocol::xproto::{
    Depth, Format, ImageOrder, Screen, Setup, VisualClass, Visualtype,
};
use x11rb_protocol::x11_utils::Serialize;

use super::ServerState;
use super::script::{
    EventNumbers, FAKE_ROOT, FAKE_ROOT_VISUAL, FakeEvent, FakeScreen, ImageAnswer, SetupAnswer,
};
use super::wire::{self, Extensions, Inbox, Outbox};

/// What the fake server keeps for one client.
pub(super) struct Client<'a> {
    pub(super) state: &'a ServerState,
    pub(super) outbox: Outbox,
    pub(super) extensions: Extensions,
    /// The sequence number of the request being answered.
    pub(super) sequence: u16,
    /// Pixmaps named with Composite: the window they hold and their size.
    pub(super) pixmaps: HashMap<u32, NamedPixmap>,
    /// MIT-SHM segments, by id.
    pub(super) segments: HashMap<u32, OwnedFd>,
}

/// A window's pixmap, named with `CompositeNameWindowPixmap`: the window and its border.
#[derive(Clone, Copy, Debug)]
pub(super) struct NamedPixmap {
    pub(super) window: u32,
    pub(super) width: u16,
    pub(super) height: u16,
    pub(super) border: u16,
    pub(super) depth: u8,
}

/// Serves connection number `index` until the client leaves or the server stops, then closes
/// it (the server keeps a copy of every socket, to close them all when it stops).
pub(super) fn serve(state: &Arc<ServerState>, stream: UnixStream, index: usize) {
    let closer = stream.try_clone();
    serve_until_closed(state, stream, index);
    if let Ok(closer) = closer {
        let _ = closer.shutdown(std::net::Shutdown::Both);
    }
}

fn serve_until_closed(state: &Arc<ServerState>, stream: UnixStream, index: usize) {
    let answer = state
        .script
        .setups
        .get(index)
        .copied()
        .unwrap_or(SetupAnswer::Answer);
    let Ok(writer) = stream.try_clone() else {
        return;
    };
    let mut inbox = Inbox::new(stream);
    let outbox = Outbox::new(writer);
    if !matches!(inbox.setup_request(), Ok(Some(_))) {
        return;
    }
    match answer {
        SetupAnswer::Answer => {}
        SetupAnswer::Close => return,
        SetupAnswer::Stall => {
            // Never answered: the client waits until it gives up or the server stops.
            while let Ok(Some(_)) = inbox.request() {}
            return;
        }
    }
    if outbox.send(0, &setup_bytes(&state.script.screen)).is_err() {
        return;
    }
    let flood = state.script.flood.map(|event| {
        let outbox = outbox.clone();
        let state = Arc::clone(state);
        std::thread::spawn(move || flood_events(&state, &outbox, event))
    });
    let mut client = Client {
        state,
        outbox,
        extensions: Extensions::new(&state.script.extensions),
        sequence: 0,
        pixmaps: HashMap::new(),
        segments: HashMap::new(),
    };
    while let Ok(Some((request, fds))) = inbox.request() {
        client.sequence = client.sequence.wrapping_add(1);
        if client.handle(&request, fds).is_err() {
            break;
        }
    }
    if let Some(flood) = flood {
        // The client is gone (or the server stopping): the flood's next write fails.
        let _ = flood.join();
    }
}

/// Sends `event` without end, as fast as the client reads, until the client is gone.
fn flood_events(state: &ServerState, outbox: &Outbox, event: FakeEvent) {
    let packet = event_bytes(state, event, 0);
    let mut batch: Vec<u8> = packet
        .iter()
        .copied()
        .cycle()
        .take(packet.len() * 128)
        .collect();
    loop {
        if state.closing.load(Ordering::SeqCst) || outbox.send_flood(&mut batch).is_err() {
            return;
        }
    }
}

/// An event's bytes.
pub(super) fn event_bytes(state: &ServerState, event: FakeEvent, sequence: u16) -> Vec<u8> {
    let extensions = Extensions::new(&state.script.extensions);
    let first_event = |name: &[u8], fallback: u8| {
        extensions
            .named(name)
            .map_or(fallback, |info| info.first_event)
    };
    let bytes = match event {
        FakeEvent::DamageNotify(area) => x11rb_protocol::protocol::damage::NotifyEvent {
            response_type: first_event(b"DAMAGE", 91),
            level: x11rb_protocol::protocol::damage::ReportLevel::NON_EMPTY,
            sequence,
            drawable: FAKE_ROOT,
            damage: 0,
            timestamp: 0,
            area: rectangle(area),
            geometry: x11rb_protocol::protocol::xproto::Rectangle {
                x: 0,
                y: 0,
                width: state.script.screen.width,
                height: state.script.screen.height,
            },
        }
        .serialize()
        .to_vec(),
        FakeEvent::ScreenChange { width, height } => {
            x11rb_protocol::protocol::randr::ScreenChangeNotifyEvent {
                response_type: first_event(b"RANDR", 89),
                rotation: x11rb_protocol::protocol::randr::Rotation::ROTATE0,
                sequence,
                timestamp: 0,
                config_timestamp: 0,
                root: FAKE_ROOT,
                request_window: FAKE_ROOT,
                size_id: 0,
                subpixel_order: x11rb_protocol::protocol::render::SubPixel::UNKNOWN,
                width,
                height,
                mwidth: width / 4,
                mheight: height / 4,
            }
            .serialize()
            .to_vec()
        }
    };
    wire::event(sequence, bytes)
}

/// The protocol's rectangle of a script's.
pub(super) fn rectangle(
    area: super::script::FakeRectangle,
) -> x11rb_protocol::protocol::xproto::Rectangle {
    x11rb_protocol::protocol::xproto::Rectangle {
        x: area.x,
        y: area.y,
        width: area.width,
        height: area.height,
    }
}

/// The connection setup the script's screen describes.
fn setup_bytes(screen: &FakeScreen) -> Vec<u8> {
    let visual = |visual_id, class, (red_mask, green_mask, blue_mask)| Visualtype {
        visual_id,
        class,
        bits_per_rgb_value: 8,
        colormap_entries: 256,
        red_mask,
        green_mask,
        blue_mask,
    };
    let mut allowed_depths = vec![Depth {
        depth: screen.depth,
        visuals: vec![visual(FAKE_ROOT_VISUAL, screen.visual_class, screen.masks)],
    }];
    let mut pixmap_formats = vec![Format {
        depth: screen.depth,
        bits_per_pixel: screen.bits_per_pixel,
        scanline_pad: screen.scanline_pad,
    }];
    for &(depth, bits_per_pixel, masks) in &screen.other_depths {
        allowed_depths.push(Depth {
            depth,
            visuals: vec![visual(
                screen.visual_of(depth),
                VisualClass::TRUE_COLOR,
                masks,
            )],
        });
        pixmap_formats.push(Format {
            depth,
            bits_per_pixel,
            scanline_pad: screen.scanline_pad,
        });
    }
    let setup = Setup {
        status: 1,
        protocol_major_version: 11,
        protocol_minor_version: 0,
        length: 0,
        release_number: 1,
        resource_id_base: 0x0040_0000,
        resource_id_mask: 0x001F_FFFF,
        motion_buffer_size: 256,
        maximum_request_length: u16::MAX,
        image_byte_order: if screen.lsb_first {
            ImageOrder::LSB_FIRST
        } else {
            ImageOrder::MSB_FIRST
        },
        bitmap_format_bit_order: ImageOrder::LSB_FIRST,
        bitmap_format_scanline_unit: 32,
        bitmap_format_scanline_pad: 32,
        min_keycode: 8,
        max_keycode: 255,
        vendor: b"mss-rs fake X server".to_vec(),
        pixmap_formats,
        roots: vec![Screen {
            root: FAKE_ROOT,
            default_colormap: 0x20,
            white_pixel: 0x00FF_FFFF,
            black_pixel: 0,
            width_in_pixels: screen.width,
            height_in_pixels: screen.height,
            width_in_millimeters: screen.width / 4,
            height_in_millimeters: screen.height / 4,
            min_installed_maps: 1,
            max_installed_maps: 1,
            root_visual: FAKE_ROOT_VISUAL,
            root_depth: screen.depth,
            allowed_depths,
            ..Screen::default()
        }],
    };
    let mut bytes = setup.serialize();
    let length = u16::try_from((bytes.len() - 8) / 4).unwrap_or(u16::MAX);
    bytes[6..8].copy_from_slice(&length.to_ne_bytes());
    bytes
}

impl Client<'_> {
    /// Answers one request as the script says. An error only when the client is gone.
    fn handle(&mut self, request: &[u8], fds: &mut Vec<OwnedFd>) -> std::io::Result<()> {
        let Some((header, body)) = wire::request_header(request) else {
            return Ok(());
        };
        let parsed = Request::parse(header, body, fds, &self.extensions);
        let Ok(parsed) = parsed else {
            // Not a request this fake knows to parse: the protocol's "no such request".
            let name = "unparsed";
            self.state.count(name);
            return self.send_error(1, 0, header.major_opcode, u16::from(header.minor_opcode));
        };
        let name = request_name(&parsed);
        self.state.count(name);
        if self.state.script.silent.contains(&name) {
            return Ok(());
        }
        let has_reply = parsed.reply_parser().is_some();
        let events = self
            .state
            .script
            .events_only_before
            .is_none_or(|only| only == name);
        match self.answer(parsed) {
            Some(Answer::Reply(bytes)) => self.send_reply(bytes, events),
            Some(Answer::Error(code, value)) => self.send_error(
                code,
                value,
                header.major_opcode,
                u16::from(header.minor_opcode),
            ),
            None if has_reply => {
                self.send_error(17, 0, header.major_opcode, u16::from(header.minor_opcode))
            }
            None => Ok(()),
        }
    }

    /// Sends a reply, after the events the script sends before replies when `events` says so.
    fn send_reply(&self, bytes: Vec<u8>, events: bool) -> std::io::Result<()> {
        let script = &self.state.script;
        let numbered = match script.event_numbers {
            EventNumbers::Request => self.sequence,
            EventNumbers::Stale => 0,
            EventNumbers::Ahead => self.sequence.wrapping_add(1),
        };
        for &event in script.events_before_replies.iter().filter(|_| events) {
            self.outbox
                .send(self.sequence, &event_bytes(self.state, event, numbered))?;
        }
        self.outbox
            .send(self.sequence, &wire::reply(self.sequence, bytes))
    }

    fn send_error(&self, code: u8, value: u32, major: u8, minor: u16) -> std::io::Result<()> {
        self.outbox.send(
            self.sequence,
            &wire::error(self.sequence, code, value, major, minor),
        )
    }

    /// The next image answer of the script.
    pub(super) fn image_answer(&self) -> ImageAnswer {
        let images = &self.state.script.images;
        let index = self.state.images.fetch_add(1, Ordering::SeqCst);
        images
            .get(index)
            .or(images.last())
            .copied()
            .unwrap_or(ImageAnswer::Exact)
    }
}

/// How a request is answered: a reply's bytes (as serialised; the sequence number and length
/// are set when it is sent), or an error code and its bad value. Requests answered with
/// nothing are `None`.
pub(super) enum Answer {
    Reply(Vec<u8>),
    Error(u8, u32),
}

/// The name the fake server counts a request under (and [`XScript::silent`] names it by):
/// the request's name in the protocol, with the extension's prefix (`GetImage`,
/// `ShmGetImage`, `RRGetMonitors`, `XFixesFetchRegion`, ...); `other` for the rest.
///
/// [`XScript::silent`]: super::XScript::silent
pub fn request_name(request: &Request<'_>) -> &'static str {
    match request {
        Request::QueryExtension(_) => "QueryExtension",
        Request::GetInputFocus(_) => "GetInputFocus",
        Request::InternAtom(_) => "InternAtom",
        Request::GetGeometry(_) => "GetGeometry",
        Request::GetImage(_) => "GetImage",
        Request::QueryTree(_) => "QueryTree",
        Request::GetWindowAttributes(_) => "GetWindowAttributes",
        Request::TranslateCoordinates(_) => "TranslateCoordinates",
        Request::GetProperty(_) => "GetProperty",
        Request::FreePixmap(_) => "FreePixmap",
        Request::RandrQueryVersion(_) => "RRQueryVersion",
        Request::RandrSelectInput(_) => "RRSelectInput",
        Request::RandrGetScreenResourcesCurrent(_) => "RRGetScreenResourcesCurrent",
        Request::RandrGetOutputInfo(_) => "RRGetOutputInfo",
        Request::RandrGetCrtcInfo(_) => "RRGetCrtcInfo",
        Request::RandrGetOutputPrimary(_) => "RRGetOutputPrimary",
        Request::RandrGetMonitors(_) => "RRGetMonitors",
        Request::RandrGetOutputProperty(_) => "RRGetOutputProperty",
        Request::ShmQueryVersion(_) => "ShmQueryVersion",
        Request::ShmAttachFd(_) => "ShmAttachFd",
        Request::ShmGetImage(_) => "ShmGetImage",
        Request::ShmDetach(_) => "ShmDetach",
        Request::XfixesQueryVersion(_) => "XFixesQueryVersion",
        Request::XfixesFetchRegion(_) => "XFixesFetchRegion",
        Request::XfixesGetCursorImage(_) => "XFixesGetCursorImage",
        Request::DamageQueryVersion(_) => "DamageQueryVersion",
        Request::DamageCreate(_) => "DamageCreate",
        Request::DamageSubtract(_) => "DamageSubtract",
        Request::CompositeQueryVersion(_) => "CompositeQueryVersion",
        Request::CompositeRedirectWindow(_) => "CompositeRedirectWindow",
        Request::CompositeNameWindowPixmap(_) => "CompositeNameWindowPixmap",
        _ => "other",
    }
}
