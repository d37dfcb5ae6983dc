//! [`TestWindows`]: X11 windows with known contents, made, moved, resized, covered, unmapped
//! and minimized by the test, and [`WindowManager`]: a real window manager on a test server.
//!
//! Each window shows the pattern shifted by its own seed, so a window's pixels tell which
//! window and which position they came from. The contents are the window's background pixmap:
//! the server repaints them by itself whenever a part of the window is exposed again, so they
//! are known at every moment without a client drawing.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mss_core::{Frame, PixelFormat, Region, Rgba};
use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{
    AtomEnum, ChangeWindowAttributesAux, ClientMessageEvent, ConfigureWindowAux,
    ConnectionExt as _, CreateGCAux, CreateWindowAux, EventMask, MapState, PropMode, StackMode,
    WindowClass,
};
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

use crate::pattern::{self, FrameMismatch};
use crate::scene::{RootScreen, SceneError, upload_image};

/// How long a window may take to become what a test asked (shown, hidden, moved).
const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Windows a test made on one display.
pub struct TestWindows {
    connection: RustConnection,
    display: String,
    root: u32,
    depth: u8,
    format: PixelFormat,
    pad_bytes: usize,
    windows: Vec<(u32, u32)>,
    /// The threads repainting windows made by [`create_repainted`](TestWindows::create_repainted),
    /// with the flag that stops them.
    painters: Vec<(Arc<AtomicBool>, JoinHandle<()>)>,
}

impl Drop for TestWindows {
    fn drop(&mut self) {
        for (stop, _) in &self.painters {
            stop.store(true, Ordering::Relaxed);
        }
        for (_, painter) in self.painters.drain(..) {
            let _ = painter.join();
        }
    }
}

impl std::fmt::Debug for TestWindows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestWindows")
            .field("display", &self.display)
            .field("windows", &self.windows)
            .finish_non_exhaustive()
    }
}

/// The colour window seeded `seed` shows at its own `(x, y)`.
pub fn window_colour(seed: u32, x: u32, y: u32) -> Rgba {
    pattern::pattern_colour((x + 301 * seed) % 4096, (y + 197 * seed) % 4096)
}

impl TestWindows {
    /// Connects to `display`.
    ///
    /// # Errors
    ///
    /// [`SceneError::Connect`] when it cannot, [`SceneError::UnsupportedScreen`] for a screen
    /// the windows cannot be drawn on.
    pub fn connect(display: &str) -> Result<Self, SceneError> {
        let screen = RootScreen::connect(display)?;
        Ok(Self {
            root: screen.root,
            depth: screen.depth,
            format: screen.format,
            pad_bytes: screen.scanline_pad_bytes,
            display: display.to_owned(),
            windows: Vec::new(),
            painters: Vec::new(),
            connection: screen.connection,
        })
    }

    fn failed(&self, request: &'static str, reason: impl ToString) -> SceneError {
        SceneError::Request {
            display: self.display.clone(),
            request,
            reason: reason.to_string(),
        }
    }

    /// Makes and shows a window at `region` (the client area, in root coordinates; a window
    /// manager may move it, see [`placed`](Self::placed)) titled `title`, of class
    /// `(instance, class)`, showing the pattern seeded `seed`. Returns its id once it is shown.
    ///
    /// # Errors
    ///
    /// [`SceneError::Request`] when the server refuses or the window is not shown in time.
    pub fn create(
        &mut self,
        region: Region,
        title: &str,
        class: (&str, &str),
        seed: u32,
    ) -> Result<u32, SceneError> {
        self.create_with(region, title, class, seed, None)
    }

    /// As [`create`](Self::create), but the window has no background: like most applications'
    /// windows, its contents are drawn by a client (a thread of the test kit, with its own
    /// connection), which repaints the parts the server says were exposed, `delay` after being
    /// told. The server itself keeps nothing of what is covered.
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create), and [`SceneError::Connect`] when the painter cannot
    /// connect.
    pub fn create_repainted(
        &mut self,
        region: Region,
        title: &str,
        class: (&str, &str),
        seed: u32,
        delay: Duration,
    ) -> Result<u32, SceneError> {
        self.create_with(region, title, class, seed, Some(delay))
    }

    fn create_with(
        &mut self,
        region: Region,
        title: &str,
        (instance, class): (&str, &str),
        seed: u32,
        repainted: Option<Duration>,
    ) -> Result<u32, SceneError> {
        let window = self
            .connection
            .generate_id()
            .map_err(|error| self.failed("allocating an id", error))?;
        let contents = self.background(region.width(), region.height(), seed)?;
        let aux = CreateWindowAux::new().event_mask(EventMask::STRUCTURE_NOTIFY);
        let aux = match repainted {
            Some(_) => aux,
            None => aux.background_pixmap(contents),
        };
        self.connection
            .create_window(
                self.depth,
                window,
                self.root,
                region.left() as i16,
                region.top() as i16,
                region.width() as u16,
                region.height() as u16,
                0,
                WindowClass::INPUT_OUTPUT,
                x11rb::COPY_FROM_PARENT,
                &aux,
            )
            .map_err(|error| self.failed("CreateWindow", error))?;
        if repainted.is_none() {
            self.connection
                .free_pixmap(contents)
                .map_err(|error| self.failed("FreePixmap", error))?;
        }
        let atom = |name: &str| -> Result<u32, SceneError> {
            Ok(self
                .connection
                .intern_atom(false, name.as_bytes())
                .map_err(|error| self.failed("InternAtom", error))?
                .reply()
                .map_err(|error| self.failed("InternAtom", error))?
                .atom)
        };
        let (net_wm_name, utf8, net_wm_pid, normal_hints) = (
            atom("_NET_WM_NAME")?,
            atom("UTF8_STRING")?,
            atom("_NET_WM_PID")?,
            u32::from(AtomEnum::WM_NORMAL_HINTS),
        );
        let set = |property: u32, kind: u32, format: u8, data: &[u8]| {
            self.connection
                .change_property(
                    PropMode::REPLACE,
                    window,
                    property,
                    kind,
                    format,
                    (data.len() / usize::from(format / 8)) as u32,
                    data,
                )
                .map_err(|error| self.failed("ChangeProperty", error))
                .map(drop)
        };
        set(net_wm_name, utf8, 8, title.as_bytes())?;
        // WM_NAME in Latin-1: the title where it has no other characters.
        let latin1: Vec<u8> = title
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect();
        set(
            AtomEnum::WM_NAME.into(),
            AtomEnum::STRING.into(),
            8,
            &latin1,
        )?;
        let class_bytes = [instance.as_bytes(), b"\0", class.as_bytes(), b"\0"].concat();
        set(
            AtomEnum::WM_CLASS.into(),
            AtomEnum::STRING.into(),
            8,
            &class_bytes,
        )?;
        set(
            net_wm_pid,
            AtomEnum::CARDINAL.into(),
            32,
            &std::process::id().to_ne_bytes(),
        )?;
        // Size hints with the position and size set by the user, so window managers place the
        // window where asked (USPosition | USSize).
        let mut hints = [0u32; 18];
        hints[0] = 1 | 2;
        hints[1] = region.left() as u32;
        hints[2] = region.top() as u32;
        hints[3] = region.width();
        hints[4] = region.height();
        let hint_bytes: Vec<u8> = hints.iter().flat_map(|value| value.to_ne_bytes()).collect();
        set(
            normal_hints,
            AtomEnum::WM_SIZE_HINTS.into(),
            32,
            &hint_bytes,
        )?;
        self.connection
            .map_window(window)
            .map_err(|error| self.failed("MapWindow", error))?;
        self.windows.push((window, seed));
        self.wait_until(window, "the window shown", |state| {
            state == MapState::VIEWABLE
        })?;
        self.wait_until_managed(window)?;
        if let Some(delay) = repainted {
            self.start_painter(window, contents, delay)?;
        }
        Ok(window)
    }

    /// Starts the thread that paints `window` from `contents` (a pixmap of this connection,
    /// kept until it closes) whenever a part of it is exposed; returns once it painted the
    /// whole window.
    fn start_painter(
        &mut self,
        window: u32,
        contents: u32,
        delay: Duration,
    ) -> Result<(), SceneError> {
        let (painter, _) =
            x11rb::connect(Some(&self.display)).map_err(|error| SceneError::Connect {
                display: self.display.clone(),
                reason: error.to_string(),
            })?;
        let failed = |request, reason: String| SceneError::Request {
            display: self.display.clone(),
            request,
            reason,
        };
        let gc = painter
            .generate_id()
            .map_err(|error| failed("allocating an id", error.to_string()))?;
        painter
            .create_gc(gc, window, &CreateGCAux::new())
            .map_err(|error| failed("CreateGC", error.to_string()))?;
        // Exposures reach this client from now on; then the whole window is painted once.
        painter
            .change_window_attributes(
                window,
                &ChangeWindowAttributesAux::new().event_mask(EventMask::EXPOSURE),
            )
            .map_err(|error| failed("ChangeWindowAttributes", error.to_string()))?;
        let geometry = painter
            .get_geometry(window)
            .map_err(|error| failed("GetGeometry", error.to_string()))?
            .reply()
            .map_err(|error| failed("GetGeometry", error.to_string()))?;
        painter
            .copy_area(
                contents,
                window,
                gc,
                0,
                0,
                0,
                0,
                geometry.width,
                geometry.height,
            )
            .map_err(|error| failed("CopyArea", error.to_string()))?;
        painter
            .sync()
            .map_err(|error| failed("GetInputFocus", error.to_string()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match painter.poll_for_event() {
                    Ok(Some(x11rb::protocol::Event::Expose(exposed))) => {
                        std::thread::sleep(delay);
                        let painted = painter.copy_area(
                            contents,
                            window,
                            gc,
                            exposed.x as i16,
                            exposed.y as i16,
                            exposed.x as i16,
                            exposed.y as i16,
                            exposed.width,
                            exposed.height,
                        );
                        if painted.is_err() || painter.flush().is_err() {
                            return;
                        }
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => std::thread::sleep(Duration::from_millis(1)),
                    Err(_) => return,
                }
            }
        });
        self.painters.push((stop, thread));
        Ok(())
    }

    /// A pixmap of `width` x `height` showing the pattern seeded `seed`.
    fn background(&self, width: u32, height: u32, seed: u32) -> Result<u32, SceneError> {
        let pixmap = self
            .connection
            .generate_id()
            .map_err(|error| self.failed("allocating an id", error))?;
        let gc = self
            .connection
            .generate_id()
            .map_err(|error| self.failed("allocating an id", error))?;
        self.connection
            .create_pixmap(self.depth, pixmap, self.root, width as u16, height as u16)
            .map_err(|error| self.failed("CreatePixmap", error))?;
        self.connection
            .create_gc(gc, pixmap, &CreateGCAux::new())
            .map_err(|error| self.failed("CreateGC", error))?;
        upload_image(
            &self.connection,
            (pixmap, gc),
            (width, height, self.depth, self.pad_bytes),
            self.format,
            |x, y| window_colour(seed, x, y),
        )
        .map_err(|reason| self.failed("PutImage", reason))?;
        self.connection
            .free_gc(gc)
            .map_err(|error| self.failed("FreeGC", error))?;
        Ok(pixmap)
    }

    /// Waits until `window`'s map state satisfies `ready`.
    fn wait_until(
        &self,
        window: u32,
        what: &'static str,
        ready: impl Fn(MapState) -> bool,
    ) -> Result<(), SceneError> {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        loop {
            let state = self
                .connection
                .get_window_attributes(window)
                .map_err(|error| self.failed("GetWindowAttributes", error))?
                .reply()
                .map_err(|error| self.failed("GetWindowAttributes", error))?
                .map_state;
            if ready(state) {
                // Let a window manager finish what it does around the change.
                self.sync()?;
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(self.failed("waiting", format!("{what} did not happen in time")));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// A round trip: everything sent before is done.
    fn sync(&self) -> Result<(), SceneError> {
        self.connection
            .sync()
            .map_err(|error| self.failed("GetInputFocus", error))
    }

    /// The seed `window` was made with.
    fn seed(&self, window: u32) -> u32 {
        self.windows
            .iter()
            .find(|&&(id, _)| id == window)
            .map_or(0, |&(_, seed)| seed)
    }

    /// Where `window`'s client area is on the screen now (a window manager may have moved it
    /// into a frame).
    ///
    /// # Errors
    ///
    /// [`SceneError::Request`] when the server refuses.
    pub fn placed(&self, window: u32) -> Result<Region, SceneError> {
        let geometry = self
            .connection
            .get_geometry(window)
            .map_err(|error| self.failed("GetGeometry", error))?
            .reply()
            .map_err(|error| self.failed("GetGeometry", error))?;
        let translated = self
            .connection
            .translate_coordinates(window, self.root, 0, 0)
            .map_err(|error| self.failed("TranslateCoordinates", error))?
            .reply()
            .map_err(|error| self.failed("TranslateCoordinates", error))?;
        Region::new(
            i32::from(translated.dst_x),
            i32::from(translated.dst_y),
            u32::from(geometry.width),
            u32::from(geometry.height),
        )
        .map_err(|error| self.failed("GetGeometry", error))
    }

    /// Compares every pixel of `frame` (a capture of `window`, placed where the window is)
    /// with the window's contents.
    ///
    /// # Errors
    ///
    /// A [`FrameMismatch`] listing the wrong pixels.
    pub fn check_window_frame(&self, window: u32, frame: &Frame) -> Result<(), FrameMismatch> {
        let placed = self.placed(window).expect("the window is placed");
        let seed = self.seed(window);
        pattern::check_frame(frame, self.format, |x, y| {
            let (x, y) = (x - i64::from(placed.left()), y - i64::from(placed.top()));
            (x >= 0 && y >= 0 && x < i64::from(placed.width()) && y < i64::from(placed.height()))
                .then(|| pattern::quantise(self.format, window_colour(seed, x as u32, y as u32)))
        })
    }

    /// Waits until the screen shows `colour_at(x, y)` at every pixel `(x, y)` of `region`
    /// (read with `GetImage` of the root on this kit's own connection, independently of the
    /// backends under test): for content another program draws in its own time, such as a
    /// picture a viewer shows after loading it. Fails with what the screen last showed when it
    /// does not show it within the settling time limit.
    ///
    /// # Errors
    ///
    /// [`SceneError::Request`] when the server refuses or the screen does not show it in time.
    pub fn wait_until_screen_shows(
        &self,
        region: Region,
        colour_at: impl Fn(u32, u32) -> Rgba,
    ) -> Result<(), SceneError> {
        let mut last = String::new();
        let outcome = self.settle("the screen showing the expected pixels", |windows| {
            let image = windows
                .connection
                .get_image(
                    x11rb::protocol::xproto::ImageFormat::Z_PIXMAP,
                    windows.root,
                    region.left() as i16,
                    region.top() as i16,
                    region.width() as u16,
                    region.height() as u16,
                    !0,
                )
                .map_err(|error| windows.failed("GetImage", error))?
                .reply()
                .map_err(|error| windows.failed("GetImage", error))?;
            let stride = image.data.len() / region.height() as usize;
            let frame = Frame::new(image.data, 0, region, stride, windows.format)
                .map_err(|error| windows.failed("GetImage", error))?;
            let format = windows.format;
            match pattern::check_frame(&frame, format, |x, y| {
                let (x, y) = (x - i64::from(region.left()), y - i64::from(region.top()));
                Some(pattern::quantise(format, colour_at(x as u32, y as u32)))
            }) {
                Ok(()) => Ok(true),
                Err(mismatch) => {
                    last = mismatch.to_string();
                    Ok(false)
                }
            }
        });
        outcome.map_err(|error| match error {
            SceneError::Request {
                display,
                request,
                reason,
            } if request == "waiting" => SceneError::Request {
                display,
                request,
                reason: format!("{reason}; the screen showed: {last}"),
            },
            other => other,
        })
    }

    /// How many pixmaps every client of the server holds now (X-Resource): a capturer that
    /// leaks the pixmaps it names shows here.
    ///
    /// # Errors
    ///
    /// [`SceneError::Request`] when the server has no X-Resource or refuses.
    pub fn server_pixmaps(&self) -> Result<u32, SceneError> {
        use x11rb::protocol::res::ConnectionExt as _;
        let pixmap_atom = self
            .connection
            .intern_atom(false, b"PIXMAP")
            .map_err(|error| self.failed("InternAtom", error))?
            .reply()
            .map_err(|error| self.failed("InternAtom", error))?
            .atom;
        let clients = self
            .connection
            .res_query_clients()
            .map_err(|error| self.failed("ResQueryClients", error))?
            .reply()
            .map_err(|error| self.failed("ResQueryClients", error))?
            .clients;
        let mut pixmaps = 0;
        for client in clients {
            let resources = self
                .connection
                .res_query_client_resources(client.resource_base)
                .map_err(|error| self.failed("ResQueryClientResources", error))?
                .reply()
                .map_err(|error| self.failed("ResQueryClientResources", error))?;
            pixmaps += resources
                .types
                .iter()
                .filter(|kind| kind.resource_type == pixmap_atom)
                .map(|kind| kind.count)
                .sum::<u32>();
        }
        Ok(pixmaps)
    }

    /// Asserts that `frame` shows exactly `window`'s contents.
    ///
    /// # Panics
    ///
    /// With the wrong pixels when any differs.
    pub fn assert_window_frame(&self, window: u32, frame: &Frame) {
        if let Err(mismatch) = self.check_window_frame(window, frame) {
            panic!("window {window:#x} on {}: {mismatch}", self.display);
        }
    }

    /// Moves `window`'s top-left corner to `(x, y)` (through the window manager, if any).
    ///
    /// # Errors
    ///
    /// [`SceneError::Request`] when the server refuses.
    pub fn move_to(&self, window: u32, x: i32, y: i32) -> Result<(), SceneError> {
        self.connection
            .configure_window(window, &ConfigureWindowAux::new().x(x).y(y))
            .map_err(|error| self.failed("ConfigureWindow", error))?;
        // Where a window manager puts a moved client, its frame or the client itself is at
        // the place asked (ICCCM lets it choose which).
        self.settle("the window moved", |windows| {
            let corner = |region: Region| (region.left(), region.top()) == (x, y);
            Ok(corner(windows.placed(window)?)
                || corner(windows.placed(windows.top_level(window)?)?))
        })
    }

    /// Raises `window` above the others.
    ///
    /// # Errors
    ///
    /// [`SceneError::Request`] when the server refuses.
    pub fn raise(&self, window: u32) -> Result<(), SceneError> {
        self.connection
            .configure_window(
                window,
                &ConfigureWindowAux::new().stack_mode(StackMode::ABOVE),
            )
            .map_err(|error| self.failed("ConfigureWindow", error))?;
        self.settle("the window raised", |windows| {
            let top = windows.top_level(window)?;
            let stacking = windows.top_levels_in_stacking_order()?;
            let position = |id| stacking.iter().position(|&other| other == id);
            let mine = position(top);
            for &(other, _) in &windows.windows {
                let other = windows.top_level(other)?;
                if other != top && position(other) > mine {
                    return Ok(false);
                }
            }
            Ok(mine.is_some())
        })
    }

    /// Resizes `window` to `width` x `height`; its contents (the pattern) cover the new size.
    ///
    /// # Errors
    ///
    /// [`SceneError::Request`] when the server refuses.
    pub fn resize(&self, window: u32, width: u32, height: u32) -> Result<(), SceneError> {
        let background = self.background(width, height, self.seed(window))?;
        self.connection
            .change_window_attributes(
                window,
                &ChangeWindowAttributesAux::new().background_pixmap(background),
            )
            .map_err(|error| self.failed("ChangeWindowAttributes", error))?;
        self.connection
            .free_pixmap(background)
            .map_err(|error| self.failed("FreePixmap", error))?;
        self.connection
            .configure_window(
                window,
                &ConfigureWindowAux::new().width(width).height(height),
            )
            .map_err(|error| self.failed("ConfigureWindow", error))?;
        self.connection
            .clear_area(true, window, 0, 0, 0, 0)
            .map_err(|error| self.failed("ClearArea", error))?;
        self.settle("the window resized", |windows| {
            let placed = windows.placed(window)?;
            Ok((placed.width(), placed.height()) == (width, height))
        })
    }

    /// Hides `window` (unmaps it).
    ///
    /// # Errors
    ///
    /// [`SceneError::Request`] when the server refuses.
    pub fn unmap(&self, window: u32) -> Result<(), SceneError> {
        self.connection
            .unmap_window(window)
            .map_err(|error| self.failed("UnmapWindow", error))?;
        self.wait_until(window, "the window hidden", |state| {
            state != MapState::VIEWABLE
        })
    }

    /// Shows `window` again.
    ///
    /// # Errors
    ///
    /// [`SceneError::Request`] when the server refuses.
    pub fn map(&self, window: u32) -> Result<(), SceneError> {
        self.connection
            .map_window(window)
            .map_err(|error| self.failed("MapWindow", error))?;
        self.wait_until(window, "the window shown", |state| {
            state == MapState::VIEWABLE
        })
    }

    /// Asks the window manager to minimize `window` (ICCCM `WM_CHANGE_STATE` to iconic);
    /// without a window manager, marks it minimized (`WM_STATE` iconic) and hides it, as one
    /// would.
    ///
    /// # Errors
    ///
    /// [`SceneError::Request`] when the server refuses or nothing happens in time.
    pub fn minimize(&self, window: u32, with_window_manager: bool) -> Result<(), SceneError> {
        if with_window_manager {
            let change_state = self.atom("WM_CHANGE_STATE")?;
            let event =
                ClientMessageEvent::new(32, window, change_state, [ICONIC_STATE, 0, 0, 0, 0]);
            self.connection
                .send_event(
                    false,
                    self.root,
                    EventMask::SUBSTRUCTURE_REDIRECT | EventMask::SUBSTRUCTURE_NOTIFY,
                    event,
                )
                .map_err(|error| self.failed("SendEvent", error))?;
        } else {
            let wm_state = self.atom("WM_STATE")?;
            self.connection
                .change_property32(
                    PropMode::REPLACE,
                    window,
                    wm_state,
                    wm_state,
                    &[ICONIC_STATE, 0],
                )
                .map_err(|error| self.failed("ChangeProperty", error))?;
            self.connection
                .unmap_window(window)
                .map_err(|error| self.failed("UnmapWindow", error))?;
        }
        self.wait_until(window, "the window minimized", |state| {
            state != MapState::VIEWABLE
        })?;
        // A window manager marks the window iconic on its own schedule, maybe after hiding it.
        self.settle("the window marked minimized (WM_STATE iconic)", |windows| {
            Ok(windows.wm_state(window)? == Some(ICONIC_STATE))
        })
    }

    /// Marks `window` minimized the way an EWMH window manager that keeps minimized windows
    /// mapped does (compositing managers keep them, for previews and thumbnails):
    /// `_NET_WM_STATE_HIDDEN` in its `_NET_WM_STATE`, and nothing else. The window stays
    /// mapped and viewable, so only that property says it is minimized. For a server without
    /// a window manager (with one, the manager owns that property).
    ///
    /// # Errors
    ///
    /// [`SceneError::Request`] when the server refuses.
    pub fn minimize_ewmh(&self, window: u32) -> Result<(), SceneError> {
        let net_wm_state = self.atom("_NET_WM_STATE")?;
        let hidden = self.atom("_NET_WM_STATE_HIDDEN")?;
        self.connection
            .change_property32(
                PropMode::REPLACE,
                window,
                net_wm_state,
                AtomEnum::ATOM,
                &[hidden],
            )
            .map_err(|error| self.failed("ChangeProperty", error))?;
        self.sync()
    }

    /// Destroys `window`.
    ///
    /// # Errors
    ///
    /// [`SceneError::Request`] when the server refuses.
    pub fn destroy(&mut self, window: u32) -> Result<(), SceneError> {
        self.connection
            .destroy_window(window)
            .map_err(|error| self.failed("DestroyWindow", error))?;
        self.windows.retain(|&(id, _)| id != window);
        self.sync()
    }

    /// Waits until `done` says a change took effect: at once without a window manager (the
    /// server made it before answering the round trip), or when a window manager, which acts
    /// on its own schedule, has made it. A change that never happens fails after
    /// [`SETTLE_TIMEOUT`] naming `what`.
    fn settle(
        &self,
        what: &'static str,
        mut done: impl FnMut(&Self) -> Result<bool, SceneError>,
    ) -> Result<(), SceneError> {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        loop {
            self.sync()?;
            if done(self)? {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(self.failed("waiting", format!("{what} did not happen in time")));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// When a window manager runs, waits until it manages `window` as the listing reads it:
    /// `WM_STATE` normal on the window, and the window in the EWMH client lists the manager
    /// keeps on the root. Without a window manager there is nothing to wait for.
    fn wait_until_managed(&self, window: u32) -> Result<(), SceneError> {
        if !self.window_manager_runs()? {
            return Ok(());
        }
        let lists = [
            self.atom("_NET_CLIENT_LIST")?,
            self.atom("_NET_CLIENT_LIST_STACKING")?,
        ];
        self.settle("the window managed by the window manager", |windows| {
            if windows.wm_state(window)? != Some(NORMAL_STATE) {
                return Ok(false);
            }
            for list in lists {
                if let Some(clients) = windows.root_window_list(list)?
                    && !clients.contains(&window)
                {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }

    /// Whether a window manager manages the screen (it selected the root's substructure
    /// redirect).
    fn window_manager_runs(&self) -> Result<bool, SceneError> {
        let attributes = self
            .connection
            .get_window_attributes(self.root)
            .map_err(|error| self.failed("GetWindowAttributes", error))?
            .reply()
            .map_err(|error| self.failed("GetWindowAttributes", error))?;
        Ok(attributes
            .all_event_masks
            .contains(EventMask::SUBSTRUCTURE_REDIRECT))
    }

    /// The atom named `name`.
    fn atom(&self, name: &str) -> Result<u32, SceneError> {
        Ok(self
            .connection
            .intern_atom(false, name.as_bytes())
            .map_err(|error| self.failed("InternAtom", error))?
            .reply()
            .map_err(|error| self.failed("InternAtom", error))?
            .atom)
    }

    /// The state in `window`'s `WM_STATE` (ICCCM: 1 normal, 3 iconic), `None` when unset.
    fn wm_state(&self, window: u32) -> Result<Option<u32>, SceneError> {
        let wm_state = self.atom("WM_STATE")?;
        let reply = self
            .connection
            .get_property(false, window, wm_state, wm_state, 0, 2)
            .map_err(|error| self.failed("GetProperty", error))?
            .reply()
            .map_err(|error| self.failed("GetProperty", error))?;
        Ok(reply.value32().and_then(|mut values| values.next()))
    }

    /// The windows in the root's window-list property `property`, `None` when it has none.
    fn root_window_list(&self, property: u32) -> Result<Option<Vec<u32>>, SceneError> {
        let reply = self
            .connection
            .get_property(false, self.root, property, AtomEnum::WINDOW, 0, 4096)
            .map_err(|error| self.failed("GetProperty", error))?
            .reply()
            .map_err(|error| self.failed("GetProperty", error))?;
        Ok(reply.value32().map(Iterator::collect))
    }

    /// `window`'s ancestor that is a child of the root (its frame under a window manager,
    /// itself without one).
    fn top_level(&self, window: u32) -> Result<u32, SceneError> {
        let mut current = window;
        loop {
            let tree = self
                .connection
                .query_tree(current)
                .map_err(|error| self.failed("QueryTree", error))?
                .reply()
                .map_err(|error| self.failed("QueryTree", error))?;
            if tree.parent == self.root || tree.parent == x11rb::NONE {
                return Ok(current);
            }
            current = tree.parent;
        }
    }

    /// The root's children, bottom first.
    fn top_levels_in_stacking_order(&self) -> Result<Vec<u32>, SceneError> {
        Ok(self
            .connection
            .query_tree(self.root)
            .map_err(|error| self.failed("QueryTree", error))?
            .reply()
            .map_err(|error| self.failed("QueryTree", error))?
            .children)
    }
}

/// ICCCM's `WM_STATE` of a window shown normally.
const NORMAL_STATE: u32 = 1;
/// ICCCM's `WM_STATE` of a minimized (iconified) window.
const ICONIC_STATE: u32 = 3;

/// A window manager running on a test server, stopped when dropped.
#[derive(Debug)]
pub struct WindowManager {
    child: Child,
}

impl WindowManager {
    /// Starts `program` (`twm`, `evilwm`) on `display` with `arguments`, and waits until it
    /// manages the screen (it has selected the root's substructure redirect).
    ///
    /// # Errors
    ///
    /// [`SceneError::Request`] when it does not start or take the screen in time.
    pub fn start(display: &str, program: &str, arguments: &[&str]) -> Result<Self, SceneError> {
        let failed = |reason: String| SceneError::Request {
            display: display.to_owned(),
            request: "starting a window manager",
            reason,
        };
        let child = Command::new(program)
            .args(arguments)
            .env("DISPLAY", display)
            .env("HOME", std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|error| failed(format!("{program}: {error}")))?;
        let manager = Self { child };
        let (connection, screen) =
            x11rb::connect(Some(display)).map_err(|error| failed(error.to_string()))?;
        let root = connection.setup().roots[screen].root;
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        loop {
            let attributes = connection
                .get_window_attributes(root)
                .map_err(|error| failed(error.to_string()))?
                .reply()
                .map_err(|error| failed(error.to_string()))?;
            if attributes
                .all_event_masks
                .contains(EventMask::SUBSTRUCTURE_REDIRECT)
            {
                return Ok(manager);
            }
            if Instant::now() > deadline {
                return Err(failed(format!("{program} did not take the screen in time")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Writes a twm configuration that places windows where they ask (`UsePPosition`), and
    /// returns the arguments that use it.
    ///
    /// # Errors
    ///
    /// The file system's error.
    pub fn twm_arguments(directory: &Path) -> std::io::Result<Vec<String>> {
        let config = directory.join("twmrc");
        // The fonts of xfonts-base ("fixed"): twm's defaults ("variable") are not there.
        let fonts = [
            "TitleFont",
            "ResizeFont",
            "MenuFont",
            "IconFont",
            "IconManagerFont",
        ]
        .map(|font| format!("{font} \"fixed\"\n"))
        .concat();
        std::fs::write(
            &config,
            format!("UsePPosition \"on\"\nRandomPlacement\nNoGrabServer\n{fonts}"),
        )?;
        Ok(vec!["-f".to_owned(), config.to_string_lossy().into_owned()])
    }
}

impl Drop for WindowManager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
