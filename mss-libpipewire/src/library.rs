//! Loading libpipewire-0.3 at run time, once per process, and initialising it.

use std::ffi::CStr;
use std::sync::OnceLock;

use crate::error::PipeWireError;
use crate::sys::Api;

/// The file loaded: the library's soname, the same on every distribution.
pub const LIBRARY: &str = "libpipewire-0.3.so.0";
/// The Debian package that ships [`LIBRARY`].
pub const DEBIAN_PACKAGE: &str = "libpipewire-0.3-0";

/// The loaded library, kept for the life of the process: unloading a library whose threads
/// (a thread loop) and callbacks may still run would leave code pointers dangling.
struct Loaded {
    api: Api,
    _library: libloading::Library,
}

static LOADED: OnceLock<Result<Loaded, PipeWireError>> = OnceLock::new();

/// A handle on libpipewire, loaded and initialised (`pw_init`). Cheap to copy: every object of
/// this crate is made through one.
#[derive(Clone, Copy)]
pub struct PipeWire {
    api: &'static Api,
}

impl std::fmt::Debug for PipeWire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipeWire")
            .field("version", &self.library_version())
            .finish()
    }
}

impl PipeWire {
    /// Loads `libpipewire-0.3.so.0` (the first time; later calls return the same handle or
    /// the same error) and calls `pw_init`.
    ///
    /// # Errors
    ///
    /// [`PipeWireError::LibraryMissing`] naming the library and its Debian package when it
    /// cannot be loaded; [`PipeWireError::SymbolMissing`] when it lacks a function this crate
    /// calls (a library older than 0.3.40).
    pub fn load() -> Result<Self, PipeWireError> {
        match LOADED.get_or_init(|| load_from(LIBRARY)) {
            Ok(loaded) => Ok(Self { api: &loaded.api }),
            Err(error) => Err(error.clone()),
        }
    }

    /// The version of the library loaded (`pw_get_library_version`), such as `0.3.65`.
    pub fn library_version(&self) -> String {
        // SAFETY: `pw_get_library_version` takes nothing and returns a pointer to a static,
        // NUL-terminated string of the library (never null), which lives as long as the
        // library, which is never unloaded.
        let version = unsafe { CStr::from_ptr((self.api.pw_get_library_version)()) };
        version.to_string_lossy().into_owned()
    }

    pub(crate) fn api(&self) -> &'static Api {
        self.api
    }
}

/// Loads `file` and resolves every function; the library stays loaded if this succeeds.
fn load_from(file: &str) -> Result<Loaded, PipeWireError> {
    // SAFETY: loading a shared library runs its initialisers. libpipewire-0.3's (and those of
    // the libraries it needs, libc, libdbus-free) only set up its own static state; they do
    // not depend on anything this process has to do first. The name is a soname looked up on
    // the system's library path, as the dynamic linker would for a linked program.
    let library = unsafe { libloading::Library::new(file) }.map_err(|error| {
        PipeWireError::LibraryMissing {
            library: file.to_owned(),
            package: DEBIAN_PACKAGE,
            reason: error.to_string(),
        }
    })?;
    macro_rules! resolve {
        ($($name:ident),* $(,)?) => {
            Api {
                $($name: {
                    let symbol = concat!(stringify!($name), "\0").as_bytes();
                    // SAFETY: the symbol is looked up by the name of a function of
                    // libpipewire-0.3, and the field's type (in `sys::Api`) is that function's
                    // C signature as declared in PipeWire's headers, so calling it through
                    // this pointer is calling it as C would. The pointer is copied out of the
                    // `Symbol`; it stays valid because the library is never unloaded (it is
                    // kept in `Loaded`, which lives in a process-wide static).
                    unsafe {
                        *library.get(symbol).map_err(|_| PipeWireError::SymbolMissing {
                            library: file.to_owned(),
                            symbol: stringify!($name),
                        })?
                    }
                },)*
            }
        };
    }
    let api = resolve!(
        pw_init,
        pw_get_library_version,
        pw_thread_loop_new,
        pw_thread_loop_destroy,
        pw_thread_loop_start,
        pw_thread_loop_stop,
        pw_thread_loop_lock,
        pw_thread_loop_unlock,
        pw_thread_loop_get_loop,
        pw_thread_loop_in_thread,
        pw_context_new,
        pw_context_destroy,
        pw_context_connect,
        pw_context_connect_fd,
        pw_core_disconnect,
        pw_properties_new_dict,
        pw_properties_get,
        pw_properties_free,
        pw_stream_new,
        pw_stream_destroy,
        pw_stream_disconnect,
        pw_stream_add_listener,
        pw_stream_connect,
        pw_stream_update_params,
        pw_stream_get_node_id,
        pw_stream_dequeue_buffer,
        pw_stream_queue_buffer,
    );
    // SAFETY: `pw_init` accepts null for both arguments (no command line to parse). It is
    // called once per process, here, inside the `OnceLock` initialiser, before any other
    // function of the library, as PipeWire requires; `pw_deinit` is never called, because
    // other parts of the process may use the library until it exits.
    unsafe { (api.pw_init)(std::ptr::null_mut(), std::ptr::null_mut()) };
    Ok(Loaded {
        api,
        _library: library,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_library_is_named_with_its_package() {
        let Err(error) = load_from("libpipewire-0.3-absent.so.0") else {
            panic!("a library that does not exist was loaded");
        };
        assert!(matches!(error, PipeWireError::LibraryMissing { .. }));
        let message = error.to_string();
        assert!(
            message.starts_with(
                "cannot load libpipewire-0.3-absent.so.0, the PipeWire client library: "
            ),
            "{message}"
        );
        assert!(
            message.ends_with("install the Debian package libpipewire-0.3-0 (or your distribution's PipeWire client library)"),
            "{message}"
        );
    }

    #[test]
    fn the_real_library_loads_once() {
        let first = PipeWire::load().unwrap();
        let second = PipeWire::load().unwrap();
        assert!(std::ptr::eq(first.api, second.api));
        let version = first.library_version();
        assert!(
            version.starts_with("0.3.") || version.starts_with("1."),
            "{version}"
        );
    }
}
