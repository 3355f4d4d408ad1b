//! all-MiniLM-L6-v2 on candle: a 6-layer BERT whose mean-pooled output is a 384-dimension
//! sentence embedding. The weights (`model.safetensors`, F32, keys without the `bert.` prefix),
//! `tokenizer.json` and `config.json` come from `scripts/setup-embeddings.sh`.

use super::embed::{EmbedError, Embedder};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::Path;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

/// The model's name in documents.
const MODEL: &str = "all-minilm-l6-v2";
/// Tokens per text; longer quotes are cut (the model was trained on 128-token inputs, and the
/// cut bounds memory and time whatever a quote's length).
const MAX_TOKENS: usize = 128;
/// Texts per forward pass: large enough to use the matrix kernels well, small enough that one
/// batch of 128-token inputs stays around 100 MB of activations.
const BATCH: usize = 32;

/// The loaded model and tokenizer (immutable after load, so one handle serves every thread).
pub(crate) struct MiniLm {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

impl MiniLm {
    /// Loads the three model files from `dir`.
    pub(crate) fn load(dir: &Path) -> Result<MiniLm, EmbedError> {
        let file = |name: &str| {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(EmbedError::ModelMissing { path })
            }
        };
        let (weights, tokenizer_file, config_file) = (
            file("model.safetensors")?,
            file("tokenizer.json")?,
            file("config.json")?,
        );
        let load_err = |reason: String| EmbedError::Load {
            dir: dir.to_path_buf(),
            reason,
        };
        let config_text = std::fs::read_to_string(&config_file).map_err(|e| load_err(format!("config.json: {e}")))?;
        let config: Config = serde_json::from_str(&config_text).map_err(|e| load_err(format!("config.json: {e}")))?;
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_file).map_err(|e| load_err(format!("tokenizer.json: {e}")))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| load_err(format!("tokenizer truncation: {e}")))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        let device = Device::Cpu;
        // SAFETY: the file is memory-mapped read-only; it is not modified while the process
        // runs (the setup script replaces the directory atomically, never a file in place).
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[weights], DType::F32, &device) }
            .map_err(|e| load_err(format!("model.safetensors: {e}")))?;
        // The keys have no `bert.` prefix, so the root of the file is the model.
        let model = BertModel::load(vb, &config).map_err(|e| load_err(format!("model.safetensors: {e}")))?;
        Ok(MiniLm {
            model,
            tokenizer,
            device,
        })
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let fail = |what: &str, e: &dyn std::fmt::Display| EmbedError::Inference(format!("{what}: {e}"));
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| fail("tokenize", &e))?;
        let rows = encodings.len();
        let width = encodings.iter().map(|e| e.get_ids().len()).max().unwrap_or(0);
        if rows == 0 || width == 0 {
            return Ok(Vec::new());
        }
        let mut ids = Vec::with_capacity(rows * width);
        let mut mask = Vec::with_capacity(rows * width);
        for enc in &encodings {
            ids.extend(enc.get_ids().iter().copied());
            mask.extend(enc.get_attention_mask().iter().copied());
        }
        let tensor = |data: Vec<u32>| Tensor::from_vec(data, (rows, width), &self.device);
        let ids = tensor(ids).map_err(|e| fail("input", &e))?;
        let mask = tensor(mask).map_err(|e| fail("input", &e))?;
        let types = ids.zeros_like().map_err(|e| fail("input", &e))?;
        let hidden = self
            .model
            .forward(&ids, &types, Some(&mask))
            .map_err(|e| fail("forward", &e))?;
        // Mean pooling over the real tokens, then unit length.
        let pooled = (|| {
            let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
            let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
            let counts = mask.sum(1)?.clamp(1e-9f32, f32::MAX)?;
            let mean = summed.broadcast_div(&counts)?;
            let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12f32, f32::MAX)?;
            mean.broadcast_div(&norm)?.to_vec2::<f32>()
        })()
        .map_err(|e: candle_core::Error| fail("pooling", &e))?;
        Ok(pooled)
    }
}

impl Embedder for MiniLm {
    fn model(&self) -> &str {
        MODEL
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH) {
            out.extend(self.embed_batch(batch)?);
        }
        Ok(out)
    }
}
