//! The set of adapters a handler works with, built once per process (at Lambda init, or once
//! by the CLI) and shared by every invocation.

use crate::analysis::{BedrockAnalyzer, BedrockOptions, LocalAnalyzer};
use crate::asl::{Clock, SystemClock};
use crate::blobs::fs::FsBlobStore;
use crate::config::{AnalyzerChoice, Backend, LocalExecutions, Settings, TranscriberChoice};
use crate::orchestrator::local::{LocalOrchestrator, STATE_MACHINE_ASL};
use crate::ports::{Analyzer, BlobStore, ItemStore, Orchestrator, Transcriber};
use crate::store::sqlite::SqliteStore;
use crate::transcriber::Unavailable;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The adapters and settings every handler receives.
pub struct Services {
    /// The interview table.
    pub store: Arc<dyn ItemStore>,
    /// The bucket.
    pub blobs: Arc<dyn BlobStore>,
    /// Starts and stops executions.
    pub orchestrator: Arc<dyn Orchestrator>,
    /// Speech to text.
    pub transcriber: Arc<dyn Transcriber>,
    /// Evidence and analysis.
    pub analyzer: Arc<dyn Analyzer>,
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

    /// Builds the adapters the settings ask for.
    pub async fn from_settings(settings: Settings, worker: &str) -> Result<Arc<Services>, BuildError> {
        match &settings.backend {
            Backend::Embedded { .. } => Self::embedded(settings, Arc::new(SystemClock), worker).map(|(s, _)| s),
            Backend::Aws { .. } => crate::services::aws::build(settings, worker).await,
        }
    }

    /// The embedded backend: SQLite and files under the data dir, and the in-process runner
    /// executing `infra/statemachine.asl.json`. Returns the local orchestrator too, so callers
    /// can wait for executions to finish.
    pub fn embedded(
        settings: Settings,
        clock: Arc<dyn Clock>,
        worker: &str,
    ) -> Result<(Arc<Services>, Arc<LocalOrchestrator>), BuildError> {
        let Backend::Embedded { data_dir } = &settings.backend else {
            return Err(BuildError(
                "the embedded backend needs INTERVIEWS_BACKEND=embedded".into(),
            ));
        };
        let store = SqliteStore::open(&data_dir.join("items.sqlite")).map_err(|e| BuildError(e.to_string()))?;
        let blobs: Arc<dyn BlobStore> =
            Arc::new(FsBlobStore::new(&data_dir.join("blobs"), "local").map_err(|e| BuildError(e.to_string()))?);
        let orchestrator = Arc::new(
            LocalOrchestrator::with_definition(STATE_MACHINE_ASL, clock.clone(), settings.local_concurrency)
                .map_err(|e| BuildError(e.to_string()))?,
        );
        orchestrator.set_manual(settings.local_executions == LocalExecutions::Manual);
        let services = Arc::new(Services {
            store: Arc::new(store),
            blobs: blobs.clone(),
            orchestrator: orchestrator.clone(),
            transcriber: transcriber_for(&settings, blobs.clone(), None),
            analyzer: analyzer_for(&settings),
            settings,
            clock,
            worker: worker.to_string(),
        });
        orchestrator.attach(&services);
        Ok((services, orchestrator))
    }
}

/// The speech engine the settings ask for, or one that explains what is missing.
///
/// `blobs` is the bucket recordings are read from (and Amazon Transcribe writes its output to);
/// `aws` is the SDK configuration on the AWS backend (Amazon Transcribe needs it).
pub fn transcriber_for(
    settings: &Settings,
    blobs: Arc<dyn BlobStore>,
    aws: Option<&aws_config::SdkConfig>,
) -> Arc<dyn Transcriber> {
    match settings.transcriber {
        TranscriberChoice::None => Arc::new(Unavailable::new(
            "none",
            "no speech engine is configured for recordings (TRANSCRIBER=none). Upload a transcript instead \
             (.vtt, .srt, .txt with `Speaker: text` lines, or Amazon Transcribe .json), or enable a speech engine \
             (see the README, section Recordings) and run `interviews retry <id>`",
        )),
        TranscriberChoice::AmazonTranscribe => match aws {
            Some(sdk) => Arc::new(crate::transcriber::amazon::AmazonTranscriber::new(
                aws_sdk_transcribe::Client::new(sdk),
                blobs,
                crate::transcriber::amazon::TranscribeOptions {
                    language: settings.transcribe_language.clone(),
                    max_speakers: settings.transcribe_max_speakers,
                },
            )),
            None => Arc::new(Unavailable::new(
                crate::transcriber::amazon::NAME,
                "Amazon Transcribe reads recordings from S3, so it needs the AWS backend (INTERVIEWS_BACKEND=aws). \
                 On the embedded backend use TRANSCRIBER=whisper (build with `--features whisper` and run \
                 `scripts/setup-whisper.sh`), or upload a transcript",
            )),
        },
        TranscriberChoice::Whisper => whisper_for(settings, blobs),
    }
}

#[cfg(feature = "whisper")]
fn whisper_for(settings: &Settings, blobs: Arc<dyn BlobStore>) -> Arc<dyn Transcriber> {
    Arc::new(crate::transcriber::whisper::WhisperTranscriber::from_settings(
        settings, blobs,
    ))
}

#[cfg(not(feature = "whisper"))]
fn whisper_for(_settings: &Settings, _blobs: Arc<dyn BlobStore>) -> Arc<dyn Transcriber> {
    Arc::new(Unavailable::new(
        "whisper",
        "this build has no offline Whisper engine: build with `cargo build --features whisper` (see the README, \
         section Recordings) and run `scripts/setup-whisper.sh`, or upload a transcript instead",
    ))
}

/// The analyzer the settings ask for.
pub fn analyzer_for(settings: &Settings) -> Arc<dyn Analyzer> {
    match settings.analyzer {
        AnalyzerChoice::Local => Arc::new(LocalAnalyzer),
        AnalyzerChoice::Bedrock => Arc::new(BedrockAnalyzer::new(BedrockOptions::from_settings(settings))),
    }
}

mod aws {
    use super::{analyzer_for, transcriber_for, BuildError, Services};
    use crate::asl::SystemClock;
    use crate::config::{Backend, Settings};
    use std::sync::Arc;

    pub(super) async fn build(settings: Settings, worker: &str) -> Result<Arc<Services>, BuildError> {
        let Backend::Aws {
            table,
            bucket,
            state_machine_arn,
        } = &settings.backend
        else {
            return Err(BuildError("the AWS backend needs INTERVIEWS_BACKEND=aws".into()));
        };
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let s3_config = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(std::env::var_os("AWS_ENDPOINT_URL").is_some())
            .build();
        let store = crate::store::dynamodb::DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table.clone());
        let blobs: Arc<dyn crate::ports::BlobStore> = Arc::new(crate::blobs::s3::S3BlobStore::new(
            aws_sdk_s3::Client::from_conf(s3_config),
            bucket.clone(),
        ));
        let orchestrator = crate::orchestrator::stepfunctions::StepFunctionsOrchestrator::new(
            aws_sdk_sfn::Client::new(&sdk),
            state_machine_arn.clone().unwrap_or_default(),
        );
        Ok(Arc::new(Services {
            store: Arc::new(store),
            blobs: blobs.clone(),
            orchestrator: Arc::new(orchestrator),
            transcriber: transcriber_for(&settings, blobs, Some(&sdk)),
            analyzer: analyzer_for(&settings),
            settings,
            clock: Arc::new(SystemClock),
            worker: worker.to_string(),
        }))
    }
}
