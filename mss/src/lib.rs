//! Fast, exact screen capture on X11 and Wayland in a few lines: open the best backend for the
//! session, list monitors, grab a monitor or a region, save a PNG.
//!
//! This is the crate applications use. It picks a backend at run time and hands back an
//! [`Mss`], which is itself a [`Capture`], so everything built on `mss-core` accepts it.
//!
//! # Quick start
//!
//! (The example needs the default features `x11-shm` and `png`.)
#![cfg_attr(
    all(feature = "png", feature = "x11-shm"),
    doc = r####"
```no_run
use mss::prelude::*;

fn main() -> Result<(), mss::Error> {
    // python-mss: `with mss() as sct: sct.shot()`
    let mut screen = mss::open()?;
    screen.grab_monitor(1)?.save_png("monitor-1.png")?;

    // Monitors are numbered as in python-mss: 0 is the whole screen, 1..N the monitors.
    for monitor in screen.monitors()?.monitors() {
        println!("{}x{} at ({}, {})", monitor.width(), monitor.height(), monitor.left(), monitor.top());
    }

    // A region, in absolute screen coordinates; off-screen is an error, never clipped.
    let frame = screen.grab(Region::new(100, 100, 640, 480)?)?;
    let rgb: Vec<u8> = frame.to_rgb();
    # drop(rgb);

    // Every monitor, one file each, named by a python-mss template.
    screen.save(0, "monitor-{mon}-{date:%Y-%m-%d}.png", 6)?;

    // Another display, a given backend, with the mouse pointer drawn in.
    let mut other = mss::Mss::builder()
        .display(":1")
        .backend(mss::Backend::X11_SHM)
        .with_cursor(true)
        .open()?;
    println!("{}", other.status()); // "x11-shm: MIT-SHM, zero-copy"
    other.grab_screen()?.save_png("screen.png")?;
    Ok(())
}
```
"####
)]
//!
//! # Streams
//!
//! For continuous capture (recorders, remote desktops, vision loops), [`Capture::stream`]
//! delivers frames at a rate, optionally only when something changed, each with its sequence
//! number, capture time, the rectangles that changed and the ticks missed since the last one;
//! see [`mss_core::stream`]. With MIT-SHM, captures are kept in flight and each pooled buffer
//! is refilled only where the screen changed (X11 DAMAGE), yet every frame is the whole
//! picture.
#![cfg_attr(
    feature = "x11-shm",
    doc = r####"
```no_run
use mss::prelude::*;
use mss::{Rate, StreamTarget};

fn main() -> Result<(), mss::Error> {
    let mut screen = mss::open()?;
    let options = StreamOptions::new()
        .target(StreamTarget::Monitor(1))
        .rate(Rate::PerSecond(30.0))
        .changes_only(true);
    let mut stream = screen.stream(&options)?;
    for _ in 0..300 {
        let item = stream.next_frame()?;
        println!("frame {} changed {:?}, {} ticks missed", item.sequence, item.changes, item.missed);
    }
    Ok(())
}
```
"####
)]
//!
//! # Choosing a backend
//!
//! Every backend is described once, in the registry behind [`Backend`]: its name (equal to its
//! Cargo feature), the display system it captures, and the function its crate exports to open
//! it (an [`mss_core::OpenBackend`]). A backend is forced by [`MssBuilder::backend`] (the
//! command line's `-b`), else by the `MSS_BACKEND` environment variable (a backend's name, or
//! `auto`); a forced backend is the only one asked, and its error is returned as it is.
//! Otherwise the session's candidates ([`Backend::candidates`]) are asked in order and the
//! first that opens is chosen: on a Wayland session its Wayland backends (`wayland`, for
//! wlroots compositors, then `pipewire`, for GNOME and the desktops with a screen-cast portal),
//! then its X11 ones, which meet XWayland;
//! on X11, `x11-shm`, which grabs
//! into shared memory with no copy and, when MIT-SHM cannot work (extension missing, a TCP
//! display...), falls back to `GetImage` by itself, saying why, then `x11-getimage`. When none
//! opens, [`Error::NoBackendOpened`] lists what each answered. [`Mss::choice`] keeps every
//! answer, and [`Capture::status`] tells which method and which connection are in use, and why a
//! fallback happened. An unknown or not compiled-in name is an error listing the available
//! backends.
//!
//! # Wayland sessions and XWayland
//!
//! On a Wayland desktop, `$DISPLAY` names XWayland, the X server the compositor runs for X11
//! programs. Its root window is not the desktop: in the rootless mode compositors use it holds
//! no pixels at all (each X11 window is drawn into a buffer of its own, and the Wayland windows
//! are not on the X side), so a capture gives black frames that look like a capture that
//! worked; a rootful XWayland's root is an X11 desktop of its own. The X11 backends therefore
//! refuse an XWayland root with [`mss_core::Error::XWaylandRoot`], naming XWayland, saying
//! which kind it is and what to do instead, whether the backend was chosen automatically or
//! named. [`MssBuilder::allow_xwayland`] (`--xwayland` on the command line) captures the root
//! anyway; the status then carries a caveat. The `wayland` backend captures the Wayland desktop
//! itself on wlroots compositors, the `pipewire` backend on GNOME (mutter's own screen cast,
//! no dialog) and on KDE and the other desktops through the screen-cast portal (its dialog
//! once: the portal's restore token is kept, and can be given, [`MssBuilder::restore_token`]).
//!
//! # Cargo features
//!
//! - `x11-shm` (default): the MIT-SHM backend.
//! - `wayland` (default): the wlr-screencopy backend (pure Rust, no libwayland).
//! - `pipewire` (default): screen casts through PipeWire, GNOME's own or the desktop
//!   portal's (libpipewire loaded at run time, so nothing to link or build against).
//! - `x11-getimage`: the plain `GetImage` backend.
//! - `png` (default): [`SavePng`], [`Mss::save`], file name templates ([`render_template`])
//!   and atomic writes; levels and settings are documented in [`png_file`], where the bytes go
//!   (descriptors, FIFOs, atomic files, recordings as `NAME.part`, bounded waits) in
//!   [`destination`]; recordings (PNG sequences, raw frames for ffmpeg) in [`record`].
//! - `image`: `ToImage` conversions to `image::RgbaImage` / `RgbImage` (copies; see its
//!   docs for why there is no zero-copy view).
//! - `simd` (default): frame conversions to RGB(A) (`Frame::to_rgb` and the others, and so PNG
//!   encoding) at about memory speed, compiled for several instruction sets and chosen at run
//!   time (mss-core's `simd` feature). Without it the bytes are the same, RGB about twice as
//!   slow.
//!
//! At least one backend feature is required; without one the build stops with an error
//! naming them.
//!
//! # The pointer
//!
//! [`MssBuilder::with_cursor`] draws the pointer onto each frame: on X11 from XFixes, whose
//! cursor pixels are premultiplied and blended as such, unlike python-mss (see [`cursor`] for
//! the rule and the difference); on Wayland the compositor draws it into the frame.
//! [`Capture::cursor`] reads the pointer's image and place: on X11 from XFixes, on GNOME and
//! through the screen-cast portal from the casts' cursor metadata (the `pipewire` backend);
//! wlr-screencopy has no way to.
#![forbid(unsafe_code)]

mod capturer;
mod choice;
/// Drawing the pointer onto frames: the rule (premultiplied alpha) and the functions.
pub use mss_core::cursor;
#[cfg(feature = "png")]
pub mod destination;
mod error;
#[cfg(feature = "image")]
mod image_interop;
#[cfg(feature = "png")]
pub mod png_file;
#[cfg(feature = "png")]
pub mod record;
mod registry;
#[cfg(feature = "png")]
mod save;
mod session;
pub mod template;

pub use capturer::{DEFAULT_TIMEOUT, Mss, MssBuilder, RESTORE_TOKEN_VARIABLE, open};
pub use choice::{Answer, Candidate, Choice, ForcedBy, Refusals};
pub use error::Error;
#[cfg(feature = "image")]
pub use image_interop::ToImage;
#[cfg(feature = "png")]
pub use png_file::{
    DEFAULT_LEVEL, SavePng, check_level, encode_png, encode_png_rgb, write_png, write_png_with,
};
pub use registry::{BACKEND_ENV_VAR, Backend, backend_from_env};
pub use session::Session;
pub use template::{TemplateValues, render_template};

/// The capture error of [`mss_core`], which [`Capture`] methods return; it converts into
/// [`Error`] with `?`.
pub use mss_core::Error as CaptureError;
pub use mss_core::{
    BackendStatus, Capture, Changes, CursorImage, DisplaySystem, Frame, FrameStream, Monitor,
    Monitors, OpenOptions, PixelFormat, Rate, Region, Rgba, ScreenInfo, StreamFrame, StreamOptions,
    StreamTarget, Window, WindowProblem,
};

/// The traits and types most programs need: `use mss::prelude::*;`.
pub mod prelude {
    #[cfg(feature = "png")]
    pub use crate::SavePng;
    #[cfg(feature = "image")]
    pub use crate::ToImage;
    pub use crate::{Capture, Frame, FrameStream, Mss, Region, StreamOptions};
}
