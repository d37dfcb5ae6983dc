//! Windows: listing the applications' top-level windows, and finding a window's pixels for a
//! capture, through Composite where the server has it.
//!
//! # Which windows
//!
//! With an EWMH window manager, its client list, in stacking order
//! (`_NET_CLIENT_LIST_STACKING`, else `_NET_CLIENT_LIST` ordered by the stacking of their
//! top-level ancestors). Otherwise the root's children in stacking order: under a window
//! manager (one selects the root's substructure redirect), the clients it marked with
//! `WM_STATE`, found below their frames (as ICCCM has window managers mark them, and as
//! `xprop` finds them), and not the manager's own windows; with no window manager at all, the
//! named top-level windows (menus and tooltips, which bypass managers, excepted). Frames are
//! never listed: a client's geometry and pixels are its own.
//!
//! # A window's pixels
//!
//! With Composite (0.2 or later), the window is redirected (automatically: the server still
//! draws it on the screen as before) the first time it is captured, so it keeps its whole
//! contents in a pixmap of its own even where other windows cover it or the screen's edge cuts
//! it. Each capture names that pixmap anew (`NameWindowPixmap`: the pixmap of a resized window
//! is a new one) and frees it afterwards. Every redirection made is undone when the display
//! closes. Without Composite, the window's part on the screen is read from the window itself,
//! where covered parts show whatever covers them; the status says so.
//!
//! A capture is one round trip: the requests that check and place the window and name its
//! pixmap go out in one batch with the image request for where the pixels were at the last
//! capture, and the image is asked for again only when the window moved, resized or changed
//! depth meanwhile. The image request is the backend's ([`WindowImageRequest`]); `GetImage` is
//! this crate's own.
//!
//! # Files
//!
//! Listing (`list.rs`) and capturing are separate jobs and do not use each other. Capturing
//! is the probe (`probe.rs`: Composite redirection, the repaint wait, the batch of checks and
//! its reading) under the protocol around the image request (`capture.rs`). What listing and
//! probing both read of a window (the atoms, a minimized state, a window gone meanwhile) is in
//! `shared.rs`. What the display remembers of windows between captures is
//! `crate::window_state`, which the display owns.

mod capture;
mod list;
mod probe;
mod shared;

pub use capture::{WindowImage, WindowImageRequest};
