//! The ports: the traits the domain and handlers speak to. Each has an AWS adapter and an
//! embedded adapter side by side, and the same contract tests run against both.

use crate::analysis::{AnalysisDoc, EvidenceDoc};
use crate::domain::{Interview, InterviewId, RunId, Status};
use crate::error::{BlobError, OrchestratorError, ProviderError, StoreError};
use crate::listing::{Page, PageQuery};
use crate::progress::{ProgressSink, WorkProgress};
use crate::transcript::media::{MediaError, MediaFormat, MediaInfo, ProbeInput};
use crate::transcript::Transcript;
use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use std::path::Path;

/// What a conditional replace expects to find in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// The version the writer read; the write fails with `VersionConflict` if it moved.
    pub version: u64,
    /// The run the writer belongs to; the write fails with `RunFenced` if the item moved on.
    pub run_id: RunId,
}

/// Filters for the operator's `list`.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Only items with this status.
    pub status: Option<Status>,
    /// Include deleted items (hidden by default).
    pub include_deleted: bool,
    /// At most this many items (newest first).
    pub limit: Option<usize>,
}

/// The interview table. Every write is conditional; there is no blind overwrite.
#[async_trait]
pub trait ItemStore: Send + Sync {
    /// Reads one item.
    async fn get(&self, id: &InterviewId) -> Result<Option<Interview>, StoreError>;

    /// Writes a new item only if none with that id exists (`AlreadyExists` otherwise).
    async fn create(&self, item: &Interview) -> Result<(), StoreError>;

    /// Replaces the item only if the stored one still has `expected.version` and
    /// `expected.run_id`: `RunFenced` if the run differs, `VersionConflict` if only the version
    /// does, `NotFound` if it vanished.
    async fn replace(&self, item: &Interview, expected: &Expected) -> Result<(), StoreError>;

    /// Lists items for operators, newest `updated_at` first.
    async fn list(&self, query: &ListQuery) -> Result<Vec<Interview>, StoreError>;

    /// Live (non-terminal) items whose `updated_at` is before `cutoff`, read through the sparse
    /// index only, so the cost grows with live items rather than with the table.
    async fn live_items_updated_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<Interview>, StoreError>;

    /// One page of the query's projects, newest `updated_at` first, read through the store's
    /// project index (see [`crate::listing`]): its cost follows the page, not the table.
    async fn page(&self, query: &PageQuery) -> Result<Page, StoreError>;

    /// The projects with interviews that are not deleted (at most [`MAX_LISTED_PROJECTS`],
    /// sorted), when the store can tell without reading every item: the embedded store can;
    /// DynamoDB would need a table scan, so it answers `None` and callers fall back to the
    /// projects a caller's groups name. A wrapper must forward this.
    async fn projects(&self) -> Result<Option<Vec<String>>, StoreError> {
        Ok(None)
    }
}

/// The most projects [`ItemStore::projects`] lists.
pub const MAX_LISTED_PROJECTS: usize = 1000;

/// Size and type of a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    /// Bytes.
    pub size: u64,
    /// Content version (S3 ETag without quotes).
    pub etag: String,
    /// Declared content type, if any.
    pub content_type: Option<String>,
}

/// The bucket (S3, or a folder under the data dir).
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// The bucket name recorded on items.
    fn bucket(&self) -> &str;

    /// Size, ETag and type, or `None` if there is no such object.
    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError>;

    /// Reads a whole (small) object, refusing anything over `limit` bytes before reading it.
    async fn get(&self, key: &str, limit: u64) -> Result<Bytes, BlobError>;

    /// Reads the first `len` bytes (for sniffing the real type).
    async fn get_prefix(&self, key: &str, len: u64) -> Result<Bytes, BlobError>;

    /// Streams an object into a local file, refusing anything over `limit` bytes before reading it.
    async fn download_to(&self, key: &str, dest: &Path, limit: u64) -> Result<u64, BlobError>;

    /// Writes an object and returns its metadata.
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<BlobMeta, BlobError>;

    /// Streams a local file into an object.
    async fn upload_from(&self, key: &str, src: &Path, content_type: &str) -> Result<BlobMeta, BlobError>;

    /// Deletes an object; deleting a missing object is not an error.
    async fn delete(&self, key: &str) -> Result<(), BlobError>;

    /// Keys under a prefix, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError>;
}

/// Starts and stops executions of the state machine.
#[async_trait]
pub trait Orchestrator: Send + Sync {
    /// The ARN (or local handle) the execution for `run` has or will have. Derived, not
    /// looked up, so ingest can record it in the same write that claims the run.
    fn execution_arn(&self, run: &RunId) -> String;

    /// Starts the execution named after `run`; starting the same run again is not an error
    /// and returns the same execution. Returns the execution's ARN (or local handle).
    async fn start(&self, run: &RunId, input: &serde_json::Value) -> Result<String, OrchestratorError>;

    /// Stops a running execution; stopping a finished or unknown one is not an error.
    async fn stop(&self, execution_arn: &str, error: &str, cause: &str) -> Result<(), OrchestratorError>;
}

/// What the speech engine was asked to transcribe.
#[derive(Debug, Clone)]
pub struct TranscriptionRequest {
    /// The interview.
    pub interview_id: InterviewId,
    /// The run (part of the job name, so a new run gets a new job).
    pub run_id: RunId,
    /// The media object's key in the bucket.
    pub media_key: String,
    /// Sniffed container format (`wav`, `mp3`, …).
    pub media_format: String,
    /// A job name valid for the provider, derived from interview and run.
    pub job_name: String,
}

/// Where a transcription job stands.
#[derive(Debug, Clone)]
pub enum TranscriptionState {
    /// Still working (queued or in progress).
    InProgress,
    /// Done, with the canonical transcript.
    Completed(Transcript),
    /// The provider gave up; the reason is the provider's.
    Failed(String),
}

/// Turns a recording into a canonical transcript.
#[async_trait]
pub trait Transcriber: Send + Sync {
    /// A short name recorded as the step's worker (e.g. `amazon-transcribe`).
    fn name(&self) -> &str;

    /// Starts a job (or finishes it at once, for in-process engines). Starting a job that
    /// already exists under the same name is not an error.
    async fn start(&self, request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError>;

    /// Checks a job started earlier.
    async fn check(&self, request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError>;

    /// How far a job in progress has come, for engines that know (the in-process one does;
    /// Amazon Transcribe does not say).
    fn progress(&self, _request: &TranscriptionRequest) -> Option<WorkProgress> {
        None
    }
}

/// Finds evidence in a transcript and analyses it.
#[async_trait]
pub trait Analyzer: Send + Sync {
    /// A short name recorded in the documents and as the step's worker.
    fn name(&self) -> &str;

    /// Extracts evidence; the caller validates it against the transcript before writing.
    async fn extract(&self, transcript: &Transcript) -> Result<EvidenceDoc, ProviderError>;

    /// Analyses the evidence; the caller validates references before writing.
    async fn analyze(&self, transcript: &Transcript, evidence: &EvidenceDoc) -> Result<AnalysisDoc, ProviderError>;

    /// [`Analyzer::extract`], reporting each part of a long transcript to `progress` as it
    /// starts (the model analyzer works in parts; the default is one quick step).
    async fn extract_reporting(
        &self,
        transcript: &Transcript,
        _progress: &dyn ProgressSink,
    ) -> Result<EvidenceDoc, ProviderError> {
        self.extract(transcript).await
    }

    /// [`Analyzer::analyze`], reporting each part to `progress` as it starts.
    async fn analyze_reporting(
        &self,
        transcript: &Transcript,
        evidence: &EvidenceDoc,
        _progress: &dyn ProgressSink,
    ) -> Result<AnalysisDoc, ProviderError> {
        self.analyze(transcript, evidence).await
    }
}

/// Reads a recording's headers: container, codec, duration, and whether its first packets
/// decode. The bytes are untrusted, so only the transcribe step calls it (one interview per
/// invocation), never ingest, whose batch a crash would take down whole.
pub trait MediaProbe: Send + Sync {
    /// Probes `input`, which sniffed as `format`.
    fn probe(&self, input: ProbeInput<'_>, format: MediaFormat) -> Result<MediaInfo, MediaError>;
}

/// The content type recorded for JSON result documents.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// Formats a time so that string order is time order (fixed precision, UTC, `Z`).
///
/// Both stores sort and range-query `updated_at` as a string, so every writer must use this.
pub fn sortable_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}
