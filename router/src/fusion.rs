//! Fusion of several routes' ranked hits into one list, keeping every hit's provenance.

use std::collections::HashMap;

use crate::hit::{FusedHit, Hit, SourceRank};
use crate::request::FusionMethod;
use crate::route::Route;

/// One route's ranked hits and the weight the plan gives that route.
#[derive(Debug, Clone)]
pub struct RankedList {
    /// The route.
    pub route: Route,
    /// Its weight in the fusion (> 0).
    pub weight: f32,
    /// Its hits, best first.
    pub hits: Vec<Hit>,
}

/// Default RRF constant, as in Cormack et al. (2009).
pub const DEFAULT_RRF_K: f32 = 60.0;

/// Fuses `lists` with `method`, merging hits with the same id, and returns the best `k`.
/// Ties are broken by the best single rank, then by route order, so the result is deterministic.
pub fn fuse(lists: &[RankedList], method: FusionMethod, rrf_k: f32, k: usize) -> Vec<FusedHit> {
    let mut fused: Vec<FusedHit> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for list in lists {
        let normalised = normalised_scores(&list.hits, method, rrf_k);
        for (i, (hit, norm)) in list.hits.iter().zip(normalised).enumerate() {
            let contribution = list.weight * norm;
            let rank = SourceRank { route: list.route, rank: i + 1, score: hit.score, contribution };
            match index.get(&hit.id) {
                Some(&at) => {
                    let f = &mut fused[at];
                    // Duplicates from one list (e.g. two passages of a document) count once.
                    if f.sources.iter().any(|s| s.route == list.route) {
                        continue;
                    }
                    f.score += contribution;
                    f.sources.push(rank);
                    merge_details(f, hit);
                }
                None => {
                    index.insert(hit.id.clone(), fused.len());
                    fused.push(FusedHit {
                        id: hit.id.clone(),
                        kind: hit.kind,
                        modality: hit.modality,
                        title: hit.title.clone(),
                        snippet: hit.snippet.clone(),
                        uri: hit.uri.clone(),
                        thumbnail: hit.thumbnail.clone(),
                        score: contribution,
                        facts: hit.facts.clone(),
                        sources: vec![rank],
                    });
                }
            }
        }
    }
    for f in &mut fused {
        f.sources.sort_by(|a, b| b.contribution.total_cmp(&a.contribution));
    }
    let best_rank = |f: &FusedHit| f.sources.iter().map(|s| (s.rank, s.route)).min();
    fused.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| best_rank(a).cmp(&best_rank(b))));
    fused.truncate(k);
    fused
}

/// Splits fused hits into the graph's answers to a relational question (hits the graph
/// route returned with supporting facts) and the rest, each in fused order. Without this,
/// a document that two routes agree on (e.g. one about the country asked about) would
/// outrank the entities that answer the question, since RRF rewards agreement.
pub fn answers_first(fused: Vec<FusedHit>) -> (Vec<FusedHit>, Vec<FusedHit>) {
    fused.into_iter().partition(|h| !h.facts.is_empty() && h.sources.iter().any(|s| s.route == Route::Graph))
}

/// Keeps the richer details when a second source returns the same hit.
fn merge_details(f: &mut FusedHit, hit: &Hit) {
    if f.uri.is_none() {
        f.uri.clone_from(&hit.uri);
    }
    if f.thumbnail.is_none() {
        f.thumbnail.clone_from(&hit.thumbnail);
    }
    if f.snippet.is_empty() {
        f.snippet.clone_from(&hit.snippet);
    }
    for fact in &hit.facts {
        if !f.facts.contains(fact) {
            f.facts.push(fact.clone());
        }
    }
}

/// Each hit's normalised score in [0, 1] (RRF: 1/(k + rank)).
fn normalised_scores(hits: &[Hit], method: FusionMethod, rrf_k: f32) -> Vec<f32> {
    match method {
        FusionMethod::Rrf => (1..=hits.len()).map(|rank| 1.0 / (rrf_k + rank as f32)).collect(),
        FusionMethod::RelativeScore => {
            let (lo, hi) =
                hits.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), h| (lo.min(h.score), hi.max(h.score)));
            hits.iter().map(|h| if hi > lo { (h.score - lo) / (hi - lo) } else { 1.0 }).collect()
        }
        FusionMethod::Dbsf => {
            let n = hits.len().max(1) as f32;
            let mean = hits.iter().map(|h| h.score).sum::<f32>() / n;
            let var = hits.iter().map(|h| (h.score - mean).powi(2)).sum::<f32>() / n;
            let sd = var.sqrt();
            if sd <= f32::EPSILON {
                return vec![1.0; hits.len()];
            }
            let (lo, hi) = (mean - 3.0 * sd, mean + 3.0 * sd);
            hits.iter().map(|h| ((h.score - lo) / (hi - lo)).clamp(0.0, 1.0)).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hit::{HitKind, Modality};

    fn hit(id: &str, score: f32) -> Hit {
        Hit {
            id: id.into(),
            kind: HitKind::Document,
            modality: Modality::Text,
            title: id.into(),
            snippet: String::new(),
            uri: None,
            thumbnail: None,
            score,
            facts: vec![],
        }
    }

    #[test]
    fn rrf_merges_duplicates_and_keeps_provenance() {
        let lists = vec![
            RankedList { route: Route::Graph, weight: 1.0, hits: vec![hit("a", 9.0), hit("b", 5.0)] },
            RankedList { route: Route::Vector, weight: 0.5, hits: vec![hit("b", 0.9), hit("c", 0.8)] },
        ];
        let out = fuse(&lists, FusionMethod::Rrf, 60.0, 10);
        assert_eq!(out.len(), 3);
        // b: 1/62 + 0.5/61 > a: 1/61
        assert_eq!(out[0].id, "b");
        assert_eq!(out[0].sources.len(), 2);
        let expected = 1.0 / 62.0 + 0.5 / 61.0;
        assert!((out[0].score - expected).abs() < 1e-6);
        assert_eq!(out[1].id, "a");
        assert_eq!(fuse(&lists, FusionMethod::Rrf, 60.0, 1).len(), 1);
    }

    #[test]
    fn graph_answers_with_facts_lead_in_fused_order() {
        let mut answer = hit("country:ETH", 1.0);
        answer.facts = vec!["Kenya —borders→ Ethiopia".into()];
        let lists = vec![
            RankedList { route: Route::Graph, weight: 1.0, hits: vec![answer, hit("doc:kenya", 0.5)] },
            RankedList { route: Route::Vector, weight: 0.5, hits: vec![hit("doc:kenya", 0.9)] },
        ];
        let fused = fuse(&lists, FusionMethod::Rrf, 60.0, 10);
        assert_eq!(fused[0].id, "doc:kenya", "agreement wins plain RRF");
        let (answers, rest) = answers_first(fused);
        assert_eq!(answers.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["country:ETH"]);
        assert_eq!(rest.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["doc:kenya"]);
    }

    #[test]
    fn score_fusions_normalise_per_source() {
        let lists = vec![
            RankedList { route: Route::Graph, weight: 1.0, hits: vec![hit("a", 100.0), hit("b", 0.0)] },
            RankedList { route: Route::Vector, weight: 1.0, hits: vec![hit("b", 0.9), hit("c", 0.1)] },
        ];
        let out = fuse(&lists, FusionMethod::RelativeScore, 60.0, 10);
        assert_eq!(out[0].id, "a");
        assert!((out[0].score - 1.0).abs() < 1e-6);
        assert!((out[1].score - 1.0).abs() < 1e-6); // b: 0 + 1
        let out = fuse(&lists, FusionMethod::Dbsf, 60.0, 10);
        assert!(out.iter().all(|h| h.score.is_finite()));
    }
}
