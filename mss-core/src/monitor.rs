//! [`Monitor`] and [`Monitors`]: the screen's layout.

use crate::{Error, Region};

/// One monitor: where it sits on the screen and what the system says about it.
///
/// Built by backends with [`Monitor::new`] and the `with_*` methods; the fields are read
/// through accessors so that new metadata can be added without breaking anyone.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Monitor {
    region: Region,
    primary: bool,
    output: Option<String>,
    name: Option<String>,
    description: Option<String>,
    pixel_size: Option<(u32, u32)>,
    transform: Transform,
}

/// How a monitor's picture is turned relative to its pixels (Wayland's `wl_output.transform`):
/// rotated counter-clockwise by a quarter turn at a time, and possibly flipped around the
/// vertical axis first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transform {
    /// As it is.
    #[default]
    Normal,
    /// A quarter turn.
    Rotated90,
    /// Upside down.
    Rotated180,
    /// Three quarter turns.
    Rotated270,
    /// Mirrored.
    Flipped,
    /// Mirrored, then a quarter turn.
    Flipped90,
    /// Mirrored, then upside down.
    Flipped180,
    /// Mirrored, then three quarter turns.
    Flipped270,
}

impl Transform {
    /// Whether width and height trade places (a quarter or three quarter turn).
    pub fn swaps_sides(self) -> bool {
        matches!(
            self,
            Self::Rotated90 | Self::Rotated270 | Self::Flipped90 | Self::Flipped270
        )
    }
}

impl Monitor {
    /// A monitor covering `region`, not primary, with no names.
    pub fn new(region: Region) -> Self {
        Self {
            region,
            primary: false,
            output: None,
            name: None,
            description: None,
            pixel_size: None,
            transform: Transform::Normal,
        }
    }

    /// Sets the system's description of the monitor (Wayland's `wl_output.description`:
    /// `Dell Inc. DELL U2720Q (DP-1)`).
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the size of the monitor's picture in device pixels, when it differs from its size
    /// on the screen (a Wayland output with a scale: 2560x1440 pixels shown as 1280x720).
    #[must_use]
    pub fn with_pixel_size(mut self, width: u32, height: u32) -> Self {
        self.pixel_size = Some((width, height));
        self
    }

    /// Sets how the picture is turned.
    #[must_use]
    pub fn with_transform(mut self, transform: Transform) -> Self {
        self.transform = transform;
        self
    }

    /// Marks the monitor as the primary one (or not).
    #[must_use]
    pub fn with_primary(mut self, primary: bool) -> Self {
        self.primary = primary;
        self
    }

    /// Sets the name of the video output driving the monitor (`DP-1`, `HDMI-0`, `DUMMY0`).
    #[must_use]
    pub fn with_output(mut self, output: impl Into<String>) -> Self {
        self.output = Some(output.into());
        self
    }

    /// Sets the monitor's own name, as its EDID "display name" descriptor gives it
    /// (`DELL U2720Q`).
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Where the monitor is on the screen.
    pub fn region(&self) -> Region {
        self.region
    }

    /// The x coordinate of the left edge (may be negative).
    pub fn left(&self) -> i32 {
        self.region.left()
    }

    /// The y coordinate of the top edge (may be negative).
    pub fn top(&self) -> i32 {
        self.region.top()
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.region.width()
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.region.height()
    }

    /// Whether the system calls this the primary monitor.
    pub fn is_primary(&self) -> bool {
        self.primary
    }

    /// The video output's name, when known.
    pub fn output(&self) -> Option<&str> {
        self.output.as_deref()
    }

    /// The monitor's display name from its EDID, when it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The system's description of the monitor, when it gives one.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The picture's size in device pixels: what a capture of the whole monitor delivers.
    /// The same as its size on the screen unless the system scales it.
    pub fn pixel_size(&self) -> (u32, u32) {
        self.pixel_size.unwrap_or((self.width(), self.height()))
    }

    /// Device pixels per screen unit, horizontally (1.0 unless the system scales the
    /// monitor; 2.0 for a Wayland output of scale 2; 1.5 for a fractional scale).
    pub fn scale(&self) -> f64 {
        let (pixels, _) = if self.transform.swaps_sides() {
            let (width, height) = self.pixel_size();
            (height, width)
        } else {
            self.pixel_size()
        };
        f64::from(pixels) / f64::from(self.width())
    }

    /// How the picture is turned.
    pub fn transform(&self) -> Transform {
        self.transform
    }
}

/// The layout of a screen: the rectangle that holds everything, and each monitor in it.
///
/// Numbering follows python-mss so that scripts carry over: number 0 is the whole screen
/// ("all monitors"), numbers 1 to N are the individual monitors in the order the system lists
/// them. [`get`](Self::get) takes those numbers; [`monitors`](Self::monitors) is the plain
/// zero-based list of individual monitors.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Monitors {
    display: String,
    all: Region,
    monitors: Vec<Monitor>,
}

impl Monitors {
    /// A layout of `monitors` on a screen covering `all`, for `display` (used in errors).
    pub fn new(display: impl Into<String>, all: Region, monitors: Vec<Monitor>) -> Self {
        Self {
            display: display.into(),
            all,
            monitors,
        }
    }

    /// The whole screen: on X11 the root window, which contains every monitor (and possibly
    /// area no monitor shows). python-mss's monitor 0.
    pub fn all(&self) -> Region {
        self.all
    }

    /// The individual monitors, in the system's order.
    pub fn monitors(&self) -> &[Monitor] {
        &self.monitors
    }

    /// The monitor the system calls primary, or else the first one.
    pub fn primary(&self) -> Option<&Monitor> {
        self.monitors
            .iter()
            .find(|monitor| monitor.is_primary())
            .or_else(|| self.monitors.first())
    }

    /// The region of monitor `number`, numbered as python-mss does: 0 is the whole screen,
    /// 1 to N are the monitors.
    ///
    /// # Errors
    ///
    /// [`Error::MonitorNotFound`] for any other number, naming the count.
    pub fn get(&self, number: i64) -> Result<Region, Error> {
        if number == 0 {
            return Ok(self.all);
        }
        usize::try_from(number)
            .ok()
            .and_then(|number| self.monitors.get(number.wrapping_sub(1)))
            .map(Monitor::region)
            .ok_or_else(|| Error::MonitorNotFound {
                display: self.display.clone(),
                number,
                count: self.monitors.len(),
            })
    }

    /// The display these monitors belong to.
    pub fn display(&self) -> &str {
        &self.display
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Monitors {
        let left = Monitor::new(Region::new(0, 0, 1400, 1050).unwrap()).with_output("DUMMY0");
        let right = Monitor::new(Region::new(1400, 0, 1280, 720).unwrap())
            .with_output("DUMMY1")
            .with_primary(true)
            .with_name("Test Panel");
        Monitors::new(
            ":7",
            Region::new(0, 0, 2680, 1050).unwrap(),
            vec![left, right],
        )
    }

    #[test]
    fn numbering_follows_python_mss() {
        let monitors = layout();
        assert_eq!(
            monitors.get(0).unwrap(),
            Region::new(0, 0, 2680, 1050).unwrap()
        );
        assert_eq!(
            monitors.get(1).unwrap(),
            Region::new(0, 0, 1400, 1050).unwrap()
        );
        assert_eq!(
            monitors.get(2).unwrap(),
            Region::new(1400, 0, 1280, 720).unwrap()
        );
        for bad in [3, -1, i64::MIN, i64::MAX] {
            let error = monitors.get(bad).unwrap_err();
            assert!(
                matches!(&error, Error::MonitorNotFound { number, count: 2, display } if *number == bad && display == ":7"),
                "{error:?}"
            );
            assert_eq!(
                error.to_string(),
                format!("monitor {bad} does not exist: display \":7\" has 2 monitor(s)")
            );
        }
    }

    #[test]
    fn primary_is_the_flagged_one_or_the_first() {
        let monitors = layout();
        assert_eq!(monitors.primary().unwrap().output(), Some("DUMMY1"));
        assert_eq!(monitors.primary().unwrap().name(), Some("Test Panel"));
        let unflagged = Monitors::new(
            ":1",
            Region::new(0, 0, 10, 10).unwrap(),
            vec![Monitor::new(Region::new(0, 0, 10, 10).unwrap())],
        );
        assert_eq!(unflagged.primary().unwrap().width(), 10);
        let empty = Monitors::new(":1", Region::new(0, 0, 10, 10).unwrap(), vec![]);
        assert!(empty.primary().is_none());
    }
}

#[cfg(test)]
mod scale_tests {
    use super::*;

    #[test]
    fn scale_and_pixel_size_follow_the_transform() {
        let monitor = Monitor::new(Region::new(0, 0, 1280, 720).unwrap());
        assert_eq!((monitor.pixel_size(), monitor.scale()), ((1280, 720), 1.0));
        let scaled = monitor.clone().with_pixel_size(2560, 1440);
        assert_eq!(scaled.scale(), 2.0);
        // A quarter turn: the 2560x1440 picture stands 720x1280 on the screen.
        let turned = Monitor::new(Region::new(0, 0, 720, 1280).unwrap())
            .with_pixel_size(2560, 1440)
            .with_transform(Transform::Rotated90);
        assert_eq!(turned.scale(), 2.0);
        let fractional = monitor.with_pixel_size(1920, 1080);
        assert_eq!(fractional.scale(), 1.5);
        assert!(Transform::Flipped270.swaps_sides() && !Transform::Flipped180.swaps_sides());
    }
}
