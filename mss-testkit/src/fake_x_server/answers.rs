//! The fake server's answers to core requests, and the drawables images are read from.

use x11rb_protocol::protocol::Request;
use x11rb_protocol::protocol::xproto::{
    BackingStore, EventMask, GetGeometryReply, GetImageReply, GetInputFocusReply, GetPropertyReply,
    GetWindowAttributesReply, Gravity, ImageFormat, InputFocus, InternAtomReply, MapState,
    QueryExtensionReply, QueryTreeReply, TranslateCoordinatesReply, WindowClass,
};
use x11rb_protocol::x11_utils::Serialize;

use super::pixels::{ROOT_SEED, fake_image, fake_stride};
use super::script::{FAKE_ROOT, FakeProperty, ImageAnswer};
use super::serve::{Answer, Client};

/// Core error codes.
pub(super) const BAD_VALUE: u8 = 2;
pub(super) const BAD_WINDOW: u8 = 3;
pub(super) const BAD_MATCH: u8 = 8;
pub(super) const BAD_DRAWABLE: u8 = 9;
pub(super) const BAD_ACCESS: u8 = 10;
pub(super) const BAD_ALLOC: u8 = 11;

/// The largest image the fake server makes, in bytes (larger ones are `BadAlloc`, as a server
/// short of memory answers): a test never needs more, and a hostile size in a script must
/// not make the test itself slow or short of memory.
const MAX_IMAGE_BYTES: usize = 4 << 20;

/// A drawable images are read from: the pattern it shows (its seed and where its pixel (0, 0)
/// is in the pattern), its size, depth and visual.
#[derive(Clone, Copy, Debug)]
pub(super) struct Source {
    pub(super) seed: u32,
    pub(super) origin: (i32, i32),
    pub(super) width: u16,
    pub(super) height: u16,
    pub(super) depth: u8,
    pub(super) visual: u32,
}

/// An image to send: its pixels, padded as a reply carries them, the depth and visual the
/// reply states, and how many bytes more (or fewer) than the image the reply says it holds.
pub(super) struct Image {
    pub(super) data: Vec<u8>,
    /// Bytes of the image proper, before the padding of the reply.
    pub(super) len: usize,
    pub(super) depth: u8,
    pub(super) visual: u32,
    /// What the reply says beyond the image (negative: short of it), in bytes.
    pub(super) surplus: isize,
}

impl Client<'_> {
    /// Answers `request`: a reply, an error, or nothing (`None`; requests with a reply that get
    /// nothing here are answered `BadImplementation`).
    pub(super) fn answer(&mut self, request: Request<'_>) -> Option<Answer> {
        let state = self.state;
        let script = &state.script;
        match request {
            Request::QueryExtension(request) => {
                let info = self.extensions.named(&request.name);
                reply(QueryExtensionReply {
                    present: info.is_some(),
                    major_opcode: info.map_or(0, |info| info.major_opcode),
                    first_event: info.map_or(0, |info| info.first_event),
                    first_error: info.map_or(0, |info| info.first_error),
                    ..QueryExtensionReply::default()
                })
            }
            Request::GetInputFocus(_) => reply(GetInputFocusReply {
                revert_to: InputFocus::POINTER_ROOT,
                focus: 1,
                ..GetInputFocusReply::default()
            }),
            Request::InternAtom(request) => {
                let name = String::from_utf8_lossy(&request.name);
                let atom = self.state.intern(&name, !request.only_if_exists);
                reply(InternAtomReply {
                    atom,
                    ..InternAtomReply::default()
                })
            }
            Request::GetGeometry(request) => {
                let Some(source) = self.source(request.drawable) else {
                    return Some(Answer::Error(BAD_DRAWABLE, request.drawable));
                };
                let (x, y, border) = script
                    .window(request.drawable)
                    .map_or((0, 0, 0), |window| (window.x, window.y, window.border));
                reply(GetGeometryReply {
                    depth: source.depth,
                    root: FAKE_ROOT,
                    x,
                    y,
                    width: source.width,
                    height: source.height,
                    border_width: border,
                    ..GetGeometryReply::default()
                })
            }
            Request::GetImage(request) => {
                if request.format != ImageFormat::Z_PIXMAP {
                    return Some(Answer::Error(BAD_MATCH, request.drawable));
                }
                let area = (request.x, request.y, request.width, request.height);
                match self.image(request.drawable, area) {
                    Ok(mut image) => {
                        // GetImage carries what it says: fewer bytes, or junk after the image.
                        let len = image.data.len().saturating_add_signed(image.surplus);
                        image.data.resize(len, 0x5A);
                        reply(GetImageReply {
                            depth: image.depth,
                            visual: image.visual,
                            data: image.data,
                            ..GetImageReply::default()
                        })
                    }
                    Err(error) => Some(error),
                }
            }
            Request::QueryTree(request) => {
                let (parent, children) = if request.window == FAKE_ROOT {
                    (0, script.root_children.clone())
                } else {
                    let Some(window) = script.window(request.window) else {
                        return Some(Answer::Error(BAD_WINDOW, request.window));
                    };
                    (window.parent, window.children.clone())
                };
                reply(QueryTreeReply {
                    root: FAKE_ROOT,
                    parent,
                    children,
                    ..QueryTreeReply::default()
                })
            }
            Request::GetWindowAttributes(request) => {
                let (viewable, override_redirect, visual, masks) = if request.window == FAKE_ROOT {
                    let masks = if script.window_manager {
                        EventMask::SUBSTRUCTURE_REDIRECT
                    } else {
                        EventMask::NO_EVENT
                    };
                    (true, false, self.source(FAKE_ROOT)?.visual, masks)
                } else {
                    let Some(window) = script.window(request.window) else {
                        return Some(Answer::Error(BAD_WINDOW, request.window));
                    };
                    let visual = script.screen.visual_of(window.depth);
                    (
                        window.viewable,
                        window.override_redirect,
                        visual,
                        EventMask::NO_EVENT,
                    )
                };
                reply(GetWindowAttributesReply {
                    backing_store: BackingStore::NOT_USEFUL,
                    visual,
                    class: WindowClass::INPUT_OUTPUT,
                    bit_gravity: Gravity::BIT_FORGET,
                    win_gravity: Gravity::NORTH_WEST,
                    map_state: if viewable {
                        MapState::VIEWABLE
                    } else {
                        MapState::UNMAPPED
                    },
                    override_redirect,
                    all_event_masks: masks,
                    ..GetWindowAttributesReply::default()
                })
            }
            Request::TranslateCoordinates(request) => {
                let origin = |window| {
                    if window == FAKE_ROOT {
                        Some((0i16, 0i16))
                    } else {
                        script
                            .window(window)
                            .map(|window| (window.root_x, window.root_y))
                    }
                };
                let (Some(source), Some(target)) =
                    (origin(request.src_window), origin(request.dst_window))
                else {
                    return Some(Answer::Error(BAD_WINDOW, request.src_window));
                };
                // The server's arithmetic is 16-bit, as the protocol's fields are.
                reply(TranslateCoordinatesReply {
                    same_screen: true,
                    child: 0,
                    dst_x: source.0.wrapping_add(request.src_x).wrapping_sub(target.0),
                    dst_y: source.1.wrapping_add(request.src_y).wrapping_sub(target.1),
                    ..TranslateCoordinatesReply::default()
                })
            }
            Request::GetProperty(request) => {
                let properties = if request.window == FAKE_ROOT {
                    &script.root_properties
                } else {
                    match script.window(request.window) {
                        Some(window) => &window.properties,
                        None => return Some(Answer::Error(BAD_WINDOW, request.window)),
                    }
                };
                let name = self.state.atom_name(request.property);
                let property = properties
                    .iter()
                    .find(|property| Some(&property.name) == name.as_ref());
                self.property_reply(
                    property,
                    request.type_,
                    request.long_offset,
                    request.long_length,
                )
            }
            Request::FreePixmap(request) => {
                self.pixmaps.remove(&request.pixmap);
                None
            }
            other => self.answer_extension(other),
        }
    }

    /// The reply to a `GetProperty` of `property` (`None`: not set), as the protocol slices it.
    pub(super) fn property_reply(
        &self,
        property: Option<&FakeProperty>,
        type_: u32,
        long_offset: u32,
        long_length: u32,
    ) -> Option<Answer> {
        let Some(property) = property else {
            return reply(GetPropertyReply::default());
        };
        let actual_type = self.state.intern(&property.type_name, true);
        let format = property.format;
        let unit = usize::from(format / 8).max(1);
        // Whole items only: the wire cannot carry a part of one.
        let data = &property.data[..property.data.len() / unit * unit];
        if type_ != 0 && type_ != actual_type {
            return reply(GetPropertyReply {
                format,
                type_: actual_type,
                bytes_after: u32::try_from(data.len()).unwrap_or(u32::MAX),
                ..GetPropertyReply::default()
            });
        }
        let start = usize::try_from(long_offset)
            .unwrap_or(usize::MAX)
            .saturating_mul(4);
        if start > data.len() {
            return Some(Answer::Error(BAD_VALUE, long_offset));
        }
        let wanted = usize::try_from(long_length)
            .unwrap_or(usize::MAX)
            .saturating_mul(4);
        let end = start.saturating_add(wanted).min(data.len());
        let value = data[start..end / unit * unit].to_vec();
        reply(GetPropertyReply {
            format,
            type_: actual_type,
            bytes_after: u32::try_from(data.len() - end).unwrap_or(u32::MAX),
            value_len: u32::try_from(value.len() / unit).unwrap_or(u32::MAX),
            value,
            ..GetPropertyReply::default()
        })
    }

    /// What `drawable` shows: the root, a window of the script or a pixmap named on this
    /// connection.
    pub(super) fn source(&self, drawable: u32) -> Option<Source> {
        let screen = &self.state.script.screen;
        if drawable == FAKE_ROOT {
            return Some(Source {
                seed: ROOT_SEED,
                origin: (0, 0),
                width: screen.width,
                height: screen.height,
                depth: screen.depth,
                visual: screen.visual_of(screen.depth),
            });
        }
        if let Some(window) = self.state.script.window(drawable) {
            return Some(Source {
                seed: window.id,
                origin: (0, 0),
                width: window.width,
                height: window.height,
                depth: window.depth,
                visual: screen.visual_of(window.depth),
            });
        }
        // A window's pixmap holds the window and its border: its pixel (border, border) is the
        // window's (0, 0). Pixmaps have no visual.
        self.pixmaps.get(&drawable).map(|pixmap| Source {
            seed: pixmap.window,
            origin: (-i32::from(pixmap.border), -i32::from(pixmap.border)),
            width: pixmap.width,
            height: pixmap.height,
            depth: pixmap.depth,
            visual: 0,
        })
    }

    /// The image of `area` of `drawable`, as the script's next image answer says; the error
    /// to send instead (the drawable unknown, the area outside it, an answer that is one).
    pub(super) fn image(
        &self,
        drawable: u32,
        (x, y, width, height): (i16, i16, u16, u16),
    ) -> Result<Image, Answer> {
        let Some(source) = self.source(drawable) else {
            return Err(Answer::Error(BAD_DRAWABLE, drawable));
        };
        let inside = x >= 0
            && y >= 0
            && i32::from(x) + i32::from(width) <= i32::from(source.width)
            && i32::from(y) + i32::from(height) <= i32::from(source.height);
        let screen = &self.state.script.screen;
        let Some(bits_per_pixel) = screen.bits_per_pixel_of(source.depth) else {
            return Err(Answer::Error(BAD_MATCH, drawable));
        };
        if !inside || width == 0 || height == 0 {
            return Err(Answer::Error(BAD_MATCH, drawable));
        }
        let len = fake_stride(width, bits_per_pixel, screen.scanline_pad) * usize::from(height);
        if len > MAX_IMAGE_BYTES {
            return Err(Answer::Error(BAD_ALLOC, drawable));
        }
        let answer = self.image_answer();
        if let ImageAnswer::Error(code) = answer {
            return Err(Answer::Error(code, drawable));
        }
        // Coordinates in the pattern fit in i16 plus a border: no overflow.
        let area = (
            (i32::from(x) + source.origin.0) as i16,
            (i32::from(y) + source.origin.1) as i16,
            width,
            height,
        );
        let mut image = Image {
            data: fake_image(source.seed, area, bits_per_pixel, screen.scanline_pad),
            len,
            depth: source.depth,
            visual: source.visual,
            surplus: 0,
        };
        match answer {
            ImageAnswer::Exact | ImageAnswer::Error(_) => {}
            ImageAnswer::Shorter(units) => image.surplus = -4 * units_of(units),
            ImageAnswer::Longer(units) => image.surplus = 4 * units_of(units),
            ImageAnswer::Depth(depth) => image.depth = depth,
            ImageAnswer::Visual(visual) => image.visual = visual,
        }
        Ok(image)
    }
}

/// A count of 4-byte units as a signed size.
fn units_of(units: u16) -> isize {
    isize::try_from(units).unwrap_or(isize::MAX / 4)
}

/// A reply of x11rb's type, serialised.
pub(super) fn reply<R: Serialize>(reply: R) -> Option<Answer>
where
    R::Bytes: Into<Vec<u8>>,
{
    Some(Answer::Reply(reply.serialize().into()))
}
