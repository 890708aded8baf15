//! An inverted index of item metadata — modality, kind, tags, entities and source, each
//! value to the set of item keys carrying it — so a filter finds its items without walking
//! the collection, and the filtered HNSW predicate is a few set lookups per visited node.
//!
//! Values are interned: an item's record keeps the small ids of its terms
//! ([`Postings::insert`] returns them), not copies of its tags and entities, and hands
//! them back to [`Postings::remove`] when the item is replaced or deleted.

use std::collections::{HashMap, HashSet};

use crate::filter::Filter;
use crate::item::{ItemMeta, Modality};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Term {
    Modality(Modality),
    Kind(String),
    Tag(String),
    Entity(String),
    Source(String),
}

/// The interned id of a metadata value.
pub(crate) type TermId = u32;

/// Metadata value → keys of the items carrying it.
#[derive(Debug, Default)]
pub(crate) struct Postings {
    ids: HashMap<Term, TermId>,
    /// Indexed by term id: the value, and the keys carrying it. A value nobody carries any
    /// more keeps its (empty) slot, so ids stay stable for the records that hold them.
    terms: Vec<(Term, HashSet<u64>)>,
}

fn terms(meta: &ItemMeta<'_>) -> impl Iterator<Item = Term> {
    std::iter::once(Term::Modality(meta.modality))
        .chain(std::iter::once(Term::Kind(meta.kind.to_string())))
        .chain(meta.tags.iter().map(|t| Term::Tag(t.clone())))
        .chain(meta.entities.iter().map(|e| Term::Entity(e.clone())))
        .chain(meta.source.map(|s| Term::Source(s.to_string())))
}

impl Postings {
    /// Adds `key` to the list of every value of `meta`; returns the ids of those values,
    /// each once: the modality's first, the kind's second (see [`kind`](Self::kind)).
    pub(crate) fn insert(&mut self, key: u64, meta: &ItemMeta<'_>) -> Vec<TermId> {
        let mut ids: Vec<TermId> = Vec::with_capacity(2 + meta.tags.len() + meta.entities.len());
        for term in terms(meta) {
            let id = match self.ids.get(&term) {
                Some(&id) => id,
                None => {
                    let id = TermId::try_from(self.terms.len()).unwrap_or(TermId::MAX);
                    self.ids.insert(term.clone(), id);
                    self.terms.push((term, HashSet::new()));
                    id
                }
            };
            // One item can repeat a tag; it is one posting.
            if !ids.contains(&id) {
                ids.push(id);
            }
            if let Some((_, list)) = self.terms.get_mut(id as usize) {
                list.insert(key);
            }
        }
        ids
    }

    /// Removes `key` from the lists of `terms` (as [`insert`](Self::insert) returned them).
    pub(crate) fn remove(&mut self, key: u64, terms: &[TermId]) {
        for &id in terms {
            if let Some((_, list)) = self.terms.get_mut(id as usize) {
                list.remove(&key);
                if list.is_empty() {
                    // Give the table back; the id stays.
                    *list = HashSet::new();
                }
            }
        }
    }

    /// The kind a term id names (an item's second term, see [`insert`](Self::insert)); empty
    /// for an id that names no kind.
    pub(crate) fn kind(&self, term: TermId) -> &str {
        match self.terms.get(term as usize) {
            Some((Term::Kind(kind), _)) => kind,
            _ => "",
        }
    }

    /// The filter as posting lists: one group per condition, an item matches when every
    /// group has a list holding its key (AND across fields, ANY within one).
    pub(crate) fn matcher(&self, filter: &Filter) -> FilterMatcher<'_> {
        let group = |terms: Vec<Term>| -> Vec<&HashSet<u64>> {
            terms
                .iter()
                .filter_map(|t| self.ids.get(t))
                .filter_map(|&id| self.terms.get(id as usize))
                .map(|(_, list)| list)
                .filter(|list| !list.is_empty())
                .collect()
        };
        let mut groups = Vec::new();
        if let Some(m) = filter.modality {
            groups.push(group(vec![Term::Modality(m)]));
        }
        if !filter.kinds.is_empty() {
            groups.push(group(filter.kinds.iter().cloned().map(Term::Kind).collect()));
        }
        if !filter.tags.is_empty() {
            groups.push(group(filter.tags.iter().cloned().map(Term::Tag).collect()));
        }
        if !filter.entities.is_empty() {
            groups.push(group(filter.entities.iter().cloned().map(Term::Entity).collect()));
        }
        if let Some(s) = &filter.source {
            groups.push(group(vec![Term::Source(s.clone())]));
        }
        FilterMatcher { groups }
    }
}

/// One filter resolved against [`Postings`] (see [`Postings::matcher`]).
pub(crate) struct FilterMatcher<'a> {
    groups: Vec<Vec<&'a HashSet<u64>>>,
}

impl FilterMatcher<'_> {
    /// The most items one group admits: a bound on the matching count.
    fn group_size(group: &[&HashSet<u64>]) -> usize {
        group.iter().map(|l| l.len()).sum()
    }

    /// The matching count when the lists give it without work (one condition with one
    /// value, or a value nobody carries); `None` otherwise.
    pub(crate) fn exact_count(&self) -> Option<usize> {
        if self.groups.iter().any(|g| g.is_empty()) {
            return Some(0);
        }
        match self.groups.as_slice() {
            [only] if only.len() == 1 => Some(only[0].len()),
            _ => None,
        }
    }

    /// Expected matching items out of `total`, taking conditions as independent.
    pub(crate) fn estimate(&self, total: usize) -> f64 {
        if let Some(exact) = self.exact_count() {
            return exact as f64;
        }
        let total = total.max(1) as f64;
        self.groups.iter().fold(total, |acc, g| acc * (Self::group_size(g) as f64 / total).min(1.0))
    }

    /// Whether the item with this key passes the filter.
    pub(crate) fn accepts(&self, key: u64) -> bool {
        self.groups.iter().all(|g| g.iter().any(|l| l.contains(&key)))
    }

    /// Every matching key, ascending: the smallest group's keys that pass the other groups.
    pub(crate) fn matching(&self) -> Vec<u64> {
        let Some(smallest) = self.groups.iter().min_by_key(|g| Self::group_size(g)) else {
            return Vec::new();
        };
        let mut keys: Vec<u64> = smallest.iter().flat_map(|l| l.iter().copied()).filter(|&k| self.accepts(k)).collect();
        keys.sort_unstable();
        // One item can sit in two lists of the same group (tags `a` and `b`).
        keys.dedup();
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::Item;

    fn item(id: u64, modality: Modality, tags: &[&str], source: Option<&str>) -> (u64, Item) {
        let item = Item {
            id: format!("i:{id}"),
            modality,
            kind: if modality == Modality::Image { "image".into() } else { "document".into() },
            title: String::new(),
            text: "x".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            entities: vec![format!("e:{}", id % 3)],
            source: source.map(str::to_string),
        };
        (id, item)
    }

    fn corpus() -> Vec<(u64, Item)> {
        (0..300)
            .map(|i| {
                let modality = if i % 4 == 0 { Modality::Image } else { Modality::Text };
                let mut tags = vec![];
                if i % 2 == 0 {
                    tags.push("even");
                }
                if i % 5 == 0 {
                    tags.push("five");
                }
                item(i, modality, &tags, (i % 7 == 0).then_some("wiki"))
            })
            .collect()
    }

    /// The matching keys by brute force, the definition the index must agree with.
    fn brute(items: &[(u64, Item)], filter: &Filter) -> Vec<u64> {
        items.iter().filter(|(_, it)| filter.matches(&it.meta())).map(|(k, _)| *k).collect()
    }

    #[test]
    fn matcher_agrees_with_filter_matches() {
        let items = corpus();
        let mut postings = Postings::default();
        for (k, it) in &items {
            postings.insert(*k, &it.meta());
        }
        let extra = postings.insert(1_000, &items[1].1.meta());
        assert_eq!(postings.kind(extra[1]), "document");
        assert_eq!(postings.kind(extra[0]), "", "the first term is the modality");
        postings.remove(1_000, &extra);
        let filters = [
            Filter { modality: Some(Modality::Image), ..Filter::default() },
            Filter { tags: vec!["even".into(), "five".into()], ..Filter::default() },
            Filter { tags: vec!["five".into()], modality: Some(Modality::Text), ..Filter::default() },
            Filter { entities: vec!["e:1".into()], source: Some("wiki".into()), ..Filter::default() },
            Filter { kinds: vec!["image".into(), "document".into()], tags: vec!["even".into()], ..Filter::default() },
            Filter { tags: vec!["nobody".into()], ..Filter::default() },
            Filter { source: Some("wiki".into()), tags: vec!["nobody".into(), "five".into()], ..Filter::default() },
        ];
        for filter in &filters {
            let want = brute(&items, filter);
            let matcher = postings.matcher(filter);
            assert_eq!(matcher.matching(), want, "{filter:?}");
            for (k, _) in &items {
                assert_eq!(matcher.accepts(*k), want.contains(k), "{filter:?} key {k}");
            }
            if let Some(exact) = matcher.exact_count() {
                assert_eq!(exact, want.len(), "{filter:?}");
            }
            let estimate = matcher.estimate(items.len());
            assert!(estimate >= 0.0 && estimate <= items.len() as f64, "{filter:?}: {estimate}");
        }
    }

    #[test]
    fn removal_forgets_keys_and_empty_lists() {
        let items = corpus();
        let mut postings = Postings::default();
        let terms: Vec<(u64, Vec<TermId>)> =
            items.iter().map(|(k, it)| (*k, postings.insert(*k, &it.meta()))).collect();
        for (k, t) in &terms {
            postings.remove(*k, t);
        }
        assert!(postings.terms.iter().all(|(_, list)| list.is_empty()));
        let (k, it) = item(7, Modality::Text, &["even", "even"], None);
        let t = postings.insert(k, &it.meta());
        assert_eq!(t.len(), 4, "modality, kind, one tag, one entity: {t:?}");
        postings.remove(k, &t);
        assert!(postings.terms.iter().all(|(_, list)| list.is_empty()), "duplicate tags are one posting");
        let all = Filter { tags: vec!["even".into()], ..Filter::default() };
        assert!(postings.matcher(&all).matching().is_empty());
    }
}
