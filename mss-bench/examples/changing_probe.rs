//! Where the time of a frame goes when the whole screen changes before every frame: the
//! painting, grab-then-read and the SHM stream in several settings, alternated in blocks on
//! one private 4K Xvfb, with the CPU time of this process and of Xvfb per frame beside the
//! wall time (CPU time moves far less than wall time when other processes take the cores),
//! and how many frames show the screen before the latest painting (pipelined captures).
//!
//! ```sh
//! cargo run --profile bench -p mss-bench --example changing_probe -- [rounds] [frames] [modes]
//! ```
//!
//! `modes` is a comma-separated list (default `paint,seq,d2,w2,d1,w1`):
//! - `paint`: the painting alone (another X client fills the screen, then waits for Xvfb);
//! - `seq`: paint, an SHM grab of the whole screen, then reading every byte of it;
//! - `seqheld`: the same, but reading the grab before this one (held meanwhile): a frame the
//!   cache no longer holds, read with nothing else under way;
//! - `grab`: grab and read, no painting;
//! - `dN` / `wN`: paint, then the next frame of a stream with damage (`CopyArea` into the
//!   slot) / of whole frames (`ShmGetImage`), `N` captures in flight, read.
//!
//! A `-noread` suffix leaves the reading out, `-nopaint` the painting. With
//! `MSS_PROBE_PERF=DIR`, `perf record` samples Xvfb and this process during each block, into
//! `DIR/MODE.ROUND.data`.
#![forbid(unsafe_code)]

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use mss_bench::{BenchScreen, ScreenSize, precise_cpu_time, read_every_byte};
use mss_core::{Capture as _, FrameStream, Rgba, StreamOptions};
use mss_x11_shm::ShmCapture;

const COLOURS: [Rgba; 2] = [Rgba::rgb(0xE0, 0x30, 0x10), Rgba::rgb(0x10, 0x90, 0xF0)];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Paint,
    Sequential,
    GrabOnly,
    /// Paint, grab, read the grab before this one (held meanwhile): a cold read, no overlap.
    SequentialHeld,
    Stream {
        damage: bool,
        in_flight: usize,
    },
}

struct Mode {
    name: String,
    kind: Kind,
    paint: bool,
    read: bool,
    wall: Duration,
    ours: Duration,
    server: Duration,
    frames: u64,
    colours_behind: u64,
}

fn parse(name: &str) -> Mode {
    let (base, paint) = match name.strip_suffix("-nopaint") {
        Some(base) => (base, false),
        None => (name, true),
    };
    let (base, read) = match base.strip_suffix("-noread") {
        Some(base) => (base, false),
        None => (base, true),
    };
    let kind = match base {
        "paint" => Kind::Paint,
        "seq" => Kind::Sequential,
        "grab" => Kind::GrabOnly,
        "seqheld" => Kind::SequentialHeld,
        _ => {
            let damage = base.starts_with('d');
            assert!(damage || base.starts_with('w'), "unknown mode {name}");
            Kind::Stream {
                damage,
                in_flight: base[1..].parse().expect("dN or wN"),
            }
        }
    };
    Mode {
        name: name.to_owned(),
        kind,
        paint: paint && kind != Kind::GrabOnly,
        read,
        wall: Duration::ZERO,
        ours: Duration::ZERO,
        server: Duration::ZERO,
        frames: 0,
        colours_behind: 0,
    }
}

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let rounds: usize = arguments.first().map_or(6, |value| value.parse().unwrap());
    let frames: usize = arguments.get(1).map_or(40, |value| value.parse().unwrap());
    let names = arguments
        .get(2)
        .map_or("paint,seq,d2,w2,d1,w1", String::as_str);
    let perf_directory = std::env::var("MSS_PROBE_PERF").ok();
    let mut modes: Vec<Mode> = names.split(',').map(parse).collect();

    let size = ScreenSize::new(3840, 2160);
    let region = size.region();
    let mut screen = BenchScreen::start(size).expect("Xvfb");
    let server = screen.server_pid();
    // One capturer per mode, so each stream keeps its pool and slots across blocks.
    let mut captures: Vec<ShmCapture> = modes
        .iter()
        .map(|_| screen.open_shm().expect("SHM capturer"))
        .collect();
    let mut streams: Vec<Option<Box<dyn FrameStream + '_>>> = captures
        .iter_mut()
        .zip(&modes)
        .map(|(capture, mode)| match mode.kind {
            Kind::Stream { damage, in_flight } => {
                let stream = capture
                    .stream(&StreamOptions::new().use_damage(damage).in_flight(in_flight))
                    .expect("stream");
                eprintln!("{}: {}", mode.name, stream.describe());
                Some(stream)
            }
            _ => None,
        })
        .collect();
    // Grabs go through their own capturers; streams borrow theirs, so grabs use a spare one.
    let mut grabber = screen.open_shm().expect("SHM capturer");

    let mut turn = 0usize;
    let mut held: Option<mss_core::Frame> = None;
    for round in 0..rounds {
        for index in 0..modes.len() {
            // A different order each round.
            let index = (index + round) % modes.len();
            let mode = &mut modes[index];
            let stream = &mut streams[index];
            let mut one = |screen: &mut BenchScreen, mode: &Mode| -> bool {
                let colour = COLOURS[turn % 2];
                if mode.paint {
                    turn += 1;
                    screen
                        .scene_mut()
                        .paint_rect(region, COLOURS[turn % 2])
                        .expect("paint");
                }
                let frame = match mode.kind {
                    Kind::Paint => return false,
                    Kind::Sequential | Kind::GrabOnly => grabber.grab(region).expect("grab"),
                    Kind::SequentialHeld => {
                        let new = grabber.grab(region).expect("grab");
                        let Some(old) = held.replace(new) else {
                            return false;
                        };
                        if mode.read {
                            std::hint::black_box(read_every_byte(&old));
                        }
                        return false;
                    }
                    Kind::Stream { .. } => {
                        stream.as_mut().unwrap().next_frame().expect("frame").frame
                    }
                };
                if mode.read {
                    std::hint::black_box(read_every_byte(&frame));
                }
                // Behind: the frame shows the colour before the latest painting.
                mode.paint && frame.pixel(0, 0) == Some(colour)
            };
            // Warm-up: the stream's frames in flight were taken before this block.
            for _ in 0..3 {
                one(&mut screen, mode);
            }
            let perf = perf_directory
                .as_ref()
                .map(|directory| perf_start(directory, &mode.name, round, server));
            let (start, ours, theirs) = (
                Instant::now(),
                precise_cpu_time(None).unwrap(),
                precise_cpu_time(Some(server)).unwrap(),
            );
            let mut behind = 0;
            for _ in 0..frames {
                behind += u64::from(one(&mut screen, mode));
            }
            mode.wall += start.elapsed();
            mode.ours += precise_cpu_time(None).unwrap() - ours;
            mode.server += precise_cpu_time(Some(server)).unwrap() - theirs;
            mode.frames += frames as u64;
            mode.colours_behind += behind;
            if let Some(perf) = perf {
                perf_stop(perf);
            }
        }
    }
    drop(streams);
    for (capture, mode) in captures.iter().zip(&modes) {
        if let Some(stats) = capture.pool_stats() {
            eprintln!("{}: {} segments in its pool", mode.name, stats.live);
        }
    }
    println!(
        "{} rounds x {frames} frames, 3840x2160; per frame, ms (CPU: this process, Xvfb)",
        rounds
    );
    println!("| mode | wall | ours CPU | Xvfb CPU | sum CPU | frames behind the painting |");
    println!("|---|---:|---:|---:|---:|---:|");
    for mode in &modes {
        let per = |total: Duration| total.as_secs_f64() * 1000.0 / mode.frames as f64;
        println!(
            "| {} | {:.3} | {:.3} | {:.3} | {:.3} | {} / {} |",
            mode.name,
            per(mode.wall),
            per(mode.ours),
            per(mode.server),
            per(mode.ours + mode.server),
            mode.colours_behind,
            mode.frames
        );
    }
}

fn perf_start(directory: &str, name: &str, round: usize, server: u32) -> Child {
    let child = Command::new("perf")
        .args(["record", "-q", "-e", "cpu-clock", "-F", "4000", "-g", "-o"])
        .arg(format!("{directory}/{name}.{round}.data"))
        .arg("-p")
        .arg(format!("{server},{}", std::process::id()))
        .spawn()
        .expect("perf");
    std::thread::sleep(Duration::from_millis(300));
    child
}

fn perf_stop(child: Child) {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let mut child = child;
    let _ = child.wait();
}
