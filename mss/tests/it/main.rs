//! Integration tests of the mss facade against private X servers.

mod capture;
mod cursor;
