//! Variety in the fused list: maximal marginal relevance (MMR) and modality interleaving.
//!
//! Fused hits carry no vectors, so MMR measures redundancy by the words two hits share
//! (Jaccard over the distinct words of title and snippet): near-duplicate passages and
//! pages about one thing push each other down, while hits from different corners stay.

use std::collections::HashSet;

use crate::hit::{FusedHit, Modality};

/// Greedy MMR (Carbonell & Goldstein, 1998): repeatedly takes the hit maximising
/// `(1 − diversity) · relevance − diversity · max similarity to the hits already taken`,
/// where relevance is the fused score scaled to [0, 1]. `diversity` = 0 keeps the order.
pub fn mmr(hits: Vec<FusedHit>, diversity: f32, k: usize) -> Vec<FusedHit> {
    if diversity <= 0.0 || hits.len() <= 1 {
        let mut hits = hits;
        hits.truncate(k);
        return hits;
    }
    let top = hits.iter().map(|h| h.score).fold(f32::MIN, f32::max);
    let relevance: Vec<f32> = hits.iter().map(|h| if top > 0.0 { h.score / top } else { 1.0 }).collect();
    let words: Vec<HashSet<String>> = hits.iter().map(word_set).collect();
    let mut left: Vec<usize> = (0..hits.len()).collect();
    let mut taken: Vec<usize> = Vec::with_capacity(k.min(hits.len()));
    // Most similar already-taken hit, per remaining hit; updated as hits are taken.
    let mut redundancy = vec![0f32; hits.len()];
    while taken.len() < k && !left.is_empty() {
        let (pos, _) = left
            .iter()
            .enumerate()
            .map(|(pos, &i)| (pos, (1.0 - diversity) * relevance[i] - diversity * redundancy[i]))
            // Ties go to the earlier (more relevant) hit, so the result is deterministic.
            .fold((0, f32::MIN), |best, (pos, v)| if v > best.1 { (pos, v) } else { best });
        let chosen = left.remove(pos);
        for &i in &left {
            redundancy[i] = redundancy[i].max(jaccard(&words[i], &words[chosen]));
        }
        taken.push(chosen);
    }
    let mut slots: Vec<Option<FusedHit>> = hits.into_iter().map(Some).collect();
    taken.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// Alternates text and image hits, starting with the modality of the best hit and keeping
/// each modality's own order; when one runs out the other continues.
pub fn interleave_modalities(hits: Vec<FusedHit>, k: usize) -> Vec<FusedHit> {
    let first = hits.first().map_or(Modality::Text, |h| h.modality);
    let (a, b): (Vec<FusedHit>, Vec<FusedHit>) = hits.into_iter().partition(|h| h.modality == first);
    let (mut a, mut b) = (a.into_iter(), b.into_iter());
    let mut out = Vec::with_capacity(k);
    while out.len() < k {
        let next = if out.len() % 2 == 0 { a.next().or_else(|| b.next()) } else { b.next().or_else(|| a.next()) };
        match next {
            Some(h) => out.push(h),
            None => break,
        }
    }
    out
}

fn word_set(hit: &FusedHit) -> HashSet<String> {
    format!("{} {}", hit.title, hit.snippet)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 2)
        .map(str::to_lowercase)
        .collect()
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(b).count();
    shared as f32 / (a.len() + b.len() - shared) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hit::HitKind;

    fn hit(id: &str, modality: Modality, score: f32, title: &str) -> FusedHit {
        FusedHit {
            id: id.into(),
            kind: if modality == Modality::Image { HitKind::Image } else { HitKind::Document },
            modality,
            title: title.into(),
            snippet: String::new(),
            uri: None,
            thumbnail: None,
            score,
            facts: vec![],
            sources: vec![],
        }
    }

    #[test]
    fn mmr_pushes_near_duplicates_down_and_zero_keeps_the_order() {
        let hits = vec![
            hit("a", Modality::Text, 1.0, "koala eats eucalyptus leaves in australia"),
            hit("a2", Modality::Text, 0.95, "koala eats eucalyptus leaves in australia daily"),
            hit("b", Modality::Text, 0.8, "kangaroo hops across the outback"),
        ];
        let ids = |v: Vec<FusedHit>| v.into_iter().map(|h| h.id).collect::<Vec<_>>();
        assert_eq!(ids(mmr(hits.clone(), 0.0, 3)), ["a", "a2", "b"]);
        assert_eq!(ids(mmr(hits.clone(), 0.5, 3)), ["a", "b", "a2"]);
        assert_eq!(ids(mmr(hits, 0.5, 2)), ["a", "b"]);
        assert!(mmr(Vec::new(), 0.5, 3).is_empty());
    }

    #[test]
    fn interleaving_alternates_and_keeps_each_modality_in_order() {
        let hits = vec![
            hit("t1", Modality::Text, 5.0, ""),
            hit("t2", Modality::Text, 4.0, ""),
            hit("t3", Modality::Text, 3.0, ""),
            hit("i1", Modality::Image, 2.0, ""),
            hit("i2", Modality::Image, 1.0, ""),
        ];
        let ids: Vec<String> = interleave_modalities(hits.clone(), 10).into_iter().map(|h| h.id).collect();
        assert_eq!(ids, ["t1", "i1", "t2", "i2", "t3"]);
        let ids: Vec<String> = interleave_modalities(hits, 3).into_iter().map(|h| h.id).collect();
        assert_eq!(ids, ["t1", "i1", "t2"]);
        let only_text = vec![hit("x", Modality::Text, 1.0, ""), hit("y", Modality::Text, 0.5, "")];
        let ids: Vec<String> = interleave_modalities(only_text, 10).into_iter().map(|h| h.id).collect();
        assert_eq!(ids, ["x", "y"]);
    }
}
