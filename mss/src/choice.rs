//! The backend choice: which backends are asked to open the display, in which order, and what
//! each answered.
//!
//! A backend named by the caller ([`MssBuilder::backend`](crate::MssBuilder::backend)) or by
//! `MSS_BACKEND` is the only one asked. Otherwise the session's candidates
//! ([`Backend::candidates`]) are asked in order and the first that opens is chosen; when none
//! does, [`Error::NoBackendOpened`] lists every answer. What was asked and answered stays on
//! the capturer ([`Mss::choice`](crate::Mss::choice)) for `mss info` and for programs that
//! want to say why they capture the way they do.

use std::fmt;

use mss_core::{Capture, OpenOptions};

use crate::{Backend, Error, Session};

/// Who forced the backend, when the choice was not automatic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ForcedBy {
    /// The program, with [`MssBuilder::backend`](crate::MssBuilder::backend) (the command
    /// line's `-b`).
    Caller,
    /// The `MSS_BACKEND` environment variable.
    Environment,
}

impl fmt::Display for ForcedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ForcedBy::Caller => "the caller",
            ForcedBy::Environment => crate::BACKEND_ENV_VAR,
        })
    }
}

/// What one candidate answered.
#[derive(Debug)]
#[non_exhaustive]
pub enum Answer {
    /// It opened the display and is the capturer in use.
    Chosen,
    /// It could not open the display: its error, which names the reason.
    Refused(mss_core::Error),
    /// It was not asked, and why: an earlier candidate was chosen, or the display itself did
    /// not answer an earlier candidate of the same display system (asking again would fail
    /// the same way, after the same wait).
    NotTried(String),
}

impl Answer {
    /// Whether this is the chosen candidate.
    pub fn is_chosen(&self) -> bool {
        matches!(self, Answer::Chosen)
    }
}

impl fmt::Display for Answer {
    /// `chosen`, the refusal's own message, or `not tried: <why>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Chosen => f.write_str("chosen"),
            Answer::Refused(error) => write!(f, "{error}"),
            Answer::NotTried(reason) => write!(f, "not tried: {reason}"),
        }
    }
}

/// A backend the choice considered, and its answer.
#[derive(Debug)]
pub struct Candidate {
    backend: Backend,
    answer: Answer,
}

impl Candidate {
    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What it answered.
    pub fn answer(&self) -> &Answer {
        &self.answer
    }
}

impl fmt::Display for Candidate {
    /// `backend: answer`; a refusal that already starts with the backend's name (as
    /// [`mss_core::Error::Unsupported`] does) is not given it twice.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let answer = self.answer.to_string();
        let prefix = format!("{}: ", self.backend);
        match answer.strip_prefix(&prefix) {
            Some(rest) => write!(f, "{prefix}{rest}"),
            None => write!(f, "{prefix}{answer}"),
        }
    }
}

/// How the capturer's backend was chosen: forced or not, and every candidate's answer in the
/// order they were asked.
#[derive(Debug)]
pub struct Choice {
    forced_by: Option<ForcedBy>,
    candidates: Vec<Candidate>,
}

impl Choice {
    /// Who forced the backend; `None` when it was chosen from the session's candidates.
    pub fn forced_by(&self) -> Option<ForcedBy> {
        self.forced_by
    }

    /// Every candidate, in the order of preference, with its answer.
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }

    /// The backend that opened, if one did.
    pub fn chosen(&self) -> Option<Backend> {
        self.candidates
            .iter()
            .find(|candidate| candidate.answer.is_chosen())
            .map(Candidate::backend)
    }

    /// The record of a capturer wrapped by [`Mss::from_capture`](crate::Mss::from_capture):
    /// the caller chose `backend`.
    pub(crate) fn given(backend: Backend) -> Self {
        Self {
            forced_by: Some(ForcedBy::Caller),
            candidates: vec![Candidate {
                backend,
                answer: Answer::Chosen,
            }],
        }
    }
}

/// The candidates' answers when none opened, for [`Error::NoBackendOpened`].
#[derive(Debug)]
pub struct Refusals {
    session: String,
    candidates: Vec<Candidate>,
}

impl Refusals {
    /// The session the candidates were asked to open, in words.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// Every candidate with its answer, in the order asked.
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }
}

impl fmt::Display for Refusals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no capture backend could open {}: ", self.session)?;
        for (index, candidate) in self.candidates.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{candidate}")?;
        }
        Ok(())
    }
}

/// Whether `error` is the display's answer rather than the backend's: a display that cannot be
/// reached, that does not answer in time, that closed the connection, or that is an XWayland
/// root to refuse gives every backend of its display system the same answer.
fn is_the_displays_answer(error: &mss_core::Error) -> bool {
    matches!(
        error,
        mss_core::Error::DisplayUnavailable { .. }
            | mss_core::Error::Timeout { .. }
            | mss_core::Error::ConnectionLost { .. }
            | mss_core::Error::XWaylandRoot { .. }
    )
}

/// Opens `backend`, forced by `forced_by`: its error is returned as it is.
pub(crate) fn open_forced(
    backend: Backend,
    forced_by: ForcedBy,
    options: &OpenOptions,
    refine: impl Fn(mss_core::Error) -> mss_core::Error,
) -> Result<(Box<dyn Capture>, Choice), Error> {
    let capture = backend.open(options).map_err(|error| match error {
        Error::Capture(error) => Error::Capture(refine(error)),
        other => other,
    })?;
    let choice = Choice {
        forced_by: Some(forced_by),
        candidates: vec![Candidate {
            backend,
            answer: Answer::Chosen,
        }],
    };
    Ok((capture, choice))
}

/// Asks the candidates for `session` in order and keeps the first that opens. `refine` adds
/// what the facade knows to a refusal (the advice for XWayland).
///
/// # Errors
///
/// When no candidate opens: [`Error::NoBackendOpened`] with every answer, except when the
/// only refusal is the display's own answer (unreachable, silent, XWayland), which is returned
/// as [`Error::Capture`].
pub(crate) fn open_first(
    session: &Session,
    options: &OpenOptions,
    refine: impl Fn(mss_core::Error) -> mss_core::Error,
) -> Result<(Box<dyn Capture>, Choice), Error> {
    ask(
        Backend::candidates(session),
        |backend| backend.open(options),
        refine,
        session,
    )
}

/// [`open_first`] over any list of backends and any way of opening them, so the rules can be
/// tested without display servers.
fn ask(
    backends: Vec<Backend>,
    mut open: impl FnMut(Backend) -> Result<Box<dyn Capture>, Error>,
    refine: impl Fn(mss_core::Error) -> mss_core::Error,
    session: &Session,
) -> Result<(Box<dyn Capture>, Choice), Error> {
    let mut candidates: Vec<Candidate> = Vec::with_capacity(backends.len());
    let mut opened = None;
    for backend in backends {
        let answer = if let Some(chosen) = opened.as_ref().map(|(_, chosen)| *chosen) {
            Answer::NotTried(format!("{chosen} was chosen first"))
        } else if let Some(earlier) = candidates.iter().find(|candidate| {
            candidate.backend.display_system() == backend.display_system()
                && matches!(&candidate.answer, Answer::Refused(error) if is_the_displays_answer(error))
        }) {
            Answer::NotTried(format!(
                "the {} display gave {} the answer it would give this backend too",
                backend.display_system(),
                earlier.backend
            ))
        } else {
            match open(backend) {
                Ok(capture) => {
                    opened = Some((capture, backend));
                    Answer::Chosen
                }
                Err(Error::Capture(error)) => Answer::Refused(refine(error)),
                Err(other) => {
                    // Only `BackendNotCompiled`, which a compiled-in candidate cannot give.
                    Answer::Refused(mss_core::Error::Unsupported {
                        backend: backend.name(),
                        what: "opening the display",
                        reason: other.to_string(),
                    })
                }
            }
        };
        candidates.push(Candidate { backend, answer });
    }
    if let Some((capture, _)) = opened {
        return Ok((
            capture,
            Choice {
                forced_by: None,
                candidates,
            },
        ));
    }
    // One refusal that is the display's own answer (it cannot be reached, did not answer in
    // time, is an XWayland root) is the whole story when every other candidate shares that
    // display: the plain error keeps its kind for callers that match on it.
    let refusals: Vec<usize> = candidates
        .iter()
        .enumerate()
        .filter(|(_, candidate)| matches!(candidate.answer, Answer::Refused(_)))
        .map(|(index, _)| index)
        .collect();
    if let [only] = refusals[..]
        && matches!(&candidates[only].answer, Answer::Refused(error) if is_the_displays_answer(error))
        && let Answer::Refused(error) = candidates.swap_remove(only).answer
    {
        return Err(Error::Capture(error));
    }
    Err(Error::NoBackendOpened(Refusals {
        session: session.describe(),
        candidates,
    }))
}

#[cfg(test)]
mod tests {
    use mss_core::DisplaySystem;
    use mss_testkit::FakeCapture;

    use super::*;

    /// Two made-up backends of one display system and one of another, so the rules can be
    /// checked whatever this build carries. Their names are the real ones; only their opening
    /// is faked.
    fn backends() -> Vec<Backend> {
        vec![Backend::X11_SHM, Backend::X11_GETIMAGE, Backend::WAYLAND]
    }

    fn session() -> Session {
        Session::new(Some("wayland-9".to_owned()), Some(":9".to_owned()))
    }

    fn refused(backend: Backend) -> Result<Box<dyn Capture>, Error> {
        Err(Error::Capture(mss_core::Error::Unsupported {
            backend: backend.name(),
            what: "opening the display",
            reason: "the test says no".to_owned(),
        }))
    }

    fn unreachable(_: Backend) -> Result<Box<dyn Capture>, Error> {
        Err(Error::Capture(mss_core::Error::DisplayUnavailable {
            display: ":9".to_owned(),
            reason: "nobody there".to_owned(),
            source: None,
        }))
    }

    fn opens(_: Backend) -> Result<Box<dyn Capture>, Error> {
        Ok(Box::new(FakeCapture::new(4, 4)))
    }

    fn answers(choice: &[Candidate]) -> Vec<String> {
        choice.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn the_first_candidate_that_opens_is_chosen_and_later_ones_are_not_asked() {
        let mut asked = Vec::new();
        let (_, choice) = ask(
            backends(),
            |backend| {
                asked.push(backend);
                if backend == Backend::X11_SHM {
                    refused(backend)
                } else {
                    opens(backend)
                }
            },
            |error| error,
            &session(),
        )
        .unwrap();
        assert_eq!(asked, [Backend::X11_SHM, Backend::X11_GETIMAGE]);
        assert_eq!(choice.chosen(), Some(Backend::X11_GETIMAGE));
        assert_eq!(choice.forced_by(), None);
        assert_eq!(
            answers(choice.candidates()),
            [
                "x11-shm: opening the display is not supported: the test says no",
                "x11-getimage: chosen",
                "wayland: not tried: x11-getimage was chosen first",
            ]
        );
    }

    #[test]
    fn a_display_that_does_not_answer_is_not_asked_again_for_the_same_system() {
        let mut asked = Vec::new();
        let (_, choice) = ask(
            backends(),
            |backend| {
                asked.push(backend);
                if backend.display_system() == DisplaySystem::X11 {
                    unreachable(backend)
                } else {
                    opens(backend)
                }
            },
            |error| error,
            &session(),
        )
        .unwrap();
        assert_eq!(asked, [Backend::X11_SHM, Backend::WAYLAND]);
        assert!(matches!(
            choice.candidates()[1].answer(),
            Answer::NotTried(reason) if reason.contains("x11-shm")
        ));
        assert_eq!(choice.chosen(), Some(Backend::WAYLAND));
    }

    #[test]
    fn when_none_opens_every_answer_is_in_the_error() {
        let error = ask(backends(), refused, |error| error, &session())
            .map(|_| ())
            .unwrap_err();
        let Error::NoBackendOpened(refusals) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(refusals.candidates().len(), 3);
        assert_eq!(
            error.to_string(),
            "no capture backend could open the Wayland display \"wayland-9\" or the X11 display \":9\": \
             x11-shm: opening the display is not supported: the test says no; \
             x11-getimage: opening the display is not supported: the test says no; \
             wayland: opening the display is not supported: the test says no"
        );
    }

    #[test]
    fn a_single_refusal_by_the_display_itself_keeps_its_kind() {
        let x11_only = vec![Backend::X11_SHM, Backend::X11_GETIMAGE];
        let error = ask(x11_only, unreachable, |error| error, &session())
            .map(|_| ())
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::Capture(mss_core::Error::DisplayUnavailable { .. })
            ),
            "{error:?}"
        );
        // A single backend's own refusal is still reported as a refusal of the candidates.
        let error = ask(vec![Backend::WAYLAND], refused, |error| error, &session())
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(error, Error::NoBackendOpened(_)), "{error:?}");
    }

    #[test]
    fn refusals_are_refined_before_they_are_kept() {
        let error = ask(
            vec![Backend::X11_SHM],
            unreachable,
            |_| mss_core::Error::Unsupported {
                backend: "x11-shm",
                what: "refining",
                reason: "refined".to_owned(),
            },
            &session(),
        )
        .map(|_| ())
        .unwrap_err();
        assert!(error.to_string().contains("refined"), "{error}");
    }
}
