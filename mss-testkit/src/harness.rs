//! The backend-neutral test harness: display servers as tests see them ([`TestServer`],
//! started from a [`ServerSpec`]), the known content they show ([`KnownScene`]), the backends a
//! test crate runs ([`BackendUnderTest`]), and [`run_backend_test`], which
//! [`backend_test!`](crate::backend_test) expands to.
//!
//! # Why these traits
//!
//! mss-testkit knows display servers, not backends: it depends on `mss-core` and the servers'
//! own protocols only. The crate whose tests run (the `mss` facade, for the conformance suite)
//! knows the backends and hands them in as [`BackendUnderTest`]s; each backend names the
//! [`ServerFamily`] it captures (its display system's, unless it needs one compositor family:
//! GNOME's screen cast is only on mutter) and is run on a server of that family. A new display
//! system or compositor family joins by implementing [`TestServer`] and [`KnownScene`] for its
//! server and a [`ServerSpec`] that starts it, and by naming that spec in
//! [`default_server_for`]; the suite's tests stay as they are.

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use mss_core::{Capture, DisplaySystem, Frame, PixelFormat, Region, Rgba};

use crate::pattern::FrameMismatch;
use crate::scene::{Scene, SceneError};
use crate::server::{DummyOptions, ServerError, XServer, XvfbOptions};

/// Known content on a display, every pixel predictable, to compare frames with.
pub trait KnownScene: fmt::Debug {
    /// The colour the screen shows at `(x, y)`.
    fn expected(&self, x: u32, y: u32) -> Rgba;

    /// Compares every pixel of `frame` with [`expected`](Self::expected) at the screen
    /// position it shows.
    ///
    /// # Errors
    ///
    /// A [`FrameMismatch`] listing the wrong pixels.
    fn check_frame(&self, frame: &Frame) -> Result<(), FrameMismatch>;

    /// Asserts that `frame` shows exactly what the screen shows.
    ///
    /// # Panics
    ///
    /// With the wrong pixels, expected against actual, when any pixel differs.
    fn assert_frame(&self, frame: &Frame);

    /// Fills `region` with `colour` on the screen, and in what the scene expects.
    ///
    /// # Errors
    ///
    /// [`SceneError::OutsideScene`] when the region is not in the scene; the server's refusal.
    fn paint_rect(&mut self, region: Region, colour: Rgba) -> Result<(), SceneError>;

    /// The pixel format frames of this screen have.
    fn format(&self) -> PixelFormat;

    /// The scene's size, from the origin.
    fn region(&self) -> Region;

    /// Whether a capture taken as soon as [`paint_rect`](Self::paint_rect) returns shows the
    /// change. True where a capture reads the screen as it is (X11) or asks for the next
    /// repaint (wlr-screencopy). False where the compositor pushes frames to the capturer
    /// after it shows them (a PipeWire screen cast of mutter: the frame is recorded on an idle
    /// after the repaint whose frame callback `paint_rect` waits for), so a capture shows the
    /// change shortly after: tests then wait for it, with a deadline.
    fn captures_see_changes_at_once(&self) -> bool {
        true
    }
}

/// The kind of server a backend captures: its display system, and on Wayland the family of
/// compositors, which differ in the capture protocols they offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerFamily {
    /// An X server (Xvfb, Xorg).
    X11,
    /// A wlroots compositor (sway): wlr-screencopy.
    Wlroots,
    /// GNOME's compositor (mutter): its screen cast over D-Bus and PipeWire.
    Gnome,
}

impl ServerFamily {
    /// The family a backend of `system` captures unless it says otherwise: X11 servers, and
    /// for Wayland the wlroots compositors.
    ///
    /// # Panics
    ///
    /// For a display system with no test server ([`DisplaySystem::Virtual`]).
    pub fn of(system: DisplaySystem) -> Self {
        match system {
            DisplaySystem::X11 => ServerFamily::X11,
            DisplaySystem::Wayland => ServerFamily::Wlroots,
            other => panic!(
                "mss-testkit has no test server of display system {other}: a backend of that \
                 system needs a TestServer and a ServerSpec here first"
            ),
        }
    }

    /// The display system of the family's servers.
    pub fn system(self) -> DisplaySystem {
        match self {
            ServerFamily::X11 => DisplaySystem::X11,
            ServerFamily::Wlroots | ServerFamily::Gnome => DisplaySystem::Wayland,
        }
    }
}

impl KnownScene for Scene {
    fn expected(&self, x: u32, y: u32) -> Rgba {
        Scene::expected(self, x, y)
    }

    fn check_frame(&self, frame: &Frame) -> Result<(), FrameMismatch> {
        Scene::check_frame(self, frame)
    }

    fn assert_frame(&self, frame: &Frame) {
        Scene::assert_frame(self, frame);
    }

    fn paint_rect(&mut self, region: Region, colour: Rgba) -> Result<(), SceneError> {
        Scene::paint_rect(self, region, colour)
    }

    fn format(&self) -> PixelFormat {
        Scene::format(self)
    }

    fn region(&self) -> Region {
        Scene::region(self)
    }
}

/// A running display server a test captures from.
pub trait TestServer: fmt::Debug {
    /// Its display system.
    fn system(&self) -> DisplaySystem;

    /// Its family: which backends it serves.
    fn family(&self) -> ServerFamily;

    /// The display name backends open (`:3` for X11, the socket's path for Wayland).
    fn display(&self) -> &str;

    /// Shows the known scene on the whole screen.
    ///
    /// # Errors
    ///
    /// When the scene cannot be painted.
    fn paint_scene(&self) -> Result<Box<dyn KnownScene>, SceneError>;
}

impl KnownScene for crate::WaylandScene {
    fn expected(&self, x: u32, y: u32) -> Rgba {
        crate::WaylandScene::expected(self, x, y)
    }

    fn check_frame(&self, frame: &Frame) -> Result<(), FrameMismatch> {
        crate::WaylandScene::check_frame(self, frame)
    }

    fn assert_frame(&self, frame: &Frame) {
        crate::WaylandScene::assert_frame(self, frame);
    }

    fn paint_rect(&mut self, region: Region, colour: Rgba) -> Result<(), SceneError> {
        crate::WaylandScene::paint_rect(self, region, colour)
    }

    fn format(&self) -> PixelFormat {
        // What wlroots compositors capture shared-memory outputs in (XRGB8888).
        PixelFormat::Bgrx8888
    }

    fn region(&self) -> Region {
        crate::WaylandScene::region(self)
    }
}

impl TestServer for crate::WaylandServer {
    fn system(&self) -> DisplaySystem {
        DisplaySystem::Wayland
    }

    fn family(&self) -> ServerFamily {
        ServerFamily::Wlroots
    }

    fn display(&self) -> &str {
        self.wayland_display()
            .to_str()
            .expect("the test kit's runtime directories have UTF-8 paths")
    }

    fn paint_scene(&self) -> Result<Box<dyn KnownScene>, SceneError> {
        Ok(Box::new(crate::WaylandScene::paint(TestServer::display(
            self,
        ))?))
    }
}

impl ServerSpec for crate::SwayOptions {
    fn system(&self) -> DisplaySystem {
        DisplaySystem::Wayland
    }

    fn family(&self) -> ServerFamily {
        ServerFamily::Wlroots
    }

    fn start(&self) -> Result<Box<dyn TestServer>, ServerError> {
        Ok(Box::new(crate::WaylandServer::start(self)?))
    }
}

impl KnownScene for crate::XdgScene {
    fn expected(&self, x: u32, y: u32) -> Rgba {
        crate::XdgScene::expected(self, x, y)
    }

    fn check_frame(&self, frame: &Frame) -> Result<(), FrameMismatch> {
        crate::XdgScene::check_frame(self, frame)
    }

    fn assert_frame(&self, frame: &Frame) {
        crate::XdgScene::assert_frame(self, frame);
    }

    fn paint_rect(&mut self, region: Region, colour: Rgba) -> Result<(), SceneError> {
        crate::XdgScene::paint_rect(self, region, colour)
    }

    fn format(&self) -> PixelFormat {
        // What mutter's screen casts in shared memory deliver (BGRx).
        PixelFormat::Bgrx8888
    }

    fn region(&self) -> Region {
        crate::XdgScene::region(self)
    }

    /// mutter records a screen cast's frame on an idle after the repaint whose frame callback
    /// `paint_rect` waits for, and pushes it to the capturer then.
    fn captures_see_changes_at_once(&self) -> bool {
        false
    }
}

impl TestServer for crate::MutterServer {
    fn system(&self) -> DisplaySystem {
        DisplaySystem::Wayland
    }

    fn family(&self) -> ServerFamily {
        ServerFamily::Gnome
    }

    /// mutter's Wayland socket, a path: the `pipewire` backend finds the session's bus and
    /// PipeWire beside it, in the same runtime directory.
    fn display(&self) -> &str {
        self.wayland_display_name()
    }

    fn paint_scene(&self) -> Result<Box<dyn KnownScene>, SceneError> {
        Ok(Box::new(crate::XdgScene::show(&self.wayland_display())?))
    }
}

impl ServerSpec for crate::MutterOptions {
    fn system(&self) -> DisplaySystem {
        DisplaySystem::Wayland
    }

    fn family(&self) -> ServerFamily {
        ServerFamily::Gnome
    }

    fn start(&self) -> Result<Box<dyn TestServer>, ServerError> {
        Ok(Box::new(crate::MutterServer::start(self)?))
    }
}

impl TestServer for XServer {
    fn system(&self) -> DisplaySystem {
        DisplaySystem::X11
    }

    fn family(&self) -> ServerFamily {
        ServerFamily::X11
    }

    fn display(&self) -> &str {
        XServer::display(self)
    }

    fn paint_scene(&self) -> Result<Box<dyn KnownScene>, SceneError> {
        Ok(Box::new(XServer::paint_scene(self)?))
    }
}

/// How to start a test server: its options.
pub trait ServerSpec: fmt::Debug {
    /// The display system of the servers it starts.
    fn system(&self) -> DisplaySystem;

    /// The family of the servers it starts: only the backends of that family run on them.
    fn family(&self) -> ServerFamily;

    /// Starts a server.
    ///
    /// # Errors
    ///
    /// When the server cannot start.
    fn start(&self) -> Result<Box<dyn TestServer>, ServerError>;
}

impl ServerSpec for XvfbOptions {
    fn system(&self) -> DisplaySystem {
        DisplaySystem::X11
    }

    fn family(&self) -> ServerFamily {
        ServerFamily::X11
    }

    fn start(&self) -> Result<Box<dyn TestServer>, ServerError> {
        Ok(Box::new(XServer::xvfb(self)?))
    }
}

impl ServerSpec for DummyOptions {
    fn system(&self) -> DisplaySystem {
        DisplaySystem::X11
    }

    fn family(&self) -> ServerFamily {
        ServerFamily::X11
    }

    fn start(&self) -> Result<Box<dyn TestServer>, ServerError> {
        Ok(Box::new(XServer::xorg_dummy(self)?))
    }
}

/// The server a test without its own runs a backend of `family` on: for X11, a 640x480 Xvfb
/// of depth 24 ([`XvfbOptions::default`]); for wlroots, a headless sway with one 640x480
/// output; for GNOME, a headless mutter with one 640x480 virtual monitor.
pub fn default_server_for(family: ServerFamily) -> Box<dyn ServerSpec> {
    match family {
        ServerFamily::X11 => Box::new(XvfbOptions::default()),
        ServerFamily::Wlroots => Box::new(crate::SwayOptions::new()),
        ServerFamily::Gnome => Box::new(crate::MutterOptions::new().monitors(&[(640, 480)])),
    }
}

/// The server a backend of `system` runs on unless it names its family:
/// [`default_server_for`] the [family of the system](ServerFamily::of).
///
/// # Panics
///
/// For a display system mss-testkit has no test server for, naming it.
pub fn default_server(system: DisplaySystem) -> Box<dyn ServerSpec> {
    default_server_for(ServerFamily::of(system))
}

/// A backend, as the test crate that knows it hands it to the harness.
pub trait BackendUnderTest {
    /// Its name (its Cargo feature, and [`Capture::backend_name`]).
    fn name(&self) -> &'static str;

    /// The display system it captures.
    fn system(&self) -> DisplaySystem;

    /// The family of servers it captures: its display system's ([`ServerFamily::of`]) unless
    /// it needs a compositor of one family (the `pipewire` backend speaks GNOME's screen
    /// cast, which only mutter offers).
    fn family(&self) -> ServerFamily {
        ServerFamily::of(self.system())
    }

    /// The server it runs on when a test names none: [`default_server_for`] its family.
    fn default_server(&self) -> Box<dyn ServerSpec> {
        default_server_for(self.family())
    }

    /// Opens it on `display`.
    ///
    /// # Errors
    ///
    /// The backend's own.
    fn open(&self, display: &str) -> Result<Box<dyn Capture>, mss_core::Error>;
}

/// Which server a backend test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Servers<'a> {
    /// Each backend on [its default server](BackendUnderTest::default_server).
    Default,
    /// This one (only the backends of its family run).
    Only(&'a dyn ServerSpec),
}

/// The body of a [`backend_test!`](crate::backend_test) test.
pub type BackendTestBody = fn(&mut dyn Capture, &dyn KnownScene, &dyn TestServer);

/// Runs `body` once for every backend in `backends` that `servers` suits (a server of the
/// backend's family), each on a fresh server with the scene painted. A backend whose run panics does not stop the others; at the
/// end every failing backend is reported, by name, in one panic.
///
/// # Panics
///
/// When no backend suits the servers (a test that runs nothing would pass without testing),
/// when a server cannot start or the scene cannot be painted, when a backend cannot open the
/// display, and when `body` panics.
pub fn run_backend_test(
    backends: &[Box<dyn BackendUnderTest>],
    servers: Servers<'_>,
    body: BackendTestBody,
) {
    let mut ran = Vec::new();
    let mut failures = Vec::new();
    for backend in backends {
        let default;
        let spec: &dyn ServerSpec = match servers {
            Servers::Only(spec) if spec.family() != backend.family() => continue,
            Servers::Only(spec) => spec,
            Servers::Default => {
                default = backend.default_server();
                default.as_ref()
            }
        };
        ran.push(backend.name());
        let outcome = catch_unwind(AssertUnwindSafe(|| run_one(backend.as_ref(), spec, body)));
        if let Err(panic) = outcome {
            failures.push(format!(
                "backend {}: {}",
                backend.name(),
                panic_message(&panic)
            ));
        }
    }
    assert!(
        !ran.is_empty(),
        "no backend under test suits {servers:?}; backends: {:?}",
        backends
            .iter()
            .map(|backend| backend.name())
            .collect::<Vec<_>>()
    );
    assert!(
        failures.is_empty(),
        "{} of {} backend(s) failed:\n{}",
        failures.len(),
        ran.len(),
        failures.join("\n")
    );
}

fn run_one(backend: &dyn BackendUnderTest, spec: &dyn ServerSpec, body: BackendTestBody) {
    let server = spec
        .start()
        .unwrap_or_else(|error| panic!("cannot start {spec:?}: {error}"));
    let scene = server
        .paint_scene()
        .unwrap_or_else(|error| panic!("{error}"));
    let mut capture = backend.open(server.display()).unwrap_or_else(|error| {
        panic!(
            "backend {} cannot open display {}: {error}",
            backend.name(),
            server.display()
        )
    });
    assert_eq!(capture.backend_name(), backend.name());
    body(capture.as_mut(), scene.as_ref(), server.as_ref());
    // The capturer closes its connection before the scene and the server go away.
    drop(capture);
}

/// The text of a panic, as `panic!` formatted it.
fn panic_message(panic: &Box<dyn Any + Send>) -> String {
    if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_owned()
    } else {
        "(a panic without a message)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::FakeCapture;

    /// A backend that opens a [`FakeCapture`] named after it, whatever the display.
    struct Fake(&'static str, DisplaySystem);

    impl BackendUnderTest for Fake {
        fn name(&self) -> &'static str {
            self.0
        }

        fn system(&self) -> DisplaySystem {
            self.1
        }

        fn open(&self, _display: &str) -> Result<Box<dyn Capture>, mss_core::Error> {
            Ok(Box::new(NamedFake(self.0, FakeCapture::new(8, 8))))
        }
    }

    /// A backend of GNOME's family only.
    struct OnMutter(&'static str);

    impl BackendUnderTest for OnMutter {
        fn name(&self) -> &'static str {
            self.0
        }

        fn system(&self) -> DisplaySystem {
            DisplaySystem::Wayland
        }

        fn family(&self) -> ServerFamily {
            ServerFamily::Gnome
        }

        fn open(&self, _display: &str) -> Result<Box<dyn Capture>, mss_core::Error> {
            Ok(Box::new(NamedFake(self.0, FakeCapture::new(8, 8))))
        }
    }

    #[test]
    fn a_backend_names_its_family_and_its_default_server_follows() {
        assert_eq!(Fake("x", DisplaySystem::X11).family(), ServerFamily::X11);
        assert_eq!(
            Fake("w", DisplaySystem::Wayland).family(),
            ServerFamily::Wlroots
        );
        let gnome = OnMutter("g");
        assert_eq!(gnome.family(), ServerFamily::Gnome);
        assert_eq!(gnome.default_server().family(), ServerFamily::Gnome);
        assert_eq!(gnome.default_server().system(), DisplaySystem::Wayland);
        for family in [
            ServerFamily::X11,
            ServerFamily::Wlroots,
            ServerFamily::Gnome,
        ] {
            assert_eq!(default_server_for(family).family(), family);
            assert_eq!(default_server_for(family).system(), family.system());
        }
    }

    /// A fake capture reporting a chosen backend name.
    struct NamedFake(&'static str, FakeCapture);

    impl Capture for NamedFake {
        fn backend_name(&self) -> &'static str {
            self.0
        }
        fn status(&self) -> mss_core::BackendStatus {
            self.1.status()
        }
        fn screen(&mut self) -> Result<mss_core::ScreenInfo, mss_core::Error> {
            self.1.screen()
        }
        fn monitors(&mut self) -> Result<mss_core::Monitors, mss_core::Error> {
            self.1.monitors()
        }
        fn grab(&mut self, region: Region) -> Result<Frame, mss_core::Error> {
            self.1.grab(region)
        }
    }

    static RUNS: AtomicUsize = AtomicUsize::new(0);

    fn counting_body(capture: &mut dyn Capture, _: &dyn KnownScene, server: &dyn TestServer) {
        assert_eq!(server.system(), DisplaySystem::X11);
        RUNS.fetch_add(1, Ordering::SeqCst);
        if capture.backend_name() == "broken" {
            panic!("the body failed on purpose");
        }
    }

    #[test]
    fn every_suitable_backend_runs_and_failures_are_reported_by_name() {
        let backends: Vec<Box<dyn BackendUnderTest>> = vec![
            Box::new(Fake("first", DisplaySystem::X11)),
            Box::new(Fake("broken", DisplaySystem::X11)),
            Box::new(Fake("third", DisplaySystem::X11)),
            // Not run: the given server is X11.
            Box::new(Fake("elsewhere", DisplaySystem::Wayland)),
            Box::new(OnMutter("gnome-only")),
        ];
        let spec = XvfbOptions::new(32, 24, 24);
        let before = RUNS.load(Ordering::SeqCst);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            run_backend_test(&backends, Servers::Only(&spec), counting_body);
        }));
        assert_eq!(
            RUNS.load(Ordering::SeqCst) - before,
            3,
            "the failure stopped nothing"
        );
        let message = panic_message(&outcome.unwrap_err());
        assert_eq!(
            message,
            "1 of 3 backend(s) failed:\nbackend broken: the body failed on purpose"
        );
    }

    #[test]
    fn a_test_that_would_run_no_backend_fails() {
        let backends: Vec<Box<dyn BackendUnderTest>> =
            vec![Box::new(Fake("elsewhere", DisplaySystem::Wayland))];
        let spec = XvfbOptions::new(32, 24, 24);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            run_backend_test(&backends, Servers::Only(&spec), counting_body);
        }));
        let message = panic_message(&outcome.unwrap_err());
        assert!(
            message.starts_with("no backend under test suits"),
            "{message}"
        );
    }
}
