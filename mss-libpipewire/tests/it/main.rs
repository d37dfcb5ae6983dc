//! Integration tests of the libpipewire FFI.
//!
//! - `lifecycle`: objects made, connected and dropped in every order, with no daemon (a
//!   socket pair stands in for one), so the ownership rules are exercised under valgrind.
//! - `screencast`: a stream connected to a real screen cast (GNOME's mutter, headless), its
//!   format negotiated, a frame mapped and compared pixel by pixel with what the screen shows.
#![forbid(unsafe_code)]

mod lifecycle;
mod screencast;
