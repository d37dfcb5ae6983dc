//! The fake server's answers to extension requests: RandR (monitors, CRTCs, outputs and their
//! EDIDs), MIT-SHM (segments received as descriptors, images written into them), XFixes,
//! DAMAGE and Composite.

use x11rb_protocol::protocol::xproto::Rectangle;
use x11rb_protocol::protocol::{Request, composite, damage, randr, shm, xfixes};

use super::answers::{BAD_ACCESS, BAD_MATCH, BAD_VALUE, BAD_WINDOW, reply};
use super::serve::{Answer, Client, NamedPixmap, rectangle};

/// The CRTC and output ids of monitor `index`.
const CRTC_BASE: u32 = 0x200;
const OUTPUT_BASE: u32 = 0x300;

impl Client<'_> {
    /// Answers an extension's request (see [`answer`](Self::answer)).
    pub(super) fn answer_extension(&mut self, request: Request<'_>) -> Option<Answer> {
        let state = self.state;
        let script = &state.script;
        let monitor = |id: u32, base: u32| {
            id.checked_sub(base)
                .and_then(|index| usize::try_from(index).ok())
                .and_then(|index| script.monitors.get(index).map(|monitor| (index, monitor)))
        };
        let id = |index: usize, base: u32| base + u32::try_from(index).unwrap_or(0);
        match request {
            Request::RandrQueryVersion(_) => {
                let (major_version, minor_version) = script.extensions.randr?;
                reply(randr::QueryVersionReply {
                    major_version,
                    minor_version,
                    ..randr::QueryVersionReply::default()
                })
            }
            Request::RandrGetScreenResourcesCurrent(_) => {
                let count = script.monitors.len();
                reply(randr::GetScreenResourcesCurrentReply {
                    timestamp: 1,
                    config_timestamp: 1,
                    crtcs: (0..count).map(|index| id(index, CRTC_BASE)).collect(),
                    outputs: (0..count).map(|index| id(index, OUTPUT_BASE)).collect(),
                    ..randr::GetScreenResourcesCurrentReply::default()
                })
            }
            Request::RandrGetOutputInfo(request) => {
                let Some((index, found)) = monitor(request.output, OUTPUT_BASE) else {
                    return Some(self.randr_error(0, request.output));
                };
                reply(randr::GetOutputInfoReply {
                    status: randr::SetConfig::SUCCESS,
                    timestamp: 1,
                    crtc: id(index, CRTC_BASE),
                    connection: randr::Connection::CONNECTED,
                    crtcs: vec![id(index, CRTC_BASE)],
                    name: found.output_name.clone(),
                    ..randr::GetOutputInfoReply::default()
                })
            }
            Request::RandrGetCrtcInfo(request) => {
                let Some((index, found)) = monitor(request.crtc, CRTC_BASE) else {
                    return Some(self.randr_error(1, request.crtc));
                };
                reply(randr::GetCrtcInfoReply {
                    status: randr::SetConfig::SUCCESS,
                    timestamp: 1,
                    x: found.x,
                    y: found.y,
                    width: found.width,
                    height: found.height,
                    mode: 1,
                    rotation: randr::Rotation::ROTATE0,
                    rotations: randr::Rotation::ROTATE0,
                    outputs: vec![id(index, OUTPUT_BASE)],
                    ..randr::GetCrtcInfoReply::default()
                })
            }
            Request::RandrGetOutputPrimary(_) => reply(randr::GetOutputPrimaryReply {
                output: script
                    .monitors
                    .iter()
                    .position(|monitor| monitor.primary)
                    .map_or(0, |index| id(index, OUTPUT_BASE)),
                ..randr::GetOutputPrimaryReply::default()
            }),
            Request::RandrGetMonitors(_) => reply(randr::GetMonitorsReply {
                timestamp: 1,
                n_outputs: u32::try_from(script.monitors.len()).unwrap_or(u32::MAX),
                monitors: script
                    .monitors
                    .iter()
                    .enumerate()
                    .map(|(index, monitor)| randr::MonitorInfo {
                        name: 0,
                        primary: monitor.primary,
                        automatic: true,
                        x: monitor.x,
                        y: monitor.y,
                        width: monitor.width,
                        height: monitor.height,
                        width_in_millimeters: u32::from(monitor.width / 4),
                        height_in_millimeters: u32::from(monitor.height / 4),
                        outputs: vec![id(index, OUTPUT_BASE)],
                    })
                    .collect(),
                ..randr::GetMonitorsReply::default()
            }),
            Request::RandrGetOutputProperty(request) => {
                let Some((_, found)) = monitor(request.output, OUTPUT_BASE) else {
                    return Some(self.randr_error(0, request.output));
                };
                let edid = found
                    .edid
                    .as_ref()
                    .filter(|_| self.state.atom_name(request.property).as_deref() == Some("EDID"));
                let Some(edid) = edid else {
                    return reply(randr::GetOutputPropertyReply::default());
                };
                let start = usize::try_from(request.long_offset)
                    .unwrap_or(usize::MAX)
                    .saturating_mul(4)
                    .min(edid.len());
                let end = start
                    .saturating_add(
                        usize::try_from(request.long_length)
                            .unwrap_or(usize::MAX)
                            .saturating_mul(4),
                    )
                    .min(edid.len());
                let data = edid[start..end].to_vec();
                reply(randr::GetOutputPropertyReply {
                    format: 8,
                    type_: 19,
                    bytes_after: u32::try_from(edid.len() - end).unwrap_or(u32::MAX),
                    num_items: u32::try_from(data.len()).unwrap_or(u32::MAX),
                    data,
                    ..randr::GetOutputPropertyReply::default()
                })
            }
            Request::ShmQueryVersion(_) => {
                let shm = script.extensions.shm?;
                reply(shm::QueryVersionReply {
                    shared_pixmaps: false,
                    major_version: shm.version.0,
                    minor_version: shm.version.1,
                    pixmap_format: 2,
                    ..shm::QueryVersionReply::default()
                })
            }
            Request::ShmAttachFd(request) => {
                if !script.extensions.shm.is_some_and(|shm| shm.attach) {
                    return Some(Answer::Error(BAD_ACCESS, request.shmseg));
                }
                self.segments.insert(request.shmseg, request.shm_fd);
                None
            }
            Request::ShmDetach(request) => {
                self.segments.remove(&request.shmseg);
                None
            }
            Request::ShmGetImage(request) => Some(self.shm_get_image(&request)),
            Request::XfixesQueryVersion(_) => {
                let (major_version, minor_version) = script.extensions.xfixes?;
                reply(xfixes::QueryVersionReply {
                    major_version,
                    minor_version,
                    ..xfixes::QueryVersionReply::default()
                })
            }
            Request::XfixesFetchRegion(_) => {
                let rectangles: Vec<Rectangle> = script
                    .damage_rectangles
                    .iter()
                    .copied()
                    .map(rectangle)
                    .collect();
                let extents = rectangles.first().copied().unwrap_or_default();
                reply(xfixes::FetchRegionReply {
                    extents,
                    rectangles,
                    ..xfixes::FetchRegionReply::default()
                })
            }
            Request::XfixesGetCursorImage(_) => reply(xfixes::GetCursorImageReply {
                x: 1,
                y: 1,
                width: 2,
                height: 2,
                cursor_serial: 1,
                cursor_image: vec![0xFF00_0000, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFF00_0000],
                ..xfixes::GetCursorImageReply::default()
            }),
            Request::DamageQueryVersion(_) => reply(damage::QueryVersionReply {
                major_version: 1,
                minor_version: 1,
                ..damage::QueryVersionReply::default()
            }),
            Request::CompositeQueryVersion(_) => {
                let (major_version, minor_version) = script.extensions.composite?;
                reply(composite::QueryVersionReply {
                    major_version,
                    minor_version,
                    ..composite::QueryVersionReply::default()
                })
            }
            Request::CompositeRedirectWindow(request) => script
                .window(request.window)
                .is_none()
                .then_some(Answer::Error(BAD_WINDOW, request.window)),
            Request::CompositeNameWindowPixmap(request) => {
                let window = script
                    .window(request.window)
                    .filter(|window| window.viewable);
                let Some(window) = window else {
                    return Some(Answer::Error(BAD_MATCH, request.window));
                };
                let border = window.border;
                self.pixmaps.insert(
                    request.pixmap,
                    NamedPixmap {
                        window: window.id,
                        width: window.width.saturating_add(border.saturating_mul(2)),
                        height: window.height.saturating_add(border.saturating_mul(2)),
                        border,
                        depth: window.depth,
                    },
                );
                None
            }
            _ => None,
        }
    }

    /// A RandR error (`BadOutput` 0, `BadCrtc` 1) about `value`.
    fn randr_error(&self, offset: u8, value: u32) -> Answer {
        let first_error = self
            .extensions
            .named(b"RANDR")
            .map_or(0, |info| info.first_error);
        Answer::Error(first_error + offset, value)
    }

    /// `ShmGetImage`: the image written into the segment with `pwrite` (a descriptor is all
    /// the fake server has of it), the reply stating what the script says.
    fn shm_get_image(&mut self, request: &shm::GetImageRequest) -> Answer {
        let area = (request.x, request.y, request.width, request.height);
        if request.format != 2 {
            return Answer::Error(BAD_MATCH, request.drawable);
        }
        let Some(segment) = self.segments.get(&request.shmseg) else {
            let first_error = self
                .extensions
                .named(b"MIT-SHM")
                .map_or(0, |info| info.first_error);
            return Answer::Error(first_error, request.shmseg);
        };
        let image = match self.image(request.drawable, area) {
            Ok(image) => image,
            Err(error) => return error,
        };
        // What is written is always the image proper; only what the reply states may lie.
        let written =
            rustix::io::pwrite(segment, &image.data[..image.len], u64::from(request.offset));
        if written.ok() != Some(image.len) {
            // Beyond the segment's end: a sealed memfd cannot grow.
            return Answer::Error(BAD_VALUE, request.offset);
        }
        let stated = image.len.saturating_add_signed(image.surplus);
        reply(shm::GetImageReply {
            depth: image.depth,
            visual: image.visual,
            size: u32::try_from(stated).unwrap_or(u32::MAX),
            ..shm::GetImageReply::default()
        })
        .unwrap_or(Answer::Error(BAD_MATCH, request.drawable))
    }
}
