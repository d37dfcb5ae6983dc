//! Integration tests of the benchmark support: the screens capture real pixels with every
//! backend and floor.
#![forbid(unsafe_code)]

mod screens;
