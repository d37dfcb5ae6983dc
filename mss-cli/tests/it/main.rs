//! End-to-end tests of the `mss` binary against private X servers and Wayland compositors
//! (sway, mutter).
#![forbid(unsafe_code)]

mod commands;
mod errors;
mod gnome;
mod output;
mod record;
mod shots;
mod support;
mod wayland;
mod windows;
mod xwayland;
