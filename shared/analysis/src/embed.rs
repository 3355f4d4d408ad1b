//! Sentence embeddings for grouping evidence by meaning: the [`Embedder`] port, the process-wide
//! model handle, and dense-vector helpers.
//!
//! Lexical clustering only links quotes that share words, so "I retype the rota every Sunday"
//! and "copying shifts from the spreadsheet eats my weekend" never meet. An embedding model puts
//! them close together. The model is optional (cargo feature `embeddings` plus the weights from
//! `scripts/setup-embeddings.sh`); without it the analyzers keep their TF-IDF clustering and say
//! so in the documents' `analyzer` field.

use super::embed_memo::MemoEmbedder;
use std::path::PathBuf;

/// Where the model directory is looked for when `EMBEDDINGS_MODEL_DIR` is not set, under the
/// data directory (`INTERVIEWS_DATA_DIR`, default `.data`).
pub const DEFAULT_MODEL_SUBDIR: &str = "models/all-minilm-l6-v2";

/// Turns sentences into unit-length vectors whose dot product measures closeness in meaning.
pub trait Embedder: Send + Sync {
    /// Names the model in documents and logs, e.g. `all-minilm-l6-v2`.
    fn model(&self) -> &str;

    /// One unit-length vector per text, in order. All vectors have the same length.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// Why sentences could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model file is absent: run `scripts/setup-embeddings.sh` (retrying will not help).
    #[error("embedding model file {path} is missing; run scripts/setup-embeddings.sh")]
    ModelMissing {
        /// The file that was looked for.
        path: PathBuf,
    },
    /// The model files exist but could not be loaded (corrupt or wrong model; not retryable).
    #[error("embedding model in {dir} could not be loaded: {reason}")]
    Load {
        /// The model directory.
        dir: PathBuf,
        /// What the loader reported (file and tensor names, never text).
        reason: String,
    },
    /// The forward pass failed (an internal error; retrying the same input will not help).
    #[error("embedding inference failed: {0}")]
    Inference(String),
    /// The binary was built without the `embeddings` feature.
    #[error("this build has no embedding support (cargo feature `embeddings`)")]
    NotBuilt,
}

/// The model directory: `EMBEDDINGS_MODEL_DIR`, else `<INTERVIEWS_DATA_DIR or .data>/models/all-minilm-l6-v2`.
pub fn model_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("EMBEDDINGS_MODEL_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let data = std::env::var_os("INTERVIEWS_DATA_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".data"));
    data.join(DEFAULT_MODEL_SUBDIR)
}

/// Loads the model from [`model_dir`] (no caching: see [`shared_embedder`] for the one handle a
/// process should use).
pub fn load_embedder() -> Result<Box<dyn Embedder>, EmbedError> {
    load_embedder_from(&model_dir())
}

/// Loads the model from a given directory (tests and benchmarks that must not depend on the
/// working directory).
pub fn load_embedder_from(dir: &std::path::Path) -> Result<Box<dyn Embedder>, EmbedError> {
    #[cfg(feature = "embeddings")]
    {
        Ok(Box::new(super::minilm::MiniLm::load(dir)?))
    }
    #[cfg(not(feature = "embeddings"))]
    {
        let _ = dir;
        Err(EmbedError::NotBuilt)
    }
}

/// The process's embedder, loaded on first use (about 0.2 s and 90 MB of weights, so once per
/// process, never per interview), remembering the vectors it made (see [`MemoEmbedder`]).
/// `None` when the feature is off or the model cannot be loaded; the reason is logged once and
/// the analyzers fall back to TF-IDF.
pub fn shared_embedder() -> Option<&'static dyn Embedder> {
    use std::sync::OnceLock;
    static SHARED: OnceLock<Option<MemoEmbedder>> = OnceLock::new();
    SHARED
        .get_or_init(|| match load_embedder() {
            Ok(embedder) => Some(MemoEmbedder::new(embedder)),
            Err(EmbedError::NotBuilt) => None,
            Err(err) => {
                tracing::warn!(error = %err, "themes fall back to TF-IDF clustering");
                None
            }
        })
        .as_ref()
        .map(|memo| memo as &dyn Embedder)
}

/// Dot product of two vectors of equal length (cosine similarity for unit vectors).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
