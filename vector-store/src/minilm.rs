//! [`MiniLmEmbedder`]: sentence-transformers `all-MiniLM-L6-v2` (BERT, 384 dimensions) on
//! the CPU through candle, producing the same vectors as sentence-transformers.
//!
//! The sentence-transformers pipeline is reproduced step by step: WordPiece tokens with
//! `[CLS]`/`[SEP]`, truncation at `max_seq_length` (256, from `sentence_bert_config.json`
//! when present, never past the model's 512 positions), the BERT encoder, mean pooling of
//! the token states weighted by the attention mask, and L2 normalisation.
//!
//! Throughput comes from not computing on padding: inputs are tokenized once, sorted by
//! token count, cut into batches of [`MiniLmEmbedder::batch_size`] similar lengths, and each
//! batch is padded only to its own longest member (batch-longest padding; the fixed
//! 128-token padding that the shipped `tokenizer.json` asks for is switched off). Results
//! are put back in input order. Matrix products use every core (candle's gemm over
//! rayon; `RAYON_NUM_THREADS` caps it).
//!
//! ```no_run
//! use braid_vector::{Embedder, MiniLmEmbedder};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let model = MiniLmEmbedder::from_dir("models/all-MiniLM-L6-v2")?;
//! let v = model.embed_texts(&["A koala eats eucalyptus.", "Paris is in France."])?;
//! assert_eq!((v.len(), v[0].len()), (2, 384));
//! # Ok(()) }
//! ```

use std::path::Path;

use candle_core::{DType, Device};
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use tokenizers::Encoding;

use crate::embed::{Embedder, reject_blank};
use crate::error::EmbedError;
use crate::local_model::{ModelTokenizer, candle_error, mmap_weights, unit_rows};
use crate::model_files::{ModelDir, fingerprint, hub_snapshot};

/// The hub repository of the default sentence-transformers model.
pub const MINILM_HUB_REPO: &str = "sentence-transformers/all-MiniLM-L6-v2";

/// Batch size of the length-sorted batches; 32 is sentence-transformers' default too.
pub const DEFAULT_MINILM_BATCH: usize = 32;

/// sentence-transformers' `max_seq_length` for all-MiniLM-L6-v2.
const DEFAULT_MAX_TOKENS: usize = 256;

const REQUIRED_FILES: [&str; 3] = ["config.json", "model.safetensors", "tokenizer.json"];

/// A BERT sentence embedder with mean pooling (see the module docs).
pub struct MiniLmEmbedder {
    model: BertModel,
    tokenizer: ModelTokenizer,
    device: Device,
    dimension: usize,
    batch_size: usize,
    name: String,
    /// The files that define the model, hashed on first use by [`Embedder::fingerprint`].
    files: Vec<std::path::PathBuf>,
    fingerprint: std::sync::OnceLock<Option<String>>,
}

impl std::fmt::Debug for MiniLmEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniLmEmbedder")
            .field("name", &self.name)
            .field("max_tokens", &self.max_tokens())
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl MiniLmEmbedder {
    /// Loads a sentence-transformers BERT model from a folder holding `config.json`,
    /// `model.safetensors` (memory-mapped) and `tokenizer.json`; `sentence_bert_config.json`
    /// is read for `max_seq_length` when present.
    pub fn from_dir(path: impl AsRef<Path>) -> Result<Self, EmbedError> {
        Self::load(ModelDir::open(path.as_ref(), &REQUIRED_FILES)?)
    }

    /// Loads `repo` (e.g. [`MINILM_HUB_REPO`]) from the local Hugging Face hub cache
    /// (`HF_HUB_CACHE`, `HF_HOME/hub` or `~/.cache/huggingface/hub`); never downloads.
    pub fn from_hub_cache(repo: &str) -> Result<Self, EmbedError> {
        Self::load(hub_snapshot(repo, &REQUIRED_FILES)?)
    }

    fn load(dir: ModelDir) -> Result<Self, EmbedError> {
        let config: BertConfig = dir.config("config.json", "a BERT config")?;
        let st_max = dir
            .optional_json("sentence_bert_config.json")?
            .and_then(|v| v.get("max_seq_length").and_then(|m| m.as_u64()))
            .map_or(DEFAULT_MAX_TOKENS, |m| m as usize);
        let max_tokens = st_max.clamp(2, config.max_position_embeddings);
        let config_pad_id = config.pad_token_id as u32;
        let tokenizer = ModelTokenizer::load(&dir, max_tokens, |t| t.token_to_id("[PAD]").unwrap_or(config_pad_id))?;

        let device = Device::Cpu;
        let vb = mmap_weights(&dir, &device)?;
        let model = BertModel::load(vb, &config).map_err(candle_error("loading the BERT weights"))?;
        let dimension = config.hidden_size;
        Ok(MiniLmEmbedder {
            model,
            tokenizer,
            device,
            dimension,
            batch_size: DEFAULT_MINILM_BATCH,
            name: format!("minilm-{dimension}"),
            files: REQUIRED_FILES.iter().map(|f| dir.file(f)).collect(),
            fingerprint: std::sync::OnceLock::new(),
        })
    }

    /// Sets how many texts run through the model together (at least 1).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// How many texts run through the model together.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The truncation length in tokens, `[CLS]` and `[SEP]` included.
    pub fn max_tokens(&self) -> usize {
        self.tokenizer.max_tokens()
    }

    /// Runs one batch of tokenized texts (similar lengths) and returns pooled unit vectors.
    fn embed_batch(&self, batch: &[&Encoding]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let tokens = self.tokenizer.pad(batch);
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let ids = tokens.ids(&self.device)?;
            let mask = tokens.mask(&self.device)?;
            let type_ids = ids.zeros_like()?;
            let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?; // (rows, width, dim)
            let weights = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (rows, width, 1)
            let summed = hidden.broadcast_mul(&weights)?.sum(1)?; // (rows, dim)
            let counts = weights.sum(1)?.clamp(1e-9f32, f32::MAX)?; // (rows, 1)
            let mean = summed.broadcast_div(&counts)?;
            unit_rows(&mean)
        };
        run().map_err(candle_error("running MiniLM"))
    }
}

impl Embedder for MiniLmEmbedder {
    fn name(&self) -> &str {
        &self.name
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn fingerprint(&self) -> Option<String> {
        self.fingerprint.get_or_init(|| fingerprint(&self.files, &format!("max_tokens={}", self.max_tokens()))).clone()
    }

    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        reject_blank(texts)?;
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self.tokenizer.encode(texts)?;
        // Longest first, so the slowest batch runs while nothing else is waiting on it
        // and every batch pads to a length close to each of its members.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encodings[i].get_ids().len()));
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(self.batch_size) {
            let batch: Vec<&Encoding> = chunk.iter().map(|&i| &encodings[i]).collect();
            for (&i, v) in chunk.iter().zip(self.embed_batch(&batch)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}
