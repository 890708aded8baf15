//! Entity linking: finds mentions of entities in free text.
//!
//! Exact matching runs one Aho–Corasick automaton (leftmost-longest) over the
//! normalised names and aliases. Both patterns and the query are written as
//! `" w1  w2 "` — every word wrapped in its own pair of spaces — so a match can only
//! start and end on word boundaries, and adjacent matches never compete for a space.
//! Words left unlinked then get a typo-tolerant lookup in a deletion index
//! ([`crate::fuzzy`]). The index is built once per graph version and shared by readers.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use petgraph::stable_graph::NodeIndex;

use crate::fuzzy::{FuzzyIndex, allowed_distance};
use crate::graph::Graph;
use crate::model::{EntityLink, LinkMethod, LinkOptions};
use crate::normalize::{Token, is_function_word, is_stop_word, tokenize};

/// Aliases this short (e.g. `FR`, `FRA`, `pol`) link only when written in upper case,
/// so ordinary words like "is" or "run" in a query do not.
const SHORT_ALIAS_CHARS: usize = 3;

/// Shortest word that gets typo-tolerant matching, on both sides.
const MIN_FUZZY_CHARS: usize = 5;

/// Longest name, in words, that gets typo-tolerant matching ("New Zeland").
const MAX_FUZZY_WORDS: usize = 3;

/// One way an entity can be written.
#[derive(Debug, Clone)]
struct Surface {
    node: NodeIndex,
    method: LinkMethod,
    /// A short code (e.g. `FR`, `Fr`, `pol`): links only when written exactly so, or in
    /// upper case for a lower-case code; holds the alias as written.
    short_code: Option<String>,
    /// The normalised words before plural folding, space separated.
    raw: String,
    /// Number of relations of the entity: the prominence prior.
    degree: usize,
    /// A name made only of question vocabulary ("animal"): linked with low confidence.
    generic: bool,
}

/// Confidence multiplier of a generic name, e.g. the concept "animal".
const GENERIC_NAME_FACTOR: f32 = 0.4;

/// The linking index of one graph version.
#[derive(Debug)]
pub(crate) struct LinkIndex {
    automaton: Option<AhoCorasick>,
    /// Per automaton pattern, the surfaces that normalise to it.
    patterns: Vec<Vec<Surface>>,
    fuzzy: FuzzyIndex,
    /// Per fuzzy dictionary word, the surfaces written that way.
    fuzzy_surfaces: Vec<Vec<Surface>>,
}

impl LinkIndex {
    fn build(graph: &Graph) -> Self {
        let mut pattern_ids: HashMap<String, usize> = HashMap::new();
        let mut pattern_keys: Vec<String> = Vec::new();
        let mut patterns: Vec<Vec<Surface>> = Vec::new();
        let mut fuzzy_ids: HashMap<String, usize> = HashMap::new();
        let mut fuzzy_words: Vec<String> = Vec::new();
        let mut fuzzy_surfaces: Vec<Vec<Surface>> = Vec::new();

        for node in graph.graph.node_indices() {
            let entity = &graph.graph[node];
            let degree = graph.node_degree(node);
            let names = std::iter::once((entity.name.as_str(), LinkMethod::Exact))
                .chain(entity.aliases.iter().map(|alias| (alias.as_str(), LinkMethod::Alias)));
            for (text, method) in names {
                let tokens = tokenize(text);
                let generic = tokens.iter().all(|t| is_stop_word(&t.raw) || is_stop_word(&t.stem));
                if !is_linkable(&tokens) || (method == LinkMethod::Alias && (generic || is_descriptive(&tokens))) {
                    continue;
                }
                let short_code = (method == LinkMethod::Alias
                    && tokens.len() == 1
                    && tokens[0].raw.chars().count() <= SHORT_ALIAS_CHARS)
                    .then(|| text.trim().to_string());
                let surface = Surface { node, method, short_code, raw: join_raw(&tokens), degree, generic };
                let key = pattern_key(&tokens);
                let id = *pattern_ids.entry(key).or_insert_with_key(|key| {
                    pattern_keys.push(key.clone());
                    patterns.push(Vec::new());
                    patterns.len() - 1
                });
                add_surface(&mut patterns[id], surface.clone());

                if tokens.len() <= MAX_FUZZY_WORDS && !generic && surface.raw.chars().count() >= MIN_FUZZY_CHARS {
                    let word = &surface.raw;
                    let id = *fuzzy_ids.entry(word.clone()).or_insert_with(|| {
                        fuzzy_words.push(word.clone());
                        fuzzy_surfaces.push(Vec::new());
                        fuzzy_surfaces.len() - 1
                    });
                    add_surface(&mut fuzzy_surfaces[id], surface);
                }
            }
        }

        // Building can only fail on pathological pattern sets; linking then degrades to
        // "no exact matches" instead of failing the query.
        let automaton = (!pattern_keys.is_empty())
            .then(|| AhoCorasickBuilder::new().match_kind(MatchKind::LeftmostLongest).build(&pattern_keys).ok())
            .flatten();
        Self { automaton, patterns, fuzzy: FuzzyIndex::build(fuzzy_words.iter().map(String::as_str)), fuzzy_surfaces }
    }
}

/// A surface worth indexing: some word that is not a function word, longer than a letter.
fn is_linkable(tokens: &[Token]) -> bool {
    !tokens.is_empty()
        && tokens.iter().any(|t| !is_function_word(&t.raw) && !is_function_word(&t.stem))
        && tokens.iter().map(|t| t.raw.chars().count()).sum::<usize>() >= 2
}

/// An alias that starts or ends with a question word, like "capital of Kenya" or
/// "Indian capital", describes its entity through a relation the graph already holds; as a
/// pattern it would swallow the mention of the other entity ("Kenya").
fn is_descriptive(tokens: &[Token]) -> bool {
    let stop = |t: &Token| is_stop_word(&t.raw) || is_stop_word(&t.stem);
    tokens.len() > 1 && (tokens.first().is_some_and(stop) || tokens.last().is_some_and(stop))
}

/// Whether a short code may link to the mention as written in the query: a code with
/// capitals (`FR`, `Fr`) only as written; a lower-case code (`run`, `deu`) only in upper
/// case (`DEU`), since in lower case it is an ordinary word.
fn code_matches(code: &str, written: &str) -> bool {
    if code.chars().any(char::is_uppercase) {
        code == written
    } else {
        !written.chars().any(char::is_lowercase) && code.to_uppercase() == written
    }
}

/// Keeps one surface per entity per pattern, the better method winning.
fn add_surface(surfaces: &mut Vec<Surface>, surface: Surface) {
    match surfaces.iter_mut().find(|s| s.node == surface.node) {
        Some(existing) => {
            if method_rank(surface.method, 0) < method_rank(existing.method, 0)
                || (existing.short_code.is_some() && surface.short_code.is_none())
            {
                *existing = surface;
            }
        }
        None => surfaces.push(surface),
    }
}

fn pattern_key(tokens: &[Token]) -> String {
    let mut key = String::new();
    for token in tokens {
        key.push(' ');
        key.push_str(&token.stem);
        key.push(' ');
    }
    key
}

fn join_raw(tokens: &[Token]) -> String {
    let mut joined = String::with_capacity(tokens.iter().map(|t| t.raw.len() + 1).sum());
    for (i, token) in tokens.iter().enumerate() {
        if i > 0 {
            joined.push(' ');
        }
        joined.push_str(&token.raw);
    }
    joined
}

/// Whether `joined` is `join_raw(tokens)`, without building it.
fn equals_joined(joined: &str, tokens: &[Token]) -> bool {
    let mut rest = joined;
    for (i, token) in tokens.iter().enumerate() {
        if i > 0 {
            let Some(after) = rest.strip_prefix(' ') else {
                return false;
            };
            rest = after;
        }
        let Some(after) = rest.strip_prefix(token.raw.as_str()) else {
            return false;
        };
        rest = after;
    }
    rest.is_empty()
}

/// Lower is better: name, alias, one typo, two typos.
fn method_rank(method: LinkMethod, distance: usize) -> usize {
    match method {
        LinkMethod::Exact => 0,
        LinkMethod::Alias => 1,
        LinkMethod::Fuzzy => 1 + distance.max(1),
    }
}

/// Confidence band `(low, high]` of each method rank, so confidences order candidates
/// by method first and prominence second.
fn confidence_band(rank: usize) -> (f32, f32) {
    match rank {
        0 => (0.75, 1.0),
        1 => (0.6, 0.75),
        2 => (0.4, 0.6),
        _ => (0.25, 0.4),
    }
}

/// A candidate entity for one mention, before it becomes an [`EntityLink`].
struct Candidate<'a> {
    surface: &'a Surface,
    method: LinkMethod,
    distance: usize,
    /// The query words equal the surface before plural folding.
    verbatim: bool,
}

/// Typo-tolerant candidates for a window of query words, or `None`.
///
/// `stop` tells, per word of `span`, whether it is a stop word (computed once per query).
fn fuzzy_candidates<'a>(index: &'a LinkIndex, span: &[Token], stop: &[bool]) -> Option<Vec<Candidate<'a>>> {
    if stop.first().is_none_or(|&s| s) || stop.last().is_none_or(|&s| s) {
        return None;
    }
    let chars: Vec<char> = join_raw(span).chars().collect();
    let budget = allowed_distance(chars.len());
    if budget == 0 || chars.iter().all(|c| !c.is_alphabetic()) {
        return None;
    }
    let found = index.fuzzy.lookup(&chars, budget);
    let &(_, best) = found.first()?;
    let candidates: Vec<Candidate<'_>> = found
        .iter()
        .take_while(|&&(_, distance)| distance == best)
        .filter_map(|&(word, _)| index.fuzzy_surfaces.get(word))
        .flatten()
        .filter(|surface| surface.short_code.is_none())
        .map(|surface| Candidate { surface, method: LinkMethod::Fuzzy, distance: best, verbatim: true })
        .collect();
    (!candidates.is_empty()).then_some(candidates)
}

impl Graph {
    /// Links entity mentions in `text` with default [`LinkOptions`].
    pub fn link(&self, text: &str) -> Vec<EntityLink> {
        self.link_with(text, &LinkOptions::default())
    }

    /// Links entity mentions in `text`: leftmost-longest exact matches of names and
    /// aliases, then typo-tolerant matches of the remaining words. An ambiguous mention
    /// yields several links with the same span, most likely first.
    pub fn link_with(&self, text: &str, options: &LinkOptions) -> Vec<EntityLink> {
        let index = self.link_index();
        let tokens = tokenize(text);
        if tokens.is_empty() {
            return Vec::new();
        }
        let mut covered = vec![false; tokens.len()];
        let mut links = Vec::new();

        if let Some(automaton) = &index.automaton {
            let mut haystack = String::with_capacity(text.len() + 2 * tokens.len());
            let mut token_starts = Vec::with_capacity(tokens.len());
            for token in &tokens {
                token_starts.push(haystack.len());
                haystack.push(' ');
                haystack.push_str(&token.stem);
                haystack.push(' ');
            }
            for found in automaton.find_iter(&haystack) {
                let Ok(first) = token_starts.binary_search(&found.start()) else {
                    continue;
                };
                let last = token_starts.binary_search(&found.end()).unwrap_or(tokens.len());
                let Some(surfaces) = index.patterns.get(found.pattern().as_usize()) else {
                    continue;
                };
                let Some(span) = tokens.get(first..last) else {
                    continue;
                };
                let written = match (span.first(), span.last()) {
                    (Some(a), Some(b)) => text.get(a.start..b.end).unwrap_or_default(),
                    _ => "",
                };
                let candidates: Vec<Candidate<'_>> = surfaces
                    .iter()
                    .filter(|s| s.short_code.as_deref().is_none_or(|code| code_matches(code, written)))
                    .map(|surface| Candidate {
                        surface,
                        method: surface.method,
                        distance: 0,
                        verbatim: equals_joined(&surface.raw, span),
                    })
                    .collect();
                if candidates.is_empty() {
                    continue;
                }
                covered[first..last].iter_mut().for_each(|c| *c = true);
                self.push_links(text, span, candidates, options, &mut links);
            }
        }

        if options.fuzzy && index.fuzzy.len() > 0 {
            let stop: Vec<bool> = tokens.iter().map(|t| is_stop_word(&t.raw) || is_stop_word(&t.stem)).collect();
            // Longer windows first, so "New Zeland" links as one name, not as "New".
            for size in (1..=MAX_FUZZY_WORDS.min(tokens.len())).rev() {
                for first in 0..=tokens.len() - size {
                    let span = &tokens[first..first + size];
                    if covered[first..first + size].iter().any(|&c| c) {
                        continue;
                    }
                    let Some(candidates) = fuzzy_candidates(&index, span, &stop[first..first + size]) else {
                        continue;
                    };
                    covered[first..first + size].iter_mut().for_each(|c| *c = true);
                    self.push_links(text, span, candidates, options, &mut links);
                }
            }
        }

        // Exact and fuzzy passes each produce links in text order; merge them.
        links.sort_by(|a, b| a.start.cmp(&b.start).then(b.confidence.total_cmp(&a.confidence)));
        links
    }

    /// Ranks one mention's candidates and appends the best as links.
    fn push_links(
        &self,
        text: &str,
        span: &[Token],
        mut candidates: Vec<Candidate<'_>>,
        options: &LinkOptions,
        links: &mut Vec<EntityLink>,
    ) {
        let (Some(first), Some(last)) = (span.first(), span.last()) else {
            return;
        };
        let (start, end) = (first.start, last.end);
        let mention = text.get(start..end).unwrap_or_default().to_string();
        let preferred =
            |c: &Candidate<'_>| options.prefer_types.iter().any(|kind| *kind == self.graph[c.surface.node].kind);
        let any_preferred = candidates.iter().any(preferred);
        candidates.sort_by(|a, b| {
            preferred(b)
                .cmp(&preferred(a))
                .then(method_rank(a.method, a.distance).cmp(&method_rank(b.method, b.distance)))
                .then(b.surface.degree.cmp(&a.surface.degree))
                .then(self.graph[a.surface.node].id.cmp(&self.graph[b.surface.node].id))
        });
        // Prominence share among all candidates of the mention: an unambiguous mention
        // gets the top of its band, a mention split between equals gets less.
        let total_weight: f32 = candidates.iter().map(|c| 1.0 + c.surface.degree as f32).sum();
        for candidate in candidates.iter().take(options.max_candidates_per_mention.max(1)) {
            let share = (1.0 + candidate.surface.degree as f32) / total_weight.max(1.0);
            let (low, high) = confidence_band(method_rank(candidate.method, candidate.distance));
            let mut confidence = low + (high - low) * share;
            if !candidate.verbatim {
                confidence *= 0.95;
            }
            if candidate.surface.generic {
                confidence *= GENERIC_NAME_FACTOR;
            }
            if any_preferred && !preferred(candidate) {
                confidence *= 0.8;
            }
            let entity = &self.graph[candidate.surface.node];
            links.push(EntityLink {
                entity_id: entity.id.clone(),
                name: entity.name.clone(),
                kind: entity.kind.clone(),
                mention: mention.clone(),
                start,
                end,
                confidence: confidence.clamp(f32::MIN_POSITIVE, 1.0),
                method: candidate.method,
            });
        }
    }

    /// The current linking index, built now if a write invalidated it.
    fn link_index(&self) -> Arc<LinkIndex> {
        if let Some(index) = self.link_index.read().unwrap_or_else(PoisonError::into_inner).as_ref() {
            return Arc::clone(index);
        }
        let mut slot = self.link_index.write().unwrap_or_else(PoisonError::into_inner);
        // Another reader may have built it while we waited for the write lock.
        Arc::clone(slot.get_or_insert_with(|| Arc::new(LinkIndex::build(self))))
    }

    /// Builds the linking index now rather than on the first query (e.g. after import).
    pub fn prepare_linker(&self) {
        self.link_index();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_codes_need_their_written_case() {
        assert!(code_matches("FR", "FR"));
        assert!(!code_matches("FR", "fr"));
        assert!(!code_matches("Fr", "FR"));
        assert!(code_matches("deu", "DEU"));
        assert!(!code_matches("run", "run"));
        assert!(!code_matches("run", "Run"));
    }

    #[test]
    fn descriptive_aliases_are_recognised() {
        assert!(is_descriptive(&tokenize("capital of Kenya")));
        assert!(is_descriptive(&tokenize("Indian capital")));
        assert!(!is_descriptive(&tokenize("Republic of Kenya")));
        assert!(!is_descriptive(&tokenize("Kenya")));
    }

    #[test]
    fn patterns_wrap_every_word_in_spaces() {
        assert_eq!(pattern_key(&tokenize("Killer Whales")), " killer  whale ");
    }
}
