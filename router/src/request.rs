//! The query request and response: the wire types of `POST /v1/query`, shared by REST,
//! MCP and function-calling schemas.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::features::QueryFeatures;
use crate::hit::{FusedHit, Modality, SourceRank};
use crate::plan::RoutePlan;
use crate::route::Route;

/// Largest `k` a query may ask for.
pub const MAX_K: usize = 1000;
/// Longest query text accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 4096;

fn default_k() -> usize {
    10
}

/// Narrows every route that can honour it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    /// Only text or only image results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modality: Option<Modality>,
    /// Only entities of this type (e.g. `country`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Only items carrying any of these tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Only items linked to any of these entity ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entities: Vec<String>,
    /// Only items from this source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Filters {
    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        self == &Filters::default()
    }
}

/// An image attached to a query: a URL or base64-encoded bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageInput {
    /// A public http(s) URL of the image, fetched by Braid: public addresses only (redirects
    /// checked too), an `image/*` answer of at most 16 MiB within 10 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The image bytes, base64-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
}

/// How the results of several routes are fused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FusionMethod {
    /// Weighted reciprocal rank fusion.
    #[default]
    Rrf,
    /// Min–max normalised scores, weighted.
    RelativeScore,
    /// Distribution-based score fusion (mean ± 3σ normalisation), weighted.
    Dbsf,
}

/// The body of `POST /v1/query`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    /// The question or search text.
    pub query: String,
    /// How many results to return (1–1000).
    #[serde(default = "default_k")]
    pub k: usize,
    /// Force these routes instead of letting the policy choose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<Vec<Route>>,
    /// An image to search by (needs a multimodal embedder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageInput>,
    /// Filters every route honours where it can.
    #[serde(default)]
    pub filters: Filters,
    /// Include the full decision trace.
    #[serde(default)]
    pub explain: bool,
    /// Fusion method (default: weighted reciprocal rank fusion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fusion: Option<FusionMethod>,
    /// Trade relevance for variety, 0–1 (maximal marginal relevance over the hits' words):
    /// 0 or absent keeps the fused order; 0.3 is a gentle choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diversity: Option<f32>,
    /// Alternate text and image results, keeping each modality's own order.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interleave: bool,
    /// HNSW search width for the vector route, 1–4096: wider finds more of the true nearest
    /// neighbours and takes longer. The index's configured width is the floor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ef: Option<usize>,
}

/// The widest per-request HNSW search (`ef`) accepted.
pub const MAX_EF: usize = 4_096;

impl QueryRequest {
    /// A request for `query` with defaults.
    pub fn new(query: impl Into<String>) -> Self {
        QueryRequest {
            query: query.into(),
            k: default_k(),
            routes: None,
            image: None,
            filters: Filters::default(),
            explain: false,
            fusion: None,
            diversity: None,
            interleave: false,
            ef: None,
        }
    }

    /// Checks the request's values (the JSON shape is checked by deserialisation).
    pub fn validate(&self) -> Result<(), InvalidRequest> {
        validate_query_text(&self.query, self.image.is_some())?;
        validate_k(self.k)?;
        if let Some(routes) = &self.routes
            && routes.is_empty()
        {
            return Err(InvalidRequest::new("routes", "must name at least one route when given"));
        }
        if let Some(d) = self.diversity
            && !(0.0..=1.0).contains(&d)
        {
            return Err(InvalidRequest::new("diversity", format!("must be between 0 and 1, got {d}")));
        }
        if let Some(ef) = self.ef
            && !(1..=MAX_EF).contains(&ef)
        {
            return Err(InvalidRequest::new("ef", format!("must be between 1 and {MAX_EF}, got {ef}")));
        }
        if let Some(img) = &self.image {
            match (&img.url, &img.base64) {
                (Some(_), Some(_)) => return Err(InvalidRequest::new("image", "give either url or base64, not both")),
                (None, None) => return Err(InvalidRequest::new("image", "needs url or base64")),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Checks a query text: non-blank (unless an image carries the query) and not oversized.
pub fn validate_query_text(query: &str, has_image: bool) -> Result<(), InvalidRequest> {
    if query.trim().is_empty() && !has_image {
        return Err(InvalidRequest::new("query", "must not be empty"));
    }
    if query.len() > MAX_QUERY_BYTES {
        return Err(InvalidRequest::new("query", format!("is {} bytes; the limit is {MAX_QUERY_BYTES}", query.len())));
    }
    Ok(())
}

/// Checks `k` is within 1..=[`MAX_K`].
pub fn validate_k(k: usize) -> Result<(), InvalidRequest> {
    if k == 0 || k > MAX_K {
        return Err(InvalidRequest::new("k", format!("must be between 1 and {MAX_K}, got {k}")));
    }
    Ok(())
}

/// A request value that is out of range, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, JsonSchema)]
#[error("{field}: {message}")]
pub struct InvalidRequest {
    /// The offending field.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl InvalidRequest {
    /// A new error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        InvalidRequest { field: field.into(), message: message.into() }
    }
}

/// How a source fared on one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SourceStatus {
    /// Answered in time.
    Ok,
    /// Missed its deadline; its results were dropped.
    Timeout,
    /// Failed; see `error`.
    Error,
    /// Not selected (or not available).
    Skipped,
}

/// Per-source report in a query response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SourceReport {
    /// The route.
    pub route: Route,
    /// How it fared.
    pub status: SourceStatus,
    /// Wall time spent on it, in milliseconds.
    pub took_ms: f64,
    /// How many hits it returned.
    pub hits: usize,
    /// How many matches it found before keeping its best, when it says (e.g. the graph's
    /// answers to "which packages depend on libc").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<usize>,
    /// The error, for `error` and `timeout`.
    pub error: Option<String>,
    /// Optional stages the source ran after its own search (e.g. `rerank`), and how each
    /// fared; a stage that failed or was late was skipped and the source's hits stand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageReport>,
}

/// How an optional stage of a source fared (see [`SourceReport::stages`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StageReport {
    /// The stage, e.g. `rerank`.
    pub stage: String,
    /// `ok` when it ran, `timeout` or `error` when its result was dropped.
    pub status: SourceStatus,
    /// Wall time spent on it, in milliseconds.
    pub took_ms: f64,
    /// What ran it (e.g. the reranker's name), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The error, for `error` and `timeout`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The full decision record of a query, returned with `explain: true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Trace {
    /// What introspection found.
    pub features: QueryFeatures,
    /// The policy's numeric inputs, by name.
    pub feature_vector: Vec<(String, f32)>,
    /// Probability per route.
    pub probabilities: Vec<(Route, f32)>,
    /// Selection threshold for graph and vector.
    pub select_threshold: f32,
    /// Selection threshold for web.
    pub web_threshold: f32,
    /// The corrective escalation, if one happened.
    pub escalation: Option<Escalation>,
    /// How results were fused.
    pub fusion: FusionTrace,
}

/// A corrective escalation to one more route after weak evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Escalation {
    /// The route added.
    pub route: Route,
    /// Why the evidence was judged weak.
    pub reason: String,
}

/// The fusion arithmetic of a query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FusionTrace {
    /// The method used.
    pub method: FusionMethod,
    /// The RRF constant k (for `rrf`).
    pub rrf_k: f32,
    /// The weight of each fused route.
    pub weights: Vec<(Route, f32)>,
    /// Per result: each source's rank, raw score and contribution to the fused score.
    pub results: Vec<(String, Vec<SourceRank>)>,
    /// The MMR trade-off applied after fusion, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diversity: Option<f32>,
    /// Whether text and image results were interleaved.
    #[serde(default)]
    pub interleaved: bool,
    /// How many graph answers (hits with supporting facts to a relational question) were
    /// put first, ahead of fused results that merely share the topic.
    #[serde(default)]
    pub answers_first: usize,
}

/// The answer of `POST /v1/query`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct QueryResponse {
    /// The query as asked.
    pub query: String,
    /// The routing plan (after any escalation).
    pub plan: RoutePlan,
    /// Fused results, best first.
    pub results: Vec<FusedHit>,
    /// One report per route.
    pub sources: Vec<SourceReport>,
    /// Total time, in milliseconds.
    pub took_ms: f64,
    /// The decision trace, when `explain` was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Trace>,
    /// The exact answer, when the question compiled into a graph plan that found one
    /// (see [`crate::answer`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<crate::answer::Answer>,
}
