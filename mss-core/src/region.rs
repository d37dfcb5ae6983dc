//! [`Region`]: a checked rectangle in screen coordinates.

use std::fmt;

use crate::Error;

/// A non-empty rectangle in screen coordinates, in pixels.
///
/// `left` and `top` may be negative: on a multi-monitor layout a monitor can sit left of or
/// above the origin. `width` and `height` are always at least 1 and `left + width`,
/// `top + height` always fit in an `i32`; the constructors check this, so every `Region` value
/// is valid and backends never have to re-check it. Whether a region lies on the screen is a
/// different question that only a backend can answer (see [`Error::RegionOutOfBounds`]).
///
/// Unlike python-mss, whose `Region` is a mutable record checked only for positive sizes, a
/// `Region` here cannot hold a zero, negative or overflowing size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    left: i32,
    top: i32,
    width: u32,
    height: u32,
}

impl Region {
    /// Builds a region from its top-left corner and its size.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRegion`] when `width` or `height` is zero, or when the right or bottom
    /// edge (`left + width`, `top + height`) does not fit in an `i32`.
    pub fn new(left: i32, top: i32, width: u32, height: u32) -> Result<Self, Error> {
        Self::from_signed(
            i64::from(left),
            i64::from(top),
            i64::from(width),
            i64::from(height),
        )
    }

    /// Builds a region from signed, wide values, as parsed from user input.
    ///
    /// This is the constructor for untrusted numbers: every value that is not a valid region
    /// (negative or zero sizes, corners or edges outside the `i32` range) is an error, never a
    /// silent truncation.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRegion`], naming the values and the rule they break.
    pub fn from_signed(left: i64, top: i64, width: i64, height: i64) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidRegion {
            region: format!("{width}x{height} at ({left}, {top})"),
            reason: reason.to_owned(),
        };
        if width <= 0 || height <= 0 {
            return Err(invalid("width and height must be at least 1"));
        }
        let fits_i32 = |value: i64| i32::try_from(value).is_ok();
        if !fits_i32(left) || !fits_i32(top) {
            return Err(invalid(
                "the top-left corner is outside the 32-bit coordinate range",
            ));
        }
        if !fits_i32(left + width) || !fits_i32(top + height) {
            return Err(invalid(
                "the right or bottom edge is outside the 32-bit coordinate range",
            ));
        }
        // The checks above bound every value, so these conversions cannot fail.
        Ok(Self {
            left: left as i32,
            top: top as i32,
            width: width as u32,
            height: height as u32,
        })
    }

    /// Builds a region from its edges, `right` and `bottom` exclusive (PIL's `(left, top,
    /// right, bottom)` box, as python-mss's `grab((l, t, r, b))` takes it).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRegion`] when `right <= left` or `bottom <= top`.
    pub fn from_edges(left: i32, top: i32, right: i32, bottom: i32) -> Result<Self, Error> {
        Self::from_signed(
            i64::from(left),
            i64::from(top),
            i64::from(right) - i64::from(left),
            i64::from(bottom) - i64::from(top),
        )
    }

    /// The x coordinate of the left edge.
    pub fn left(&self) -> i32 {
        self.left
    }

    /// The y coordinate of the top edge.
    pub fn top(&self) -> i32 {
        self.top
    }

    /// The width in pixels, at least 1.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The height in pixels, at least 1.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The x coordinate just past the right edge (`left + width`).
    pub fn right(&self) -> i32 {
        // Construction guarantees that this sum fits in an i32 (the width alone may not).
        (i64::from(self.left) + i64::from(self.width)) as i32
    }

    /// The y coordinate just past the bottom edge (`top + height`).
    pub fn bottom(&self) -> i32 {
        (i64::from(self.top) + i64::from(self.height)) as i32
    }

    /// The number of pixels, `width * height`.
    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    /// Whether `other` lies entirely inside `self`.
    pub fn contains(&self, other: &Region) -> bool {
        other.left >= self.left
            && other.top >= self.top
            && other.right() <= self.right()
            && other.bottom() <= self.bottom()
    }

    /// Whether the point `(x, y)` lies inside `self`.
    pub fn contains_point(&self, x: i32, y: i32) -> bool {
        x >= self.left && y >= self.top && x < self.right() && y < self.bottom()
    }

    /// The overlap of two regions, or `None` when they do not overlap.
    pub fn intersection(&self, other: &Region) -> Option<Region> {
        let left = self.left.max(other.left);
        let top = self.top.max(other.top);
        let right = self.right().min(other.right());
        let bottom = self.bottom().min(other.bottom());
        if right <= left || bottom <= top {
            return None;
        }
        Some(Region {
            left,
            top,
            width: (i64::from(right) - i64::from(left)) as u32,
            height: (i64::from(bottom) - i64::from(top)) as u32,
        })
    }

    /// The smallest region containing both.
    ///
    /// Both inputs have edges inside the `i32` range, so their bounding box does too.
    pub fn union(&self, other: &Region) -> Region {
        let left = self.left.min(other.left);
        let top = self.top.min(other.top);
        let right = self.right().max(other.right());
        let bottom = self.bottom().max(other.bottom());
        Region {
            left,
            top,
            width: (i64::from(right) - i64::from(left)) as u32,
            height: (i64::from(bottom) - i64::from(top)) as u32,
        }
    }

    /// This region moved by `(dx, dy)`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRegion`] when the moved region leaves the `i32` range.
    pub fn translate(&self, dx: i32, dy: i32) -> Result<Region, Error> {
        Self::from_signed(
            i64::from(self.left) + i64::from(dx),
            i64::from(self.top) + i64::from(dy),
            i64::from(self.width),
            i64::from(self.height),
        )
    }
}

impl fmt::Display for Region {
    /// Writes `WIDTHxHEIGHT at (LEFT, TOP)`, for example `640x480 at (-1280, 0)`; unambiguous
    /// with negative coordinates, unlike X11 geometry strings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}x{} at ({}, {})",
            self.width, self.height, self.left, self.top
        )
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case(0, 0, 0, 10, "width and height must be at least 1")]
    #[case(0, 0, 10, 0, "width and height must be at least 1")]
    #[case(0, 0, -5, 10, "width and height must be at least 1")]
    #[case(0, 0, 10, -1, "width and height must be at least 1")]
    #[case(i64::from(i32::MAX), 0, 1, 1, "right or bottom edge")]
    #[case(0, i64::from(i32::MAX) - 9, 1, 10, "right or bottom edge")]
    #[case(i64::from(i32::MIN) - 1, 0, 1, 1, "top-left corner")]
    #[case(0, 0, 1, i64::from(u32::MAX) + 1, "right or bottom edge")]
    fn invalid_regions_are_errors_that_name_the_values(
        #[case] left: i64,
        #[case] top: i64,
        #[case] width: i64,
        #[case] height: i64,
        #[case] reason: &str,
    ) {
        let error = Region::from_signed(left, top, width, height).unwrap_err();
        let Error::InvalidRegion {
            region,
            reason: actual,
        } = &error
        else {
            panic!("expected InvalidRegion, got {error:?}");
        };
        assert_eq!(region, &format!("{width}x{height} at ({left}, {top})"));
        assert!(
            actual.contains(reason),
            "{actual:?} should mention {reason:?}"
        );
        assert!(error.to_string().contains(region.as_str()));
    }

    #[test]
    fn edges_in_pil_order() {
        let region = Region::from_edges(10, 20, 110, 70).unwrap();
        assert_eq!((region.left(), region.top()), (10, 20));
        assert_eq!((region.width(), region.height()), (100, 50));
        assert_eq!((region.right(), region.bottom()), (110, 70));
        assert!(matches!(
            Region::from_edges(10, 20, 10, 70),
            Err(Error::InvalidRegion { .. })
        ));
        assert!(matches!(
            Region::from_edges(10, 20, 5, 70),
            Err(Error::InvalidRegion { .. })
        ));
    }

    #[test]
    fn display_is_unambiguous_for_negative_offsets() {
        let region = Region::new(-1280, -5, 1280, 1024).unwrap();
        assert_eq!(region.to_string(), "1280x1024 at (-1280, -5)");
    }

    #[test]
    fn the_largest_regions_are_accepted() {
        let region = Region::new(i32::MIN, i32::MIN, u32::MAX, u32::MAX).unwrap();
        assert_eq!(region.right(), i32::MAX);
        assert_eq!(region.bottom(), i32::MAX);
        assert!(Region::new(i32::MIN, 0, u32::MAX, 1).is_ok());
        assert!(Region::new(i32::MIN + 1, 0, u32::MAX, 1).is_err());
    }

    fn any_region() -> impl Strategy<Value = Region> {
        (-5000i32..5000, -5000i32..5000, 1u32..5000, 1u32..5000)
            .prop_map(|(l, t, w, h)| Region::new(l, t, w, h).unwrap())
    }

    proptest! {
        #[test]
        fn constructor_accepts_exactly_the_valid_rectangles(
            left in any::<i64>(), top in any::<i64>(), width in any::<i64>(), height in any::<i64>()
        ) {
            let valid = width > 0 && height > 0
                && i32::try_from(left).is_ok() && i32::try_from(top).is_ok()
                && left.checked_add(width).is_some_and(|r| i32::try_from(r).is_ok())
                && top.checked_add(height).is_some_and(|b| i32::try_from(b).is_ok());
            let built = Region::from_signed(left, top, width, height);
            prop_assert_eq!(built.is_ok(), valid);
            if let Ok(region) = built {
                prop_assert_eq!(i64::from(region.left()), left);
                prop_assert_eq!(i64::from(region.top()), top);
                prop_assert_eq!(i64::from(region.width()), width);
                prop_assert_eq!(i64::from(region.height()), height);
                prop_assert_eq!(i64::from(region.right()), left + width);
                prop_assert_eq!(i64::from(region.bottom()), top + height);
            }
        }

        #[test]
        fn intersection_is_the_set_of_shared_points(a in any_region(), b in any_region(), x in -6000i32..10000, y in -6000i32..10000) {
            let inside_both = a.contains_point(x, y) && b.contains_point(x, y);
            match a.intersection(&b) {
                Some(overlap) => {
                    prop_assert_eq!(overlap.contains_point(x, y), inside_both);
                    prop_assert!(a.contains(&overlap) && b.contains(&overlap));
                    prop_assert_eq!(Some(overlap), b.intersection(&a));
                }
                None => prop_assert!(!inside_both),
            }
        }

        #[test]
        fn union_contains_both_and_is_tight(a in any_region(), b in any_region()) {
            let union = a.union(&b);
            prop_assert!(union.contains(&a) && union.contains(&b));
            prop_assert_eq!(union.left(), a.left().min(b.left()));
            prop_assert_eq!(union.bottom(), a.bottom().max(b.bottom()));
            prop_assert_eq!(union, b.union(&a));
        }

        #[test]
        fn contains_agrees_with_intersection(a in any_region(), b in any_region()) {
            prop_assert_eq!(a.contains(&b), a.intersection(&b) == Some(b));
        }

        #[test]
        fn translate_moves_and_keeps_size(a in any_region(), dx in -100000i32..100000, dy in -100000i32..100000) {
            let moved = a.translate(dx, dy).unwrap();
            prop_assert_eq!(moved.left(), a.left() + dx);
            prop_assert_eq!(moved.top(), a.top() + dy);
            prop_assert_eq!((moved.width(), moved.height()), (a.width(), a.height()));
        }
    }
}
