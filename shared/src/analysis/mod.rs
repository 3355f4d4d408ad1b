//! Evidence extraction and analysis: the result schemas, their validation, and the analyzers.
//!
//! [`LocalAnalyzer`] is the deterministic analyzer of the embedded default: cue lexicons find
//! evidence, TF-IDF clustering finds themes, and everything it writes is extractive (quotes
//! are verbatim slices of transcript segments), so it passes [`validate_evidence`] and
//! [`validate_analysis`] by construction. [`BedrockAnalyzer`] asks a model on Amazon Bedrock
//! for the same documents (structured tool output, chunked for long transcripts) and checks
//! every answer the same way. [`render_analysis`] turns the documents into a report for people.

pub mod bedrock;
pub mod chunk;
mod extract;
#[doc(hidden)]
pub mod fixtures;
mod lexicon;
mod local;
mod model;
mod render;
mod report;
mod text;
mod themes;

pub use bedrock::{BedrockAnalyzer, BedrockOptions};
pub use local::LocalAnalyzer;
pub use model::*;
pub use render::render_analysis;

#[cfg(test)]
mod tests;
