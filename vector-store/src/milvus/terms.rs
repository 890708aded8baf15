//! Client-side lexical analysis: the terms Milvus' BM25 functions index and queries match.
//!
//! Milvus Lite 3.2.2 runs the BM25 function, but its analyzer only knows the `standard`
//! tokenizer; an English stemmer is accepted and silently ignored and the `_english_`
//! stop-word set is not recognised (probed). So Braid analyses text on the client with the
//! same English analyzer as the embedded tantivy index (lower-case, stop words, Porter
//! stemmer) and stores and queries analysed terms; Milvus computes real BM25 (IDF, length
//! normalisation) over the same term space. The lexical ranking is, as in tantivy, BM25 over
//! one field holding the title's terms, then the text's (see `lexical.rs` for why one field).

use std::collections::HashSet;

use tantivy::tokenizer::TextAnalyzer;

use super::schema::MAX_VARCHAR_BYTES;
use crate::analyzer::english_analyzer;
use crate::item::Item;

/// The embedded index's English analyzer, producing space-separated terms for Milvus.
pub(super) struct TermAnalyzer {
    analyzer: TextAnalyzer,
}

impl TermAnalyzer {
    /// The analyzer of the embedded store's tantivy index.
    pub(super) fn english() -> Self {
        TermAnalyzer { analyzer: english_analyzer() }
    }

    /// Analysed terms of a text, in order, repeats kept (BM25 counts them).
    fn analyze(&self, text: &str) -> Vec<String> {
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(text);
        let mut terms = Vec::new();
        while stream.advance() {
            terms.push(stream.token().text.clone());
        }
        terms
    }

    /// The text Milvus' BM25 function indexes: the title's terms, then the text's, cut to the
    /// VARCHAR limit at a term boundary (the embedded index's `body` field, analysed).
    pub(super) fn lexical_field(&self, item: &Item) -> String {
        let title = self.analyze(&item.title).join(" ");
        let text = self.analyze(&item.text).join(" ");
        join_terms(&[title.as_str(), text.as_str()])
    }

    /// The analysed terms of one text, cut to the VARCHAR limit at a term boundary.
    pub(super) fn terms_field(&self, text: &str) -> String {
        join_terms(&[self.analyze(text).join(" ").as_str()])
    }

    /// Distinct analysed query terms (at most 256, as the embedded store).
    pub(super) fn query_terms(&self, text: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        self.analyze(text).into_iter().filter(|t| seen.insert(t.clone())).take(256).collect()
    }
}

/// Space-separated terms of `parts`, cut to the VARCHAR limit at a term boundary.
fn join_terms(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for part in parts {
        for term in part.split(' ').filter(|t| !t.is_empty()) {
            if out.len() + term.len() + 1 > MAX_VARCHAR_BYTES {
                return out;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(term);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::Modality;

    #[test]
    fn lexical_field_is_the_title_then_the_text_stemmed() {
        let b = TermAnalyzer::english();
        let item = Item {
            id: "d".into(),
            modality: Modality::Text,
            kind: "document".into(),
            title: "Koalas".into(),
            text: "The koala eats leaves".into(),
            tags: vec![],
            entities: vec![],
            source: None,
        };
        assert_eq!(b.lexical_field(&item), "koala koala eat leav");
        assert_eq!(b.query_terms("the Koala and koalas"), vec!["koala".to_string()]);
    }
}
