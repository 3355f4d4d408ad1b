//! The local analyzer: evidence and analysis with no model service, for the embedded default
//! and as a fallback. Deterministic: the same transcript gives byte-identical documents.

use super::{extract, report, shared_embedder, AnalysisDoc, Embedder, EvidenceDoc};
use crate::error::ProviderError;
use crate::ports::Analyzer;
use crate::transcript::Transcript;
use async_trait::async_trait;

/// Finds evidence with cue lexicons (negation- and intensity-aware) and analyses it with
/// TF-IDF clustering and extractive summaries, so an interview gets useful results without
/// credentials, network or model weights.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalAnalyzer;

impl LocalAnalyzer {
    /// The name written into the documents and recorded as the step's worker; bump the
    /// number when a change to the lexicons or clustering changes results for the same input.
    pub const NAME: &'static str = "local-lexicon/3";
    /// The name when themes were grouped by sentence embeddings (the evidence is the same).
    pub const EMBEDDINGS_NAME: &'static str = "local-embeddings/2";

    /// A local analyzer (it holds no state; the lexicons are built once per process).
    pub fn new() -> Self {
        LocalAnalyzer
    }

    /// Extracts evidence synchronously (the trait method wraps this), for callers such as
    /// benchmarks and the CLI that have no async runtime at hand.
    pub fn extract_evidence(&self, transcript: &Transcript) -> EvidenceDoc {
        extract::extract(transcript, Self::NAME)
    }

    /// Analyses evidence synchronously (the trait method wraps this). Works on evidence from
    /// any analyzer: it reads quotes, kinds, speakers and tags only. Uses the process's
    /// embedding model when there is one ([`shared_embedder`]).
    pub fn analyze_evidence(&self, transcript: &Transcript, evidence: &EvidenceDoc) -> AnalysisDoc {
        self.analyze_with(transcript, evidence, shared_embedder())
    }

    /// Like [`LocalAnalyzer::analyze_evidence`] with an explicit embedder (`None`: TF-IDF), for
    /// tests and benchmarks that compare the two.
    pub fn analyze_with(
        &self,
        transcript: &Transcript,
        evidence: &EvidenceDoc,
        embedder: Option<&dyn Embedder>,
    ) -> AnalysisDoc {
        report::analyze(transcript, evidence, embedder)
    }
}

#[async_trait]
impl Analyzer for LocalAnalyzer {
    fn name(&self) -> &str {
        if shared_embedder().is_some() {
            Self::EMBEDDINGS_NAME
        } else {
            Self::NAME
        }
    }

    async fn extract(&self, transcript: &Transcript) -> Result<EvidenceDoc, ProviderError> {
        Ok(self.extract_evidence(transcript))
    }

    async fn analyze(&self, transcript: &Transcript, evidence: &EvidenceDoc) -> Result<AnalysisDoc, ProviderError> {
        Ok(self.analyze_evidence(transcript, evidence))
    }
}
