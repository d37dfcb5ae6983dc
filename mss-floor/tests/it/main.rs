//! Integration tests of the floors on private Xvfb servers: each floor does the work it stands
//! for (the server writes the region's real pixels, checked against the known scene), and
//! refuses what it cannot measure by name.
#![forbid(unsafe_code)]

mod floors;
