//! The fake compositor's side of the protocol: the globals a client binds, and the handlers
//! that answer its requests as the [`Behaviour`] says.
//!
//! Events that a behaviour repeats are sent in batches: after each batch the fake flushes and
//! waits until the client's socket has room again (or the client is gone, or the fake is
//! stopped). The server's outgoing buffer is small and a client that finds its socket full is
//! disconnected, so sending thousands of events at once would test that instead of the
//! client. Waiting in the handler keeps every event in the order the protocol puts it (a
//! `wl_display.sync` answered after a repeated name still comes after all of it).

use std::ffi::CString;
use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use rustix::event::{PollFd, PollFlags};
use wayland_protocols::xdg::xdg_output::zv1::server::zxdg_output_manager_v1::{
    self, ZxdgOutputManagerV1,
};
use wayland_protocols::xdg::xdg_output::zv1::server::zxdg_output_v1::{self, ZxdgOutputV1};
use wayland_protocols_wlr::screencopy::v1::server::zwlr_screencopy_frame_v1::{
    self, ZwlrScreencopyFrameV1,
};
use wayland_protocols_wlr::screencopy::v1::server::zwlr_screencopy_manager_v1::{
    self, ZwlrScreencopyManagerV1,
};
use wayland_server::backend::protocol::{Argument, Message};
use wayland_server::backend::{ClientData, ClientId, DisconnectReason, ObjectId};
use wayland_server::protocol::wl_buffer::{self, WlBuffer};
use wayland_server::protocol::wl_output::{self, WlOutput};
use wayland_server::protocol::wl_shm::{self, WlShm};
use wayland_server::protocol::wl_shm_pool::{self, WlShmPool};
use wayland_server::{
    Client, DataInit, Dispatch, DisplayHandle, GlobalDispatch, New, Resource, WEnum,
};

use super::behaviour::{
    Answer, Behaviour, BufferLayout, FrameScript, LayoutSpec, MAX_WRITTEN_BYTES, XRGB8888,
    fake_pixel,
};
use super::{CaptureRecord, CopyRecord, FakeLog};

/// How many repeated events are sent before the fake waits for room in the client's socket.
const BATCH: u32 = 64;

/// The fake compositor's state, which every handler is given.
pub(crate) struct Compositor {
    behaviour: Behaviour,
    log: Arc<Mutex<FakeLog>>,
    /// The end of the stop signal the serving thread polls: readable once the fake is dropped.
    stop: UnixStream,
    /// The number of the next screencopy frame asked for.
    next_frame: usize,
    /// Events repeated without end, when a frame's script says [`Answer::Endless`].
    flood: Option<Flood>,
}

/// Events sent without end, a batch each time the client's socket has room.
pub(crate) struct Flood {
    frame: ZwlrScreencopyFrameV1,
    event: FloodEvent,
    /// The client's socket.
    socket: UnixStream,
}

/// What a flood repeats.
#[derive(Clone, Copy, Debug)]
enum FloodEvent {
    Buffer(BufferLayout),
    Damage([u32; 4]),
}

/// What the fake keeps of a client: a second handle on its socket, to wait for room in it and
/// to shut it down (the compositor "dying").
pub(crate) struct FakeClient {
    pub(crate) socket: UnixStream,
}

impl ClientData for FakeClient {
    fn initialized(&self, _: ClientId) {}
    fn disconnected(&self, _: ClientId, _: DisconnectReason) {}
}

impl Compositor {
    pub(crate) fn new(behaviour: Behaviour, log: Arc<Mutex<FakeLog>>, stop: UnixStream) -> Self {
        Self {
            behaviour,
            log,
            stop,
            next_frame: 0,
            flood: None,
        }
    }

    /// The client's socket to poll for room while a flood is under way.
    pub(crate) fn flood_socket(&self) -> Option<&UnixStream> {
        self.flood.as_ref().map(|flood| &flood.socket)
    }

    /// Sends one batch of the flood under way, or ends it when its frame or client is gone.
    pub(crate) fn flood_batch(&mut self, client_gone: bool) {
        let Some(flood) = &self.flood else {
            return;
        };
        if client_gone || !flood.frame.is_alive() {
            self.flood = None;
            return;
        }
        for _ in 0..BATCH {
            match flood.event {
                FloodEvent::Buffer(layout) => send_buffer(&flood.frame, layout),
                FloodEvent::Damage([x, y, width, height]) => {
                    flood.frame.damage(x, y, width, height);
                }
            }
        }
        self.log
            .lock()
            .expect("the log is never poisoned")
            .events_sent += u64::from(BATCH);
    }

    /// Records that a client connected.
    pub(crate) fn count_client(&self) {
        self.log.lock().expect("the log is never poisoned").clients += 1;
    }

    /// Records that `count` events were sent.
    fn count(&self, count: u64) {
        self.log
            .lock()
            .expect("the log is never poisoned")
            .events_sent += count;
    }
}

/// Sends events to one client in batches, waiting for room in its socket between them (see
/// the module docs).
struct Paced<'a> {
    handle: DisplayHandle,
    socket: Option<&'a UnixStream>,
    stop: &'a UnixStream,
    in_batch: u32,
    sent: u64,
    /// The client went away or the fake is stopping: nothing more is sent.
    gone: bool,
}

impl<'a> Paced<'a> {
    fn new(handle: &DisplayHandle, client: &'a Client, stop: &'a UnixStream) -> Self {
        Self {
            handle: handle.clone(),
            socket: client.get_data::<FakeClient>().map(|data| &data.socket),
            stop,
            in_batch: 0,
            sent: 0,
            gone: false,
        }
    }

    /// Sends one event with `send`, unless the client is gone.
    fn send(&mut self, send: impl FnOnce()) {
        if self.gone {
            return;
        }
        send();
        self.sent += 1;
        self.in_batch += 1;
        if self.in_batch == BATCH {
            self.in_batch = 0;
            let _ = self.handle.flush_clients();
            self.wait_for_room();
        }
    }

    /// Waits until the client's socket has room, the client is gone or the fake is stopped.
    fn wait_for_room(&mut self) {
        let Some(socket) = self.socket else {
            return;
        };
        loop {
            let mut fds = [
                PollFd::new(socket, PollFlags::OUT),
                PollFd::new(self.stop, PollFlags::IN),
            ];
            match rustix::event::poll(&mut fds, None) {
                Ok(_) => {
                    let client = fds[0].revents();
                    if !fds[1].revents().is_empty()
                        || client.intersects(PollFlags::ERR | PollFlags::HUP | PollFlags::NVAL)
                    {
                        self.gone = true;
                    }
                    return;
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(_) => {
                    self.gone = true;
                    return;
                }
            }
        }
    }
}

/// Sends a string event of `opcode` to `resource` with `bytes` as they are (up to the first
/// NUL), so that names need not be UTF-8.
fn send_bytes(handle: &DisplayHandle, resource: &impl Resource, opcode: u16, bytes: &[u8]) {
    let end = bytes
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(bytes.len());
    let text = CString::new(&bytes[..end]).expect("no NUL before the end");
    let message: Message<ObjectId, std::os::fd::RawFd> = Message {
        sender_id: resource.id(),
        opcode,
        args: vec![Argument::Str(Some(Box::new(text)))].into(),
    };
    let _ = handle.backend_handle().send_event(message);
}

/// Sends `zwlr_screencopy_frame_v1.buffer` with any format number.
fn send_buffer(frame: &ZwlrScreencopyFrameV1, layout: BufferLayout) {
    let Some(handle) = frame.handle().upgrade() else {
        return;
    };
    let message: Message<ObjectId, std::os::fd::RawFd> = Message {
        sender_id: frame.id(),
        opcode: zwlr_screencopy_frame_v1::EVT_BUFFER_OPCODE,
        args: vec![
            Argument::Uint(layout.format),
            Argument::Uint(layout.width),
            Argument::Uint(layout.height),
            Argument::Uint(layout.stride),
        ]
        .into(),
    };
    let _ = handle.send_event(message);
}

/// Shuts the client's socket down: to the client, the compositor died.
fn disconnect(client: &Client) {
    if let Some(data) = client.get_data::<FakeClient>() {
        let _ = data.socket.shutdown(std::net::Shutdown::Both);
    }
}

impl GlobalDispatch<WlShm, ()> for Compositor {
    fn bind(
        state: &mut Self,
        handle: &DisplayHandle,
        client: &Client,
        resource: New<WlShm>,
        (): &(),
        data_init: &mut DataInit<'_, Self>,
    ) {
        let shm = data_init.init(resource, ());
        let mut paced = Paced::new(handle, client, &state.stop);
        for _ in 0..state.behaviour.shm_format_repeats {
            for &format in &state.behaviour.shm_formats {
                paced.send(|| {
                    let message: Message<ObjectId, std::os::fd::RawFd> = Message {
                        sender_id: shm.id(),
                        opcode: wl_shm::EVT_FORMAT_OPCODE,
                        args: vec![Argument::Uint(format)].into(),
                    };
                    let _ = handle.backend_handle().send_event(message);
                });
            }
        }
        state.count(paced.sent);
    }
}

impl Dispatch<WlShm, ()> for Compositor {
    fn request(
        _: &mut Self,
        _: &Client,
        _: &WlShm,
        request: wl_shm::Request,
        (): &(),
        _: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        if let wl_shm::Request::CreatePool { id, fd, size } = request {
            data_init.init(
                id,
                Arc::new(PoolData {
                    file: File::from(fd),
                    size: AtomicI64::new(i64::from(size)),
                }),
            );
        }
    }
}

/// A client's `wl_shm_pool`: its memory, written with `pwrite` (no mapping, so no unsafe code).
pub(crate) struct PoolData {
    file: File,
    size: AtomicI64,
}

impl Dispatch<WlShmPool, Arc<PoolData>> for Compositor {
    fn request(
        _: &mut Self,
        _: &Client,
        _: &WlShmPool,
        request: wl_shm_pool::Request,
        pool: &Arc<PoolData>,
        _: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        match request {
            wl_shm_pool::Request::CreateBuffer {
                id,
                offset,
                width,
                height,
                stride,
                format,
            } => {
                let format = match format {
                    WEnum::Value(format) => u32::from(format),
                    WEnum::Unknown(format) => format,
                };
                data_init.init(
                    id,
                    BufferData {
                        pool: Arc::clone(pool),
                        offset: i64::from(offset),
                        layout: BufferLayout {
                            format,
                            width: width as u32,
                            height: height as u32,
                            stride: stride as u32,
                        },
                    },
                );
            }
            wl_shm_pool::Request::Resize { size } => {
                pool.size.store(i64::from(size), Ordering::SeqCst);
            }
            _ => {}
        }
    }
}

/// A client's `wl_buffer`: where it lies in its pool and its layout as the client gave it.
pub(crate) struct BufferData {
    pool: Arc<PoolData>,
    offset: i64,
    layout: BufferLayout,
}

impl Dispatch<WlBuffer, BufferData> for Compositor {
    fn request(
        _: &mut Self,
        _: &Client,
        _: &WlBuffer,
        _: wl_buffer::Request,
        _: &BufferData,
        _: &DisplayHandle,
        _: &mut DataInit<'_, Self>,
    ) {
    }
}

impl GlobalDispatch<WlOutput, usize> for Compositor {
    fn bind(
        state: &mut Self,
        handle: &DisplayHandle,
        client: &Client,
        resource: New<WlOutput>,
        index: &usize,
        data_init: &mut DataInit<'_, Self>,
    ) {
        let output = data_init.init(resource, *index);
        let fake = state.behaviour.outputs[*index].clone();
        output.geometry(
            fake.logical.0,
            fake.logical.1,
            0,
            0,
            wl_output::Subpixel::Unknown,
            "mss-rs".to_owned(),
            "fake".to_owned(),
            wl_output::Transform::Normal,
        );
        output.mode(wl_output::Mode::Current, fake.mode.0, fake.mode.1, 60_000);
        let version = output.version();
        if version >= 2 {
            output.scale(fake.scale);
        }
        let mut paced = Paced::new(handle, client, &state.stop);
        if version >= 4 {
            for _ in 0..fake.name_repeats {
                paced.send(|| send_bytes(handle, &output, wl_output::EVT_NAME_OPCODE, &fake.name));
                paced.send(|| {
                    send_bytes(
                        handle,
                        &output,
                        wl_output::EVT_DESCRIPTION_OPCODE,
                        &fake.description,
                    );
                });
            }
        }
        if version >= 2 {
            output.done();
        }
        state.count(paced.sent);
    }
}

impl Dispatch<WlOutput, usize> for Compositor {
    fn request(
        _: &mut Self,
        _: &Client,
        _: &WlOutput,
        _: wl_output::Request,
        _: &usize,
        _: &DisplayHandle,
        _: &mut DataInit<'_, Self>,
    ) {
    }
}

impl GlobalDispatch<ZxdgOutputManagerV1, ()> for Compositor {
    fn bind(
        _: &mut Self,
        _: &DisplayHandle,
        _: &Client,
        resource: New<ZxdgOutputManagerV1>,
        (): &(),
        data_init: &mut DataInit<'_, Self>,
    ) {
        data_init.init(resource, ());
    }
}

impl Dispatch<ZxdgOutputManagerV1, ()> for Compositor {
    fn request(
        state: &mut Self,
        client: &Client,
        _: &ZxdgOutputManagerV1,
        request: zxdg_output_manager_v1::Request,
        (): &(),
        handle: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        let zxdg_output_manager_v1::Request::GetXdgOutput { id, output } = request else {
            return;
        };
        let index = output.data::<usize>().copied().unwrap_or(0);
        let xdg = data_init.init(id, index);
        let Some(fake) = state.behaviour.outputs.get(index).cloned() else {
            return;
        };
        let (left, top, width, height) = fake.logical;
        xdg.logical_position(left, top);
        xdg.logical_size(width, height);
        let mut paced = Paced::new(handle, client, &state.stop);
        if xdg.version() >= 2 {
            for _ in 0..fake.name_repeats {
                paced
                    .send(|| send_bytes(handle, &xdg, zxdg_output_v1::EVT_NAME_OPCODE, &fake.name));
                paced.send(|| {
                    send_bytes(
                        handle,
                        &xdg,
                        zxdg_output_v1::EVT_DESCRIPTION_OPCODE,
                        &fake.description,
                    );
                });
            }
        }
        if xdg.version() < 3 {
            xdg.done();
        }
        state.count(paced.sent);
    }
}

impl Dispatch<ZxdgOutputV1, usize> for Compositor {
    fn request(
        _: &mut Self,
        _: &Client,
        _: &ZxdgOutputV1,
        _: zxdg_output_v1::Request,
        _: &usize,
        _: &DisplayHandle,
        _: &mut DataInit<'_, Self>,
    ) {
    }
}

impl GlobalDispatch<ZwlrScreencopyManagerV1, ()> for Compositor {
    fn bind(
        _: &mut Self,
        _: &DisplayHandle,
        _: &Client,
        resource: New<ZwlrScreencopyManagerV1>,
        (): &(),
        data_init: &mut DataInit<'_, Self>,
    ) {
        data_init.init(resource, ());
    }
}

/// A screencopy frame: which it is, what it shows and how it is answered.
pub(crate) struct FrameData {
    /// Its number among the frames asked for.
    index: usize,
    /// The output's index in the behaviour.
    output: usize,
    /// The device pixel of the output at the region's top-left corner.
    origin: (u32, u32),
    /// The region's size in device pixels.
    natural: (u32, u32),
    script: FrameScript,
}

impl FrameData {
    /// The layouts offered, as they were sent.
    fn offered(&self) -> Vec<BufferLayout> {
        let mut offered: Vec<BufferLayout> = self
            .script
            .layouts
            .iter()
            .map(|layout| layout.resolve(self.natural))
            .collect();
        if self.script.after_offer == Answer::Endless {
            offered.push(self.flooded_layout());
        }
        offered
    }

    /// The layout an endless offer repeats.
    fn flooded_layout(&self) -> BufferLayout {
        self.script
            .layouts
            .last()
            .copied()
            .unwrap_or(LayoutSpec::natural(XRGB8888))
            .resolve(self.natural)
    }
}

/// `value` device pixels for `logical` ones at `scale`, as a u32 (negative values are 0).
fn device(logical: i32, scale: i32) -> u32 {
    u32::try_from(i64::from(logical) * i64::from(scale.max(1))).unwrap_or(0)
}

impl Dispatch<ZwlrScreencopyManagerV1, ()> for Compositor {
    fn request(
        state: &mut Self,
        client: &Client,
        _: &ZwlrScreencopyManagerV1,
        request: zwlr_screencopy_manager_v1::Request,
        (): &(),
        handle: &DisplayHandle,
        data_init: &mut DataInit<'_, Self>,
    ) {
        let (frame, overlay_cursor, output, region) = match request {
            zwlr_screencopy_manager_v1::Request::CaptureOutput {
                frame,
                overlay_cursor,
                output,
            } => (frame, overlay_cursor, output, None),
            zwlr_screencopy_manager_v1::Request::CaptureOutputRegion {
                frame,
                overlay_cursor,
                output,
                x,
                y,
                width,
                height,
            } => (frame, overlay_cursor, output, Some((x, y, width, height))),
            _ => return,
        };
        let output = output.data::<usize>().copied().unwrap_or(0);
        let fake = state.behaviour.outputs.get(output).cloned();
        let scale = fake.as_ref().map_or(1, |fake| fake.scale);
        let (origin, natural) = match region {
            Some((x, y, width, height)) => (
                (device(x, scale), device(y, scale)),
                (device(width, scale), device(height, scale)),
            ),
            None => {
                let mode = fake.as_ref().map_or((0, 0), |fake| fake.mode);
                ((0, 0), (device(mode.0, 1), device(mode.1, 1)))
            }
        };
        let index = state.next_frame;
        state.next_frame += 1;
        let script = state.behaviour.frame(index);
        state
            .log
            .lock()
            .expect("the log is never poisoned")
            .captures
            .push(CaptureRecord {
                frame: index,
                output,
                region,
                overlay_cursor: overlay_cursor != 0,
            });
        let data = FrameData {
            index,
            output,
            origin,
            natural,
            script,
        };
        let offered = data.offered();
        let after_offer = data.script.after_offer;
        let repeats = data.script.layout_repeats;
        let listed = data.script.layouts.len();
        let flooded = data.flooded_layout();
        let frame = data_init.init(frame, data);
        let mut paced = Paced::new(handle, client, &state.stop);
        for _ in 0..repeats {
            for layout in &offered[..listed] {
                paced.send(|| send_buffer(&frame, *layout));
            }
        }
        state.count(paced.sent);
        match after_offer {
            Answer::Proceed => {
                if frame.version() >= 3 {
                    frame.buffer_done();
                }
            }
            Answer::Fail => frame.failed(),
            Answer::Silent => {}
            Answer::Disconnect => disconnect(client),
            Answer::Endless => {
                if let Some(data) = client.get_data::<FakeClient>()
                    && let Ok(socket) = data.socket.try_clone()
                {
                    state.flood = Some(Flood {
                        frame,
                        event: FloodEvent::Buffer(flooded),
                        socket,
                    });
                }
            }
        }
    }
}

impl Dispatch<ZwlrScreencopyFrameV1, FrameData> for Compositor {
    fn request(
        state: &mut Self,
        client: &Client,
        frame: &ZwlrScreencopyFrameV1,
        request: zwlr_screencopy_frame_v1::Request,
        data: &FrameData,
        handle: &DisplayHandle,
        _: &mut DataInit<'_, Self>,
    ) {
        let (buffer, with_damage) = match request {
            zwlr_screencopy_frame_v1::Request::Copy { buffer } => (buffer, false),
            zwlr_screencopy_frame_v1::Request::CopyWithDamage { buffer } => (buffer, true),
            _ => return,
        };
        // A copy ends an endless offer (a client of version 1 or 2 takes the first layout).
        if state
            .flood
            .as_ref()
            .is_some_and(|flood| flood.frame == *frame)
        {
            state.flood = None;
        }
        copy(state, client, frame, &buffer, with_damage, data, handle);
    }
}

/// Answers a copy: checks the buffer against the layouts offered, writes the pixels, then
/// sends flags, damage and the end the script says.
fn copy(
    state: &mut Compositor,
    client: &Client,
    frame: &ZwlrScreencopyFrameV1,
    buffer: &WlBuffer,
    with_damage: bool,
    data: &FrameData,
    handle: &DisplayHandle,
) {
    let Some(buffer) = buffer.data::<BufferData>() else {
        return;
    };
    let layout = buffer.layout;
    let refuse = |state: &mut Compositor, why: String| {
        frame.post_error(zwlr_screencopy_frame_v1::Error::InvalidBuffer, why.clone());
        state
            .log
            .lock()
            .expect("the log is never poisoned")
            .errors_posted
            .push(why);
    };
    if !data.offered().contains(&layout) {
        refuse(state, format!("buffer {layout:?} was not offered"));
        return;
    }
    let (width, height, stride) = (
        u64::from(layout.width),
        u64::from(layout.height),
        u64::from(layout.stride),
    );
    let end = match height.checked_sub(1) {
        Some(rows) => rows * stride + width * 4,
        None => 0,
    };
    let pool_size = buffer.pool.size.load(Ordering::SeqCst);
    if buffer.offset < 0 || end.saturating_add(buffer.offset as u64) > pool_size.max(0) as u64 {
        refuse(
            state,
            format!(
                "buffer {layout:?} at offset {} is past its pool",
                buffer.offset
            ),
        );
        return;
    }
    let written = end <= MAX_WRITTEN_BYTES && write_pixels(buffer, data);
    state
        .log
        .lock()
        .expect("the log is never poisoned")
        .copies
        .push(CopyRecord {
            frame: data.index,
            with_damage,
            layout,
            written,
        });
    if !written {
        frame.failed();
        return;
    }
    let flags = if data.script.y_invert {
        zwlr_screencopy_frame_v1::Flags::YInvert
    } else {
        zwlr_screencopy_frame_v1::Flags::empty()
    };
    frame.flags(flags);
    let mut damage = data.script.damage.clone();
    let copied = [data.origin.0, data.origin.1, layout.width, layout.height];
    if damage.is_empty() && with_damage {
        damage.push(copied);
    }
    let mut paced = Paced::new(handle, client, &state.stop);
    for _ in 0..data.script.damage_repeats {
        for &[x, y, width, height] in &damage {
            paced.send(|| frame.damage(x, y, width, height));
        }
    }
    state.count(paced.sent);
    match data.script.after_copy {
        Answer::Proceed => frame.ready(0, 0, 0),
        Answer::Fail => frame.failed(),
        Answer::Silent => {}
        Answer::Disconnect => disconnect(client),
        Answer::Endless => {
            let last = damage.last().copied().unwrap_or(copied);
            if let Some(data) = client.get_data::<FakeClient>()
                && let Ok(socket) = data.socket.try_clone()
            {
                state.flood = Some(Flood {
                    frame: frame.clone(),
                    event: FloodEvent::Damage(last),
                    socket,
                });
            }
        }
    }
}

/// Writes the frame's pixels into `buffer` (rows bottom up when the script says `y_invert`);
/// `false` when the pool cannot be written.
fn write_pixels(buffer: &BufferData, data: &FrameData) -> bool {
    let layout = buffer.layout;
    let mut row = Vec::with_capacity(layout.width as usize * 4);
    for buffer_row in 0..layout.height {
        let image_row = if data.script.y_invert {
            layout.height - 1 - buffer_row
        } else {
            buffer_row
        };
        row.clear();
        for column in 0..layout.width {
            row.extend_from_slice(&fake_pixel(
                data.output,
                data.origin.0.wrapping_add(column),
                data.origin.1.wrapping_add(image_row),
            ));
        }
        let at = buffer.offset as u64 + u64::from(buffer_row) * u64::from(layout.stride);
        if buffer.pool.file.write_all_at(&row, at).is_err() {
            return false;
        }
    }
    true
}
