//! Task handlers: the same functions behind each Lambda and the local runner.

mod deadline;
mod function;
mod pipeline;

pub mod analyze;
pub mod extract;
pub mod ingest;
pub mod mark_failed;
pub mod progress;
pub mod retry;
pub mod speakers;
pub mod stream_events;
pub mod sweeper;
pub mod transcribe;

use crate::ports::JSON_CONTENT_TYPE;
pub use deadline::Deadline;
pub use function::{Function, TaskFunction};
pub use pipeline::Pipeline;

use crate::domain::update::{update_item, Change};
use crate::domain::{ArtifactName, Interview, InterviewId, RunId, Status, Step, StepRecord};
use crate::error::{BlobError, TaskError};
use crate::services::Services;
use bytes::Bytes;
use interview_core::{analysis, config, domain, error, ports, s3_event, services};
use interview_transcript::{self as transcript, media};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The input every pipeline task receives from the state machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInput {
    /// The interview.
    pub interview_id: InterviewId,
    /// The run (fencing token) the execution belongs to.
    pub run_id: RunId,
}

impl TaskInput {
    /// Refuses an input whose run does not belong to its interview (a hand-made or corrupted event).
    pub fn check(&self) -> Result<(), TaskError> {
        if self.run_id.interview_id() != self.interview_id {
            return Err(TaskError::Internal(format!(
                "run {} does not belong to interview {}",
                self.run_id, self.interview_id
            )));
        }
        Ok(())
    }
}

/// What extract and analyze return to the state machine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOutput {
    /// The step that finished.
    pub step: Step,
    /// Whether an earlier run's artifact was reused instead of redoing the work.
    pub reused: bool,
    /// Evidence items or themes produced.
    pub count: u64,
}

/// The span every handler runs in, so every log line names the interview and run. Handler spans
/// are at WARN level so that they are enabled wherever a warning is: the CLI logs warnings only,
/// and a span its filter disabled would drop the interview id from those lines.
pub fn interview_span(function: &'static str, input: &TaskInput) -> tracing::Span {
    tracing::warn_span!("task", function, interview_id = %input.interview_id, run_id = %input.run_id)
}

/// What [`begin_step`] found.
pub(crate) enum Begun {
    /// The step starts (or restarts after a failed attempt) now.
    Fresh(Interview),
    /// This run already finished the step: a task re-run after a crash or a duplicate
    /// invocation. Nothing was written; the handler answers as it did the first time.
    AlreadyDone(Interview),
}

/// Marks `step` as started by this run: status processing, attempts counted, heartbeat refreshed.
///
/// An item that already ended (the sweeper or mark-failed got there first) or that belongs
/// to another run makes this run stop with [`TaskError::Superseded`].
pub(crate) async fn begin_step(services: &Services, input: &TaskInput, step: Step) -> Result<Begun, TaskError> {
    input.check()?;
    let now = services.now();
    let worker = format!("{}/{}", services.worker, worker_of(services, step));
    let mut already_done = false;
    let item = update_item(
        services.store.as_ref(),
        &input.interview_id,
        Some(&input.run_id),
        || services.now(),
        |item| {
            already_done = item.steps.get(&step).is_some_and(|r| r.finished_at.is_some());
            if already_done {
                return Ok(Change::Skip);
            }
            if item.status.is_terminal() {
                return Err(TaskError::Superseded(format!(
                    "interview {} already ended as {}; run {} stops here",
                    item.id, item.status, item.run_id
                )));
            }
            item.status = Status::Processing;
            item.step = step;
            item.progress = item.progress.max(step.progress_floor());
            let record = item.steps.entry(step).or_default();
            record.started_at.get_or_insert(now);
            record.attempts += 1;
            record.worker = Some(worker.clone());
            Ok(Change::Write)
        },
    )
    .await?;
    if already_done {
        tracing::info!(%step, "this run already finished the step; answering without redoing it");
        Ok(Begun::AlreadyDone(item))
    } else {
        Ok(Begun::Fresh(item))
    }
}

fn worker_of(services: &Services, step: Step) -> String {
    match step {
        Step::Transcribe => services.transcriber.name().to_string(),
        Step::Extract | Step::Analyze => services.analyzer.name().to_string(),
        Step::Done => String::new(),
    }
}

/// Records `step` as finished by this run and moves the item to the next step (or `ready`).
/// `apply` sets the step's own fields (artifact key, counts, note).
pub(crate) async fn finish_step(
    services: &Services,
    input: &TaskInput,
    step: Step,
    reused: bool,
    apply: impl Fn(&mut Interview),
) -> Result<Interview, TaskError> {
    let now = services.now();
    update_item(
        services.store.as_ref(),
        &input.interview_id,
        Some(&input.run_id),
        || services.now(),
        |item| {
            if item.status != Status::Processing || item.step != step {
                return Err(TaskError::Superseded(format!(
                    "interview {} is {} at {}, not processing {step}; run {} stops here",
                    item.id, item.status, item.step, item.run_id
                )));
            }
            let record: &mut StepRecord = item.steps.entry(step).or_default();
            record.finished_at = Some(now);
            record.reused = reused;
            record.duration_ms = record.started_at.map(|s| (now - s).num_milliseconds().max(0) as u64);
            item.step = step.next();
            item.progress = item.step.progress_floor();
            item.status_detail = None;
            if item.step == Step::Done {
                item.status = Status::Ready;
            }
            apply(item);
            Ok(Change::Write)
        },
    )
    .await
}

/// [`finish_step`] for a step that has just written its result document at `key`.
///
/// The bucket write is not fenced, so a run that was superseded while it worked (the upload
/// was deleted or replaced, the sweeper or a stop ended the run) has already put a document
/// nobody will list. When the item refuses the finish, the document is removed again unless
/// the item lists it, so a late run never leaves results behind, not even after a deletion.
pub(crate) async fn finish_with_artifact(
    services: &Services,
    input: &TaskInput,
    step: Step,
    key: &str,
    apply: impl Fn(&mut Interview),
) -> Result<Interview, TaskError> {
    let finished = finish_step(services, input, step, false, apply).await;
    if let Err(TaskError::Superseded(_)) = &finished {
        discard_unlisted(services, &input.interview_id, key).await;
    }
    finished
}

/// Removes `key` unless the item still counts it as a result.
async fn discard_unlisted(services: &Services, id: &InterviewId, key: &str) {
    let keep = match services.store.get(id).await {
        Ok(Some(item)) => {
            item.status != Status::Deleted
                && [
                    &item.artifacts.transcript,
                    &item.artifacts.evidence,
                    &item.artifacts.analysis,
                ]
                .into_iter()
                .any(|listed| listed.as_deref() == Some(key))
        }
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(%key, error = %e, "cannot tell whether the superseded run's document is listed; leaving it");
            true
        }
    };
    if keep {
        return;
    }
    match services.blobs.delete(key).await {
        Ok(()) => tracing::info!(%key, "removed the document this superseded run wrote"),
        Err(e) => tracing::warn!(%key, error = %e, "could not remove the document this superseded run wrote"),
    }
}

/// Whether the item already has `name` from an earlier run of the same upload, so a retry can
/// skip the step. Ingest clears artifacts when the upload's content changes, so a listed
/// artifact is always for this source version; it must also still exist in the bucket.
pub(crate) async fn reusable(services: &Services, item: &Interview, name: ArtifactName) -> Result<bool, TaskError> {
    let listed = item.artifacts.get(name);
    match listed {
        Some(key) => Ok(services.blobs.head(key).await?.is_some()),
        None => Ok(false),
    }
}

/// The most a result document may weigh when read back (generous: a 4-hour transcript is ~10 MB).
const MAX_ARTIFACT_BYTES: u64 = 512 * 1024 * 1024;

/// Reads and decodes one of the interview's result documents.
pub(crate) async fn read_artifact<T: DeserializeOwned>(
    services: &Services,
    item: &Interview,
    name: ArtifactName,
) -> Result<T, TaskError> {
    let key = item
        .artifacts
        .get(name)
        .map_or_else(|| item.artifact_key(name), str::to_string);
    let bytes = services
        .blobs
        .get(&key, MAX_ARTIFACT_BYTES)
        .await
        .map_err(|e| match e {
            BlobError::NotFound(_) => TaskError::Internal(format!(
                "{} of interview {} is missing ({key}); run `interviews retry {}` to redo the {} step",
                name.file_name(),
                item.id,
                item.id,
                name.step()
            )),
            other => other.into(),
        })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| TaskError::Internal(format!("{} for {} cannot be read: {e}", name.file_name(), item.id)))
}

/// Reads one of the result documents the item lists, for operators (`interviews show`).
pub async fn load_artifact<T: DeserializeOwned>(
    services: &Services,
    item: &Interview,
    name: ArtifactName,
) -> Result<T, TaskError> {
    read_artifact(services, item, name).await
}

/// Writes one of the interview's result documents (pretty JSON, for people who open it).
pub(crate) async fn write_artifact<T: Serialize>(
    services: &Services,
    item: &Interview,
    name: ArtifactName,
    doc: &T,
) -> Result<String, TaskError> {
    let key = item.artifact_key(name);
    let body = serde_json::to_vec_pretty(doc).map_err(|e| TaskError::Internal(format!("cannot encode {key}: {e}")))?;
    services.blobs.put(&key, Bytes::from(body), JSON_CONTENT_TYPE).await?;
    Ok(key)
}
