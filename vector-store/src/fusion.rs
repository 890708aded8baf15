//! Fusion of a dense and a lexical ranking into one.
//!
//! Each ranking's scores are first put on a common scale, then summed with a weight per
//! side (`dense_weight` for the dense side, `1 − dense_weight` for the lexical side):
//! - [`FusionMethod::RelativeScore`] (the default): min–max scaling of each list to
//!   [0, 1] (Weaviate's "relative score fusion"): how far a hit is from the best and the
//!   worst of its own list, so a document both sides like a lot beats one that only one
//!   side ranks first;
//! - [`FusionMethod::Rrf`]: reciprocal rank fusion, `1 / (rrf_k + rank)`, which ignores
//!   the scores;
//! - [`FusionMethod::Dbsf`]: distribution-based score fusion, each list scaled by its mean
//!   ± 3 standard deviations.
//!
//! Why relative-score fusion with equal weights, measured with all-MiniLM-L6-v2 and Braid's
//! BM25 analyzer over the top 100 passages of each side, each ranking turned into documents
//! first (the vector route's way, `bench/scripts/fusion_peer.py` for the peers): nDCG@10 on
//! Cranfield (225 queries) and on the descriptive queries of the six domain knowledge bases
//! of `datasets/domains` (dev sets, 127 queries, mean over the domains):
//!
//! | ranking | Cranfield | domains |
//! |---|---:|---:|
//! | BM25 alone | 0.540 | 0.780 |
//! | dense alone | 0.510 | 0.773 |
//! | RRF, k = 60 | 0.558 | 0.778 |
//! | DBSF | 0.566 | 0.783 |
//! | relative score | 0.571 | 0.817 |
//!
//! RRF loses on short documents because it rewards a hit that both sides rank low over one
//! that one side ranks far above the rest. Query-dependent weights (a short keyword query
//! leaning lexical, a long question leaning dense) were measured too and did not beat equal
//! weights on either set, so they are not the default.

use std::collections::HashMap;
use std::hash::Hash;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How the dense and lexical rankings of a hybrid search are combined (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FusionMethod {
    /// Min–max scaled scores, weighted and summed.
    #[default]
    RelativeScore,
    /// Reciprocal rank fusion with the request's `rrf_k`.
    Rrf,
    /// Scores scaled by their list's mean ± 3 standard deviations, weighted and summed.
    Dbsf,
}

/// The weight of the dense side when none is given (the lexical side gets the rest).
pub const DEFAULT_DENSE_WEIGHT: f32 = 0.5;

/// One fused entry: the key, its fused score and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FusedKey<K> {
    /// The key (the store's internal key, or a document id).
    pub key: K,
    /// The fused score (higher is better).
    pub score: f32,
    /// 1-based rank and similarity in the dense ranking, if present there.
    pub dense: Option<(usize, f32)>,
    /// 1-based rank and BM25 score in the lexical ranking, if present there.
    pub lexical: Option<(usize, f32)>,
}

/// How to fuse: the method, the dense side's weight in [0, 1] and the RRF constant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fusion {
    /// The method.
    pub method: FusionMethod,
    /// The dense side's weight; the lexical side gets `1 − dense_weight`.
    pub dense_weight: f32,
    /// RRF's constant (used by [`FusionMethod::Rrf`]).
    pub rrf_k: f32,
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion {
            method: FusionMethod::default(),
            dense_weight: DEFAULT_DENSE_WEIGHT,
            rrf_k: crate::search::DEFAULT_RRF_K,
        }
    }
}

impl Fusion {
    /// Fuses two best-first rankings of `(key, raw score)`. A key listed twice in one
    /// ranking counts once, at its first (best) place. The result is best first, ties broken
    /// by the better single rank and then by key, so it is deterministic.
    pub fn fuse<K: Hash + Eq + Ord + Clone>(&self, dense: &[(K, f32)], lexical: &[(K, f32)]) -> Vec<FusedKey<K>> {
        let dense = first_places(dense);
        let lexical = first_places(lexical);
        let weight = self.dense_weight.clamp(0.0, 1.0);
        let mut by_key: HashMap<K, FusedKey<K>> = HashMap::with_capacity(dense.len() + lexical.len());
        for (side, list, w) in [(Side::Dense, &dense, weight), (Side::Lexical, &lexical, 1.0 - weight)] {
            let scaled = self.scale(list);
            for (i, ((key, raw), s)) in list.iter().zip(scaled).enumerate() {
                let entry = by_key.entry((*key).clone()).or_insert_with(|| FusedKey {
                    key: (*key).clone(),
                    score: 0.0,
                    dense: None,
                    lexical: None,
                });
                entry.score += w * s;
                let place = Some((i + 1, *raw));
                match side {
                    Side::Dense => entry.dense = place,
                    Side::Lexical => entry.lexical = place,
                }
            }
        }
        let mut fused: Vec<FusedKey<K>> = by_key.into_values().collect();
        fused.sort_by(|a, b| {
            b.score.total_cmp(&a.score).then_with(|| best_rank(a).cmp(&best_rank(b))).then_with(|| a.key.cmp(&b.key))
        });
        fused
    }

    /// Each entry's score on the method's common scale.
    fn scale<K>(&self, list: &[(&K, f32)]) -> Vec<f32> {
        let scores = list.iter().map(|(_, s)| *s);
        match self.method {
            FusionMethod::Rrf => (1..=list.len()).map(|rank| contribution(self.rrf_k, rank)).collect(),
            FusionMethod::RelativeScore => {
                let (lo, hi) = scores.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), s| (lo.min(s), hi.max(s)));
                list.iter().map(|(_, s)| if hi > lo { (s - lo) / (hi - lo) } else { 1.0 }).collect()
            }
            FusionMethod::Dbsf => {
                let n = list.len().max(1) as f32;
                let mean = scores.clone().sum::<f32>() / n;
                let sd = (scores.map(|s| (s - mean).powi(2)).sum::<f32>() / n).sqrt();
                if sd <= f32::EPSILON {
                    return vec![1.0; list.len()];
                }
                let lo = mean - 3.0 * sd;
                list.iter().map(|(_, s)| ((s - lo) / (6.0 * sd)).clamp(0.0, 1.0)).collect()
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Side {
    Dense,
    Lexical,
}

/// The ranking with each key at its first place only.
fn first_places<K: Hash + Eq>(ranking: &[(K, f32)]) -> Vec<(&K, f32)> {
    let mut seen = std::collections::HashSet::with_capacity(ranking.len());
    ranking.iter().filter(|(k, _)| seen.insert(k)).map(|(k, s)| (k, *s)).collect()
}

/// A single ranking passed through unchanged: score = raw score, rank kept for provenance.
pub(crate) fn single_source(ranking: &[(u64, f32)], is_dense: bool) -> Vec<FusedKey<u64>> {
    ranking
        .iter()
        .enumerate()
        .map(|(i, &(key, raw))| FusedKey {
            key,
            score: raw,
            dense: is_dense.then_some((i + 1, raw)),
            lexical: (!is_dense).then_some((i + 1, raw)),
        })
        .collect()
}

/// The RRF contribution of one rank.
pub fn contribution(rrf_k: f32, rank: usize) -> f32 {
    1.0 / (rrf_k + rank as f32)
}

fn best_rank<K>(f: &FusedKey<K>) -> usize {
    let d = f.dense.map_or(usize::MAX, |(r, _)| r);
    let l = f.lexical.map_or(usize::MAX, |(r, _)| r);
    d.min(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rrf() -> Fusion {
        Fusion { method: FusionMethod::Rrf, rrf_k: 60.0, ..Fusion::default() }
    }

    #[test]
    fn rrf_items_in_both_rankings_win() {
        let dense = [(1, 0.9), (2, 0.8), (3, 0.7)];
        let lexical = [(3, 12.0), (4, 9.0)];
        let fused = rrf().fuse(&dense, &lexical);
        assert_eq!(fused[0].key, 3);
        let expected = 0.5 / 63.0 + 0.5 / 61.0;
        assert!((fused[0].score - expected).abs() < 1e-7);
        assert_eq!(fused[0].dense, Some((3, 0.7)));
        assert_eq!(fused[0].lexical, Some((1, 12.0)));
        assert_eq!(fused.len(), 4);
        // Key 1 (dense rank 1) and key 4 (lexical rank 2) are not tied: 1/61 > 1/62.
        assert_eq!(fused[1].key, 1);
    }

    #[test]
    fn relative_score_rewards_a_clear_winner_over_shared_low_ranks() {
        // Key 1 is far ahead in the dense list; key 9 is last in both.
        let dense = [(1, 0.90), (2, 0.50), (9, 0.49)];
        let lexical = [(3, 20.0), (4, 19.0), (9, 2.0)];
        let fused = Fusion::default().fuse(&dense, &lexical);
        // Keys 1 and 3 tie at 0.5 (each best on one side); ties go by rank, then by key.
        assert_eq!((fused[0].key, fused[1].key), (1, 3));
        assert!(fused.iter().position(|f| f.key == 9) > fused.iter().position(|f| f.key == 4));
        // Under RRF the shared low ranks win.
        assert_eq!(rrf().fuse(&dense, &lexical)[0].key, 9);
    }

    #[test]
    fn weights_and_degenerate_lists() {
        let dense = [(1, 0.9), (2, 0.1)];
        let lexical = [(2, 5.0), (1, 1.0)];
        let lean_dense = Fusion { dense_weight: 0.8, ..Fusion::default() }.fuse(&dense, &lexical);
        assert_eq!(lean_dense[0].key, 1);
        let lean_lexical = Fusion { dense_weight: 0.2, ..Fusion::default() }.fuse(&dense, &lexical);
        assert_eq!(lean_lexical[0].key, 2);
        // One entry, or equal scores: each counts fully; an empty side adds nothing.
        let one = Fusion::default().fuse(&[(7, 0.3)], &[]);
        assert_eq!((one[0].key, one[0].score), (7, 0.5));
        let dbsf = Fusion { method: FusionMethod::Dbsf, ..Fusion::default() }.fuse(&[(1, 2.0), (2, 2.0)], &[]);
        assert!(dbsf.iter().all(|f| f.score == 0.5));
    }

    #[test]
    fn a_key_twice_in_one_ranking_counts_once_and_ties_are_deterministic() {
        let fused = Fusion::default().fuse(&[("a", 0.9), ("a", 0.8), ("b", 0.1)], &[]);
        assert_eq!(fused.len(), 2);
        assert_eq!(fused[0].dense, Some((1, 0.9)));
        let tie = rrf().fuse(&[(7, 0.5)], &[(5, 3.0)]);
        assert_eq!(tie.iter().map(|f| f.key).collect::<Vec<_>>(), vec![5, 7]);
    }

    #[test]
    fn single_source_keeps_raw_scores() {
        let out = single_source(&[(9, 4.5), (8, 2.0)], false);
        assert_eq!(out[1].score, 2.0);
        assert_eq!(out[1].lexical, Some((2, 2.0)));
        assert!(out[1].dense.is_none());
    }
}
