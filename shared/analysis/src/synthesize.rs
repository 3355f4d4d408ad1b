//! Who builds a project report: the [`ProjectSynthesizer`] port, so the code that keeps reports
//! current does not care whether themes come from local clustering or from a model.

use super::embed::Embedder;
use super::project::{build_project_report, InterviewEvidence, ProjectReport};
use super::{BedrockAnalyzer, BedrockOptions};
use async_trait::async_trait;
use interview_core::config::{AnalyzerChoice, Settings};
use interview_core::error::ProviderError;
use std::sync::Arc;

/// Builds a project report from the interviews' evidence.
#[async_trait]
pub trait ProjectSynthesizer: Send + Sync {
    /// Names the synthesiser in logs (the report's `analyzer` says which clustering ran).
    fn name(&self) -> &str;

    /// The report for these interviews. It must pass `validate_project_report` against them.
    async fn synthesise(&self, interviews: &[InterviewEvidence]) -> Result<ProjectReport, ProviderError>;
}

/// The local synthesiser: [`build_project_report`] with the process's embedder, if any.
#[derive(Clone, Copy, Default)]
pub struct LocalSynthesizer {
    embedder: Option<&'static dyn Embedder>,
}

impl std::fmt::Debug for LocalSynthesizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSynthesizer")
            .field("embedder", &self.embedder.map(|e| e.model()))
            .finish()
    }
}

impl LocalSynthesizer {
    /// Themes by meaning with `embedder`, by TF-IDF without one.
    pub fn new(embedder: Option<&'static dyn Embedder>) -> Self {
        Self { embedder }
    }
}

#[async_trait]
impl ProjectSynthesizer for LocalSynthesizer {
    fn name(&self) -> &str {
        "local"
    }

    async fn synthesise(&self, interviews: &[InterviewEvidence]) -> Result<ProjectReport, ProviderError> {
        // Clustering (and embedding) is CPU work of seconds for large projects: off the async
        // workers, so the API and the pipeline keep answering. The evidence is copied for it.
        let interviews = interviews.to_vec();
        let embedder = self.embedder;
        tokio::task::spawn_blocking(move || build_project_report(&interviews, embedder))
            .await
            .map_err(|e| ProviderError::Permanent {
                provider: "local".into(),
                message: format!("the project report build stopped: {e}"),
            })
    }
}

#[async_trait]
impl ProjectSynthesizer for BedrockAnalyzer {
    fn name(&self) -> &str {
        BedrockAnalyzer::PROJECT_REVISION
    }

    async fn synthesise(&self, interviews: &[InterviewEvidence]) -> Result<ProjectReport, ProviderError> {
        self.synthesise_project(interviews).await
    }
}

/// The synthesiser the settings ask for (`ANALYZER`, like [`super::analyzer_for`]); the local
/// one uses the process's shared embedder when it is built in and installed.
pub fn project_synthesizer_for(settings: &Settings) -> Arc<dyn ProjectSynthesizer> {
    match settings.analyzer {
        AnalyzerChoice::Local => Arc::new(LocalSynthesizer::new(super::shared_embedder())),
        AnalyzerChoice::Bedrock => Arc::new(BedrockAnalyzer::new(BedrockOptions::from_settings(settings))),
    }
}
