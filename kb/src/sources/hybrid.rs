//! The vector route's ranking: dense and BM25 rankings of the vector index, each turned into a
//! ranking of documents (a passage stands for its document, at its best passage's place),
//! fused by [`braid_vector::Fusion`] (relative-score fusion by default), then refined once by
//! dense pseudo-relevance feedback.
//!
//! Why fuse documents rather than passages: a long document's first passage may lead the
//! dense ranking and its third the BM25 ranking; fused as passages, neither gets credit for
//! the other. Why the feedback step (Rocchio on the dense side): the query vector moves
//! towards the best passages of the fused top [`FEEDBACK_DOCUMENTS`] documents,
//! `q' = q + β · mean(best passage vectors)` with β = [`FEEDBACK_WEIGHT`], and the dense
//! side is searched again; the BM25 ranking is kept. It costs one more HNSW search, no
//! forward pass. Measured with all-MiniLM-L6-v2 (nDCG@10, `bench/scripts/fusion_peer.py`):
//! Cranfield 0.571 → 0.579; the descriptive queries of the six domain knowledge bases (dev
//! sets): mean 0.817 → 0.820 (rustdoc 0.538 → 0.577, debian 0.797 → 0.803, pystdlib 0.908 →
//! 0.906, mime 0.854 → 0.829, tz and locales unchanged). It helps most where the query
//! describes a need in other words than the documents use, and costs where one word of the
//! query names the answer exactly (mime types).

use std::collections::HashSet;

use braid_router::SourceError;
use braid_vector::{Filter, Fusion, SearchMode, SearchRequest, VectorBackend, VectorError};

use crate::passages::{PASSAGE_KIND, document_of};
use crate::store::Store;

/// Items taken from each side before fusion, at least: relative-score fusion scales each
/// list by its own minimum, so the depth is part of the method. Cranfield nDCG@10 with
/// relative-score fusion: 0.569 at 50, 0.571 at 100, 0.575 at 200; 100 keeps a search cheap.
pub(crate) const MIN_CANDIDATES: usize = 100;
/// Fused documents whose best passages steer the feedback query.
pub(crate) const FEEDBACK_DOCUMENTS: usize = 5;
/// β of the feedback query: 0.5 and 1.0 measured alike on Cranfield (0.579, 0.578); 0.5
/// moves the query less.
pub(crate) const FEEDBACK_WEIGHT: f32 = 0.5;

/// One ranked document or image.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RankedItem {
    /// The document or image id.
    pub id: String,
    /// The fused score.
    pub score: f32,
    /// The passage (from 1) that placed it, for a long document's snippet.
    pub passage: Option<usize>,
}

/// A ranking of documents from one side: id, best score, the passage that scored it.
type Side = Vec<(String, f32, Option<usize>)>;

/// The hybrid search of the vector route over one filter.
pub(crate) struct HybridSearch<'a> {
    pub vectors: &'a dyn VectorBackend,
    pub store: &'a Store,
    pub filter: &'a Filter,
    pub ef: Option<usize>,
    pub fusion: Fusion,
}

impl HybridSearch<'_> {
    /// The best `k` documents (or images) for `text` and `vector`, each at most once.
    pub(crate) fn rank(&self, text: &str, vector: Option<&[f32]>, k: usize) -> Result<Vec<RankedItem>, SourceError> {
        let text = Some(text).filter(|t| !t.trim().is_empty());
        let mut depth = k.saturating_mul(4).clamp(MIN_CANDIDATES, braid_vector::MAX_K);
        let (dense, lexical) = loop {
            let (dense, dense_full) = match vector {
                Some(v) => self.side(SearchMode::Dense, None, Some(v), depth)?,
                None => (Vec::new(), false),
            };
            let (lexical, lexical_full) = match text {
                Some(t) => self.side(SearchMode::Lexical, Some(t), None, depth)?,
                None => (Vec::new(), false),
            };
            // Passages of one document fill several places: look deeper until k distinct
            // documents are found or the index has no more.
            let short = dense.len().max(lexical.len()) < k;
            if !short || !(dense_full || lexical_full) || depth >= braid_vector::MAX_K {
                break (dense, lexical);
            }
            depth = (depth * 2).min(braid_vector::MAX_K);
        };
        let mut fused = self.fuse(&dense, &lexical);
        if let Some(v) = vector
            && let Some(feedback) = self.feedback_query(v, &fused)?
        {
            let (dense, _) = self.side(SearchMode::Dense, None, Some(&feedback), depth)?;
            fused = self.fuse(&dense, &lexical);
        }
        fused.truncate(k);
        Ok(fused)
    }

    fn fuse(&self, dense: &Side, lexical: &Side) -> Vec<RankedItem> {
        let keyed = |side: &Side| -> Vec<(String, f32)> { side.iter().map(|(id, s, _)| (id.clone(), *s)).collect() };
        let passage_of = |side: &Side, id: &str| side.iter().find(|(d, _, _)| d == id).and_then(|(_, _, p)| *p);
        self.fusion
            .fuse(&keyed(dense), &keyed(lexical))
            .into_iter()
            .map(|f| {
                // The snippet comes from the passage that matched the words, else the meaning.
                let passage = passage_of(lexical, &f.key).or_else(|| passage_of(dense, &f.key));
                RankedItem { id: f.key, score: f.score, passage }
            })
            .collect()
    }

    /// One side's ranking as documents, best first; and whether the index had more.
    fn side(
        &self,
        mode: SearchMode,
        text: Option<&str>,
        vector: Option<&[f32]>,
        depth: usize,
    ) -> Result<(Side, bool), SourceError> {
        let request = SearchRequest {
            text: text.map(str::to_string),
            vector: vector.map(<[f32]>::to_vec),
            k: depth,
            filter: self.filter.clone(),
            mode,
            ef: self.ef,
            ..SearchRequest::default()
        };
        let hits = self.vectors.search(&request).map_err(source_error)?;
        let full = hits.len() == depth;
        let mut seen = HashSet::new();
        let mut side = Vec::new();
        for h in hits {
            let (id, passage) = if h.kind == PASSAGE_KIND {
                (document_of(&h.id).to_string(), h.id.rsplit_once('#').and_then(|(_, n)| n.parse().ok()))
            } else {
                (h.id, None)
            };
            if seen.insert(id.clone()) {
                side.push((id, h.score, passage));
            }
        }
        Ok((side, full))
    }

    /// `q + β · mean(best passage vector of each of the top documents)`, unit length; `None`
    /// when no top document has a stored vector of the query's dimension.
    fn feedback_query(&self, query: &[f32], fused: &[RankedItem]) -> Result<Option<Vec<f32>>, SourceError> {
        let dim = query.len();
        let mut sum = vec![0f32; dim];
        let mut used = 0usize;
        for item in fused.iter().take(FEEDBACK_DOCUMENTS) {
            let stored = self.store.vector(&item.id).map_err(|e| SourceError::Failed(e.to_string()))?;
            let Some(stored) = stored.filter(|v| dim > 0 && !v.is_empty() && v.len() % dim == 0) else { continue };
            let best = stored.chunks(dim).max_by(|a, b| dot(a, query).total_cmp(&dot(b, query)));
            if let Some(best) = best {
                sum.iter_mut().zip(best).for_each(|(s, x)| *s += x);
                used += 1;
            }
        }
        if used == 0 {
            return Ok(None);
        }
        let mut moved: Vec<f32> = query.iter().zip(&sum).map(|(q, s)| q + FEEDBACK_WEIGHT * s / used as f32).collect();
        let norm = moved.iter().map(|x| x * x).sum::<f32>().sqrt();
        if !norm.is_finite() || norm <= f32::EPSILON {
            return Ok(None);
        }
        moved.iter_mut().for_each(|x| *x /= norm);
        Ok(Some(moved))
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn source_error(e: VectorError) -> SourceError {
    match e {
        VectorError::InvalidInput { field, reason } => {
            SourceError::InvalidInput { field: field.to_string(), message: reason }
        }
        other => SourceError::Failed(other.to_string()),
    }
}
