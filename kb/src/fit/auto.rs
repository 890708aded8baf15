//! Labelled queries written from a knowledge base itself, so the router can be fitted to a
//! user's data without anyone labelling queries (`braid router fit --auto`):
//! - graph: a sample of its relations asked about in several general phrasings, in both
//!   directions, with the relation's own words (name, label, inverse label, aliases) and
//!   its entities' names; path questions between entities two hops apart;
//! - vector: stretches of its documents' sentences, as someone describing what they look
//!   for would word them, and their titles as keyword queries;
//! - web: general freshness phrasings (news, releases, prices, today's…) around its names.
//!
//! The phrasings are general English, not any domain's; which words fill them is the
//! knowledge base's. Sampling is seeded, so the same data gives the same queries.

use std::collections::HashSet;

use braid_router::Route;
use braid_router::lexicon::name_words;

use super::LabelledQuery;
use crate::error::BraidError;
use crate::knowledge_base::KnowledgeBase;

/// How many queries of each route to write.
#[derive(Debug, Clone, Copy)]
pub struct AutoOptions {
    /// Relational and path questions.
    pub graph: usize,
    /// Descriptive questions.
    pub vector: usize,
    /// Fresh-information questions.
    pub web: usize,
    /// Seed of the sampling.
    pub seed: u64,
}

impl Default for AutoOptions {
    fn default() -> Self {
        // About the size of the hand-written training sets of one domain (60–100 queries per
        // route), where the fit's validation loss stopped improving.
        AutoOptions { graph: 240, vector: 160, web: 100, seed: 7 }
    }
}

/// SplitMix64: small, seeded, good enough to sample.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// Ways to ask for the target of a relation from its source (`{s}` the source's name, `{r}`
/// the relation's words).
const FORWARD: &[&str] = &[
    "what is the {r} of {s}",
    "{s} {r}",
    "{r} of {s}",
    "what {r} {s}",
    "show the {r} for {s}",
    "{s} {r}?",
    "tell me {s}'s {r}",
    "list {r} {s}",
];

/// Ways to ask for the sources of a relation from its target (`{t}` the target's name,
/// `{types}` the sources' type in the plural, `{r}` the relation's words).
const REVERSE: &[&str] = &[
    "which {types} {r} {t}",
    "{types} {r} {t}",
    "what {r} {t}",
    "list all {types} that {r} {t}",
    "{t} {r} which {types}",
];

/// Path questions between two entities.
const PATHS: &[&str] = &["how are {a} and {b} connected", "relationship between {a} and {b}", "{a} and {b} in common"];

/// Fresh-information phrasings (`{x}` a name from the knowledge base, or nothing).
const WEB: &[&str] = &[
    "latest news about {x}",
    "{x} release date",
    "what happened with {x} today",
    "current price of {x}",
    "{x} news this week",
    "is {x} down right now",
    "upcoming {x} events 2027",
    "{x} latest version",
    "reviews of {x} this year",
    "weather today",
    "stock market today",
    "who won last night",
    "breaking news",
    "exchange rate today",
];

/// Descriptive openings for a stretch of a document's text.
const DESCRIBE: &[&str] = &["{d}", "something that {d}", "explain {d}", "how does {d}", "why {d}", "{d}?"];

fn plural(word: &str) -> String {
    if word.ends_with('s') || word.ends_with('x') || word.ends_with("ch") || word.ends_with("sh") {
        format!("{word}es")
    } else if word.ends_with('y') && !word.ends_with("ey") && !word.ends_with("ay") && !word.ends_with("oy") {
        format!("{}ies", &word[..word.len() - 1])
    } else {
        format!("{word}s")
    }
}

fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in pairs {
        out = out.replace(k, v);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Labelled queries written from `kb`'s relations, entities and documents.
pub fn synthesize(kb: &KnowledgeBase, options: &AutoOptions) -> Result<Vec<LabelledQuery>, BraidError> {
    let mut rng = Rng(options.seed);
    let schema = kb.schema();
    let mut out: Vec<LabelledQuery> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut push = |query: String, route: Route, gold: Vec<String>, class: &str, out: &mut Vec<LabelledQuery>| {
        if query.len() > 2 && seen.insert(query.to_lowercase()) {
            out.push(LabelledQuery { query, route, also: Vec::new(), gold, class: Some(format!("auto:{class}")) });
        }
    };

    // Graph: relations sampled across types (each type gets its share, frequent or not).
    let relations = kb.sample_relations(options.graph * 4, options.seed)?;
    if !relations.is_empty() {
        for i in 0..options.graph {
            let Some((r, s, t)) = rng.pick(&relations) else { break };
            let Some(kind) = schema.relation(&r.relation) else { continue };
            let mut words: Vec<String> = vec![name_words(&r.relation).join(" ")];
            words.extend(kind.label.iter().cloned());
            words.extend(kind.aliases.iter().cloned());
            let Some(words) = rng.pick(&words).cloned() else { continue };
            let types = kind.source_types.first().map(|t| plural(&name_words(t).join(" "))).unwrap_or_default();
            if i % 7 == 6 {
                if let Some(tpl) = rng.pick(PATHS) {
                    push(fill(tpl, &[("{a}", &s.name), ("{b}", &t.name)]), Route::Graph, Vec::new(), "path", &mut out);
                }
            } else if i % 2 == 0 {
                if let Some(tpl) = rng.pick(FORWARD) {
                    let q = fill(tpl, &[("{s}", &s.name), ("{r}", &words)]);
                    push(q, Route::Graph, vec![t.id.clone()], "forward", &mut out);
                }
            } else if let Some(tpl) = rng.pick(REVERSE) {
                let q = fill(tpl, &[("{t}", &t.name), ("{r}", &words), ("{types}", &types)]);
                push(q, Route::Graph, vec![s.id.clone()], "reverse", &mut out);
            }
        }
    }

    // Vector: stretches of documents' sentences, and titles.
    let documents = kb.sample_documents(options.vector * 2, options.seed)?;
    for (i, d) in documents.iter().enumerate().take(options.vector) {
        let words: Vec<&str> = d.text.split_whitespace().collect();
        if i % 4 == 3 && !d.title.trim().is_empty() {
            push(d.title.to_lowercase(), Route::Vector, vec![d.id.clone()], "title", &mut out);
            continue;
        }
        if words.len() < 4 {
            continue;
        }
        let len = 5 + rng.below(6);
        let start = rng.below(words.len().saturating_sub(len).max(1));
        let stretch: String = words[start..(start + len).min(words.len())]
            .iter()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if let Some(tpl) = rng.pick(DESCRIBE) {
            push(fill(tpl, &[("{d}", &stretch)]), Route::Vector, vec![d.id.clone()], "describe", &mut out);
        }
    }

    // Web: freshness around the knowledge base's names, and none.
    let names: Vec<String> = relations.iter().map(|(_, s, _)| s.name.clone()).collect();
    for _ in 0..options.web {
        let Some(tpl) = rng.pick(WEB) else { break };
        let x = rng.pick(&names).cloned().unwrap_or_default();
        push(fill(tpl, &[("{x}", &x)]), Route::Web, Vec::new(), "fresh", &mut out);
    }
    Ok(out)
}
