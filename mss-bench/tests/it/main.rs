//! Integration tests of the benchmark support.
//!
//! - `screens`: the screens capture real pixels with every backend and floor.
//! - `producer`: the PipeWire measures' producer (the test kit's repainting window on mutter)
//!   numbers every frame a stream of the pipewire backend shows.
#![forbid(unsafe_code)]

mod producer;
mod screens;
