//! What every Lambda function's `main` does before its handler runs: logging, settings, and the
//! stores of the configured backend, each built once per container. Each `main` then adds only
//! the providers its step runs and hands every event to its typed handler.
#![warn(missing_docs)]

use interview_core::config::{Backend, Settings};
use interview_core::ports::{BlobStore, ItemStore, Orchestrator};
use interview_core::services::BuildError;
use interview_core::uploads::Uploads;
use interview_handlers::{Deadline, Function};
use std::sync::Arc;

/// Starts logging and reads the settings; `function` is named in every error.
pub fn init(function: Function) -> Result<Settings, lambda_runtime::Error> {
    interview_core::telemetry::init();
    let settings = Settings::from_env().map_err(|e| format!("{function}: configuration error: {e}"))?;
    Ok(settings)
}

/// The invocation's deadline, from the Lambda context.
pub fn deadline(context: &lambda_runtime::Context) -> Deadline {
    Deadline::from_epoch_millis(context.deadline)
}

/// The store and the bucket of the configured backend, and what providers need to reach AWS.
pub struct Stores {
    /// The interview table.
    pub store: Arc<dyn ItemStore>,
    /// The bucket.
    pub blobs: Arc<dyn BlobStore>,
    /// The SDK configuration on AWS (`None` on the embedded backend).
    pub sdk: Option<aws_config::SdkConfig>,
    /// Presigned uploads into the bucket (the `api` function); `None` on the embedded backend,
    /// where `interviews serve` issues upload URLs of its own.
    pub uploads: Option<Arc<dyn Uploads>>,
    orchestrator: Arc<dyn Orchestrator>,
}

impl Stores {
    /// The orchestrator (ingest and the sweeper start and stop runs). On the embedded backend it
    /// records executions for a person to drive task by task with `cargo lambda invoke`.
    pub fn orchestrator(&self) -> Arc<dyn Orchestrator> {
        self.orchestrator.clone()
    }
}

/// Connects to the configured backend.
pub async fn connect(settings: &Settings) -> Result<Stores, BuildError> {
    match &settings.backend {
        Backend::Aws { .. } => {
            let aws = interview_aws::Aws::connect(settings).await?;
            Ok(Stores {
                orchestrator: aws.orchestrator(),
                uploads: Some(aws.uploads()),
                store: aws.store.clone(),
                blobs: aws.blobs.clone(),
                sdk: Some(aws.sdk),
            })
        }
        Backend::Embedded { .. } => embedded(settings),
    }
}

#[cfg(feature = "embedded")]
fn embedded(settings: &Settings) -> Result<Stores, BuildError> {
    let local = interview_embedded::Embedded::open(settings)?;
    Ok(Stores {
        store: local.store,
        blobs: local.blobs,
        sdk: None,
        uploads: None,
        orchestrator: Arc::new(interview_embedded::local::LocalOrchestrator::recording_only()),
    })
}

#[cfg(not(feature = "embedded"))]
fn embedded(_settings: &Settings) -> Result<Stores, BuildError> {
    Err(BuildError(
        "this function was built for AWS only; set INTERVIEWS_BACKEND=aws, or build it with \
         `--features embedded` to run it against a local data dir (see the README, `cargo lambda`)"
            .into(),
    ))
}
