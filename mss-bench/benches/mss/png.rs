//! `encode_WxH`: the place for PNG encoding benchmarks, once the `mss` facade's PNG writer
//! lands.
//!
//! Planned ids, so `cargo xtask bench` can pair them like the others: `encode_1920x1080/png`
//! (the facade writing one scene frame to a `Vec<u8>`) beside `encode_1920x1080/to_rgb` (the
//! conversion it needs at least). The scene is a gradient, not a black frame, so compression
//! does real work. Until then this group registers nothing: a benchmark of code that does not
//! exist yet would only measure a placeholder.

use criterion::Criterion;

/// Registers the PNG encoding benchmarks: none yet (see the module documentation).
pub fn bench(_criterion: &mut Criterion) {}
