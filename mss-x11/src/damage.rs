//! [`DamageTracker`]: what changed on the screen, from the X server's DAMAGE extension.

use std::time::{Duration, Instant};

use mss_core::{Error, Region};
use x11rb::connection::SequenceNumber;
use x11rb::protocol::damage::{self, ConnectionExt as _, ReportLevel};
use x11rb::protocol::xfixes::{self, ConnectionExt as _};
use x11rb::protocol::xproto::Drawable;

use crate::connection::X11Connection;
use crate::display::X11Display;
use crate::errors::{connection_lost, reply_error};

/// The DAMAGE version asked for; subtracting into a region exists since 1.0, and 1.1 is what
/// every server since 2007 speaks.
const DAMAGE_VERSION: (u32, u32) = (1, 1);
/// The most change rectangles [`DamageTracker::rectangles`] gives.
const MAX_RECTANGLES: usize = 256;
/// How often an event wait looks again when the connection's socket cannot be polled.
const EVENT_POLL_INTERVAL: Duration = Duration::from_millis(4);

/// Tracks what changes on one drawable, from the X server's DAMAGE extension.
///
/// The model is WebRTC's X11 capturer's: a damage object at the `NonEmpty` level on the
/// drawable, which sends one `DamageNotify` when damage appears, and a `DamageSubtract` at each
/// capture that moves everything accumulated so far into a server-side XFixes region and
/// empties the object (re-arming the notification). Because requests run in order, a capture
/// issued after the subtract contains every change the region lists; a change racing with it is
/// listed again next time, so changes may be reported twice, never missed. The region stays on
/// the server, where a capture can use it as a clip (so only what changed is copied); its
/// rectangles are fetched for the caller.
///
/// The server's `DamageSubtract` is known to be wrong for the raw and delta report levels
/// (xserver#361); `NonEmpty` is the level it handles right.
///
/// It holds server resources (the damage object and a region); [`destroy`](Self::destroy)
/// frees them. Dropped without it, they go when the connection closes.
#[derive(Debug)]
pub struct DamageTracker {
    damage: damage::Damage,
    changes: xfixes::Region,
}

impl DamageTracker {
    /// Why damage cannot be tracked on `display` (no DAMAGE, no XFixes 2, or a connection
    /// whose events belong to the application), or `None` when it can. Extension answers are
    /// cached by the connection, so asking again costs nothing.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] or [`Error::Protocol`] when a request fails.
    pub fn unavailable<C: X11Connection>(
        display: &mut X11Display<C>,
    ) -> Result<Option<String>, Error> {
        let name = display.display_name().to_owned();
        if !display.connection().delivers_x11_events() {
            return Ok(Some(
                "the connection's events belong to the application, so DAMAGE cannot be read"
                    .to_owned(),
            ));
        }
        let present = display
            .connection()
            .extension_information(damage::X11_EXTENSION_NAME)
            .map_err(|error| connection_lost(display.connection(), &name, error))?
            .is_some();
        if !present {
            return Ok(Some("the X server has no DAMAGE extension".to_owned()));
        }
        match display.xfixes()? {
            Some((major, _)) if major >= 2 => {}
            Some((major, minor)) => {
                return Ok(Some(format!(
                    "the X server's XFixes is version {major}.{minor}; regions need 2.0"
                )));
            }
            None => return Ok(Some("the X server has no XFixes extension".to_owned())),
        }
        Ok(None)
    }

    /// Starts tracking `drawable` (the root window, say) on `display`. `Ok(Err(reason))` when
    /// the server or the connection cannot: no DAMAGE, no XFixes 2, or a connection whose
    /// events belong to the application.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] or [`Error::Protocol`] when a request fails.
    pub fn start<C: X11Connection>(
        display: &mut X11Display<C>,
        drawable: Drawable,
    ) -> Result<Result<Self, String>, Error> {
        if let Some(reason) = Self::unavailable(display)? {
            return Ok(Err(reason));
        }
        let name = display.display_name().to_owned();
        let connection = display.connection();
        let (major, minor) = DAMAGE_VERSION;
        connection
            .damage_query_version(major, minor)
            .map_err(|error| connection_lost(connection, &name, error))?
            .reply()
            .map_err(|error| reply_error(connection, &name, "DamageQueryVersion", error))?;
        let id = || {
            connection
                .generate_x11_id()
                .map_err(|error| Error::ConnectionLost {
                    display: name.clone(),
                    reason: error.to_string(),
                    source: None,
                })
        };
        let (damage, changes) = (id()?, id()?);
        connection
            .xfixes_create_region(changes, &[])
            .map_err(|error| connection_lost(connection, &name, error))?
            .check()
            .map_err(|error| reply_error(connection, &name, "XFixesCreateRegion", error))?;
        connection
            .damage_create(damage, drawable, ReportLevel::NON_EMPTY)
            .map_err(|error| connection_lost(connection, &name, error))?
            .check()
            .map_err(|error| reply_error(connection, &name, "DamageCreate", error))?;
        display.damage_events = true;
        Ok(Ok(Self { damage, changes }))
    }

    /// Sends the `DamageSubtract` that moves everything damaged since the last call into
    /// [`changes_region`](Self::changes_region) and re-arms the notice (a notice already
    /// received is used up). Nothing is waited for: the returned sequence number is checked
    /// later, and [`fetch`](Self::fetch), sent after the requests that use the region, reads
    /// what it holds, so a capture costs one round trip.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] when the connection is broken.
    pub fn subtract<C: X11Connection>(
        &self,
        display: &mut X11Display<C>,
    ) -> Result<SequenceNumber, Error> {
        display.take_damage_notice()?;
        let name = display.display_name().to_owned();
        let connection = display.connection();
        let cookie = connection
            .damage_subtract(self.damage, x11rb::NONE, self.changes)
            .map_err(|error| connection_lost(connection, &name, error))?;
        let sequence = cookie.sequence_number();
        // Checked by sequence number once a later reply has come.
        std::mem::forget(cookie);
        Ok(sequence)
    }

    /// Sends `XFixesFetchRegion` of [`changes_region`](Self::changes_region); its reply, read
    /// by sequence number and read with [`rectangles`](Self::rectangles), lists what the last [`subtract`](Self::subtract) moved
    /// there and, as any reply, says the requests before it were done.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] when the connection is broken.
    pub fn fetch<C: X11Connection>(
        &self,
        display: &mut X11Display<C>,
    ) -> Result<SequenceNumber, Error> {
        let name = display.display_name().to_owned();
        let connection = display.connection();
        let cookie = connection
            .xfixes_fetch_region(self.changes)
            .map_err(|error| connection_lost(connection, &name, error))?;
        let sequence = cookie.sequence_number();
        // Its reply is read by sequence number.
        std::mem::forget(cookie);
        Ok(sequence)
    }

    /// The rectangles of the reply to a [`fetch`](Self::fetch) (in the drawable's
    /// coordinates); empty when nothing changed. At most 256: more are
    /// replaced by the one rectangle around them all (which covers every change, and more),
    /// so what a frame keeps of its changes is bounded whatever the server lists.
    pub fn rectangles(reply: &xfixes::FetchRegionReply) -> Vec<Region> {
        let rectangles = reply
            .rectangles
            .iter()
            .filter(|rectangle| rectangle.width > 0 && rectangle.height > 0)
            .map(|rectangle| {
                Region::new(
                    i32::from(rectangle.x),
                    i32::from(rectangle.y),
                    u32::from(rectangle.width),
                    u32::from(rectangle.height),
                )
                .expect("a 16-bit rectangle of non-zero size is a valid region")
            });
        let mut kept: Vec<Region> = Vec::new();
        // Once past the limit, the rectangle around them all.
        let mut around: Option<Region> = None;
        for rectangle in rectangles {
            match &mut around {
                Some(around) => *around = around.union(&rectangle),
                None if kept.len() < MAX_RECTANGLES => kept.push(rectangle),
                None => {
                    let all = kept
                        .drain(..)
                        .fold(rectangle, |all, other| all.union(&other));
                    around = Some(all);
                }
            }
        }
        around.map_or(kept, |around| vec![around])
    }

    /// The server-side region the last [`subtract`](Self::subtract) filled, for clipping a
    /// copy to.
    pub fn changes_region(&self) -> xfixes::Region {
        self.changes
    }

    /// Whether a `DamageNotify` arrived since the last look (events are read first, without
    /// blocking). A display tracks one thing at a time: the notice is its connection's.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] when the connection is broken.
    pub fn take_notice<C: X11Connection>(
        &self,
        display: &mut X11Display<C>,
    ) -> Result<bool, Error> {
        display.take_damage_notice()
    }

    /// Waits until a `DamageNotify` arrives (`true`) or `deadline` passes (`false`); `None`
    /// waits as long as it takes. The thread sleeps in `poll` meanwhile, so an idle screen
    /// costs no CPU.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] when the connection breaks meanwhile.
    pub fn wait<C: X11Connection>(
        &self,
        display: &mut X11Display<C>,
        deadline: Option<Instant>,
    ) -> Result<bool, Error> {
        display.wait_for_damage(deadline)
    }

    /// Frees the damage object and the region on the server.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionLost`] when the requests cannot be sent.
    pub fn destroy<C: X11Connection>(self, display: &mut X11Display<C>) -> Result<(), Error> {
        display.damage_events = false;
        let name = display.display_name().to_owned();
        let connection = display.connection();
        connection
            .damage_destroy(self.damage)
            .map_err(|error| connection_lost(connection, &name, error))?
            .ignore_error();
        connection
            .xfixes_destroy_region(self.changes)
            .map_err(|error| connection_lost(connection, &name, error))?
            .ignore_error();
        Ok(())
    }
}

impl<C: X11Connection> X11Display<C> {
    /// [`DamageTracker::take_notice`], for this crate's trackers (and after one is destroyed).
    pub(crate) fn take_damage_notice(&mut self) -> Result<bool, Error> {
        self.drain_events()?;
        Ok(std::mem::take(&mut self.damage_notified))
    }

    /// [`DamageTracker::wait`], for this crate's trackers.
    pub(crate) fn wait_for_damage(&mut self, deadline: Option<Instant>) -> Result<bool, Error> {
        loop {
            if self.take_damage_notice()? {
                return Ok(true);
            }
            let left = match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(false);
                    }
                    Some(left)
                }
                None => None,
            };
            match self.connection().x11_socket() {
                Some(socket) => {
                    let timeout = left.map(|left| {
                        rustix::event::Timespec::try_from(left).unwrap_or(rustix::event::Timespec {
                            tv_sec: i64::MAX,
                            tv_nsec: 0,
                        })
                    });
                    let mut fds = [rustix::event::PollFd::new(
                        &socket,
                        rustix::event::PollFlags::IN,
                    )];
                    match rustix::event::poll(&mut fds, timeout.as_ref()) {
                        Ok(_) | Err(rustix::io::Errno::INTR) => {}
                        Err(error) => {
                            return Err(Error::ConnectionLost {
                                display: self.display_name().to_owned(),
                                reason: format!("waiting for events failed: {error}"),
                                source: None,
                            });
                        }
                    }
                }
                None => std::thread::sleep(
                    left.map_or(EVENT_POLL_INTERVAL, |left| left.min(EVENT_POLL_INTERVAL)),
                ),
            }
        }
    }
}
