//! Work in progress: the mss facade.
#![forbid(unsafe_code)]
