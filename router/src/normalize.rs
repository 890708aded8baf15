//! Text normalisation shared by cue matching: case, diacritics, punctuation.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lowercases, strips diacritics (NFKD without combining marks), keeps apostrophes inside
/// words out (so "France's" → "france s") and folds every other non-alphanumeric to one space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Whether `phrase` (already normalised) occurs in `padded` (normalised text wrapped in
/// single spaces) as whole words.
pub fn contains_phrase(padded: &str, phrase: &str) -> bool {
    // Match the phrase, then check the spaces around it: no needle string is built, since
    // introspection calls this for every cue of every lexicon (planning latency).
    let bytes = padded.as_bytes();
    padded.match_indices(phrase).any(|(start, _)| {
        let end = start + phrase.len();
        start > 0 && bytes[start - 1] == b' ' && bytes.get(end) == Some(&b' ')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_diacritics_and_punctuation() {
        assert_eq!(normalize("  République  Française!? "), "republique francaise");
        assert_eq!(normalize("France's borders"), "france s borders");
        assert!(contains_phrase(" which countries border france ", "border"));
        assert!(!contains_phrase(" which countries borders france ", "border"));
    }
}
