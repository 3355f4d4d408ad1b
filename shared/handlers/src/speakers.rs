//! Naming speakers: a person says who `spk_0` is and who interviews, and a new run redoes
//! extract and analyze over the same transcript so the names and roles reach the evidence,
//! themes and personas. The transcript is never recomputed: the new run reuses it, as a retry
//! reuses every artifact still listed on the item.

use super::read_artifact;
use super::retry::start_next_run;
use crate::domain::{ArtifactName, Interview, InterviewId, RunId, Status, Step};
use crate::error::TaskError;
use crate::transcript::{check_assignments, display_name, NamingError, SpeakerAssignments, Transcript};
use crate::Pipeline;
use interview_core::analysis::EvidenceDoc;
use interview_core::quote::declared_interviewers;
use serde::{Deserialize, Serialize};

/// A run started to apply new speaker assignments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpeakersAssigned {
    /// The interview.
    pub interview_id: InterviewId,
    /// The new run.
    pub run_id: RunId,
    /// The first step the new run redoes (the transcript is reused).
    pub resumes_at: Step,
    /// The assignments now on the item.
    pub speakers: SpeakerAssignments,
}

/// Why speakers were not assigned. The [`SpeakersRefused::Naming`] message lists the
/// transcript's labels: for the person who asked only, never for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpeakersRefused {
    /// No such interview.
    #[error("no interview {0}; `interviews list` shows the ones there are")]
    NotFound(InterviewId),
    /// A run is in progress; its results would race the new one.
    #[error("interview {id} is {status} at {step}; name its speakers once it is ready or has failed")]
    Running {
        /// The interview.
        id: InterviewId,
        /// Queued or processing.
        status: Status,
        /// Where the run is.
        step: Step,
    },
    /// The upload was deleted, and its results with it.
    #[error("interview {0} is deleted; upload the file again to process it")]
    Deleted(InterviewId),
    /// The interview failed before it had a transcript: there are no speakers to name.
    #[error("interview {0} has no transcript yet, so it has no speakers to name; fix or retry it first")]
    NoTranscript(InterviewId),
    /// The upload is gone or changed; its own event decides what happens.
    #[error("the upload of interview {0} is gone or has changed since; its new run will have its own speakers")]
    UploadChanged(InterviewId),
    /// The assignments do not fit the transcript (unknown label, bad or duplicate name).
    #[error(transparent)]
    Naming(#[from] NamingError),
}

/// Records `speakers` on the interview (replacing what was there) and starts a new run that
/// reuses the transcript and redoes extract and analyze.
pub async fn assign_speakers(
    pipeline: &Pipeline,
    id: &InterviewId,
    speakers: SpeakerAssignments,
) -> Result<Result<SpeakersAssigned, SpeakersRefused>, TaskError> {
    let Some(item) = pipeline.store.get(id).await? else {
        return Ok(Err(SpeakersRefused::NotFound(id.clone())));
    };
    if let Some(why) = refusal(&item) {
        return Ok(Err(why));
    }
    let transcript: Transcript = read_artifact(pipeline, &item, ArtifactName::Transcript).await?;
    if let Err(e) = check_assignments(&transcript, &speakers) {
        return Ok(Err(e.into()));
    }
    match pipeline.blobs.head(&item.source.key).await? {
        Some(meta) if meta.etag == item.source.etag => {}
        _ => return Ok(Err(SpeakersRefused::UploadChanged(id.clone()))),
    }
    let checked_transcript = item.artifacts.transcript.clone();
    let updated = match start_next_run(pipeline, id, |item| {
        if let Some(why) = refusal(item) {
            return Some(why);
        }
        if item.artifacts.transcript != checked_transcript {
            // Another run replaced the transcript the labels were checked against.
            return Some(SpeakersRefused::UploadChanged(item.id.clone()));
        }
        item.speakers = speakers.clone();
        item.interviewer_guess.clear();
        item.artifacts.evidence = None;
        item.artifacts.analysis = None;
        item.counts.evidence = 0;
        item.counts.themes = 0;
        item.model_usage = None;
        None
    })
    .await?
    {
        Ok(updated) => updated,
        Err(why) => return Ok(Err(why)),
    };
    tracing::info!(
        interview_id = %id,
        run_id = %updated.run_id,
        assigned = updated.speakers.len(),
        "speakers assigned; extract and analyze are redone"
    );
    Ok(Ok(SpeakersAssigned {
        interview_id: id.clone(),
        run_id: updated.run_id,
        resumes_at: Step::Extract,
        speakers: updated.speakers,
    }))
}

fn refusal(item: &Interview) -> Option<SpeakersRefused> {
    match item.status {
        Status::Queued | Status::Processing => Some(SpeakersRefused::Running {
            id: item.id.clone(),
            status: item.status,
            step: item.step,
        }),
        Status::Deleted => Some(SpeakersRefused::Deleted(item.id.clone())),
        Status::Ready | Status::Error if item.artifacts.transcript.is_none() => {
            Some(SpeakersRefused::NoTranscript(item.id.clone()))
        }
        Status::Ready | Status::Error => None,
    }
}

/// The transcript labels the analyzer took for the interviewer on its own: those whose names
/// it lists in `evidence.interviewers` that neither the source nor a person declared (nor a
/// label such as "Interviewer" names). Labels are the transcript's, so a person corrects the
/// guess with the label they see.
pub(crate) fn interviewer_guess(
    source: &Transcript,
    named: &Transcript,
    speakers: &SpeakerAssignments,
    evidence: &EvidenceDoc,
) -> Vec<String> {
    let declared = declared_interviewers(named);
    source
        .speakers()
        .into_iter()
        .filter(|label| {
            let shown = display_name(label, speakers);
            evidence.interviewers.iter().any(|i| i == shown) && !declared.contains(shown)
        })
        .map(str::to_string)
        .collect()
}
