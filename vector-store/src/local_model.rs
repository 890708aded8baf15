//! What the local candle models ([`MiniLmEmbedder`](crate::MiniLmEmbedder) and
//! [`ClipEmbedder`](crate::ClipEmbedder)) share once their folder is found (see
//! [`model_files`](crate::model_files)): the tokenizer, set up to truncate at the model's
//! positions and to pad each batch only to its longest member; the weights, memory-mapped;
//! and the output rows, scaled to unit length.
//!
//! Batch-longest padding rather than the fixed padding a `tokenizer.json` may ask for (the
//! MiniLM one pads every text to 128 tokens): the model then never computes on padding
//! beyond what the batch needs.

use std::borrow::Borrow;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use tokenizers::{Encoding, Tokenizer};

use crate::error::EmbedError;
use crate::model_files::ModelDir;

/// A candle failure as an [`EmbedError::Backend`] saying what was being done.
pub(crate) fn candle_error(context: &str) -> impl Fn(candle_core::Error) -> EmbedError + '_ {
    move |e| EmbedError::Backend(format!("{context}: {e}"))
}

/// A model's tokenizer: truncates at the model's positions, pads per batch (see the module
/// docs).
pub(crate) struct ModelTokenizer {
    tokenizer: Tokenizer,
    pad_id: u32,
    max_tokens: usize,
}

impl ModelTokenizer {
    /// Loads `tokenizer.json` from `dir`, truncating at `max_tokens` tokens (special tokens
    /// included). Padding uses the id the file configures, else `fallback_pad_id` of the
    /// tokenizer; the file's own padding is switched off.
    pub(crate) fn load(
        dir: &ModelDir,
        max_tokens: usize,
        fallback_pad_id: impl FnOnce(&Tokenizer) -> u32,
    ) -> Result<Self, EmbedError> {
        let path = dir.file("tokenizer.json");
        let mut tokenizer =
            Tokenizer::from_file(&path).map_err(|e| EmbedError::Backend(format!("loading {}: {e}", path.display())))?;
        let pad_id = match tokenizer.get_padding() {
            Some(padding) => padding.pad_id,
            None => fallback_pad_id(&tokenizer),
        };
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(tokenizers::TruncationParams { max_length: max_tokens, ..Default::default() }))
            .map_err(|e| EmbedError::Backend(format!("configuring truncation: {e}")))?;
        Ok(ModelTokenizer { tokenizer, pad_id, max_tokens })
    }

    /// The truncation length in tokens, special tokens included.
    pub(crate) fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Tokenizes `texts` (special tokens added, truncated, unpadded), one encoding each.
    pub(crate) fn encode(&self, texts: &[&str]) -> Result<Vec<Encoding>, EmbedError> {
        self.tokenizer
            .encode_batch_fast(texts.to_vec(), true)
            .map_err(|e| EmbedError::Backend(format!("tokenizing: {e}")))
    }

    /// Tokenizes (query, text) pairs as one sequence each (`[CLS] q [SEP] t [SEP]` for BERT,
    /// with segment ids 0 and 1), truncating the text first.
    pub(crate) fn encode_pairs(&self, query: &str, texts: &[&str]) -> Result<Vec<Encoding>, EmbedError> {
        let pairs: Vec<tokenizers::EncodeInput> =
            texts.iter().map(|t| tokenizers::EncodeInput::Dual(query.into(), (*t).into())).collect();
        self.tokenizer.encode_batch_fast(pairs, true).map_err(|e| EmbedError::Backend(format!("tokenizing: {e}")))
    }

    /// The encodings as one row each, padded to the longest of them.
    pub(crate) fn pad<E: Borrow<Encoding>>(&self, batch: &[E]) -> TokenBatch {
        let rows = batch.len();
        let width = batch.iter().map(|e| e.borrow().get_ids().len()).max().unwrap_or(1).max(1);
        let mut ids = vec![self.pad_id; rows * width];
        let mut mask = vec![0u32; rows * width];
        let mut type_ids = vec![0u32; rows * width];
        for (r, encoding) in batch.iter().enumerate() {
            let encoding = encoding.borrow();
            let n = encoding.get_ids().len();
            ids[r * width..r * width + n].copy_from_slice(encoding.get_ids());
            mask[r * width..r * width + n].copy_from_slice(encoding.get_attention_mask());
            type_ids[r * width..r * width + n].copy_from_slice(encoding.get_type_ids());
        }
        TokenBatch { ids, mask, type_ids, rows, width }
    }
}

/// Token ids and attention mask of a batch, `rows × width`, padded at the end of each row.
pub(crate) struct TokenBatch {
    ids: Vec<u32>,
    mask: Vec<u32>,
    type_ids: Vec<u32>,
    rows: usize,
    width: usize,
}

impl TokenBatch {
    /// The ids as a `(rows, width)` tensor.
    pub(crate) fn ids(&self, device: &Device) -> candle_core::Result<Tensor> {
        Tensor::from_slice(&self.ids, (self.rows, self.width), device)
    }

    /// The segment ids (0 for the first text of a pair, 1 for the second) as a `(rows, width)`
    /// tensor.
    pub(crate) fn type_ids(&self, device: &Device) -> candle_core::Result<Tensor> {
        Tensor::from_slice(&self.type_ids, (self.rows, self.width), device)
    }

    /// The attention mask (1 for a token, 0 for padding) as a `(rows, width)` tensor.
    pub(crate) fn mask(&self, device: &Device) -> candle_core::Result<Tensor> {
        Tensor::from_slice(&self.mask, (self.rows, self.width), device)
    }
}

/// The model's `model.safetensors`, memory-mapped as f32 weights on `device`.
pub(crate) fn mmap_weights(dir: &ModelDir, device: &Device) -> Result<VarBuilder<'static>, EmbedError> {
    // SAFETY: the weights file is memory-mapped read-only; it must not be modified while the
    // model is loaded, as with any mmap-based loader (safetensors, usearch).
    unsafe { VarBuilder::from_mmaped_safetensors(&[dir.file("model.safetensors")], DType::F32, device) }
        .map_err(candle_error("mapping model.safetensors"))
}

/// The rows of a `(rows, dim)` tensor scaled to unit L2 length (a zero row stays zero).
pub(crate) fn unit_rows(features: &Tensor) -> candle_core::Result<Vec<Vec<f32>>> {
    let norm = features.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12f32, f32::MAX)?;
    features.broadcast_div(&norm)?.to_vec2::<f32>()
}
