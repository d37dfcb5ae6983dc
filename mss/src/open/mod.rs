//! How each backend family is opened from [`OpenOptions`](crate::registry::OpenOptions); the
//! registry names these functions. Each module exists only when one of its backends' features
//! is on.

#[cfg(any(feature = "x11-shm", feature = "x11-getimage"))]
pub(crate) mod x11;

#[cfg(feature = "wayland")]
pub(crate) mod wayland;
