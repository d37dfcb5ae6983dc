//! PipeWire measurements, on a private headless mutter (GNOME's compositor, with its own
//! session bus, PipeWire and WirePlumber) with one 640x480 virtual monitor, covered by the
//! test kit's `RepaintingWindow`: a full-screen window whose numbered square changes at each
//! commit, so each cast frame says which commit it shows.
//!
//! mutter casts at most one frame per refresh interval, by its own clock, and skips a
//! recording that comes early; its frame clock jitters around that interval, so with a commit
//! at every refresh of a 60 Hz monitor it casts only about 60 % of them, to any consumer. So:
//!
//! On a 60 Hz monitor:
//! - `pipewire_grab_latency_60hz`: one `Capture::grab` of the still screen on a fresh
//!   capturer (mutter's interface needs no permission, as the portal with a restore token
//!   does not: the cast is started and its first frame waited for), against the refresh
//!   interval; opening the capturer is timed beside it.
//! - `pipewire_portal_grab_latency_60hz`: the same through the screen-cast portal with a
//!   restore token, as a sandboxed application or any non-GNOME desktop reaches the screen: the
//!   real `xdg-desktop-portal` frontend with the test kit's backend, which casts from mutter
//!   (the packaged backends show a dialog, which a restore token skips). One capturer asks
//!   (the dialog shares at once) and keeps the token; each fresh capturer after it restores the
//!   session from the token, never showing the dialog (both counted and checked), and its
//!   opening and first grab are timed: the portal's round trips on the bus included.
//! - `pipewire_stream_60hz`: a commit at every refresh; the share of commits an mss stream
//!   shows against the share GStreamer's fakesink gets (counted from its own report of each
//!   buffer, `-v` and `silent=false`, so that turn is not timed): mutter's skipping, the same
//!   for both.
//!
//! On a 120 Hz monitor with 60 commits a second, which mutter casts in full:
//! - `pipewire_stream_60fps`: over the mss turns below, the frames delivered a second, and
//!   the commits the stream never showed (each frame's number against the one before).
//! - `pipewire_stream_cpu`: the CPU time per frame of consumers of a screen cast of the
//!   monitor, in turns on the same producer, each on a cast of its own (mutter makes one
//!   PipeWire node per cast and mss's capturer starts its own, so the two cannot share a
//!   node; one consumer at a time, so mutter serves one cast at a time):
//!   - `mss_read`: an `mss-pipewire` stream, as fast as mutter sends, whose consumer reads
//!     every byte of every frame;
//!   - `mss_unread`: the same stream, each frame taken and dropped unread (only the pixel that
//!     says the frame's number is looked at);
//!   - `gst_fakesink`: `gst-launch-1.0 pipewiresrc path=NODE ! video/x-raw ! fakesink
//!     sync=false`, the floor: GStreamer receives each buffer and gives it back, never mapping
//!     or reading it (the caps filter reads nothing; without it, caps of any kind are offered
//!     and mutter's node never links);
//!   - `gst_videoconvert`: `... ! videoconvert ! video/x-raw,format=RGBx ! fakesink
//!     sync=false`: GStreamer reads every byte and writes a converted copy (more work than
//!     reading; GStreamer has no element that only reads).
//!
//!   CPU is user plus system time, from the kernel's CPU-time clocks: of this process less the
//!   producer's thread for mss (the stream's threads, PipeWire's and the consumer all
//!   counted), of the `gst-launch-1.0` process for GStreamer, over the same length of time
//!   after a settling second, divided by the commits the producer made meanwhile (all cast,
//!   as the mss turns show). Before timing, each GStreamer pipeline proves it reads the node:
//!   with `num-buffers=60` it ends on its own. The target is on the like-for-like pair, neither
//!   side reading the pixels; the others are reported.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use mss_bench::{precise_cpu_time, read_every_byte};
use mss_core::{Capture as _, Region, StreamOptions};
use mss_pipewire::mutter::{CursorMode, MonitorCast, MutterDbus};
use mss_pipewire::{CastSource, PipeWireCapture, PipeWireOptions, TokenStore};
use mss_testkit::{FakePortal, FakePortalOptions, MutterOptions, MutterServer, RepaintingWindow};
use serde_json::Value;

use crate::measure_file::measure;

/// The monitor. mutter renders in software here (no GPU), and on a loaded two-core machine
/// it kept up 60 commits a second at 640x480 but not at 1280x720 (37 a second, some cast
/// twice or never) or 1920x1080 (18 a second): a producer that cannot keep its rate would
/// make the frame counts mean nothing.
const MONITOR: (u32, u32) = (640, 480);
/// A guard against hangs, never a verdict on speed.
const HANG_GUARD: Duration = Duration::from_secs(60);
/// How long each consumer runs before its CPU is read (a cast's start, negotiation).
const SETTLE: Duration = Duration::from_secs(1);
const QUICK_SETTLE: Duration = Duration::from_millis(300);
/// The buffers each GStreamer pipeline must read, before timing, to show it reads the node.
const GST_CHECK_BUFFERS: u32 = 60;

/// The consumers compared, in the order of each round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Consumer {
    MssRead,
    GstFakesink,
    MssUnread,
    GstVideoconvert,
}

impl Consumer {
    const ALL: [Consumer; 4] = [
        Consumer::MssRead,
        Consumer::GstFakesink,
        Consumer::MssUnread,
        Consumer::GstVideoconvert,
    ];

    /// The GStreamer pipeline after `pipewiresrc`, for GStreamer's consumers.
    fn gst_tail(self) -> Option<&'static [&'static str]> {
        match self {
            Consumer::GstFakesink => Some(&["!", "video/x-raw", "!", "fakesink", "sync=false"]),
            Consumer::GstVideoconvert => Some(&[
                "!",
                "videoconvert",
                "!",
                "video/x-raw,format=RGBx",
                "!",
                "fakesink",
                "sync=false",
            ]),
            Consumer::MssRead | Consumer::MssUnread => None,
        }
    }
}

/// What the turns of one consumer add up to.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    /// The consumer's CPU time.
    cpu: Duration,
    /// The producer's commits meanwhile.
    committed: u64,
    seconds: f64,
    /// Frames the stream delivered (mss only).
    delivered: u64,
    /// Commits the stream never showed (mss only).
    dropped: u64,
    /// Frames that showed the same commit as the frame before (mss only).
    repeated: u64,
}

impl Tally {
    fn add(&mut self, turn: Tally) {
        self.cpu += turn.cpu;
        self.committed += turn.committed;
        self.seconds += turn.seconds;
        self.delivered += turn.delivered;
        self.dropped += turn.dropped;
        self.repeated += turn.repeated;
    }

    /// CPU microseconds per frame the producer committed.
    fn microseconds_per_frame(&self) -> f64 {
        assert!(
            self.committed > 0,
            "the producer committed no frame in {:.1} s: mutter is not repainting",
            self.seconds
        );
        self.cpu.as_secs_f64() * 1e6 / self.committed as f64
    }
}

/// The clocks read at each end of a turn.
struct Readings {
    at: Instant,
    consumer: Duration,
    producer: Duration,
    committed: u64,
}

impl Readings {
    /// Now: the CPU time of process `pid` (`None`: this one), the producer's.
    fn take(pid: Option<u32>, window: &RepaintingWindow) -> Self {
        Self {
            producer: window.thread_cpu_time(),
            committed: window.committed(),
            consumer: precise_cpu_time(pid).expect("the consumer's CPU time"),
            at: Instant::now(),
        }
    }

    /// From `self` to `later`: the consumer's CPU, less the producer's when they share a
    /// process.
    fn until(&self, later: &Readings, producer_inside: bool) -> Tally {
        let mut cpu = later.consumer.saturating_sub(self.consumer);
        if producer_inside {
            cpu = cpu.saturating_sub(later.producer.saturating_sub(self.producer));
        }
        Tally {
            cpu,
            committed: later.committed - self.committed,
            seconds: (later.at - self.at).as_secs_f64(),
            ..Tally::default()
        }
    }
}

/// A headless mutter with one virtual monitor, which the repainting window covers, and
/// mutter's D-Bus client for GStreamer's casts.
struct Producer {
    // Dropped in this order: the window and the client before the server.
    window: RepaintingWindow,
    dbus: MutterDbus,
    server: MutterServer,
    connector: String,
    refresh: f64,
    region: Region,
}

impl Producer {
    /// mutter with one `monitor` at `refresh_rate` hertz, the window shown on it, and a grab
    /// checked against it pixel for pixel (before anything is timed).
    fn start(monitor: (u32, u32), refresh_rate: u32) -> Self {
        let server = MutterServer::start(
            &MutterOptions::new()
                .monitors(&[monitor])
                .refresh_rate(refresh_rate),
        )
        .unwrap_or_else(|error| panic!("cannot start mutter for the PipeWire measures: {error}"));
        let window = RepaintingWindow::show(&server.wayland_display()).unwrap_or_else(|error| {
            panic!("the repainting window on mutter: {error}\n{}", server.log())
        });
        assert_eq!(window.size(), monitor, "the window covers the monitor");
        let dbus = MutterDbus::connect(server.bus_address(), Some(HANG_GUARD))
            .expect("mutter's D-Bus interfaces");
        let monitors = dbus.monitors().expect("mutter's monitors");
        let region = Region::new(0, 0, monitor.0, monitor.1).expect("a monitor");
        let frame = open(&server).grab(region).expect("a grab of the monitor");
        window
            .check_frame(&frame)
            .unwrap_or_else(|mismatch| panic!("a grab on mutter: {mismatch}"));
        Self {
            window,
            dbus,
            connector: monitors[0].connector.clone(),
            refresh: monitors[0].refresh_rate,
            region,
            server,
        }
    }

    /// The monitor, as the measures' details name it.
    fn describe(&self) -> String {
        format!(
            "{}x{} at {:.0} Hz",
            self.region.width(),
            self.region.height(),
            self.refresh
        )
    }
}

/// How long and how often each part runs.
struct Plan {
    monitor: (u32, u32),
    settle: Duration,
    run_for: Duration,
    rounds: usize,
    latency_samples: usize,
}

pub fn measures(quick: bool) -> Vec<Value> {
    let plan = if quick {
        Plan {
            monitor: MONITOR,
            settle: QUICK_SETTLE,
            run_for: Duration::from_secs(1),
            rounds: 1,
            latency_samples: 3,
        }
    } else {
        Plan {
            monitor: MONITOR,
            settle: SETTLE,
            run_for: Duration::from_secs(4),
            rounds: 3,
            latency_samples: 20,
        }
    };
    let mut results = Vec::new();
    // A 60 Hz monitor: one grab of the still screen, then a commit at every refresh.
    let producer = Producer::start(plan.monitor, 60);
    results.push(grab_latency(&producer, plan.latency_samples));
    results.push(portal_grab_latency(&producer, plan.latency_samples));
    results.push(every_refresh(&producer, &plan));
    drop(producer);
    // A 120 Hz monitor with 60 commits a second, all of which mutter casts (see
    // `every_refresh` for why not on a 60 Hz one): the consumers' CPU and the frames.
    let producer = Producer::start(plan.monitor, 120);
    producer.window.start_at(60.0);
    let checks: Vec<String> = Consumer::ALL
        .iter()
        .filter_map(|consumer| consumer.gst_tail())
        .map(|tail| {
            let elapsed = gst_check(&producer, tail);
            format!(
                "{} read {GST_CHECK_BUFFERS} buffers in {:.2} s",
                tail.join(" "),
                elapsed.as_secs_f64()
            )
        })
        .collect();
    eprintln!("mss-bench: pipewire: {}", checks.join("; "));
    let mut tallies = [Tally::default(); Consumer::ALL.len()];
    for _ in 0..plan.rounds {
        for (index, consumer) in Consumer::ALL.into_iter().enumerate() {
            let turn = match consumer.gst_tail() {
                Some(tail) => gst_turn(&producer, tail, &plan),
                None => mss_turn(&producer, consumer == Consumer::MssRead, &plan),
            };
            tallies[index].add(turn);
        }
    }
    let tally = |consumer: Consumer| {
        tallies[Consumer::ALL
            .iter()
            .position(|&one| one == consumer)
            .expect("every consumer has a tally")]
    };
    results.extend(stream_measures(
        tally(Consumer::MssRead),
        tally(Consumer::MssUnread),
        tally(Consumer::GstFakesink),
        tally(Consumer::GstVideoconvert),
        &producer.describe(),
    ));
    results
}

/// A capturer of `server`'s session.
fn open(server: &MutterServer) -> PipeWireCapture {
    PipeWireCapture::open_with(
        Some(server.wayland_display_name()),
        PipeWireOptions::new().timeout(Some(HANG_GUARD)),
    )
    .unwrap_or_else(|error| panic!("the pipewire backend on mutter: {error}\n{}", server.log()))
}

/// One turn of an mss stream of the monitor, on a capturer of its own: frames for the plan's
/// settling time, then for its run with the clocks read at each end. Every frame's number is
/// read; with `read`, every byte.
fn mss_turn(producer: &Producer, read: bool, plan: &Plan) -> Tally {
    let window = &producer.window;
    let mut capture = open(&producer.server);
    let mut stream = capture
        .stream(&StreamOptions::new())
        .expect("a stream of the monitor");
    let first = stream.next_frame().expect("the first frame");
    let mut last = window
        .check_frame(&first.frame)
        .unwrap_or_else(|mismatch| panic!("the stream's first frame: {mismatch}"));
    drop(first);
    let mut take = |frame: &mss_core::Frame, tally: &mut Tally| {
        if read {
            read_every_byte(frame);
        }
        let number = window
            .frame_number(frame)
            .expect("the frame shows the square");
        match RepaintingWindow::commits_between(last, number) {
            0 => tally.repeated += 1,
            step => tally.dropped += u64::from(step - 1),
        }
        tally.delivered += 1;
        last = number;
    };
    let settled = Instant::now() + plan.settle;
    let mut ignored = Tally::default();
    while let Some(item) = stream.next_frame_before(Some(settled)).expect("a frame") {
        take(&item.frame, &mut ignored);
    }
    let start = Readings::take(None, window);
    let end = start.at + plan.run_for;
    let mut counted = Tally::default();
    while let Some(item) = stream.next_frame_before(Some(end)).expect("a frame") {
        take(&item.frame, &mut counted);
    }
    let finish = Readings::take(None, window);
    Tally {
        delivered: counted.delivered,
        dropped: counted.dropped,
        repeated: counted.repeated,
        ..start.until(&finish, true)
    }
}

/// A `gst-launch-1.0` process reading a cast of the producer's monitor, its output lines sent
/// with the time each was read.
struct Gst {
    // Dropped first: the process, then the cast it reads.
    child: Child,
    lines: mpsc::Receiver<(Instant, String)>,
    /// The cast read, stopped when dropped.
    _cast: MonitorCast,
    pipeline: String,
}

impl Gst {
    /// `gst-launch-1.0 [-v] pipewiresrc path=NODE SOURCE_ARGUMENTS... TAIL...` on a new cast of
    /// the monitor, on the producer's PipeWire.
    fn spawn(
        producer: &Producer,
        verbose: bool,
        source_arguments: &[String],
        tail: &[&str],
    ) -> Self {
        let cast = producer
            .dbus
            .record_monitor(&producer.connector, CursorMode::Hidden, Some(HANG_GUARD))
            .expect("a cast of the monitor");
        let mut arguments: Vec<String> = Vec::new();
        if verbose {
            arguments.push("-v".to_owned());
        }
        arguments.push("pipewiresrc".to_owned());
        arguments.push(format!("path={}", cast.node_id()));
        arguments.extend(source_arguments.iter().cloned());
        arguments.extend(tail.iter().map(|&argument| argument.to_owned()));
        let mut child = Command::new("gst-launch-1.0")
            .args(&arguments)
            .env("XDG_RUNTIME_DIR", producer.server.runtime_dir())
            .env_remove("PIPEWIRE_REMOTE")
            .env_remove("PIPEWIRE_RUNTIME_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "gst-launch-1.0: {error} (run `cargo xtask bench`, which installs GStreamer)"
                )
            });
        let (sender, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("standard output was piped");
        let stderr = child.stderr.take().expect("standard error was piped");
        let errors = sender.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send((Instant::now(), line));
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = errors.send((Instant::now(), line));
            }
        });
        Self {
            child,
            lines,
            _cast: cast,
            pipeline: arguments.join(" "),
        }
    }

    /// Waits until the pipeline plays, then for `settle` (the link, the format, the first
    /// buffers).
    fn wait_until_playing(&mut self, settle: Duration) {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((_, line)) if line.contains("PLAYING") => break,
                Ok(_) => {}
                Err(_) => panic!(
                    "{} never reached PLAYING: {:?}",
                    self.pipeline,
                    self.child.try_wait()
                ),
            }
        }
        std::thread::sleep(settle);
        self.assert_running();
    }

    fn assert_running(&mut self) {
        let status = self.child.try_wait().expect("gst-launch-1.0's status");
        assert!(
            status.is_none(),
            "{} ended: {status:?}; {}",
            self.pipeline,
            self.lines
                .try_iter()
                .map(|(_, line)| line)
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }

    /// The process's id.
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Gst {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Before timing: the pipeline `tail` reads [`GST_CHECK_BUFFERS`] buffers of a cast of the
/// monitor and ends on its own. Returns how long it took, start included.
fn gst_check(producer: &Producer, tail: &[&str]) -> Duration {
    let started = Instant::now();
    let mut gst = Gst::spawn(
        producer,
        false,
        &[format!("num-buffers={GST_CHECK_BUFFERS}")],
        tail,
    );
    let status = loop {
        if let Some(status) = gst.child.try_wait().expect("gst-launch-1.0's status") {
            break status;
        }
        assert!(
            started.elapsed() < HANG_GUARD,
            "{} did not read {GST_CHECK_BUFFERS} buffers in {HANG_GUARD:?}: {}",
            gst.pipeline,
            gst.lines
                .try_iter()
                .map(|(_, line)| line)
                .collect::<Vec<_>>()
                .join(" | ")
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = started.elapsed();
    assert!(
        status.success(),
        "{}: {status}; {}",
        gst.pipeline,
        gst.lines
            .try_iter()
            .map(|(_, line)| line)
            .collect::<Vec<_>>()
            .join(" | ")
    );
    elapsed
}

/// One turn of GStreamer's `tail` on a cast of its own: running for the plan's settling time,
/// then the clocks read across its run.
fn gst_turn(producer: &Producer, tail: &[&str], plan: &Plan) -> Tally {
    let mut gst = Gst::spawn(producer, false, &[], tail);
    gst.wait_until_playing(plan.settle);
    let start = Readings::take(Some(gst.pid()), &producer.window);
    std::thread::sleep(plan.run_for);
    let finish = Readings::take(Some(gst.pid()), &producer.window);
    gst.assert_running();
    let turn = start.until(&finish, false);
    assert!(
        turn.cpu > Duration::ZERO,
        "{} used no CPU in {:?}: it is not reading",
        gst.pipeline,
        plan.run_for
    );
    turn
}

/// The buffers a second GStreamer's fakesink gets from a cast of the monitor, counted from
/// its own report of each (`-v` and `silent=false`: work of its own, so this turn is not
/// timed), over the plan's run after its settling time.
fn gst_buffers_per_second(producer: &Producer, plan: &Plan) -> (u64, Tally) {
    let mut gst = Gst::spawn(
        producer,
        true,
        &[],
        &[
            "!",
            "video/x-raw",
            "!",
            "fakesink",
            "sync=false",
            "silent=false",
        ],
    );
    gst.wait_until_playing(plan.settle);
    let start = Readings::take(Some(gst.pid()), &producer.window);
    std::thread::sleep(plan.run_for);
    let finish = Readings::take(Some(gst.pid()), &producer.window);
    gst.assert_running();
    let _ = gst.child.kill();
    let buffers = gst
        .lines
        .try_iter()
        .filter(|(at, line)| {
            *at >= start.at && *at < finish.at && line.contains("last-message = chain")
        })
        .count() as u64;
    (buffers, start.until(&finish, false))
}

/// On a 60 Hz monitor, a commit at every refresh: the frames an mss stream gets a second
/// against GStreamer's on the same producer. mutter casts at most one frame per refresh
/// interval by its own clock and skips a recording that comes early (which a frame clock
/// jittering around that interval often does), so neither sees every commit.
fn every_refresh(producer: &Producer, plan: &Plan) -> Value {
    producer.window.start();
    let stream = mss_turn(producer, false, plan);
    let (buffers, gst) = gst_buffers_per_second(producer, plan);
    producer.window.pause();
    // Each as a share of the commits made during its own turn, which the load may change.
    let ours = stream.delivered as f64 / stream.committed.max(1) as f64;
    let theirs = buffers as f64 / gst.committed.max(1) as f64;
    measure(
        "pipewire_stream_60hz/mss_frames_over_gst_frames",
        ours / theirs,
        "ratio",
        (None, None),
        format!(
            "{}, a commit at every refresh: mss stream {} frames of {} commits in {:.1} s ({} commits never shown, {} shown twice); gst pipewiresrc ! video/x-raw ! fakesink {buffers} buffers of {} commits in {:.1} s; mutter casts at most one frame per refresh interval and skips one that comes early",
            producer.describe(),
            stream.delivered,
            stream.committed,
            stream.seconds,
            stream.dropped,
            stream.repeated,
            gst.committed,
            gst.seconds
        ),
    )
}

/// The CPU per frame of each consumer, against GStreamer's; the stream's frames against the
/// producer's.
fn stream_measures(
    read: Tally,
    unread: Tally,
    fakesink: Tally,
    videoconvert: Tally,
    monitor: &str,
) -> Vec<Value> {
    let (read_us, unread_us, fakesink_us, videoconvert_us) = (
        read.microseconds_per_frame(),
        unread.microseconds_per_frame(),
        fakesink.microseconds_per_frame(),
        videoconvert.microseconds_per_frame(),
    );
    let frames = |tally: &Tally| format!("{} frames in {:.1} s", tally.committed, tally.seconds);
    let mut both = read;
    both.add(unread);
    let producer_rate = both.committed as f64 / both.seconds;
    vec![
        measure(
            "pipewire_stream_cpu/mss_unread_over_gst_fakesink",
            unread_us / fakesink_us,
            "ratio",
            (None, Some(1.0)),
            format!(
                "{monitor}, 60 commits a second, CPU per frame, neither reading the pixels: mss stream, frames dropped unread, {unread_us:.1} us ({}); gst pipewiresrc ! video/x-raw ! fakesink sync=false {fakesink_us:.1} us ({})",
                frames(&unread),
                frames(&fakesink)
            ),
        ),
        measure(
            "pipewire_stream_cpu/mss_read_over_gst_fakesink",
            read_us / fakesink_us,
            "ratio",
            (None, None),
            format!(
                "{monitor}, CPU per frame: mss stream reading every byte {read_us:.1} us ({}); gst pipewiresrc ! video/x-raw ! fakesink sync=false, never reading, {fakesink_us:.1} us; reading the frame's bytes alone costs about {:.1} us",
                frames(&read),
                read_us - unread_us
            ),
        ),
        measure(
            "pipewire_stream_cpu/mss_read_over_gst_videoconvert",
            read_us / videoconvert_us,
            "ratio",
            (None, None),
            format!(
                "{monitor}, CPU per frame: mss stream reading every byte {read_us:.1} us; gst pipewiresrc ! videoconvert ! video/x-raw,format=RGBx ! fakesink sync=false, reading every byte and writing a converted copy, {videoconvert_us:.1} us ({})",
                frames(&videoconvert)
            ),
        ),
        measure(
            "pipewire_stream_60fps/frames_per_second",
            both.delivered as f64 / both.seconds,
            "frames/s",
            (Some(0.97 * 60.0), None),
            format!(
                "{monitor}, mss streams as fast as mutter sends, {:.1} s: {} frames delivered; the producer committed {} ({producer_rate:.1} a second)",
                both.seconds, both.delivered, both.committed
            ),
        ),
        measure(
            "pipewire_stream_60fps/frames_dropped",
            both.dropped as f64,
            "frames",
            (None, Some(0.0)),
            format!(
                "commits the stream never showed, from each frame's number; {} frames showed the commit before again",
                both.repeated
            ),
        ),
    ]
}

/// One grab of the still monitor on a fresh capturer each time, against the refresh interval.
fn grab_latency(producer: &Producer, samples: usize) -> Value {
    let mut opens = Vec::with_capacity(samples);
    let mut grabs = Vec::with_capacity(samples);
    for sample in 0..samples {
        let started = Instant::now();
        let mut capture = open(&producer.server);
        let opened = Instant::now();
        let frame = capture
            .grab(producer.region)
            .expect("a grab on a fresh capturer");
        grabs.push(opened.elapsed());
        opens.push(opened - started);
        if sample == 0 {
            producer
                .window
                .check_frame(&frame)
                .unwrap_or_else(|mismatch| panic!("a grab on a fresh capturer: {mismatch}"));
        }
    }
    latency_measure(
        "pipewire_grab_latency_60hz/median_over_refresh_interval",
        format!(
            "{}, still, {samples} fresh capturers (org.gnome.Mutter.ScreenCast, no portal)",
            producer.describe()
        ),
        producer,
        opens,
        grabs,
    )
}

/// One grab on a fresh capturer through the portal with a restore token, `samples` times: see
/// the module's documentation.
fn portal_grab_latency(producer: &Producer, samples: usize) -> Value {
    let server = &producer.server;
    let portal = FakePortal::start(server, &FakePortalOptions::new())
        .unwrap_or_else(|error| panic!("the portal on mutter: {error}\n{}", server.log()));
    let tokens = tempfile::tempdir().expect("a directory for the restore token");
    let open_through = || {
        PipeWireCapture::open_with(
            Some(server.wayland_display_name()),
            PipeWireOptions::new()
                .timeout(Some(HANG_GUARD))
                .source(CastSource::Portal)
                .token_store(TokenStore::Directory(tokens.path().to_owned())),
        )
        .unwrap_or_else(|error| {
            panic!(
                "the pipewire backend through the portal: {error}\n{}\n{}",
                portal.log(),
                server.log()
            )
        })
    };
    // The first capturer asks; the dialog shares at once and the token is kept.
    let frame = open_through()
        .grab(producer.region)
        .expect("a grab through the portal");
    producer
        .window
        .check_frame(&frame)
        .unwrap_or_else(|mismatch| panic!("a grab through the portal: {mismatch}"));
    drop(frame);
    assert_eq!(portal.dialogs_shown(), 1, "the first capturer asks once");
    let restored_before = portal.sessions_restored();
    let mut opens = Vec::with_capacity(samples);
    let mut grabs = Vec::with_capacity(samples);
    for sample in 0..samples {
        let started = Instant::now();
        let mut capture = open_through();
        let opened = Instant::now();
        let frame = capture
            .grab(producer.region)
            .expect("a grab on a fresh capturer with a restore token");
        grabs.push(opened.elapsed());
        opens.push(opened - started);
        if sample == 0 {
            producer
                .window
                .check_frame(&frame)
                .unwrap_or_else(|mismatch| {
                    panic!("a grab on a capturer with a restore token: {mismatch}")
                });
        }
    }
    assert_eq!(
        portal.dialogs_shown(),
        1,
        "capturers with a restore token never show the dialog"
    );
    assert_eq!(
        portal.sessions_restored() - restored_before,
        samples,
        "every fresh capturer restores its session from the token"
    );
    latency_measure(
        "pipewire_portal_grab_latency_60hz/median_over_refresh_interval",
        format!(
            "{}, still, {samples} fresh capturers through the portal (xdg-desktop-portal and the test kit's backend), each restoring its session from the token, no dialog",
            producer.describe()
        ),
        producer,
        opens,
        grabs,
    )
}

/// The median first grab against the refresh interval, with the spread and the median
/// opening time in the details.
fn latency_measure(
    name: &str,
    what: String,
    producer: &Producer,
    mut opens: Vec<Duration>,
    mut grabs: Vec<Duration>,
) -> Value {
    let median = |samples: &mut Vec<Duration>| {
        samples.sort();
        samples[samples.len() / 2]
    };
    let interval = Duration::from_secs_f64(1.0 / producer.refresh);
    let milliseconds = |duration: Duration| duration.as_secs_f64() * 1000.0;
    let (min, max) = (
        *grabs.iter().min().expect("samples"),
        *grabs.iter().max().expect("samples"),
    );
    let grab = median(&mut grabs);
    let open = median(&mut opens);
    measure(
        name,
        grab.as_secs_f64() / interval.as_secs_f64(),
        "ratio",
        (None, None),
        format!(
            "{what}: first grab median {:.2} ms (min {:.2}, max {:.2}) against {:.2} ms a refresh; opening the capturer before it, median {:.2} ms",
            milliseconds(grab),
            milliseconds(min),
            milliseconds(max),
            milliseconds(interval),
            milliseconds(open)
        ),
    )
}
