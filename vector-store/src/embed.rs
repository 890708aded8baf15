//! The [`Embedder`] trait: turns text (and, for multimodal models, images) into vectors.

use crate::error::EmbedError;

/// Turns inputs into vectors of one fixed dimension.
///
/// Implementations are shared across request threads, hence `Send + Sync`. A multimodal
/// embedder (e.g. CLIP) maps texts and images into the same space, so a text query can
/// retrieve images by their pixels; a text-only embedder indexes images through their
/// caption text instead.
pub trait Embedder: Send + Sync {
    /// A short name reported by `/v1/status`, e.g. `hash-384`.
    fn name(&self) -> &str;

    /// The length of every vector this embedder returns.
    fn dimension(&self) -> usize;

    /// A stable identity of the exact model (weights, tokenizer, settings), so vectors it
    /// made can be reused by an [`EmbeddingCache`](crate::EmbeddingCache); `None` when the
    /// embedder cannot vouch for that (a remote endpoint may change its model at any time).
    fn fingerprint(&self) -> Option<String> {
        None
    }

    /// Embeds a batch of texts; the result has one vector per input, in order.
    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;

    /// Embeds one text.
    fn embed_text(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        self.embed_texts(&[text])?.pop().ok_or_else(|| EmbedError::Backend("embedder returned no vector".into()))
    }

    /// Whether [`embed_images`](Embedder::embed_images) works and shares the text space.
    fn is_multimodal(&self) -> bool {
        false
    }

    /// Embeds encoded images (PNG, JPEG, ...); text-only embedders refuse.
    fn embed_images(&self, _images: &[&[u8]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Err(EmbedError::Unsupported(format!("embedder `{}` cannot embed images", self.name())))
    }
}

/// The first blank input of a batch as [`EmbedError::Empty`]: every embedder refuses them the
/// same way, before any work.
pub(crate) fn reject_blank(texts: &[&str]) -> Result<(), EmbedError> {
    match texts.iter().position(|t| t.trim().is_empty()) {
        Some(index) => Err(EmbedError::Empty { index }),
        None => Ok(()),
    }
}

/// Embeds `texts` batch by batch, in input order: blank texts are refused first (see
/// [`reject_blank`]), then `embed` gets at most `batch_size` texts at a time and the vectors
/// it returns are concatenated.
pub(crate) fn embed_in_batches(
    texts: &[&str],
    batch_size: usize,
    mut embed: impl FnMut(&[&str]) -> Result<Vec<Vec<f32>>, EmbedError>,
) -> Result<Vec<Vec<f32>>, EmbedError> {
    reject_blank(texts)?;
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(batch_size) {
        out.extend(embed(chunk)?);
    }
    Ok(out)
}

/// The Euclidean length of a vector, which embedders scale their vectors by to make them unit.
pub(crate) fn l2_norm(vector: &[f32]) -> f32 {
    vector.iter().map(|x| x * x).sum::<f32>().sqrt()
}
