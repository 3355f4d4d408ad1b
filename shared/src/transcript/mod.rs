//! Transcripts: the canonical model and the input formats parsed into it.

mod model;

pub use model::*;
