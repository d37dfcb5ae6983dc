//! [`Scene`]: the known pattern painted on a server's root window, and what each pixel must be.
//!
//! # How the scene is painted, and why this way
//!
//! The pattern ([`crate::pattern`]) is uploaded into a pixmap of the root depth with `PutImage`,
//! in strips that fit the server's maximum request length, encoded with the screen's own
//! [`PixelFormat`] (found from the root visual's masks). The pixmap becomes the root window's
//! background and the root is cleared, so the server paints it now and repaints it on every
//! exposure: nothing a test does later (mapping a window, changing the layout) can leave stale
//! pixels. A round trip before returning guarantees the server has painted before any other
//! client looks.
//!
//! A background pixmap tiles: if the root later grows (an Xorg dummy output is enabled), the
//! new area repeats the pattern from the pixmap's origin. [`Scene::expected`] models that, so it
//! stays right after layout changes.
//!
//! The painting connection stays open while the [`Scene`] lives (servers from
//! [`crate::XServer`] run with `-noreset` anyway, so the background also survives it).

use mss_core::{Frame, PixelFormat, Region, Rgba};
use x11rb::connection::{Connection, RequestConnection};
use x11rb::protocol::xproto::{
    ChangeGCAux, ChangeWindowAttributesAux, ConnectionExt, CreateGCAux, Gcontext, ImageFormat,
    ImageOrder, Pixmap, Rectangle, VisualClass, Window,
};
use x11rb::rust_connection::RustConnection;

use crate::pattern::{self, FrameMismatch};

/// The largest `PutImage` strip, in bytes, whatever the server would accept, to keep the
/// upload buffer small.
const MAX_STRIP_BYTES: usize = 4 << 20;

/// Why a scene could not be painted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SceneError {
    /// The display could not be opened.
    #[error("cannot open display {display:?} to paint the scene: {reason}")]
    Connect {
        /// The display.
        display: String,
        /// What went wrong.
        reason: String,
    },

    /// The screen's pixels have no [`PixelFormat`] (a depth-8 palette screen, MSB-first image
    /// order): nothing can capture it, so there is nothing to paint for.
    #[error("display {display:?}: cannot paint on a screen of depth {depth}: {reason}")]
    UnsupportedScreen {
        /// The display.
        display: String,
        /// The root depth.
        depth: u8,
        /// Which rule the screen breaks.
        reason: String,
    },

    /// A request failed.
    #[error("display {display:?}: {request} failed while painting the scene: {reason}")]
    Request {
        /// The display.
        display: String,
        /// The request, by name.
        request: &'static str,
        /// The error, in words.
        reason: String,
    },

    /// A rectangle to paint is not inside the scene.
    #[error("cannot paint {region}: the scene is {width}x{height} at (0, 0)")]
    OutsideScene {
        /// The rectangle asked for.
        region: Region,
        /// The scene's width.
        width: u32,
        /// The scene's height.
        height: u32,
    },
}

/// The known pattern, painted on a display's root window.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mss_testkit::XServer;
///
/// let server = XServer::xvfb_default()?;
/// let scene = server.paint_scene()?;
/// // Grab with any backend, then: scene.assert_frame(&frame);
/// assert_eq!(scene.expected(0, 0), mss_testkit::pattern::expected_colour(scene.format(), 0, 0));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Scene {
    connection: RustConnection,
    display: String,
    root: Window,
    pixmap: Pixmap,
    gc: Gcontext,
    width: u32,
    height: u32,
    format: PixelFormat,
    overlays: Vec<(Region, Rgba)>,
}

/// A connection to a test display whose root window the test kit can draw on, and what
/// drawing there needs to know.
pub(crate) struct RootScreen {
    pub(crate) connection: RustConnection,
    pub(crate) root: u32,
    pub(crate) depth: u8,
    pub(crate) format: PixelFormat,
    pub(crate) scanline_pad_bytes: usize,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

impl RootScreen {
    /// Connects to `display` and checks that its root can be drawn on with known colours:
    /// LSB-first images, a TrueColor or DirectColor root visual, a pixel format of mss-core.
    ///
    /// # Errors
    ///
    /// [`SceneError::Connect`] when the display cannot be opened,
    /// [`SceneError::UnsupportedScreen`] for any other screen (depth 8, for one).
    pub(crate) fn connect(display: &str) -> Result<Self, SceneError> {
        let (connection, screen_number) =
            x11rb::connect(Some(display)).map_err(|error| SceneError::Connect {
                display: display.to_owned(),
                reason: error.to_string(),
            })?;
        let setup = connection.setup();
        let screen = &setup.roots[screen_number];
        let depth = screen.root_depth;
        let unsupported = |reason: String| SceneError::UnsupportedScreen {
            display: display.to_owned(),
            depth,
            reason,
        };
        if setup.image_byte_order != ImageOrder::LSB_FIRST {
            return Err(unsupported(
                "the server's image byte order is MSB first".to_owned(),
            ));
        }
        let visual = screen
            .allowed_depths
            .iter()
            .filter(|allowed| allowed.depth == depth)
            .flat_map(|allowed| &allowed.visuals)
            .find(|visual| visual.visual_id == screen.root_visual)
            .ok_or_else(|| unsupported("the root visual is not listed".to_owned()))?;
        if visual.class != VisualClass::TRUE_COLOR && visual.class != VisualClass::DIRECT_COLOR {
            return Err(unsupported(format!(
                "the root visual is {:?}, not TrueColor",
                visual.class
            )));
        }
        let pixmap_format = setup
            .pixmap_formats
            .iter()
            .find(|format| format.depth == depth)
            .ok_or_else(|| unsupported("no pixmap format for the root depth".to_owned()))?;
        let format = PixelFormat::from_masks(
            depth,
            pixmap_format.bits_per_pixel,
            visual.red_mask,
            visual.green_mask,
            visual.blue_mask,
        )
        .ok_or_else(|| {
            unsupported(format!(
                "{} bits per pixel with masks {:#x}/{:#x}/{:#x} match no pixel format",
                pixmap_format.bits_per_pixel, visual.red_mask, visual.green_mask, visual.blue_mask
            ))
        })?;
        let scanline_pad_bytes = usize::from(pixmap_format.scanline_pad / 8).max(1);
        let (root, width, height) = (
            screen.root,
            u32::from(screen.width_in_pixels),
            u32::from(screen.height_in_pixels),
        );
        Ok(Self {
            root,
            depth,
            format,
            scanline_pad_bytes,
            width,
            height,
            connection,
        })
    }
}

impl Scene {
    /// Paints the pattern on the root window of `display`, sized to the root as it is now.
    ///
    /// # Errors
    ///
    /// [`SceneError::Connect`] when the display cannot be opened,
    /// [`SceneError::UnsupportedScreen`] for a screen no backend can capture (depth 8),
    /// [`SceneError::Request`] when the server refuses a request.
    pub fn paint(display: &str) -> Result<Self, SceneError> {
        let RootScreen {
            connection,
            root,
            depth,
            format,
            scanline_pad_bytes,
            width,
            height,
        } = RootScreen::connect(display)?;

        let allocate_id = || {
            connection
                .generate_id()
                .map_err(|error| SceneError::Request {
                    display: display.to_owned(),
                    request: "allocating a resource id",
                    reason: error.to_string(),
                })
        };
        let (pixmap, gc) = (allocate_id()?, allocate_id()?);
        let scene = Self {
            display: display.to_owned(),
            root,
            pixmap,
            gc,
            width,
            height,
            format,
            overlays: Vec::new(),
            connection,
        };
        scene.upload(depth, scanline_pad_bytes)?;
        scene.show()?;
        Ok(scene)
    }

    /// Creates the pixmap and its GC and uploads the pattern into it, strip by strip.
    fn upload(&self, depth: u8, scanline_pad_bytes: usize) -> Result<(), SceneError> {
        let (width, height) = (self.width, self.height);
        self.request("CreatePixmap", |connection| {
            connection.create_pixmap(depth, self.pixmap, self.root, width as u16, height as u16)
        })?;
        self.request("CreateGC", |connection| {
            connection.create_gc(self.gc, self.pixmap, &CreateGCAux::new())
        })?;
        upload_image(
            &self.connection,
            (self.pixmap, self.gc),
            (width, height, depth, scanline_pad_bytes),
            self.format,
            pattern::pattern_colour,
        )
        .map_err(|reason| SceneError::Request {
            display: self.display.clone(),
            request: "PutImage",
            reason,
        })?;
        Ok(())
    }

    /// Fills `region` of the scene (in scene coordinates, which are the screen's at painting
    /// time) with `colour`: on the root window directly, so that exactly that rectangle changes
    /// on screen (and exactly it is reported by the server's change tracking), and in the
    /// background pixmap, so that a later repaint of the root keeps it.
    ///
    /// # Errors
    ///
    /// [`SceneError::OutsideScene`] when the region is not inside the scene,
    /// [`SceneError::Request`] when the server refuses.
    pub fn paint_rect(&mut self, region: Region, colour: Rgba) -> Result<(), SceneError> {
        if !self.region().contains(&region) {
            return Err(SceneError::OutsideScene {
                region,
                width: self.width,
                height: self.height,
            });
        }
        let pixel = self.format.encode(colour);
        let rectangle = Rectangle {
            x: region.left() as i16,
            y: region.top() as i16,
            width: region.width() as u16,
            height: region.height() as u16,
        };
        // Sent together and checked with one round trip (the last check waits for the
        // server, the earlier ones then know their answer): painting before every frame of a
        // benchmark costs one round trip, not three.
        let failed = |request: &'static str, reason: String| SceneError::Request {
            display: self.display.clone(),
            request,
            reason,
        };
        let connection = &self.connection;
        let cookies = [
            (
                "ChangeGC",
                connection.change_gc(self.gc, &ChangeGCAux::new().foreground(pixel)),
            ),
            (
                "PolyFillRectangle",
                connection.poly_fill_rectangle(self.pixmap, self.gc, &[rectangle]),
            ),
            (
                "PolyFillRectangle",
                connection.poly_fill_rectangle(self.root, self.gc, &[rectangle]),
            ),
        ];
        let mut sent = Vec::new();
        for (request, cookie) in cookies {
            sent.push((
                request,
                cookie.map_err(|error| failed(request, error.to_string()))?,
            ));
        }
        for (request, cookie) in sent.into_iter().rev() {
            cookie
                .check()
                .map_err(|error| failed(request, error.to_string()))?;
        }
        // Rectangles this one covers no longer show: forgetting them keeps `expected` quick
        // in long tests that paint thousands of times.
        self.overlays
            .retain(|(earlier, _)| !region.contains(earlier));
        self.overlays.push((region, colour));
        Ok(())
    }

    /// Fills the whole scene with `colour`.
    ///
    /// # Errors
    ///
    /// As [`paint_rect`](Self::paint_rect).
    pub fn paint_solid(&mut self, colour: Rgba) -> Result<(), SceneError> {
        self.paint_rect(self.region(), colour)
    }

    /// The colour the screen shows at `(x, y)`: the pattern (or a painted rectangle) quantised
    /// through the screen's format. Beyond the scene's size the background tiles, as the
    /// server draws it.
    pub fn expected(&self, x: u32, y: u32) -> Rgba {
        let (x, y) = (x % self.width, y % self.height);
        let overlay = self
            .overlays
            .iter()
            .rev()
            .find(|(region, _)| region.contains_point(x as i32, y as i32));
        match overlay {
            Some((_, colour)) => pattern::quantise(self.format, *colour),
            None => pattern::expected_colour(self.format, x, y),
        }
    }

    /// Compares every pixel of `frame` with [`expected`](Self::expected) at the screen
    /// position it shows; positions off the current screen count as wrong.
    ///
    /// # Errors
    ///
    /// A [`FrameMismatch`] listing the wrong pixels.
    ///
    /// # Panics
    ///
    /// If the root window's size cannot be read (the server is gone).
    pub fn check_frame(&self, frame: &Frame) -> Result<(), FrameMismatch> {
        let screen = self.current_screen();
        pattern::check_frame(frame, self.format, |x, y| {
            let on_screen = i32::try_from(x)
                .is_ok_and(|x| i32::try_from(y).is_ok_and(|y| screen.contains_point(x, y)));
            on_screen.then(|| self.expected(x as u32, y as u32))
        })
    }

    /// Asserts that `frame` shows exactly what the screen shows.
    ///
    /// # Panics
    ///
    /// With the number of wrong pixels and the first few, expected against actual, when any
    /// pixel differs.
    pub fn assert_frame(&self, frame: &Frame) {
        if let Err(mismatch) = self.check_frame(frame) {
            panic!("display {}: {mismatch}", self.display);
        }
    }

    /// The screen's pixel format, which frames must have.
    pub fn format(&self) -> PixelFormat {
        self.format
    }

    /// The scene's width: the root width when it was painted.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// The scene's height: the root height when it was painted.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The scene as a region at the origin.
    pub fn region(&self) -> Region {
        Region::new(0, 0, self.width, self.height).expect("a screen has a non-zero size")
    }

    /// The display painted on.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The root window's rectangle now (it changes when an Xorg dummy layout changes).
    fn current_screen(&self) -> Region {
        let geometry = self
            .connection
            .get_geometry(self.root)
            .ok()
            .and_then(|cookie| cookie.reply().ok())
            .unwrap_or_else(|| {
                panic!(
                    "display {}: cannot read the root window's size",
                    self.display
                )
            });
        Region::new(0, 0, u32::from(geometry.width), u32::from(geometry.height))
            .expect("a root window has a non-zero size")
    }

    /// Makes the pixmap the root's background, repaints the root and waits until the server
    /// has done so.
    fn show(&self) -> Result<(), SceneError> {
        self.request("ChangeWindowAttributes", |connection| {
            connection.change_window_attributes(
                self.root,
                &ChangeWindowAttributesAux::new().background_pixmap(self.pixmap),
            )
        })?;
        self.request("ClearArea", |connection| {
            connection.clear_area(false, self.root, 0, 0, 0, 0)
        })?;
        Ok(())
    }

    /// Sends one request and waits for the server to confirm it (a round trip, which also
    /// guarantees everything sent before has been processed).
    fn request<'c>(
        &'c self,
        request: &'static str,
        send: impl FnOnce(
            &'c RustConnection,
        ) -> Result<
            x11rb::cookie::VoidCookie<'c, RustConnection>,
            x11rb::errors::ConnectionError,
        >,
    ) -> Result<(), SceneError> {
        let failed = |reason: String| SceneError::Request {
            display: self.display.clone(),
            request,
            reason,
        };
        send(&self.connection)
            .map_err(|error| failed(error.to_string()))?
            .check()
            .map_err(|error| failed(error.to_string()))?;
        self.connection
            .flush()
            .map_err(|error| failed(error.to_string()))
    }
}
/// Draws `colour_at(x, y)` into `drawable` (`width` x `height` pixels of `depth`, rows padded
/// to `pad_bytes`, pixels in `format`) with `PutImage`, strip by strip within the server's
/// request size, through `gc`.
pub(crate) fn upload_image(
    connection: &RustConnection,
    (drawable, gc): (u32, Gcontext),
    (width, height, depth, pad_bytes): (u32, u32, u8, usize),
    format: PixelFormat,
    colour_at: impl Fn(u32, u32) -> Rgba,
) -> Result<(), String> {
    let bytes_per_pixel = format.bytes_per_pixel();
    let stride = (width as usize * bytes_per_pixel).div_ceil(pad_bytes) * pad_bytes;
    // The PutImage request header takes 24 bytes of the maximum request length.
    let strip_bytes = connection
        .maximum_request_bytes()
        .saturating_sub(24)
        .min(MAX_STRIP_BYTES);
    let rows_per_strip = (strip_bytes / stride).max(1) as u32;
    let mut strip = Vec::new();
    let mut top = 0;
    while top < height {
        let rows = rows_per_strip.min(height - top);
        strip.clear();
        strip.resize(stride * rows as usize, 0);
        for (row, bytes) in strip.chunks_exact_mut(stride).enumerate() {
            let y = top + row as u32;
            for (x, pixel) in bytes
                .chunks_exact_mut(bytes_per_pixel)
                .take(width as usize)
                .enumerate()
            {
                let value = format.encode(colour_at(x as u32, y));
                pixel.copy_from_slice(&value.to_le_bytes()[..bytes_per_pixel]);
            }
        }
        connection
            .put_image(
                ImageFormat::Z_PIXMAP,
                drawable,
                gc,
                width as u16,
                rows as u16,
                0,
                top as i16,
                0,
                depth,
                &strip,
            )
            .map_err(|error| error.to_string())?
            .check()
            .map_err(|error| error.to_string())?;
        top += rows;
    }
    Ok(())
}
