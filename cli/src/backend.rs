//! The CLI is the whole application on one machine, so it builds every adapter and provider:
//! on the embedded backend the local stores and the in-process runner, on AWS the SDK adapters.

use anyhow::{bail, Result};
use interview_analysis::{analyzer_for, project_synthesizer_for};
use interview_core::config::{Backend, Settings};
use interview_core::services::{Services, ServicesBuilder};
use interview_core::SystemClock;
use interview_embedded::local::LocalOrchestrator;
use interview_embedded::Embedded;
use interview_handlers::Pipeline;
use interview_reports::{ChangeNotifyingStore, Coalescer, CoalescerSettings};
use interview_speech::{transcriber_for, SymphoniaProbe};
use std::sync::Arc;

/// The worker name the CLI records in step timelines.
pub const WORKER: &str = "local";

/// The pipeline on the configured backend; the local orchestrator too when embedded, so
/// commands can wait for the runs they start.
pub async fn pipeline(settings: Settings) -> Result<(Pipeline, Option<Arc<LocalOrchestrator>>)> {
    match &settings.backend {
        Backend::Embedded { .. } => {
            let (pipeline, local) = embedded(settings)?;
            Ok((pipeline, Some(local)))
        }
        Backend::Aws { .. } => {
            let aws = interview_aws::Aws::connect(&settings).await?;
            let builder = Services::builder(settings, "cli", aws.store.clone(), aws.blobs.clone());
            let services = with_providers(builder, Some(&aws.sdk)).build();
            Ok((Pipeline::new(services, aws.orchestrator()), None))
        }
    }
}

/// The embedded pipeline, for `process` and `watch`, which only run on this machine.
pub fn embedded(settings: Settings) -> Result<(Pipeline, Arc<LocalOrchestrator>)> {
    if !matches!(settings.backend, Backend::Embedded { .. }) {
        bail!("`process` and `watch` run the embedded pipeline; with INTERVIEWS_BACKEND=aws upload to the bucket's uploads/ folder instead (e.g. `aws s3 cp FILE s3://BUCKET/uploads/PROJECT/`)");
    }
    let local = Embedded::open(&settings)?;
    let builder = Services::builder(settings, WORKER, local.store.clone(), local.blobs.clone());
    let services = with_providers(builder, None).build();
    Ok(local.pipeline(services, Arc::new(SystemClock))?)
}

/// The embedded pipeline with its project reports kept current in this process (`serve` and
/// `watch`): the store tells the returned coalescer which projects' ready interviews changed.
/// Call [`Coalescer::finish`] after the pipeline is dropped to rebuild what is still pending.
pub fn embedded_with_reports(settings: Settings) -> Result<(Pipeline, Arc<LocalOrchestrator>, Coalescer)> {
    if !matches!(settings.backend, Backend::Embedded { .. }) {
        bail!("reports are rebuilt in-process on the embedded backend only; on AWS the `report` function does it");
    }
    let local = Embedded::open(&settings)?;
    let readers = Services::builder(settings.clone(), WORKER, local.store.clone(), local.blobs.clone()).build();
    let coalescer = Coalescer::spawn(
        readers,
        project_synthesizer_for(&settings),
        CoalescerSettings::default(),
    );
    let notifier = coalescer.notifier();
    let builder = Services::builder(settings, WORKER, local.store.clone(), local.blobs.clone())
        .wrap_store(|store| Arc::new(ChangeNotifyingStore::new(store, notifier)));
    let services = with_providers(builder, None).build();
    let (pipeline, orchestrator) = local.pipeline(services, Arc::new(SystemClock))?;
    Ok((pipeline, orchestrator, coalescer))
}

/// Adds the speech engine, the analyzer and the media prober the settings ask for.
fn with_providers(builder: ServicesBuilder, sdk: Option<&aws_config::SdkConfig>) -> ServicesBuilder {
    let settings = builder.current_settings().clone();
    let transcriber = transcriber_for(&settings, builder.blobs(), sdk);
    builder
        .transcriber(transcriber)
        .analyzer(analyzer_for(&settings))
        .media(Arc::new(SymphoniaProbe))
}
