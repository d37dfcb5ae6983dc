//! Parsing `-c/--coordinates` and `--region`, and placing them on the screen.
//!
//! Two notations, as python-mss's `-c` accepts them:
//!
//! - `TOP,LEFT,WIDTH,HEIGHT` (python-mss's order; `--region` takes `LEFT,TOP,WIDTH,HEIGHT`),
//!   where top and left may be negative;
//! - X11 geometry `WxH{+|-}[+|-]X{+|-}[+|-]Y`, as `XParseGeometry` reads it: the first sign
//!   after the size says which edge the offset is from (`+` left/top, `-` right/bottom), an
//!   optional second sign makes the offset negative. `100x50-10-10` is 10 pixels in from the
//!   bottom-right corner. Whitespace around the parts is allowed; hexadecimal is not.

use std::fmt;

/// A parsed position and size, not yet placed on a screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Offset from the left edge, or from the right edge when `from_right`.
    pub x: i64,
    /// Offset from the top edge, or from the bottom edge when `from_bottom`.
    pub y: i64,
    /// Width in pixels (at least 1).
    pub width: i64,
    /// Height in pixels (at least 1).
    pub height: i64,
    /// The X offset counts from the right edge.
    pub from_right: bool,
    /// The Y offset counts from the bottom edge.
    pub from_bottom: bool,
}

/// The order of the comma-separated notation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommaOrder {
    /// `TOP,LEFT,WIDTH,HEIGHT`: python-mss's `-c`.
    TopLeft,
    /// `LEFT,TOP,WIDTH,HEIGHT`: `--region`.
    LeftTop,
}

/// A geometry that cannot be parsed: the text and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeometryError {
    /// The text as given.
    pub text: String,
    /// What is wrong, and the accepted syntax.
    pub reason: String,
}

impl fmt::Display for GeometryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad geometry {:?}: {}", self.text, self.reason)
    }
}

impl std::error::Error for GeometryError {}

/// Parses either notation.
///
/// # Errors
///
/// A [`GeometryError`] naming the text and the syntax expected.
pub fn parse_geometry(text: &str, order: CommaOrder) -> Result<Geometry, GeometryError> {
    let syntax = match order {
        CommaOrder::TopLeft => "expected TOP,LEFT,WIDTH,HEIGHT or WIDTHxHEIGHT+LEFT+TOP",
        CommaOrder::LeftTop => "expected LEFT,TOP,WIDTH,HEIGHT or WIDTHxHEIGHT+LEFT+TOP",
    };
    let fail = |reason: &str| GeometryError {
        text: text.to_owned(),
        reason: if reason.is_empty() {
            syntax.to_owned()
        } else {
            format!("{reason}; {syntax}")
        },
    };
    let geometry = if text.contains(',') {
        parse_comma(text, order).ok_or_else(|| fail(""))?
    } else {
        parse_x11(text).ok_or_else(|| fail(""))?
    };
    if geometry.width <= 0 || geometry.height <= 0 {
        return Err(fail("width and height must be at least 1"));
    }
    Ok(geometry)
}

/// The largest magnitude accepted, far beyond any X screen (coordinates are 16-bit there), so
/// placing a geometry never overflows.
const LIMIT: i64 = 1_000_000_000;

fn parse_number(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|value: &i64| value.abs() <= LIMIT)
}

fn parse_comma(text: &str, order: CommaOrder) -> Option<Geometry> {
    let values: Vec<i64> = text.split(',').map(parse_number).collect::<Option<_>>()?;
    let [first, second, width, height] = values[..] else {
        return None;
    };
    let (x, y) = match order {
        CommaOrder::TopLeft => (second, first),
        CommaOrder::LeftTop => (first, second),
    };
    Some(Geometry {
        x,
        y,
        width,
        height,
        from_right: false,
        from_bottom: false,
    })
}

/// `WxH{+|-}[+|-]X{+|-}[+|-]Y`. Spaces may stand around the separators, never inside a
/// number: `3 00x200+0+0` is refused, not read as 300x200.
fn parse_x11(text: &str) -> Option<Geometry> {
    if splits_a_number(text) {
        return None;
    }
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let (width, rest) = text.split_once(['x', 'X'])?;
    let width = parse_unsigned(width)?;
    let size_end = rest.find(['+', '-'])?;
    let height = parse_unsigned(&rest[..size_end])?;
    let (x, from_right, rest) = parse_offset(&rest[size_end..])?;
    let (y, from_bottom, rest) = parse_offset(rest)?;
    if !rest.is_empty() {
        return None;
    }
    Some(Geometry {
        x,
        y,
        width,
        height,
        from_right,
        from_bottom,
    })
}

/// Whether whitespace stands between two digits somewhere in `text`.
fn splits_a_number(text: &str) -> bool {
    let mut last_non_space = None;
    let mut space_since = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space_since = true;
            continue;
        }
        if space_since
            && c.is_ascii_digit()
            && last_non_space.is_some_and(|p: char| p.is_ascii_digit())
        {
            return true;
        }
        last_non_space = Some(c);
        space_since = false;
    }
    false
}

fn parse_unsigned(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|value: &i64| *value <= LIMIT)
}

/// One `{+|-}[+|-]N`: the value, whether it counts from the far edge, and the rest.
fn parse_offset(text: &str) -> Option<(i64, bool, &str)> {
    let from_far_edge = match text.as_bytes().first()? {
        b'+' => false,
        b'-' => true,
        _ => return None,
    };
    let mut rest = &text[1..];
    let negative = match rest.as_bytes().first() {
        Some(b'+') => {
            rest = &rest[1..];
            false
        }
        Some(b'-') => {
            rest = &rest[1..];
            true
        }
        _ => false,
    };
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let value = parse_unsigned(&rest[..end])?;
    Some((
        if negative { -value } else { value },
        from_far_edge,
        &rest[end..],
    ))
}

impl Geometry {
    /// Places the geometry relative to `reference` (left, top, width, height): offsets from
    /// the left/top edge add to its corner; offsets from the right/bottom edge are measured
    /// back from its far edge, exactly as python-mss computes them.
    pub fn place(&self, reference: (i64, i64, i64, i64)) -> (i64, i64, i64, i64) {
        let (ref_left, ref_top, ref_width, ref_height) = reference;
        let left = if self.from_right {
            ref_left + ref_width - self.x - self.width
        } else {
            ref_left + self.x
        };
        let top = if self.from_bottom {
            ref_top + ref_height - self.y - self.height
        } else {
            ref_top + self.y
        };
        (left, top, self.width, self.height)
    }
}

impl fmt::Display for Geometry {
    /// X11 notation, which every geometry has: `WxH+X+Y`, `WxH-X+-Y`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let offset = |f: &mut fmt::Formatter<'_>, value: i64, far: bool| {
            f.write_str(if far { "-" } else { "+" })?;
            if value < 0 {
                write!(f, "-{}", value.unsigned_abs())
            } else {
                write!(f, "{value}")
            }
        };
        write!(f, "{}x{}", self.width, self.height)?;
        offset(f, self.x, self.from_right)?;
        offset(f, self.y, self.from_bottom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rstest::rstest;

    use super::*;

    fn plain(x: i64, y: i64, width: i64, height: i64) -> Geometry {
        Geometry {
            x,
            y,
            width,
            height,
            from_right: false,
            from_bottom: false,
        }
    }

    #[rstest]
    #[case("10,20,300,200", CommaOrder::TopLeft, plain(20, 10, 300, 200))]
    #[case("10,20,300,200", CommaOrder::LeftTop, plain(10, 20, 300, 200))]
    #[case(" -5 , 7 ,3,4", CommaOrder::TopLeft, plain(7, -5, 3, 4))]
    #[case("300x200+20+10", CommaOrder::TopLeft, plain(20, 10, 300, 200))]
    #[case("300x200+-20+-10", CommaOrder::TopLeft, plain(-20, -10, 300, 200))]
    #[case(" 300 x 200 + 20 + 10 ", CommaOrder::TopLeft, plain(20, 10, 300, 200))]
    #[case("100x50-10-10", CommaOrder::TopLeft, Geometry { from_right: true, from_bottom: true, ..plain(10, 10, 100, 50) })]
    #[case("100x50--10+-3", CommaOrder::TopLeft, Geometry { from_right: true, ..plain(-10, -3, 100, 50) })]
    fn accepted(#[case] text: &str, #[case] order: CommaOrder, #[case] expected: Geometry) {
        assert_eq!(parse_geometry(text, order).unwrap(), expected);
    }

    #[rstest]
    #[case("")]
    #[case("1,2,3")]
    #[case("1,2,3,4,5")]
    #[case("1,2,0,4")]
    #[case("1,2,-3,4")]
    #[case("0x10,2,3,4")]
    #[case("100x50")]
    #[case("100x50+10")]
    #[case("0x50+1+1")]
    #[case("0x10x10+1+1")]
    #[case("100x50+1+1junk")]
    #[case("100x50+++1+1")]
    #[case("axb+1+1")]
    #[case("3 00x200+0+0")]
    #[case("300x2 00+0+0")]
    #[case("300x200+1 0+0")]
    #[case("300x200+10+0 5")]
    #[case("1 0,20,30,40")]
    fn refused_with_the_syntax(#[case] text: &str) {
        let error = parse_geometry(text, CommaOrder::TopLeft).unwrap_err();
        assert_eq!(error.text, text);
        assert!(
            error.to_string().contains("TOP,LEFT,WIDTH,HEIGHT"),
            "{error}"
        );
    }

    #[test]
    fn placement_matches_python_mss() {
        // python-mss on 640x480: `100x50-10-10` is at left 530, top 420.
        let geometry = parse_geometry("100x50-10-10", CommaOrder::TopLeft).unwrap();
        assert_eq!(geometry.place((0, 0, 640, 480)), (530, 420, 100, 50));
        let geometry = parse_geometry("10,20,30,40", CommaOrder::TopLeft).unwrap();
        assert_eq!(geometry.place((1400, 5, 1280, 720)), (1420, 15, 30, 40));
    }

    fn any_geometry() -> impl Strategy<Value = Geometry> {
        (
            -LIMIT..=LIMIT,
            -LIMIT..=LIMIT,
            1..=LIMIT,
            1..=LIMIT,
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(x, y, width, height, from_right, from_bottom)| Geometry {
                x,
                y,
                width,
                height,
                from_right,
                from_bottom,
            })
    }

    proptest! {
        #[test]
        fn x11_notation_round_trips(geometry in any_geometry()) {
            let text = geometry.to_string();
            prop_assert_eq!(parse_geometry(&text, CommaOrder::TopLeft).unwrap(), geometry);
        }

        #[test]
        fn comma_notation_round_trips(geometry in any_geometry()) {
            let geometry = Geometry { from_right: false, from_bottom: false, ..geometry };
            let top_left = format!("{},{},{},{}", geometry.y, geometry.x, geometry.width, geometry.height);
            prop_assert_eq!(parse_geometry(&top_left, CommaOrder::TopLeft).unwrap(), geometry);
            let left_top = format!("{},{},{},{}", geometry.x, geometry.y, geometry.width, geometry.height);
            prop_assert_eq!(parse_geometry(&left_top, CommaOrder::LeftTop).unwrap(), geometry);
        }

        #[test]
        fn never_panics_on_arbitrary_text(text in "\\PC{0,40}") {
            let _ = parse_geometry(&text, CommaOrder::TopLeft);
            let _ = parse_geometry(&text, CommaOrder::LeftTop);
        }

        #[test]
        fn never_panics_on_geometry_like_text(text in "[0-9x+\\-, ]{0,30}") {
            if let Ok(geometry) = parse_geometry(&text, CommaOrder::TopLeft) {
                prop_assert!(geometry.width >= 1 && geometry.height >= 1);
            }
        }
    }
}
