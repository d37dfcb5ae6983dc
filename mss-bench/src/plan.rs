//! [`BenchPlan`]: which screens and regions a run measures.

use mss_core::Region;

/// A screen size in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScreenSize {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl ScreenSize {
    /// A size of `width` x `height` pixels.
    pub const fn new(width: u32, height: u32) -> Self {
        Self { width, height }
    }

    /// The size as it appears in benchmark ids: `1920x1080`.
    pub fn label(self) -> String {
        format!("{}x{}", self.width, self.height)
    }

    /// The whole screen as a region at the origin.
    pub fn region(self) -> Region {
        Region::new(0, 0, self.width, self.height).expect("bench screen sizes are never empty")
    }

    /// Bytes of one frame at 4 bytes a pixel (depth 24 in 32 bits, what the benchmarks use).
    pub fn frame_bytes(self) -> usize {
        self.width as usize * self.height as usize * 4
    }
}

/// What one benchmark run measures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchPlan {
    /// Whether this is the quick smoke run (`--quick`): small screens, nothing to conclude.
    pub quick: bool,
    /// The screens whose full-screen grabs and conversions are measured; the first one also
    /// serves the region and two-thread benchmarks.
    pub screens: Vec<ScreenSize>,
    /// The region grabbed by the `region_*` group, inside the first screen.
    pub region: Region,
}

impl BenchPlan {
    /// The full run: 1920x1080 and 3840x2160, and a 640x480 region.
    pub fn full() -> Self {
        Self {
            quick: false,
            screens: vec![ScreenSize::new(1920, 1080), ScreenSize::new(3840, 2160)],
            region: Self::centred_region(),
        }
    }

    /// The quick smoke run: one 1280x720 screen and the same 640x480 region, so every
    /// benchmark runs in a fraction of the time and only proves that it runs.
    pub fn quick() -> Self {
        Self {
            quick: true,
            screens: vec![ScreenSize::new(1280, 720)],
            region: Self::centred_region(),
        }
    }

    /// The plan a benchmark binary's command line asks for: quick when criterion's `--quick`
    /// flag is among `arguments`.
    pub fn from_arguments<I, S>(arguments: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        if arguments
            .into_iter()
            .any(|argument| argument.as_ref() == "--quick")
        {
            Self::quick()
        } else {
            Self::full()
        }
    }

    /// 640x480 at (320, 240): inside every screen of both plans, away from the origin, so the
    /// server copies rows from the middle of its framebuffer rather than a prefix of it.
    fn centred_region() -> Region {
        Region::new(320, 240, 640, 480).expect("a 640x480 region is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_flag_selects_the_small_plan() {
        assert_eq!(
            BenchPlan::from_arguments(["mss", "--bench", "--quick"]),
            BenchPlan::quick()
        );
        assert_eq!(
            BenchPlan::from_arguments(["mss", "--bench"]),
            BenchPlan::full()
        );
    }

    #[test]
    fn the_region_fits_every_screen_of_both_plans() {
        for plan in [BenchPlan::full(), BenchPlan::quick()] {
            for screen in &plan.screens {
                assert!(
                    screen.region().contains(&plan.region),
                    "{} does not contain {}",
                    screen.label(),
                    plan.region
                );
            }
        }
    }

    #[test]
    fn labels_and_frame_sizes() {
        let size = ScreenSize::new(1920, 1080);
        assert_eq!(size.label(), "1920x1080");
        assert_eq!(size.frame_bytes(), 8_294_400);
    }
}
