//! Work in progress: benchmarks.
#![forbid(unsafe_code)]
