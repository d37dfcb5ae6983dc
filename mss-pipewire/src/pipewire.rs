//! The connection to PipeWire every screen cast of a capturer shares: libpipewire loaded, its
//! thread loop running, one core connected over a socket; and the parameters a capture stream
//! is connected with.

use std::os::fd::OwnedFd;
use std::path::Path;

use mss_core::Error;
use mss_libpipewire::{Context, Core, PipeWireError, Pod, ThreadLoop};
use mss_spa_pod::ids::{data_type, meta_size, meta_type};
use mss_spa_pod::{Fraction, MetaSize, Rectangle, VideoFormat};

use crate::BACKEND_NAME;
use crate::pointer;

/// The formats a stream offers, the first preferred: every 32-bit packed RGB layout mss-core
/// has, with and without alpha (mutter sends BGRx).
pub(crate) const FORMATS: [VideoFormat; 4] = [
    VideoFormat::Bgrx,
    VideoFormat::Bgra,
    VideoFormat::Rgbx,
    VideoFormat::Rgba,
];

/// How many buffers a stream asks the producer for: (default, minimum, maximum). Frames hold
/// buffers (they are the buffers), and the producer must keep at least one free to record a
/// change, so at least 4: the newest, one in flight, one free, and one a frame may hold.
pub(crate) const BUFFERS: (i32, i32, i32) = (8, 4, 16);

/// How many buffers a stream read for the pointer only asks for: (default, minimum, maximum).
/// Its buffers go back to the producer as soon as their metadata is read; mutter still
/// records whole frames into them (it cannot be asked for less), so fewer buffers is less
/// memory, but it drops a pointer update it has no free buffer for (and sends nothing more
/// until the pointer moves again), so one in flight, one being read and two free.
pub(crate) const POINTER_BUFFERS: (i32, i32, i32) = (4, 3, 16);

/// The most damage rectangles a buffer's metadata is asked to hold.
const DAMAGE_RECTANGLES: u32 = 16;

/// libpipewire, its thread loop and one core connected to the session's PipeWire.
pub(crate) struct PipeWire {
    /// The core streams are made on (it holds its context, which holds the loop).
    pub(crate) core: Core,
    _context: Context,
    _thread_loop: ThreadLoop,
}

impl std::fmt::Debug for PipeWire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeWire").finish_non_exhaustive()
    }
}

impl PipeWire {
    /// Loads libpipewire (once per process), starts a thread loop and connects a core over
    /// `socket`, a connected PipeWire socket (the session's daemon, or what the portal's
    /// `OpenPipeWireRemote` hands out).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] naming the library and its Debian package when libpipewire
    /// cannot be loaded; [`Error::ConnectionLost`] when libpipewire refuses a step.
    pub(crate) fn connect(socket: OwnedFd, display: &str) -> Result<Self, Error> {
        let pipewire =
            mss_libpipewire::PipeWire::load().map_err(|error| load_error(display, error))?;
        let thread_loop = ThreadLoop::new(pipewire, "mss-pipewire")
            .map_err(|error| failed(display, "making PipeWire's thread loop", error))?;
        thread_loop
            .start()
            .map_err(|error| failed(display, "starting PipeWire's thread loop", error))?;
        let context = Context::new(&thread_loop)
            .map_err(|error| failed(display, "making a PipeWire context", error))?;
        let core = context
            .connect_fd(socket, &[("application.name", "mss-rs")])
            .map_err(|error| failed(display, "connecting to PipeWire", error))?;
        Ok(Self {
            core,
            _context: context,
            _thread_loop: thread_loop,
        })
    }
}

/// The session's PipeWire socket at `path`, connected.
///
/// # Errors
///
/// [`Error::DisplayUnavailable`] saying PipeWire is not running there.
pub(crate) fn connect_socket(path: &Path, display: &str) -> Result<OwnedFd, Error> {
    std::os::unix::net::UnixStream::connect(path)
        .map(OwnedFd::from)
        .map_err(|error| Error::DisplayUnavailable {
            display: display.to_owned(),
            reason: format!(
                "PipeWire, which carries screen casts, is not running at {}: {error}",
                path.display()
            ),
            source: Some(Box::new(error)),
        })
}

/// The error for libpipewire not loading: [`Error::Unsupported`], whose reason names the
/// library and the package to install, when it is missing or too old.
fn load_error(display: &str, error: PipeWireError) -> Error {
    match error {
        PipeWireError::LibraryMissing { .. } | PipeWireError::SymbolMissing { .. } => {
            Error::Unsupported {
                backend: BACKEND_NAME,
                what: "capturing through PipeWire",
                reason: error.to_string(),
            }
        }
        other => failed(display, "loading libpipewire", other),
    }
}

fn failed(display: &str, step: &str, error: PipeWireError) -> Error {
    Error::ConnectionLost {
        display: display.to_owned(),
        reason: format!("{step}: {error}"),
        source: Some(Box::new(error)),
    }
}

fn pod(bytes: Vec<u8>) -> Pod {
    Pod::from_bytes(&bytes).expect("mss-spa-pod makes well-formed PODs")
}

/// The `EnumFormat` a stream offers: raw video in [`FORMATS`], of any size up to 16384x16384
/// (`size` preferred) and any rate.
pub(crate) fn enum_format(size: (u32, u32)) -> Pod {
    pod(mss_spa_pod::enum_format_raw_video(
        &FORMATS,
        (
            Rectangle::new(size.0.clamp(1, 16384), size.1.clamp(1, 16384)),
            Rectangle::new(1, 1),
            Rectangle::new(16384, 16384),
        ),
        (
            Fraction::new(0, 1),
            Fraction::new(0, 1),
            Fraction::new(1000, 1),
        ),
    ))
}

/// What a stream answers a format with: memfd buffers (mapped read-only, sealed), [`BUFFERS`]
/// of them when its `frames` are read, else [`POINTER_BUFFERS`]; the header metadata
/// (timestamps, flags) and damage metadata; with `pointer`, cursor metadata too, with room for
/// an image of any size up to [`pointer::MAX_SIZE`] each way (mutter offers exactly 384x384;
/// metadata of a size both sides do not accept is left out).
pub(crate) fn after_format(pointer: bool, frames: bool) -> Vec<Pod> {
    let region = meta_size::REGION;
    let buffers = if frames { BUFFERS } else { POINTER_BUFFERS };
    let mut params = vec![
        pod(mss_spa_pod::buffers(buffers, 1 << data_type::MEM_FD)),
        pod(mss_spa_pod::meta(
            meta_type::HEADER,
            MetaSize::Fixed(meta_size::HEADER),
        )),
        pod(mss_spa_pod::meta(
            meta_type::VIDEO_DAMAGE,
            MetaSize::Range(
                region * DAMAGE_RECTANGLES,
                region,
                region * DAMAGE_RECTANGLES,
            ),
        )),
    ];
    if pointer {
        params.push(pod(mss_spa_pod::meta(
            meta_type::CURSOR,
            MetaSize::Range(
                meta_size::cursor_with_bitmap(64, 64),
                meta_size::cursor_with_bitmap(1, 1),
                meta_size::cursor_with_bitmap(pointer::MAX_SIZE, pointer::MAX_SIZE),
            ),
        )));
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_libpipewire_is_unsupported_naming_the_library_and_its_package() {
        let missing = PipeWireError::LibraryMissing {
            library: mss_libpipewire::LIBRARY.to_owned(),
            package: mss_libpipewire::DEBIAN_PACKAGE,
            reason: "cannot open shared object file".to_owned(),
        };
        let error = load_error("wayland-0", missing);
        assert!(
            matches!(
                error,
                Error::Unsupported {
                    backend: "pipewire",
                    ..
                }
            ),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("libpipewire-0.3.so.0"), "{message}");
        assert!(message.contains("libpipewire-0.3-0"), "{message}");
    }
}
