//! The fake server's side of the wire: reading a client's setup and requests (with the file
//! descriptors that come along, which MIT-SHM segments are), and writing replies, events and
//! errors, whole packets at a time, from more than one thread.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendFlags};
use x11rb_protocol::x11_utils::{BigRequests, ExtInfoProvider, ExtensionInformation};

use super::script::FakeExtensions;

/// The extensions the fake server can have: name, major opcode, first event, first error.
const EXTENSIONS: [(&str, u8, u8, u8); 6] = [
    ("RANDR", 140, 89, 147),
    ("MIT-SHM", 130, 65, 128),
    ("XFIXES", 138, 87, 140),
    ("DAMAGE", 143, 91, 152),
    ("Composite", 142, 0, 0),
    ("XWAYLAND", 150, 0, 0),
];

/// The extensions a script has, as x11rb's parsers ask for them.
#[derive(Clone, Debug)]
pub(super) struct Extensions {
    present: Vec<(&'static str, ExtensionInformation)>,
}

impl Extensions {
    pub(super) fn new(script: &FakeExtensions) -> Self {
        let has = |name: &str| match name {
            "RANDR" => script.randr.is_some(),
            "MIT-SHM" => script.shm.is_some(),
            "XFIXES" => script.xfixes.is_some(),
            "DAMAGE" => script.damage,
            "Composite" => script.composite.is_some(),
            "XWAYLAND" => script.xwayland,
            _ => false,
        };
        let present = EXTENSIONS
            .iter()
            .filter(|(name, ..)| has(name))
            .map(|&(name, major_opcode, first_event, first_error)| {
                (
                    name,
                    ExtensionInformation {
                        major_opcode,
                        first_event,
                        first_error,
                    },
                )
            })
            .collect();
        Self { present }
    }

    /// The extension named `name`, when present.
    pub(super) fn named(&self, name: &[u8]) -> Option<ExtensionInformation> {
        self.present
            .iter()
            .find(|(known, _)| known.as_bytes() == name)
            .map(|&(_, info)| info)
    }
}

impl ExtInfoProvider for Extensions {
    fn get_from_major_opcode(&self, major_opcode: u8) -> Option<(&str, ExtensionInformation)> {
        self.present
            .iter()
            .find(|(_, info)| info.major_opcode == major_opcode)
            .map(|&(name, info)| (name, info))
    }

    fn get_from_event_code(&self, event_code: u8) -> Option<(&str, ExtensionInformation)> {
        self.present
            .iter()
            .filter(|(_, info)| info.first_event != 0 && info.first_event <= event_code)
            .max_by_key(|(_, info)| info.first_event)
            .map(|&(name, info)| (name, info))
    }

    fn get_from_error_code(&self, error_code: u8) -> Option<(&str, ExtensionInformation)> {
        self.present
            .iter()
            .filter(|(_, info)| info.first_error != 0 && info.first_error <= error_code)
            .max_by_key(|(_, info)| info.first_error)
            .map(|&(name, info)| (name, info))
    }
}

/// What a client sent and the server has not read yet.
pub(super) struct Inbox {
    socket: UnixStream,
    bytes: Vec<u8>,
    fds: Vec<OwnedFd>,
}

impl Inbox {
    pub(super) fn new(socket: UnixStream) -> Self {
        Self {
            socket,
            bytes: Vec::new(),
            fds: Vec::new(),
        }
    }

    /// Reads more from the client; `Ok(false)` at the end of the stream.
    fn fill(&mut self) -> io::Result<bool> {
        let mut chunk = vec![0u8; 64 * 1024];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(16))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let received = loop {
            match rustix::net::recvmsg(
                &self.socket,
                &mut [io::IoSliceMut::new(&mut chunk)],
                &mut control,
                RecvFlags::CMSG_CLOEXEC,
            ) {
                Ok(received) => break received,
                Err(rustix::io::Errno::INTR) => {}
                Err(error) => return Err(error.into()),
            }
        };
        for message in control.drain() {
            if let RecvAncillaryMessage::ScmRights(fds) = message {
                self.fds.extend(fds);
            }
        }
        self.bytes.extend_from_slice(&chunk[..received.bytes]);
        Ok(received.bytes > 0)
    }

    /// The next `len` bytes, read as they come; `None` at the end of the stream.
    fn take(&mut self, len: usize) -> io::Result<Option<Vec<u8>>> {
        while self.bytes.len() < len {
            if !self.fill()? {
                return Ok(None);
            }
        }
        let rest = self.bytes.split_off(len);
        Ok(Some(std::mem::replace(&mut self.bytes, rest)))
    }

    /// The client's setup request, whole (its authorisation is not checked).
    pub(super) fn setup_request(&mut self) -> io::Result<Option<Vec<u8>>> {
        let Some(head) = self.take(12)? else {
            return Ok(None);
        };
        let name_len = usize::from(u16::from_ne_bytes([head[6], head[7]]));
        let data_len = usize::from(u16::from_ne_bytes([head[8], head[9]]));
        let rest = name_len.next_multiple_of(4) + data_len.next_multiple_of(4);
        Ok(self.take(rest)?.map(|rest| [head, rest].concat()))
    }

    /// The next request, whole, with the descriptors received so far; `None` at the end of
    /// the stream (or at a request claiming a length the fake server does not speak).
    ///
    /// The descriptors are those received and not yet used, oldest first: a request that
    /// carries some takes them from the front, and the rest wait for the next one, as in an X
    /// server. A client's write carrying a descriptor may arrive in the same read as the end
    /// of an earlier request, so a request must not take descriptors it does not use.
    pub(super) fn request(&mut self) -> io::Result<Option<(Vec<u8>, &mut Vec<OwnedFd>)>> {
        let Some(head) = self.take(4)? else {
            return Ok(None);
        };
        let units = usize::from(u16::from_ne_bytes([head[2], head[3]]));
        if units == 0 {
            // BIG-REQUESTS is never enabled here: a client that sends one is broken.
            return Ok(None);
        }
        let Some(body) = self.take(units * 4 - 4)? else {
            return Ok(None);
        };
        Ok(Some(([head, body].concat(), &mut self.fds)))
    }
}

/// Parses a request's header as the fake server speaks (no BIG-REQUESTS).
pub(super) fn request_header(
    request: &[u8],
) -> Option<(x11rb_protocol::x11_utils::RequestHeader, &[u8])> {
    x11rb_protocol::x11_utils::parse_request_header(request, BigRequests::NotEnabled).ok()
}

/// The writing half of a connection, shared by the thread answering requests and the one
/// sending a flood of events; each packet is written whole, and every packet carries a
/// sequence number no lower than the one before it, as a server's do (libxcb reads a lower one
/// as 65536 requests later).
#[derive(Clone)]
pub(super) struct Outbox {
    /// The socket, and the sequence number of the last packet written.
    socket: Arc<Mutex<(UnixStream, u16)>>,
    /// How many answers wait to be written: a flood gives way to them.
    answers_waiting: Arc<AtomicUsize>,
}

impl Outbox {
    pub(super) fn new(socket: UnixStream) -> Self {
        Self {
            socket: Arc::new(Mutex::new((socket, 0))),
            answers_waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Writes `packet`, an answer to the request `sequence` (or an event sent while answering
    /// it), whole and before any flood; an error when the client is gone.
    pub(super) fn send(&self, sequence: u16, packet: &[u8]) -> io::Result<()> {
        self.answers_waiting.fetch_add(1, Ordering::SeqCst);
        let mut socket = self.socket.lock().unwrap_or_else(PoisonError::into_inner);
        socket.1 = sequence;
        let sent = write_all(&socket.0, packet);
        drop(socket);
        self.answers_waiting.fetch_sub(1, Ordering::SeqCst);
        sent
    }

    /// Writes the 32-byte `events`, each stamped with the sequence number of the last packet
    /// written, once no answer waits, so that a flood never holds a reply back for long (the
    /// lock is not fair); an error when the client is gone.
    pub(super) fn send_flood(&self, events: &mut [u8]) -> io::Result<()> {
        while self.answers_waiting.load(Ordering::SeqCst) > 0 {
            std::thread::yield_now();
        }
        let socket = self.socket.lock().unwrap_or_else(PoisonError::into_inner);
        for event in events.chunks_mut(32) {
            event[2..4].copy_from_slice(&socket.1.to_ne_bytes());
        }
        write_all(&socket.0, events)
    }
}

/// Writes `packet` whole to `socket`.
fn write_all(socket: &UnixStream, packet: &[u8]) -> io::Result<()> {
    let mut written = 0;
    while written < packet.len() {
        match rustix::net::send(socket, &packet[written..], SendFlags::NOSIGNAL) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(count) => written += count,
            Err(rustix::io::Errno::INTR) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}

/// A reply's bytes as x11rb serialised them, with its sequence number and length set and its
/// size padded to a multiple of 4.
pub(super) fn reply(sequence: u16, mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.resize(bytes.len().next_multiple_of(4).max(32), 0);
    bytes[2..4].copy_from_slice(&sequence.to_ne_bytes());
    let extra = u32::try_from((bytes.len() - 32) / 4).unwrap_or(u32::MAX);
    bytes[4..8].copy_from_slice(&extra.to_ne_bytes());
    bytes
}

/// An event's bytes as x11rb serialised them, with its sequence number set.
pub(super) fn event(sequence: u16, mut bytes: Vec<u8>) -> Vec<u8> {
    bytes.resize(32, 0);
    bytes[2..4].copy_from_slice(&sequence.to_ne_bytes());
    bytes
}

/// An error packet: `code` for the request `major`.`minor` sent as `sequence`, about `value`.
pub(super) fn error(sequence: u16, code: u8, value: u32, major: u8, minor: u16) -> Vec<u8> {
    let mut bytes = vec![0u8; 32];
    bytes[1] = code;
    bytes[2..4].copy_from_slice(&sequence.to_ne_bytes());
    bytes[4..8].copy_from_slice(&value.to_ne_bytes());
    bytes[8..10].copy_from_slice(&minor.to_ne_bytes());
    bytes[10] = major;
    bytes
}
