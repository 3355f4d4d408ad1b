//! Retry from the failed step: a new run of the same upload that reuses every artifact still
//! listed on the item (ingest clears them when the upload's content changes, so listed
//! artifacts are always for this source version) and redoes only what is missing.

use super::ingest::execution_input;
use crate::domain::update::{update_item, Change};
use crate::domain::{ErrorKind, Interview, InterviewId, RunId, Status, Step};
use crate::error::TaskError;
use crate::Pipeline;
use serde::{Deserialize, Serialize};

/// A retry that was started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryStarted {
    /// The interview.
    pub interview_id: InterviewId,
    /// The new run.
    pub run_id: RunId,
    /// The first step the new run has to do (earlier steps are reused).
    pub resumes_at: Step,
}

/// Why a retry was not started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetryRefused {
    /// No such interview.
    #[error("no interview {0}; `interviews list` shows the ones there are")]
    NotFound(InterviewId),
    /// Only failed interviews are retried.
    #[error("interview {id} is {status}, not error; only failed interviews can be retried")]
    NotFailed {
        /// The interview.
        id: InterviewId,
        /// Its status.
        status: Status,
    },
    /// The upload itself is unusable; retrying would fail the same way.
    #[error("interview {0} failed on its input; fix the file and upload it again (or retry with --force)")]
    InputError(InterviewId),
    /// The upload is gone or changed; its own event decides what happens.
    #[error("the upload of interview {0} is gone or has changed since; upload it again to start a new run")]
    UploadChanged(InterviewId),
}

/// Claims the next run of interview `id` and starts its execution: the machinery retry and a
/// speaker assignment share. `prepare` runs inside the fenced update, on the item as stored:
/// it refuses (`Some`) or makes its own changes before the run is claimed. Steps whose
/// results the item still names are reused by the new run.
pub(crate) async fn start_next_run<R>(
    pipeline: &Pipeline,
    id: &InterviewId,
    mut prepare: impl FnMut(&mut Interview) -> Option<R>,
) -> Result<Result<Interview, R>, TaskError> {
    let mut refused = None;
    let updated = update_item(
        pipeline.store.as_ref(),
        id,
        None,
        || pipeline.now(),
        |item| {
            refused = prepare(item);
            if refused.is_some() {
                return Ok(Change::Skip);
            }
            item.begin_next_run();
            item.execution_arn = Some(pipeline.orchestrator.execution_arn(&item.run_id));
            Ok(Change::Write)
        },
    )
    .await?;
    if let Some(why) = refused {
        return Ok(Err(why));
    }
    pipeline
        .orchestrator
        .start(&updated.run_id, &execution_input(&updated))
        .await?;
    Ok(Ok(updated))
}

/// Starts a new run of a failed interview. `force` also retries input errors (e.g. after
/// raising a size limit).
pub async fn retry(
    pipeline: &Pipeline,
    id: &InterviewId,
    force: bool,
) -> Result<Result<RetryStarted, RetryRefused>, TaskError> {
    let Some(item) = pipeline.store.get(id).await? else {
        return Ok(Err(RetryRefused::NotFound(id.clone())));
    };
    if item.status != Status::Error {
        return Ok(Err(RetryRefused::NotFailed {
            id: id.clone(),
            status: item.status,
        }));
    }
    if !force && item.error.as_ref().is_some_and(|e| e.kind == ErrorKind::Input) {
        return Ok(Err(RetryRefused::InputError(id.clone())));
    }
    match pipeline.blobs.head(&item.source.key).await? {
        Some(meta) if meta.etag == item.source.etag => {}
        _ => return Ok(Err(RetryRefused::UploadChanged(id.clone()))),
    }
    let updated = match start_next_run(pipeline, id, |item| {
        (item.status != Status::Error).then(|| RetryRefused::NotFailed {
            id: item.id.clone(),
            status: item.status,
        })
    })
    .await?
    {
        Ok(updated) => updated,
        Err(why) => return Ok(Err(why)),
    };
    let resumes_at = first_missing_step(&updated);
    tracing::info!(interview_id = %id, run_id = %updated.run_id, %resumes_at, "retry started");
    Ok(Ok(RetryStarted {
        interview_id: id.clone(),
        run_id: updated.run_id,
        resumes_at,
    }))
}

fn first_missing_step(item: &crate::domain::Interview) -> Step {
    let a = &item.artifacts;
    if a.transcript.is_none() {
        Step::Transcribe
    } else if a.evidence.is_none() {
        Step::Extract
    } else {
        Step::Analyze
    }
}
