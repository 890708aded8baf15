//! Mentions: the graph's entity linker run over a passage (or a caption), kept only where it
//! is sure, so a document reaches the graph through the entities it talks about.
//!
//! The linker was built for queries, where a typo is likely and a vague word may still be the
//! subject. Prose differs: it is long, so every common word gets its chance to match some
//! entity's name, and it is carefully written. So over passages the linker runs without typo
//! tolerance, and a match is kept only when it passes every rule below, each of which removes
//! a kind of false match seen in labelled passages (BENCHMARKS.md, "Files ingest", measures
//! each one):
//!
//! - its confidence is at least [`MentionOptions::min_confidence`] (low for aliases shared by
//!   several entities and for names made of generic words); of entities sharing a name, the
//!   best connected is taken;
//! - a name with a capital ("Turkey", "Option") is not taken from a mention in lower case
//!   ("turkey", "option");
//! - the mention spells a name or alias of the entity as written: the same case but for the
//!   first letter, the same punctuation (`SELECT` is not `Select`, `hash map` not `hash_map`);
//! - an alias of three characters or fewer (`TV`, `IQ`) is not taken: prose uses such
//!   letters as abbreviations of other things;
//! - an entity named by one lower-case word ("time", "rose", "point") is not taken from a
//!   one-word mention, nor is a capitalised word whose capital is its position's (a sentence's
//!   first word, a title's words) when the text also writes it in lower case: in prose such
//!   a word is far more often the word than the entity of that name (a module called `time`).
//!
//! Names in several words, proper names, and names with digits or the marks of code
//! (`hash_map`, `i32`, `std::vec::Vec`) go through. What the rules cost is recall: a concept
//! named by a common noun is only linked through a longer name or alias.

use std::collections::{BTreeMap, HashMap};

use braid_graph::{Graph, LinkMethod, LinkOptions};
use serde::Serialize;

use super::file_records::MENTIONS;
use crate::records::{DocumentRecord, ImageRecord, Relation};

/// How sure a mention must be to be kept.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MentionOptions {
    /// Lowest linker confidence kept. Exact names score 0.75–1.0 and aliases 0.6–0.75 by how
    /// unambiguous they are; generic names score 0.4× that. At 0.7 (the default), with the
    /// other rules, 60 labelled passages give precision 0.89 and recall 0.34; at 0.8, 0.90
    /// and 0.32 (BENCHMARKS.md, "Files ingest").
    pub min_confidence: f32,
    /// For a name several entities share: how much more confident than the runner-up the
    /// best (the best connected) must be. Default 0: on the labelled sample a margin lost
    /// recall and no precision, since most ties there are one item documented at two paths.
    pub min_margin: f32,
    /// Keep a mention in lower case of a name written with a capital. Default `false`.
    pub case_insensitive_names: bool,
    /// Keep one-word mentions of entities whose name is a lower-case word (a common noun,
    /// `time`, `rose`), and a capitalised word that starts a sentence when the passage also
    /// has it in lower case ("Traits and trait bounds…"). Default `false`.
    pub bare_words: bool,
    /// Keep mentions spelled otherwise than every name and alias of the entity: in another
    /// case beyond the first letter (`SELECT` for `Select`) or with other punctuation
    /// (`hash map` for `hash_map`, `result: ok` for `Result::ok`). Default `false`.
    pub loose_spelling: bool,
    /// Keep aliases of three characters or fewer (`TV`, `IQ`, `MW`), which prose uses as
    /// abbreviations of other things far more often than as codes. Default `false`.
    pub short_aliases: bool,
}

impl Default for MentionOptions {
    fn default() -> Self {
        MentionOptions {
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            min_margin: DEFAULT_MIN_MARGIN,
            case_insensitive_names: false,
            bare_words: false,
            loose_spelling: false,
            short_aliases: false,
        }
    }
}

impl MentionOptions {
    /// Every exact or alias match, ambiguous or not, however written: what the rules above
    /// start from (for measuring them).
    pub fn loosest() -> MentionOptions {
        MentionOptions {
            min_confidence: 0.0,
            min_margin: 0.0,
            case_insensitive_names: true,
            bare_words: true,
            loose_spelling: true,
            short_aliases: true,
        }
    }
}

/// See [`MentionOptions::min_confidence`].
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.7;
/// See [`MentionOptions::min_margin`].
pub const DEFAULT_MIN_MARGIN: f32 = 0.0;

/// An entity a text mentions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mention {
    /// The entity.
    pub entity: String,
    /// The best confidence among its mentions.
    pub confidence: f32,
    /// How many times it is mentioned.
    pub count: usize,
}

/// The entities `text` mentions, surest first (ties by id).
pub fn find_mentions(graph: &Graph, text: &str, options: &MentionOptions) -> Vec<Mention> {
    let link = LinkOptions { fuzzy: false, max_candidates_per_mention: 2, ..LinkOptions::default() };
    let mut found: HashMap<String, Mention> = HashMap::new();
    let links = graph.link_with(text, &link);
    for (i, l) in links.iter().enumerate() {
        // Candidates of one mention share its span, best first.
        let same_span = |o: &&braid_graph::EntityLink| o.start == l.start && o.end == l.end;
        if i > 0 && same_span(&&links[i - 1]) {
            continue;
        }
        let runner_up = links.get(i + 1).filter(same_span).map_or(0.0, |o| o.confidence);
        if l.method == LinkMethod::Fuzzy
            || l.confidence < options.min_confidence
            || l.confidence - runner_up < options.min_margin
        {
            continue;
        }
        if !options.case_insensitive_names && proper_name_in_lower_case(&l.name, &l.mention) {
            continue;
        }
        if !options.bare_words
            && (is_bare_word(&l.name, &l.mention) || common_word_capitalised_by_position(text, l.start, &l.mention))
        {
            continue;
        }
        if !options.short_aliases && l.method == LinkMethod::Alias && l.mention.trim().chars().count() <= 3 {
            continue;
        }
        if !options.loose_spelling
            && let Some(e) = graph.entity(&l.entity_id)
            && !std::iter::once(&e.name).chain(&e.aliases).any(|surface| spells(&l.mention, surface))
        {
            continue;
        }
        let m = found.entry(l.entity_id.clone()).or_insert(Mention {
            entity: l.entity_id.clone(),
            confidence: 0.0,
            count: 0,
        });
        m.confidence = m.confidence.max(l.confidence);
        m.count += 1;
    }
    let mut out: Vec<Mention> = found.into_values().collect();
    out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then_with(|| a.entity.cmp(&b.entity)));
    out
}

/// Links the passages and captions of one file: each document record (and image) gets the
/// entities its text mentions added to its links, and the `mentions` relations from its
/// section (the part of a long section counts as the section; the text before the first
/// heading as the document) or image are returned, with the best confidence and the count.
/// `heading` gives the heading (or title) linked along with a passage's text.
pub(crate) fn link_records(
    graph: &Graph,
    documents: &mut [DocumentRecord],
    images: &mut [&mut ImageRecord],
    heading: impl Fn(&DocumentRecord) -> String,
    options: &MentionOptions,
) -> Vec<Relation> {
    // (source entity, mentioned entity) → (confidence, count)
    let mut found: BTreeMap<(String, String), (f32, usize)> = BTreeMap::new();
    let mut add = |source: &str, m: Mention, links: &mut Vec<String>| {
        if !links.contains(&m.entity) {
            links.push(m.entity.clone());
        }
        let entry = found.entry((source.to_string(), m.entity)).or_insert((0.0, 0));
        entry.0 = entry.0.max(m.confidence);
        entry.1 += m.count;
    };
    for d in documents.iter_mut() {
        let source = section_of(&d.id).to_string();
        let text = format!("{}\n{}", heading(d), d.text);
        for m in find_mentions(graph, &text, options) {
            add(&source, m, &mut d.entities);
        }
    }
    for img in images.iter_mut() {
        for m in find_mentions(graph, &img.caption, options) {
            add(&img.id.clone(), m, &mut img.depicts);
        }
    }
    found
        .into_iter()
        .map(|((source, target), (confidence, count))| {
            let mut r = Relation::new(source, MENTIONS, target);
            // Three decimals: the linker's confidence is no finer than that.
            r.props.insert("confidence".into(), (f64::from((confidence * 1000.0).round()) / 1000.0).into());
            r.props.insert("count".into(), count.into());
            r
        })
        .collect()
}

/// The entity a passage of a file belongs to: its section (a part of a long section belongs
/// to the section), or the document for the text before the first heading.
pub(crate) fn section_of(passage: &str) -> &str {
    passage.split("~part-").next().unwrap_or(passage)
}

/// A capitalised word whose capital may be its position's rather than its own — the start of
/// a sentence, or a run of capitalised words as in a title ("Accepting Command Line
/// Arguments") — when the text also writes it in lower case elsewhere ("Traits and trait
/// bounds…"): then it is the common word.
fn common_word_capitalised_by_position(text: &str, start: usize, mention: &str) -> bool {
    let mut chars = mention.chars();
    let capitalised = chars.next().is_some_and(char::is_uppercase) && chars.all(char::is_lowercase);
    if !capitalised {
        return false;
    }
    let before = text.get(..start).unwrap_or_default().trim_end_matches([' ', '\t']);
    let after = text.get(start + mention.len()..).unwrap_or_default().trim_start_matches([' ', '\t']);
    let word_starts_upper = |w: Option<&str>| w.and_then(|w| w.chars().next()).is_some_and(char::is_uppercase);
    let at_sentence_start = before.is_empty() || before.ends_with(['.', '!', '?', ':', '\n']);
    let in_title = word_starts_upper(before.rsplit(char::is_whitespace).next())
        || word_starts_upper(after.split(char::is_whitespace).next());
    let lower = mention.to_lowercase();
    (at_sentence_start || in_title) && text.split(|c: char| !c.is_alphanumeric() && c != '_').any(|w| w == lower)
}

/// Whether `mention` writes `surface` as it is written: the same letters in the same case but
/// for the first, the same punctuation, whitespace collapsed; a plural ending (`s`, `es`, `y`
/// → `ies`) allowed.
fn spells(mention: &str, surface: &str) -> bool {
    let collapse = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (m, s) = (collapse(mention), collapse(surface));
    let same = |a: &str, b: &str| {
        let (mut x, mut y) = (a.chars(), b.chars());
        match (x.next(), y.next()) {
            (Some(p), Some(q)) => p.to_lowercase().eq(q.to_lowercase()) && x.as_str() == y.as_str(),
            (None, None) => true,
            _ => false,
        }
    };
    same(&m, &s)
        || ["s", "es"].iter().any(|suffix| m.strip_suffix(suffix).is_some_and(|stem| same(stem, &s)))
        || matches!((m.strip_suffix("ies"), s.strip_suffix('y')), (Some(a), Some(b)) if same(a, b))
}

/// A name that starts with a capital letter, mentioned without one: "turkey" for Turkey.
/// Code spells identifiers exactly, so a mention that looks like code (`::`, `_`, `()`)
/// is judged by the same rule.
fn proper_name_in_lower_case(name: &str, mention: &str) -> bool {
    let starts_upper = |s: &str| s.chars().find(|c| c.is_alphabetic()).is_some_and(char::is_uppercase);
    starts_upper(name) && !starts_upper(mention)
}

/// A mention that is one word of letters naming an entity whose name is written in lower
/// case: a common noun ("time", "rose", "Koalas" at the start of a sentence), not a proper
/// name ("Paris") nor an identifier (`hash_map`, `i32`).
fn is_bare_word(name: &str, mention: &str) -> bool {
    let name_is_common = name.chars().next().is_some_and(char::is_lowercase);
    name_is_common && !mention.is_empty() && mention.chars().all(char::is_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Entity, Relation};

    fn graph() -> Graph {
        let mut g = Graph::new();
        for e in [
            Entity::new("country:TUR", "Turkey", "country"),
            Entity::new("country:FRA", "France", "country").with_aliases(["French Republic"]),
            Entity::new("concept:koala", "koala", "concept"),
            Entity::new("concept:animal", "animal", "concept"),
            Entity::new("a:1", "Mercury", "planet"),
            Entity::new("a:2", "Mercury", "element"),
            Entity::new("a:3", "Mercury", "god"),
        ] {
            assert!(g.upsert_entity(e).is_ok());
        }
        assert!(g.add_relation(Relation::new("country:FRA", "borders", "country:TUR")).is_ok());
        assert!(g.add_relation(Relation::new("a:1", "orbits", "a:1")).is_ok());
        g
    }

    #[test]
    fn mentions_are_spelled_as_names_are() {
        assert!(spells("Koalas", "koala") && spells("koala", "Koala") && spells("libraries", "library"));
        assert!(spells("std::collections::HashMap", "std::collections::HashMap"));
        assert!(spells("United  States", "United States"));
        assert!(!spells("SELECT", "Select"), "case beyond the first letter");
        assert!(!spells("hash map", "hash_map") && !spells("result: ok", "Result::ok"), "punctuation");
        let text = "Trait bounds and trait objects. Rust is fast. Option is an enum. Accepting Command Line \
                    Arguments: the command line arguments.";
        let at = |w: &str| text.find(w).unwrap_or(0);
        assert!(common_word_capitalised_by_position(text, 0, "Trait"), "a sentence's capital");
        assert!(common_word_capitalised_by_position(text, at("Command"), "Command"), "a title's capital");
        assert!(common_word_capitalised_by_position(text, at("Arguments"), "Arguments"));
        assert!(!common_word_capitalised_by_position(text, at("Rust"), "Rust"), "never in lower case");
        assert!(!common_word_capitalised_by_position(text, at("Option"), "Option"));
    }

    #[test]
    fn bare_words_are_one_word_mentions_of_lower_case_names() {
        assert!(is_bare_word("time", "time"));
        assert!(is_bare_word("koala", "Koalas"));
        assert!(!is_bare_word("Paris", "Paris"));
        for (name, mention) in [("hash_map", "hash_map"), ("i32", "i32"), ("sea lion", "sea lion"), ("time", "")] {
            assert!(!is_bare_word(name, mention), "{mention}");
        }
    }

    #[test]
    fn sure_mentions_are_kept_and_vague_ones_dropped() {
        let g = graph();
        let text = "Koalas are not found in France. The French Republic exports cheese. We ate turkey. \
                    A koala is an animal. Mercury is bright.";
        let found = find_mentions(&g, text, &MentionOptions::default());
        let ids: Vec<&str> = found.iter().map(|m| m.entity.as_str()).collect();
        assert!(ids.contains(&"country:FRA"), "{ids:?}");
        assert!(!ids.contains(&"concept:koala"), "one bare lower-case word: {ids:?}");
        assert!(!ids.contains(&"country:TUR"), "turkey in lower case is the bird: {ids:?}");
        assert!(!ids.contains(&"concept:animal"), "a generic word: {ids:?}");
        // Mercury is three entities: the best connected (the planet, with a relation) wins by
        // default; with a margin, equals are left unresolved.
        assert!(ids.contains(&"a:1") && !ids.contains(&"a:2") && !ids.contains(&"a:3"), "{ids:?}");
        let strict = MentionOptions { min_margin: 0.5, ..MentionOptions::default() };
        let ids: Vec<String> = find_mentions(&g, text, &strict).into_iter().map(|m| m.entity).collect();
        assert!(!ids.iter().any(|id| id.starts_with("a:")), "{ids:?}");
        let france = found.iter().find(|m| m.entity == "country:FRA").map(|m| m.count);
        assert_eq!(france, Some(2), "name and alias");
        // A typo is not a mention in prose.
        assert!(find_mentions(&g, "Frnace is large", &MentionOptions::default()).is_empty());
        // Looser options keep more.
        let loose = MentionOptions::loosest();
        let ids: Vec<String> = find_mentions(&g, text, &loose).into_iter().map(|m| m.entity).collect();
        for id in ["country:TUR", "concept:animal", "concept:koala"] {
            assert!(ids.contains(&id.to_string()), "{id}: {ids:?}");
        }
    }
}
