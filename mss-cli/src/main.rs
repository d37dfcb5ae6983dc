//! Work in progress: the mss command line.
#![forbid(unsafe_code)]
fn main() {}
