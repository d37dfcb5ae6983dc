//! The damage a compositor reports for a copy (`copy_with_damage`): kept within a bound
//! however many `damage` events come, and placed on the screen clamped to the region captured,
//! whatever values the rectangles hold.
//!
//! Rectangles arrive as four u32 (x, y, width, height in the output's device pixels, as
//! wlroots sends them), so their far edges can overflow a u32: they are kept with 64-bit edges.
//! Past [`MAX_DAMAGE_RECTANGLES`] a frame's rectangles are merged into their bounding box,
//! which still covers every damaged pixel.

use mss_core::Region;

use crate::layout::{BufferLayout, OutputRegion};
use crate::limit::MAX_DAMAGE_RECTANGLES;

/// A damaged rectangle in device pixels, with exclusive right and bottom edges that cannot
/// overflow (each is at most 2^33).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BufferRectangle {
    left: u64,
    top: u64,
    right: u64,
    bottom: u64,
}

impl BufferRectangle {
    /// The rectangle of a `damage` event.
    pub(crate) fn new(x: u32, y: u32, width: u32, height: u32) -> Self {
        Self {
            left: u64::from(x),
            top: u64::from(y),
            right: u64::from(x) + u64::from(width),
            bottom: u64::from(y) + u64::from(height),
        }
    }

    fn is_empty(&self) -> bool {
        self.left >= self.right || self.top >= self.bottom
    }

    fn union(&self, other: &Self) -> Self {
        Self {
            left: self.left.min(other.left),
            top: self.top.min(other.top),
            right: self.right.max(other.right),
            bottom: self.bottom.max(other.bottom),
        }
    }
}

/// The damage of one frame: at most [`MAX_DAMAGE_RECTANGLES`] rectangles.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Damage {
    rectangles: Vec<BufferRectangle>,
    /// The rectangles were merged into their bounding box (the first and only one kept).
    merged: bool,
}

impl Damage {
    /// Takes one `damage` event's rectangle (empty ones damage nothing).
    pub(crate) fn add(&mut self, x: u32, y: u32, width: u32, height: u32) {
        let rectangle = BufferRectangle::new(x, y, width, height);
        if rectangle.is_empty() || self.rectangles.contains(&rectangle) {
            return;
        }
        if self.merged {
            self.rectangles[0] = self.rectangles[0].union(&rectangle);
        } else if self.rectangles.len() < MAX_DAMAGE_RECTANGLES {
            self.rectangles.push(rectangle);
        } else {
            let all = self
                .rectangles
                .iter()
                .fold(rectangle, |all, kept| all.union(kept));
            self.rectangles = vec![all];
            self.merged = true;
        }
    }

    /// How many rectangles are kept.
    pub(crate) fn len(&self) -> usize {
        self.rectangles.len()
    }
}

/// The screen rectangles of `damage` (device pixels of the output of `target`, whose copy
/// was delivered in `layout`), clamped to the region captured.
///
/// The buffer holds device pixels and the screen is in logical ones, so each rectangle is
/// scaled by the region's width over the buffer's and widened to whole logical pixels; its
/// edges are then clamped to the region's, however far past them they lie, and a rectangle
/// outside the region is left out.
pub(crate) fn damage_on_screen(
    damage: &Damage,
    layout: BufferLayout,
    target: &OutputRegion,
) -> Vec<Region> {
    if layout.width == 0 {
        return Vec::new();
    }
    let scale = f64::from(layout.width) / f64::from(target.region.width());
    let region = target.region;
    let (left, top) = (
        i64::from(target.placed.left()),
        i64::from(target.placed.top()),
    );
    let (region_left, region_top) = (i64::from(region.left()), i64::from(region.top()));
    let region_right = region_left + i64::from(region.width());
    let region_bottom = region_top + i64::from(region.height());
    // Edges are at most 2^33 device pixels, so these stay far inside an i64.
    let to_screen = |value: u64| (value as f64 / scale).floor() as i64;
    let to_screen_end = |value: u64| (value as f64 / scale).ceil() as i64;
    damage
        .rectangles
        .iter()
        .filter_map(|rectangle| {
            let screen_left = (left + to_screen(rectangle.left)).max(region_left);
            let screen_top = (top + to_screen(rectangle.top)).max(region_top);
            let screen_right = (left + to_screen_end(rectangle.right)).min(region_right);
            let screen_bottom = (top + to_screen_end(rectangle.bottom)).min(region_bottom);
            Region::from_signed(
                screen_left,
                screen_top,
                screen_right - screen_left,
                screen_bottom - screen_top,
            )
            .ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wayland_client::WEnum;
    use wayland_client::protocol::wl_shm;

    fn region(left: i32, top: i32, width: u32, height: u32) -> Region {
        Region::new(left, top, width, height).unwrap()
    }

    fn layout(width: u32, height: u32) -> BufferLayout {
        BufferLayout {
            format: WEnum::Value(wl_shm::Format::Xrgb8888),
            width,
            height,
            stride: width * 4,
        }
    }

    fn damage(rectangles: &[(u32, u32, u32, u32)]) -> Damage {
        let mut damage = Damage::default();
        for &(x, y, width, height) in rectangles {
            damage.add(x, y, width, height);
        }
        damage
    }

    #[test]
    fn damage_is_placed_on_the_screen_scaled_and_cut_to_the_region() {
        let target = OutputRegion {
            output: 0,
            placed: region(100, 50, 320, 240),
            region: region(110, 60, 200, 150),
        };
        // Scale 1: pixels of the output, moved to its place, cut to the region.
        let rectangles = damage(&[(5, 5, 20, 20), (300, 0, 10, 10), (15, 15, 4, 4)]);
        assert_eq!(
            damage_on_screen(&rectangles, layout(200, 150), &target),
            [region(110, 60, 15, 15), region(115, 65, 4, 4)]
        );
        // Scale 2: device pixels halved, odd edges widened to whole logical pixels.
        assert_eq!(
            damage_on_screen(&damage(&[(21, 21, 3, 3)]), layout(400, 300), &target),
            [region(110, 60, 2, 2)]
        );
    }

    #[test]
    fn rectangles_whose_edges_overflow_are_clamped_to_the_region() {
        let target = OutputRegion {
            output: 0,
            placed: region(0, 0, 64, 48),
            region: region(4, 2, 20, 10),
        };
        let rectangles = damage(&[
            (u32::MAX - 5, 0, 10, 10),
            (0, u32::MAX, 3, 3),
            (2, 3, u32::MAX, u32::MAX),
            (u32::MAX, u32::MAX, u32::MAX, u32::MAX),
            (1, 1, 0, 5),
        ]);
        assert_eq!(
            damage_on_screen(&rectangles, layout(20, 10), &target),
            [region(4, 3, 20, 9)]
        );
    }

    #[test]
    fn repeated_rectangles_are_kept_once_and_too_many_merge_into_their_bounding_box() {
        let mut repeated = Damage::default();
        for _ in 0..10_000 {
            repeated.add(1, 2, 3, 4);
        }
        assert_eq!(repeated, damage(&[(1, 2, 3, 4)]));
        let mut many = Damage::default();
        for at in 0..MAX_DAMAGE_RECTANGLES as u32 {
            many.add(at * 2, 10, 1, 1);
        }
        assert_eq!(many.len(), MAX_DAMAGE_RECTANGLES);
        many.add(500, 0, 1, 1);
        assert_eq!(many.len(), 1);
        for at in 0..10_000 {
            many.add(at % 600, 20 + at / 600, 1, 1);
        }
        assert_eq!(
            many,
            Damage {
                rectangles: vec![BufferRectangle::new(0, 0, 600, 37)],
                merged: true
            }
        );
    }
}
