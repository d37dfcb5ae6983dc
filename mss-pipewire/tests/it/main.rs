//! Integration tests of the `pipewire` backend against a headless mutter (GNOME's compositor
//! with virtual monitors, on a private session bus with PipeWire and WirePlumber), showing
//! the test kit's pattern full-screen on every monitor; every pixel of every frame is
//! compared with it.
//!
//! - `client`: mutter's D-Bus client: the monitors, casts, refusals.
//! - `cursor`: the pointer read from the casts' cursor metadata, put at known places with a
//!   virtual pointer and compared with the theme's image and with mutter's own drawing.
//! - `grabs`: the first frame of a cast, exact pixels of every region, zero copy (frames in
//!   the memfds mutter maps), an idle screen answered at once, frames outliving everything.
//! - `monitors`: two monitors side by side, regions across them and in the gap between.
//! - `changes`: changes reaching grabs and streams, changes-only, rates.
//! - `buffers`: frames holding mutter's buffers, up to what it can spare.
//! - `failures`: refusals at open, mutter or PipeWire killed while capturing.
//! - `portal`: the screen-cast portal (the real xdg-desktop-portal with the test kit's
//!   backend): its streams as monitors, the restore token, refusals, the producer killed.
#![forbid(unsafe_code)]

mod buffers;
mod changes;
mod client;
mod cursor;
mod failures;
mod grabs;
mod monitors;
mod portal;
mod support;
