//! The bodies the API answers with. Each carries `schema_version` ([`crate::API_SCHEMA_VERSION`]);
//! `docs/openapi.json` describes them and the tests hold the two together.

use crate::API_SCHEMA_VERSION;
use chrono::{DateTime, Utc};
use interview_core::analysis::ModelUsage;
use interview_core::domain::SpeakerAssignments;
use interview_core::domain::{ArtifactName, Counts, ErrorKind, Interview, InterviewId, SourceKind, Status, Step};
use interview_core::listing::InterviewSummary;
use serde::Serialize;
use std::collections::BTreeMap;

/// One page of `GET /v1/interviews`.
#[derive(Debug, Serialize)]
pub struct InterviewList {
    /// Body format.
    pub schema_version: u32,
    /// Newest first.
    pub items: Vec<InterviewSummary>,
    /// Pass as `cursor` for the next page; `null` at the end.
    pub next_cursor: Option<String>,
}

/// One step in the timeline.
#[derive(Debug, Serialize)]
pub struct TimelineEntry {
    /// transcribe, extract or analyze.
    pub step: Step,
    /// When the current run started it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Task starts in this run.
    pub attempts: u32,
    /// Milliseconds from start to finish.
    pub duration_ms: Option<u64>,
    /// Which worker ran it.
    pub worker: Option<String>,
    /// Whether an earlier run's result was reused.
    pub reused: bool,
}

/// The error, with what to do about it.
#[derive(Debug, Serialize)]
pub struct ErrorView {
    /// The step that failed.
    pub step: Step,
    /// input, provider, unavailable, timeout, stale or internal.
    pub kind: ErrorKind,
    /// What went wrong.
    pub message: String,
    /// Whether a retry can be expected to help.
    pub retryable: bool,
    /// What a person should do next.
    pub action: &'static str,
    /// A short piece of the upload around the problem, if one was kept.
    pub excerpt: Option<String>,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

/// The upload.
#[derive(Debug, Serialize)]
pub struct SourceView {
    /// Project folder.
    pub project: String,
    /// File name.
    pub file_name: String,
    /// Bytes.
    pub size_bytes: u64,
    /// Sniffed or declared type.
    pub content_type: Option<String>,
    /// audio, video, transcript or unknown.
    pub kind: SourceKind,
}

/// One result document.
#[derive(Debug, Serialize)]
pub struct ArtifactView {
    /// Whether the current run has it.
    pub available: bool,
    /// Where to read it.
    pub href: String,
}

/// `GET /v1/interviews/{id}`.
#[derive(Debug, Serialize)]
pub struct InterviewView {
    /// Body format.
    pub schema_version: u32,
    /// The interview.
    pub id: InterviewId,
    /// queued, processing, ready, error or deleted.
    pub status: Status,
    /// Where the current run is.
    pub step: Step,
    /// 0–100.
    pub progress: u8,
    /// What long work is doing right now ("transcribing 12:30 of 48:00"); null between steps.
    pub status_detail: Option<String>,
    /// The current run's number.
    pub run: u32,
    /// First upload.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The current run's steps, in pipeline order.
    pub timeline: Vec<TimelineEntry>,
    /// Set when the interview failed.
    pub error: Option<ErrorView>,
    /// A remark that is not an error.
    pub note: Option<String>,
    /// Headline numbers.
    pub counts: Counts,
    /// The upload.
    pub source: SourceView,
    /// transcript, evidence, analysis.
    pub artifacts: BTreeMap<&'static str, ArtifactView>,
    /// Model tokens and estimated cost of the current results (absent with the local analyzer).
    pub model_usage: Option<ModelUsage>,
    /// Names and roles a person gave the transcript's speaker labels.
    pub speakers: SpeakerAssignments,
    /// Speaker labels the analyzer took for the interviewer when nobody said who interviews: a
    /// guess to correct with `PUT /v1/interviews/{id}/speakers` if it is wrong.
    pub interviewer_guess: Vec<String>,
}

/// What to do about an error of `kind`.
fn action(kind: ErrorKind, retryable: bool) -> &'static str {
    match kind {
        ErrorKind::Input => {
            "fix the file and upload it again (a retry with force=true only helps after a limit was raised)"
        }
        ErrorKind::Unavailable | ErrorKind::Provider | ErrorKind::Timeout | ErrorKind::Stale if retryable => {
            "retry: POST /v1/interviews/{id}/retry"
        }
        ErrorKind::Internal => "report it with the interview id; a retry may work around it",
        _ => "retry once the cause is fixed: POST /v1/interviews/{id}/retry",
    }
}

impl InterviewView {
    /// The view of `item`, which belongs to `project`.
    pub fn of(item: &Interview, project: &str) -> Self {
        let timeline = Step::WORK
            .iter()
            .filter_map(|step| item.steps.get(step).map(|r| (step, r)))
            .map(|(step, r)| TimelineEntry {
                step: *step,
                started_at: r.started_at,
                finished_at: r.finished_at,
                attempts: r.attempts,
                duration_ms: r.duration_ms,
                worker: r.worker.clone(),
                reused: r.reused,
            })
            .collect();
        let artifacts = [ArtifactName::Transcript, ArtifactName::Evidence, ArtifactName::Analysis]
            .into_iter()
            .map(|name| {
                let label = name.file_name().trim_end_matches(".json");
                let view = ArtifactView {
                    available: item.artifacts.get(name).is_some(),
                    href: format!("/v1/interviews/{}/{label}", item.id),
                };
                (label, view)
            })
            .collect();
        Self {
            schema_version: API_SCHEMA_VERSION,
            id: item.id.clone(),
            status: item.status,
            step: item.step,
            progress: item.progress,
            status_detail: item.status_detail.clone(),
            run: item.run_id.number(),
            created_at: item.created_at,
            updated_at: item.updated_at,
            timeline,
            error: item.error.as_ref().map(|e| ErrorView {
                step: e.step,
                kind: e.kind,
                message: e.message.clone(),
                retryable: e.retryable,
                action: action(e.kind, e.retryable),
                excerpt: e.excerpt.clone(),
                at: e.at,
            }),
            note: item.note.clone(),
            counts: item.counts.clone(),
            source: SourceView {
                project: project.to_string(),
                file_name: item.source.file_name().to_string(),
                size_bytes: item.source.size,
                content_type: item.source.content_type.clone(),
                kind: item.source.kind,
            },
            artifacts,
            model_usage: item.model_usage,
            speakers: item.speakers.clone(),
            interviewer_guess: item.interviewer_guess.clone(),
        }
    }
}

/// `POST /v1/uploads` answer.
#[derive(Debug, Serialize)]
pub struct UploadView {
    /// Body format.
    pub schema_version: u32,
    /// The interview the upload will become.
    pub interview_id: InterviewId,
    /// The object key the server chose.
    pub key: String,
    /// Where to send the bytes.
    pub url: String,
    /// PUT.
    pub method: String,
    /// Headers to send exactly as given.
    pub headers: BTreeMap<String, String>,
    /// The URL stops working at this time.
    pub expires_at: DateTime<Utc>,
}

/// `POST /v1/interviews/{id}/retry` answer.
#[derive(Debug, Serialize)]
pub struct RetryView {
    /// Body format.
    pub schema_version: u32,
    /// The interview.
    pub interview_id: InterviewId,
    /// The new run's number.
    pub run: u32,
    /// The first step the new run does; earlier results are reused.
    pub resumes_at: Step,
}

/// `PUT /v1/interviews/{id}/speakers` answer.
#[derive(Debug, Serialize)]
pub struct SpeakersView {
    /// Body format.
    pub schema_version: u32,
    /// The interview.
    pub interview_id: InterviewId,
    /// The new run's number.
    pub run: u32,
    /// The first step the new run redoes (`extract`: the transcript is reused).
    pub resumes_at: Step,
    /// The assignments now on the interview.
    pub speakers: SpeakerAssignments,
}

/// `DELETE /v1/interviews/{id}` answer.
#[derive(Debug, Serialize)]
pub struct DeleteView {
    /// Body format.
    pub schema_version: u32,
    /// The interview.
    pub interview_id: InterviewId,
    /// The upload was removed; the interview turns `deleted` when the bucket's notification is processed.
    pub upload_removed: bool,
}

/// `GET /v1/projects` answer.
#[derive(Debug, Serialize)]
pub struct ProjectsView {
    /// Body format.
    pub schema_version: u32,
    /// Whether the caller sees every project (then `projects` lists those the store can name
    /// cheaply: every project with interviews on `serve`, none on DynamoDB).
    pub all_projects: bool,
    /// The projects the caller's token names, or for a caller who sees all, as above.
    pub projects: Vec<String>,
}

/// `GET /v1/overview` answer.
#[derive(Debug, Serialize)]
pub struct OverviewView {
    /// Body format.
    pub schema_version: u32,
    /// The projects counted.
    pub projects: Vec<String>,
    /// Interviews by status, then by step (deleted ones included).
    pub by_status: BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
    /// Live interviews with no change for longer than `stuck_after_seconds`.
    pub stuck: u64,
    /// The threshold behind `stuck`.
    pub stuck_after_seconds: u64,
    /// Seconds since the oldest live interview was uploaded, `null` when none is live.
    pub oldest_live_age_seconds: Option<i64>,
    /// Failures of the last 24 hours by kind.
    pub errors_last_24h: BTreeMap<&'static str, u64>,
    /// When the counts were taken.
    pub generated_at: DateTime<Utc>,
}
