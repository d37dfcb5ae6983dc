//! [`Intercepted`]: x11rb's pure-Rust connection with chosen MIT-SHM requests and replies
//! changed on their way, so that a real X server answers as a different one would (an older
//! MIT-SHM, a segment it cannot use, a descriptor it refuses), and a record of the MIT-SHM
//! requests sent.
//!
//! Every change makes the server itself produce the failure: a `ShmGetImage` names no segment,
//! so the server answers `BadShmSeg`; a `ShmAttachFd` carries an empty file instead of the
//! memfd, so the server answers `BadMatch`. Only the version is rewritten in a reply.

use std::borrow::Cow;
use std::fs::File;
use std::io::IoSlice;
use std::os::fd::OwnedFd;
use std::sync::Mutex;

use mss_x11::X11Connection;
use x11rb::connection::{
    Connection as _, DiscardMode, ReplyOrError, RequestConnection, RequestKind, SequenceNumber,
};
use x11rb::cookie::{Cookie, CookieWithFds, VoidCookie};
use x11rb::errors::{ConnectionError, ParseError, ReplyOrIdError};
use x11rb::protocol::Event;
use x11rb::protocol::shm;
use x11rb::protocol::xproto::Setup;
use x11rb::rust_connection::RustConnection;
use x11rb::utils::RawFdContainer;
use x11rb::x11_utils::{ExtensionInformation, TryParse, TryParseFd, X11Error};

/// The minor opcodes of MIT-SHM requests.
pub mod minor {
    /// `ShmQueryVersion`.
    pub const QUERY_VERSION: u8 = 0;
    /// `ShmDetach`.
    pub const DETACH: u8 = 2;
    /// `ShmGetImage`.
    pub const GET_IMAGE: u8 = 4;
    /// `ShmAttachFd`.
    pub const ATTACH_FD: u8 = 6;
}

/// What to change.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    /// Answer `ShmQueryVersion` with this version instead of the server's.
    pub version: Option<(u16, u16)>,
    /// Which `ShmGetImage`s, counted from 1, name no segment.
    pub broken_get_images: Vec<usize>,
    /// Which `ShmAttachFd`s, counted from 1, carry an empty file instead of the memfd.
    pub refused_attaches: Vec<usize>,
}

/// A connection that makes [`Changes`] and records the MIT-SHM requests it sends.
pub struct Intercepted {
    inner: RustConnection,
    changes: Changes,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The MIT-SHM minor opcodes sent, in order.
    sent: Vec<u8>,
    /// The sequence numbers of `ShmQueryVersion` requests, whose replies are rewritten.
    version_queries: Vec<SequenceNumber>,
}

impl Intercepted {
    /// Connects to `display` (screen 0) with `changes`.
    pub fn connect(display: &str, changes: Changes) -> Self {
        let (inner, screen) = RustConnection::connect(Some(display)).unwrap();
        assert_eq!(screen, 0, "the tests' servers have one screen");
        Self {
            inner,
            changes,
            state: Mutex::new(State::default()),
        }
    }

    /// The MIT-SHM requests sent so far, by minor opcode.
    pub fn shm_requests(&self) -> Vec<u8> {
        self.state.lock().unwrap().sent.clone()
    }

    /// The request in `bufs`, changed as asked, with its descriptors; and whether it is a
    /// `ShmQueryVersion`.
    fn change(
        &self,
        bufs: &[IoSlice<'_>],
        mut fds: Vec<RawFdContainer>,
    ) -> Result<(Vec<u8>, Vec<RawFdContainer>, bool), ConnectionError> {
        let mut request: Vec<u8> = bufs.iter().flat_map(|buf| buf.iter().copied()).collect();
        let shm_opcode = self
            .inner
            .extension_information(shm::X11_EXTENSION_NAME)?
            .map(|information| information.major_opcode);
        if shm_opcode.is_none() || request.first().copied() != shm_opcode {
            return Ok((request, fds, false));
        }
        let opcode = request[1];
        let mut state = self.state.lock().unwrap();
        state.sent.push(opcode);
        let count = state.sent.iter().filter(|&&sent| sent == opcode).count();
        match opcode {
            // ShmGetImage: drawable, x, y, width, height, plane mask, format, 3 unused bytes,
            // then the segment at byte 20.
            minor::GET_IMAGE if self.changes.broken_get_images.contains(&count) => {
                request[20..24].copy_from_slice(&0u32.to_ne_bytes());
            }
            minor::ATTACH_FD if self.changes.refused_attaches.contains(&count) => {
                let empty = File::open("/dev/null").unwrap();
                fds = vec![OwnedFd::from(empty)];
            }
            _ => {}
        }
        Ok((request, fds, opcode == minor::QUERY_VERSION))
    }

    /// `reply`, with the version rewritten when it answers a `ShmQueryVersion`.
    fn changed_reply(&self, sequence: SequenceNumber, mut reply: Vec<u8>) -> Vec<u8> {
        let is_version = self
            .state
            .lock()
            .unwrap()
            .version_queries
            .contains(&sequence);
        if let (true, Some((major, minor))) = (is_version, self.changes.version) {
            // Reply header (8 bytes), then the major and minor versions.
            reply[8..10].copy_from_slice(&major.to_ne_bytes());
            reply[10..12].copy_from_slice(&minor.to_ne_bytes());
        }
        reply
    }
}

impl RequestConnection for Intercepted {
    type Buf = Vec<u8>;

    fn send_request_with_reply<R>(
        &self,
        bufs: &[IoSlice<'_>],
        fds: Vec<RawFdContainer>,
    ) -> Result<Cookie<'_, Self, R>, ConnectionError>
    where
        R: TryParse,
    {
        let (request, fds, version_query) = self.change(bufs, fds)?;
        let cookie = self
            .inner
            .send_request_with_reply::<R>(&[IoSlice::new(&request)], fds)?;
        let sequence = cookie.sequence_number();
        std::mem::forget(cookie);
        if version_query {
            self.state.lock().unwrap().version_queries.push(sequence);
        }
        Ok(Cookie::new(self, sequence))
    }

    fn send_request_with_reply_with_fds<R>(
        &self,
        bufs: &[IoSlice<'_>],
        fds: Vec<RawFdContainer>,
    ) -> Result<CookieWithFds<'_, Self, R>, ConnectionError>
    where
        R: TryParseFd,
    {
        let (request, fds, _) = self.change(bufs, fds)?;
        let cookie = self
            .inner
            .send_request_with_reply_with_fds::<R>(&[IoSlice::new(&request)], fds)?;
        let sequence = cookie.sequence_number();
        std::mem::forget(cookie);
        Ok(CookieWithFds::new(self, sequence))
    }

    fn send_request_without_reply(
        &self,
        bufs: &[IoSlice<'_>],
        fds: Vec<RawFdContainer>,
    ) -> Result<VoidCookie<'_, Self>, ConnectionError> {
        let (request, fds, _) = self.change(bufs, fds)?;
        let cookie = self
            .inner
            .send_request_without_reply(&[IoSlice::new(&request)], fds)?;
        let sequence = cookie.sequence_number();
        std::mem::forget(cookie);
        Ok(VoidCookie::new(self, sequence))
    }

    fn discard_reply(&self, sequence: SequenceNumber, kind: RequestKind, mode: DiscardMode) {
        self.inner.discard_reply(sequence, kind, mode);
    }

    fn prefetch_extension_information(
        &self,
        extension_name: &'static str,
    ) -> Result<(), ConnectionError> {
        self.inner.prefetch_extension_information(extension_name)
    }

    fn extension_information(
        &self,
        extension_name: &'static str,
    ) -> Result<Option<ExtensionInformation>, ConnectionError> {
        self.inner.extension_information(extension_name)
    }

    fn wait_for_reply_or_raw_error(
        &self,
        sequence: SequenceNumber,
    ) -> Result<ReplyOrError<Vec<u8>>, ConnectionError> {
        Ok(match self.inner.wait_for_reply_or_raw_error(sequence)? {
            ReplyOrError::Reply(reply) => ReplyOrError::Reply(self.changed_reply(sequence, reply)),
            error => error,
        })
    }

    fn wait_for_reply(&self, sequence: SequenceNumber) -> Result<Option<Vec<u8>>, ConnectionError> {
        Ok(self
            .inner
            .wait_for_reply(sequence)?
            .map(|reply| self.changed_reply(sequence, reply)))
    }

    fn wait_for_reply_with_fds_raw(
        &self,
        sequence: SequenceNumber,
    ) -> Result<ReplyOrError<(Vec<u8>, Vec<RawFdContainer>), Vec<u8>>, ConnectionError> {
        self.inner.wait_for_reply_with_fds_raw(sequence)
    }

    fn check_for_raw_error(
        &self,
        sequence: SequenceNumber,
    ) -> Result<Option<Vec<u8>>, ConnectionError> {
        self.inner.check_for_raw_error(sequence)
    }

    fn prefetch_maximum_request_bytes(&self) {
        self.inner.prefetch_maximum_request_bytes();
    }

    fn maximum_request_bytes(&self) -> usize {
        self.inner.maximum_request_bytes()
    }

    fn parse_error(&self, error: &[u8]) -> Result<X11Error, ParseError> {
        self.inner.parse_error(error)
    }

    fn parse_event(&self, event: &[u8]) -> Result<Event, ParseError> {
        self.inner.parse_event(event)
    }
}

impl X11Connection for Intercepted {
    fn x11_setup(&self) -> Cow<'_, Setup> {
        Cow::Borrowed(self.inner.setup())
    }

    fn poll_x11_event(&self) -> Result<Option<Event>, ConnectionError> {
        self.inner.poll_for_event()
    }

    fn generate_x11_id(&self) -> Result<u32, ReplyOrIdError> {
        self.inner.generate_id()
    }

    fn describe_x11_connection(&self) -> Cow<'_, str> {
        Cow::Borrowed("x11rb pure Rust, MIT-SHM changed by the test")
    }

    fn flush_requests(&self) -> Result<(), ConnectionError> {
        self.inner.flush()
    }
}
