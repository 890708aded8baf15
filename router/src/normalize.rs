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

/// Whether `a` and `b` differ by at most one insertion, deletion, substitution or swap of
/// neighbouring letters (optimal string alignment distance ≤ 1).
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    let suffix_equal = |x: &[u8], y: &[u8]| x == y;
    match (ra.len(), rb.len()) {
        (0, 0) => true,
        (la, lb) if la == lb => {
            suffix_equal(&ra[1..], &rb[1..])
                || (la >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && suffix_equal(&ra[2..], &rb[2..]))
        }
        (la, lb) if la > lb => suffix_equal(&ra[1..], rb),
        _ => suffix_equal(ra, &rb[1..]),
    }
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
