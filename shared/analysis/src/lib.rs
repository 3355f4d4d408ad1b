//! Evidence extraction and analysis: the result schemas, their validation, and the analyzers.
//!
//! [`LocalAnalyzer`] is the deterministic analyzer of the embedded default: cue lexicons find
//! evidence, TF-IDF clustering finds themes, and everything it writes is extractive (quotes
//! are verbatim slices of transcript segments), so it passes [`validate_evidence`] and
//! [`validate_analysis`] by construction. [`BedrockAnalyzer`] asks a model on Amazon Bedrock
//! for the same documents (structured tool output, chunked for long transcripts) and checks
//! every answer the same way. [`render_analysis`] turns the documents into a report for people.
//!
//! With an [`Embedder`] (cargo feature `embeddings` and the model from
//! `scripts/setup-embeddings.sh`), themes group quotes by meaning instead of shared words.
//! [`build_project_report`] finds what recurs across a project's interviews from their evidence;
//! [`BedrockAnalyzer::synthesise_project`] asks a model to group it instead ([`ProjectSynthesizer`]).

pub mod bedrock;
pub mod chunk;
mod cues;
mod embed;
mod embed_memo;
mod extract;
mod lexicon;
mod local;
#[cfg(feature = "embeddings")]
mod minilm;
mod project;
mod project_check;
mod project_personas;
mod project_render;
mod prompt_text;
mod render;
mod report;
#[doc(hidden)]
pub mod scoring;
mod semantic;
mod synthesize;
mod text;
mod themes;

pub use bedrock::{BedrockAnalyzer, BedrockOptions};
pub use embed::{
    load_embedder, load_embedder_from, model_dir, shared_embedder, EmbedError, Embedder, DEFAULT_MODEL_SUBDIR,
};
pub use embed_memo::{MemoEmbedder, MAX_REMEMBERED};
pub use interview_core::analysis::*;
pub use local::LocalAnalyzer;
pub use project::*;
pub use project_render::{render_project_html, render_project_json, render_project_markdown};
pub use render::render_analysis;
pub use synthesize::{project_synthesizer_for, LocalSynthesizer, ProjectSynthesizer};

use interview_core::config::{AnalyzerChoice, Settings};
use interview_core::ports::Analyzer;
use interview_core::{config, error, ports};
use interview_transcript as transcript;
use std::sync::Arc;

/// The analyzer the settings ask for.
pub fn analyzer_for(settings: &Settings) -> Arc<dyn Analyzer> {
    match settings.analyzer {
        AnalyzerChoice::Local => Arc::new(LocalAnalyzer),
        AnalyzerChoice::Bedrock => Arc::new(BedrockAnalyzer::new(BedrockOptions::from_settings(settings))),
    }
}

#[cfg(test)]
mod tests;
