//! Integration tests of the benchmark support: the floors and screens capture real pixels.

mod floors;
