//! Query introspection: entity links, the relations and entity types of this knowledge
//! base that the query names (through its [`Lexicon`]), general-language cues (freshness,
//! pictures, explanations, offices, tense) and the question's shape, all without a model
//! call. The general cue lists are English, not any domain's: a knowledge base's own
//! vocabulary comes only from its schema.

use crate::features::{CueDirection, LinkedEntity, QueryFeatures, QuestionShape, RelationCue};
use crate::lexicon::{Lexicon, Mention, TypeMention};
use crate::morphology::is_function_word;
use crate::normalize::{contains_phrase, normalize};

/// Links entity mentions in a query to graph entities, and says how an entity is related.
/// The graph store implements it; the router only knows this trait, so the graph can be
/// swapped.
pub trait EntityLinker: Send + Sync {
    /// Linked mentions of `text`, best first.
    fn link(&self, text: &str) -> Vec<LinkedEntity>;

    /// The one entity of one of `kinds` whose name ends with the words of `mention` (its
    /// head: "the yen" for "Japanese yen"), when exactly one has such a name; for a mention
    /// the linker read as something of another type. None when unknown.
    fn named_like(&self, mention: &str, kinds: &[&str]) -> Option<LinkedEntity> {
        let _ = (mention, kinds);
        None
    }

    /// How many relations of type `relation` the entity `id` has in `direction` (0 when
    /// unknown): whether a cued relation exists where the question points.
    fn count_related(&self, id: &str, relation: &str, direction: CueDirection) -> usize {
        let _ = (id, relation, direction);
        0
    }
}

/// A linker that links nothing (a router with no graph).
pub struct NoLinker;

impl EntityLinker for NoLinker {
    fn link(&self, _text: &str) -> Vec<LinkedEntity> {
        Vec::new()
    }
}

/// General phrases of path questions ("how are A and B connected"): the pseudo-relation
/// [`crate::PATH_RELATION`], whatever the knowledge base.
const PATH_CUES: &[&str] = &[
    "connected",
    "connects",
    "connection",
    "connections",
    "path from",
    "path between",
    "related",
    "relationship between",
    "link between",
    "links between",
    "in common",
];

/// Words and phrases that say the answer changes over time or lives outside any fixed corpus:
/// time words, markets, sports results, releases, schedules, local and live services.
const FRESHNESS_CUES: &[&str] = &[
    "latest",
    "newest",
    "new",
    "next",
    "upcoming",
    "today",
    "tonight",
    "tomorrow",
    "yesterday",
    "last night",
    "this morning",
    "this afternoon",
    "now",
    "right now",
    "current",
    "currently",
    "this week",
    "this weekend",
    "next week",
    "next weekend",
    "this month",
    "this year",
    "this winter",
    "this summer",
    "recent",
    "recently",
    "breaking",
    "news",
    "headlines",
    "live",
    "trending",
    "price",
    "prices",
    "cost",
    "how much",
    "cheap",
    "cheapest",
    "deals",
    "stock",
    "stocks",
    "shares",
    "share price",
    "market",
    "exchange rate",
    "rate today",
    "worth",
    "net worth",
    "weather",
    "forecast",
    "rain",
    "snowing",
    "temperature",
    "score",
    "scores",
    "standings",
    "table",
    "won",
    "winner",
    "wins",
    "result",
    "results",
    "election",
    "polls",
    "release",
    "released",
    "release date",
    "come out",
    "coming out",
    "launch",
    "update",
    "version",
    "stable",
    "changelog",
    "down",
    "outage",
    "tour",
    "tour dates",
    "concert",
    "tickets",
    "album",
    "schedule",
    "showtimes",
    "in cinemas",
    "cinemas",
    "near me",
    "open now",
    "opening hours",
    "open today",
    "delays",
    "flight status",
    "times",
    "traffic",
    "hotels",
    "flights",
    "how old",
    "what time",
    "until",
    "final",
    "finals",
    "playing",
    "futures",
    "dates",
    "rumors",
    "reviews",
    "announce",
    "announced",
    "announcement",
];

/// Office and role words: who holds an office changes over time and is not in the graph.
const OFFICE_ROLES: &[&str] = &[
    "president",
    "prime minister",
    "chancellor",
    "minister",
    "ceo",
    "chairman",
    "chair",
    "mayor",
    "governor",
    "king",
    "queen",
    "pope",
    "leader",
    "leads",
    "head of",
    "runs",
    "coach",
    "captain",
    "secretary general",
    "richest",
];

/// Words that put the question in the present ("who is the president") rather than the past.
const PRESENT_CUES: &[&str] = &["is", "are", "s", "current", "currently", "now", "today", "right now", "this year"];
/// Words that put the question in the past ("who was the first president").
const PAST_CUES: &[&str] = &["was", "were", "did", "had", "ancient", "history", "historical", "first", "early"];

/// Words and phrases that ask for pictures, in any knowledge base.
const VISUAL_CUES: &[&str] = &[
    "picture",
    "pictures",
    "photo",
    "photos",
    "photograph",
    "photographs",
    "image",
    "images",
    "drawing",
    "drawings",
    "clip art",
    "clipart",
    "illustration",
    "illustrations",
    "icon",
    "icons",
    "logo",
    "logos",
    "looks like",
    "look like",
    "cartoon",
    "sketch",
    "screenshot",
    "diagram",
];

/// Phrases of descriptive or explanatory questions, which passages answer better than facts.
const EXPLANATORY_CUES: &[&str] = &[
    "why",
    "how do",
    "how does",
    "how did",
    "how can",
    "how to",
    "what causes",
    "explain",
    "describe",
    "history of",
    "difference between",
    "tell me about",
    "meaning",
    "summary",
    "story of",
    "origins",
    "what happens",
    "overview",
    "introduction to",
    "guide",
    "tutorial",
];

/// Words that open a relative or descriptive clause ("that", "with", "you").
const DESCRIPTIVE_CLAUSE_WORDS: &[&str] = &["that", "which", "with", "you", "without"];
/// First words of a description of an unnamed thing ("a", "something").
const DESCRIPTIVE_OPENERS: &[&str] = &["a", "an", "something", "things", "anything", "some"];
/// Shortest cue word (and query word) matched with one typo.
const MIN_TYPO_CUE_CHARS: usize = 6;

const WH_WORDS: &[&str] = &["what", "which", "who", "whom", "whose", "where", "when", "how", "why", "wat"];
const AUXILIARIES: &[&str] = &["is", "are", "was", "were", "does", "do", "did", "can", "could", "has", "have", "will"];

/// Turns a query into [`QueryFeatures`].
#[derive(Debug, Default, Clone)]
pub struct Introspector {
    exemplars: Option<std::sync::Arc<crate::exemplars::Exemplars>>,
}

impl Introspector {
    /// A new introspector with the built-in cue lexicons and no exemplars.
    pub fn new() -> Self {
        Introspector { exemplars: None }
    }

    /// Also measures similarity to these exemplar queries (an embedding per query).
    pub fn with_exemplars(mut self, exemplars: std::sync::Arc<crate::exemplars::Exemplars>) -> Self {
        self.exemplars = Some(exemplars);
        self
    }

    /// Introspects `query` against a knowledge base: `linker` links its entities and
    /// `lexicon` is the vocabulary of its schema. `has_image` says whether an image was
    /// attached.
    pub fn introspect(
        &self,
        query: &str,
        linker: &dyn EntityLinker,
        lexicon: &Lexicon,
        has_image: bool,
    ) -> QueryFeatures {
        let normalized = normalize(query);
        let padded = format!(" {normalized} ");
        let text = CueText::new(&padded);
        let words = &text.words;

        let entities = linker.link(query);
        let spans = mention_spans(words, &entities);
        let mentions: Vec<Mention<'_>> =
            spans.iter().map(|&(start, end, e)| Mention { start, end, kind: entities[e].kind.as_str() }).collect();
        // Misspelled relation and type words ("curency", "maintaner") are read as the word of
        // this knowledge base one edit away; short words have too many near neighbours.
        let corrected: Vec<&str> = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if w.len() < MIN_TYPO_CUE_CHARS || mentions.iter().any(|m| (m.start..m.end).contains(&i)) {
                    return *w;
                }
                lexicon.correct(w).unwrap_or(w)
            })
            .collect();

        let types: Vec<TypeMention> = lexicon.type_mentions(&corrected, &mentions);
        let mut relations: Vec<RelationCue> = lexicon
            .relation_cues(&corrected, &mentions)
            .into_iter()
            .take(MAX_RELATION_CUES)
            .map(|c| RelationCue {
                cue: c.cue,
                relation: c.relation,
                direction: c.direction,
                confidence: c.confidence,
                why: c.why.to_string(),
                related: 0,
            })
            .collect();
        // No relation word, but a type of answer and an entity: the relations between their
        // types ("films by kurosawa", "bash maintainers", "timezones in brazil").
        if relations.is_empty()
            && let Some(entity) = entities.first()
        {
            for t in types.iter().filter(|t| t.kind != entity.kind) {
                for (relation, direction) in lexicon.relations_between(&entity.kind, &t.kind).into_iter().take(2) {
                    relations.push(RelationCue {
                        cue: t.words.clone(),
                        relation,
                        direction,
                        confidence: IMPLIED_CUE_CONFIDENCE,
                        why: format!("implied: relates {} to {}", entity.kind, t.kind),
                        related: 0,
                    });
                }
            }
        }
        // Two entities and no relation word ("is hamburg in germany", "bash and coreutils"):
        // the relations between their types, followed from the first.
        if relations.is_empty()
            && let [first, second, ..] = distinct_entities(&entities)[..]
        {
            for (relation, direction) in lexicon.relations_between(&first.kind, &second.kind).into_iter().take(2) {
                relations.push(RelationCue {
                    cue: second.mention.clone(),
                    relation,
                    direction,
                    confidence: IMPLIED_CUE_CONFIDENCE,
                    why: format!("implied: relates {} to {}", first.kind, second.kind),
                    related: 0,
                });
            }
        }
        // Still no relation, an entity, and an embedder: the relation whose words are closest
        // in meaning to the rest of the query ("who was behind the camera for X"). One more
        // embedding, only for such queries.
        if relations.is_empty()
            && !entities.is_empty()
            && let Some(exemplars) = &self.exemplars
        {
            let rest: Vec<&str> = corrected
                .iter()
                .enumerate()
                .filter(|(i, _)| !mentions.iter().any(|m| (m.start..m.end).contains(i)))
                .map(|(_, w)| *w)
                .collect();
            if rest.iter().filter(|w| !is_function_word(w)).count() >= 1
                && let Some(v) = exemplars.embedder().embed(&rest.join(" "))
                && let Some(c) = lexicon.paraphrase_cue(&v, exemplars.embedder().as_ref(), &mentions)
            {
                relations.push(RelationCue {
                    cue: c.cue,
                    relation: c.relation,
                    direction: c.direction,
                    confidence: c.confidence,
                    why: c.why.to_string(),
                    related: 0,
                });
            }
        }
        // Does the cued relation exist where the question points? The strongest graph
        // evidence there is, and free to check.
        for r in &mut relations {
            r.related = entities.iter().take(3).map(|e| linker.count_related(&e.id, &r.relation, r.direction)).sum();
        }
        let path_cue = PATH_CUES.iter().find(|c| text.has(c));
        if let Some(cue) = path_cue {
            relations.push(RelationCue::path(cue));
        } else if text.has("between") && distinct_ids(&entities) >= 2 && !text.has("difference between") {
            // "between A and B" is a path question only when both sides are entities.
            relations.push(RelationCue::path("between"));
        }

        // Names can contain time words ("New Zealand", "Papua New Guinea"): freshness is
        // looked for outside confidently linked mentions.
        let outside_mentions = mask_mentions(&padded, &entities);
        let mut freshness = CueText::new(&outside_mentions).matching(FRESHNESS_CUES);
        freshness.extend(words.iter().filter(|w| is_recent_year(w)).map(|w| (*w).to_string()));
        let numbers: Vec<String> = words
            .iter()
            .filter(|w| w.chars().any(|c| c.is_ascii_digit()) && !is_recent_year(w))
            .map(|w| (*w).to_string())
            .collect();
        let office_roles = text.matching(OFFICE_ROLES);
        let present_tense = PRESENT_CUES.iter().any(|c| text.has(c));
        // "the president who abolished slavery": a regular past-tense verb after "who".
        let past_tense = PAST_CUES.iter().any(|c| text.has(c))
            || words.windows(2).any(|p| p[0] == "who" && p[1].len() > 4 && p[1].ends_with("ed"));
        // "an animal that climbs trees", "a toy with three wheels", "things you find in a kitchen":
        // a relative clause after the first word describes something without naming it.
        let describes_unnamed = words.iter().skip(1).any(|w| DESCRIPTIVE_CLAUSE_WORDS.contains(w))
            || DESCRIPTIVE_OPENERS.contains(&words.first().copied().unwrap_or(""));
        let visual = text.matching(VISUAL_CUES);
        let explanatory = text.matching(EXPLANATORY_CUES);

        let first = words.first().copied().unwrap_or("");
        let (shape, lead) = if WH_WORDS.contains(&first) {
            (QuestionShape::Wh, Some(first.to_string()))
        } else if AUXILIARIES.contains(&first) {
            (QuestionShape::YesNo, Some(first.to_string()))
        } else if let Some(w) = words.iter().find(|w| WH_WORDS.contains(w)) {
            // "Ottawa is the capital of which country"
            (QuestionShape::Wh, Some((*w).to_string()))
        } else {
            (QuestionShape::Keywords, None)
        };
        // Content words that are neither an entity, a relation or type word, nor a function
        // word: what the query says beyond the knowledge base's vocabulary.
        let in_type = |i: usize| types.iter().any(|t| (t.at..t.at + t.words.split(' ').count()).contains(&i));
        let other_words = words
            .iter()
            .enumerate()
            .filter(|(i, w)| {
                !mentions.iter().any(|m| (m.start..m.end).contains(i))
                    && !in_type(*i)
                    && !is_function_word(w)
                    && !WH_WORDS.contains(w)
                    && !lexicon.is_question_word(corrected[*i])
            })
            .count();

        let (exemplar_similarity, embedding) =
            match self.exemplars.as_ref().filter(|_| !query.trim().is_empty()).and_then(|e| e.similarities(query)) {
                Some((z, v)) => (Some(z), Some(std::sync::Arc::new(v))),
                None => (None, None),
            };
        QueryFeatures {
            exemplar_similarity,
            embedding,
            query: query.to_string(),
            tokens: words.len(),
            unlinked_names: unlinked_names(query, &entities),
            office_roles,
            present_tense,
            past_tense,
            describes_unnamed,
            numbers,
            normalized,
            entities,
            relations,
            types: types.into_iter().map(|t| t.kind).collect(),
            other_words,
            freshness,
            visual,
            explanatory,
            has_image,
            shape,
            lead,
        }
    }
}

/// Relation cues kept per query: the best few (several relation types may share a word).
const MAX_RELATION_CUES: usize = 3;

/// Confidence of a relation implied by a named type and an entity, with no relation word.
const IMPLIED_CUE_CONFIDENCE: f32 = 0.5;

/// Each linked entity's mention as a span of `words` (start, end, index of the entity),
/// first come first served; mentions not found word for word are left out.
pub fn mention_spans(words: &[&str], entities: &[LinkedEntity]) -> Vec<(usize, usize, usize)> {
    let mut spans = Vec::new();
    for (index, e) in entities.iter().enumerate() {
        let mention = normalize(&e.mention);
        let target: Vec<&str> = mention.split(' ').filter(|w| !w.is_empty()).collect();
        if target.is_empty() || target.len() > words.len() {
            continue;
        }
        let found = (0..=words.len() - target.len()).find(|&i| {
            words[i..i + target.len()] == target[..]
                && !spans.iter().any(|&(s, end, _)| i < end && s < i + target.len())
        });
        if let Some(i) = found {
            spans.push((i, i + target.len(), index));
        }
    }
    spans
}

/// A normalised query prepared for cue lookups: the text padded with spaces, and its words.
struct CueText<'a> {
    padded: &'a str,
    words: Vec<&'a str>,
}

impl<'a> CueText<'a> {
    fn new(padded: &'a str) -> Self {
        CueText { padded, words: padded.split(' ').filter(|w| !w.is_empty()).collect() }
    }

    /// Whether `cue` occurs as whole words. Single words are compared against the word list
    /// and phrases are searched only when their first word occurs: introspection looks up
    /// several hundred cues per query, and planning must stay in microseconds.
    fn has(&self, cue: &str) -> bool {
        match cue.split_once(' ') {
            None => self.words.contains(&cue),
            Some((first, _)) => self.words.contains(&first) && contains_phrase(self.padded, cue),
        }
    }

    fn matching(&self, cues: &[&str]) -> Vec<String> {
        cues.iter().filter(|c| self.has(c)).map(|c| (*c).to_string()).collect()
    }
}

/// `padded` with confidently linked mentions replaced by `_`.
fn mask_mentions(padded: &str, entities: &[LinkedEntity]) -> String {
    let mut out = padded.to_string();
    for e in entities.iter().filter(|e| e.confidence >= 0.75) {
        let mention = normalize(&e.mention);
        if !mention.is_empty() {
            out = out.replace(&format!(" {mention} "), " _ ");
        }
    }
    out
}

/// The linked entities, one per id, best first.
fn distinct_entities(entities: &[LinkedEntity]) -> Vec<&LinkedEntity> {
    let mut out: Vec<&LinkedEntity> = Vec::new();
    for e in entities {
        if !out.iter().any(|o| o.id == e.id) {
            out.push(e);
        }
    }
    out
}

fn distinct_ids(entities: &[LinkedEntity]) -> usize {
    let mut ids: Vec<&str> = entities.iter().map(|e| e.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

fn is_recent_year(word: &str) -> bool {
    word.len() == 4 && word.parse::<u32>().is_ok_and(|y| (2020..=2039).contains(&y))
}

/// Capitalised words after the first, and quoted phrases, that no linked mention covers.
fn unlinked_names(query: &str, entities: &[LinkedEntity]) -> Vec<String> {
    let covered = |w: &str| {
        let lw = w.to_lowercase();
        entities.iter().any(|e| e.mention.to_lowercase().contains(&lw))
    };
    let mut out = Vec::new();
    for (i, raw) in query.split_whitespace().enumerate() {
        let w = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let starts_upper = w.chars().next().is_some_and(char::is_uppercase);
        if i > 0 && starts_upper && w.len() > 1 && !covered(w) {
            out.push(w.to_string());
        }
    }
    for quoted in query.split('"').skip(1).step_by(2) {
        let q = quoted.trim();
        if !q.is_empty() && !covered(q) {
            out.push(q.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::within_one_edit;
    use crate::schema::{EntityType, KbSchema, RelationType};

    /// A small knowledge base's schema: countries, their currencies and borders.
    fn lexicon() -> Lexicon {
        let relation = |name: &str, source: &str, target: &str, symmetric: f32| RelationType {
            source_types: vec![source.into()],
            target_types: vec![target.into()],
            symmetric,
            ..RelationType::named(name, 50)
        };
        let kind = |name: &str| EntityType { name: name.into(), count: 10, ..EntityType::default() };
        Lexicon::compile(&KbSchema {
            relations: vec![
                relation("uses_currency", "country", "currency", 0.0),
                relation("borders", "country", "country", 1.0),
                relation("located_in", "city", "country", 0.0),
            ],
            entity_types: vec![kind("country"), kind("currency"), kind("city")],
        })
    }

    struct OneEntity;
    impl EntityLinker for OneEntity {
        fn link(&self, text: &str) -> Vec<LinkedEntity> {
            text.to_lowercase()
                .find("france")
                .map(|s| LinkedEntity {
                    id: "country:FRA".into(),
                    name: "France".into(),
                    kind: "country".into(),
                    mention: text[s..s + 6].to_string(),
                    confidence: 1.0,
                    method: "exact".into(),
                })
                .into_iter()
                .collect()
        }

        fn count_related(&self, _id: &str, relation: &str, _direction: CueDirection) -> usize {
            usize::from(relation == "borders") * 8
        }
    }

    fn introspect(query: &str, linker: &dyn EntityLinker) -> QueryFeatures {
        Introspector::new().introspect(query, linker, &lexicon(), false)
    }

    #[test]
    fn one_edit_matching_catches_typos_only() {
        assert!(within_one_edit("curency", "currency"));
        assert!(within_one_edit("nieghbours", "neighbours"));
        assert!(within_one_edit("capitl", "capital"));
        assert!(within_one_edit("languge", "language"));
        assert!(!within_one_edit("capital", "capitals_x"));
        assert!(!within_one_edit("located", "relate"));
        let f = introspect("wat is the curency of france", &OneEntity);
        assert_eq!(f.relations[0].relation, "uses_currency");
        assert_eq!(f.relations[0].direction, CueDirection::Out);
    }

    #[test]
    fn time_words_inside_names_are_not_freshness() {
        struct NewZealand;
        impl EntityLinker for NewZealand {
            fn link(&self, _text: &str) -> Vec<LinkedEntity> {
                vec![LinkedEntity {
                    id: "country:NZL".into(),
                    name: "New Zealand".into(),
                    kind: "country".into(),
                    mention: "new zealand".into(),
                    confidence: 1.0,
                    method: "exact".into(),
                }]
            }
        }
        let f = introspect("currency of new zealand", &NewZealand);
        assert!(f.freshness.is_empty(), "{:?}", f.freshness);
        let f = introspect("new zealand news today", &NewZealand);
        assert!(f.freshness.contains(&"today".to_string()));
    }

    #[test]
    fn office_tense_and_descriptions() {
        let f = introspect("who is the president of france", &OneEntity);
        assert_eq!(f.office_roles, vec!["president".to_string()]);
        assert!(f.present_tense && !f.past_tense);
        let f = introspect("the president who abolished slavery", &NoLinker);
        assert!(f.past_tense);
        let f = introspect("shock wave boundary layer interaction at mach 3", &NoLinker);
        assert_eq!(f.numbers, vec!["3".to_string()]);
        assert!(f.other_words >= 5, "{}", f.other_words);
        let f = introspect("a toy with three wheels", &NoLinker);
        assert!(f.describes_unnamed);
    }

    #[test]
    fn finds_relations_types_cues_and_shape() {
        let f = introspect("Which countries border France?", &OneEntity);
        assert_eq!(f.shape, QuestionShape::Wh);
        assert_eq!(f.entities.len(), 1);
        assert_eq!(f.relations[0].relation, "borders");
        assert_eq!(f.relations[0].related, 8, "the linker says France has borders");
        assert_eq!(f.types, vec!["country".to_string()]);
        assert_eq!(f.other_words, 0, "every word is the knowledge base's");
        let f = introspect("what currency does france use", &OneEntity);
        assert_eq!((f.relations[0].relation.as_str(), f.relations[0].direction), ("uses_currency", CueDirection::Out));
        assert!(f.freshness.is_empty());

        // A type of answer and an entity, no relation word: the relation between the types.
        let f = introspect("cities france", &OneEntity);
        assert_eq!(f.relations[0].relation, "located_in");
        assert_eq!(f.relations[0].direction, CueDirection::In);
        assert!(f.relations[0].why.starts_with("implied"));
        // A type word naming the entity's own type implies nothing ("the france country").
        assert!(introspect("the france country", &OneEntity).relations.is_empty());

        let f = introspect("latest news about the Tour de France in 2026", &OneEntity);
        assert!(f.freshness.contains(&"latest".to_string()));
        assert!(f.freshness.contains(&"2026".to_string()));
        assert_eq!(f.unlinked_names, vec!["Tour".to_string()]);

        let f = introspect("pictures of musical instruments", &NoLinker);
        assert_eq!(f.visual, vec!["pictures".to_string()]);
        assert_eq!(f.shape, QuestionShape::Keywords);
        assert!(f.relations.is_empty());
    }
}
