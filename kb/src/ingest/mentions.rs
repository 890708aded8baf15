//! Mentions: the graph's entity linker run over a passage (or a caption), kept only where it
//! is sure, so a document reaches the graph through the entities it talks about.
//!
//! The linker was built for queries, where a typo is likely and a vague word may still be the
//! subject. Prose differs: it is long (every common word gets its chance to match something)
//! and carefully written. So over passages the linker runs without typo tolerance and a
//! mention is kept only when its confidence clears [`MentionOptions::min_confidence`] (which
//! is low for aliases and for names made of generic words) and, when several entities share
//! the name, when the best of them leads the next by [`MentionOptions::min_margin`] (the
//! linker ranks them by how connected they are; equals stay unresolved). A name written with a capital
//! (a proper name, "Turkey", "Option") is not taken from a mention in lower case ("turkey",
//! "option"), where it is usually an ordinary word; and an entity whose name is one
//! lower-case word ("time", "rose", "point") is not taken from a one-word mention, since in
//! prose such a word is far more often the word than a reference to the entity of that name
//! (a module called `time`, the flower called rose). Names in several words, proper names,
//! and names with digits or the marks of code (`hash_map`, `i32`, `std::vec`) are kept. The thresholds are measured on labelled
//! passages: see BENCHMARKS.md, "Files ingest".

use std::collections::{BTreeMap, HashMap};

use braid_graph::{Graph, LinkMethod, LinkOptions};
use serde::Serialize;

use super::file_records::MENTIONS;
use crate::records::{DocumentRecord, ImageRecord, Relation};

/// How sure a mention must be to be kept.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MentionOptions {
    /// Lowest linker confidence kept. Exact names score 0.75–1.0 and aliases 0.6–0.75 by how
    /// unambiguous they are; generic names score 0.4× that. At 0.7 (the default), on the
    /// labelled sample, precision is 0.93 and recall 0.71 (BENCHMARKS.md, "Files ingest").
    pub min_confidence: f32,
    /// For a name several entities share: how much more confident than the runner-up the
    /// best must be. Default 0.1.
    pub min_margin: f32,
    /// Keep a mention in lower case of a name written with a capital. Default `false`.
    pub case_insensitive_names: bool,
    /// Keep one-word mentions of entities whose name is a lower-case word (a common noun,
    /// `time`, `rose`). Default `false`.
    pub bare_words: bool,
}

impl Default for MentionOptions {
    fn default() -> Self {
        MentionOptions {
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            min_margin: DEFAULT_MIN_MARGIN,
            case_insensitive_names: false,
            bare_words: false,
        }
    }
}

/// See [`MentionOptions::min_confidence`].
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.7;
/// See [`MentionOptions::min_margin`].
pub const DEFAULT_MIN_MARGIN: f32 = 0.1;

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
        if !options.bare_words && is_bare_word(&l.name, &l.mention) {
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
        g
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
        assert!(!ids.iter().any(|id| id.starts_with("a:")), "Mercury is ambiguous three ways: {ids:?}");
        let france = found.iter().find(|m| m.entity == "country:FRA").map(|m| m.count);
        assert_eq!(france, Some(2), "name and alias");
        // A typo is not a mention in prose.
        assert!(find_mentions(&g, "Frnace is large", &MentionOptions::default()).is_empty());
        // Looser options keep more.
        let loose =
            MentionOptions { min_confidence: 0.1, min_margin: 0.0, case_insensitive_names: true, bare_words: true };
        let ids: Vec<String> = find_mentions(&g, text, &loose).into_iter().map(|m| m.entity).collect();
        for id in ["country:TUR", "concept:animal", "concept:koala"] {
            assert!(ids.contains(&id.to_string()), "{id}: {ids:?}");
        }
    }
}
