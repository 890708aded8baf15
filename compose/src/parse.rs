//! From a question to a [`GraphPlan`], reading it with the knowledge base's own vocabulary.
//!
//! The parser finds, in order:
//! 1. the entities named (the linker's mentions, and place adjectives read as the place:
//!    "European" → Europe), the entity types named, the relations named (each with its
//!    position), property words and numbers;
//! 2. what is asked of the set: a count ("how many"), a ranking ("largest", "the most
//!    neighbours", "the three …est"), a comparison of two entities ("is A bigger than B"),
//!    a yes/no, property filters ("with more than 50 million people", "landlocked");
//! 3. the set itself: each entity is an anchor; each relation word belongs to the first
//!    anchor after it (or the last one, when none follows); from each anchor the relations
//!    are followed nearest first, each in the direction the entity types allow, with a
//!    relation between two named types filling a gap ("countries in Africa"); anchors joined
//!    by "and"/"or" share their relations; the anchors' sets are intersected, and those after
//!    a negation subtracted.

use std::collections::HashSet;

use braid_graph::plan::{CompareOp, GraphPlan, Order, PropValue, RankKey};
use braid_graph::{Direction, PropertyKind, RelationTypeStats, SchemaStats, TRANSITIVE_CHAINING};
use braid_router::introspect::mention_spans;
use braid_router::lexicon::{Lexicon, Mention};
use braid_router::morphology::{is_function_word, stem};
use braid_router::normalize::normalize;
use braid_router::{CueDirection, EntityLinker, LinkedEntity};

use crate::vocabulary::{Vocabulary, measures_counting, measures_of_adjective};
use crate::words::{
    COMPARISONS, Degree, Measure, RANK_WORDS, YES_NO_LEADS, canonical_numbers, degree_word, is_count, is_negation,
    number_word,
};

/// Question words: a relation phrase starting with one is a question form.
const WH_WORDS: &[&str] = &["what", "which", "who", "whom", "whose", "where", "when", "how"];

/// Longest chain of relations followed from one entity ("X of the Y of the Z of W").
pub const MAX_HOPS: usize = 3;

/// A relation at least this symmetric ("borders") is followed one way and never
/// transitively: its chain would wander over the whole graph.
pub const SYMMETRIC: f32 = 0.8;

/// Words after a negation where the relation or entity it denies may start ("not use the
/// euro", "don't have French").
pub const NEGATION_REACH: usize = 3;

/// Shortest linking confidence of an entity a plan starts from: a guess by spelling below it
/// ("franc" → French) is not worth an exact answer.
pub const MIN_ANCHOR_CONFIDENCE: f32 = 0.5;

/// Share of the best reading's linking confidence another reading of the same words needs
/// to be preferred for fitting the relations asked ("Africa" stays the region).
pub const ALTERNATIVE_SHARE: f32 = 0.8;

/// Most entities a question may name before it is not read as a composition.
pub const MAX_ANCHORS: usize = 8;

/// A question compiled into a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Composed {
    /// The plan.
    pub plan: GraphPlan,
    /// How each part was read, for the trace.
    pub reasons: Vec<String>,
}

/// Why a question was not compiled: the router answers it as before, saying so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotComposed {
    /// One relation from the entities named: the graph route answers such questions itself.
    #[error("a one-hop question: the graph route answers it")]
    OneHop,
    /// No entity and no entity type of this graph is named.
    #[error("no entity or entity type of this graph is named")]
    NoStart,
    /// A relation word was found but cannot be followed from where the question stands.
    #[error("no way to follow '{relation}' from a {from}")]
    Unfollowed {
        /// The relation.
        relation: String,
        /// The entity type the question stood on.
        from: String,
    },
    /// Nothing in the graph connects two types the question links.
    #[error("no relation of this graph connects a {from} to a {to}")]
    NoPath {
        /// From this type.
        from: String,
        /// To this one.
        to: String,
    },
    /// A measure or property word that no property of the answers' type has.
    #[error("the property '{0}' is not in this graph")]
    NoProperty(String),
    /// The question asks for something the parser does not compose.
    #[error("{0}")]
    Unsupported(String),
}

/// An entity (or several joined by "or") the question starts from.
#[derive(Debug, Clone)]
struct Anchor {
    id: String,
    kind: String,
    start: usize,
    end: usize,
    negated: bool,
    /// Indices into the cues.
    cues: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Cue {
    relation: String,
    at: usize,
    direction: CueDirection,
    words: String,
}

/// Reads questions against one knowledge base's lexicon, schema and property vocabulary.
pub struct Parser<'a> {
    /// The relation and type vocabulary.
    pub lexicon: &'a Lexicon,
    /// Relation types as the data shows them (types at each end, chaining).
    pub schema: &'a SchemaStats,
    /// Property words.
    pub vocabulary: &'a Vocabulary,
    /// The entity linker.
    pub linker: &'a dyn EntityLinker,
}

struct Reading<'q> {
    words: Vec<&'q str>,
    stems: Vec<String>,
    entities: Vec<LinkedEntity>,
    spans: Vec<(usize, usize, usize)>,
    types: Vec<(String, usize, usize)>,
    cues: Vec<Cue>,
    used: Vec<bool>,
    reasons: Vec<String>,
    /// A ranking of entities of a type named right after the superlative ("the largest
    /// country"), applied where a chain passes through that type.
    pending_rank: Option<(String, RankKey, Order, usize)>,
    /// Whether the pending ranking was applied inside a chain.
    rank_applied: bool,
}

impl Parser<'_> {
    /// Compiles `question` into a plan, or says why not.
    pub fn parse(&self, question: &str) -> Result<Composed, NotComposed> {
        let text = canonical_numbers(question);
        let normalized = normalize(&text);
        let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
        let mut r = self.read(&text, &words);
        let plan = self.compose(&mut r)?;
        if is_one_hop(&plan) {
            return Err(NotComposed::OneHop);
        }
        Ok(Composed { plan, reasons: r.reasons })
    }

    /// Entities, types and relation cues of the question.
    fn read<'q>(&self, text: &str, words: &[&'q str]) -> Reading<'q> {
        // Function words and numbers blanked: property names are matched across them.
        let stems: Vec<String> = words
            .iter()
            .map(|w| if is_function_word(w) || number_word(w).is_some() { String::new() } else { stem(w) })
            .collect();
        let mut entities = self.linker.link(text);
        let mut r_reasons: Vec<String> = Vec::new();
        let mut spans = mention_spans(words, &entities);
        // Mentions made only of question words ("countries", "people", "largest") describe
        // the question rather than name its subject.
        spans.retain(|&(s, e, x)| {
            !(s..e).all(|i| self.describes(words, i)) && entities[x].confidence >= MIN_ANCHOR_CONFIDENCE
        });
        // A one-word guess by spelling ("Asian" → Xi'an) gives way to a place adjective.
        spans.retain(|&(s, e, x)| !(e == s + 1 && entities[x].method == "fuzzy" && words[s].ends_with('n')));
        // "European", "South American": a place adjective read as the place, when the
        // word stripped of its ending names an entity.
        for i in 0..words.len() {
            let w = words[i];
            if spans.iter().any(|&(s, e, _)| (s..e).contains(&i)) || w.len() < 5 || !w.ends_with('n') {
                continue;
            }
            for cut in [1, 2] {
                let place = &w[..w.len() - cut];
                let mut variant: Vec<&str> = words.to_vec();
                variant[i] = place;
                let found = self.linker.link(&variant.join(" "));
                let hit = found.into_iter().find(|e| {
                    let m = normalize(&e.mention);
                    let mw: Vec<&str> = m.split(' ').collect();
                    mw.contains(&place) && e.confidence >= 0.9
                });
                if let Some(mut e) = hit {
                    let m = normalize(&e.mention);
                    let n = m.split(' ').count();
                    let Some(start) = (0..=words.len().saturating_sub(n)).find(|&s| {
                        (s..s + n).contains(&i)
                            && variant[s..s + n].join(" ") == m
                            && !spans.iter().any(|&(a, b, _)| s < b && a < s + n)
                    }) else {
                        continue;
                    };
                    e.mention = words[start..start + n].join(" ");
                    entities.push(e);
                    spans.push((start, start + n, entities.len() - 1));
                    break;
                }
            }
        }
        spans.sort_unstable();
        // An ambiguous mention ("China": the country, or Taiwan by an alias) is read as the
        // candidate whose type a relation the question names connects, else the linker's best.
        let first_cues = {
            let mentions: Vec<Mention<'_>> =
                spans.iter().map(|&(start, end, e)| Mention { start, end, kind: entities[e].kind.as_str() }).collect();
            self.lexicon.relation_cues(words, &mentions)
        };
        let fits = |kind: &str| {
            first_cues.iter().any(|c| {
                self.schema.relation(&c.relation).is_some_and(|s| s.has_source_type(kind) || s.has_target_type(kind))
            })
        };
        let fitting: Vec<&str> = self.schema.entity_types.iter().map(|t| t.name.as_str()).filter(|t| fits(t)).collect();
        // Whether the words before `start` are a relation word and function words only
        // ("whose currency is the yen"), as opposed to a type ("country in Africa").
        let after_relation_word = |start: usize| {
            first_cues.iter().any(|c| {
                c.at < start
                    && c.cue.split(' ').count() + c.at <= start + 1
                    && words[c.at + c.cue.split(' ').count().min(start - c.at)..start]
                        .iter()
                        .all(|w| is_function_word(w))
            })
        };
        for span in &mut spans {
            let mention = normalize(&entities[span.2].mention);
            if fits(&entities[span.2].kind) {
                continue;
            }
            let confidence = entities[span.2].confidence;
            if let Some(better) = (0..entities.len()).find(|&x| {
                x != span.2
                    && normalize(&entities[x].mention) == mention
                    && fits(&entities[x].kind)
                    && entities[x].confidence >= ALTERNATIVE_SHARE * confidence
            }) {
                span.2 = better;
            } else if !fitting.is_empty()
                && after_relation_word(span.0)
                && let Some(e) = self.linker.named_like(&entities[span.2].mention, &fitting)
            {
                // "the yen": no relation asked of the word's own sense, one entity of a type
                // the relations connect is named so.
                r_reasons.push(format!("'{}' read as {} ({})", e.mention, e.name, e.kind));
                entities.push(e);
                span.2 = entities.len() - 1;
            }
        }
        // A word nothing links, right after a relation word, naming the end of one entity of
        // a type the relations connect ("use the yuan" → Chinese yuan).
        if !fitting.is_empty() {
            for i in 0..words.len() {
                if spans.iter().any(|&(s, e, _)| (s..e).contains(&i))
                    || self.describes(words, i)
                    || !after_relation_word(i)
                {
                    continue;
                }
                if let Some(e) = self.linker.named_like(words[i], &fitting) {
                    r_reasons.push(format!("'{}' read as {} ({})", words[i], e.name, e.kind));
                    entities.push(e);
                    spans.push((i, i + 1, entities.len() - 1));
                }
            }
            spans.sort_unstable();
        }
        let mentions: Vec<Mention<'_>> =
            spans.iter().map(|&(start, end, e)| Mention { start, end, kind: entities[e].kind.as_str() }).collect();
        let types = self
            .lexicon
            .type_mentions(words, &mentions)
            .into_iter()
            .map(|t| {
                let n = t.words.split(' ').count();
                (t.kind, t.at, n)
            })
            .collect();
        let mut found = self.lexicon.relation_cues(words, &mentions);
        // A relation named by a question phrase ("where is" for `located_in`) only asks for
        // it when nothing else does.
        let asks =
            |c: &braid_router::lexicon::LexiconCue| c.cue.split(' ').next().is_some_and(|w| WH_WORDS.contains(&w));
        if found.iter().any(|c| !asks(c)) {
            found.retain(|c| !asks(c));
        }
        // Words naming two relations ("depends" for `depends_on` and `pre_depends_on`) name the
        // one they name most fully (the cues come best first).
        // Words read as several relations ("pre depend" for `pre_depends_on`, "depend" for
        // `depends_on`) are the relation that reads most of them.
        let positions = |c: &braid_router::lexicon::LexiconCue| -> Vec<usize> {
            let near = c.at.saturating_sub(3)..(c.at + 4).min(words.len());
            c.cue.split(' ').filter_map(|w| near.clone().find(|&i| words[i] == w)).collect()
        };
        let mut ranked: Vec<(usize, braid_router::lexicon::LexiconCue)> =
            found.into_iter().filter(|c| c.at != usize::MAX).enumerate().collect();
        ranked.sort_by_key(|(order, c)| (std::cmp::Reverse(positions(c).len()), *order));
        let mut covered: HashSet<usize> = HashSet::new();
        let mut kept: Vec<(usize, braid_router::lexicon::LexiconCue)> = Vec::new();
        for (order, c) in ranked {
            let at = positions(&c);
            if at.iter().any(|i| covered.contains(i)) {
                continue;
            }
            covered.extend(at);
            kept.push((order, c));
        }
        kept.sort_by_key(|(order, _)| *order);
        let cues = kept
            .into_iter()
            .map(|(_, c)| c)
            .map(|c| Cue { relation: c.relation, at: c.at, direction: c.direction, words: c.cue })
            .collect();
        Reading {
            words: words.to_vec(),
            stems,
            entities,
            spans,
            types,
            cues,
            used: vec![false; words.len()],
            reasons: r_reasons,
            pending_rank: None,
            rank_applied: false,
        }
    }

    /// Whether word `i` describes the question (a function, type, relation, measure or
    /// comparison word, a number) rather than naming something.
    fn describes(&self, words: &[&str], i: usize) -> bool {
        let w = words[i];
        is_function_word(w)
            || self.lexicon.is_question_word(w)
            || number_word(w).is_some()
            || degree_word(w).is_some()
            || RANK_WORDS.contains(&w)
            || !measures_of_adjective(w).is_empty()
            || !measures_counting(w).is_empty()
            || COMPARISONS.iter().any(|(p, _)| p.contains(&w))
    }

    fn compose(&self, r: &mut Reading<'_>) -> Result<GraphPlan, NotComposed> {
        let words = r.words.clone();
        let count = is_count(&words);
        let yes_no = words.first().is_some_and(|w| YES_NO_LEADS.contains(w));
        let anchors_total = r.spans.len();
        if anchors_total > MAX_ANCHORS {
            return Err(NotComposed::Unsupported(format!("{anchors_total} entities named")));
        }
        if count {
            mark(r, &["how", "many", "number", "of"]);
        }

        // A comparison of two entities: "is A bigger than B", "does A have more people than
        // B", "does A have more neighbours than B", "which is larger, A or B".
        if r.spans.len() == 2 {
            let a = r.entities[r.spans[0].2].clone();
            let b = r.entities[r.spans[1].2].clone();
            if let Some(plan) = self.comparison(r, &a, &b, yes_no)? {
                return Ok(plan);
            }
        }

        // What is asked of the set, read before the set so its words are not read as
        // relations: a ranking, filters by numbers, boolean properties.
        let answer_hint = self.answer_type(r);
        let ranking = self.ranking(r, answer_hint.as_deref())?;
        let filters = self.filters(r, answer_hint.as_deref())?;

        // "how many people live in Nigeria": the measure counted, of one entity.
        if count && r.spans.len() == 1 {
            let e = r.entities[r.spans[0].2].clone();
            let counted =
                words.windows(3).find_map(|w| (w[0] == "how" && w[1] == "many").then(|| measures_counting(w[2])));
            if let Some((_, prop)) = counted.and_then(|ms| self.vocabulary.resolve(&ms, Some(&e.kind))) {
                r.reasons.push(format!("'how many' of a measure: the value of {prop}"));
                return Ok(GraphPlan::Value { from: Box::new(GraphPlan::entities([e.id])), prop });
            }
        }
        // "what is the population of France", "how big is Russia": one entity's value.
        if r.spans.len() == 1 && ranking.is_none() && filters.is_empty() && !count && !yes_no {
            let e = r.entities[r.spans[0].2].clone();
            if let Some(prop) = self.value_asked(r, &e.kind) {
                r.reasons.push(format!("the value of {prop}"));
                return Ok(GraphPlan::Value { from: Box::new(GraphPlan::entities([e.id])), prop });
            }
        }
        let set = if yes_no && r.spans.len() == 2 && ranking.is_none() {
            // "does Kenya border Uganda", "is Portuguese an official language of Angola".
            let plan = self.membership(r)?;
            return Ok(GraphPlan::Exists(Box::new(apply_filters(plan, filters))));
        } else {
            self.base_set(r, answer_hint.as_deref())?
        };
        let mut plan = apply_filters(set, filters);
        let ranking = match r.pending_rank.take() {
            Some((_, key, order, k)) => Some((key, order, k)),
            None if r.rank_applied => None,
            None => ranking,
        };
        if let Some((key, order, k)) = ranking {
            plan = GraphPlan::TopBy { from: Box::new(plan), key, order, k };
        }
        if count {
            plan = GraphPlan::Count(Box::new(plan));
        } else if yes_no && matches!(plan, GraphPlan::FilterProp { .. }) {
            plan = GraphPlan::Exists(Box::new(plan));
        }
        Ok(plan)
    }

    /// The numeric property of entities of `kind` the question asks the value of: named
    /// outright ("the population of"), or by "how" and a measure's adjective ("how big").
    fn value_asked(&self, r: &Reading<'_>, kind: &str) -> Option<String> {
        let words = &r.words;
        // A question naming a relation asks about the relation; a property whose name is a
        // type or relation word ("countries" counted on a currency) is not asked by it.
        if !r.cues.is_empty() {
            return None;
        }
        let outside = |i: usize| {
            !r.used[i]
                && !r.spans.iter().any(|&(s, e, _)| (s..e).contains(&i))
                && !self.lexicon.is_question_word(words[i])
        };
        for i in (0..words.len()).filter(|&i| outside(i)) {
            if let Some(p) = self.vocabulary.named_at(&r.stems, i, PropertyKind::Number, Some(kind)) {
                return Some(p.name);
            }
            if i > 0 && words[i - 1] == "how" {
                let measures: Vec<&Measure> = measures_of_adjective(words[i])
                    .into_iter()
                    .filter(|(_, d, _)| *d == Degree::Plain)
                    .map(|(m, _, _)| m)
                    .collect();
                if let Some((_, p)) = self.vocabulary.resolve(&measures, Some(kind)) {
                    return Some(p);
                }
            }
        }
        None
    }

    /// The type of the answers, when the question names one before any relation word:
    /// "countries …", "which currency …", "how many languages …".
    fn answer_type(&self, r: &Reading<'_>) -> Option<String> {
        // A type word right after an entity, with another type word to come, says what the
        // entity is ("Spanish-language locales"), not what is asked.
        let modifier = |at: usize| r.spans.iter().any(|&(_, e, _)| e == at) && r.types.iter().any(|(_, t, _)| *t > at);
        let (kind, at, _) = r
            .types
            .iter()
            .find(|(_, at, _)| !r.spans.iter().any(|&(s, e, _)| (s..e).contains(at)) && !modifier(*at))?;
        let cue_before = r.cues.iter().any(|c| c.at < *at && !r.types.iter().any(|(_, t, _)| *t == c.at));
        (!cue_before).then(|| kind.clone())
    }

    /// "is A bigger than B" and the like, when the question compares two entities.
    fn comparison(
        &self,
        r: &mut Reading<'_>,
        a: &LinkedEntity,
        b: &LinkedEntity,
        yes_no: bool,
    ) -> Result<Option<GraphPlan>, NotComposed> {
        let words = r.words.clone();
        let than = words.iter().position(|w| *w == "than");
        // "which is larger, A or B", "which has more people: A or B".
        let which_is = words.first() == Some(&"which")
            && words[r.spans[0].1..r.spans[1].0].iter().filter(|w| **w != "the").eq(["or"].iter());
        if than.is_none() && !which_is {
            return Ok(None);
        }
        let (first_at, second_at) = (r.spans[0].0, r.spans[1].0);
        for i in 0..words.len() {
            // A measure: "bigger", "more populous", "more people".
            let (measures, order): (Vec<&Measure>, Order) = match degree_word(words[i]) {
                Some((Degree::Comparative, order)) => {
                    let next = words.get(i + 1).copied().unwrap_or("");
                    let by_adjective: Vec<&Measure> = measures_of_adjective(next)
                        .into_iter()
                        .filter(|(_, d, _)| *d == Degree::Plain)
                        .map(|(m, _, _)| m)
                        .collect();
                    if !by_adjective.is_empty() {
                        (by_adjective, order)
                    } else if !measures_counting(next).is_empty() {
                        (measures_counting(next), order)
                    } else if let Some(c) = r.cues.iter().find(|c| c.at == i + 1).cloned() {
                        // "more neighbours than": the number of relations.
                        if !yes_no {
                            return Ok(None);
                        }
                        let direction = self.orient(&c, &a.kind).map(|(d, _)| d).unwrap_or(Direction::Out);
                        let side = |e: &LinkedEntity| {
                            Box::new(GraphPlan::Count(Box::new(
                                GraphPlan::entities([e.id.clone()]).follow(c.relation.clone(), direction),
                            )))
                        };
                        let op = if order == Order::Desc { CompareOp::Gt } else { CompareOp::Lt };
                        r.reasons
                            .push(format!("'{} {} than': compare the number of {}", words[i], c.words, c.relation));
                        return Ok(Some(GraphPlan::Compare { left: side(a), op, right: side(b) }));
                    } else {
                        continue;
                    }
                }
                _ => {
                    let found: Vec<_> = measures_of_adjective(words[i])
                        .into_iter()
                        .filter(|(_, d, _)| *d == Degree::Comparative)
                        .collect();
                    let Some(&(_, _, order)) = found.first() else { continue };
                    (found.into_iter().map(|(m, _, _)| m).collect(), order)
                }
            };
            let kind = (a.kind == b.kind).then_some(a.kind.as_str());
            let Some((_, prop)) = self.vocabulary.resolve(&measures, kind) else {
                return Err(NotComposed::NoProperty(measures[0].nouns[0].to_string()));
            };
            r.reasons.push(format!("'{}' compares {prop}", words[i]));
            if which_is && !yes_no {
                return Ok(Some(GraphPlan::TopBy {
                    from: Box::new(GraphPlan::entities([a.id.clone(), b.id.clone()])),
                    key: RankKey::Prop(prop),
                    order,
                    k: 1,
                }));
            }
            // The entity before "than" is compared with the one after.
            let (left, right) = match than {
                Some(t) if first_at < t && t < second_at => (a, b),
                _ => (a, b),
            };
            let value = |e: &LinkedEntity| {
                Box::new(GraphPlan::Value { from: Box::new(GraphPlan::entities([e.id.clone()])), prop: prop.clone() })
            };
            let op = if order == Order::Desc { CompareOp::Gt } else { CompareOp::Lt };
            return Ok(Some(GraphPlan::Compare { left: value(left), op, right: value(right) }));
        }
        Ok(None)
    }

    /// A superlative: by a measure ("largest", "most populous", "smallest … by area") or by
    /// the number of a relation ("the most neighbours", "used by the most countries"); with
    /// how many to keep ("the three largest").
    fn ranking(
        &self,
        r: &mut Reading<'_>,
        answer: Option<&str>,
    ) -> Result<Option<(RankKey, Order, usize)>, NotComposed> {
        let words = r.words.clone();
        for i in 0..words.len() {
            let k = (i > 0).then(|| number_word(words[i - 1])).flatten().map_or(1, |k| k.max(1.0) as usize);
            let mut found: Option<(Vec<&Measure>, Order, usize)> = None;
            if let Some((Degree::Superlative, order)) = degree_word(words[i]) {
                let next = words.get(i + 1).copied().unwrap_or("");
                let adjective: Vec<&Measure> = measures_of_adjective(next)
                    .into_iter()
                    .filter(|(_, d, _)| *d == Degree::Plain)
                    .map(|(m, _, _)| m)
                    .collect();
                if !adjective.is_empty() {
                    found = Some((adjective, order, 2));
                } else {
                    // "the most neighbours", "by the most countries": the number of relations.
                    let cue = r.cues.iter().position(|c| c.at == i + 1);
                    let by_type = r.types.iter().find(|(_, at, _)| *at == i + 1).cloned();
                    let Some(answer) = answer else { continue };
                    let relation = match (cue, &by_type) {
                        (Some(c), _) => {
                            let c = r.cues.remove(c);
                            self.orient(&c, answer).map(|(d, _)| (c.relation.clone(), d))
                        }
                        (None, Some((other, _, _))) => {
                            let between = self.lexicon.relations_between(answer, other);
                            between.into_iter().next().map(|(rel, d)| (rel, direction(d)))
                        }
                        _ => None,
                    };
                    let Some((relation, direction)) = relation else { continue };
                    // Words naming the same relation elsewhere ("used by") are spent too.
                    r.cues.retain(|c| c.relation != relation);
                    if let Some((_, at, n)) = by_type {
                        r.types.retain(|(_, t, _)| *t != at);
                        mark_range(r, at, at + n);
                    }
                    mark_range(r, i, i + 1);
                    r.reasons.push(format!("'{} {}': ranked by the number of {relation}", words[i], words[i + 1]));
                    return Ok(Some((RankKey::Degree { relation, direction }, order, k)));
                }
            } else {
                let superlative: Vec<_> =
                    measures_of_adjective(words[i]).into_iter().filter(|(_, d, _)| *d == Degree::Superlative).collect();
                if let Some(&(_, _, order)) = superlative.first() {
                    found = Some((superlative.into_iter().map(|(m, _, _)| m).collect(), order, 1));
                }
            }
            let Some((measures, order, len)) = found else { continue };
            mark_range(r, i, i + len);
            // "the largest country": what is ranked, when the type is named right after.
            let ranked_type =
                r.types.iter().find(|(_, at, _)| *at == i + len || (*at == i + len + 1 && words[i + len] == "the"));
            let ranked_type = ranked_type.map(|(t, _, _)| t.clone());
            let asked = answer;
            let answer = match &ranked_type {
                Some(t) => Some(t.as_str()),
                None => answer,
            };
            // "… by area", "… by population": the property said outright.
            let by = (i + len..words.len())
                .find(|&j| words[j] == "by")
                .and_then(|j| self.vocabulary.named_at(&r.stems, j + 1, PropertyKind::Number, answer).map(|p| (j, p)));
            // "the largest population": the property named right after.
            let named = self.vocabulary.named_at(&r.stems, i + len, PropertyKind::Number, answer);
            let prop = match (by, named) {
                (_, Some(p)) => {
                    mark_range(r, i + len, i + len + p.len);
                    p.name
                }
                (Some((j, p)), None) => {
                    mark_range(r, j, j + 1 + p.len);
                    p.name
                }
                (None, None) => match self.vocabulary.resolve(&measures, answer) {
                    Some((_, p)) => p,
                    None => return Err(NotComposed::NoProperty(measures[0].nouns[0].to_string())),
                },
            };
            r.reasons.push(format!("'{}': ranked by {prop}", words[i..i + len].join(" ")));
            if let Some(t) = ranked_type.clone().filter(|t| Some(t.as_str()) != asked) {
                r.pending_rank = Some((t, RankKey::Prop(prop.clone()), order, k));
            }
            return Ok(Some((RankKey::Prop(prop), order, k)));
        }
        Ok(None)
    }

    /// Property filters: a comparison with a number ("more than 50 million people",
    /// "smaller than 1000 km2", "a population under 1 million") and boolean properties named
    /// by their words ("landlocked", "not landlocked").
    fn filters(
        &self,
        r: &mut Reading<'_>,
        answer: Option<&str>,
    ) -> Result<Vec<(String, CompareOp, PropValue)>, NotComposed> {
        let words = r.words.clone();
        let mut out = Vec::new();
        let kind = answer.map(str::to_string).or_else(|| r.spans.first().map(|&(_, _, e)| r.entities[e].kind.clone()));
        let kind = kind.as_deref();
        let mut i = 0;
        while i < words.len() {
            // "bigger than N", "more than N", "under N".
            let adjective: Vec<_> =
                measures_of_adjective(words[i]).into_iter().filter(|(_, d, _)| *d == Degree::Comparative).collect();
            let (op, len, measures) = if !adjective.is_empty() && words.get(i + 1) == Some(&"than") {
                let op = if adjective[0].2 == Order::Desc { CompareOp::Gt } else { CompareOp::Lt };
                (Some(op), 2, adjective.into_iter().map(|(m, _, _)| m).collect::<Vec<_>>())
            } else if let Some((phrase, op)) =
                COMPARISONS.iter().find(|(p, _)| i + p.len() <= words.len() && words[i..i + p.len()] == p[..])
            {
                (Some(*op), phrase.len(), Vec::new())
            } else {
                (None, 0, Vec::new())
            };
            let Some(op) = op else {
                i += 1;
                continue;
            };
            let Some((value, numlen)) = signed_number(&words, i + len) else {
                i += 1;
                continue;
            };
            let after = i + len + numlen;
            // The measure: the adjective, a counted noun after the number ("people"), or a
            // property named just before ("with a population under").
            let counted = words.get(after).map(|w| measures_counting(w)).unwrap_or_default();
            let named_before = (i.saturating_sub(3)..i)
                .rev()
                .find_map(|j| self.vocabulary.named_at(&r.stems, j, PropertyKind::Number, kind).map(|p| (j, p)));
            let named_after = self.vocabulary.named_at(&r.stems, after, PropertyKind::Number, kind);
            let prop = if let Some(p) = named_after {
                mark_range(r, after, after + p.len);
                Some(p.name)
            } else if let Some((j, p)) = named_before {
                mark_range(r, j, j + p.len);
                Some(p.name)
            } else {
                let ms: Vec<&Measure> = if measures.is_empty() { counted.clone() } else { measures };
                if !counted.is_empty() {
                    mark_range(r, after, after + 1);
                }
                if ms.is_empty() { None } else { self.vocabulary.resolve(&ms, kind).map(|(_, p)| p) }
            };
            let Some(prop) = prop else {
                return Err(NotComposed::NoProperty(words.get(after).copied().unwrap_or(words[i]).to_string()));
            };
            mark_range(r, i, i + len + 1);
            r.reasons.push(format!(
                "'{} {}': {prop} {} {value}",
                words[i..i + len].join(" "),
                words[i + len],
                op.symbol()
            ));
            out.push((prop, op, PropValue::Number(value)));
            i = after;
        }
        // Boolean properties by their words; a negation just before denies them.
        let mut i = 0;
        while i < words.len() {
            if r.used[i] || r.spans.iter().any(|&(s, e, _)| (s..e).contains(&i)) {
                i += 1;
                continue;
            }
            let Some(p) = self.vocabulary.named_at(&r.stems, i, PropertyKind::Boolean, kind) else {
                i += 1;
                continue;
            };
            let negated = (i.saturating_sub(3)..i).any(|j| is_negation(&words, j) && !r.used[j]);
            if negated {
                for j in i.saturating_sub(3)..i {
                    if is_negation(&words, j) {
                        r.used[j] = true;
                    }
                }
            }
            mark_range(r, i, i + p.len);
            r.reasons.push(format!("'{}': {} = {}", words[i..i + p.len].join(" "), p.name, !negated));
            // Its words are not relation words.
            r.cues.retain(|c| !(i..i + p.len).contains(&c.at));
            out.push((p.name, CompareOp::Eq, PropValue::Bool(!negated)));
            i += p.len;
        }
        // A numeric property followed by a number: "with the calling code +1".
        let mut i = 0;
        while i < words.len() {
            let named = (!r.used[i] && !r.spans.iter().any(|&(s, e, _)| (s..e).contains(&i)))
                .then(|| self.vocabulary.named_at(&r.stems, i, PropertyKind::Number, kind))
                .flatten();
            let Some(p) = named else {
                i += 1;
                continue;
            };
            let mut at = i + p.len;
            while words.get(at).is_some_and(|w| matches!(*w, "of" | "is" | "equal" | "to")) {
                at += 1;
            }
            match signed_number(&words, at) {
                Some((value, numlen)) if !r.used[at] => {
                    mark_range(r, i, at + numlen);
                    r.reasons.push(format!("'{}': {} = {value}", words[i..at + numlen].join(" "), p.name));
                    out.push((p.name, CompareOp::Eq, PropValue::Number(value)));
                    i = at + numlen;
                }
                _ => i += 1,
            }
        }
        Ok(out)
    }

    /// "does A border B": A's relations, kept if B is among them (or the other way round).
    fn membership(&self, r: &mut Reading<'_>) -> Result<GraphPlan, NotComposed> {
        let all: Vec<usize> = (0..r.cues.len()).collect();
        let (a, b) = (r.spans[0].2, r.spans[1].2);
        let mut first_error = None;
        for (from, other) in [(a, b), (b, a)] {
            let anchor = Anchor {
                id: r.entities[from].id.clone(),
                kind: r.entities[from].kind.clone(),
                start: r.spans.iter().find(|s| s.2 == from).map_or(0, |s| s.0),
                end: 0,
                negated: false,
                cues: all.clone(),
            };
            match self.chain(r, &anchor, Some(&r.entities[other].kind.clone())) {
                Ok((plan, _)) if !matches!(plan, GraphPlan::Entities(_)) => {
                    return Ok(GraphPlan::Intersect(vec![plan, GraphPlan::entities([r.entities[other].id.clone()])]));
                }
                Ok(_) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or(NotComposed::Unsupported("no relation between the two entities".into())))
    }

    /// The set the question is about, from its anchors (or every entity of its answer type).
    fn base_set(&self, r: &mut Reading<'_>, answer: Option<&str>) -> Result<GraphPlan, NotComposed> {
        let words = r.words.clone();
        // Entities inside words a filter or ranking read ("UTC" in "UTC offset") start nothing.
        let used = r.used.clone();
        r.spans.retain(|&(s, e, _)| !(s..e).all(|i| used[i]));
        let mut anchors: Vec<Anchor> = r
            .spans
            .iter()
            .map(|&(start, end, e)| Anchor {
                id: r.entities[e].id.clone(),
                kind: r.entities[e].kind.clone(),
                start,
                end,
                negated: false,
                cues: Vec::new(),
            })
            .collect();
        // Relation words go to the first anchor after them, else the last one before.
        let mut unassigned = Vec::new();
        for (c, cue) in r.cues.iter().enumerate() {
            if r.used.get(cue.at).copied().unwrap_or(false) {
                continue;
            }
            // Right after an entity it can follow from, it is that entity's ("Spanish-language").
            // unless the entity after it is one it can follow from too ("China use the yuan").
            let after = anchors.iter().position(|a| a.start >= cue.at);
            let after_fits = after.is_some_and(|a| self.orient(cue, &anchors[a].kind).is_some());
            let adjacent = anchors.iter().position(|a| a.end == cue.at && self.orient(cue, &a.kind).is_some());
            let next = if after_fits { after } else { adjacent.or(after) };
            match next.or_else(|| anchors.len().checked_sub(1)) {
                Some(a) => anchors[a].cues.push(c),
                None => unassigned.push(c),
            }
        }
        // A negation denies the relation or entity right after it ("do not use the euro",
        // "not in Europe", "is not an official language"): the anchor that relation belongs to,
        // or that entity. A negation of anything else ("I don't know which") is not read.
        for i in 0..words.len() {
            if r.used[i] || !is_negation(&words, i) {
                continue;
            }
            let window = i + 1..(i + 1 + NEGATION_REACH).min(words.len());
            let by_anchor = anchors.iter().position(|a| window.contains(&a.start));
            let by_cue = || {
                let c = r.cues.iter().position(|c| window.contains(&c.at))?;
                anchors.iter().position(|a| a.cues.contains(&c))
            };
            if let Some(a) = by_anchor.or_else(by_cue) {
                anchors[a].negated = true;
                r.reasons.push(format!("'{}': without what {} leads to", words[i], r.entities_name(&anchors[a].id)));
            }
        }
        // "both A and B", "A or B": anchors joined share their relation words.
        let mut groups: Vec<(Vec<usize>, bool)> = Vec::new();
        for a in 0..anchors.len() {
            let joined = a > 0 && {
                let between: Vec<&str> =
                    words[anchors[a - 1].end..anchors[a].start].iter().copied().filter(|w| *w != "the").collect();
                between == ["and"] || between == ["or"]
            };
            let or = a > 0 && words[anchors[a - 1].end..anchors[a].start].contains(&"or");
            match groups.last_mut() {
                Some((members, any)) if joined => {
                    members.push(a);
                    *any |= or;
                }
                _ => groups.push((vec![a], false)),
            }
        }
        // An entity of the previous one's type, with no relation word of its own, takes the
        // previous one's ("that depend on A but not on B").
        for a in 1..anchors.len() {
            if anchors[a].cues.is_empty() && anchors[a].kind == anchors[a - 1].kind {
                anchors[a].cues = anchors[a - 1].cues.clone();
            }
        }
        for (members, _) in &groups {
            let shared: Vec<usize> = members.iter().flat_map(|&a| anchors[a].cues.clone()).collect();
            let negated = members.iter().any(|&a| anchors[a].negated);
            for &a in members {
                anchors[a].cues = shared.clone();
                anchors[a].negated = negated;
            }
        }
        // With no entity, a word that names a type as well as a relation ("country") names
        // the type.
        unassigned.retain(|&c| !r.types.iter().any(|(_, at, n)| (*at..at + n).contains(&r.cues[c].at)));
        if anchors.is_empty() {
            if let Some(c) = unassigned.first() {
                return Err(NotComposed::Unsupported(format!(
                    "'{}' names a relation but no entity to follow it from",
                    r.cues[*c].words
                )));
            }
            return match answer {
                Some(kind) => Ok(GraphPlan::Type(kind.to_string())),
                None => Err(NotComposed::NoStart),
            };
        }
        let mut positive: Vec<GraphPlan> = Vec::new();
        let mut negative: Vec<GraphPlan> = Vec::new();
        let mut ends: HashSet<String> = HashSet::new();
        for (members, or) in &groups {
            let mut parts = Vec::new();
            for &a in members {
                let (plan, end) = self.chain(r, &anchors[a], answer)?;
                ends.insert(end);
                parts.push(plan);
            }
            let plan = if parts.len() == 1 {
                parts.remove(0)
            } else if *or {
                GraphPlan::Union(parts)
            } else {
                GraphPlan::Intersect(parts)
            };
            if anchors[members[0]].negated {
                // "countries that do not border France" leaves France out too.
                let selves: Vec<String> = members
                    .iter()
                    .filter(|&&a| ends.contains(&anchors[a].kind) && !anchors[a].cues.is_empty())
                    .map(|&a| anchors[a].id.clone())
                    .collect();
                negative.push(if selves.is_empty() {
                    plan
                } else {
                    GraphPlan::Union(vec![plan, GraphPlan::Entities(selves)])
                });
            } else {
                positive.push(plan)
            }
        }
        if ends.len() > 1 {
            let mut ends: Vec<String> = ends.into_iter().collect();
            ends.sort();
            return Err(NotComposed::NoPath { from: ends[0].clone(), to: ends[1].clone() });
        }
        let from = match positive.len() {
            0 => match ends.iter().next() {
                Some(kind) => GraphPlan::Type(kind.clone()),
                None => return Err(NotComposed::NoStart),
            },
            1 => positive.remove(0),
            _ => GraphPlan::Intersect(positive),
        };
        Ok(match negative.len() {
            0 => from,
            1 => GraphPlan::Subtract { from: Box::new(from), minus: Box::new(negative.remove(0)) },
            _ => GraphPlan::Subtract { from: Box::new(from), minus: Box::new(GraphPlan::Union(negative)) },
        })
    }

    /// The relations of `anchor` followed from it, nearest first, bridging between named
    /// types where no relation word applies; ends on `answer` when given. Returns the plan
    /// and the type it ends on.
    fn chain(
        &self,
        r: &mut Reading<'_>,
        anchor: &Anchor,
        answer: Option<&str>,
    ) -> Result<(GraphPlan, String), NotComposed> {
        let mut plan = GraphPlan::entities([anchor.id.clone()]);
        let mut kind = anchor.kind.clone();
        let mut remaining: Vec<Cue> = anchor.cues.iter().map(|&c| r.cues[c].clone()).collect();
        remaining.sort_by_key(|c| c.at.abs_diff(anchor.start));
        let mut hops = 0;
        // The relation of the last hop: the answer type is not reached by going back over it
        // ("the national language of Indonesia" asks for languages, not for nations).
        let mut last: Option<String> = None;
        loop {
            if hops >= MAX_HOPS {
                break;
            }
            // At the answer type, with the relation words left all between the answer's noun
            // and the entity and no other mention of that type among them, they are the verb
            // that ties the answer to the rest ("which zones use the abbreviation IST").
            if hops > 0
                && answer == Some(kind.as_str())
                && !remaining.is_empty()
                && remaining.iter().all(|c| c.at < anchor.start)
                && let Some(first) = remaining.iter().map(|c| c.at).min()
                && !self
                    .lexicon
                    .type_mentions(&r.words[(first + 1).min(anchor.start)..anchor.start], &[])
                    .iter()
                    .any(|t| t.kind == kind)
            {
                r.reasons.push(format!("'{}' read as the verb of the answer", remaining[0].words));
                remaining.clear();
                break;
            }
            let applicable = remaining.iter().position(|c| self.orient(c, &kind).is_some());
            if let Some(p) = applicable {
                let cue = remaining.remove(p);
                let Some((direction, far)) = self.orient(&cue, &kind) else { break };
                // The same relation named twice ("currency … use") is one hop.
                remaining.retain(|c| c.relation != cue.relation);
                let next = self.pick_type(&far, answer, r, &remaining);
                let stats = self.schema.relation(&cue.relation);
                // A chain is followed to its end only across types (region → country through
                // subregions); within one type ("packages that depend on bzip2") one hop is
                // what is asked.
                let chaining =
                    stats.is_some_and(|s| s.chaining >= TRANSITIVE_CHAINING && s.symmetric < SYMMETRIC) && next != kind;
                let keep = (far.len() > 1 || chaining).then(|| next.clone());
                r.reasons.push(format!("'{}': {} {} from {}", cue.words, cue.relation, arrow(direction), kind));
                plan = GraphPlan::Follow {
                    from: Box::new(plan),
                    relation: cue.relation.clone(),
                    direction,
                    transitive: chaining && keep.is_some(),
                    kind: keep,
                };
                last = Some(cue.relation.clone());
                kind = next;
                hops += 1;
                plan = rank_here(r, plan, &kind, !remaining.is_empty());
                continue;
            }
            if remaining.is_empty() {
                break;
            }
            // A gap: a relation between this type and a named type some remaining relation
            // starts from ("currencies used by countries in Central America").
            let bridge = r
                .types
                .iter()
                .filter(|(t, _, _)| *t != kind && remaining.iter().any(|c| self.orient(c, t).is_some()))
                .find_map(|(t, _, _)| self.bridge(&kind, t).map(|b| (t.clone(), b)));
            let Some((to, (relation, direction))) = bridge else {
                let c = &remaining[0];
                return Err(NotComposed::Unfollowed { relation: c.relation.clone(), from: kind });
            };
            plan = self.implied(plan, &relation, direction, &to, r, &kind);
            kind = to;
            hops += 1;
            plan = rank_here(r, plan, &kind, !remaining.is_empty());
        }
        if let Some(c) = remaining.first() {
            return Err(NotComposed::Unfollowed { relation: c.relation.clone(), from: kind });
        }
        if let Some(answer) = answer
            && answer != kind
        {
            let Some((relation, direction)) = self.bridge(&kind, answer) else {
                return Err(NotComposed::NoPath { from: kind, to: answer.to_string() });
            };
            if last.as_deref() != Some(relation.as_str()) {
                plan = self.implied(plan, &relation, direction, answer, r, &kind);
                kind = answer.to_string();
            }
        }
        Ok((plan, kind))
    }

    fn implied(
        &self,
        plan: GraphPlan,
        relation: &str,
        direction: Direction,
        to: &str,
        r: &mut Reading<'_>,
        from: &str,
    ) -> GraphPlan {
        let chaining = self
            .schema
            .relation(relation)
            .is_some_and(|s| s.chaining >= TRANSITIVE_CHAINING && s.symmetric < SYMMETRIC)
            && from != to;
        r.reasons.push(format!("implied: {relation} {} from {from} to {to}", arrow(direction)));
        GraphPlan::Follow {
            from: Box::new(plan),
            relation: relation.to_string(),
            direction,
            transitive: chaining,
            kind: Some(to.to_string()),
        }
    }

    /// The relation that best connects `from` to `to` (directly or, for a chaining relation,
    /// through its own chain), with the way to follow it.
    fn bridge(&self, from: &str, to: &str) -> Option<(String, Direction)> {
        if let Some((relation, d)) = self.lexicon.relations_between(from, to).into_iter().next() {
            return Some((relation, direction(d)));
        }
        // "countries in Africa": country part_of subregion part_of region.
        self.schema.relations.iter().filter(|s| s.chaining >= TRANSITIVE_CHAINING).find_map(|s| {
            if s.has_source_type(from) && s.has_target_type(to) {
                Some((s.name.clone(), Direction::Out))
            } else if s.has_target_type(from) && s.has_source_type(to) {
                Some((s.name.clone(), Direction::In))
            } else {
                None
            }
        })
    }

    /// Which way `cue` is followed from entities of type `kind`, and the types at its far
    /// end; `None` when such entities are at neither end.
    fn orient(&self, cue: &Cue, kind: &str) -> Option<(Direction, Vec<String>)> {
        let stats: &RelationTypeStats = self.schema.relation(&cue.relation)?;
        let (source, target) = (stats.has_source_type(kind), stats.has_target_type(kind));
        let types = |v: &[(String, usize)]| v.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>();
        let out = (Direction::Out, types(&stats.target_types));
        let into = (Direction::In, types(&stats.source_types));
        match (source, target) {
            (true, false) => Some(out),
            (false, true) => Some(into),
            (true, true) if stats.symmetric >= SYMMETRIC => Some(out),
            (true, true) => Some(if cue.direction == CueDirection::In { into } else { out }),
            (false, false) => None,
        }
    }

    /// The type a hop lands on among `far`: the answer type, a type the question names, one
    /// a remaining relation starts from, else the most frequent.
    fn pick_type(&self, far: &[String], answer: Option<&str>, r: &Reading<'_>, remaining: &[Cue]) -> String {
        if let Some(a) = answer.filter(|a| far.iter().any(|t| t == a))
            && remaining.is_empty()
        {
            return a.to_string();
        }
        if let Some(t) = far.iter().find(|t| remaining.iter().any(|c| self.orient(c, t).is_some())) {
            return t.clone();
        }
        if let Some(a) = answer.filter(|a| far.iter().any(|t| t == a)) {
            return a.to_string();
        }
        if let Some((t, _, _)) = r.types.iter().find(|(t, _, _)| far.contains(t)) {
            return t.clone();
        }
        far.first().cloned().unwrap_or_default()
    }
}

impl Reading<'_> {
    fn entities_name(&self, id: &str) -> String {
        self.entities.iter().find(|e| e.id == id).map_or_else(|| id.to_string(), |e| e.name.clone())
    }
}

fn mark(r: &mut Reading<'_>, words: &[&str]) {
    for (i, w) in r.words.iter().enumerate() {
        if words.contains(w) {
            r.used[i] = true;
        }
    }
}

fn mark_range(r: &mut Reading<'_>, from: usize, to: usize) {
    for i in from..to.min(r.used.len()) {
        r.used[i] = true;
    }
    r.cues.retain(|c| !(from..to).contains(&c.at));
}

/// The number at `i`, negative after "minus" (how a sign before digits is written by
/// [`canonical_numbers`]), and how many words it takes.
fn signed_number(words: &[&str], i: usize) -> Option<(f64, usize)> {
    match words.get(i).copied() {
        Some("minus") => words.get(i + 1).and_then(|w| number_word(w)).map(|n| (-n, 2)),
        Some(w) => number_word(w).map(|n| (n, 1)),
        None => None,
    }
}

/// `plan` ranked by the pending ranking when it is of entities of `kind` and more hops
/// follow ("capital of the largest country in Africa": rank the countries, then follow).
fn rank_here(r: &mut Reading<'_>, plan: GraphPlan, kind: &str, more: bool) -> GraphPlan {
    match r.pending_rank.take() {
        Some((t, key, order, k)) if more && t == kind => {
            r.rank_applied = true;
            GraphPlan::TopBy { from: Box::new(plan), key, order, k }
        }
        other => {
            r.pending_rank = other;
            plan
        }
    }
}

fn apply_filters(mut plan: GraphPlan, filters: Vec<(String, CompareOp, PropValue)>) -> GraphPlan {
    for (prop, op, value) in filters {
        plan = GraphPlan::FilterProp { from: Box::new(plan), prop, op, value };
    }
    plan
}

fn direction(d: CueDirection) -> Direction {
    match d {
        CueDirection::Out => Direction::Out,
        CueDirection::In => Direction::In,
        CueDirection::Both => Direction::Both,
    }
}

fn arrow(d: Direction) -> &'static str {
    match d {
        Direction::Out => "followed out",
        Direction::In => "followed in",
        Direction::Both => "followed both ways",
    }
}

/// A plan the graph route answers as well: entities, one type, or one hop from entities.
fn is_one_hop(plan: &GraphPlan) -> bool {
    match plan {
        GraphPlan::Entities(_) | GraphPlan::Type(_) => true,
        GraphPlan::Follow { from, .. } => matches!(from.as_ref(), GraphPlan::Entities(_)),
        _ => false,
    }
}
