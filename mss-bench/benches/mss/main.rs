//! The mss-rs benchmarks, with their floors, in one criterion binary.
//!
//! The binary starts its own Xvfb servers (one per screen size of the [`BenchPlan`]), paints
//! the known scene, checks that every backend and floor captures it exactly, and only then
//! times. Benchmark ids pair each subject with its floor inside one group, for example
//! `grab_1920x1080/shm` with `grab_1920x1080/floor_shm_libxcb` and `grab_1920x1080/memcpy`;
//! `cargo xtask bench` computes the ratios. `--quick` (criterion's flag) also selects the small
//! smoke plan.
#![forbid(unsafe_code)]

mod convert;
mod grab;
mod interleave;
mod measure_file;
mod measures;
mod pipewire;
mod png;
mod pool;
mod region;
mod stream;
mod threads;
mod wayland;
mod window;

use std::time::Duration;

use criterion::Criterion;
use mss_bench::{BenchPlan, BenchScreen};

fn main() {
    let plan = BenchPlan::from_arguments(std::env::args());
    // Defaults sized so the full run stays well under ten minutes on two cores; flags given
    // on the command line (`--measurement-time`, `--sample-size`, ...) override them.
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(40)
        .configure_from_args();

    let screens: Vec<BenchScreen> = plan
        .screens
        .iter()
        .map(|&size| {
            let screen = BenchScreen::start(size).unwrap_or_else(|error| {
                panic!("{error}\n(run `cargo xtask bench`, which installs Xvfb)")
            });
            screen
                .check_backends(size.region())
                .and_then(|()| screen.check_backends(plan.region))
                .unwrap_or_else(|error| panic!("before timing anything: {error}"));
            eprintln!(
                "mss-bench: Xvfb {} at {}, scene checked on every backend and floor",
                size.label(),
                screen.display()
            );
            screen
        })
        .collect();

    for screen in &screens {
        grab::bench(&mut criterion, screen);
    }
    region::bench(&mut criterion, &screens[0], plan.region);
    threads::bench(&mut criterion, &screens[0]);
    for screen in &screens {
        convert::bench(&mut criterion, screen);
    }
    pool::bench(&mut criterion);
    png::bench(&mut criterion, plan.screens[0]);

    // Streams on the largest screen; the changing square and the screen changing whole on a
    // screen of their own, so the others keep showing the scene they were checked with.
    let largest = screens.last().expect("a plan has screens");
    stream::bench(&mut criterion, largest);
    let mut changing = BenchScreen::start(largest.size())
        .unwrap_or_else(|error| panic!("{error}\n(run `cargo xtask bench`, which installs Xvfb)"));
    stream::bench_changes(&mut criterion, &mut changing);
    stream::bench_changing(&mut criterion, &mut changing);
    let changing_cpu = stream::changing_cpu(&mut changing, plan.quick);
    drop(changing);
    window::bench(&mut criterion, plan.screens[0], plan.region);

    criterion.final_summary();
    interleave::report_paired();
    let run_for = if plan.quick {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(10)
    };
    let mut measures = measures::run(largest, run_for);
    measures.extend(changing_cpu);
    measures.extend(wayland::measures(plan.quick));
    measures.extend(pipewire::measures(plan.quick));
    measure_file::write(measures);
}
