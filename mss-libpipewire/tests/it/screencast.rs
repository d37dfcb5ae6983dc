//! A real screen cast: GNOME's compositor (mutter, headless) shows the test kit's pattern
//! full-screen on its virtual monitor, a screen cast of that monitor is started over D-Bus
//! (with the PipeWire backend's client of mutter), and a stream made with this crate
//! negotiates shared-memory frames, maps the first (read-only, sealed) and finds every pixel
//! of the pattern in it.

use std::collections::HashMap;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mss_core::{Frame, PixelFormat, PixelStorage, Region};
use mss_libpipewire::{
    Buffer, Context, DataType, PipeWire, Pod, Stream, StreamEvent, StreamFlags, StreamState,
    ThreadLoop,
};
use mss_memfd::ForeignMemory;
use mss_pipewire::mutter::{CursorMode, MutterDbus};
use mss_spa_pod::ids::{data_type, meta_size, meta_type, param};
use mss_spa_pod::{Fraction, MetaSize, Rectangle, VideoFormat, VideoFormatInfo};
use mss_testkit::{FullscreenScene, MutterOptions, MutterServer, VirtualPointer};

/// How long the whole negotiation and the first frame may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A frame's storage: the mapped buffer, and the dequeued buffer itself, queued back when the
/// frame is dropped.
struct MappedFrame {
    memory: Arc<ForeignMemory>,
    _buffer: Buffer,
}

impl PixelStorage for MappedFrame {
    fn bytes(&self) -> &[u8] {
        self.memory.bytes()
    }
}

fn pod(bytes: Vec<u8>) -> Pod {
    Pod::from_bytes(&bytes).expect("mss-spa-pod makes well-formed PODs")
}

/// What the stream offers: raw BGRx/BGRA/RGBx/RGBA of any size and rate.
fn enum_format() -> Pod {
    pod(mss_spa_pod::enum_format_raw_video(
        &[
            VideoFormat::Bgrx,
            VideoFormat::Bgra,
            VideoFormat::Rgbx,
            VideoFormat::Rgba,
        ],
        (
            Rectangle::new(1280, 720),
            Rectangle::new(1, 1),
            Rectangle::new(16384, 16384),
        ),
        (
            Fraction::new(0, 1),
            Fraction::new(0, 1),
            Fraction::new(1000, 1),
        ),
    ))
}

/// What the stream answers the format with: memfd buffers, header, damage and cursor
/// metadata.
fn after_format() -> Vec<Pod> {
    let region = meta_size::REGION;
    vec![
        pod(mss_spa_pod::buffers((8, 2, 16), 1 << data_type::MEM_FD)),
        pod(mss_spa_pod::meta(
            meta_type::HEADER,
            MetaSize::Fixed(meta_size::HEADER),
        )),
        pod(mss_spa_pod::meta(
            meta_type::VIDEO_DAMAGE,
            MetaSize::Range(region * 16, region, region * 16),
        )),
        pod(mss_spa_pod::meta(
            meta_type::CURSOR,
            MetaSize::Range(
                meta_size::cursor_with_bitmap(64, 64),
                meta_size::cursor_with_bitmap(1, 1),
                meta_size::cursor_with_bitmap(1024, 1024),
            ),
        )),
    ]
}

fn pixel_format(format: VideoFormat) -> PixelFormat {
    match format {
        VideoFormat::Bgrx => PixelFormat::Bgrx8888,
        VideoFormat::Bgra => PixelFormat::Bgra8888,
        VideoFormat::Rgbx => PixelFormat::Rgbx8888,
        VideoFormat::Rgba => PixelFormat::Rgba8888,
        other => panic!("the stream negotiated {other:?}, which was not offered"),
    }
}

fn start_mutter(options: &MutterOptions) -> MutterServer {
    MutterServer::start(options).unwrap_or_else(|error| {
        panic!("{error}\n(run `cargo xtask test`, which installs mutter, PipeWire and WirePlumber)")
    })
}

#[test]
fn a_monitor_cast_delivers_the_pattern_in_sealed_memfd_buffers() {
    let server = start_mutter(&MutterOptions::new().monitors(&[(1280, 720)]));
    drop(cast_shows_the_pattern(&server, "Meta-0", (1280, 720)));
}

#[test]
fn a_frame_outlives_its_stream_pipewire_and_the_compositor() {
    let server = start_mutter(&MutterOptions::new().monitors(&[(640, 480)]));
    // The stream, its core, the cast and the window are gone when this returns; the frame
    // still holds its dequeued buffer and its mapping.
    let frame = cast_shows_the_pattern(&server, "Meta-0", (640, 480));
    let pids = server.pids();
    drop(server);
    assert!(
        pids.iter()
            .all(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()),
        "mutter, PipeWire, WirePlumber and the bus are gone"
    );
    let format = frame.format();
    let still = mss_testkit::pattern::check_frame(&frame, format, |x, y| {
        Some(mss_testkit::pattern::expected_colour(
            format, x as u32, y as u32,
        ))
    });
    if let Err(mismatch) = still {
        panic!("the frame changed after the compositor went away: {mismatch}");
    }
    // Dropping it now only unmaps its memory: the buffer's stream is gone, so nothing is
    // queued back.
    drop(frame);
}

#[test]
fn each_of_two_monitors_is_cast_with_its_own_part_of_the_screen() {
    // mutter puts the larger Meta-1 at x = 0 and Meta-0 to its right: the cast of Meta-0 is
    // the part of the screen from x = 800.
    let server = start_mutter(&MutterOptions::new().monitors(&[(640, 480), (800, 600)]));
    drop(cast_shows_the_pattern(&server, "Meta-0", (640, 480)));
    drop(cast_shows_the_pattern(&server, "Meta-1", (800, 600)));
}

/// A stream dropped while mutter sends frames as fast as the pointer moves (a thread moves it
/// back and forth, each motion answered before the next, and mutter draws it into the
/// frames). The data loop hands each frame's `process` event to the thread loop as
/// a queued call carrying the stream's address; here the loop's lock is held from before a
/// frame arrives until the stream is dropped, so the call queued for that frame is still
/// waiting when the stream goes (the drop's disconnection waits for the data loop to finish
/// the cycle that queued it). The stream must outlive that call: under valgrind
/// (`cargo xtask valgrind`), running it on a freed stream is an invalid read.
#[test]
fn a_stream_dropped_while_frames_arrive_outlives_the_calls_queued_for_it() {
    let server = start_mutter(&MutterOptions::new().monitors(&[(320, 240)]));
    let mutter = MutterDbus::connect(server.bus_address(), Some(TIMEOUT)).unwrap();
    let cast = mutter
        .record_monitor("Meta-0", CursorMode::Embedded, Some(TIMEOUT))
        .unwrap_or_else(|error| panic!("{error}\n{}", server.log()));
    let pointer = VirtualPointer::new(&server, "Meta-0")
        .unwrap_or_else(|error| panic!("{error}\n{}", server.log()));
    let stop = AtomicBool::new(false);

    std::thread::scope(|scope| {
        // The pointer stops moving when this goes, a failed assertion's unwinding included.
        let _stop = StopOnDrop(&stop);
        scope.spawn(|| {
            let mut step = 0_u32;
            while !stop.load(Ordering::Relaxed) {
                step += 1;
                let x = f64::from(10 + step % 2 * 100);
                pointer
                    .move_to(x, 20.0)
                    .unwrap_or_else(|error| panic!("{error}"));
            }
        });
        let pipewire = PipeWire::load().unwrap();
        let thread_loop = ThreadLoop::new(pipewire, "mss-test-pipewire").unwrap();
        thread_loop.start().unwrap();
        let context = Context::new(&thread_loop).unwrap();
        let socket = UnixStream::connect(server.pipewire_socket()).unwrap();
        let core = context
            .connect_fd(socket.into(), &[("application.name", "mss-test")])
            .unwrap();
        let stream = Stream::new(
            &core,
            "mss-test-dropped-while-streaming",
            &[("media.type", "Video"), ("media.category", "Capture")],
        )
        .unwrap();
        stream
            .connect(
                Some(cast.node_id()),
                StreamFlags::AUTOCONNECT | StreamFlags::DONT_RECONNECT,
                &[enum_format()],
                after_format(),
            )
            .unwrap();
        // Frames flow once a first one is announced.
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match stream.next_event(left).unwrap() {
                Some(StreamEvent::Process) => break,
                Some(StreamEvent::StateChanged {
                    new: StreamState::Error,
                    error,
                    ..
                }) => panic!("the stream failed: {error:?}\n{}", server.log()),
                Some(_) => {}
                None => panic!("no frame within {TIMEOUT:?}\n{}", server.log()),
            }
        }
        // From here the loop thread runs nothing: the calls queued for the frames that
        // arrive wait. The buffers already filled are given back; then a new one arriving
        // (the data loop queues its `process` call in the same cycle) is the known point to
        // drop the stream at.
        let lock = thread_loop.lock();
        while let Some(buffer) = stream.dequeue_buffer() {
            drop(buffer);
        }
        let deadline = Instant::now() + TIMEOUT;
        let arrived = loop {
            if let Some(buffer) = stream.dequeue_buffer() {
                break buffer;
            }
            assert!(
                Instant::now() < deadline,
                "no frame while the loop was held within {TIMEOUT:?}\n{}",
                server.log()
            );
            std::thread::yield_now();
        };
        drop(stream);
        drop(lock);
        // The buffer outlives its stream (not queued back), and the rest goes in any order.
        drop(arrived);
        drop(core);
        drop(context);
        drop(thread_loop);
    });
}

/// Sets its flag when dropped.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Shows the pattern full-screen on the monitor on `connector`, of `size`, casts that
/// monitor, and waits for a frame equal to it, placed where `DisplayConfig` says the monitor
/// is; returns that frame, after everything else of the cast is dropped.
fn cast_shows_the_pattern(server: &MutterServer, connector: &str, size: (u32, u32)) -> Frame {
    let mutter = MutterDbus::connect(server.bus_address(), Some(TIMEOUT)).unwrap();
    let monitors = mutter.monitors().unwrap();
    let monitor = monitors
        .iter()
        .find(|monitor| monitor.connector == connector)
        .unwrap_or_else(|| panic!("no {connector} in {monitors:?}"));
    assert_eq!((monitor.width, monitor.height), size, "{monitors:?}");
    let (width, height) = size;
    let region = Region::new(monitor.x, monitor.y, width, height).unwrap();
    let scene = FullscreenScene::show(&server.wayland_display(), region)
        .unwrap_or_else(|error| panic!("{error}\n{}", server.log()));
    let cast = mutter
        .record_monitor(connector, CursorMode::Embedded, Some(TIMEOUT))
        .unwrap_or_else(|error| panic!("{error}\n{}", server.log()));

    let pipewire = PipeWire::load().unwrap();
    let thread_loop = ThreadLoop::new(pipewire, "mss-test-pipewire").unwrap();
    thread_loop.start().unwrap();
    let context = Context::new(&thread_loop).unwrap();
    let socket = UnixStream::connect(server.pipewire_socket()).unwrap();
    let core = context
        .connect_fd(socket.into(), &[("application.name", "mss-test")])
        .unwrap();
    let stream = Stream::new(
        &core,
        "mss-test-screencast",
        &[
            ("media.type", "Video"),
            ("media.category", "Capture"),
            ("media.role", "Screen"),
        ],
    )
    .unwrap();
    stream
        .connect(
            Some(cast.node_id()),
            StreamFlags::AUTOCONNECT | StreamFlags::DONT_RECONNECT,
            &[enum_format()],
            after_format(),
        )
        .unwrap();

    // mutter's first frame after Start is the stage painted after Start, so it shows the
    // window shown before (the test kit's mutter runs without the map animation, which made
    // it look as if the first frame predated the window): the first frame must equal the
    // screen, with the negotiated layout.
    let deadline = Instant::now() + TIMEOUT;
    let mut format: Option<VideoFormatInfo> = None;
    let mut added = Vec::new();
    // Each buffer is mapped once, when first seen, and the mapping reused.
    let mut mappings: HashMap<u64, Arc<ForeignMemory>> = HashMap::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(event) = stream.next_event(left).unwrap() else {
            panic!(
                "no frame within {TIMEOUT:?}: stream {:?}, format {format:?}, buffers \
                 {added:?}\n{}",
                stream.state(),
                server.log()
            );
        };
        match event {
            StreamEvent::StateChanged {
                new: StreamState::Error,
                error,
                ..
            } => panic!("the stream failed: {error:?}\n{}", server.log()),
            StreamEvent::ParamChanged {
                id: param::FORMAT,
                pod: Some(pod),
            } => {
                let negotiated = VideoFormatInfo::parse(&pod).unwrap();
                assert_eq!(
                    negotiated.size,
                    Rectangle::new(width, height),
                    "{negotiated:?}"
                );
                assert_eq!(negotiated.modifier, None, "shared memory, not DMA-BUF");
                assert!(
                    matches!(negotiated.format, VideoFormat::Bgrx | VideoFormat::Bgra),
                    "{negotiated:?}"
                );
                format = Some(negotiated);
            }
            StreamEvent::BufferAdded { id } => added.push(id),
            StreamEvent::BufferRemoved { id } => {
                mappings.remove(&id);
            }
            StreamEvent::Process => {
                let format = format.expect("a format before the first buffer");
                if let Some(frame) = take_frame(&stream, format, region, &mut mappings) {
                    assert_eq!((frame.width(), frame.height()), (width, height));
                    assert_eq!(frame.format(), pixel_format(format.format));
                    assert!(
                        frame.stride() >= width as usize * 4,
                        "stride {}",
                        frame.stride()
                    );
                    if let Err(mismatch) = scene.check_frame(&frame) {
                        panic!("the first frame is not the screen: {mismatch}");
                    }
                    assert_eq!(stream.state(), (StreamState::Streaming, None));
                    assert!(added.len() >= 2, "buffers {added:?}");
                    return frame;
                }
            }
            _ => {}
        }
    }
}

/// Dequeues buffers until one holds a frame (a non-empty, uncorrupted chunk), and wraps it
/// as a frame over its mapping, placed at `region` on the screen; `None` when none does.
fn take_frame(
    stream: &Stream,
    format: VideoFormatInfo,
    region: Region,
    mappings: &mut HashMap<u64, Arc<ForeignMemory>>,
) -> Option<Frame> {
    while let Some(buffer) = stream.dequeue_buffer() {
        let data = &buffer.datas()[0];
        let Some(chunk) = data
            .chunk
            .filter(|chunk| chunk.size > 0 && chunk.flags & 1 == 0)
        else {
            continue;
        };
        assert_eq!(data.data_type, DataType::MemFd, "{buffer:?}");
        let memory = mappings.entry(buffer.id()).or_insert_with(|| {
            let fd = data.fd.as_ref().expect("a memfd block has a descriptor");
            let mapped = ForeignMemory::map(
                std::os::fd::AsFd::as_fd(&**fd),
                u64::from(data.map_offset),
                data.max_size as usize,
            );
            Arc::new(mapped.unwrap_or_else(|error| panic!("mapping {buffer:?}: {error}")))
        });
        let memory = Arc::clone(memory);
        let stride = usize::try_from(chunk.stride).expect("a positive stride");
        let offset = chunk.offset as usize;
        assert_eq!(
            (format.size.width, format.size.height),
            (region.width(), region.height())
        );
        let storage = MappedFrame {
            memory,
            _buffer: buffer,
        };
        return Some(
            Frame::new(storage, offset, region, stride, pixel_format(format.format)).unwrap(),
        );
    }
    None
}
