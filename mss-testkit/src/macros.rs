//! [`backend_test!`](crate::backend_test): one test body, one `#[test]` per enabled backend.

/// Turns one test body into one `#[test]` per backend enabled in **mss-testkit** (its
/// `x11-getimage` and `x11-shm` features), each on a fresh private Xvfb with the
/// [`Scene`](crate::Scene) painted.
///
/// ```
/// use mss_testkit::{backend_test, XvfbOptions};
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
/// Each use expands to a module named after the function, holding one test per backend
/// (`full_screen_is_pixel_exact::x11_getimage`, `full_screen_is_pixel_exact::x11_shm`), so
/// `cargo test full_screen` runs all backends and `cargo test x11_shm` one backend. The body
/// sees the calling module's items (`use super::*`) and gets `capture: &mut dyn Capture`,
/// `scene: &Scene` and, when named, `server: &XServer`. Without `#[server(...)]` the server is
/// [`XvfbOptions::default`](crate::XvfbOptions) (640x480, depth 24).
///
/// Which backends get a test is decided by mss-testkit's own features, not the calling
/// crate's: the expansion goes through helper macros that mss-testkit defines differently
/// depending on its features. A `#[cfg(feature = "...")]` written in the expansion would
/// instead be evaluated in the calling crate, which may not have those features.
#[macro_export]
macro_rules! backend_test {
    (#[server($options:expr)] fn $name:ident($capture:ident, $scene:ident, $server:ident) $body:block) => {
        #[allow(non_snake_case)]
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn options() -> $crate::XvfbOptions {
                $options
            }

            #[allow(unused_variables)]
            fn body(
                $capture: &mut dyn $crate::mss_core::Capture,
                $scene: &$crate::Scene,
                $server: &$crate::XServer,
            ) $body

            // Referenced here so that the body, and the helpers it calls, count as used even
            // when no backend feature is on and no test below is generated.
            const _: (fn() -> $crate::XvfbOptions, $crate::backends::BackendTestBody) =
                (options, body);

            $crate::__if_x11_getimage! {
                #[test]
                fn x11_getimage() {
                    $crate::backends::run_backend_test(
                        $crate::Backend::X11GetImage,
                        &options(),
                        body,
                    );
                }
            }

            $crate::__if_x11_shm! {
                #[test]
                fn x11_shm() {
                    $crate::backends::run_backend_test(
                        $crate::Backend::X11Shm,
                        &options(),
                        body,
                    );
                }
            }
        }
    };
    (#[server($options:expr)] fn $name:ident($capture:ident, $scene:ident) $body:block) => {
        $crate::backend_test!(#[server($options)] fn $name($capture, $scene, _server) $body);
    };
    (fn $name:ident($capture:ident, $scene:ident $(, $server:ident)?) $body:block) => {
        $crate::backend_test!(
            #[server($crate::XvfbOptions::default())]
            fn $name($capture, $scene $(, $server)?) $body
        );
    };
}

/// Expands its input when mss-testkit has the `x11-getimage` feature.
#[cfg(feature = "x11-getimage")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_x11_getimage {
    ($($item:item)*) => { $($item)* };
}

/// Expands its input when mss-testkit has the `x11-getimage` feature.
#[cfg(not(feature = "x11-getimage"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_x11_getimage {
    ($($item:item)*) => {};
}

/// Expands its input when mss-testkit has the `x11-shm` feature.
#[cfg(feature = "x11-shm")]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_x11_shm {
    ($($item:item)*) => { $($item)* };
}

/// Expands its input when mss-testkit has the `x11-shm` feature.
#[cfg(not(feature = "x11-shm"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __if_x11_shm {
    ($($item:item)*) => {};
}
