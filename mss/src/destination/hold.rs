//! Holding a write at a known point: signals held back while a file is named, and the hidden
//! hook through which tests stop a write at a given step.

use std::io::{Read as _, Write as _};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::OnceLock;

use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};

/// The Unix socket a test listens on (hidden; for tests only).
const HOLD_SOCKET_VARIABLE: &str = "MSS_TEST_HOLD";
/// The steps, comma separated, at which a write stops and asks that socket (hidden).
const HOLD_STEPS_VARIABLE: &str = "MSS_TEST_HOLD_AT";

/// Stops the calling thread at `step` when a test asked for it, and lets it go on when the
/// test says so; does nothing otherwise (one environment lookup per process).
///
/// A test sets `MSS_TEST_HOLD` to the path of a Unix socket it listens on and
/// `MSS_TEST_HOLD_AT` to the steps to stop at (`save:written,save:named`). At each of those
/// steps the process connects, writes the step's name and a newline, and waits until the test
/// writes a byte or closes the connection. A test then knows exactly where the process is
/// (between which system calls of a save), and can kill it, signal it or change the file
/// system there, with no timing involved. Steps of a save: `save:created`, `save:written`,
/// `save:synced`, `save:linked` (only when an old file is replaced: the new file has a
/// temporary name), `save:named`; of a recording's file: `record:created`,
/// `record:finishing`, `record:named`; `mss record` adds `record:frame-written:N`.
///
/// When the socket cannot be reached the process goes on at once: the hook never stops a
/// program that was not started by such a test.
#[doc(hidden)]
pub fn hold_for_tests(step: &str) {
    static HOOK: OnceLock<Option<(PathBuf, Vec<String>)>> = OnceLock::new();
    let hook = HOOK.get_or_init(|| {
        let socket = std::env::var_os(HOLD_SOCKET_VARIABLE)?;
        let steps = std::env::var(HOLD_STEPS_VARIABLE).ok()?;
        Some((
            PathBuf::from(socket),
            steps.split(',').map(str::to_owned).collect(),
        ))
    });
    let Some((socket, steps)) = hook else {
        return;
    };
    if !steps.iter().any(|wanted| wanted == step) {
        return;
    }
    if let Ok(mut stream) = UnixStream::connect(socket)
        && writeln!(stream, "{step}").is_ok()
    {
        let _ = stream.read(&mut [0; 1]);
    }
}

/// `SIGINT`, `SIGTERM`, `SIGHUP` and `SIGQUIT` held back on this thread while it lives; any
/// that arrived are delivered when it drops.
#[derive(Debug)]
pub(super) struct HeldSignals {
    previous: Option<SigSet>,
}

impl HeldSignals {
    pub(super) fn hold() -> Self {
        let mut set = SigSet::empty();
        for signal in [
            Signal::SIGINT,
            Signal::SIGTERM,
            Signal::SIGHUP,
            Signal::SIGQUIT,
        ] {
            set.add(signal);
        }
        let mut previous = SigSet::empty();
        let held = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), Some(&mut previous));
        Self {
            previous: held.ok().map(|()| previous),
        }
    }
}

impl Drop for HeldSignals {
    fn drop(&mut self) {
        if let Some(previous) = &self.previous {
            let _ = pthread_sigmask(SigmaskHow::SIG_SETMASK, Some(previous), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_held_back_arrive_after() {
        // Held back on this thread only, then the mask is as before.
        let before = SigSet::thread_get_mask().unwrap();
        {
            let _held = HeldSignals::hold();
            let during = SigSet::thread_get_mask().unwrap();
            assert!(during.contains(Signal::SIGINT) && during.contains(Signal::SIGTERM));
        }
        let after = SigSet::thread_get_mask().unwrap();
        assert_eq!(
            after.contains(Signal::SIGINT),
            before.contains(Signal::SIGINT)
        );
    }
}
