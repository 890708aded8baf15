//! General English the parser reads questions with: numbers and scale words, comparison
//! phrases, negation, superlatives and the measures adjectives speak of ("large" is a size,
//! "populous" a population). Nothing here names a knowledge base's relations, types or
//! properties: which property a measure is comes from the property names of the data
//! ([`crate::vocabulary`]).

use braid_graph::plan::{CompareOp, Order};

/// A measure adjectives and nouns speak of, matched to properties by the words of their
/// names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    /// Words a property name of this measure contains (`area_km2`, `installed_size_kib`).
    pub nouns: &'static [&'static str],
    /// Adjectives of more of it (large, larger, largest).
    pub more: &'static [&'static str],
    /// Adjectives of less of it.
    pub less: &'static [&'static str],
    /// Nouns counted in it ("50 million people").
    pub counted: &'static [&'static str],
}

/// The measures, in the order an adjective shared by two is resolved: "the biggest city" is
/// its area when cities have one, else the next measure saying "big" (its population).
pub const MEASURES: &[Measure] = &[
    Measure {
        nouns: &["area", "size", "surface"],
        more: &["large", "big", "huge", "vast"],
        less: &["small", "tiny"],
        counted: &["km2", "km", "square", "kilometres", "kilometers", "miles", "hectares"],
    },
    Measure {
        nouns: &["population"],
        more: &["populous", "populated", "large", "big"],
        less: &["small"],
        counted: &["people", "inhabitants", "residents", "persons"],
    },
    Measure { nouns: &["length"], more: &["long"], less: &["short"], counted: &[] },
    Measure { nouns: &["height", "elevation", "altitude"], more: &["tall", "high"], less: &["low"], counted: &[] },
    Measure { nouns: &["age"], more: &["old"], less: &["young"], counted: &["years"] },
    Measure { nouns: &["weight", "mass"], more: &["heavy"], less: &["light"], counted: &["kg", "tonnes"] },
];

/// Whether `word` is `adjective` or its comparative or superlative ("big", "bigger",
/// "biggest", "large", "larger"), and which.
pub fn degree_of(word: &str, adjective: &str) -> Option<Degree> {
    if word == adjective {
        return Some(Degree::Plain);
    }
    let stem = adjective.strip_suffix('e').unwrap_or(adjective);
    let doubled = adjective.chars().last().map(|c| format!("{adjective}{c}"));
    let y = adjective.strip_suffix('y').map(|s| format!("{s}i"));
    for base in [Some(stem.to_string()), doubled, y].into_iter().flatten() {
        if word.strip_prefix(base.as_str()) == Some("er") {
            return Some(Degree::Comparative);
        }
        if word.strip_prefix(base.as_str()) == Some("est") {
            return Some(Degree::Superlative);
        }
    }
    None
}

/// Plain, comparative or superlative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Degree {
    /// large
    Plain,
    /// larger, more populous
    Comparative,
    /// largest, most populous
    Superlative,
}

/// Words that make an adjective comparative or superlative, and which way.
pub fn degree_word(word: &str) -> Option<(Degree, Order)> {
    Some(match word {
        "more" => (Degree::Comparative, Order::Desc),
        "less" | "fewer" => (Degree::Comparative, Order::Asc),
        "most" => (Degree::Superlative, Order::Desc),
        "least" | "fewest" => (Degree::Superlative, Order::Asc),
        _ => return None,
    })
}

/// Comparison phrases before a number, longest first: the words and the operator.
pub const COMPARISONS: &[(&[&str], CompareOp)] = &[
    (&["more", "than"], CompareOp::Gt),
    (&["greater", "than"], CompareOp::Gt),
    (&["higher", "than"], CompareOp::Gt),
    (&["at", "least"], CompareOp::Ge),
    (&["less", "than"], CompareOp::Lt),
    (&["fewer", "than"], CompareOp::Lt),
    (&["lower", "than"], CompareOp::Lt),
    (&["at", "most"], CompareOp::Le),
    (&["over"], CompareOp::Gt),
    (&["above"], CompareOp::Gt),
    (&["exceeding"], CompareOp::Gt),
    (&["under"], CompareOp::Lt),
    (&["below"], CompareOp::Lt),
    (&["exactly"], CompareOp::Eq),
];

/// Words that deny what follows ("do not", "don't" → "don t", "without").
pub fn is_negation(words: &[&str], i: usize) -> bool {
    match words[i] {
        "not" | "never" | "without" | "non" => true,
        "t" => i > 0 && matches!(words[i - 1], "don" | "doesn" | "isn" | "aren" | "didn" | "wasn" | "weren"),
        _ => false,
    }
}

/// Words that open a count question ("how many", "number of").
pub fn is_count(words: &[&str]) -> bool {
    words.windows(2).any(|w| (w[0] == "how" && w[1] == "many") || (w[0] == "number" && w[1] == "of"))
        || words.first() == Some(&"count")
}

/// Words of a ranking ("the top 5 …"): they name no entity.
pub const RANK_WORDS: &[&str] = &["top", "bottom"];

/// Auxiliaries a yes/no question starts with.
pub const YES_NO_LEADS: &[&str] = &["is", "are", "does", "do", "did", "was", "were", "has", "have", "can"];

/// Number words up to twenty, for "the three largest".
const NUMBER_WORDS: &[&str] = &[
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

/// The number a word says ("3", "three", "1500").
pub fn number_word(word: &str) -> Option<f64> {
    if let Some(n) = NUMBER_WORDS.iter().position(|w| *w == word) {
        return Some(n as f64);
    }
    if word.chars().all(|c| c.is_ascii_digit() || c == '.') && word.chars().any(|c| c.is_ascii_digit()) {
        return word.parse().ok();
    }
    None
}

fn scale(word: &str) -> Option<f64> {
    Some(match word {
        "hundred" => 1e2,
        "thousand" | "k" => 1e3,
        "million" | "millions" | "m" | "mn" => 1e6,
        "billion" | "billions" | "bn" | "b" => 1e9,
        "trillion" => 1e12,
        _ => return None,
    })
}

/// `text` with every number written as plain digits, so that it survives normalisation as
/// one word: "50 million" → "50000000", "1.5k" → "1500", "1,000" → "1000". A number too
/// long to be one (an id) is left as it is.
pub fn canonical_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !chars[i - 1].is_alphanumeric();
        // A sign before digits at the start of a word ("-5", "+1"): normalisation would drop it.
        let sign_starts = i == 0 || chars[i - 1].is_whitespace() || chars[i - 1] == '(';
        if (chars[i] == '-' || chars[i] == '+') && sign_starts && chars.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            if chars[i] == '-' {
                out.push_str("minus ");
            }
            i += 1;
            continue;
        }
        if !(chars[i].is_ascii_digit() && starts_word) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // Digits with thousands separators and one decimal point.
        let mut j = i;
        let mut literal = String::new();
        while j < chars.len() {
            let c = chars[j];
            let next_digit = chars.get(j + 1).is_some_and(|d| d.is_ascii_digit());
            if c.is_ascii_digit() {
                literal.push(c);
            } else if c == ',' && next_digit && !literal.contains('.') {
            } else if c == '.' && next_digit && !literal.contains('.') {
                literal.push('.');
            } else {
                break;
            }
            j += 1;
        }
        let Ok(mut value) = literal.parse::<f64>() else {
            out.extend(&chars[i..j]);
            i = j;
            continue;
        };
        // A scale glued on ("1.5k", "50m") or as the next word ("50 million").
        let mut k = j;
        let glued: String = chars[j..].iter().take_while(|c| c.is_alphabetic()).collect();
        if let Some(s) = scale(&glued.to_lowercase()) {
            value *= s;
            k = j + glued.chars().count();
        } else if glued.is_empty() {
            let spaces = chars[j..].iter().take_while(|c| **c == ' ').count();
            let word: String = chars[j + spaces..].iter().take_while(|c| c.is_alphabetic()).collect();
            if spaces > 0
                && word.len() > 1
                && let Some(s) = scale(&word.to_lowercase())
            {
                value *= s;
                k = j + spaces + word.chars().count();
            }
        }
        if literal.len() > 15 || !value.is_finite() {
            out.extend(&chars[i..k]);
        } else if value.fract() == 0.0 {
            out.push_str(&format!("{}", value as i64));
        } else {
            out.push_str(&format!("{value}"));
        }
        i = k;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_scales_become_digits() {
        assert_eq!(canonical_numbers("more than 50 million people"), "more than 50000000 people");
        assert_eq!(canonical_numbers("over 1.5k stars"), "over 1500 stars");
        assert_eq!(canonical_numbers("smaller than 1,000 km2"), "smaller than 1000 km2");
        assert_eq!(canonical_numbers("2.5 billion"), "2500000000");
        assert_eq!(canonical_numbers("UTC+5:30 in km2"), "UTC+5:30 in km2");
        assert_eq!(canonical_numbers("offset above -5 or +1.5k"), "offset above minus 5 or 1500");
        assert_eq!(canonical_numbers("1.5 meters"), "1.5 meters", "'meters' is no scale");
        assert_eq!(canonical_numbers("iso639 code"), "iso639 code", "digits inside a word stay");
        assert_eq!(number_word("three"), Some(3.0));
        assert_eq!(number_word("1500"), Some(1500.0));
        assert_eq!(number_word("km2"), None);
    }

    #[test]
    fn adjectives_have_degrees() {
        assert_eq!(degree_of("bigger", "big"), Some(Degree::Comparative));
        assert_eq!(degree_of("largest", "large"), Some(Degree::Superlative));
        assert_eq!(degree_of("smallest", "small"), Some(Degree::Superlative));
        assert_eq!(degree_of("heaviest", "heavy"), Some(Degree::Superlative));
        assert_eq!(degree_of("large", "large"), Some(Degree::Plain));
        assert_eq!(degree_of("larva", "large"), None);
        let w: Vec<&str> = "countries that don t use".split(' ').collect();
        assert!(is_negation(&w, 3) && !is_negation(&w, 1));
        assert!(is_count(&["how", "many", "x"]) && !is_count(&["how", "big"]));
    }
}
