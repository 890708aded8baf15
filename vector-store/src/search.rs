//! The search request and hit types, shared by REST, MCP and tool schemas.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::VectorError;
use crate::filter::Filter;
use crate::fusion::{DEFAULT_DENSE_WEIGHT, Fusion, FusionMethod};
use crate::item::Modality;

/// The largest `k` a search accepts.
pub const MAX_K: usize = 1_000;
/// The widest per-request HNSW search (`ef`) accepted.
pub const MAX_EF: usize = 4_096;
/// The default RRF constant, as in the original RRF paper and in most engines.
pub const DEFAULT_RRF_K: f32 = 60.0;

/// Which rankings a search runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// Dense and BM25 rankings fused (see [`FusionMethod`]); uses whichever of text and
    /// vector are given.
    #[default]
    Hybrid,
    /// Vector similarity only; needs `vector`.
    Dense,
    /// BM25 only; needs `text`.
    Lexical,
}

/// A query against one collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SearchRequest {
    /// Query text for BM25 (the caller embeds it into `vector` for the dense side).
    pub text: Option<String>,
    /// Query vector, of the collection's dimension.
    pub vector: Option<Vec<f32>>,
    /// Number of hits wanted, 1..=1000.
    pub k: usize,
    /// Metadata filter applied to both rankings.
    pub filter: Filter,
    /// Which rankings to run.
    pub mode: SearchMode,
    /// How hybrid mode fuses the two rankings.
    pub fusion: FusionMethod,
    /// The dense side's weight in hybrid mode, in [0, 1]; the lexical side gets the rest.
    pub dense_weight: f32,
    /// RRF constant (hybrid mode with [`FusionMethod::Rrf`]), finite and ≥ 0.
    pub rrf_k: f32,
    /// HNSW search width for this request, 1..=4096: wider finds more of the true nearest
    /// neighbours and costs time. The collection's configured width (128 by default) is the
    /// floor, and so is the number of candidates the search asks for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ef: Option<usize>,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            text: None,
            vector: None,
            k: 10,
            filter: Filter::default(),
            mode: SearchMode::Hybrid,
            fusion: FusionMethod::default(),
            dense_weight: DEFAULT_DENSE_WEIGHT,
            rrf_k: DEFAULT_RRF_K,
            ef: None,
        }
    }
}

impl SearchRequest {
    /// Checks `k`, `rrf_k` and that the mode has its inputs, and returns which rankings
    /// run: `(dense, lexical)`. Every backend answers bad requests alike through this; the
    /// vector's dimension is the backend's to check.
    pub fn sides(&self) -> Result<(bool, bool), VectorError> {
        if self.k == 0 || self.k > MAX_K {
            return Err(VectorError::invalid("k", format!("must be between 1 and {MAX_K}, got {}", self.k)));
        }
        if !self.rrf_k.is_finite() || self.rrf_k < 0.0 {
            return Err(VectorError::invalid("rrf_k", "must be a finite number ≥ 0"));
        }
        if !(0.0..=1.0).contains(&self.dense_weight) {
            return Err(VectorError::invalid("dense_weight", "must be between 0 and 1"));
        }
        if let Some(ef) = self.ef
            && (ef == 0 || ef > MAX_EF)
        {
            return Err(VectorError::invalid("ef", format!("must be between 1 and {MAX_EF}, got {ef}")));
        }
        let text = self.text.as_deref().is_some_and(|t| !t.trim().is_empty());
        let vector = self.vector.is_some();
        match self.mode {
            SearchMode::Dense if !vector => Err(VectorError::invalid("vector", "dense search needs a query vector")),
            SearchMode::Lexical if !text => {
                Err(VectorError::invalid("text", "lexical search needs a non-empty query text"))
            }
            SearchMode::Hybrid if !text && !vector => {
                Err(VectorError::invalid("text", "hybrid search needs a non-empty query text or a query vector"))
            }
            SearchMode::Dense => Ok((true, false)),
            SearchMode::Lexical => Ok((false, true)),
            SearchMode::Hybrid => Ok((vector, text)),
        }
    }

    /// A hybrid request for `k` hits with both a text and its embedding.
    pub fn hybrid(text: impl Into<String>, vector: Vec<f32>, k: usize) -> Self {
        SearchRequest { text: Some(text.into()), vector: Some(vector), k, ..SearchRequest::default() }
    }

    /// A BM25-only request.
    pub fn lexical(text: impl Into<String>, k: usize) -> Self {
        SearchRequest { text: Some(text.into()), k, mode: SearchMode::Lexical, ..SearchRequest::default() }
    }

    /// A vector-only request.
    pub fn dense(vector: Vec<f32>, k: usize) -> Self {
        SearchRequest { vector: Some(vector), k, mode: SearchMode::Dense, ..SearchRequest::default() }
    }

    /// How this request fuses its two rankings.
    pub fn fusion(&self) -> Fusion {
        Fusion { method: self.fusion, dense_weight: self.dense_weight, rrf_k: self.rrf_k }
    }

    /// The same request with a filter.
    pub fn with_filter(mut self, filter: Filter) -> Self {
        self.filter = filter;
        self
    }
}

/// One ranked item with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct VectorHit {
    /// The item's id.
    pub id: String,
    /// The item's modality.
    pub modality: Modality,
    /// The item's kind.
    pub kind: String,
    /// The item's title.
    pub title: String,
    /// Hybrid: the fused score; dense: the similarity; lexical: the BM25 score.
    pub score: f32,
    /// `[rank, similarity]` in the dense ranking (rank starts at 1); similarity is cosine
    /// for `cos`, the inner product for `ip`, and minus the squared distance for `l2sq`.
    pub dense: Option<(usize, f32)>,
    /// `[rank, bm25]` in the lexical ranking (rank starts at 1).
    pub lexical: Option<(usize, f32)>,
}

/// How the dense side of a search was executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DensePlan {
    /// Unfiltered HNSW search.
    Hnsw,
    /// HNSW returned too few hits, so every item was scored exactly.
    HnswThenExactScan,
    /// The filter is selective: only matching items were scored, exactly.
    ExactScan,
    /// The filter is broad: HNSW search with the filter as a predicate.
    FilteredHnsw,
    /// Filtered HNSW returned too few hits, so matching items were scored exactly.
    FilteredHnswThenExactScan,
}

impl DensePlan {
    /// Whether the HNSW graph was searched (as opposed to only an exact scan).
    pub fn uses_hnsw(self) -> bool {
        !matches!(self, DensePlan::ExactScan)
    }
}

/// What a search did, for explain traces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SearchPlan {
    /// The requested mode.
    pub mode: SearchMode,
    /// Candidates taken from each ranking before fusion (`k` for single-source modes).
    pub candidates: usize,
    /// Items passing the filter, when the dense side had to count them.
    pub matching: Option<usize>,
    /// How the dense side ran; `None` when it did not.
    pub dense: Option<DensePlan>,
    /// Hits the dense side returned.
    pub dense_hits: usize,
    /// Hits the lexical side returned; `None` when it did not run.
    pub lexical_hits: Option<usize>,
    /// The HNSW search width used, when the dense side searched the graph.
    pub ef: Option<usize>,
}

/// Hits plus the plan that produced them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SearchOutcome {
    /// Ranked hits, best first, at most `k`.
    pub hits: Vec<VectorHit>,
    /// How they were found.
    pub plan: SearchPlan,
}
