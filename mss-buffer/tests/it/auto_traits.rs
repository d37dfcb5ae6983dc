//! Auto traits of the public types. A wrong answer here fails to compile, which fails the test
//! build.

use std::cell::Cell;
use std::sync::MutexGuard;

use mss_buffer::{AcquireError, FinalizingBuffer, Lease, Pool, PoolStats};

fn assert_send<T: Send>() {}
fn assert_sync<T: Sync>() {}

/// Compiles only for types that are NOT `Sync`: for a `Sync` type both implementations apply
/// and the marker type cannot be inferred.
trait NotSync<Marker> {
    fn check() {}
}
impl<T: ?Sized> NotSync<()> for T {}
impl<T: ?Sized + Sync> NotSync<u8> for T {}

/// The same trick for `Send`.
trait NotSend<Marker> {
    fn check() {}
}
impl<T: ?Sized> NotSend<()> for T {}
impl<T: ?Sized + Send> NotSend<u8> for T {}

type Hook<T> = fn(T);

#[test]
fn pool_is_send_and_sync_for_send_slots() {
    assert_send::<Pool<Vec<u8>>>();
    assert_sync::<Pool<Vec<u8>>>();
    // A slot that is `Send` but not `Sync` still gives a shareable pool: the pool only moves
    // slots, it never shares one.
    assert_send::<Pool<Cell<u8>>>();
    assert_sync::<Pool<Cell<u8>>>();
}

#[test]
fn lease_follows_its_slot() {
    assert_send::<Lease<Vec<u8>>>();
    assert_sync::<Lease<Vec<u8>>>();
    assert_send::<Lease<Cell<u8>>>();
    <Lease<Cell<u8>> as NotSync<_>>::check();
}

#[test]
fn finalizing_buffer_follows_its_value() {
    assert_send::<FinalizingBuffer<Vec<u8>, Hook<Vec<u8>>>>();
    assert_sync::<FinalizingBuffer<Vec<u8>, Hook<Vec<u8>>>>();
    <FinalizingBuffer<Cell<u8>, Hook<Cell<u8>>> as NotSync<_>>::check();
    <FinalizingBuffer<MutexGuard<'static, u8>, Hook<MutexGuard<'static, u8>>> as NotSend<_>>::check(
    );
}

#[test]
fn records_and_errors_cross_threads() {
    assert_send::<PoolStats>();
    assert_sync::<PoolStats>();
    assert_send::<AcquireError<std::io::Error>>();
    assert_sync::<AcquireError<std::io::Error>>();
}
