//! The names this backend goes by in statuses and errors: its own, and its methods'.

/// The backend's name, equal to its Cargo feature.
pub const BACKEND_NAME: &str = "x11-shm";

/// The method name in [`BackendStatus`](mss_core::BackendStatus) while MIT-SHM is in use.
pub const METHOD_SHM: &str = "MIT-SHM";

/// The method name in [`BackendStatus`](mss_core::BackendStatus) after falling back to `GetImage`.
pub const METHOD_GET_IMAGE: &str = "GetImage";
