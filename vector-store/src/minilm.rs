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

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig};
use tokenizers::Tokenizer;

use crate::embed::Embedder;
use crate::error::EmbedError;
use crate::model_files::{ModelDir, hub_snapshot};

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
    tokenizer: Tokenizer,
    device: Device,
    pad_id: u32,
    max_tokens: usize,
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
            .field("max_tokens", &self.max_tokens)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

fn backend(context: &str) -> impl Fn(candle_core::Error) -> EmbedError + '_ {
    move |e| EmbedError::Backend(format!("{context}: {e}"))
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
        let config_path = dir.file("config.json");
        let config: BertConfig = serde_json::from_value(crate::model_files::read_json(&config_path)?)
            .map_err(|e| EmbedError::Backend(format!("{} is not a BERT config: {e}", config_path.display())))?;

        let mut tokenizer = Tokenizer::from_file(dir.file("tokenizer.json"))
            .map_err(|e| EmbedError::Backend(format!("loading {}: {e}", dir.file("tokenizer.json").display())))?;
        let pad_id = tokenizer
            .get_padding()
            .map(|p| p.pad_id)
            .or_else(|| tokenizer.token_to_id("[PAD]"))
            .unwrap_or(config.pad_token_id as u32);
        let st_max = dir
            .optional_json("sentence_bert_config.json")?
            .and_then(|v| v.get("max_seq_length").and_then(|m| m.as_u64()))
            .map_or(DEFAULT_MAX_TOKENS, |m| m as usize);
        let max_tokens = st_max.clamp(2, config.max_position_embeddings);
        // Padding happens per length-sorted batch in `embed_batch`, never to a fixed length.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams { max_length: max_tokens, ..Default::default() }))
            .map_err(|e| EmbedError::Backend(format!("configuring truncation: {e}")))?;

        let device = Device::Cpu;
        // SAFETY: the weights file is memory-mapped read-only; it must not be modified
        // while the model is loaded, as with any mmap-based loader (safetensors, usearch).
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[dir.file("model.safetensors")], DType::F32, &device) }
            .map_err(backend("mapping model.safetensors"))?;
        let model = BertModel::load(vb, &config).map_err(backend("loading the BERT weights"))?;
        let dimension = config.hidden_size;
        Ok(MiniLmEmbedder {
            model,
            tokenizer,
            device,
            pad_id,
            max_tokens,
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
        self.max_tokens
    }

    /// Runs one batch of tokenized texts (similar lengths) and returns pooled unit vectors.
    fn embed_batch(&self, batch: &[&tokenizers::Encoding]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let rows = batch.len();
        let width = batch.iter().map(|e| e.get_ids().len()).max().unwrap_or(0);
        let mut ids = vec![self.pad_id; rows * width];
        let mut mask = vec![0u32; rows * width];
        for (r, enc) in batch.iter().enumerate() {
            let n = enc.get_ids().len();
            ids[r * width..r * width + n].copy_from_slice(enc.get_ids());
            mask[r * width..r * width + n].copy_from_slice(enc.get_attention_mask());
        }
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let ids = Tensor::from_vec(ids, (rows, width), &self.device)?;
            let mask = Tensor::from_vec(mask, (rows, width), &self.device)?;
            let type_ids = ids.zeros_like()?;
            let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?; // (rows, width, dim)
            let weights = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (rows, width, 1)
            let summed = hidden.broadcast_mul(&weights)?.sum(1)?; // (rows, dim)
            let counts = weights.sum(1)?.clamp(1e-9f32, f32::MAX)?; // (rows, 1)
            let mean = summed.broadcast_div(&counts)?;
            let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12f32, f32::MAX)?;
            mean.broadcast_div(&norm)?.to_vec2::<f32>()
        };
        run().map_err(backend("running MiniLM"))
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
        self.fingerprint
            .get_or_init(|| crate::model_files::fingerprint(&self.files, &format!("max_tokens={}", self.max_tokens)))
            .clone()
    }

    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        crate::embed::reject_blank(texts)?;
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let encodings = self
            .tokenizer
            .encode_batch_fast(texts.to_vec(), true)
            .map_err(|e| EmbedError::Backend(format!("tokenizing: {e}")))?;
        // Longest first, so the slowest batch runs while nothing else is waiting on it
        // and every batch pads to a length close to each of its members.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encodings[i].get_ids().len()));
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(self.batch_size) {
            let batch: Vec<&tokenizers::Encoding> = chunk.iter().map(|&i| &encodings[i]).collect();
            for (&i, v) in chunk.iter().zip(self.embed_batch(&batch)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}
