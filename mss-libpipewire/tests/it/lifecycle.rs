//! Lifecycles with no daemon: a socket pair stands in for one, so connections are made (the
//! other end just never answers) and everything is dropped cleanly.

use std::os::unix::net::UnixStream;
use std::time::Duration;

use mss_libpipewire::{
    Context, PipeWire, PipeWireError, Pod, Stream, StreamEvent, StreamFlags, StreamState,
    ThreadLoop,
};
use mss_spa_pod::{Fraction, Rectangle, VideoFormat};

fn enum_format() -> Pod {
    Pod::from_bytes(&mss_spa_pod::enum_format_raw_video(
        &[VideoFormat::Bgrx, VideoFormat::Bgra],
        (
            Rectangle::new(320, 200),
            Rectangle::new(1, 1),
            Rectangle::new(8192, 8192),
        ),
        (
            Fraction::new(0, 1),
            Fraction::new(0, 1),
            Fraction::new(1000, 1),
        ),
    ))
    .unwrap()
}

/// A core over one end of a socket pair; the other end is returned so it stays open.
fn silent_core(thread_loop: &ThreadLoop) -> (mss_libpipewire::Core, UnixStream) {
    let context = Context::new(thread_loop).unwrap();
    let (ours, theirs) = UnixStream::pair().unwrap();
    let core = context
        .connect_fd(ours.into(), &[("application.name", "mss-test")])
        .unwrap();
    (core, theirs)
}

#[test]
fn a_stream_connects_reports_its_state_and_goes_in_any_order() {
    let pipewire = PipeWire::load().unwrap();
    let thread_loop = ThreadLoop::new(pipewire, "mss-test-loop").unwrap();
    thread_loop.start().unwrap();
    let (core, _peer) = silent_core(&thread_loop);
    let stream = Stream::new(
        &core,
        "mss-test",
        &[("media.type", "Video"), ("media.category", "Capture")],
    )
    .unwrap();
    assert_eq!(stream.state(), (StreamState::Unconnected, None));
    stream
        .connect(
            Some(42),
            StreamFlags::AUTOCONNECT | StreamFlags::DONT_RECONNECT,
            &[enum_format()],
            Vec::new(),
        )
        .unwrap();
    let event = stream.next_event(Duration::from_secs(10)).unwrap();
    assert_eq!(
        event,
        Some(StreamEvent::StateChanged {
            old: StreamState::Unconnected,
            new: StreamState::Connecting,
            error: None
        })
    );
    assert_eq!(stream.state(), (StreamState::Connecting, None));
    // Nothing can be dequeued from a stream that never negotiated.
    assert!(stream.dequeue_buffer().is_none());
    // The handles go first; the stream still holds what it was made on.
    drop(core);
    drop(thread_loop);
    assert!(stream.dequeue_buffer().is_none());
    drop(stream);
}

#[test]
fn waiting_while_holding_the_loop_lock_is_refused() {
    let pipewire = PipeWire::load().unwrap();
    let thread_loop = ThreadLoop::new(pipewire, "mss-test-loop").unwrap();
    thread_loop.start().unwrap();
    let (core, _peer) = silent_core(&thread_loop);
    let stream = Stream::new(&core, "mss-test", &[]).unwrap();
    {
        let _lock = thread_loop.lock();
        // The lock is recursive: calls that take it work under it.
        assert!(stream.dequeue_buffer().is_none());
        assert!(matches!(
            stream.next_event(Duration::from_millis(1)),
            Err(PipeWireError::WaitWhileLocked)
        ));
    }
    assert_eq!(stream.next_event(Duration::ZERO).unwrap(), None);
}

/// A thread reading events is woken by `interrupt` long before its wait would end, the
/// events recorded before stay for the next reads, and an interrupt with nobody waiting ends
/// the next wait at once.
#[test]
fn an_interrupt_ends_a_wait_for_events_at_once() {
    let pipewire = PipeWire::load().unwrap();
    let thread_loop = ThreadLoop::new(pipewire, "mss-test-loop").unwrap();
    thread_loop.start().unwrap();
    let (core, _peer) = silent_core(&thread_loop);
    let stream = std::sync::Arc::new(Stream::new(&core, "mss-test", &[]).unwrap());
    let (started, waiting) = std::sync::mpsc::channel();
    let reader = {
        let stream = std::sync::Arc::clone(&stream);
        std::thread::spawn(move || {
            started.send(()).unwrap();
            let asked = std::time::Instant::now();
            let event = stream.next_event(Duration::from_secs(600)).unwrap();
            (event, asked.elapsed())
        })
    };
    waiting.recv().unwrap();
    // Whether the reader waits already or is about to, the interrupt ends that wait.
    stream.interrupt();
    let (event, waited) = reader.join().unwrap();
    assert_eq!(event, None);
    assert!(waited < Duration::from_secs(300), "woken after {waited:?}");
    // An interrupt with nobody waiting ends the next wait; the wait after it waits again.
    stream.interrupt();
    assert_eq!(stream.next_event(Duration::from_secs(600)).unwrap(), None);
    assert_eq!(stream.next_event(Duration::ZERO).unwrap(), None);
    // Events recorded before an interrupt are read after it.
    stream
        .connect(Some(42), StreamFlags::NONE, &[enum_format()], Vec::new())
        .unwrap();
    stream.interrupt();
    assert_eq!(stream.next_event(Duration::from_secs(600)).unwrap(), None);
    let event = stream.next_event(Duration::from_secs(10)).unwrap();
    assert!(
        matches!(event, Some(StreamEvent::StateChanged { .. })),
        "{event:?}"
    );
}

#[test]
fn a_loop_never_started_still_makes_and_drops_objects() {
    let pipewire = PipeWire::load().unwrap();
    let thread_loop = ThreadLoop::new(pipewire, "mss-test-loop").unwrap();
    let (core, _peer) = silent_core(&thread_loop);
    let stream = Stream::new(&core, "mss-test", &[]).unwrap();
    drop(thread_loop);
    drop(stream);
    drop(core);
}

#[test]
fn names_with_nul_bytes_are_errors() {
    let pipewire = PipeWire::load().unwrap();
    assert!(matches!(
        ThreadLoop::new(pipewire, "a\0b"),
        Err(PipeWireError::Nul { .. })
    ));
    let thread_loop = ThreadLoop::new(pipewire, "mss-test-loop").unwrap();
    let (core, _peer) = silent_core(&thread_loop);
    assert!(matches!(
        Stream::new(&core, "a\0b", &[]),
        Err(PipeWireError::Nul { .. })
    ));
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<PipeWire>();
    send_sync::<ThreadLoop>();
    send_sync::<Context>();
    send_sync::<mss_libpipewire::Core>();
    send_sync::<Stream>();
    send_sync::<mss_libpipewire::Buffer>();
    send_sync::<Pod>();
}

#[test]
fn a_daemon_that_goes_away_is_reported_with_the_error_text() {
    let pipewire = PipeWire::load().unwrap();
    let thread_loop = ThreadLoop::new(pipewire, "mss-test-loop").unwrap();
    thread_loop.start().unwrap();
    let (core, peer) = silent_core(&thread_loop);
    let stream = Stream::new(&core, "mss-test", &[]).unwrap();
    stream
        .connect(None, StreamFlags::AUTOCONNECT, &[enum_format()], Vec::new())
        .unwrap();
    let connecting = stream.next_event(Duration::from_secs(10)).unwrap();
    assert!(
        matches!(
            connecting,
            Some(StreamEvent::StateChanged {
                new: StreamState::Connecting,
                ..
            })
        ),
        "{connecting:?}"
    );
    // The daemon's end of the socket closes: libpipewire reports a connection error, which
    // the stream carries as its state's error text (PipeWire 0.3.65: back to Unconnected).
    drop(peer);
    let lost = stream.next_event(Duration::from_secs(10)).unwrap();
    let Some(StreamEvent::StateChanged {
        old: StreamState::Connecting,
        new,
        error: Some(error),
    }) = lost
    else {
        panic!("not a lost connection: {lost:?}");
    };
    assert!(
        matches!(new, StreamState::Unconnected | StreamState::Error),
        "{new:?}"
    );
    assert_eq!(error, "connection error");
    assert_eq!(stream.state(), (new, Some(error)));
    assert!(stream.dequeue_buffer().is_none());
}
