//! [`backend_test!`](crate::backend_test): one test body, run against every backend under test.

/// Turns one test body into a `#[test]` that runs it against every backend the calling test
/// crate hands in, each on a fresh server of its own display system with the known scene
/// painted ([`run_backend_test`](crate::harness::run_backend_test)).
///
/// The calling crate names its backends with a function at its root,
/// `fn backends_under_test() -> Vec<Box<dyn mss_testkit::BackendUnderTest>>` (the facade's
/// conformance suite builds it from the backend registry). mss-testkit knows no backend itself.
///
/// ```
/// use mss_testkit::{BackendUnderTest, XvfbOptions, backend_test};
///
/// /// The backends this test crate runs (the facade builds them from its registry).
/// fn backends_under_test() -> Vec<Box<dyn BackendUnderTest>> {
///     Vec::new()
/// }
///
/// backend_test!(fn full_screen_is_pixel_exact(capture, scene) {
///     scene.assert_frame(&capture.grab_screen().unwrap());
/// });
///
/// backend_test!(#[server(XvfbOptions::new(333, 211, 16))]
/// fn rgb565_screens_convert_exactly(capture, scene, server) {
///     assert_eq!(server.display(), capture.screen().unwrap().display);
/// });
/// # fn main() {}
/// ```
///
/// The body gets `capture: &mut dyn Capture`, `scene: &dyn KnownScene` and, when named,
/// `server: &dyn TestServer`, and sees the calling module's items. Without `#[server(...)]`
/// each backend runs on [`default_server`](crate::harness::default_server) of its display
/// system (a 640x480 Xvfb for X11), so the body must hold for every system; with
/// `#[server(SPEC)]` (any [`ServerSpec`](crate::ServerSpec), such as an
/// [`XvfbOptions`](crate::XvfbOptions)) only the backends of the spec's system run. A test in
/// which no backend runs fails. A backend that fails does not stop the others, and the failure
/// names every failing backend.
#[macro_export]
#[allow(
    clippy::crate_in_macro_def,
    reason = "`crate::backends_under_test` is the calling test crate's list of backends, on purpose"
)]
macro_rules! backend_test {
    (#[server($spec:expr)] fn $name:ident($capture:ident, $scene:ident, $server:ident) $body:block) => {
        #[test]
        fn $name() {
            #[allow(unused_variables)]
            fn body(
                $capture: &mut dyn $crate::mss_core::Capture,
                $scene: &dyn $crate::KnownScene,
                $server: &dyn $crate::TestServer,
            ) $body
            let spec = $spec;
            $crate::harness::run_backend_test(
                &crate::backends_under_test(),
                $crate::harness::Servers::Only(&spec),
                body,
            );
        }
    };
    (#[server($spec:expr)] fn $name:ident($capture:ident, $scene:ident) $body:block) => {
        $crate::backend_test!(#[server($spec)] fn $name($capture, $scene, _server) $body);
    };
    (fn $name:ident($capture:ident, $scene:ident, $server:ident) $body:block) => {
        #[test]
        fn $name() {
            #[allow(unused_variables)]
            fn body(
                $capture: &mut dyn $crate::mss_core::Capture,
                $scene: &dyn $crate::KnownScene,
                $server: &dyn $crate::TestServer,
            ) $body
            $crate::harness::run_backend_test(
                &crate::backends_under_test(),
                $crate::harness::Servers::Default,
                body,
            );
        }
    };
    (fn $name:ident($capture:ident, $scene:ident) $body:block) => {
        $crate::backend_test!(fn $name($capture, $scene, _server) $body);
    };
}
