//! The PipeWire backend of mss-rs: captures the monitors of a Wayland session through screen
//! casts and PipeWire, with zero-copy frames: on GNOME through mutter's own screen-cast
//! interface (`org.gnome.Mutter.ScreenCast`, the one gnome-remote-desktop uses: no dialog),
//! elsewhere (KDE, COSMIC, Hyprland and every desktop with a screen-cast portal backend)
//! through the desktop portal's (`org.freedesktop.portal.ScreenCast`, a dialog once).
//!
//! # Which interface
//!
//! mutter's interface when it is on the session bus, else the portal; when neither is there,
//! the refusal ([`mss_core::Error::Unsupported`]) says what each answered.
//! [`PipeWireOptions::source`] (or `MSS_PIPEWIRE_SOURCE=mutter|portal` for [`open`], the
//! facade's plug) forces one: the portal on GNOME too, say, as a sandboxed (Flatpak)
//! application reaches it. The status's method names the interface used.
//!
//! # The portal
//!
//! The portal asks the user which monitors to share (every one may be chosen: each is a
//! stream) in a dialog when a session starts; an open waits for the answer up to its timeout,
//! then fails with [`mss_core::Error::Timeout`] saying the portal may be waiting for the user
//! (and closes the request, so the dialog goes). A refused dialog (response 1), or one the
//! portal ended otherwise (response 2), is [`mss_core::Error::DisplayUnavailable`] naming it;
//! a portal without a screen cast, or no portal at all, is [`mss_core::Error::Unsupported`]
//! naming which. The monitors are the streams, at the places and sizes the portal gives (in
//! the compositor's coordinates), in its order; their pixel sizes are their streams' frames'.
//! PipeWire is reached through the socket the portal hands out (`OpenPipeWireRemote`), which
//! sees only the session's streams. The portal's streams run from the start; one that ends
//! (the compositor, the portal or its backend stopped it or went away) cannot be started
//! again, so it is [`mss_core::Error::ConnectionLost`]. The pointer is chosen with the
//! monitors: [`Capture::draw_cursor`](mss_core::Capture::draw_cursor), and the first
//! [`Capture::cursor`](mss_core::Capture::cursor), start a new session (restored from the
//! token, so no second dialog where the portal keeps choices).
//!
//! # Restore tokens
//!
//! Sessions are asked to persist until the user revokes them (`persist_mode` 2): the portal
//! then hands out a restore token, which restores the user's choice without the dialog next
//! time. The token is kept in `$XDG_STATE_HOME/mss/` (`~/.local/state/mss/`), one file per
//! desktop (`portal-restore-token-KDE`...), mode 0600, replaced atomically; see [`TokenStore`]
//! for the key and the other places. A token the portal no longer knows makes it show the
//! dialog (once; the new token replaces the old); one it refuses (not a token of its) is
//! dropped and the session asked for once more without it. An application can pass its own
//! ([`PipeWireOptions::restore_token`], the facade's `MssBuilder::restore_token` or
//! `MSS_PORTAL_RESTORE_TOKEN`) and read the new one ([`PipeWireCapture::restore_token`],
//! `Capture::restore_token`); a token lets its holder capture the screen without asking, so
//! it is never printed.
//!
//! # How a grab works
//!
//! The capturer asks mutter for the monitors (`org.gnome.Mutter.DisplayConfig`) on every
//! call, so layout changes show at once. The first grab of a monitor starts a screen cast of
//! it (`RecordMonitor`) and connects a PipeWire stream to it, in shared memory (memfd buffers
//! the producer seals, mapped read-only once per buffer). From then on a thread of the cast
//! takes every frame mutter sends and keeps the newest; the buffer before goes back to mutter
//! at once unless a frame still holds it. A grab answers with the newest picture: the frame
//! *is* its buffer (a region of one monitor is a window into the buffer at the region's
//! offset, with the buffer's stride), shared by every frame cut from it, and the buffer goes
//! back to mutter when the last of them is dropped, on any thread. Frames outlive the
//! capturer, PipeWire and mutter. A region across monitors is copied once into a new frame
//! (black where no monitor is), as the Wayland backend does.
//!
//! # Idle screens and the first frame
//!
//! A screen cast sends a frame when something changed and nothing while the screen is still,
//! so a grab on an idle screen answers at once with the newest picture. The first picture of
//! a cast is the one recorded at or after the moment the cast was started: mutter stamps each
//! frame's header with the monotonic clock when it records it, and its first recording after
//! `Start` paints the whole stage as it is then. A grab waits for it, up to the timeout. (A
//! first frame that showed the screen as it was before a window appeared was mutter's 250 ms
//! map animation, still running when the window's frame callback came: not a stale frame.)
//!
//! A change reaches the capturer shortly after the compositor shows it: mutter records the
//! frame on an idle after the repaint (after the frame callbacks of that repaint went out),
//! then pushes it through PipeWire. A grab taken the instant after a change can still show
//! the picture before it; a stream waits for the next picture instead.
//!
//! # Buffers, errors, deadlines
//!
//! Frames hold mutter's buffers, and mutter needs a free one to record a change (it drops the
//! frame otherwise, and the newest picture would be stale): past what it can spare, a grab or
//! a stream fails with [`mss_core::Error::BuffersExhausted`]; should mutter run out anyway,
//! the cast is started again. mutter or PipeWire going away is
//! [`mss_core::Error::ConnectionLost`] (frames already handed out stay valid); every wait (a
//! D-Bus call, a cast's first frame) ends within the timeout with [`mss_core::Error::Timeout`]
//! naming what was waited for; a cast whose frames stop matching its monitor's size (a mode
//! or scale change) is started again.
//!
//! # Which session
//!
//! Without a display name, the session of the environment: the bus at
//! `$DBUS_SESSION_BUS_ADDRESS`, PipeWire at `$XDG_RUNTIME_DIR/pipewire-0` (or
//! `$PIPEWIRE_REMOTE`). With a display name (a Wayland socket, as the `wayland` backend takes
//! it), the session whose runtime directory holds that socket: its `bus` and `pipewire-0`
//! beside it, as systemd user sessions lay them out.
//!
//! # Coordinates
//!
//! Monitors are mutter's logical monitors, in its logical coordinates; monitor 0 is their
//! bounding box. Frames are in device pixels, as on wlroots: on a monitor of scale 2 a region
//! of 640x480 gives a 1280x960 frame. mutter paints each monitor upright into its cast, so
//! frames of rotated monitors are upright.
//!
//! # The pointer
//!
//! [`Capture::draw_cursor`](mss_core::Capture::draw_cursor) has the compositor draw the
//! pointer into frames (cursor mode `embedded`). [`Capture::cursor`](mss_core::Capture::cursor)
//! reads it as casts send it beside the frames (cursor mode `metadata`: its image when it
//! changes, its position at every move). From mutter it reads casts of their own, started
//! for the pointer (their buffers' metadata is read and the buffers given back at once, no
//! frame kept), so the frames' casts stay exactly as they are; through the portal, whose one
//! session has one mode, the first call starts the session again with the pointer as
//! metadata (frames stay the same, without the pointer). The casts running are asked first,
//! then the other monitors' in turn, until one sees the pointer; its image (premultiplied
//! ARGB words, as XFixes gives them, converted from the bitmap's RGBA, BGRA, ARGB, ABGR or
//! RGBx-like format) is placed at the monitor's corner plus the position minus the hot spot,
//! in the cast's pixels (on a scaled monitor, as frames of it are placed). A pointer that is hidden or on no monitor is
//! [`mss_core::Error::CursorUnavailable`]; an empty image (mutter's over a window that set no
//! pointer) is one transparent pixel at the pointer, as on X11. The portal must offer the
//! metadata mode, and cannot send the pointer both ways at once (one session, one mode):
//! otherwise [`mss_core::Error::Unsupported`] says so.
//!
//! What mutter 43 sends, observed: the image once, in the first buffer of a cast and when the
//! image changes, RGBA with premultiplied colours (its theme pointer's colours multiplied by
//! alpha twice, as it also draws them); later buffers the position alone, with no hot spot;
//! id 0 when the pointer leaves the monitor. A pointer device that appears while a cast runs
//! can be sent with an empty image, its own not being loaded yet, and not again until the
//! image changes. PipeWire 0.3 can lose a cast's very first buffer (the consumer's stream,
//! starting just after the producer's, resets the link's buffer exchange), so a cast that
//! shows the pointer but never its image, or sends nothing at all for two seconds, is started
//! again (three starts at most). mutter drops an update it has no free buffer for, and sends
//! nothing more until the pointer moves again.
//!
//! # Not supported yet
//!
//! Windows (`RecordWindow`, the portal's window sources), DMA-BUF buffers (a producer that
//! offers only those, as xdg-desktop-portal-wlr does on a GPU, cannot be read).
#![forbid(unsafe_code)]

mod capture;
mod cast;
mod clock;
mod layout;
pub mod mutter;
mod picture;
mod pipewire;
mod pointer;
mod portal;
mod session;
mod source;
mod stream;
mod token;

pub use capture::{DEFAULT_TIMEOUT, PipeWireCapture, PipeWireOptions};
pub use source::CastSource;
pub use token::TokenStore;

/// The backend's name: its Cargo feature in the `mss` facade.
pub(crate) const BACKEND_NAME: &str = "pipewire";

/// The method the status reports for mutter's screen-cast interface.
pub(crate) const METHOD: &str = "org.gnome.Mutter.ScreenCast";

/// The method the status reports for the desktop portal's screen cast.
pub(crate) const PORTAL_METHOD: &str = "org.freedesktop.portal.ScreenCast";

/// The environment variable that forces a source of casts on [`open`]: `mutter` or `portal`
/// (`auto`, or unset: mutter's interface when it is there, else the portal).
pub const SOURCE_VARIABLE: &str = "MSS_PIPEWIRE_SOURCE";

/// Opens the `pipewire` backend on the session of `options.display_name()` (a Wayland socket's
/// name or path; the environment's session when not given) with the options' timeout and
/// restore token, the portal's token kept in the state directory, and the source of casts
/// that [`SOURCE_VARIABLE`] names: the [`mss_core::OpenBackend`] the facade's registry names.
///
/// # Errors
///
/// As [`PipeWireCapture::open_with`]; [`mss_core::Error::Unsupported`] for a value of
/// `MSS_PIPEWIRE_SOURCE` that names no source.
pub fn open(
    options: &mss_core::OpenOptions,
) -> Result<Box<dyn mss_core::Capture>, mss_core::Error> {
    let source = match std::env::var(SOURCE_VARIABLE).as_deref() {
        Err(_) | Ok("" | "auto") => CastSource::Automatic,
        Ok("mutter") => CastSource::Mutter,
        Ok("portal") => CastSource::Portal,
        Ok(other) => {
            return Err(mss_core::Error::Unsupported {
                backend: BACKEND_NAME,
                what: "the source of screen casts",
                reason: format!(
                    "{SOURCE_VARIABLE}={} names none: it is mutter, portal or auto",
                    mss_core::printable(other)
                ),
            });
        }
    };
    let pipewire_options = PipeWireOptions::new()
        .timeout(options.wait_timeout())
        .source(source)
        .restore_token(options.given_restore_token().map(str::to_owned))
        .may_ask_user(options.asks_user());
    let capture = PipeWireCapture::open_with(options.display_name(), pipewire_options)?;
    Ok(Box::new(capture))
}
