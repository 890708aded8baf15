//! An inverted index of item metadata — modality, kind, tags, entities and source, each
//! value to the set of item keys carrying it — so a filter finds its items without walking
//! the collection, and the filtered HNSW predicate is a few set lookups per visited node.

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

/// Metadata value → keys of the items carrying it.
#[derive(Debug, Default)]
pub(crate) struct Postings {
    lists: HashMap<Term, HashSet<u64>>,
}

fn terms(meta: &ItemMeta<'_>) -> impl Iterator<Item = Term> {
    std::iter::once(Term::Modality(meta.modality))
        .chain(std::iter::once(Term::Kind(meta.kind.to_string())))
        .chain(meta.tags.iter().map(|t| Term::Tag(t.clone())))
        .chain(meta.entities.iter().map(|e| Term::Entity(e.clone())))
        .chain(meta.source.map(|s| Term::Source(s.to_string())))
}

impl Postings {
    pub(crate) fn insert(&mut self, key: u64, meta: &ItemMeta<'_>) {
        for term in terms(meta) {
            self.lists.entry(term).or_default().insert(key);
        }
    }

    pub(crate) fn remove(&mut self, key: u64, meta: &ItemMeta<'_>) {
        for term in terms(meta) {
            if let Some(list) = self.lists.get_mut(&term) {
                list.remove(&key);
                if list.is_empty() {
                    self.lists.remove(&term);
                }
            }
        }
    }

    /// The filter as posting lists: one group per condition, an item matches when every
    /// group has a list holding its key (AND across fields, ANY within one).
    pub(crate) fn matcher(&self, filter: &Filter) -> FilterMatcher<'_> {
        let group =
            |terms: Vec<Term>| -> Vec<&HashSet<u64>> { terms.iter().filter_map(|t| self.lists.get(t)).collect() };
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
        for (k, it) in &items {
            postings.insert(*k, &it.meta());
        }
        for (k, it) in &items {
            postings.remove(*k, &it.meta());
        }
        assert!(postings.lists.is_empty());
        let (k, it) = item(7, Modality::Text, &["even", "even"], None);
        postings.insert(k, &it.meta());
        postings.remove(k, &it.meta());
        assert!(postings.lists.is_empty(), "duplicate tags are one posting");
    }
}
