//! [`AcquireError`]: why [`Pool::acquire`](crate::Pool::acquire) gave no slot.

/// Why [`Pool::acquire`](crate::Pool::acquire) could not hand out a slot.
///
/// `E` is the error type of the caller's slot creator. The enum is `#[non_exhaustive]`: keep a
/// catch-all arm when matching it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcquireError<E> {
    /// No free slot fits the request, and all `limit` slots the pool may hold are leased (or
    /// being created for other acquirers). Dropping a lease makes room again.
    #[error(
        "all {limit} slots of the pool are leased and it may not grow further; drop a lease or raise the limit"
    )]
    Exhausted {
        /// The pool's limit on live slots.
        limit: usize,
    },

    /// The pool had room for a new slot, but the caller's creator failed. The room was given
    /// back; the error is the creator's own, kept as the source.
    #[error("the pool had room for a new slot, but creating it failed")]
    Create(#[source] E),
}
