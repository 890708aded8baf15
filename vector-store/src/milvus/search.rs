//! Searching the collection: dense (HNSW), lexical (BM25 per field) and hybrid, and turning
//! Milvus' results into [`VectorHit`]s ranked and scored as the embedded store ranks them.
//!
//! Hybrid search: by default Braid fuses Milvus' dense ranking and its BM25 ranking with the
//! embedded store's RRF (so results and provenance match the embedded backend); with
//! [`MilvusConfig::server_fusion`] one Milvus `hybrid_search` (dense + BM25 sub-requests) is
//! fused by Milvus' RRF ranker with Braid's `rrf_k` instead.

use std::collections::HashMap;
use std::sync::Arc;

use ::milvus::v2 as sdk;
use ::milvus::v2::prelude as mv;

use super::connection::{MilvusConfig, remote, sdk_err};
use super::filter::filter_expression;
use super::terms::TermAnalyzer;
use crate::config::Metric;
use crate::error::VectorError;
use crate::fusion::Fusion;
use crate::item::Modality;
use crate::search::{SearchMode, SearchRequest, VectorHit};
use crate::validate::validate_vector;

/// Hybrid search takes this many candidates per side, at least (as the embedded store).
const MIN_HYBRID_CANDIDATES: usize = 50;

/// A checked request, ready to run against the collection.
pub(super) struct Search {
    plan: Arc<Plan>,
    mode: SearchMode,
    k: usize,
    /// Hits taken from each ranking before fusion.
    candidates: usize,
    fusion: Fusion,
    server_fusion: bool,
    /// The query vector, when the dense side runs.
    vector: Option<Vec<f32>>,
    /// The analysed query terms, space-separated, when the lexical side runs and has any.
    terms: Option<String>,
}

/// What every ranking of one search shares.
struct Plan {
    collections: Vec<String>,
    filter: String,
    metric: Metric,
    /// HNSW search width: the request's `ef`, at least the candidates asked for and 64.
    ef: usize,
}

impl Search {
    /// Checks `request` as the embedded store does and prepares it for `config`'s collection.
    pub(super) fn new(
        request: &SearchRequest,
        config: &MilvusConfig,
        analyzer: &TermAnalyzer,
    ) -> Result<Self, VectorError> {
        let (use_dense, use_lexical) = request.sides()?;
        if let Some(vector) = &request.vector {
            validate_vector(vector, config.dimension, config.metric)?;
        }
        let text = request.text.as_deref().filter(|t| !t.trim().is_empty());
        // A text without indexable terms (only stop words) matches nothing lexically.
        let terms = text.map(|t| analyzer.query_terms(t).join(" ")).filter(|t| !t.is_empty());
        let candidates = match request.mode {
            SearchMode::Hybrid => request.k.saturating_mul(4).max(MIN_HYBRID_CANDIDATES),
            SearchMode::Dense | SearchMode::Lexical => request.k,
        };
        let plan = Arc::new(Plan {
            collections: vec![config.collection()],
            filter: filter_expression(&request.filter),
            metric: config.metric,
            ef: request.ef.unwrap_or(0).max(64),
        });
        Ok(Search {
            plan,
            mode: request.mode,
            k: request.k,
            candidates,
            fusion: request.fusion(),
            server_fusion: config.server_fusion,
            vector: request.vector.clone().filter(|_| use_dense),
            terms: terms.filter(|_| use_lexical),
        })
    }

    /// Runs the rankings and fuses them into at most `k` hits, best first.
    pub(super) async fn run(self, client: Arc<mv::ClientV2>) -> Result<Vec<VectorHit>, VectorError> {
        let Search { plan, mode, k, candidates, fusion, server_fusion, vector, terms } = self;
        match (vector, terms) {
            (Some(v), Some(t)) if server_fusion && mode == SearchMode::Hybrid => {
                server_fused(&client, &plan, v, t, candidates, fusion.rrf_k, k).await
            }
            (vector, terms) => {
                // Both rankings at once: latency is the slower one, not the sum.
                let dense = async {
                    match vector {
                        Some(v) => dense_ranking(client.clone(), plan.clone(), v, candidates).await,
                        None => Ok(Vec::new()),
                    }
                };
                let lexical = async {
                    match terms {
                        Some(t) => lexical_ranking(client.clone(), plan.clone(), t, candidates).await,
                        None => Ok(Vec::new()),
                    }
                };
                let (dense, lexical) = tokio::try_join!(dense, lexical)?;
                Ok(fuse(mode, dense, lexical, &fusion, k))
            }
        }
    }
}

/// Server-side fusion: one `hybrid_search` (dense + BM25 on the combined field) fused by
/// Milvus' RRF ranker.
async fn server_fused(
    client: &mv::ClientV2,
    plan: &Plan,
    vector: Vec<f32>,
    terms: String,
    candidates: usize,
    rrf_k: f32,
    k: usize,
) -> Result<Vec<VectorHit>, VectorError> {
    let name = plan.collections[0].clone();
    let mut dense = mv::SubSearchRequest::builder()
        .vector_field("dense")
        .vectors(mv::SearchVectors::Float(vec![vector]))
        .limit(candidates as i64)
        .extra_params(HashMap::from([("ef".to_string(), candidates.max(plan.ef).to_string())]));
    let mut sparse = mv::SubSearchRequest::builder()
        .vector_field("sparse")
        .vectors(mv::SearchVectors::EmbeddedText(vec![terms]))
        .limit(candidates as i64);
    if !plan.filter.is_empty() {
        dense = dense.filter(plan.filter.clone());
        sparse = sparse.filter(plan.filter.clone());
    }
    let req = mv::HybridSearchRequest::builder()
        .collection_name(&name)
        .sub_requests(vec![dense.build().map_err(sdk_err)?, sparse.build().map_err(sdk_err)?])
        // Milvus wants 0 < k < 16384.
        .rerank(mv::RRFRerank::new().k((rrf_k.round() as i64).clamp(1, 16_383)))
        .limit(k as i64)
        .output_fields(["kind", "title", "modality"])
        .consistency_level(sdk::ConsistencyLevel::Strong)
        .build()
        .map_err(sdk_err)?;
    let resp = client.hybrid_search(req).await.map_err(|e| remote("hybrid search", e))?;
    let mut fused = Vec::new();
    for r in resp.results().iter() {
        fused.extend(ranked(r, |s| s)?);
    }
    let hits = fused
        .into_iter()
        .take(k)
        .map(|r| VectorHit {
            id: r.id,
            modality: r.modality,
            kind: r.kind,
            title: r.title,
            score: r.score,
            // Milvus' RRF does not report the per-ranking ranks.
            dense: None,
            lexical: None,
        })
        .collect();
    Ok(hits)
}

/// One ranked hit from one collection, before merging.
#[derive(Debug, Clone)]
struct Ranked {
    id: String,
    modality: Modality,
    kind: String,
    title: String,
    score: f32,
}

/// The hits of one search result; an id kind Braid's schema cannot produce is an error
/// (the collection is not Braid's, or the server misbehaves), not an empty result.
fn ranked(result: &mv::SingleResult, score: impl Fn(f32) -> f32) -> Result<Vec<Ranked>, VectorError> {
    let ids: Vec<String> = match result.get_ids() {
        mv::Ids::VarChar(v) => v.clone(),
        mv::Ids::Int64(v) => v.iter().map(i64::to_string).collect(),
        // `Ids` is non_exhaustive; its contents could be a long list, so it is not printed.
        _ => return Err(VectorError::Remote("milvus search: primary keys are neither VARCHAR nor INT64".into())),
    };
    let column = |name: &str| result.get_output_field(name).and_then(|f| f.as_varchar()).map(<[String]>::to_vec);
    let kinds = column("kind").unwrap_or_default();
    let titles = column("title").unwrap_or_default();
    let modalities = column("modality").unwrap_or_default();
    Ok(ids
        .into_iter()
        .enumerate()
        .map(|(i, id)| Ranked {
            id,
            modality: if modalities.get(i).map(String::as_str) == Some("image") {
                Modality::Image
            } else {
                Modality::Text
            },
            kind: kinds.get(i).cloned().unwrap_or_default(),
            title: titles.get(i).cloned().unwrap_or_default(),
            score: score(result.get_scores().get(i).copied().unwrap_or_default()),
        })
        .collect())
}

/// Merges per-collection rankings by score, best first, keeping the first `n`.
fn merge(mut lists: Vec<Vec<Ranked>>, n: usize) -> Vec<Ranked> {
    let mut all: Vec<Ranked> = lists.drain(..).flatten().collect();
    all.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    all.truncate(n);
    all
}

/// Similarity as the embedded store reports it: higher is better.
fn similarity(metric: Metric, distance: f32) -> f32 {
    match metric {
        Metric::Cos | Metric::IP => distance,
        Metric::L2sq => -distance,
    }
}

fn search_request(
    collection: &str,
    field: &str,
    vectors: mv::SearchVectors,
    filter: &str,
    limit: usize,
    ef: Option<usize>,
) -> Result<mv::SearchRequest, VectorError> {
    let mut b = mv::SearchRequest::builder()
        .collection_name(collection)
        .vector_field(field)
        .vectors(vectors)
        .limit(limit as i64)
        .output_fields(["kind", "title", "modality"])
        .consistency_level(sdk::ConsistencyLevel::Strong);
    if !filter.is_empty() {
        b = b.filter(filter);
    }
    if let Some(ef) = ef {
        b = b.extra_params(HashMap::from([("ef".to_string(), ef.to_string())]));
    }
    b.build().map_err(sdk_err)
}

async fn dense_ranking(
    client: Arc<mv::ClientV2>,
    plan: Arc<Plan>,
    vector: Vec<f32>,
    n: usize,
) -> Result<Vec<Ranked>, VectorError> {
    let mut lists = Vec::new();
    for name in &plan.collections {
        let req = search_request(
            name,
            "dense",
            mv::SearchVectors::Float(vec![vector.clone()]),
            &plan.filter,
            n,
            Some(n.max(plan.ef)),
        )?;
        let resp = client.search(req).await.map_err(|e| remote("dense search", e))?;
        for r in resp.results().iter() {
            lists.push(ranked(r, |d| similarity(plan.metric, d))?);
        }
    }
    Ok(merge(lists, n))
}

/// BM25 as the embedded store scores it: one field holding the title's terms, then the
/// text's (`sparse`, filled by the `lexical_bm25` function).
async fn lexical_ranking(
    client: Arc<mv::ClientV2>,
    plan: Arc<Plan>,
    terms: String,
    n: usize,
) -> Result<Vec<Ranked>, VectorError> {
    let mut lists = Vec::new();
    for name in &plan.collections {
        let vectors = mv::SearchVectors::EmbeddedText(vec![terms.clone()]);
        let req = search_request(name, "sparse", vectors, &plan.filter, n, None)?;
        let resp = client.search(req).await.map_err(|e| remote("BM25 search", e))?;
        for r in resp.results().iter() {
            // Milvus Lite reports BM25 as a negated distance; the score is its magnitude.
            lists.push(ranked(r, f32::abs)?);
        }
    }
    Ok(merge(lists, n))
}

/// Single rankings pass through; hybrid is fused here with the same
/// fusion (and tie-breaking) as the embedded store.
fn fuse(mode: SearchMode, dense: Vec<Ranked>, lexical: Vec<Ranked>, fusion: &Fusion, k: usize) -> Vec<VectorHit> {
    let hit = |r: &Ranked, score, d, l| VectorHit {
        id: r.id.clone(),
        modality: r.modality,
        kind: r.kind.clone(),
        title: r.title.clone(),
        score,
        dense: d,
        lexical: l,
    };
    match mode {
        SearchMode::Dense => {
            dense.iter().take(k).enumerate().map(|(i, r)| hit(r, r.score, Some((i + 1, r.score)), None)).collect()
        }
        SearchMode::Lexical => {
            lexical.iter().take(k).enumerate().map(|(i, r)| hit(r, r.score, None, Some((i + 1, r.score)))).collect()
        }
        SearchMode::Hybrid => {
            // Number the ids so the shared fusion code (keyed by u64) can run.
            let mut keys: HashMap<String, u64> = HashMap::new();
            let mut items: Vec<Ranked> = Vec::new();
            let mut numbered = |list: &[Ranked]| -> Vec<(u64, f32)> {
                list.iter()
                    .map(|r| {
                        let key = *keys.entry(r.id.clone()).or_insert_with(|| {
                            items.push(r.clone());
                            (items.len() - 1) as u64
                        });
                        (key, r.score)
                    })
                    .collect()
            };
            let d = numbered(&dense);
            let l = numbered(&lexical);
            fusion
                .fuse(&d, &l)
                .into_iter()
                .take(k)
                .filter_map(|f| items.get(f.key as usize).map(|r| hit(r, f.score, f.dense, f.lexical)))
                .collect()
        }
    }
}
