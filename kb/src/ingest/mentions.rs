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
//! "option"), where it is usually an ordinary word. The thresholds are measured on labelled
//! passages: see BENCHMARKS.md, "Files ingest".

use std::collections::HashMap;

use braid_graph::{Graph, LinkMethod, LinkOptions};
use serde::Serialize;

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
}

impl Default for MentionOptions {
    fn default() -> Self {
        MentionOptions {
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            min_margin: DEFAULT_MIN_MARGIN,
            case_insensitive_names: false,
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

/// A name that starts with a capital letter, mentioned without one: "turkey" for Turkey.
/// Code spells identifiers exactly, so a mention that looks like code (`::`, `_`, `()`)
/// is judged by the same rule.
fn proper_name_in_lower_case(name: &str, mention: &str) -> bool {
    let starts_upper = |s: &str| s.chars().find(|c| c.is_alphabetic()).is_some_and(char::is_uppercase);
    starts_upper(name) && !starts_upper(mention)
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
    fn sure_mentions_are_kept_and_vague_ones_dropped() {
        let g = graph();
        let text = "Koalas are not found in France. The French Republic exports cheese. We ate turkey. \
                    A koala is an animal. Mercury is bright.";
        let found = find_mentions(&g, text, &MentionOptions::default());
        let ids: Vec<&str> = found.iter().map(|m| m.entity.as_str()).collect();
        assert!(ids.contains(&"country:FRA") && ids.contains(&"concept:koala"), "{ids:?}");
        assert!(!ids.contains(&"country:TUR"), "turkey in lower case is the bird: {ids:?}");
        assert!(!ids.contains(&"concept:animal"), "a generic word: {ids:?}");
        assert!(!ids.iter().any(|id| id.starts_with("a:")), "Mercury is ambiguous three ways: {ids:?}");
        let france = found.iter().find(|m| m.entity == "country:FRA").map(|m| m.count);
        assert_eq!(france, Some(2), "name and alias");
        // A typo is not a mention in prose.
        assert!(find_mentions(&g, "Frnace is large", &MentionOptions::default()).is_empty());
        // Looser options keep more.
        let loose = MentionOptions { min_confidence: 0.1, min_margin: 0.0, case_insensitive_names: true };
        let ids: Vec<String> = find_mentions(&g, text, &loose).into_iter().map(|m| m.entity).collect();
        assert!(ids.contains(&"country:TUR".to_string()) && ids.contains(&"concept:animal".to_string()), "{ids:?}");
    }
}
