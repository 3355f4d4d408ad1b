//! The interview item: one per interview, the only source of truth for its state.

use super::ids::{InterviewId, RunId};
use super::status::{Status, Step};
use crate::analysis::ModelUsage;
use chrono::{DateTime, Utc};
use interview_transcript::SpeakerAssignments;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What kind of failure an item's error is, so a person knows whether to fix the file or wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// The upload itself is unusable (unsupported, empty, corrupt, too large). Re-upload a fixed file.
    Input,
    /// A provider (speech or model service) failed and retries did not help.
    Provider,
    /// The pipeline's own services (item store, bucket, orchestrator, Lambda) stayed throttled
    /// or unavailable past the retry budget. Neither the upload nor a provider is at fault;
    /// `interviews retry` once they recover.
    Unavailable,
    /// A step ran out of its time budget.
    Timeout,
    /// The item stopped making progress and the sweeper ended it.
    Stale,
    /// A bug or an unexpected state on our side.
    Internal,
}

impl ErrorKind {
    /// Every kind, for filters and exhaustive tests.
    pub const ALL: [ErrorKind; 6] = [
        ErrorKind::Input,
        ErrorKind::Provider,
        ErrorKind::Unavailable,
        ErrorKind::Timeout,
        ErrorKind::Stale,
        ErrorKind::Internal,
    ];

    /// The lowercase name used in items and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Input => "input",
            ErrorKind::Provider => "provider",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Stale => "stale",
            ErrorKind::Internal => "internal",
        }
    }
}

impl std::str::FromStr for ErrorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            format!("unknown error kind `{s}` (expected input, provider, unavailable, timeout, stale or internal)")
        })
    }
}

/// The error recorded on an item: enough for a person to act without opening Step Functions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemError {
    /// The step that failed.
    pub step: Step,
    /// Input, provider, unavailable, timeout, stale or internal.
    pub kind: ErrorKind,
    /// A sentence saying what went wrong and what to do next.
    pub message: String,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// Whether `interviews retry` can be expected to help.
    pub retryable: bool,
    /// A short piece of the upload around the problem (e.g. the offending line), so a person can
    /// find it without opening the file. The only place on the item, and anywhere outside the
    /// bucket, where interview content may appear: it never goes into `message`, logs, execution
    /// causes or events, and it is removed when the upload is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

/// The most characters an [`ItemError::excerpt`] keeps.
pub const MAX_EXCERPT_CHARS: usize = 120;

impl ItemError {
    /// Sets the excerpt, cut to [`MAX_EXCERPT_CHARS`] with control characters made visible, so
    /// a crafted upload cannot put a large blob or terminal escapes on the item.
    pub fn with_excerpt(mut self, excerpt: Option<&str>) -> Self {
        self.excerpt = excerpt.map(bounded_excerpt).filter(|e| !e.is_empty());
        self
    }
}

fn bounded_excerpt(text: &str) -> String {
    let text = text.trim();
    let mut out: String = text
        .chars()
        .take(MAX_EXCERPT_CHARS)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if text.chars().nth(MAX_EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// What kind of upload started the interview.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A sound recording that needs speech recognition.
    Audio,
    /// A video recording; its audio track needs speech recognition.
    Video,
    /// A ready transcript; speech recognition is skipped.
    Transcript,
    /// Not yet known, or not recognised (the item then carries an input error).
    Unknown,
}

/// The uploaded object this interview comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Bucket the upload landed in (`local` for the embedded drop folder).
    pub bucket: String,
    /// Decoded object key, e.g. `uploads/acme/Interview 3.vtt`.
    pub key: String,
    /// Content version; a new ETag for the same key starts a new run.
    pub etag: String,
    /// Object size in bytes.
    pub size: u64,
    /// Sniffed media type, or the uploader's declared one when nothing could be sniffed.
    pub content_type: Option<String>,
    /// Audio, video, transcript, or unknown.
    pub kind: SourceKind,
    /// S3's ordering token of the event that set this version, so an older event that arrives
    /// late cannot replace a newer upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequencer: Option<String>,
}

impl Source {
    /// The project folder the upload was dropped in (`uploads/<project>/…`), if any.
    pub fn project(&self) -> Option<&str> {
        let rest = self.key.strip_prefix("uploads/")?;
        let (project, file) = rest.split_once('/')?;
        (!project.is_empty() && !file.is_empty()).then_some(project)
    }

    /// The file name part of the key, for display.
    pub fn file_name(&self) -> &str {
        self.key.rsplit('/').next().unwrap_or(&self.key)
    }
}

/// One step's entry in the item's timeline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// When the current run first started this step.
    pub started_at: Option<DateTime<Utc>>,
    /// When it finished (successfully, or reused from an earlier run).
    pub finished_at: Option<DateTime<Utc>>,
    /// How many times a task started this step in the current run.
    pub attempts: u32,
    /// Wall time between start and finish, in milliseconds.
    pub duration_ms: Option<u64>,
    /// Which worker ran it: the function and provider, e.g. `transcribe/passthrough`.
    pub worker: Option<String>,
    /// Set when the step's artifact was reused from an earlier run instead of redone.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reused: bool,
}

/// Where this interview's results live in the bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Artifacts {
    /// `results/<id>/r<run>/transcript.json` of the run that wrote it.
    pub transcript: Option<String>,
    /// `results/<id>/r<run>/evidence.json`
    pub evidence: Option<String>,
    /// `results/<id>/r<run>/analysis.json`
    pub analysis: Option<String>,
}

impl Artifacts {
    /// The key listed for `name`, if the item has one.
    pub fn get(&self, name: ArtifactName) -> Option<&str> {
        match name {
            ArtifactName::Transcript => self.transcript.as_deref(),
            ArtifactName::Evidence => self.evidence.as_deref(),
            ArtifactName::Analysis => self.analysis.as_deref(),
        }
    }
}

/// Headline numbers, so a list view needs no artifact reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Words in the transcript.
    pub words: u64,
    /// Distinct speakers in the transcript.
    pub speakers: u32,
    /// Evidence items extracted.
    pub evidence: u32,
    /// Themes found.
    pub themes: u32,
}

/// The item format this release writes. Items written before the field existed read as 1
/// (`tests/fixtures/compat/v1/` holds them, frozen); every write stores the current version.
///
/// - 1: the single-crate releases (no `schema_version` field).
/// - 2: the same fields, plus `schema_version` itself, `warnings` (what the transcript's reader
///   skipped or repaired) and `error.excerpt` (the only place a line of content may be kept).
/// - 3: plus `speakers` (names and roles a person gave the transcript's speakers) and
///   `interviewer_guess`. Both optional, so version 2 items load unchanged; bumped all the
///   same because a version 2 writer would drop a person's assignments on its next write, and
///   the version says which items carry them.
pub const ITEM_SCHEMA_VERSION: u32 = 3;

fn first_item_schema() -> u32 {
    1
}

/// The item: one per interview, the only source of truth for status, progress, timeline and errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interview {
    /// The item format it was written in ([`ITEM_SCHEMA_VERSION`] for every write by this release).
    #[serde(default = "first_item_schema")]
    pub schema_version: u32,
    /// Derived from bucket and key.
    pub id: InterviewId,
    /// queued, processing, ready, error or deleted.
    pub status: Status,
    /// The step the current run is at.
    pub step: Step,
    /// 0–100.
    pub progress: u8,
    /// What long work is doing right now ("transcribing 12:30 of 48:00", "analysing part 3 of
    /// 6"); absent between steps. Positions and counts only, never content. An optional field
    /// added within schema 2: readers that do not know it ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    /// The current run: the fencing token every task write is conditional on.
    pub run_id: RunId,
    /// Optimistic-concurrency counter; every write bumps it.
    pub version: u64,
    /// When the item was first created.
    pub created_at: DateTime<Utc>,
    /// Last write; doubles as the heartbeat the sweeper reads.
    pub updated_at: DateTime<Utc>,
    /// Per-step timeline of the current run.
    #[serde(default)]
    pub steps: BTreeMap<Step, StepRecord>,
    /// Set when status is `error`.
    #[serde(default)]
    pub error: Option<ItemError>,
    /// The upload.
    pub source: Source,
    /// Result keys.
    #[serde(default)]
    pub artifacts: Artifacts,
    /// Headline numbers.
    #[serde(default)]
    pub counts: Counts,
    /// The execution running the current run, once started.
    #[serde(default)]
    pub execution_arn: Option<String>,
    /// The speech-recognition job of the current run, if any.
    #[serde(default)]
    pub transcription_job: Option<String>,
    /// A remark a person should see that is not an error (e.g. "the upload was removed").
    #[serde(default)]
    pub note: Option<String>,
    /// What the transcript's reader skipped or repaired instead of refusing the file ("line 12:
    /// a cue block without a valid timing line was skipped"), so a person knows what was left
    /// out. Names lines, never content.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Tokens and estimated cost of the model calls behind the current evidence and analysis;
    /// absent when no model service was called (the local analyzer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_usage: Option<ModelUsage>,
    /// Names and roles a person gave the transcript's speaker labels (`interviews speakers`,
    /// `PUT /v1/interviews/{id}/speakers`); applied to the transcript before extract and
    /// analyze, so evidence, themes and personas carry them. Interview content, like the
    /// results: never logged.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub speakers: SpeakerAssignments,
    /// The speaker labels the analyzer took for the interviewer in the current results when
    /// neither the source nor a person said who interviews: a guess, shown as one, that a
    /// person corrects by assigning roles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interviewer_guess: Vec<String>,
}

impl Interview {
    /// A fresh item for the first run of an upload.
    pub fn new_queued(source: Source, now: DateTime<Utc>) -> Self {
        let id = InterviewId::for_object(&source.bucket, &source.key);
        let run_id = RunId::new(&id, 1);
        Self {
            schema_version: ITEM_SCHEMA_VERSION,
            id,
            status: Status::Queued,
            step: Step::Transcribe,
            progress: 0,
            status_detail: None,
            run_id,
            version: 1,
            created_at: now,
            updated_at: now,
            steps: BTreeMap::new(),
            error: None,
            source,
            artifacts: Artifacts::default(),
            counts: Counts::default(),
            execution_arn: None,
            transcription_job: None,
            note: None,
            warnings: Vec::new(),
            model_usage: None,
            speakers: SpeakerAssignments::new(),
            interviewer_guess: Vec::new(),
        }
    }

    /// Claims the next run: queued at the first step with a clean timeline and no error. What
    /// the run may reuse (artifacts, counts) is the caller's decision: a retry keeps them, a new
    /// upload clears them.
    pub fn begin_next_run(&mut self) {
        self.run_id = RunId::new(&self.id, self.run_id.number() + 1);
        self.status = Status::Queued;
        self.step = Step::Transcribe;
        self.progress = 0;
        self.status_detail = None;
        self.steps.clear();
        self.error = None;
        self.note = None;
        self.transcription_job = None;
        self.execution_arn = None;
    }

    /// Drops every piece of interview content the item may hold, for a deleted upload: content
    /// must disappear with the interview. The excerpt goes, and so does the error's message:
    /// ours name formats, lines and fields only, but a cause from outside the pipeline (a
    /// Lambda runtime error, an item written by an older version) may quote the upload. Step,
    /// kind, time, timeline and counts stay. Speaker assignments and the interviewer guess go
    /// too: they hold people's names.
    pub fn forget_content(&mut self) {
        self.speakers.clear();
        self.interviewer_guess.clear();
        if let Some(error) = &mut self.error {
            error.excerpt = None;
            error.message = format!(
                "{} error at {}; its details were removed with the upload",
                error.kind.as_str(),
                error.step
            );
        }
    }

    /// Whether the sweeper needs to watch this item (it sits in the sparse index).
    pub fn is_live(&self) -> bool {
        !self.status.is_terminal()
    }

    /// The sweeper index shard of a live item, `None` once terminal.
    ///
    /// Spreading live items over a few partition keys keeps a burst of uploads from
    /// concentrating writes on one index partition.
    pub fn live_shard(&self, shards: u32) -> Option<u32> {
        if !self.is_live() {
            return None;
        }
        let byte = u32::from_str_radix(&self.id.as_str()[3..7], 16).unwrap_or(0);
        Some(byte % shards.max(1))
    }

    /// Where the current run writes one of its result documents.
    ///
    /// Keys are per run and never rewritten by another run: a superseded run that is still
    /// running can only write under its own run folder, which the item does not point to, so
    /// it can never replace a newer run's results (the item write is fenced, a blob write is
    /// not). The item's `artifacts` name the documents that count.
    pub fn artifact_key(&self, name: ArtifactName) -> String {
        format!(
            "{}r{}/{}",
            self.id.results_prefix(),
            self.run_id.number(),
            name.file_name()
        )
    }
}

/// The three result documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactName {
    /// The canonical transcript.
    Transcript,
    /// The extracted evidence.
    Evidence,
    /// The analysis.
    Analysis,
}

impl ArtifactName {
    /// The file name under `results/<id>/r<run>/`.
    pub fn file_name(self) -> &'static str {
        match self {
            ArtifactName::Transcript => "transcript.json",
            ArtifactName::Evidence => "evidence.json",
            ArtifactName::Analysis => "analysis.json",
        }
    }

    /// The step that produces this artifact.
    pub fn step(self) -> Step {
        match self {
            ArtifactName::Transcript => Step::Transcribe,
            ArtifactName::Evidence => Step::Extract,
            ArtifactName::Analysis => Step::Analyze,
        }
    }
}

/// The number of shards of the sweeper's sparse index. Fixed: changing it needs a backfill.
pub const LIVE_SHARDS: u32 = 4;

#[cfg(test)]
mod tests {
    use super::*;

    fn source(key: &str) -> Source {
        Source {
            bucket: "b".into(),
            key: key.into(),
            etag: "e".into(),
            size: 1,
            content_type: None,
            kind: SourceKind::Transcript,
            sequencer: None,
        }
    }

    #[test]
    fn new_item_is_first_run_and_live() {
        let item = Interview::new_queued(source("uploads/acme/a.vtt"), Utc::now());
        assert_eq!(item.run_id.number(), 1);
        assert_eq!(item.run_id.interview_id(), item.id);
        assert!(item.live_shard(LIVE_SHARDS).unwrap() < LIVE_SHARDS);
        assert_eq!(item.source.project(), Some("acme"));
        assert_eq!(item.source.file_name(), "a.vtt");
        assert_eq!(
            item.artifact_key(ArtifactName::Evidence),
            format!("results/{}/r1/evidence.json", item.id)
        );
        let mut done = item.clone();
        done.status = Status::Ready;
        assert_eq!(done.live_shard(LIVE_SHARDS), None);
    }

    #[test]
    fn item_round_trips_through_json() {
        let mut item = Interview::new_queued(source("uploads/x/y z.srt"), Utc::now());
        item.steps.insert(
            Step::Transcribe,
            StepRecord {
                attempts: 2,
                ..Default::default()
            },
        );
        let json = serde_json::to_string(&item).unwrap();
        assert_eq!(serde_json::from_str::<Interview>(&json).unwrap(), item);
        assert_eq!(source("loose.txt").project(), None);
    }

    fn error_with(excerpt: Option<&str>) -> ItemError {
        ItemError {
            step: Step::Transcribe,
            kind: ErrorKind::Input,
            message: "plain text, line 1: expected `Speaker: text`".into(),
            at: Utc::now(),
            retryable: false,
            excerpt: None,
        }
        .with_excerpt(excerpt)
    }

    #[test]
    fn an_item_stored_without_an_excerpt_still_loads_and_none_is_not_written() {
        let mut item = Interview::new_queued(source("uploads/x/a.txt"), Utc::now());
        item.status = Status::Error;
        item.error = Some(error_with(None));
        let json = serde_json::to_value(&item).unwrap();
        assert!(json["error"].get("excerpt").is_none(), "{json}");
        let back: Interview = serde_json::from_value(json).unwrap();
        assert_eq!(back.error.unwrap().excerpt, None);
    }

    #[test]
    fn excerpts_are_bounded_and_control_characters_are_neutralised() {
        let long = format!("Jane\x1b[2J{}", "x".repeat(500));
        let excerpt = error_with(Some(&long)).excerpt.unwrap();
        assert_eq!(excerpt.chars().count(), MAX_EXCERPT_CHARS + 1);
        assert!(!excerpt.contains('\x1b'));
        assert!(excerpt.ends_with('…'));
        assert_eq!(error_with(Some("  ")).excerpt, None);
    }

    #[test]
    fn forgetting_content_drops_the_excerpt_and_the_message() {
        let mut item = Interview::new_queued(source("uploads/x/a.txt"), Utc::now());
        let mut error = error_with(Some("Jane Doe, SSN 123-45-6789"));
        error.message = "an older reader quoted `Jane Doe, SSN 123-45-6789`".into();
        item.error = Some(error);
        item.speakers.insert(
            "spk_0".into(),
            interview_transcript::SpeakerAssignment {
                name: Some("Jane Doe".into()),
                role: None,
            },
        );
        item.interviewer_guess = vec!["Tom".into()];
        item.forget_content();
        assert!(item.speakers.is_empty() && item.interviewer_guess.is_empty());
        let error = item.error.unwrap();
        assert_eq!(error.excerpt, None);
        assert_eq!(
            error.message,
            "input error at transcribe; its details were removed with the upload"
        );
        assert_eq!((error.kind, error.step), (ErrorKind::Input, Step::Transcribe));
    }
}
