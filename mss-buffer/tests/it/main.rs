//! The one integration-test binary of mss-buffer, exercising the public API only.
#![forbid(unsafe_code)]

/// Slots that record their creation and their drop, and the registry that checks them.
mod support;

/// Which auto traits the public types have, checked at compile time.
mod auto_traits;
/// Random operation sequences checked against a model of the pool (proptest).
mod model;
/// Single-threaded behaviour of the pool, one rule at a time, tables where they help.
mod pool;
/// Many threads acquiring, releasing elsewhere and closing at once.
mod stress;
