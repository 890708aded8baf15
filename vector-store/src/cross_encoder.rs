//! [`CrossEncoderReranker`]: a BERT cross-encoder (sentence-transformers `CrossEncoder`,
//! e.g. `cross-encoder/ms-marco-MiniLM-L-6-v2`) on the CPU through candle, as a
//! [`Reranker`].
//!
//! Each (query, text) pair is one input, `[CLS] query [SEP] text [SEP]` with segment ids 0
//! and 1, truncated at the model's positions; the score is the classifier's logit over the
//! pooled `[CLS]` state (`tanh(dense(h_cls))`), as Hugging Face's
//! `BertForSequenceClassification` computes it. The folder holds `config.json`,
//! `model.safetensors` (memory-mapped; tensors under `bert.*`, `bert.pooler.dense` and
//! `classifier`) and `tokenizer.json`.

use std::path::Path;

use candle_core::{Device, IndexOp, Module};
use candle_nn::Linear;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};

use crate::error::EmbedError;
use crate::local_model::{ModelTokenizer, candle_error, mmap_weights};
use crate::model_files::ModelDir;
use crate::rerank::Reranker;

const REQUIRED_FILES: [&str; 3] = ["config.json", "model.safetensors", "tokenizer.json"];
/// Pairs scored in one forward pass.
const BATCH: usize = 16;

/// A BERT cross-encoder reranker (see the module docs).
pub struct CrossEncoderReranker {
    model: BertModel,
    pooler: Linear,
    classifier: Linear,
    tokenizer: ModelTokenizer,
    device: Device,
    name: String,
}

impl std::fmt::Debug for CrossEncoderReranker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrossEncoderReranker").field("name", &self.name).finish_non_exhaustive()
    }
}

impl CrossEncoderReranker {
    /// Loads a cross-encoder from a folder (see the module docs).
    pub fn from_dir(path: impl AsRef<Path>) -> Result<Self, EmbedError> {
        let dir = ModelDir::open(path.as_ref(), &REQUIRED_FILES)?;
        let mut config: BertConfig = dir.config("config.json", "a BERT config")?;
        // Checkpoints name their tensors `bert.*`; the loader looks there by model type.
        config.model_type.get_or_insert_with(|| "bert".into());
        let tokenizer = ModelTokenizer::load(&dir, config.max_position_embeddings, |t| {
            t.token_to_id("[PAD]").unwrap_or(config.pad_token_id as u32)
        })?;
        let device = Device::Cpu;
        let vb = mmap_weights(&dir, &device)?;
        let model = BertModel::load(vb.clone(), &config).map_err(candle_error("loading the BERT weights"))?;
        let hidden = config.hidden_size;
        let pooler = candle_nn::linear(hidden, hidden, vb.pp("bert.pooler.dense"))
            .map_err(candle_error("loading the pooler (bert.pooler.dense)"))?;
        let classifier =
            candle_nn::linear(hidden, 1, vb.pp("classifier")).map_err(candle_error("loading the classifier"))?;
        let name = path
            .as_ref()
            .file_name()
            .map_or_else(|| "cross-encoder".to_string(), |n| format!("cross-encoder-{}", n.to_string_lossy()));
        Ok(CrossEncoderReranker { model, pooler, classifier, tokenizer, device, name })
    }

    fn score_batch(&self, query: &str, texts: &[&str]) -> Result<Vec<f32>, EmbedError> {
        let encodings = self.tokenizer.encode_pairs(query, texts)?;
        let tokens = self.tokenizer.pad(&encodings);
        let run = || -> candle_core::Result<Vec<f32>> {
            let ids = tokens.ids(&self.device)?;
            let type_ids = tokens.type_ids(&self.device)?;
            let mask = tokens.mask(&self.device)?;
            let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?; // (rows, width, dim)
            let cls = hidden.i((.., 0))?; // (rows, dim)
            let pooled = self.pooler.forward(&cls)?.tanh()?;
            self.classifier.forward(&pooled)?.squeeze(1)?.to_vec1::<f32>()
        };
        run().map_err(candle_error("running the cross-encoder"))
    }
}

impl Reranker for CrossEncoderReranker {
    fn name(&self) -> &str {
        &self.name
    }

    fn rerank(&self, query: &str, documents: &[&str]) -> Result<Vec<f32>, EmbedError> {
        if query.trim().is_empty() {
            return Err(EmbedError::Empty { index: 0 });
        }
        let mut scores = Vec::with_capacity(documents.len());
        for chunk in documents.chunks(BATCH) {
            scores.extend(self.score_batch(query, chunk)?);
        }
        Ok(scores)
    }
}
