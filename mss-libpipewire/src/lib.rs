//! libpipewire-0.3, loaded at run time, behind a small safe API: what mss-rs needs to take
//! video from a PipeWire node (a screen cast).
//!
//! # What it is for
//!
//! Screen casts on GNOME, KDE and through the desktop portal are PipeWire streams. The
//! `pipewire` crate binds libpipewire through bindgen, which needs libclang and the C headers
//! at build time, and links the library. This crate instead declares the few structures and
//! functions it uses by hand (`sys`, checked against PipeWire 0.3.65's headers at compile
//! time) and loads `libpipewire-0.3.so.0` with `dlopen` on first use, so the build needs no C
//! toolchain beyond a linker and a machine without PipeWire gets an error naming the library
//! and its package ([`PipeWireError::LibraryMissing`]) instead of a program that does not
//! start.
//!
//! # The API
//!
//! - [`PipeWire::load`]: the library, loaded and initialised once per process.
//! - [`ThreadLoop`]: PipeWire's loop on its own thread; [`LoopLock`] its (recursive) lock.
//! - [`Context`] and [`Core`]: a connection to the default daemon or over a given socket
//!   (the portal's `OpenPipeWireRemote`).
//! - [`Stream`]: an input stream connected to a node with format parameters ([`Pod`]s, made
//!   with `mss-spa-pod`); its [`StreamEvent`]s (state with error text, parameters, buffers
//!   added and removed, process) read with [`Stream::next_event`] (whose wait another thread
//!   ends with [`Stream::interrupt`]); [`Buffer`]s dequeued, read
//!   (data blocks: type, descriptor, offset, size, chunk; metadata: header, damage, crop,
//!   cursor) and queued back when dropped, from any thread.
//!
//! # The safety story
//!
//! This crate and `mss-memfd` are the only crates of the workspace with `unsafe` code; each
//! block carries a `SAFETY:` comment naming its preconditions. The design keeps those
//! preconditions local:
//!
//! - **Lifetimes by reference counting.** A stream holds its core, a core its context, a
//!   context its thread loop, and a dequeued buffer the loop and the stream's shared state;
//!   each libpipewire object is destroyed once, by the drop of its last holder, with the
//!   loop's lock held, after everything made on it.
//! - **No caller code on the loop thread.** libpipewire calls this crate's own listener,
//!   which records events for the caller's thread and answers a new format with parameters
//!   given in advance. So nothing a caller owns is ever dropped on the loop thread, where
//!   stopping the loop or destroying a stream from inside its own callback would be fatal.
//! - **Buffers are checked, then used.** A dequeued buffer's contents are read out at once;
//!   queueing it back first checks, under the loop's lock, that the stream still exists and
//!   still has that buffer (buffers are registered by id when added and forgotten when
//!   removed), so a buffer held past its stream is never touched again.
//! - **Descriptors are duplicated.** Each data block's file descriptor is duplicated when the
//!   buffer is added, so a caller's mapping of it (`mss-memfd`) outlives the stream, the
//!   daemon and the producer.
//! - **Memory shared with the producer** (chunks, metadata) is copied out once, as plain
//!   integers; a producer writing it concurrently can change the numbers read (which callers
//!   check), never what this crate does with memory.
//! - **PODs are checked** to be well formed all the way down before libpipewire reads them
//!   ([`Pod::from_bytes`]).
//!
//! # Thread safety
//!
//! Every public type except [`LoopLock`] is `Send + Sync`; every call takes the loop's lock
//! itself. [`Stream::next_event`] refuses to wait while the calling thread holds a
//! [`LoopLock`], which would keep the loop from delivering anything.
#![deny(unsafe_op_in_unsafe_fn)]

mod buffer;
mod context;
mod error;
mod library;
mod pod;
mod properties;
mod stream;
mod sys;
mod thread_loop;

pub use buffer::{
    Buffer, BufferData, Chunk, CursorBitmap, DataType, MetaCursor, MetaHeader, MetaRegion,
};
pub use context::{Context, Core};
pub use error::PipeWireError;
pub use library::{DEBIAN_PACKAGE, LIBRARY, PipeWire};
pub use pod::Pod;
pub use stream::{Stream, StreamEvent, StreamFlags, StreamState};
pub use thread_loop::{LoopLock, ThreadLoop};
