//! Text normalisation shared by the entity index and queries, so both sides agree on
//! what a word is: lower case, diacritics stripped (NFKD minus combining marks),
//! punctuation as a word break, possessive `'s` dropped, plurals folded to a stem.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// A word of the original text, normalised, with its byte span in that text.
///
/// The normalised forms borrow one buffer per call of [`tokenize`], so a query costs a
/// few allocations, not two per word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    /// Lower-cased, diacritic-free form, e.g. `koalas`.
    pub raw: &'a str,
    /// `raw` with plural endings folded, e.g. `koala`; used for exact matching.
    pub stem: &'a str,
    /// Byte offset of the first character in the original text.
    pub start: usize,
    /// Byte offset just past the last character in the original text.
    pub end: usize,
    /// Every letter was written in upper case (e.g. `FR`), which lets short codes link.
    pub upper: bool,
}

/// A word being read: where its raw form starts in the buffer, its span in the text, and
/// whether it has an upper-case letter.
struct Reading {
    raw_start: usize,
    start: usize,
    end: usize,
    upper: bool,
}

/// A word read: its forms as byte ranges of the buffer, the rest as in [`Token`].
struct Forms {
    raw: (usize, usize),
    stem: (usize, usize),
    start: usize,
    end: usize,
    upper: bool,
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '`' | 'ʼ')
}

/// Splits `text` into normalised word tokens whose forms live in `buf` (cleared first).
pub(crate) fn tokenize<'a>(text: &str, buf: &'a mut String) -> Vec<Token<'a>> {
    buf.clear();
    let mut words: Vec<Forms> = Vec::with_capacity(text.len() / 5 + 1);
    let mut current: Option<Reading> = None;
    let mut has_lower = false;
    let mut prev_was_apostrophe = false;
    let mut token_after_apostrophe = false;
    let mut folded = String::new();

    let mut finish = |buf: &mut String, token: Option<Reading>, has_lower: bool, after_apostrophe: bool| {
        let Some(Reading { raw_start, start, end, upper }) = token else {
            return;
        };
        let raw = &buf[raw_start..];
        // "France's" → "France": the lone "s" after an apostrophe is a possessive.
        if after_apostrophe && raw == "s" {
            buf.truncate(raw_start);
            return;
        }
        let raw_end = buf.len();
        let stem = match stem_cut(raw) {
            StemCut::Keep(len) => (raw_start, raw_start + len),
            StemCut::WithY(len) => {
                buf.extend_from_within(raw_start..raw_start + len);
                buf.push('y');
                (raw_end, buf.len())
            }
        };
        words.push(Forms { raw: (raw_start, raw_end), stem, start, end, upper: upper && !has_lower });
    };

    for (offset, c) in text.char_indices() {
        let is_word = if c.is_ascii() {
            // ASCII has no decompositions or combining marks: skip the Unicode tables.
            c.is_ascii_alphanumeric()
        } else {
            folded.clear();
            decompose_compatible(c, |d| {
                if !is_combining_mark(d) {
                    folded.extend(d.to_lowercase());
                }
            });
            !folded.is_empty() && folded.chars().all(char::is_alphanumeric)
        };
        if is_word {
            let token = current.get_or_insert_with(|| {
                token_after_apostrophe = prev_was_apostrophe;
                has_lower = false;
                Reading { raw_start: buf.len(), start: offset, end: offset, upper: false }
            });
            if c.is_uppercase() {
                token.upper = true;
            } else if c.is_lowercase() {
                has_lower = true;
            }
            if c.is_ascii() {
                buf.push(c.to_ascii_lowercase());
            } else {
                buf.push_str(&folded);
            }
            token.end = offset + c.len_utf8();
        } else {
            finish(buf, current.take(), has_lower, token_after_apostrophe);
        }
        prev_was_apostrophe = is_apostrophe(c);
    }
    finish(buf, current.take(), has_lower, token_after_apostrophe);

    let buf: &'a str = buf;
    words
        .into_iter()
        .map(|s| Token {
            raw: &buf[s.raw.0..s.raw.1],
            stem: &buf[s.stem.0..s.stem.1],
            start: s.start,
            end: s.end,
            upper: s.upper,
        })
        .collect()
}

/// How [`stem_cut`] folds a word: keep its first `n` bytes, or those followed by `y`.
enum StemCut {
    Keep(usize),
    WithY(usize),
}

/// `word` with its plural ending folded, as [`stem_cut`] says.
#[cfg(test)]
fn stem(word: &str) -> String {
    match stem_cut(word) {
        StemCut::Keep(len) => word[..len].to_string(),
        StemCut::WithY(len) => format!("{}y", &word[..len]),
    }
}

/// Folds common English plural endings: `countries` → `country`, `boxes` → `box`,
/// `koalas` → `koala`. Applied to both the index and queries, so an over-eager fold
/// (`paris` → `pari`) is harmless: both sides fold the same way. Says how rather than
/// building the stem, which usually is a prefix of the word.
fn stem_cut(word: &str) -> StemCut {
    let len = word.chars().count();
    if len >= 5 {
        if let Some(base) = word.strip_suffix("ies") {
            return StemCut::WithY(base.len());
        }
        for suffix in ["sses", "xes", "ches", "shes"] {
            if word.ends_with(suffix) {
                return StemCut::Keep(word.len() - 2);
            }
        }
    }
    if len >= 4 && word.ends_with('s') && !word.ends_with("ss") && !word.ends_with("us") {
        return StemCut::Keep(word.len() - 1);
    }
    StemCut::Keep(word.len())
}

/// A word that must not be typo-matched to an entity, nor start or end an alias, whatever
/// the knowledge base: a function word or a general word of questions. (The linker adds the
/// words of the graph's own relation and entity types.)
pub(crate) fn is_stop_word(word: &str) -> bool {
    is_function_word(word) || is_question_word(word)
}

/// Function words ("the", "of", "is"...): never part of a link on their own.
pub(crate) fn is_function_word(word: &str) -> bool {
    FUNCTION_WORDS.binary_search(&word).is_ok()
}

/// General words of questions ("kind", "list", "latest", "picture"...): an entity named just
/// that links only exactly and with low confidence, since the word usually describes the
/// question rather than names a subject.
pub(crate) fn is_question_word(word: &str) -> bool {
    QUESTION_WORDS.binary_search(&word).is_ok()
}

/// Sorted, so lookups are a binary search.
const FUNCTION_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "another", "any", "are",
    "around", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can",
    "contain", "could", "describe", "did", "do", "does", "doing", "down", "during", "each", "explain", "few", "find",
    "for", "from", "further", "give", "had", "has", "have", "having", "he", "her", "here", "hers", "him", "his", "how",
    "i", "if", "in", "into", "is", "it", "its", "many", "me", "more", "most", "much", "my", "near", "no", "nor", "not",
    "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own", "please", "same",
    "she", "should", "show", "so", "some", "such", "tell", "than", "that", "the", "their", "theirs", "them", "then",
    "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "use", "used", "uses",
    "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with",
    "would", "you", "your", "yours",
];

/// Sorted, so lookups are a binary search. General English, no domain's vocabulary.
const QUESTION_WORDS: &[&str] = &[
    "biggest", "example", "examples", "kind", "kinds", "largest", "latest", "list", "name", "names", "newest", "part",
    "people", "photo", "picture", "related", "similar", "smallest", "thing", "things", "today", "type", "types",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted() {
        assert!(FUNCTION_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(QUESTION_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_stop_word("the") && is_stop_word("kinds") && !is_stop_word("koala"));
    }

    #[test]
    fn tokens_keep_original_offsets() {
        let text = "Réunion's  CAPITAL-city";
        let mut buf = String::new();
        let tokens = tokenize(text, &mut buf);
        let raws: Vec<_> = tokens.iter().map(|t| t.raw).collect();
        assert_eq!(raws, ["reunion", "capital", "city"]);
        assert_eq!(&text[tokens[0].start..tokens[0].end], "Réunion");
        assert_eq!(&text[tokens[1].start..tokens[1].end], "CAPITAL");
        assert!(tokens[1].upper);
        assert!(!tokens[0].upper);
    }

    #[test]
    fn plurals_fold() {
        assert_eq!(stem("countries"), "country");
        assert_eq!(stem("koalas"), "koala");
        assert_eq!(stem("boxes"), "box");
        assert_eq!(stem("glass"), "glass");
        assert_eq!(stem("bus"), "bus");
        let mut buf = String::new();
        let raws: Vec<_> = tokenize("Côte d’Ivoire", &mut buf).into_iter().map(|t| t.raw).collect();
        assert_eq!(raws, ["cote", "d", "ivoire"]);
        // Query tokens fold the same way, each with its own raw form beside the stem.
        let forms: Vec<_> =
            tokenize("Countries' BOXES, koala's bus", &mut buf).into_iter().map(|t| (t.raw, t.stem)).collect();
        assert_eq!(forms, [("countries", "country"), ("boxes", "box"), ("koala", "koala"), ("bus", "bus")]);
    }
}
