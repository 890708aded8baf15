//! Reciprocal rank fusion of a dense and a lexical ranking.
//!
//! RRF ignores raw scores, which live on incomparable scales (cosine vs BM25), and sums
//! `1 / (rrf_k + rank)` over the rankings an item appears in (ranks start at 1). A larger
//! `rrf_k` flattens the advantage of the very top ranks.

use std::collections::HashMap;

/// One fused entry: the item key, its fused score and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FusedKey {
    /// The store's internal key.
    pub key: u64,
    /// Σ 1 / (rrf_k + rank).
    pub score: f32,
    /// 1-based rank and similarity in the dense ranking, if present there.
    pub dense: Option<(usize, f32)>,
    /// 1-based rank and BM25 score in the lexical ranking, if present there.
    pub lexical: Option<(usize, f32)>,
}

/// Fuses two best-first rankings of `(key, raw score)`; the result is best first, ties
/// broken by the better single rank and then by key, so it is deterministic.
pub fn reciprocal_rank_fusion(dense: &[(u64, f32)], lexical: &[(u64, f32)], rrf_k: f32) -> Vec<FusedKey> {
    let mut by_key: HashMap<u64, FusedKey> = HashMap::with_capacity(dense.len() + lexical.len());
    for (i, &(key, raw)) in dense.iter().enumerate() {
        let rank = i + 1;
        let entry = by_key.entry(key).or_insert_with(|| empty(key));
        if entry.dense.is_none() {
            entry.dense = Some((rank, raw));
            entry.score += contribution(rrf_k, rank);
        }
    }
    for (i, &(key, raw)) in lexical.iter().enumerate() {
        let rank = i + 1;
        let entry = by_key.entry(key).or_insert_with(|| empty(key));
        if entry.lexical.is_none() {
            entry.lexical = Some((rank, raw));
            entry.score += contribution(rrf_k, rank);
        }
    }
    let mut fused: Vec<FusedKey> = by_key.into_values().collect();
    fused.sort_by(|a, b| {
        b.score.total_cmp(&a.score).then_with(|| best_rank(a).cmp(&best_rank(b))).then_with(|| a.key.cmp(&b.key))
    });
    fused
}

/// A single ranking passed through unchanged: score = raw score, rank kept for provenance.
pub fn single_source(ranking: &[(u64, f32)], is_dense: bool) -> Vec<FusedKey> {
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

fn empty(key: u64) -> FusedKey {
    FusedKey { key, score: 0.0, dense: None, lexical: None }
}

fn best_rank(f: &FusedKey) -> usize {
    let d = f.dense.map_or(usize::MAX, |(r, _)| r);
    let l = f.lexical.map_or(usize::MAX, |(r, _)| r);
    d.min(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_in_both_rankings_win() {
        let dense = [(1, 0.9), (2, 0.8), (3, 0.7)];
        let lexical = [(3, 12.0), (4, 9.0)];
        let fused = reciprocal_rank_fusion(&dense, &lexical, 60.0);
        assert_eq!(fused[0].key, 3);
        let expected = 1.0 / 63.0 + 1.0 / 61.0;
        assert!((fused[0].score - expected).abs() < 1e-7);
        assert_eq!(fused[0].dense, Some((3, 0.7)));
        assert_eq!(fused[0].lexical, Some((1, 12.0)));
        assert_eq!(fused.len(), 4);
        // Key 1 (dense rank 1) and key 4 (lexical rank 2) are not tied: 1/61 > 1/62.
        assert_eq!(fused[1].key, 1);
    }

    #[test]
    fn ties_are_deterministic() {
        let fused = reciprocal_rank_fusion(&[(7, 0.5)], &[(5, 3.0)], 60.0);
        assert_eq!(fused.iter().map(|f| f.key).collect::<Vec<_>>(), vec![5, 7]);
    }

    #[test]
    fn single_source_keeps_raw_scores() {
        let out = single_source(&[(9, 4.5), (8, 2.0)], false);
        assert_eq!(out[1].score, 2.0);
        assert_eq!(out[1].lexical, Some((2, 2.0)));
        assert!(out[1].dense.is_none());
    }
}
