//! `window_WxH`: one window, a quarter of it covered by another, captured whole, on an Xvfb
//! of its own (so the other groups' screens keep showing the scene they were checked with).
//!
//! - `shm`: `ShmCapture::grab_window` (the window checked, its Composite pixmap named, read
//!   into a pooled segment, the pixmap freed: one round trip in all), frame dropped; timed
//!   alternately with `shm_region`.
//! - `floor_shm_libxcb`: `ShmGetImage` of the window's pixmap, named once, into one reused
//!   segment over libxcb: the least a window capture can cost.
//! - `getimage` and `floor_getimage_libxcb`: the same over core `GetImage`.
//! - `shm_region`: an SHM grab of the screen region the window occupies, what the same number
//!   of pixels costs without a window (its covered quarter would show the cover).
//!
//! Every capture and floor is checked against the window's contents before anything is timed.

use std::hint::black_box;

use criterion::{Criterion, SamplingMode, Throughput};
use mss_bench::{BenchScreen, ScreenSize};
use mss_core::{Capture as _, Frame, PixelFormat, Region};
use mss_floor::{GetImageFloor, ShmFloor};
use mss_testkit::TestWindows;

use crate::grab::alternate;

pub fn bench(criterion: &mut Criterion, size: ScreenSize, placed: Region) {
    let screen = BenchScreen::start(size)
        .unwrap_or_else(|error| panic!("{error}\n(run `cargo xtask bench`, which installs Xvfb)"));
    let display = screen.display();
    let mut windows = TestWindows::connect(display).expect("a client for the windows");
    let window = windows
        .create(placed, "mss-bench window", ("bench", "MssBench"), 7)
        .expect("the window");
    let (width, height) = (placed.width() / 2, placed.height() / 2);
    let cover = Region::new(
        placed.left() + width as i32,
        placed.top() + height as i32,
        width,
        height,
    )
    .expect("the cover's region");
    windows
        .create(cover, "cover", ("cover", "MssBench"), 8)
        .expect("the covering window");
    let id = u64::from(window);

    let mut shm = screen.open_shm().expect("SHM capturer");
    let mut getimage = screen.open_getimage().expect("GetImage capturer");
    let shm_floor = ShmFloor::open_window(display, window).expect("SHM window floor");
    let getimage_floor =
        GetImageFloor::open_window(display, window).expect("GetImage window floor");

    // Checked before timed: every path shows the window whole, the covered quarter included.
    windows.assert_window_frame(window, &shm.grab_window(id).expect("SHM window grab"));
    assert!(
        shm.is_shm_active() && shm.status().caveats.is_empty(),
        "the SHM backend fell back or reads windows another way: {}",
        shm.status()
    );
    windows.assert_window_frame(window, &getimage.grab_window(id).expect("window grab"));
    shm_floor.grab().expect("ShmGetImage of the pixmap");
    let floor_frame = |bytes| Frame::from_vec(bytes, placed, PixelFormat::Bgrx8888).unwrap();
    windows.assert_window_frame(window, &floor_frame(shm_floor.read_back().unwrap()));
    let reply = getimage_floor.grab().expect("GetImage of the pixmap");
    windows.assert_window_frame(window, &floor_frame(reply.data().to_vec()));
    eprintln!(
        "mss-bench: window {id:#x} {placed} on {display}, a quarter covered, checked on every backend and floor"
    );

    let group_name = format!("window_{}x{}", placed.width(), placed.height());
    let mut group = criterion.benchmark_group(&group_name);
    group.throughput(Throughput::Bytes(placed.area() * 4));
    group.sampling_mode(SamplingMode::Flat);
    // The claim: a window costs little more than a region of its size, timed alternately.
    let mut region_shm = screen.open_shm().expect("SHM capturer");
    alternate(
        &mut group,
        &group_name,
        ("shm", || {
            drop(black_box(shm.grab_window(id).expect("SHM window grab")));
        }),
        ("shm_region", || {
            drop(black_box(region_shm.grab(placed).expect("SHM grab")));
        }),
    );
    group.bench_function("floor_shm_libxcb", |bencher| {
        bencher.iter(|| black_box(shm_floor.grab().expect("ShmGetImage")));
    });
    alternate(
        &mut group,
        &group_name,
        ("getimage", || {
            drop(black_box(getimage.grab_window(id).expect("window grab")));
        }),
        ("floor_getimage_libxcb", || {
            drop(black_box(getimage_floor.grab().expect("GetImage")));
        }),
    );
    group.finish();
}
