//! Exact phrase matching over words: which stored phrases (word sequences) occur in a
//! sequence of query words, leftmost-longest and whole words only.
//!
//! A trie whose edges are words, not bytes: a query costs one hash lookup per word, plus
//! one per further word of a phrase that continues, so a ten-word query touches a few
//! dozen cache lines however many phrases are stored (WordNet has ~150,000).
//!
//! ```text
//! phrases: "new york", "new york city", "york"    query: "new york city and york"
//! matches: 0..3 "new york city", 4..5 "york"
//! ```

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

/// No node, or no phrase.
const NONE: u32 = u32::MAX;

/// A distinct word of the stored phrases.
#[derive(Debug, Clone, Copy)]
struct Word {
    /// Number of the word, for trie edges.
    id: u32,
    /// Trie node of the one-word prefix, or [`NONE`] when no phrase starts with the word.
    node: u32,
}

/// A trie node: a prefix of at least one stored phrase.
#[derive(Debug, Clone, Copy)]
struct Node {
    /// The phrase this prefix is, or [`NONE`].
    phrase: u32,
    /// Some phrase continues past this prefix, so the next word is worth a lookup.
    has_children: bool,
}

/// A set of phrases, each numbered in order of first insertion.
#[derive(Debug, Default)]
pub(crate) struct PhraseIndex {
    words: HashMap<Box<str>, Word, FxBuildHasher>,
    /// `(node, word id)` → child node, for the second word of a phrase on.
    edges: HashMap<(u32, u32), u32, FxBuildHasher>,
    nodes: Vec<Node>,
    phrases: u32,
}

/// One occurrence of a phrase: query words `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhraseMatch {
    pub start: usize,
    pub end: usize,
    /// Number of the phrase, as [`PhraseIndex::insert`] returned it.
    pub phrase: usize,
}

impl PhraseIndex {
    /// Adds a phrase; returns its number, the same as before if it was already added.
    /// `None` for an empty phrase or when the index is full (2³² − 1 nodes or phrases).
    pub(crate) fn insert<'w>(&mut self, phrase: impl IntoIterator<Item = &'w str>) -> Option<usize> {
        fn new_node(nodes: &mut Vec<Node>) -> Option<u32> {
            let id = u32::try_from(nodes.len()).ok().filter(|&id| id != NONE)?;
            nodes.push(Node { phrase: NONE, has_children: false });
            Some(id)
        }
        let Self { words, edges, nodes, phrases } = self;
        let mut node = NONE;
        for word in phrase {
            let next_id = u32::try_from(words.len()).ok().filter(|&id| id != NONE)?;
            if !words.contains_key(word) {
                words.insert(word.into(), Word { id: next_id, node: NONE });
            }
            let entry = words.get_mut(word)?;
            node = if node == NONE {
                if entry.node == NONE {
                    entry.node = new_node(nodes)?;
                }
                entry.node
            } else {
                let parent = node as usize;
                let child = match edges.get(&(node, entry.id)) {
                    Some(&child) => child,
                    None => {
                        let child = new_node(nodes)?;
                        edges.insert((node, entry.id), child);
                        child
                    }
                };
                nodes[parent].has_children = true;
                child
            };
        }
        let slot = &mut nodes.get_mut(node as usize)?.phrase;
        if *slot == NONE {
            if *phrases == NONE {
                return None;
            }
            *slot = *phrases;
            *phrases += 1;
        }
        Some(*slot as usize)
    }

    /// Non-overlapping occurrences in `query`, left to right: at each position the
    /// longest phrase starting there, the search resuming after it.
    pub(crate) fn find_iter<'a>(&'a self, query: &[&str]) -> impl Iterator<Item = PhraseMatch> + 'a {
        let words: Vec<Option<Word>> = query.iter().map(|w| self.words.get(*w).copied()).collect();
        let mut at = 0;
        std::iter::from_fn(move || {
            while at < words.len() {
                let start = at;
                let mut best = None;
                let mut node = words[start].map_or(NONE, |w| w.node);
                let mut end = start + 1;
                while let Some(&Node { phrase, has_children }) = self.nodes.get(node as usize) {
                    if phrase != NONE {
                        best = Some((end, phrase as usize));
                    }
                    let Some(Some(next)) = words.get(end).filter(|_| has_children) else {
                        break;
                    };
                    node = self.edges.get(&(node, next.id)).copied().unwrap_or(NONE);
                    end += 1;
                }
                match best {
                    Some((end, phrase)) => {
                        at = end;
                        return Some(PhraseMatch { start, end, phrase });
                    }
                    None => at += 1,
                }
            }
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        text.split(' ').collect()
    }

    fn matches(index: &PhraseIndex, query: &str) -> Vec<(usize, usize, usize)> {
        index.find_iter(&words(query)).map(|m| (m.start, m.end, m.phrase)).collect()
    }

    #[test]
    fn phrases_are_numbered_once() {
        let mut index = PhraseIndex::default();
        assert_eq!(index.insert(words("new york")), Some(0));
        assert_eq!(index.insert(words("york")), Some(1));
        assert_eq!(index.insert(words("new york")), Some(0));
        assert_eq!(index.insert(words("new")), Some(2));
        assert_eq!(index.insert([]), None);
    }

    #[test]
    fn matches_are_leftmost_longest_and_whole_words() {
        let mut index = PhraseIndex::default();
        for phrase in ["new york", "new york city", "york", "city hall", "hall"] {
            index.insert(words(phrase));
        }
        // "new york city" wins at 0, so "city hall" (2..4) is not tried; "hall" is.
        assert_eq!(matches(&index, "new york city hall"), [(0, 3, 1), (3, 4, 4)]);
        // A prefix that is no phrase ("new") falls back to later starts.
        assert_eq!(matches(&index, "new jersey york"), [(2, 3, 2)]);
        // The longest phrase is kept when a longer prefix then fails.
        assert_eq!(matches(&index, "new york town"), [(0, 2, 0)]);
        // Words match whole: "yorkshire" is not "york".
        assert!(matches(&index, "yorkshire newyork").is_empty());
        assert!(matches(&index, "").is_empty());
    }
}
