//! [`FakeCapture`]: a [`Capture`] backend with no X server, for testing code that consumes
//! captures (and for testing error handling that real servers cannot provoke on demand).
//!
//! Frames show the same pattern as a [`crate::Scene`] (without tiling), in any
//! [`PixelFormat`], with rows padded to 32 bits as X pads them, so consumers meet padded
//! 16-bit rows too.

use std::collections::VecDeque;

use mss_core::{
    BackendStatus, Capture, Error, Frame, Monitor, Monitors, PixelFormat, Region, Rgba, ScreenInfo,
};

use crate::pattern::{self, FrameMismatch};

/// A failure [`FakeCapture`] can be told to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FakeFailure {
    /// The server refuses the grab ([`Error::Protocol`]); the next grab works again.
    Protocol,
    /// The connection breaks ([`Error::ConnectionLost`]); every later call fails the same way.
    ConnectionLost,
    /// Every buffer is held ([`Error::BuffersExhausted`] with this limit).
    BuffersExhausted {
        /// The limit the error names.
        limit: usize,
    },
    /// Shared memory fails ([`Error::SharedMemory`]).
    SharedMemory,
}

/// A capturer of a made-up screen showing the known pattern.
///
/// ```
/// use mss_core::{Capture, Error, Region};
/// use mss_testkit::{FakeCapture, FakeFailure};
///
/// let mut capture = FakeCapture::new(320, 200);
/// let frame = capture.grab(Region::new(10, 10, 4, 4)?)?;
/// capture.assert_frame(&frame);
/// capture.fail_next_grab(FakeFailure::Protocol);
/// assert!(matches!(capture.grab_screen(), Err(Error::Protocol { .. })));
/// assert_eq!(capture.grab_count(), 1);
/// # Ok::<(), Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FakeCapture {
    display: String,
    width: u32,
    height: u32,
    format: PixelFormat,
    monitors: Vec<Monitor>,
    failures: VecDeque<FakeFailure>,
    connection_lost: bool,
    grabs: usize,
    attempts: usize,
}

impl FakeCapture {
    /// A `width` x `height` screen in [`PixelFormat::Bgrx8888`] with one primary monitor,
    /// output `FAKE0`, covering it, on display `:fake`.
    ///
    /// # Panics
    ///
    /// If `width` or `height` is zero or beyond the `i32` range.
    pub fn new(width: u32, height: u32) -> Self {
        let screen = Region::new(0, 0, width, height).expect("a fake screen needs a valid size");
        Self {
            display: ":fake".to_owned(),
            width,
            height,
            format: PixelFormat::Bgrx8888,
            monitors: vec![Monitor::new(screen).with_primary(true).with_output("FAKE0")],
            failures: VecDeque::new(),
            connection_lost: false,
            grabs: 0,
            attempts: 0,
        }
    }

    /// Uses `format` for the screen and its frames.
    #[must_use]
    pub fn with_format(mut self, format: PixelFormat) -> Self {
        self.format = format;
        self
    }

    /// Replaces the monitors (they need not lie inside the screen: a real server can report
    /// odd layouts too).
    #[must_use]
    pub fn with_monitors(mut self, monitors: Vec<Monitor>) -> Self {
        self.monitors = monitors;
        self
    }

    /// Names the display in screens, monitors and errors.
    #[must_use]
    pub fn with_display(mut self, display: impl Into<String>) -> Self {
        self.display = display.into();
        self
    }

    /// Makes the next grab fail with `failure`; queued failures are used one grab each.
    pub fn fail_next_grab(&mut self, failure: FakeFailure) {
        self.failures.push_back(failure);
    }

    /// Breaks the connection: every later call fails with [`Error::ConnectionLost`].
    pub fn lose_connection(&mut self) {
        self.connection_lost = true;
    }

    /// How many grabs succeeded.
    pub fn grab_count(&self) -> usize {
        self.grabs
    }

    /// How many grabs were attempted, failed ones included.
    pub fn grab_attempts(&self) -> usize {
        self.attempts
    }

    /// The colour the fake screen shows at `(x, y)`.
    pub fn expected(&self, x: u32, y: u32) -> Rgba {
        pattern::expected_colour(self.format, x, y)
    }

    /// Compares every pixel of `frame` with [`expected`](Self::expected).
    ///
    /// # Errors
    ///
    /// A [`FrameMismatch`] listing the wrong pixels.
    pub fn check_frame(&self, frame: &Frame) -> Result<(), FrameMismatch> {
        let screen = self.screen_region();
        pattern::check_frame(frame, self.format, |x, y| {
            let on_screen = i32::try_from(x)
                .is_ok_and(|x| i32::try_from(y).is_ok_and(|y| screen.contains_point(x, y)));
            on_screen.then(|| self.expected(x as u32, y as u32))
        })
    }

    /// Asserts that `frame` shows exactly what the fake screen shows.
    ///
    /// # Panics
    ///
    /// With the wrong pixels, when any differs.
    pub fn assert_frame(&self, frame: &Frame) {
        if let Err(mismatch) = self.check_frame(frame) {
            panic!("fake display {}: {mismatch}", self.display);
        }
    }

    fn screen_region(&self) -> Region {
        Region::new(0, 0, self.width, self.height).expect("checked in new")
    }

    fn check_connection(&self) -> Result<(), Error> {
        if self.connection_lost {
            return Err(self.connection_lost_error());
        }
        Ok(())
    }

    fn connection_lost_error(&self) -> Error {
        Error::ConnectionLost {
            display: self.display.clone(),
            reason: "the fake connection was broken on purpose".to_owned(),
            source: None,
        }
    }

    fn failure_error(&mut self, failure: FakeFailure, region: Region) -> Error {
        match failure {
            FakeFailure::Protocol => Error::Protocol {
                display: self.display.clone(),
                request: "GetImage",
                message: "injected failure".to_owned(),
                source: None,
            },
            FakeFailure::ConnectionLost => {
                self.connection_lost = true;
                self.connection_lost_error()
            }
            FakeFailure::BuffersExhausted { limit } => Error::BuffersExhausted { limit },
            FakeFailure::SharedMemory => Error::SharedMemory {
                bytes: region.area() as usize * self.format.bytes_per_pixel(),
                reason: "injected failure".to_owned(),
                source: None,
            },
        }
    }

    /// The pattern for `region`, rows padded to 32 bits.
    fn render(&self, region: Region) -> Result<Frame, Error> {
        let bytes_per_pixel = self.format.bytes_per_pixel();
        let stride = (region.width() as usize * bytes_per_pixel).next_multiple_of(4);
        let mut bytes = vec![0; stride * region.height() as usize];
        for (row, line) in bytes.chunks_exact_mut(stride).enumerate() {
            let y = region.top() as u32 + row as u32;
            for (column, pixel) in line
                .chunks_exact_mut(bytes_per_pixel)
                .take(region.width() as usize)
                .enumerate()
            {
                let x = region.left() as u32 + column as u32;
                let value = self.format.encode(pattern::pattern_colour(x, y));
                pixel.copy_from_slice(&value.to_le_bytes()[..bytes_per_pixel]);
            }
        }
        Frame::new(bytes, 0, region, stride, self.format)
    }
}

impl Capture for FakeCapture {
    fn backend_name(&self) -> &'static str {
        "fake"
    }

    fn status(&self) -> BackendStatus {
        BackendStatus::new("fake", "generated").with_proven(self.grabs > 0)
    }

    fn screen(&mut self) -> Result<ScreenInfo, Error> {
        self.check_connection()?;
        Ok(ScreenInfo::new(
            self.display.clone(),
            self.width,
            self.height,
            self.format,
        ))
    }

    fn monitors(&mut self) -> Result<Monitors, Error> {
        self.check_connection()?;
        Ok(Monitors::new(
            self.display.clone(),
            self.screen_region(),
            self.monitors.clone(),
        ))
    }

    fn grab(&mut self, region: Region) -> Result<Frame, Error> {
        self.attempts += 1;
        self.check_connection()?;
        if let Some(failure) = self.failures.pop_front() {
            return Err(self.failure_error(failure, region));
        }
        let screen = self.screen_region();
        if !screen.contains(&region) {
            return Err(Error::RegionOutOfBounds {
                display: self.display.clone(),
                region,
                screen,
            });
        }
        let frame = self.render(region)?;
        self.grabs += 1;
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case(PixelFormat::Bgrx8888)]
    #[case(PixelFormat::Bgra8888)]
    #[case(PixelFormat::Rgb565)]
    #[case(PixelFormat::Xrgb1555)]
    #[case(PixelFormat::Xrgb2101010)]
    fn frames_show_the_pattern_in_every_format(#[case] format: PixelFormat) {
        let mut capture = FakeCapture::new(97, 61).with_format(format);
        for (left, top, width, height) in [(0, 0, 97, 61), (5, 7, 3, 2), (96, 60, 1, 1)] {
            let region = Region::new(left, top, width, height).unwrap();
            let frame = capture.grab(region).unwrap();
            assert_eq!(frame.region(), region);
            assert_eq!(frame.format(), format);
            assert_eq!(frame.stride() % 4, 0, "rows are padded to 32 bits");
            capture.assert_frame(&frame);
            assert_eq!(
                frame.pixel(0, 0),
                Some(pattern::expected_colour(format, left as u32, top as u32))
            );
        }
        assert_eq!(capture.grab_count(), 3);
        assert_eq!(capture.screen().unwrap().format, format);
    }

    #[test]
    fn odd_width_16_bit_frames_are_padded() {
        let mut capture = FakeCapture::new(10, 10).with_format(PixelFormat::Rgb565);
        let frame = capture.grab(Region::new(1, 1, 3, 2).unwrap()).unwrap();
        assert_eq!(frame.stride(), 8);
        assert!(!frame.is_packed());
        capture.assert_frame(&frame);
    }

    #[test]
    fn regions_off_the_screen_are_refused_and_not_counted() {
        let mut capture = FakeCapture::new(100, 50);
        let region = Region::new(90, 0, 11, 5).unwrap();
        let error = capture.grab(region).unwrap_err();
        assert!(
            matches!(&error, Error::RegionOutOfBounds { region: r, .. } if *r == region),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "region 11x5 at (90, 0) is not inside the screen of display \":fake\", which is 100x50 at (0, 0)"
        );
        assert_eq!(capture.grab_count(), 0);
        assert_eq!(capture.grab_attempts(), 1);
    }

    #[test]
    fn injected_failures_come_once_each_in_order() {
        let mut capture = FakeCapture::new(8, 8);
        capture.fail_next_grab(FakeFailure::Protocol);
        capture.fail_next_grab(FakeFailure::BuffersExhausted { limit: 3 });
        capture.fail_next_grab(FakeFailure::SharedMemory);
        assert!(matches!(
            capture.grab_screen(),
            Err(Error::Protocol {
                request: "GetImage",
                ..
            })
        ));
        assert!(matches!(
            capture.grab_screen(),
            Err(Error::BuffersExhausted { limit: 3 })
        ));
        assert!(matches!(
            capture.grab_screen(),
            Err(Error::SharedMemory { bytes: 256, .. })
        ));
        capture.assert_frame(&capture.clone().grab_screen().unwrap());
        assert!(capture.grab_screen().is_ok());
        assert_eq!((capture.grab_count(), capture.grab_attempts()), (1, 4));
        assert!(capture.status().proven);
    }

    #[test]
    fn a_lost_connection_stays_lost() {
        let mut capture = FakeCapture::new(8, 8).with_display(":9");
        capture.fail_next_grab(FakeFailure::ConnectionLost);
        let error = capture.grab_screen().unwrap_err();
        assert!(
            matches!(&error, Error::ConnectionLost { display, .. } if display == ":9"),
            "{error:?}"
        );
        assert!(matches!(
            capture.monitors(),
            Err(Error::ConnectionLost { .. })
        ));
        assert!(matches!(
            capture.screen(),
            Err(Error::ConnectionLost { .. })
        ));

        let mut capture = FakeCapture::new(8, 8);
        capture.lose_connection();
        assert!(matches!(
            capture.grab_monitor(1),
            Err(Error::ConnectionLost { .. })
        ));
    }

    #[test]
    fn monitors_are_as_configured_and_numbered_like_python_mss() {
        let left = Region::new(0, 0, 60, 40).unwrap();
        let right = Region::new(60, 0, 40, 30).unwrap();
        let mut capture = FakeCapture::new(100, 40).with_monitors(vec![
            Monitor::new(left).with_output("A"),
            Monitor::new(right).with_output("B").with_primary(true),
        ]);
        let monitors = capture.monitors().unwrap();
        assert_eq!(monitors.all(), Region::new(0, 0, 100, 40).unwrap());
        assert_eq!(monitors.primary().unwrap().output(), Some("B"));
        let frame = capture.grab_monitor(2).unwrap();
        assert_eq!(frame.region(), right);
        capture.assert_frame(&frame);
        assert!(matches!(
            capture.grab_monitor(3),
            Err(Error::MonitorNotFound { count: 2, .. })
        ));
        assert_eq!(capture.backend_name(), "fake");
    }

    #[test]
    fn check_frame_catches_a_frame_from_elsewhere() {
        let mut capture = FakeCapture::new(50, 50);
        let frame = capture.grab(Region::new(1, 0, 4, 4).unwrap()).unwrap();
        let misplaced = Frame::from_vec(
            frame.to_owned_frame().bytes().to_vec(),
            Region::new(0, 0, 4, 4).unwrap(),
            frame.format(),
        )
        .unwrap();
        let mismatch = capture.check_frame(&misplaced).unwrap_err();
        assert_eq!(mismatch.wrong_pixels, 16);
    }
}
