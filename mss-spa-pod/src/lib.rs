//! SPA PODs for mss-rs: the parameters of a PipeWire screen-cast stream, encoded and parsed in
//! safe Rust.
//!
//! # What it is for
//!
//! A PipeWire stream negotiates with parameters in SPA's "plain old data" format (PODs): the
//! formats it accepts (`EnumFormat`), the format agreed (`Format`), the buffers and metadata
//! it wants (`Buffers`, `Meta`). libspa builds and parses them with C macros and inline
//! functions, which a Rust program could only use through generated bindings (bindgen, so
//! libclang and the C headers at build time). PODs are plain bytes with a documented layout
//! (`spa/pod/pod.h`), so this crate writes and reads the few the capture needs itself, and
//! the FFI crate (`mss-libpipewire`) hands them to libpipewire as bytes.
//!
//! # The layout
//!
//! Every POD is a header of two native-endian 32-bit words, the body's size in bytes and its
//! type ([`ids::pod_type`]), then the body, padded with zeros to a multiple of 8 bytes. An
//! object's body is its object type and parameter id, then properties: a key, flags, and a
//! POD value. A choice's body is its kind ([`ids::choice`]), flags, a header for its child
//! type (the size of one element, the type), then the elements packed.
//!
//! The encoders produce exactly what libspa's `spa_pod_builder` produces for the same
//! parameters: the tests compare them byte for byte with reference encodings made by libspa
//! 0.3.65. The parser checks every offset against the bytes it was given, so a malformed
//! parameter from another process is an error, never a read out of bounds.
//!
//! # Who uses it
//!
//! The PipeWire backend, and the tests of `mss-libpipewire` that connect streams. It depends
//! on no crate of the workspace.
#![forbid(unsafe_code)]

mod build;
pub mod ids;
mod parse;
mod video;

pub use build::{Choice, ChoiceValues, PropertyValue, Value, object};
pub use parse::{ChoicePod, Object, Pod, Property};
pub use video::{MetaSize, VideoFormat, VideoFormatInfo, buffers, enum_format_raw_video, meta};

/// A width and height (`struct spa_rectangle`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Rectangle {
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl Rectangle {
    /// A rectangle of `width` x `height`.
    pub const fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }
}

/// A numerator and denominator (`struct spa_fraction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Fraction {
    /// Numerator.
    pub num: u32,
    /// Denominator.
    pub denom: u32,
}

impl Fraction {
    /// The fraction `num / denom`.
    pub const fn new(num: u32, denom: u32) -> Self {
        Self { num, denom }
    }
}

/// A POD that cannot be read as what it was expected to be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PodError {
    /// A header or body goes past the end of the bytes.
    #[error("the POD is truncated (at byte {offset} of the part being read)")]
    Truncated {
        /// Where the read failed, from the start of the part being read.
        offset: usize,
    },
    /// A value of another type than expected.
    #[error("expected a POD of type {expected}, found type {found}")]
    WrongType {
        /// The type wanted (a `pod_type::*`).
        expected: u32,
        /// The type found.
        found: u32,
    },
    /// A choice whose elements do not divide its body.
    #[error("a choice has elements of {child_size} bytes in {bytes} bytes")]
    BadChoice {
        /// The element size its header gives.
        child_size: u32,
        /// The bytes of elements.
        bytes: usize,
    },
    /// A format that is not raw video.
    #[error("the format is not raw video: {what}")]
    NotRawVideo {
        /// What it is instead.
        what: String,
    },
    /// A property the format needs is missing.
    #[error("the format has no property {key:#x}")]
    MissingKey {
        /// The key.
        key: u32,
    },
}

#[cfg(test)]
mod tests;
