//! Entity linking: finds mentions of entities in free text.
//!
//! Exact matching looks the query's normalised words up in a word trie of the normalised
//! names and aliases ([`crate::phrase`]), leftmost-longest, so a match always starts and
//! ends on word boundaries. Words left unlinked then get a typo-tolerant lookup in a
//! deletion index ([`crate::fuzzy`]). The index is built once per graph version and
//! shared by readers. An entity whose props say `"linkable": false` is left out of the
//! index: it is reached through its relations, never by its name (a section of a document
//! titled "Introduction" must not be the answer to every query that says "introduction").

use std::cmp::Reverse;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError};

use petgraph::stable_graph::NodeIndex;
use petgraph::visit::NodeIndexable;

use crate::fuzzy::{FuzzyIndex, allowed_distance};
use crate::graph::Graph;
use crate::model::{EntityLink, LinkMethod, LinkOptions};
use crate::normalize::{Token, is_function_word, is_stop_word, tokenize};
use crate::phrase::PhraseIndex;

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
    /// Position of the entity's id in id order: the last tie-break between candidates,
    /// compared as a number rather than as a string.
    id_rank: u32,
    /// A name made only of question vocabulary ("animal"): linked with low confidence.
    generic: bool,
}

/// The surfaces one phrase stands for, in ranking order (method, then
/// prominence, then id), with what ranking a mention of it needs precomputed.
#[derive(Debug, Default, Clone)]
struct Pattern {
    surfaces: Vec<Surface>,
    /// Total prominence weight of the surfaces, summed in their order (see
    /// [`rank_candidates`]).
    weight: f32,
    /// Some surface is a short code, which links only as written.
    has_codes: bool,
}

impl Surface {
    /// Prominence weight: the entity's share of a mention grows with its relations.
    fn weight(&self) -> f32 {
        1.0 + self.degree as f32
    }
}

/// Confidence multiplier of a generic name, e.g. the concept "animal".
const GENERIC_NAME_FACTOR: f32 = 0.4;

/// The linking index of one graph version.
///
/// The phrase and fuzzy indexes depend on the entities' names and aliases only; the
/// surfaces' order and weights also on their degrees. A write that only adds or removes
/// relations therefore keeps the former (shared) and re-ranks the surfaces
/// ([`LinkIndex::rerank`]) instead of rebuilding everything.
#[derive(Debug, Clone)]
pub(crate) struct LinkIndex {
    /// The normalised (plural-folded) names and aliases.
    phrases: Arc<PhraseIndex>,
    /// Per phrase, the surfaces that normalise to it.
    patterns: Vec<Pattern>,
    fuzzy: Arc<FuzzyIndex>,
    /// Per fuzzy dictionary word, the surfaces written that way.
    fuzzy_surfaces: Vec<Vec<Surface>>,
    /// Words of the graph's relation and entity type names ("borders", "package"): like the
    /// general question words, they describe a question rather than name its subject.
    schema_words: Arc<HashSet<String>>,
}

impl LinkIndex {
    fn build(graph: &Graph) -> Self {
        Self::build_with(graph, &|node| graph.node_degree(node), &[])
    }

    /// The index of `graph` with each entity's prominence given by `degree`, and the words
    /// of `type_names` (relation and entity types the graph does not hold itself) as
    /// schema words too.
    fn build_with(graph: &Graph, degree: &dyn Fn(NodeIndex) -> usize, type_names: &[String]) -> Self {
        let schema_words = Arc::new(schema_words(graph, type_names));
        let is_stop_token = |token: &Token| is_stop(&schema_words, token);
        let mut phrases = PhraseIndex::default();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut fuzzy_ids: HashMap<String, usize> = HashMap::new();
        let mut fuzzy_words: Vec<String> = Vec::new();
        let mut fuzzy_surfaces: Vec<Vec<Surface>> = Vec::new();
        let mut buf = String::new();

        let mut by_id: Vec<NodeIndex> = graph.graph.node_indices().collect();
        by_id.sort_unstable_by(|&a, &b| graph.graph[a].id.cmp(&graph.graph[b].id));
        let mut id_ranks = vec![0u32; graph.graph.node_bound()];
        for (rank, node) in by_id.iter().enumerate() {
            id_ranks[node.index()] = u32::try_from(rank).unwrap_or(u32::MAX);
        }

        for node in graph.graph.node_indices() {
            let entity = &graph.graph[node];
            if !is_linkable_entity(entity) {
                continue;
            }
            let degree = degree(node);
            let id_rank = id_ranks[node.index()];
            let names = std::iter::once((entity.name.as_str(), LinkMethod::Exact))
                .chain(entity.aliases.iter().map(|alias| (alias.as_str(), LinkMethod::Alias)));
            for (text, method) in names {
                let tokens = tokenize(text, &mut buf);
                let generic = tokens.iter().all(is_stop_token);
                if !is_linkable(&tokens)
                    || (method == LinkMethod::Alias && (generic || is_descriptive(&tokens, is_stop_token)))
                {
                    continue;
                }
                let short_code = (method == LinkMethod::Alias
                    && tokens.len() == 1
                    && tokens[0].raw.chars().count() <= SHORT_ALIAS_CHARS)
                    .then(|| text.trim().to_string());
                let surface = Surface { node, method, short_code, raw: join_raw(&tokens), degree, id_rank, generic };
                // Only an index of 2³² words could refuse a phrase; the name then links
                // by typo tolerance alone.
                if let Some(id) = phrases.insert(tokens.iter().map(|t| t.stem)) {
                    if id == patterns.len() {
                        patterns.push(Pattern::default());
                    }
                    add_surface(&mut patterns[id].surfaces, surface.clone());
                }

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

        for pattern in &mut patterns {
            pattern.has_codes = pattern.surfaces.iter().any(|s| s.short_code.is_some());
        }
        let mut index = Self {
            phrases: Arc::new(phrases),
            patterns,
            fuzzy: Arc::new(FuzzyIndex::build(fuzzy_words.iter().map(String::as_str))),
            fuzzy_surfaces,
            schema_words,
        };
        index.rank();
        index
    }

    /// This index for the graph after writes that changed relations but no entity: the
    /// same surfaces with the entities' current degrees, ranked again. The result equals
    /// [`LinkIndex::build`]'s, since every surface's rank key ends in its unique id rank.
    fn rerank(mut self, graph: &Graph) -> Self {
        // A new relation type brings new schema words, which change which names are generic:
        // then the index is built again (rare: relation types come with the first import).
        if *self.schema_words != schema_words(graph, &[]) {
            return Self::build(graph);
        }
        for surface in
            self.patterns.iter_mut().flat_map(|p| &mut p.surfaces).chain(self.fuzzy_surfaces.iter_mut().flatten())
        {
            surface.degree = graph.node_degree(surface.node);
        }
        self.rank();
        self
    }

    /// Sorts every surface list into ranking order and sums the patterns' weights.
    fn rank(&mut self) {
        // Candidates come out of a list in ranking order, so sorting them per query is a
        // pass over sorted input.
        let by_rank = |s: &Surface| (method_rank(s.method, 0), Reverse(s.degree), s.id_rank);
        for surfaces in &mut self.fuzzy_surfaces {
            surfaces.sort_by_key(by_rank);
        }
        for pattern in &mut self.patterns {
            pattern.surfaces.sort_by_key(by_rank);
            pattern.weight = pattern.surfaces.iter().map(Surface::weight).sum();
        }
    }
}

/// The linking index's state in a [`Graph`].
#[derive(Debug, Default)]
pub(crate) enum LinkState {
    /// None built, or entities changed since.
    #[default]
    Missing,
    /// Current.
    Current(Arc<LinkIndex>),
    /// Built before relations were added or removed (no entity changed since): its
    /// names are current, its degrees are not.
    StaleDegrees(Arc<LinkIndex>),
}

impl LinkState {
    /// Relations were added or removed: a current index keeps its names.
    pub(crate) fn degrees_changed(&mut self) {
        *self = match std::mem::take(self) {
            LinkState::Current(index) | LinkState::StaleDegrees(index) => LinkState::StaleDegrees(index),
            LinkState::Missing => LinkState::Missing,
        };
    }
}

/// Whether an entity's name and aliases go into the linking index: all but those whose
/// props hold `"linkable": false`.
pub fn is_linkable_entity(entity: &crate::model::Entity) -> bool {
    entity.props.get(UNLINKABLE_PROP) != Some(&serde_json::Value::Bool(false))
}

/// The entity prop that, set to `false`, keeps an entity out of the linking index.
pub const UNLINKABLE_PROP: &str = "linkable";

/// A stop word in its written or its folded form.
/// Whether a word describes questions in general or this graph's types (see
/// [`LinkIndex::schema_words`]).
fn is_stop(schema_words: &HashSet<String>, token: &Token) -> bool {
    is_stop_word(token.raw)
        || (token.stem != token.raw && is_stop_word(token.stem))
        || schema_words.contains(token.raw)
        || schema_words.contains(token.stem)
}

/// The words of the graph's relation type names and entity types, and of `more` type names,
/// in raw and folded form.
fn schema_words(graph: &Graph, more: &[String]) -> HashSet<String> {
    let mut buf = String::new();
    let mut words = HashSet::new();
    let kinds: HashSet<&str> = graph.graph.node_weights().map(|e| e.kind.as_str()).collect();
    let names = graph.relation_types();
    for name in names.iter().chain(more).map(String::as_str).chain(kinds) {
        for token in tokenize(&name.replace(['_', '-'], " "), &mut buf) {
            if !is_function_word(token.raw) {
                words.insert(token.raw.to_string());
                words.insert(token.stem.to_string());
            }
        }
    }
    words
}

/// A surface worth indexing: some word that is not a function word, longer than a letter.
fn is_linkable(tokens: &[Token]) -> bool {
    !tokens.is_empty()
        && tokens.iter().any(|t| !is_function_word(t.raw) && !is_function_word(t.stem))
        && tokens.iter().map(|t| t.raw.chars().count()).sum::<usize>() >= 2
}

/// An alias that starts or ends with a question word, like "capital of Kenya" or
/// "Indian capital", describes its entity through a relation the graph already holds; as a
/// pattern it would swallow the mention of the other entity ("Kenya").
fn is_descriptive(tokens: &[Token], is_stop_token: impl Fn(&Token) -> bool) -> bool {
    tokens.len() > 1 && (tokens.first().is_some_and(&is_stop_token) || tokens.last().is_some_and(&is_stop_token))
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

fn join_raw(tokens: &[Token]) -> String {
    let mut joined = String::with_capacity(tokens.iter().map(|t| t.raw.len() + 1).sum());
    for (i, token) in tokens.iter().enumerate() {
        if i > 0 {
            joined.push(' ');
        }
        joined.push_str(token.raw);
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
        let Some(after) = rest.strip_prefix(token.raw) else {
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
    /// The entity's type is one of [`LinkOptions::prefer_types`].
    preferred: bool,
}

/// Sorts one mention's candidates into ranking order — preferred types first, then
/// method, prominence and id — and returns their total prominence weight. Candidates of
/// one pattern or fuzzy word arrive in this order already (see `LinkIndex::build`).
fn rank_candidates(candidates: &mut [Candidate<'_>]) -> f32 {
    candidates.sort_by_key(|c| {
        (!c.preferred, method_rank(c.method, c.distance), Reverse(c.surface.degree), c.surface.id_rank)
    });
    candidates.iter().map(|c| c.surface.weight()).sum()
}

/// Typo-tolerant candidates for a window of query words, written to `out` (cleared);
/// `false` when there are none. `budget` is the window's typo budget, already known to
/// be positive, and its first and last words are known not to be stop words.
fn fuzzy_candidates<'a>(
    index: &'a LinkIndex,
    span: &[Token],
    budget: usize,
    preferred: impl Fn(&Surface) -> bool,
    out: &mut Vec<Candidate<'a>>,
) -> bool {
    if span.iter().all(|t| !t.raw.chars().any(char::is_alphabetic)) {
        return false;
    }
    let mut chars: Vec<char> = Vec::with_capacity(span.iter().map(|t| t.raw.len() + 1).sum());
    for (i, token) in span.iter().enumerate() {
        if i > 0 {
            chars.push(' ');
        }
        chars.extend(token.raw.chars());
    }
    let found = index.fuzzy.lookup(&chars, budget);
    let Some(&(_, best)) = found.first() else {
        return false;
    };
    out.clear();
    out.extend(
        found
            .iter()
            .take_while(|&&(_, distance)| distance == best)
            .filter_map(|&(word, _)| index.fuzzy_surfaces.get(word))
            .flatten()
            .filter(|surface| surface.short_code.is_none())
            .map(|surface| Candidate {
                surface,
                method: LinkMethod::Fuzzy,
                distance: best,
                preferred: preferred(surface),
            }),
    );
    !out.is_empty()
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
        self.link_on(&self.link_index(), text, options)
    }

    /// Links `text` against this graph as a sample of a larger one (the candidates a
    /// server's full-text index found): `degrees` gives each entity's relation count in the
    /// larger graph (the prominence prior; 0 when absent), `type_names` the larger graph's
    /// relation and entity type names (whose words describe questions rather than name
    /// their subjects). The index is built for this call, not kept.
    pub fn link_sample(
        &self,
        text: &str,
        options: &LinkOptions,
        degrees: &HashMap<String, usize>,
        type_names: &[String],
    ) -> Vec<EntityLink> {
        let degree = |node: NodeIndex| degrees.get(&self.graph[node].id).copied().unwrap_or(0);
        let index = LinkIndex::build_with(self, &degree, type_names);
        self.link_on(&index, text, options)
    }

    fn link_on(&self, index: &LinkIndex, text: &str, options: &LinkOptions) -> Vec<EntityLink> {
        let mut buf = String::new();
        let tokens = tokenize(text, &mut buf);
        if tokens.is_empty() {
            return Vec::new();
        }
        let mut covered = vec![false; tokens.len()];
        // Room for a few mentions; more is rare.
        let mut links = Vec::with_capacity(8);
        // One buffer for the candidates of every mention.
        let mut candidates: Vec<Candidate<'_>> = Vec::new();
        let max_shown = options.max_candidates_per_mention.max(1);
        let preferred =
            |surface: &Surface| options.prefer_types.iter().any(|kind| *kind == self.graph[surface.node].kind);

        let stems: Vec<&str> = tokens.iter().map(|t| t.stem).collect();
        for found in index.phrases.find_iter(&stems) {
            let (first, last) = (found.start, found.end);
            let (Some(pattern), Some(span)) = (index.patterns.get(found.phrase), tokens.get(first..last)) else {
                continue;
            };
            let written = match (span.first(), span.last()) {
                (Some(a), Some(b)) => text.get(a.start..b.end).unwrap_or_default(),
                _ => "",
            };
            let candidate =
                |surface| Candidate { surface, method: surface.method, distance: 0, preferred: preferred(surface) };
            candidates.clear();
            let total_weight = if pattern.has_codes || !options.prefer_types.is_empty() {
                candidates.extend(
                    pattern
                        .surfaces
                        .iter()
                        .filter(|s| s.short_code.as_deref().is_none_or(|code| code_matches(code, written)))
                        .map(candidate),
                );
                rank_candidates(&mut candidates)
            } else {
                // Nothing to filter or reorder: the pattern's surfaces are ranked.
                candidates.extend(pattern.surfaces.iter().take(max_shown).map(candidate));
                pattern.weight
            };
            if candidates.is_empty() {
                continue;
            }
            covered[first..last].iter_mut().for_each(|c| *c = true);
            self.push_links(text, span, &candidates, total_weight, options, &mut links);
        }

        if options.fuzzy && index.fuzzy.len() > 0 && covered.contains(&false) {
            // Whether each word is a stop word, looked up the first time it is asked.
            let mut stop: Vec<Option<bool>> = vec![None; tokens.len()];
            let mut is_stop = |i: usize| *stop[i].get_or_insert_with(|| is_stop(&index.schema_words, &tokens[i]));
            // Longer windows first, so "New Zeland" links as one name, not as "New".
            for size in (1..=MAX_FUZZY_WORDS.min(tokens.len())).rev() {
                for first in 0..=tokens.len() - size {
                    let last = first + size - 1;
                    let span = &tokens[first..=last];
                    if covered[first..=last].iter().any(|&c| c) {
                        continue;
                    }
                    // The window as one string, words joined by single spaces.
                    let chars = span.iter().map(|t| t.raw.chars().count()).sum::<usize>() + size - 1;
                    let budget = allowed_distance(chars);
                    if budget == 0
                        || is_stop(first)
                        || is_stop(last)
                        || !fuzzy_candidates(index, span, budget, preferred, &mut candidates)
                    {
                        continue;
                    }
                    covered[first..=last].iter_mut().for_each(|c| *c = true);
                    let total_weight = rank_candidates(&mut candidates);
                    self.push_links(text, span, &candidates, total_weight, options, &mut links);
                }
            }
        }

        // Exact and fuzzy passes each produce links in text order; merge them.
        links.sort_by(|a, b| a.start.cmp(&b.start).then(b.confidence.total_cmp(&a.confidence)));
        links
    }

    /// Appends the best of one mention's candidates, in ranking order, as links;
    /// `total_weight` is the prominence weight of all of them (see [`rank_candidates`]).
    fn push_links(
        &self,
        text: &str,
        span: &[Token],
        candidates: &[Candidate<'_>],
        total_weight: f32,
        options: &LinkOptions,
        links: &mut Vec<EntityLink>,
    ) {
        let (Some(first), Some(last)) = (span.first(), span.last()) else {
            return;
        };
        let (start, end) = (first.start, last.end);
        let mut mention = text.get(start..end).unwrap_or_default().to_string();
        let any_preferred = candidates.iter().any(|c| c.preferred);
        let shown = candidates.len().min(options.max_candidates_per_mention.max(1));
        for (i, candidate) in candidates[..shown].iter().enumerate() {
            // Prominence share among all candidates of the mention: an unambiguous mention
            // gets the top of its band, a mention split between equals gets less.
            let share = candidate.surface.weight() / total_weight.max(1.0);
            let (low, high) = confidence_band(method_rank(candidate.method, candidate.distance));
            let mut confidence = low + (high - low) * share;
            // An exact match whose words differ from the surface by plural folding.
            if candidate.method != LinkMethod::Fuzzy && !equals_joined(&candidate.surface.raw, span) {
                confidence *= 0.95;
            }
            if candidate.surface.generic {
                confidence *= GENERIC_NAME_FACTOR;
            }
            if any_preferred && !candidate.preferred {
                confidence *= 0.8;
            }
            let entity = &self.graph[candidate.surface.node];
            links.push(EntityLink {
                entity_id: entity.id.clone(),
                name: entity.name.clone(),
                kind: entity.kind.clone(),
                mention: if i + 1 == shown { std::mem::take(&mut mention) } else { mention.clone() },
                start,
                end,
                confidence: confidence.clamp(f32::MIN_POSITIVE, 1.0),
                method: candidate.method,
            });
        }
    }

    /// The current linking index, built now if a write invalidated it.
    fn link_index(&self) -> Arc<LinkIndex> {
        if let LinkState::Current(index) = &*self.link_index.read().unwrap_or_else(PoisonError::into_inner) {
            return Arc::clone(index);
        }
        let mut slot = self.link_index.write().unwrap_or_else(PoisonError::into_inner);
        // Another reader may have built it while we waited for the write lock.
        let index = match std::mem::take(&mut *slot) {
            LinkState::Current(index) => index,
            LinkState::StaleDegrees(old) => {
                // Readers still holding the old version keep it; then the surfaces are
                // copied (the phrase and fuzzy indexes stay shared).
                let old = Arc::try_unwrap(old).unwrap_or_else(|shared| LinkIndex::clone(&shared));
                Arc::new(old.rerank(self))
            }
            LinkState::Missing => Arc::new(LinkIndex::build(self)),
        };
        *slot = LinkState::Current(Arc::clone(&index));
        index
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
    fn entities_marked_unlinkable_are_not_linked_by_name() {
        let mut graph = Graph::new();
        let mut section = crate::model::Entity::new("file:a.md#introduction", "Introduction", "section");
        section.props.insert(UNLINKABLE_PROP.into(), serde_json::Value::Bool(false));
        let kept = crate::model::Entity::new("topic:intro", "introduction", "topic");
        for e in [section, kept] {
            assert!(graph.upsert_entity(e).is_ok());
        }
        let links = graph.link("an introduction to graphs");
        let ids: Vec<&str> = links.iter().map(|l| l.entity_id.as_str()).collect();
        assert_eq!(ids, ["topic:intro"]);
        assert!(graph.link("Introduction").iter().all(|l| l.entity_id != "file:a.md#introduction"));
    }

    #[test]
    fn descriptive_aliases_are_recognised() {
        // A graph with a `capital` relation: "capital" describes questions about it.
        let schema = HashSet::from(["capital".to_string()]);
        let descriptive =
            |text: &str| is_descriptive(&tokenize(text, &mut String::new()), |t: &Token| is_stop(&schema, t));
        assert!(descriptive("capital of Kenya"));
        assert!(descriptive("Indian capital"));
        assert!(!descriptive("Republic of Kenya"));
        assert!(!descriptive("Kenya"));
    }
}
