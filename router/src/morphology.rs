//! A small, general English morphology: the roots a word is matched by, so that a relation
//! named `directed_by` is recognised in "who directed", "directs", "director" and "direction",
//! and `depends_on` in "dependencies". Roots are snowball (Porter 2) stems; agent nouns
//! (-er, -or) and nominalisations (-ion, -ment, -ence, -ancy…) are undone first, and common
//! irregular verbs map to their base. Nothing here knows a domain.
//!
//! ```
//! use braid_router::morphology::{Form, forms};
//! let director = forms("director");
//! assert!(director.iter().any(|f| f.root == "direct" && f.form == Form::Agent));
//! let directed = forms("directed");
//! assert!(directed.iter().any(|f| f.root == "direct" && f.form == Form::Plain));
//! assert!(forms("wrote").iter().any(|f| f.root == "write"));
//! ```

use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

/// How a word relates to its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// The word itself or an inflection (directs, directed, directing, dependencies as a noun).
    Plain,
    /// A noun naming who does it (director, maintainer, provider).
    Agent,
    /// A noun naming the act or its result (direction, dependency, maintenance).
    Nominal,
}

/// One root of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordForm {
    /// The root, a snowball stem.
    pub root: String,
    /// How the word is formed from it.
    pub form: Form,
}

/// Roots shorter than this are not matched: "us" (from "user") or "ow" would match far too
/// much.
pub const MIN_ROOT_CHARS: usize = 3;

/// Agent suffixes, longest first.
const AGENT_SUFFIXES: &[&str] = &["ers", "ors", "er", "or"];
/// Nominal suffixes with what replaces them, longest first.
const NOMINAL_SUFFIXES: &[(&str, &str)] = &[
    ("encies", ""),
    ("ancies", ""),
    ("ements", ""),
    ("ments", ""),
    ("ences", ""),
    ("ances", ""),
    ("ation", "e"),
    ("ition", "e"),
    ("ency", ""),
    ("ancy", ""),
    ("ment", ""),
    ("ence", ""),
    ("ance", ""),
    ("ions", ""),
    ("ion", ""),
    ("al", ""),
];

/// Common irregular English verbs: (a past or participle form, its base).
const IRREGULAR: &[(&str, &str)] = &[
    ("ate", "eat"),
    ("became", "become"),
    ("began", "begin"),
    ("begun", "begin"),
    ("bore", "bear"),
    ("born", "bear"),
    ("borne", "bear"),
    ("bought", "buy"),
    ("bred", "breed"),
    ("broke", "break"),
    ("broken", "break"),
    ("brought", "bring"),
    ("built", "build"),
    ("came", "come"),
    ("caught", "catch"),
    ("chose", "choose"),
    ("chosen", "choose"),
    ("dealt", "deal"),
    ("did", "do"),
    ("done", "do"),
    ("drawn", "draw"),
    ("drew", "draw"),
    ("driven", "drive"),
    ("drove", "drive"),
    ("eaten", "eat"),
    ("fed", "feed"),
    ("fell", "fall"),
    ("fallen", "fall"),
    ("felt", "feel"),
    ("fought", "fight"),
    ("found", "find"),
    ("flew", "fly"),
    ("flown", "fly"),
    ("forgot", "forget"),
    ("forgotten", "forget"),
    ("froze", "freeze"),
    ("frozen", "freeze"),
    ("gave", "give"),
    ("given", "give"),
    ("gone", "go"),
    ("got", "get"),
    ("gotten", "get"),
    ("grew", "grow"),
    ("grown", "grow"),
    ("had", "have"),
    ("heard", "hear"),
    ("held", "hold"),
    ("hid", "hide"),
    ("hidden", "hide"),
    ("kept", "keep"),
    ("knew", "know"),
    ("known", "know"),
    ("led", "lead"),
    ("left", "leave"),
    ("lent", "lend"),
    ("lost", "lose"),
    ("made", "make"),
    ("meant", "mean"),
    ("paid", "pay"),
    ("ran", "run"),
    ("ridden", "ride"),
    ("rode", "ride"),
    ("risen", "rise"),
    ("rose", "rise"),
    ("said", "say"),
    ("sang", "sing"),
    ("sung", "sing"),
    ("saw", "see"),
    ("seen", "see"),
    ("sent", "send"),
    ("shaken", "shake"),
    ("shook", "shake"),
    ("shot", "shoot"),
    ("sold", "sell"),
    ("sought", "seek"),
    ("spent", "spend"),
    ("spoke", "speak"),
    ("spoken", "speak"),
    ("spun", "spin"),
    ("stole", "steal"),
    ("stolen", "steal"),
    ("stood", "stand"),
    ("struck", "strike"),
    ("swam", "swim"),
    ("swum", "swim"),
    ("taken", "take"),
    ("took", "take"),
    ("taught", "teach"),
    ("thought", "think"),
    ("threw", "throw"),
    ("thrown", "throw"),
    ("told", "tell"),
    ("understood", "understand"),
    ("went", "go"),
    ("woke", "wake"),
    ("woken", "wake"),
    ("won", "win"),
    ("wore", "wear"),
    ("worn", "wear"),
    ("written", "write"),
    ("wrote", "write"),
];

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// The snowball stem of a lower-case word.
pub fn stem(word: &str) -> String {
    let base = IRREGULAR.iter().find(|(form, _)| *form == word).map_or(word, |(_, base)| base);
    stemmer().stem(base).into_owned()
}

/// The roots `word` (lower case) may be matched by, with how it is formed from each; the
/// stem of the word itself comes first. Roots shorter than [`MIN_ROOT_CHARS`] are left out.
pub fn forms(word: &str) -> Vec<WordForm> {
    let mut out: Vec<WordForm> = Vec::with_capacity(3);
    let mut push = |root: String, form: Form| {
        if root.chars().count() < MIN_ROOT_CHARS {
            return;
        }
        match out.iter_mut().find(|f| f.root == root) {
            // The stemmer already took the suffix off ("direction" → "direct"): the word is
            // still the noun, not the verb.
            Some(existing) if existing.form == Form::Plain => existing.form = form,
            Some(_) => {}
            None => out.push(WordForm { root, form }),
        }
    };
    push(stem(word), Form::Plain);
    // Agent and nominal readings need a stem long enough to be a word of its own.
    let long_enough = |rest: &str| rest.chars().count() >= 4;
    for suffix in AGENT_SUFFIXES {
        if let Some(rest) = word.strip_suffix(suffix).filter(|r| long_enough(r)) {
            push(stem(rest), Form::Agent);
            // "provider" → "provide", "producer" → "produce".
            push(stem(&format!("{rest}e")), Form::Agent);
            break;
        }
    }
    for (suffix, replacement) in NOMINAL_SUFFIXES {
        if let Some(rest) = word.strip_suffix(suffix).filter(|r| long_enough(r)) {
            push(stem(&format!("{rest}{replacement}")), Form::Nominal);
            if !replacement.is_empty() {
                push(stem(rest), Form::Nominal);
            }
            break;
        }
    }
    out
}

/// Function words: they carry no relation (`is_a`'s "is" and "a", `depends_on`'s "on") and
/// are never matched by root.
pub fn is_function_word(word: &str) -> bool {
    FUNCTION_WORDS.binary_search(&word).is_ok()
}

/// Sorted, for the binary search.
const FUNCTION_WORDS: &[&str] = &[
    "a", "about", "above", "after", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "been", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down",
    "during", "each", "else", "every", "few", "for", "from", "get", "gets", "had", "has", "have", "having", "he",
    "her", "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "many", "may",
    "me", "might", "more", "most", "much", "must", "my", "no", "nor", "not", "of", "off", "on", "once", "only", "or",
    "other", "our", "out", "over", "own", "same", "shall", "she", "should", "so", "some", "such", "than", "that",
    "the", "their", "them", "then", "there", "these", "they", "this", "those", "through", "to", "too", "under",
    "until", "up", "upon", "very", "via", "was", "we", "were", "what", "when", "where", "which", "while", "who",
    "whom", "whose", "why", "will", "with", "within", "without", "would", "you", "your",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(word: &str) -> Vec<(String, Form)> {
        forms(word).into_iter().map(|f| (f.root, f.form)).collect()
    }

    #[test]
    fn inflections_agents_and_nominals_share_a_root() {
        for w in ["direct", "directs", "directed", "directing"] {
            assert_eq!(forms(w)[0].root, "direct", "{w}");
        }
        assert!(roots("director").contains(&("direct".into(), Form::Agent)));
        assert!(roots("directors").contains(&("direct".into(), Form::Agent)));
        assert!(roots("direction").contains(&("direct".into(), Form::Nominal)));
        assert!(roots("maintainer").contains(&("maintain".into(), Form::Agent)));
        assert!(roots("provider").iter().any(|(r, f)| *r == stem("provides") && *f == Form::Agent));
        assert!(roots("dependencies").iter().any(|(r, f)| *r == stem("depends") && *f == Form::Nominal));
        assert!(roots("dependency").iter().any(|(r, f)| *r == stem("depend") && *f == Form::Nominal));
        assert!(roots("location").iter().any(|(r, _)| *r == stem("located")));
        assert_eq!(stem("wrote"), stem("write"));
        assert_eq!(stem("built"), stem("build"));
    }

    #[test]
    fn short_words_make_no_agent_or_nominal_readings() {
        // "user" is not "us" + "er", "order" is not "ord" + "er".
        assert!(forms("user").iter().all(|f| f.form == Form::Plain));
        assert!(forms("order").iter().all(|f| f.form == Form::Plain));
        assert!(forms("at").is_empty(), "too short to match");
    }

    #[test]
    fn function_words_are_sorted_and_found() {
        assert!(FUNCTION_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_function_word("by") && is_function_word("of") && !is_function_word("border"));
    }
}
