//! Streams: `stream_WxH` (a consumer reading every byte, on a still screen),
//! `changing_stream_WxH` (the same with the whole screen changing before every frame) and
//! `changes_64x64_WxH` (a small square changing every frame).
//!
//! `stream_WxH`, on the still scene:
//! - `read`: reading every byte of one held frame, the consumer's own cost (its floor).
//! - `sequential_read`: an SHM grab, then reading every byte, one frame at a time.
//! - `stream_read`: the SHM stream as it opens by default (two in flight, DAMAGE), each frame
//!   read in full. On a still screen nothing changed, so nothing is copied: the frame costs
//!   little more than `read`.
//! - `stream_read_whole_frames`: the stream without damage, so every frame is a whole
//!   `ShmGetImage` overlapped with the reading of the previous one: what pipelining alone
//!   gives.
//!
//! `changing_stream_WxH`: the whole screen changes before every frame: another X client fills
//! it with one colour, then the other (`PolyFillRectangle` on the root, and on the scene's
//! pixmap), and waits for the server. Every side includes that painting, so `xtask` compares
//! them net of `paint`:
//! - `paint`: the painting alone.
//! - `sequential_read`: paint, an SHM grab of the whole screen, then reading every byte; the
//!   frame must show the colour just painted.
//! - `stream_read`: paint, then the next frame of the default stream (two in flight, DAMAGE),
//!   read in full. Everything changed since every slot was filled, so each frame is a whole
//!   copy; being pipelined, a frame may show the screen before the latest painting, so it must
//!   show one of the two last colours, the same at every pixel looked at.
//! - `stream_read_whole_frames`: the same without damage.
//!
//! After those rows, on the same screen, [`changing_cpu`] measures what criterion cannot: the
//! CPU time a frame costs this process and the X server together (the measure
//! `changing_stream_cpu`), which the machine's other work moves far less than wall time.
//!
//! `changes_64x64_WxH`: a 64x64 square in the middle of the screen changes colour before
//! every frame (another X client paints it, waiting for the server each time). Each frame is
//! checked where the square is; full frames are compared with the scene before and after.
//! - `paint`: the painting alone.
//! - `full_grab`: paint, then an SHM grab of the whole screen.
//! - `changes_only_stream`: paint, then the next frame of a changes-only stream (which copies
//!   the square into the slot and nothing else).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use mss_bench::{BenchScreen, precise_cpu_time, read_every_byte};
use mss_core::{
    Capture as _, Changes, Frame, FrameStream, Region, Rgba, StreamFrame, StreamOptions,
};
use serde_json::Value;

use crate::measure_file::measure;

pub fn bench(criterion: &mut Criterion, screen: &BenchScreen) {
    let size = screen.size();
    let region = size.region();
    let mut group = criterion.benchmark_group(format!("stream_{}", size.label()));
    group.throughput(Throughput::Bytes(size.frame_bytes() as u64));
    group.sampling_mode(SamplingMode::Flat);
    let mut capture = screen.open_shm().expect("SHM capturer");

    let held = capture.grab(region).expect("grab");
    group.bench_function("read", |bencher| {
        bencher.iter(|| black_box(read_every_byte(&held)));
    });
    drop(held);
    group.bench_function("sequential_read", |bencher| {
        bencher.iter(|| black_box(read_every_byte(&capture.grab(region).expect("grab"))));
    });
    for (name, damage) in [("stream_read", true), ("stream_read_whole_frames", false)] {
        let mut stream = capture
            .stream(&StreamOptions::new().use_damage(damage))
            .expect("stream");
        for _ in 0..3 {
            screen
                .scene()
                .assert_frame(&stream.next_frame().expect("frame").frame);
        }
        eprintln!("mss-bench: {name}: {}", stream.describe());
        group.bench_function(name, |bencher| {
            bencher.iter(|| {
                black_box(read_every_byte(&stream.next_frame().expect("frame").frame));
            });
        });
    }
    group.finish();
}

/// Pixels looked at in each frame of a changing screen (the rest is read, not checked): a
/// grid over the whole frame, corners included.
fn sample_points(width: u32, height: u32) -> Vec<(u32, u32)> {
    let steps = [0, 1, 2, 3];
    steps
        .iter()
        .flat_map(|&i| {
            steps
                .iter()
                .map(move |&j| ((width - 1) * i / 3, (height - 1) * j / 3))
        })
        .collect()
}

/// The colour every sampled pixel of `frame` shows, or a panic naming the first that differs.
fn uniform_colour(frame: &Frame, points: &[(u32, u32)]) -> Rgba {
    let colour = frame
        .pixel(points[0].0, points[0].1)
        .expect("inside the frame");
    for &(x, y) in &points[1..] {
        assert_eq!(
            frame.pixel(x, y),
            Some(colour),
            "pixel ({x}, {y}) of a whole-screen fill"
        );
    }
    colour
}

pub fn bench_changing(criterion: &mut Criterion, screen: &mut BenchScreen) {
    let size = screen.size();
    let region = size.region();
    let points = sample_points(size.width, size.height);
    let mut group = criterion.benchmark_group(format!("changing_stream_{}", size.label()));
    group.throughput(Throughput::Bytes(size.frame_bytes() as u64));
    group.sampling_mode(SamplingMode::Flat);
    let mut capture = screen.open_shm().expect("SHM capturer");
    let mut turn = 0usize;
    let mut paint = |screen: &mut BenchScreen| {
        turn += 1;
        let colour = COLOURS[turn % 2];
        screen
            .scene_mut()
            .paint_rect(region, colour)
            .expect("painting the screen");
        colour
    };

    group.bench_function("paint", |bencher| {
        bencher.iter(|| paint(screen));
    });
    group.bench_function("sequential_read", |bencher| {
        bencher.iter(|| {
            let colour = paint(screen);
            let frame = capture.grab(region).expect("grab");
            assert_eq!(uniform_colour(&frame, &points), colour);
            black_box(read_every_byte(&frame));
        });
    });
    for (name, damage) in [("stream_read", true), ("stream_read_whole_frames", false)] {
        let mut stream = capture
            .stream(&StreamOptions::new().use_damage(damage))
            .expect("stream");
        screen
            .scene()
            .assert_frame(&stream.next_frame().expect("frame").frame);
        eprintln!("mss-bench: changing {name}: {}", stream.describe());
        group.bench_function(name, |bencher| {
            bencher.iter(|| {
                paint(screen);
                let frame = stream.next_frame().expect("frame").frame;
                let shown = uniform_colour(&frame, &points);
                assert!(COLOURS.contains(&shown), "{shown:?} is neither colour");
                black_box(read_every_byte(&frame));
            });
        });
        // After timing: once the painting stops, the frames in flight are followed by whole
        // frames of exactly the screen.
        paint(screen);
        for _ in 0..2 {
            drop(stream.next_frame().expect("frame"));
        }
        screen
            .scene()
            .assert_frame(&stream.next_frame().expect("frame").frame);
    }
    group.finish();
}

/// The two colours the square takes in turn.
const COLOURS: [Rgba; 2] = [Rgba::rgb(0xE0, 0x30, 0x10), Rgba::rgb(0x10, 0x90, 0xF0)];

/// Checks that the square shows `colour` in `frame` (every pixel of it).
fn assert_square(frame: &Frame, square: Region, colour: Rgba) {
    let (left, top) = (
        (square.left() - frame.region().left()) as u32,
        (square.top() - frame.region().top()) as u32,
    );
    for y in top..top + square.height() {
        for x in left..left + square.width() {
            assert_eq!(frame.pixel(x, y), Some(colour), "square pixel ({x}, {y})");
        }
    }
}

/// The next frame of a changes-only stream after the square was painted `colour`: exactly the
/// square changed, and it shows.
fn check(stream: &mut dyn FrameStream, square: Region, colour: Rgba) -> StreamFrame {
    let frame = stream.next_frame().expect("frame");
    assert_eq!(frame.changes, Changes::Rectangles(vec![square]));
    assert_square(&frame.frame, square, colour);
    frame
}

pub fn bench_changes(criterion: &mut Criterion, screen: &mut BenchScreen) {
    let size = screen.size();
    let region = size.region();
    let square = Region::new(
        size.width as i32 / 2 - 32,
        size.height as i32 / 2 - 32,
        64,
        64,
    )
    .expect("a 64x64 square");
    let mut group = criterion.benchmark_group(format!("changes_64x64_{}", size.label()));
    group.sampling_mode(SamplingMode::Flat);
    let mut capture = screen.open_shm().expect("SHM capturer");
    let mut turn = 0usize;
    let mut paint = |screen: &mut BenchScreen| {
        turn += 1;
        let colour = COLOURS[turn % 2];
        screen
            .scene_mut()
            .paint_rect(square, colour)
            .expect("painting the square");
        colour
    };

    group.bench_function("paint", |bencher| {
        bencher.iter(|| paint(screen));
    });
    group.bench_function("full_grab", |bencher| {
        bencher.iter(|| {
            let colour = paint(screen);
            let frame = capture.grab(region).expect("grab");
            assert_square(&frame, square, colour);
        });
    });

    let mut stream = capture
        .stream(&StreamOptions::new().changes_only(true))
        .expect("stream");
    screen
        .scene()
        .assert_frame(&stream.next_frame().expect("frame").frame);
    eprintln!("mss-bench: changes_only_stream: {}", stream.describe());
    group.bench_function("changes_only_stream", |bencher| {
        bencher.iter(|| {
            let colour = paint(screen);
            check(stream.as_mut(), square, colour);
        });
    });
    // After timing: whole frames still show exactly the screen, in every slot of the pool.
    for _ in 0..4 {
        let colour = paint(screen);
        let frame = check(stream.as_mut(), square, colour);
        screen.scene().assert_frame(&frame.frame);
    }
    group.finish();
}

/// One subject of [`changing_cpu`]: what it takes per frame, summed over its blocks.
struct CpuSubject<'a> {
    name: &'static str,
    /// `None`: grab then read; `Some`: the stream's next frame, read.
    stream: Option<Box<dyn FrameStream + 'a>>,
    /// Whether a frame is captured and read at all (`false`: the painting alone).
    captures: bool,
    frames: u32,
    wall: Duration,
    ours: Duration,
    server: Duration,
    /// Frames showing the screen before the latest painting (pipelined captures).
    behind: u32,
}

impl CpuSubject<'_> {
    /// Milliseconds per frame.
    fn per_frame(&self, total: Duration) -> f64 {
        total.as_secs_f64() * 1000.0 / f64::from(self.frames)
    }

    /// CPU time per frame, this process and the X server together, in ms.
    fn cpu(&self) -> f64 {
        self.per_frame(self.ours + self.server)
    }

    fn describe(&self) -> String {
        format!(
            "{}: {:.2} ms of CPU a frame (this process {:.2}, Xvfb {:.2}), {:.2} ms of wall \
             time; {} of {} frames show the screen before the latest painting",
            self.name,
            self.cpu(),
            self.per_frame(self.ours),
            self.per_frame(self.server),
            self.per_frame(self.wall),
            self.behind,
            self.frames
        )
    }
}

/// The CPU time a frame costs this process and the X server when the whole screen changes
/// before every frame (as in `changing_stream_WxH`): the painting alone, grab-then-read, the
/// default stream (two in flight) and a stream with one capture in flight, alternated in
/// blocks of frames so that load coming and going falls on all of them. CPU time, unlike wall
/// time, does not grow when other processes take the cores, and it counts the X server's
/// work, which a pipelined stream overlaps with the consumer's instead of waiting for it.
pub fn changing_cpu(screen: &mut BenchScreen, quick: bool) -> Vec<Value> {
    const BLOCK: u32 = 10;
    const SUBJECTS: usize = 4;
    let rounds = if quick { 2 } else { 12 };
    let size = screen.size();
    let region = size.region();
    let points = sample_points(size.width, size.height);
    let server = screen.server_pid();
    let mut grabber = screen.open_shm().expect("SHM capturer");
    let mut stream_capture = screen.open_shm().expect("SHM capturer");
    let mut one_capture = screen.open_shm().expect("SHM capturer");
    let subject = |name, stream, captures| CpuSubject {
        name,
        stream,
        captures,
        frames: 0,
        wall: Duration::ZERO,
        ours: Duration::ZERO,
        server: Duration::ZERO,
        behind: 0,
    };
    let mut subjects: [CpuSubject<'_>; SUBJECTS] = [
        subject("paint", None, false),
        subject("sequential_read", None, true),
        subject(
            "stream_read",
            Some(
                stream_capture
                    .stream(&StreamOptions::new())
                    .expect("stream"),
            ),
            true,
        ),
        subject(
            "stream_read_one_in_flight",
            Some(
                one_capture
                    .stream(&StreamOptions::new().in_flight(1))
                    .expect("stream"),
            ),
            true,
        ),
    ];
    let mut turn = 0usize;
    for round in 0..rounds {
        for index in 0..SUBJECTS {
            // Each round in another order.
            let subject = &mut subjects[(index + round) % SUBJECTS];
            let mut frame_of = |screen: &mut BenchScreen, subject: &mut CpuSubject<'_>| {
                let before = COLOURS[turn % 2];
                turn += 1;
                screen
                    .scene_mut()
                    .paint_rect(region, COLOURS[turn % 2])
                    .expect("painting the screen");
                if !subject.captures {
                    return false;
                }
                let frame = match &mut subject.stream {
                    None => grabber.grab(region).expect("grab"),
                    Some(stream) => stream.next_frame().expect("frame").frame,
                };
                let shown = uniform_colour(&frame, &points);
                assert!(COLOURS.contains(&shown), "{shown:?} is neither colour");
                black_box(read_every_byte(&frame));
                shown == before
            };
            // The frames in flight were captured before this block: not counted.
            for _ in 0..2 {
                frame_of(screen, subject);
            }
            let (start, ours, theirs) = (
                Instant::now(),
                precise_cpu_time(None).expect("own CPU time"),
                precise_cpu_time(Some(server)).expect("Xvfb's CPU time"),
            );
            let mut behind = 0;
            for _ in 0..BLOCK {
                behind += u32::from(frame_of(screen, subject));
            }
            subject.wall += start.elapsed();
            subject.ours += precise_cpu_time(None).expect("own CPU time") - ours;
            subject.server += precise_cpu_time(Some(server)).expect("Xvfb's CPU time") - theirs;
            subject.frames += BLOCK;
            subject.behind += behind;
        }
    }
    let details: Vec<String> = subjects.iter().map(CpuSubject::describe).collect();
    let detail = format!(
        "{}, {rounds} blocks of {BLOCK} frames each, alternated; {}",
        size.label(),
        details.join("; ")
    );
    let [paint, sequential, stream, one] = &subjects;
    let net = |subject: &CpuSubject<'_>| subject.cpu() - paint.cpu();
    let mut measures = Vec::new();
    for subject in [sequential, stream, one] {
        measures.push(measure(
            &format!("changing_stream_cpu/{}_ms", subject.name),
            subject.cpu(),
            "ms",
            (None, None),
            subject.describe(),
        ));
    }
    measures.push(measure(
        "changing_stream_cpu/stream_over_sequential",
        stream.cpu() / sequential.cpu(),
        "ratio",
        (None, None),
        format!(
            "CPU a frame, painting included; net of the painting's CPU: {:.3} (one in flight: \
             {:.3}). {detail}",
            net(stream) / net(sequential),
            net(one) / net(sequential)
        ),
    ));
    measures.push(measure(
        "changing_stream_cpu/one_in_flight_over_sequential",
        one.cpu() / sequential.cpu(),
        "ratio",
        (None, None),
        "CPU a frame, painting included".to_owned(),
    ));
    measures
}
