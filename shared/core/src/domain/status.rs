//! The user-facing status, the pipeline step, and the one table of allowed status moves.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where an interview stands, as a person reading the item sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A run has been claimed and its execution is (being) started.
    Queued,
    /// A task of the current run has started working.
    Processing,
    /// Every step finished; the artifacts exist and validate.
    Ready,
    /// The run stopped with an error a person can act on.
    Error,
    /// The upload was removed; results are gone with it.
    Deleted,
}

impl Status {
    /// Every status, for exhaustive tests and CLI help.
    pub const ALL: [Status; 5] = [
        Status::Queued,
        Status::Processing,
        Status::Ready,
        Status::Error,
        Status::Deleted,
    ];

    /// Terminal items need no watching: the sweeper's sparse index drops them.
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Ready | Status::Error | Status::Deleted)
    }

    /// The lowercase name used in items, logs and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Processing => "processing",
            Status::Ready => "ready",
            Status::Error => "error",
            Status::Deleted => "deleted",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown status `{s}` (expected one of queued, processing, ready, error, deleted)"))
    }
}

/// The pipeline step an interview is at; `Done` once the last step finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Turning media (or a ready transcript) into the canonical transcript.
    Transcribe,
    /// Finding evidence (quotes with speaker and time) in the transcript.
    Extract,
    /// Themes, insights, persona signals and a summary from the evidence.
    Analyze,
    /// Nothing left to do.
    Done,
}

impl Step {
    /// The working steps in pipeline order.
    pub const WORK: [Step; 3] = [Step::Transcribe, Step::Extract, Step::Analyze];
    /// Every step, for exhaustive tests.
    pub const ALL: [Step; 4] = [Step::Transcribe, Step::Extract, Step::Analyze, Step::Done];

    /// The step after this one.
    pub fn next(self) -> Step {
        match self {
            Step::Transcribe => Step::Extract,
            Step::Extract => Step::Analyze,
            Step::Analyze | Step::Done => Step::Done,
        }
    }

    /// Overall progress (0–100) when this step starts; the UI shows it as the bar's floor.
    pub fn progress_floor(self) -> u8 {
        match self {
            Step::Transcribe => 0,
            Step::Extract => 50,
            Step::Analyze => 75,
            Step::Done => 100,
        }
    }

    /// The lowercase name used in items, logs and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Transcribe => "transcribe",
            Step::Extract => "extract",
            Step::Analyze => "analyze",
            Step::Done => "done",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Step {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Step::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown step `{s}` (expected one of transcribe, extract, analyze, done)"))
    }
}

/// A status move the table refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("status transition {from} -> {to} is not allowed")]
pub struct TransitionError {
    /// The status the item had (`none` when it did not exist).
    pub from: String,
    /// The status the write asked for.
    pub to: Status,
}

/// The single table of allowed status moves; every write goes through it.
///
/// `None` is "no item yet". Staying in the same status is a move too, and it is only allowed
/// where a write can legitimately keep it (progress while processing, a new run while queued).
pub fn allowed(from: Option<Status>, to: Status) -> bool {
    use Status::*;
    matches!(
        (from, to),
        // Ingest creates the item: queued to run, or error straight away for bad input.
        (None, Queued) | (None, Error)
            // A new run (new upload ETag, or a retry) supersedes whatever was there.
            | (Some(Queued | Processing | Ready | Error | Deleted), Queued)
            // The first task of the run picks it up; later tasks report progress.
            | (Some(Queued | Processing), Processing)
            // Only a run that is actually processing can finish.
            | (Some(Processing), Ready)
            // Any live run can fail (a task, mark-failed, the sweeper, the backstop).
            | (Some(Queued | Processing), Error)
            // Input errors found at ingest on a re-upload land on an existing item.
            | (Some(Ready | Error), Error)
            // Removing the upload ends everything but an already deleted item.
            | (Some(Queued | Processing | Ready | Error), Deleted)
    )
}

/// Checks a move against [`allowed`], with an error that names both ends.
pub fn check_transition(from: Option<Status>, to: Status) -> Result<(), TransitionError> {
    if allowed(from, to) {
        Ok(())
    } else {
        Err(TransitionError {
            from: from.map_or("none".into(), |s| s.to_string()),
            to,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    /// The expected table, written out longhand so the test cannot agree with the code by construction.
    const EXPECTED: &[(Option<Status>, Status)] = &[
        (None, Queued),
        (None, Error),
        (Some(Queued), Queued),
        (Some(Queued), Processing),
        (Some(Queued), Error),
        (Some(Queued), Deleted),
        (Some(Processing), Queued),
        (Some(Processing), Processing),
        (Some(Processing), Ready),
        (Some(Processing), Error),
        (Some(Processing), Deleted),
        (Some(Ready), Queued),
        (Some(Ready), Error),
        (Some(Ready), Deleted),
        (Some(Error), Queued),
        (Some(Error), Error),
        (Some(Error), Deleted),
        (Some(Deleted), Queued),
    ];

    #[test]
    fn every_pair_is_accepted_exactly_when_listed() {
        let mut froms: Vec<Option<Status>> = vec![None];
        froms.extend(Status::ALL.into_iter().map(Some));
        let mut checked = 0;
        for from in froms {
            for to in Status::ALL {
                let expected = EXPECTED.contains(&(from, to));
                assert_eq!(allowed(from, to), expected, "{from:?} -> {to:?}");
                assert_eq!(check_transition(from, to).is_ok(), expected);
                checked += 1;
            }
        }
        assert_eq!(checked, 30);
    }

    #[test]
    fn nothing_becomes_ready_without_processing_and_deleted_only_restarts() {
        for from in Status::ALL {
            assert_eq!(allowed(Some(from), Ready), from == Processing);
        }
        for to in Status::ALL {
            assert_eq!(allowed(Some(Deleted), to), to == Queued);
        }
        assert!(!allowed(None, Ready));
        assert!(!allowed(None, Processing));
    }

    #[test]
    fn refusal_names_both_ends() {
        let err = check_transition(Some(Ready), Processing).unwrap_err();
        assert_eq!(err.to_string(), "status transition ready -> processing is not allowed");
        assert_eq!(check_transition(None, Ready).unwrap_err().from, "none");
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        }
        for s in Step::ALL {
            assert_eq!(s.as_str().parse::<Step>().unwrap(), s);
        }
        assert!("bogus".parse::<Status>().is_err());
        assert_eq!(Step::Transcribe.next(), Step::Extract);
        assert_eq!(Step::Done.next(), Step::Done);
        assert!(Status::Ready.is_terminal() && !Status::Queued.is_terminal());
    }
}
