//! Long documents are indexed as overlapping passages, so no part of them is lost to an
//! embedder's input limit (MiniLM reads 256 tokens, about 190 words) and a hit points at the
//! part that matched.
//!
//! A document of at most [`PASSAGE_WORDS`] words is one item with the document's id, as
//! before. A longer one becomes passages of whole sentences, up to [`PASSAGE_WORDS`] words
//! each, the next starting with the last sentences of the previous (about [`OVERLAP_WORDS`]
//! words) so a fact that straddles a cut is whole in one of them. Passages are items
//! `{id}#{n}` (n from 1) of kind `passage`, each embedded with the document's title; the
//! vector route reports them as their document. Splitting is deterministic, so the stored
//! concatenation of passage vectors can be cut apart again at start-up.
//!
//! ```
//! use braid_kb::passages::split;
//! let short = split("A koala eats eucalyptus.");
//! assert_eq!(short, vec!["A koala eats eucalyptus.".to_string()]);
//! let long = "The koala climbs trees. ".repeat(100);
//! let parts = split(&long);
//! assert!(parts.len() > 1 && parts.iter().all(|p| p.split_whitespace().count() <= 190));
//! ```

/// Longest passage, in words (MiniLM's 256 tokens hold about this many English words).
pub const PASSAGE_WORDS: usize = 180;
/// Words of the previous passage that the next one repeats, at most.
pub const OVERLAP_WORDS: usize = 40;
/// The item kind of a passage in the vector index.
pub const PASSAGE_KIND: &str = "passage";

/// The passages of `text`: the text itself when it is short, else overlapping runs of
/// whole sentences (a sentence longer than a passage is cut by words).
pub fn split(text: &str) -> Vec<String> {
    let words = text.split_whitespace().count();
    if words <= PASSAGE_WORDS {
        return vec![text.to_string()];
    }
    let mut sentences: Vec<Vec<&str>> = Vec::new();
    for sentence in sentences_of(text) {
        let w: Vec<&str> = sentence.split_whitespace().collect();
        // A sentence longer than a passage is cut into passage-sized pieces.
        for piece in w.chunks(PASSAGE_WORDS - OVERLAP_WORDS) {
            sentences.push(piece.to_vec());
        }
    }
    let mut passages = Vec::new();
    let mut start = 0;
    while start < sentences.len() {
        let mut end = start;
        let mut count = 0;
        while end < sentences.len() && (end == start || count + sentences[end].len() <= PASSAGE_WORDS) {
            count += sentences[end].len();
            end += 1;
        }
        passages.push(sentences[start..end].iter().map(|s| s.join(" ")).collect::<Vec<_>>().join(" "));
        if end == sentences.len() {
            break;
        }
        // Step back over whole sentences worth at most OVERLAP_WORDS, but always move on.
        let mut next = end;
        let mut overlap = 0;
        while next > start + 1 && overlap + sentences[next - 1].len() <= OVERLAP_WORDS {
            overlap += sentences[next - 1].len();
            next -= 1;
        }
        start = next;
    }
    passages
}

/// `text` from its sentence sharing the most words with `query` (the first sentence when
/// none does), so a snippet shows why a long passage matched.
pub fn from_best_sentence<'a>(text: &'a str, query: &str) -> &'a str {
    let words = |s: &str| -> std::collections::HashSet<String> {
        s.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() > 2).map(str::to_lowercase).collect()
    };
    let wanted = words(query);
    let mut best = (0, text);
    let mut offset = 0;
    for sentence in sentences_of(text) {
        let shared = words(sentence).intersection(&wanted).count();
        if shared > best.0 {
            best = (shared, &text[offset..]);
        }
        offset += sentence.len();
    }
    best.1.trim_start()
}

/// The id of passage `n` (from 1) of document `id`.
pub fn passage_id(id: &str, n: usize) -> String {
    format!("{id}#{n}")
}

/// The document a passage item belongs to.
pub fn document_of(passage_id: &str) -> &str {
    passage_id.rsplit_once('#').map_or(passage_id, |(doc, _)| doc)
}

/// Sentences: cut after `.`, `!` or `?` followed by whitespace.
pub(crate) fn sentences_of(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?') && bytes.get(i + 1).is_some_and(|b| b.is_ascii_whitespace()) {
            out.push(&text[start..=i]);
            start = i + 1;
        }
    }
    if start < text.len() && !text[start..].trim().is_empty() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_becomes_overlapping_passages_that_cover_every_sentence() {
        let text: String = (0..60).map(|i| format!("Sentence number {i} has exactly seven words. ")).collect();
        let parts = split(&text);
        assert!(parts.len() >= 3, "{}", parts.len());
        for p in &parts {
            assert!(p.split_whitespace().count() <= PASSAGE_WORDS, "{p}");
            assert!(p.ends_with('.'), "passages end at sentence ends: {p}");
        }
        for i in 0..60 {
            let s = format!("Sentence number {i} has");
            assert!(parts.iter().any(|p| p.contains(&s)), "sentence {i} lost");
        }
        // Consecutive passages share their boundary sentences.
        for pair in parts.windows(2) {
            let last = pair[0].rsplit(". ").next().unwrap_or_default();
            assert!(pair[1].contains(last.trim_end_matches('.')), "no overlap between {pair:?}");
        }
        assert_eq!(split(&text), parts, "deterministic");
    }

    #[test]
    fn a_sentence_longer_than_a_passage_is_cut_by_words() {
        let text = "word ".repeat(1000);
        let parts = split(&text);
        assert!(parts.iter().all(|p| p.split_whitespace().count() <= PASSAGE_WORDS));
        let total: usize = parts.iter().map(|p| p.split_whitespace().count()).sum();
        assert!(total >= 1000, "every word is in some passage");
    }

    #[test]
    fn snippets_start_at_the_sentence_that_matched() {
        let text = "Harbours are busy. Ships come and go. The zanzibar pelican nests under the bridge. Boats rest.";
        assert!(from_best_sentence(text, "where does the zanzibar pelican nest").starts_with("The zanzibar pelican"));
        assert_eq!(from_best_sentence(text, "nothing shared"), text);
    }

    #[test]
    fn ids_round_trip_even_when_the_document_id_has_a_hash() {
        assert_eq!(document_of(&passage_id("doc:a#b", 3)), "doc:a#b");
        assert_eq!(split("short text"), ["short text"]);
    }
}
