//! Turning x11rb's errors into [`mss_core::Error`], naming the display and the request.

use mss_core::{Error, Region};

use crate::connect::AutoConnectError;
use crate::connection::{ExpiredWait, X11Connection};
use x11rb::errors::{ConnectError, ConnectionError, ReplyError};
use x11rb::x11_utils::X11Error;

/// What the error mappings need to know of a connection: whether a wait on it outlived its
/// deadline. Every [`X11Connection`] tells.
pub(crate) trait Deadlines {
    /// See [`X11Connection::expired_wait`].
    fn expired(&self) -> Option<ExpiredWait>;
}

impl<C: X11Connection + ?Sized> Deadlines for C {
    fn expired(&self) -> Option<ExpiredWait> {
        self.expired_wait()
    }
}

/// The connection broke (or could not send): the capturer is unusable from now on. When it
/// broke because a wait outlived its deadline, the first such error is
/// [`Error::Timeout`].
pub(crate) fn connection_lost<C: Deadlines + ?Sized>(
    connection: &C,
    display: &str,
    error: ConnectionError,
) -> Error {
    match connection.expired() {
        Some(expired) => timeout_error(display, expired, "the server to answer"),
        None => Error::ConnectionLost {
            display: display.to_owned(),
            reason: error.to_string(),
            source: Some(Box::new(error)),
        },
    }
}

/// A wait on `display` outlived its deadline while waiting for `waiting_for`: a timeout the
/// first time it is reported, a closed connection saying why every later time.
fn timeout_error(display: &str, expired: ExpiredWait, waiting_for: &str) -> Error {
    let seconds = expired.timeout.as_secs_f64();
    if expired.first_report {
        Error::Timeout {
            display: display.to_owned(),
            waiting_for: waiting_for.to_owned(),
            seconds,
        }
    } else {
        Error::ConnectionLost {
            display: display.to_owned(),
            reason: format!(
                "it was closed when the display did not answer within {seconds} s; open a new \
                 capturer"
            ),
            source: None,
        }
    }
}

/// Connecting to `display` failed.
pub(crate) fn display_unavailable(display: &str, error: AutoConnectError) -> Error {
    let error = match error {
        AutoConnectError::Connect(error) => error,
        AutoConnectError::Timeout {
            waiting_for,
            timeout,
        } => {
            return Error::Timeout {
                display: display.to_owned(),
                waiting_for,
                seconds: timeout.as_secs_f64(),
            };
        }
        AutoConnectError::LibxcbUnavailable(load_error) => {
            return Error::DisplayUnavailable {
                display: display.to_owned(),
                reason: format!(
                    "libxcb was asked for and could not be loaded ({load_error}); install libxcb1 \
                     or let the connection fall back to pure Rust"
                ),
                source: Some(Box::new(load_error)),
            };
        }
    };
    let reason = match &error {
        ConnectError::DisplayParsingError(_) => format!("the display name is malformed ({error})"),
        ConnectError::IoError(_) => format!("no X server answers there ({error})"),
        ConnectError::SetupAuthenticate(_) | ConnectError::SetupFailed(_) => {
            format!("the server refused the connection ({error})")
        }
        _ => error.to_string(),
    };
    Error::DisplayUnavailable {
        display: display.to_owned(),
        reason,
        source: Some(Box::new(error)),
    }
}

/// A request failed: a server error becomes [`Error::Protocol`] naming `request`, the error
/// kind and the display; a broken connection becomes [`Error::ConnectionLost`], or
/// [`Error::Timeout`] naming `request` when it broke because the wait outlived its deadline.
pub(crate) fn reply_error<C: Deadlines + ?Sized>(
    connection: &C,
    display: &str,
    request: &'static str,
    error: ReplyError,
) -> Error {
    match error {
        ReplyError::ConnectionError(error) => match connection.expired() {
            Some(expired) => timeout_error(display, expired, request),
            None => connection_lost(connection, display, error),
        },
        ReplyError::X11Error(x11_error) => Error::Protocol {
            display: display.to_owned(),
            request,
            message: describe_x11_error(&x11_error),
            source: Some(Box::new(ReplyError::X11Error(x11_error))),
        },
    }
}

/// Describes a server error: `BadMatch (error code 8, major opcode 73, minor opcode 0, bad value 0x1ab)`.
pub fn describe_x11_error(error: &X11Error) -> String {
    // Core errors print as `Match`; extension errors already carry `Bad` (`RandrBadOutput`).
    let kind = format!("{:?}", error.error_kind);
    let kind = if kind.contains("Bad") || kind.starts_with("Unknown") {
        kind
    } else {
        format!("Bad{kind}")
    };
    format!(
        "{kind} (error code {}, major opcode {}, minor opcode {}, bad value {:#x})",
        error.error_code, error.major_opcode, error.minor_opcode, error.bad_value
    )
}

/// The server sent an image whose depth or visual is not the root window's.
pub(crate) fn unexpected_visual(
    display: &str,
    request: &'static str,
    expected: (u8, u32),
    actual: (u8, u32),
) -> Error {
    Error::Protocol {
        display: display.to_owned(),
        request,
        message: format!(
            "the server returned an image of depth {} with visual {:#x}, but the screen has depth \
             {} with visual {:#x}",
            actual.0, actual.1, expected.0, expected.1
        ),
        source: None,
    }
}

/// Checks `region` against the screen rectangle `screen` and converts it to the protocol's
/// `int16` position and `uint16` size.
///
/// # Errors
///
/// [`Error::RegionOutOfBounds`] when the region is not entirely inside `screen`;
/// [`Error::InvalidRegion`] when it is inside but cannot be expressed in the protocol's
/// 16-bit fields (only possible for screens wider than 32767 pixels, which X cannot have).
pub(crate) fn region_to_protocol(
    display: &str,
    region: Region,
    screen: Region,
) -> Result<(i16, i16, u16, u16), Error> {
    if !screen.contains(&region) {
        return Err(Error::RegionOutOfBounds {
            display: display.to_owned(),
            region,
            screen,
        });
    }
    let converted = (
        i16::try_from(region.left()),
        i16::try_from(region.top()),
        u16::try_from(region.width()),
        u16::try_from(region.height()),
    );
    match converted {
        (Ok(x), Ok(y), Ok(width), Ok(height)) => Ok((x, y, width, height)),
        _ => Err(Error::InvalidRegion {
            region: region.to_string(),
            reason: "X11 positions must fit in 16 signed bits and sizes in 16 unsigned bits"
                .to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rstest::rstest;
    use x11rb::protocol::ErrorKind;

    use super::*;

    /// A connection without deadlines.
    struct NoDeadline;

    impl Deadlines for NoDeadline {
        fn expired(&self) -> Option<ExpiredWait> {
            None
        }
    }

    /// A connection whose wait expired; `first` says whether it is the first report.
    struct Expired(bool);

    impl Deadlines for Expired {
        fn expired(&self) -> Option<ExpiredWait> {
            Some(ExpiredWait {
                timeout: std::time::Duration::from_millis(2500),
                first_report: self.0,
            })
        }
    }

    #[test]
    fn an_expired_wait_is_a_timeout_once_then_a_closed_connection_saying_why() {
        let lost = || ReplyError::ConnectionError(ConnectionError::UnknownError);
        let error = reply_error(&Expired(true), ":4", "GetImage", lost());
        assert!(
            matches!(&error, Error::Timeout { display, waiting_for, seconds }
                if display == ":4" && waiting_for == "GetImage" && *seconds == 2.5),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "display \":4\" did not answer within 2.5 s while waiting for GetImage; the \
             connection was closed, so this capturer cannot be used again"
        );
        let later = reply_error(&Expired(false), ":4", "GetImage", lost());
        assert!(
            matches!(&later, Error::ConnectionLost { reason, .. }
                if reason.contains("did not answer within 2.5 s")),
            "{later:?}"
        );
        let unsent = connection_lost(&Expired(true), ":4", ConnectionError::UnknownError);
        assert!(
            matches!(&unsent, Error::Timeout { waiting_for, .. } if waiting_for == "the server to answer"),
            "{unsent:?}"
        );
        // A server error is what it is, deadline or not.
        let x11_error = X11Error {
            error_kind: ErrorKind::Match,
            error_code: 8,
            sequence: 5,
            bad_value: 0,
            minor_opcode: 0,
            major_opcode: 73,
            extension_name: None,
            request_name: Some("GetImage"),
        };
        let refused = reply_error(
            &Expired(true),
            ":4",
            "GetImage",
            ReplyError::X11Error(x11_error),
        );
        assert!(matches!(refused, Error::Protocol { .. }), "{refused:?}");
    }

    fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
        Region::new(left, top, width, height).unwrap()
    }

    fn screen() -> Region {
        region(0, 0, 640, 480)
    }

    #[rstest]
    #[case(region(0, 0, 640, 480), (0, 0, 640, 480))]
    #[case(region(639, 479, 1, 1), (639, 479, 1, 1))]
    #[case(region(10, 20, 30, 40), (10, 20, 30, 40))]
    fn regions_inside_convert(#[case] inside: Region, #[case] expected: (i16, i16, u16, u16)) {
        assert_eq!(
            region_to_protocol(":3", inside, screen()).unwrap(),
            expected
        );
    }

    #[rstest]
    #[case::partly_right(region(600, 0, 41, 10))]
    #[case::partly_below(region(0, 470, 10, 11))]
    #[case::partly_left(region(-1, 0, 10, 10))]
    #[case::wholly_off(region(1000, 1000, 10, 10))]
    #[case::beyond_int16(region(40_000, 0, 10, 10))]
    #[case::beyond_uint16_size(region(0, 0, 70_000, 10))]
    #[case::far_negative(region(i32::MIN, i32::MIN, 10, 10))]
    fn regions_outside_are_out_of_bounds(#[case] outside: Region) {
        let error = region_to_protocol(":3", outside, screen()).unwrap_err();
        assert!(
            matches!(&error, Error::RegionOutOfBounds { display, region, screen: s }
                if display == ":3" && *region == outside && *s == screen()),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "region {outside} is not inside the screen of display \":3\", which is 640x480 at (0, 0)"
            )
        );
    }

    #[test]
    fn x11_errors_name_request_kind_and_display() {
        let x11_error = X11Error {
            error_kind: ErrorKind::Match,
            error_code: 8,
            sequence: 5,
            bad_value: 0x1ab,
            minor_opcode: 0,
            major_opcode: 73,
            extension_name: None,
            request_name: Some("GetImage"),
        };
        let error = reply_error(
            &NoDeadline,
            ":3",
            "GetImage",
            ReplyError::X11Error(x11_error),
        );
        assert!(matches!(
            error,
            Error::Protocol {
                request: "GetImage",
                ..
            }
        ));
        assert_eq!(
            error.to_string(),
            "display \":3\": GetImage failed: BadMatch (error code 8, major opcode 73, minor \
             opcode 0, bad value 0x1ab)"
        );
        let error = reply_error(
            &NoDeadline,
            ":3",
            "GetImage",
            ReplyError::ConnectionError(ConnectionError::UnknownError),
        );
        assert!(
            matches!(&error, Error::ConnectionLost { display, .. } if display == ":3"),
            "{error:?}"
        );
    }

    proptest! {
        #[test]
        fn accepted_regions_are_inside_and_exact(
            left in -100i32..800, top in -100i32..600, width in 1u32..800, height in 1u32..600,
        ) {
            let asked = region(left, top, width, height);
            match region_to_protocol(":3", asked, screen()) {
                Ok((x, y, w, h)) => {
                    prop_assert!(screen().contains(&asked));
                    prop_assert_eq!(
                        (i32::from(x), i32::from(y), u32::from(w), u32::from(h)),
                        (left, top, width, height)
                    );
                }
                Err(Error::RegionOutOfBounds { .. }) => prop_assert!(!screen().contains(&asked)),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}
