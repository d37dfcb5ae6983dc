//! Integration tests of the libpipewire FFI.
//!
//! - `lifecycle`: objects made, connected and dropped in every order, with no daemon (a
//!   socket pair stands in for one), so the ownership rules are exercised under valgrind.
#![forbid(unsafe_code)]

mod lifecycle;
