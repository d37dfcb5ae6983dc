//! The Wayland backend of mss-rs: captures the outputs of a wlroots-based compositor (sway,
//! Hyprland, river, wayfire, labwc, niri, ...) through wlr-screencopy, into pooled shared
//! memory, with zero-copy frames.
//!
//! # How a grab works
//!
//! The capturer keeps a pool of buffers, each a sealed memfd mapping shared with the
//! compositor as one `wl_buffer`. A grab asks for the region of the output it lies on
//! (`capture_output_region`), takes a free buffer of the layout the compositor announces (or
//! makes one), lets the compositor copy the output into it at its next repaint, and returns a
//! frame that *is* that buffer. Dropping the frame, on any thread, returns the buffer to the
//! pool without a word to the compositor. A region across several outputs is captured output
//! by output and assembled with one copy into a new frame.
//!
//! # Empty corners and gaps
//!
//! Outputs of different sizes, or placed apart, leave parts of their bounding box (monitor 0)
//! on no output. Those parts of a frame are black, as an X11 root shows areas outside every
//! monitor: zero bytes, with alpha 0xff where the format has alpha (opaque black). A region
//! that touches no output at all is [`mss_core::Error::RegionOutOfBounds`], whose message
//! names the region and says it lies in the gap between outputs. No frame takes more than
//! 1 GiB (16384x16384 pixels at 4 bytes each; 16384 is the largest texture side of common
//! GPUs, so no output is larger): a larger one, such as monitor 0 of outputs placed far apart,
//! is [`mss_core::Error::Unsupported`] saying so, before anything is copied or allocated.
//!
//! # Buggy and hostile compositors
//!
//! What a compositor sends is checked, and what is kept of it is bounded, so that a compositor
//! that misbehaves gets an error, never a panic, a hang or memory without bound: a buffer
//! whose stride is smaller than a row, or that has no pixels, is not used (the error names
//! it); damage whose coordinates overflow is clamped to the region captured; a frame keeps at
//! most 16 layouts and [`MAX_DAMAGE_RECTANGLES`] damage rectangles (more merge into their
//! bounding box); a wait that reads more than 65,536 events ends with
//! [`mss_core::Error::Protocol`] saying the compositor repeats events without end; output
//! names and descriptions are made [printable](mss_core::printable). The tests hold the
//! backend to this against the test kit's fake compositor, with behaviours that `proptest`
//! generates.
//!
//! # Coordinates
//!
//! Monitors are the compositor's outputs, in its logical coordinates (xdg-output), so that
//! regions mean the same as the desktop's layout; monitor 0 is their bounding box, as on X11.
//! Screencopy delivers device pixels: on an output of scale 1 a region of 640x480 gives a
//! 640x480 frame; on an output of scale 2 it gives 1280x960 (the frame's region then has the
//! region's top-left corner and the delivered size; [`mss_core::Monitor::scale`] says which
//! applies). Rotated and flipped outputs are delivered as the compositor renders them.
//!
//! # Not supported yet
//!
//! GNOME and KDE do not offer wlr-screencopy: opening fails with an error naming the missing
//! protocol. They are captured by the `pipewire` backend (`mss-pipewire`: mutter's own screen
//! cast on GNOME, else the desktop portal's, through PipeWire), which the `mss` facade tries
//! after this one.
//! `ext-image-copy-capture` (wlr-screencopy's successor) and dmabuf buffers are not used.
#![forbid(unsafe_code)]

mod capture;
mod connection;
mod damage;
mod engine;
mod layout;
mod limit;
mod offers;
mod outputs;
mod slot;
mod state;
mod stream;

pub use capture::{DEFAULT_TIMEOUT, WaylandCapture, WaylandOptions};
pub use limit::MAX_DAMAGE_RECTANGLES;

/// The backend's name, as the registry and errors spell it.
pub(crate) const BACKEND_NAME: &str = "wayland";

/// Opens the `wayland` backend on `options.display_name()` (a socket name or path;
/// `$WAYLAND_DISPLAY` when not given) with the options' timeout: the
/// [`mss_core::OpenBackend`] the facade's registry names.
///
/// # Errors
///
/// As [`WaylandCapture::open_with`].
pub fn open(
    options: &mss_core::OpenOptions,
) -> Result<Box<dyn mss_core::Capture>, mss_core::Error> {
    let wayland_options = WaylandOptions::new().timeout(options.wait_timeout());
    let capture = WaylandCapture::open_with(options.display_name(), wayland_options)?;
    Ok(Box::new(capture))
}
