//! Query introspection: entity links, relation / freshness / visual / explanatory cues and
//! the question's shape, all without a model call.

use crate::features::{CueDirection, LinkedEntity, PATH_RELATION, QueryFeatures, QuestionShape, RelationCue};
use crate::normalize::{contains_phrase, normalize};

/// Links entity mentions in a query to graph entities. The graph store implements it; the
/// router only knows this trait, so the graph can be swapped.
pub trait EntityLinker: Send + Sync {
    /// Linked mentions of `text`, best first.
    fn link(&self, text: &str) -> Vec<LinkedEntity>;
}

/// A linker that links nothing (a router with no graph).
pub struct NoLinker;

impl EntityLinker for NoLinker {
    fn link(&self, _text: &str) -> Vec<LinkedEntity> {
        Vec::new()
    }
}

/// Phrases that name a graph relation, with the relation and direction they map to.
/// Longer phrases first so that "capital city" wins over "capital".
const RELATION_CUES: &[(&str, &str, CueDirection)] = &[
    ("border", "borders", CueDirection::Both),
    ("borders", "borders", CueDirection::Both),
    ("bordering", "borders", CueDirection::Both),
    ("bordered", "borders", CueDirection::Both),
    ("neighbour", "borders", CueDirection::Both),
    ("neighbours", "borders", CueDirection::Both),
    ("neighbouring", "borders", CueDirection::Both),
    ("neighbor", "borders", CueDirection::Both),
    ("neighbors", "borders", CueDirection::Both),
    ("neighboring", "borders", CueDirection::Both),
    ("adjacent to", "borders", CueDirection::Both),
    ("next to", "borders", CueDirection::Both),
    ("capital", "capital", CueDirection::Both),
    ("capitals", "capital", CueDirection::Both),
    ("captial", "capital", CueDirection::Both),
    ("capitol", "capital", CueDirection::Both),
    ("seat of government", "capital", CueDirection::Both),
    ("currency", "uses_currency", CueDirection::Both),
    ("currencies", "uses_currency", CueDirection::Both),
    ("money", "uses_currency", CueDirection::Both),
    ("countries that use", "uses_currency", CueDirection::In),
    ("countries use", "uses_currency", CueDirection::In),
    ("countries using", "uses_currency", CueDirection::In),
    ("language", "official_language", CueDirection::Both),
    ("languages", "official_language", CueDirection::Both),
    ("spoken", "official_language", CueDirection::Both),
    ("speak", "official_language", CueDirection::Both),
    ("official language", "official_language", CueDirection::Both),
    ("officially", "official_language", CueDirection::Both),
    ("kind of", "is_a", CueDirection::Out),
    ("kinds of", "is_a", CueDirection::In),
    ("type of", "is_a", CueDirection::Out),
    ("types of", "is_a", CueDirection::In),
    ("sort of", "is_a", CueDirection::Out),
    ("is a", "is_a", CueDirection::Out),
    ("is an", "is_a", CueDirection::Out),
    ("a kind", "is_a", CueDirection::Out),
    ("classified", "is_a", CueDirection::Out),
    ("category", "is_a", CueDirection::Out),
    ("class of", "is_a", CueDirection::Out),
    ("family", "is_a", CueDirection::Out),
    ("hypernym", "is_a", CueDirection::Out),
    ("where is", "located_in", CueDirection::Out),
    ("located", "located_in", CueDirection::Both),
    ("country is", "located_in", CueDirection::Out),
    ("in which country", "located_in", CueDirection::Out),
    ("cities in", "located_in", CueDirection::In),
    ("cities of", "located_in", CueDirection::In),
    ("subregion", "part_of", CueDirection::Out),
    ("continent", "part_of", CueDirection::Out),
    ("region", "part_of", CueDirection::Out),
    ("part of", "part_of", CueDirection::Out),
    ("belongs to", "part_of", CueDirection::Out),
    ("countries in", "part_of", CueDirection::In),
    ("countries of", "part_of", CueDirection::In),
    ("connected", PATH_RELATION, CueDirection::Both),
    ("connects", PATH_RELATION, CueDirection::Both),
    ("connection", PATH_RELATION, CueDirection::Both),
    ("path from", PATH_RELATION, CueDirection::Both),
    ("related", PATH_RELATION, CueDirection::Both),
    ("relationship between", PATH_RELATION, CueDirection::Both),
    ("link between", PATH_RELATION, CueDirection::Both),
    ("in common", PATH_RELATION, CueDirection::Both),
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

/// Technical and scientific vocabulary (aerodynamics, heat transfer, structures, physics,
/// chemistry): such questions are answered by passages, not by relations.
const TECHNICAL_CUES: &[&str] = &[
    "aerodynamic",
    "aerodynamics",
    "aeroelastic",
    "aircraft",
    "airfoil",
    "airfoils",
    "aerofoil",
    "wing",
    "wings",
    "swept",
    "sweep",
    "delta wing",
    "aspect ratio",
    "lift",
    "drag",
    "flutter",
    "flow",
    "flows",
    "laminar",
    "turbulent",
    "turbulence",
    "viscous",
    "inviscid",
    "compressible",
    "compressibility",
    "incompressible",
    "boundary layer",
    "boundary layers",
    "separation",
    "transition",
    "shock",
    "shock wave",
    "supersonic",
    "subsonic",
    "transonic",
    "hypersonic",
    "mach",
    "mach number",
    "reynolds",
    "reynolds number",
    "stagnation",
    "skin friction",
    "heat transfer",
    "heat flux",
    "heating",
    "heated",
    "conduction",
    "thermal",
    "temperature distribution",
    "pressure",
    "pressure distribution",
    "nozzle",
    "jet",
    "jets",
    "wake",
    "vortex",
    "vortices",
    "blunt body",
    "flat plate",
    "cone",
    "cylinder",
    "cylinders",
    "cylindrical",
    "shell",
    "shells",
    "plate",
    "plates",
    "panel",
    "panels",
    "beam",
    "beams",
    "column",
    "columns",
    "buckling",
    "stress",
    "stresses",
    "strain",
    "load",
    "loads",
    "loading",
    "vibration",
    "vibrations",
    "oscillating",
    "oscillation",
    "deflection",
    "elastic",
    "creep",
    "fatigue",
    "ablation",
    "reentry",
    "re entry",
    "missile",
    "rocket",
    "propulsion",
    "combustion",
    "velocity",
    "density",
    "viscosity",
    "equilibrium",
    "dissociation",
    "gas",
    "gases",
    "slender",
    "slender body",
    "slender bodies",
    "leading edge",
    "trailing edge",
    "interaction",
    "perturbation",
    "similarity",
    "numerical",
    "solutions",
    "equations",
    "theory",
    "theoretical",
    "experimental",
    "empirical",
    "coefficient",
    "coefficients",
    "derivatives",
    "asymptotic",
    "thickness",
    "photosynthesis",
    "molecule",
    "molecular",
    "atomic",
    "reactive",
    "evolution",
    "evolutionary",
];

/// Words and phrases that ask for pictures.
const VISUAL_CUES: &[&str] = &[
    "picture",
    "pictures",
    "photo",
    "photos",
    "photograph",
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
    "looks like",
    "look like",
    "show me",
    "flag",
    "flags",
    "logo",
    "cartoon",
    "sketch",
    "stamp",
    "stamps",
    "colour",
    "color",
    "colours",
    "colors",
    "stripes",
];

/// Phrases of descriptive or explanatory questions, which passages answer better than facts.
const EXPLANATORY_CUES: &[&str] = &[
    "why",
    "how do",
    "how does",
    "how did",
    "what causes",
    "explain",
    "describe",
    "history of",
    "difference between",
    "tell me about",
    "what did",
    "believe",
    "believed",
    "theory",
    "meaning",
    "about",
    "plot",
    "summary",
    "themes",
    "story of",
    "life of",
    "origins",
    "known for",
    "famous",
    "what happens",
    "how is",
    "how long",
    "what was",
    "who were",
    "who was",
    "what do",
    "what does",
    "that can",
    "that climbs",
    "would find",
    "for small",
];

/// Words that open a relative or descriptive clause ("that", "with", "you").
const DESCRIPTIVE_CLAUSE_WORDS: &[&str] = &["that", "which", "with", "you", "without"];
/// First words of a description of an unnamed thing ("a", "something").
const DESCRIPTIVE_OPENERS: &[&str] = &["a", "an", "something", "things", "animals"];
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

    /// Introspects `query`. `has_image` says whether an image was attached.
    pub fn introspect(&self, query: &str, linker: &dyn EntityLinker, has_image: bool) -> QueryFeatures {
        let normalized = normalize(query);
        let padded = format!(" {normalized} ");
        let text = CueText::new(&padded);
        let words = &text.words;

        let mut relations: Vec<RelationCue> = Vec::new();
        for (cue, relation, direction) in RELATION_CUES {
            if text.has(cue) && !relations.iter().any(|r| r.relation == *relation) {
                relations.push(RelationCue {
                    cue: (*cue).to_string(),
                    relation: (*relation).to_string(),
                    direction: *direction,
                });
            }
        }
        // Misspelled cue words ("curency", "languge", "nieghbours"): one edit away from a
        // long single-word cue. Short cues are left out, they have too many near neighbours.
        for word in words.iter().filter(|w| w.len() >= MIN_TYPO_CUE_CHARS) {
            let near = RELATION_CUES.iter().find(|(cue, _, _)| {
                cue.len() >= MIN_TYPO_CUE_CHARS && !cue.contains(' ') && *cue != *word && within_one_edit(word, cue)
            });
            if let Some((_, relation, direction)) = near
                && !relations.iter().any(|r| r.relation == *relation)
            {
                relations.push(RelationCue {
                    cue: (*word).to_string(),
                    relation: (*relation).to_string(),
                    direction: *direction,
                });
            }
        }
        let entities = linker.link(query);
        // "between A and B" is a path question only when both sides are entities.
        if text.has("between")
            && distinct_ids(&entities) >= 2
            && !relations.iter().any(|r| r.relation == PATH_RELATION)
            && !text.has("difference between")
        {
            relations.push(RelationCue {
                cue: "between".into(),
                relation: PATH_RELATION.into(),
                direction: CueDirection::Both,
            });
        }

        // Names of places can contain time words ("New Zealand", "Papua New Guinea"): freshness
        // is looked for outside confidently linked place mentions.
        let outside_places = mask_place_mentions(&padded, &entities);
        let mut freshness = CueText::new(&outside_places).matching(FRESHNESS_CUES);
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
        let technical = text.matching(TECHNICAL_CUES);
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
            technical,
            describes_unnamed,
            numbers,
            normalized,
            entities,
            relations,
            freshness,
            visual,
            explanatory,
            has_image,
            shape,
            lead,
        }
    }
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

/// `padded` with confidently linked place mentions replaced by `_`.
fn mask_place_mentions(padded: &str, entities: &[LinkedEntity]) -> String {
    let mut out = padded.to_string();
    for e in entities.iter().filter(|e| e.kind != "concept" && e.confidence >= 0.75) {
        let mention = normalize(&e.mention);
        if !mention.is_empty() {
            out = out.replace(&format!(" {mention} "), " _ ");
        }
    }
    out
}

/// Whether `a` and `b` differ by at most one insertion, deletion, substitution or swap of
/// neighbouring letters (optimal string alignment distance ≤ 1).
fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    let suffix_equal = |x: &[u8], y: &[u8]| x == y;
    match (ra.len(), rb.len()) {
        (0, 0) => true,
        (la, lb) if la == lb => {
            suffix_equal(&ra[1..], &rb[1..])
                || (la >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && suffix_equal(&ra[2..], &rb[2..]))
        }
        (la, lb) if la > lb => suffix_equal(&ra[1..], rb),
        _ => suffix_equal(ra, &rb[1..]),
    }
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
    }

    #[test]
    fn one_edit_matching_catches_typos_only() {
        assert!(within_one_edit("curency", "currency"));
        assert!(within_one_edit("nieghbours", "neighbours"));
        assert!(within_one_edit("capitl", "capital"));
        assert!(within_one_edit("languge", "language"));
        assert!(!within_one_edit("capital", "capitals_x"));
        assert!(!within_one_edit("located", "relate"));
        let f = Introspector::new().introspect("wat is the curency of france", &OneEntity, false);
        assert_eq!(f.relations[0].relation, "uses_currency");
    }

    #[test]
    fn time_words_inside_place_names_are_not_freshness() {
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
        let f = Introspector::new().introspect("capital of new zealand", &NewZealand, false);
        assert!(f.freshness.is_empty(), "{:?}", f.freshness);
        let f = Introspector::new().introspect("new zealand news today", &NewZealand, false);
        assert!(f.freshness.contains(&"today".to_string()));
    }

    #[test]
    fn office_tense_and_technical_cues() {
        let f = Introspector::new().introspect("who is the president of france", &OneEntity, false);
        assert_eq!(f.office_roles, vec!["president".to_string()]);
        assert!(f.present_tense && !f.past_tense);
        let f = Introspector::new().introspect("the president who abolished slavery", &NoLinker, false);
        assert!(f.past_tense);
        let f = Introspector::new().introspect("shock wave boundary layer interaction at mach 3", &NoLinker, false);
        assert!(f.technical.len() >= 3, "{:?}", f.technical);
        assert_eq!(f.numbers, vec!["3".to_string()]);
        let f = Introspector::new().introspect("a toy with three wheels", &NoLinker, false);
        assert!(f.describes_unnamed);
    }

    #[test]
    fn finds_cues_and_shape() {
        let f = Introspector::new().introspect("Which countries border France?", &OneEntity, false);
        assert_eq!(f.shape, QuestionShape::Wh);
        assert_eq!(f.entities.len(), 1);
        assert_eq!(f.relations[0].relation, "borders");
        assert!(f.freshness.is_empty());

        let f = Introspector::new().introspect("latest news about the Tour de France in 2026", &OneEntity, false);
        assert!(f.freshness.contains(&"latest".to_string()));
        assert!(f.freshness.contains(&"2026".to_string()));
        assert_eq!(f.unlinked_names, vec!["Tour".to_string()]);

        let f = Introspector::new().introspect("pictures of musical instruments", &NoLinker, false);
        assert_eq!(f.visual, vec!["pictures".to_string()]);
        assert_eq!(f.shape, QuestionShape::Keywords);
    }
}
