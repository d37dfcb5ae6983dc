//! The `fake` backend of mss-rs: a screen of no display server, showing the test kit's known
//! pattern ([`mss_testkit::FakeCapture`]), opened through the facade's registry like any other
//! backend.
//!
//! It exists for two reasons. Tests of the facade can open a backend by name, through the
//! registry, on a machine with no display server. And it is the proof that a backend plugs in
//! with one crate, one feature line and one registry line: this crate exports [`open`], the
//! facade's `Cargo.toml` has `fake = ["dep:mss-fake"]`, and its registry has the entry `FAKE`.
//! Its display system is [`mss_core::DisplaySystem::Virtual`], so the automatic choice never
//! takes it; it is opened only when named (`MSS_BACKEND=fake`, `Backend::FAKE`).
//!
//! # The display name
//!
//! `fake` or `fake:WIDTHxHEIGHT` (for example `fake:640x480`); without a name, `$MSS_FAKE_DISPLAY`,
//! else a 640x480 screen. The screen has one monitor covering it, in
//! [`mss_core::PixelFormat::Bgrx8888`].
#![forbid(unsafe_code)]

use mss_core::{Capture, Error, OpenOptions};
use mss_testkit::FakeCapture;

/// The size of the screen when the display name does not give one.
pub const DEFAULT_SIZE: (u32, u32) = (640, 480);

/// Opens the fake backend: the [`mss_core::OpenBackend`] the facade's registry names.
///
/// # Errors
///
/// [`Error::DisplayUnavailable`] for a display name that is not `fake` or `fake:WxH` with a
/// size of at least 1x1 and at most 32767 on a side, naming it.
pub fn open(options: &OpenOptions) -> Result<Box<dyn Capture>, Error> {
    let name = match options.display_name() {
        Some(name) => name.to_owned(),
        None => std::env::var("MSS_FAKE_DISPLAY").unwrap_or_else(|_| "fake".to_owned()),
    };
    let (width, height) = parse_display(&name).map_err(|reason| Error::DisplayUnavailable {
        display: name.clone(),
        reason,
        source: None,
    })?;
    Ok(Box::new(FakeCapture::new(width, height).with_display(name)))
}

/// The screen size a display name asks for.
fn parse_display(name: &str) -> Result<(u32, u32), String> {
    let size = match name.strip_prefix("fake") {
        Some("") => return Ok(DEFAULT_SIZE),
        Some(rest) => rest.strip_prefix(':'),
        None => None,
    };
    let Some(size) = size else {
        return Err("the fake backend's displays are named `fake` or `fake:WIDTHxHEIGHT`".into());
    };
    let parse = |text: &str| {
        text.parse::<u32>()
            .ok()
            .filter(|side| (1..=i16::MAX as u32).contains(side))
    };
    size.split_once('x')
        .and_then(|(width, height)| Some((parse(width)?, parse(height)?)))
        .ok_or_else(|| format!("the size {size:?} is not WIDTHxHEIGHT, each 1 to 32767"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_give_the_screen_size_or_say_what_is_wrong() {
        assert_eq!(parse_display("fake"), Ok(DEFAULT_SIZE));
        assert_eq!(parse_display("fake:320x200"), Ok((320, 200)));
        assert_eq!(parse_display("fake:1x32767"), Ok((1, 32767)));
        for bad in [
            "",
            ":0",
            "fake:",
            "fake:0x10",
            "fake:10x",
            "fake:10x40000",
            "fakes",
        ] {
            assert!(parse_display(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_bad_name_is_a_display_error_naming_it() {
        let Err(error) = open(&OpenOptions::new().display("fake:wide")) else {
            panic!("a bad display name opened");
        };
        assert!(
            matches!(&error, Error::DisplayUnavailable { display, .. } if display == "fake:wide"),
            "{error:?}"
        );
    }
}
