//! The adapters one process works with, built once (at Lambda init, or once by the CLI) and
//! shared by every invocation.
//!
//! There is one way to build them, [`Services::builder`]: the store and the bucket are always
//! needed; the speech engine, the analyzer and the media prober only by the functions that run
//! those steps, so each function's `main` passes exactly the adapters it runs and links no
//! other. One left out answers with an error that names the wiring mistake instead of a panic.
//!
//! The orchestrator is not part of this set: the task handlers never start or stop executions,
//! and the local orchestrator runs those handlers, so keeping it out is what lets the local
//! runner hold the services without a cycle. Ingest, retry and the sweeper receive it beside
//! the services.

use crate::analysis::{AnalysisDoc, EvidenceDoc};
use crate::config::Settings;
use crate::error::ProviderError;
use crate::ports::{Analyzer, BlobStore, ItemStore, MediaProbe, Transcriber, TranscriptionRequest, TranscriptionState};
use crate::transcript::media::{MediaError, MediaFormat, MediaInfo, ProbeInput};
use crate::transcript::Transcript;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use interview_asl::{Clock, SystemClock};
use std::sync::Arc;

/// The adapters and settings every handler receives.
pub struct Services {
    /// The interview table.
    pub store: Arc<dyn ItemStore>,
    /// The bucket.
    pub blobs: Arc<dyn BlobStore>,
    /// Speech to text.
    pub transcriber: Arc<dyn Transcriber>,
    /// Evidence and analysis.
    pub analyzer: Arc<dyn Analyzer>,
    /// Reads recordings' headers (untrusted bytes: only the transcribe step uses it).
    pub media: Arc<dyn MediaProbe>,
    /// Limits and thresholds.
    pub settings: Settings,
    /// Time, replaceable in tests.
    pub clock: Arc<dyn Clock>,
    /// Recorded as the worker in the step timeline (function name, or `local`).
    pub worker: String,
}

/// Why the adapters could not be built.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BuildError(pub String);

impl Services {
    /// The current time on the services' clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Starts building the services of function (or process) `worker` over a store and a bucket.
    pub fn builder(
        settings: Settings,
        worker: impl Into<String>,
        store: Arc<dyn ItemStore>,
        blobs: Arc<dyn BlobStore>,
    ) -> ServicesBuilder {
        let worker = worker.into();
        ServicesBuilder {
            transcriber: Arc::new(NotWired::new(&worker, "speech engine")),
            analyzer: Arc::new(NotWired::new(&worker, "analyzer")),
            media: Arc::new(NotWired::new(&worker, "media prober")),
            clock: Arc::new(SystemClock),
            store,
            blobs,
            settings,
            worker,
        }
    }
}

/// [`Services`] under construction: overrides for the providers, the clock, and wrappers
/// around the store or the bucket (metering, fault injection).
#[must_use]
pub struct ServicesBuilder {
    store: Arc<dyn ItemStore>,
    blobs: Arc<dyn BlobStore>,
    transcriber: Arc<dyn Transcriber>,
    analyzer: Arc<dyn Analyzer>,
    media: Arc<dyn MediaProbe>,
    settings: Settings,
    clock: Arc<dyn Clock>,
    worker: String,
}

impl ServicesBuilder {
    /// The speech engine (transcribe function, CLI).
    pub fn transcriber(mut self, transcriber: Arc<dyn Transcriber>) -> Self {
        self.transcriber = transcriber;
        self
    }

    /// The analyzer (extract and analyze functions, CLI).
    pub fn analyzer(mut self, analyzer: Arc<dyn Analyzer>) -> Self {
        self.analyzer = analyzer;
        self
    }

    /// The media prober (transcribe function, CLI).
    pub fn media(mut self, media: Arc<dyn MediaProbe>) -> Self {
        self.media = media;
        self
    }

    /// The clock (tests run on a scaled or recorded one).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the store with a wrapper around it.
    pub fn wrap_store(mut self, wrap: impl FnOnce(Arc<dyn ItemStore>) -> Arc<dyn ItemStore>) -> Self {
        self.store = wrap(self.store);
        self
    }

    /// Replaces the bucket with a wrapper around it.
    pub fn wrap_blobs(mut self, wrap: impl FnOnce(Arc<dyn BlobStore>) -> Arc<dyn BlobStore>) -> Self {
        self.blobs = wrap(self.blobs);
        self
    }

    /// Changes settings after the adapters were chosen (tests).
    pub fn settings(mut self, tweak: impl FnOnce(&mut Settings)) -> Self {
        tweak(&mut self.settings);
        self
    }

    /// The bucket as configured so far (to build a provider that reads from it).
    pub fn blobs(&self) -> Arc<dyn BlobStore> {
        self.blobs.clone()
    }

    /// The settings as configured so far (to choose providers from).
    pub fn current_settings(&self) -> &Settings {
        &self.settings
    }

    /// The store as configured so far.
    pub fn store(&self) -> Arc<dyn ItemStore> {
        self.store.clone()
    }

    /// The services.
    pub fn build(self) -> Arc<Services> {
        Arc::new(Services {
            store: self.store,
            blobs: self.blobs,
            transcriber: self.transcriber,
            analyzer: self.analyzer,
            media: self.media,
            settings: self.settings,
            clock: self.clock,
            worker: self.worker,
        })
    }
}

/// The stand-in for a provider a function was built without. Reaching it is a wiring bug in
/// that function's `main` (a step ran in a function that does not run it), so it fails for
/// good, naming the function and what it lacks.
struct NotWired {
    provider: String,
    message: String,
}

impl NotWired {
    fn new(worker: &str, what: &str) -> Self {
        Self {
            provider: what.to_string(),
            message: format!("the `{worker}` function was built without a {what}; this step does not run there"),
        }
    }

    fn error(&self) -> ProviderError {
        ProviderError::Permanent {
            provider: self.provider.clone(),
            message: self.message.clone(),
        }
    }
}

#[async_trait]
impl Transcriber for NotWired {
    fn name(&self) -> &str {
        "none"
    }

    async fn start(&self, _request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        Err(self.error())
    }

    async fn check(&self, _request: &TranscriptionRequest) -> Result<TranscriptionState, ProviderError> {
        Err(self.error())
    }
}

#[async_trait]
impl Analyzer for NotWired {
    fn name(&self) -> &str {
        "none"
    }

    async fn extract(&self, _transcript: &Transcript) -> Result<EvidenceDoc, ProviderError> {
        Err(self.error())
    }

    async fn analyze(&self, _transcript: &Transcript, _evidence: &EvidenceDoc) -> Result<AnalysisDoc, ProviderError> {
        Err(self.error())
    }
}

impl MediaProbe for NotWired {
    fn probe(&self, _input: ProbeInput<'_>, format: MediaFormat) -> Result<MediaInfo, MediaError> {
        Err(MediaError::Unreadable {
            format,
            detail: self.message.clone(),
        })
    }
}
