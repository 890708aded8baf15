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
    ("capital", "capital", CueDirection::Both),
    ("capitals", "capital", CueDirection::Both),
    ("captial", "capital", CueDirection::Both),
    ("capitol", "capital", CueDirection::Both),
    ("currency", "uses_currency", CueDirection::Both),
    ("currencies", "uses_currency", CueDirection::Both),
    ("money", "uses_currency", CueDirection::Both),
    ("language", "official_language", CueDirection::Both),
    ("languages", "official_language", CueDirection::Both),
    ("spoken", "official_language", CueDirection::Both),
    ("speak", "official_language", CueDirection::Both),
    ("kind of", "is_a", CueDirection::Out),
    ("kinds of", "is_a", CueDirection::In),
    ("type of", "is_a", CueDirection::Out),
    ("types of", "is_a", CueDirection::In),
    ("sort of", "is_a", CueDirection::Out),
    ("is a", "is_a", CueDirection::Out),
    ("is an", "is_a", CueDirection::Out),
    ("a kind", "is_a", CueDirection::Out),
    ("where is", "located_in", CueDirection::Out),
    ("located", "located_in", CueDirection::Both),
    ("country is", "located_in", CueDirection::Out),
    ("in which country", "located_in", CueDirection::Out),
    ("subregion", "part_of", CueDirection::Out),
    ("continent", "part_of", CueDirection::Out),
    ("region", "part_of", CueDirection::Out),
    ("part of", "part_of", CueDirection::Out),
    ("belongs to", "part_of", CueDirection::Out),
    ("countries in", "part_of", CueDirection::In),
    ("connected", PATH_RELATION, CueDirection::Both),
    ("related", PATH_RELATION, CueDirection::Both),
    ("relationship between", PATH_RELATION, CueDirection::Both),
    ("link between", PATH_RELATION, CueDirection::Both),
    ("in common", PATH_RELATION, CueDirection::Both),
];

/// Words and phrases that say the answer changes over time or lives outside any fixed corpus.
const FRESHNESS_CUES: &[&str] = &[
    "latest",
    "newest",
    "new",
    "today",
    "tonight",
    "tomorrow",
    "yesterday",
    "now",
    "right now",
    "current",
    "currently",
    "this week",
    "this weekend",
    "this month",
    "this year",
    "recent",
    "recently",
    "breaking",
    "news",
    "live",
    "price",
    "prices",
    "stock",
    "stocks",
    "exchange rate",
    "weather",
    "forecast",
    "score",
    "scores",
    "won",
    "winner",
    "wins",
    "election",
    "results",
    "release",
    "released",
    "release date",
    "tour dates",
    "schedule",
    "near me",
    "open now",
    "delays",
    "president",
    "prime minister",
    "ceo",
    "version",
    "stable",
    "trending",
    "upcoming",
    "cinemas",
    "in cinemas",
    "tickets",
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
    "who were",
    "who was",
    "what do",
    "what does",
    "that can",
    "that climbs",
    "would find",
    "for small",
];

const WH_WORDS: &[&str] = &["what", "which", "who", "whom", "whose", "where", "when", "how", "why", "wat"];
const AUXILIARIES: &[&str] = &["is", "are", "was", "were", "does", "do", "did", "can", "could", "has", "have", "will"];

/// Turns a query into [`QueryFeatures`].
#[derive(Debug, Default, Clone)]
pub struct Introspector;

impl Introspector {
    /// A new introspector with the built-in cue lexicons.
    pub fn new() -> Self {
        Introspector
    }

    /// Introspects `query`. `has_image` says whether an image was attached.
    pub fn introspect(&self, query: &str, linker: &dyn EntityLinker, has_image: bool) -> QueryFeatures {
        let normalized = normalize(query);
        let padded = format!(" {normalized} ");
        let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();

        let mut relations: Vec<RelationCue> = Vec::new();
        for (cue, relation, direction) in RELATION_CUES {
            if contains_phrase(&padded, cue) && !relations.iter().any(|r| r.relation == *relation) {
                relations.push(RelationCue {
                    cue: (*cue).to_string(),
                    relation: (*relation).to_string(),
                    direction: *direction,
                });
            }
        }
        let entities = linker.link(query);
        // "between A and B" is a path question only when both sides are entities.
        if contains_phrase(&padded, "between")
            && distinct_ids(&entities) >= 2
            && !relations.iter().any(|r| r.relation == PATH_RELATION)
            && !contains_phrase(&padded, "difference between")
        {
            relations.push(RelationCue {
                cue: "between".into(),
                relation: PATH_RELATION.into(),
                direction: CueDirection::Both,
            });
        }

        let mut freshness: Vec<String> =
            FRESHNESS_CUES.iter().filter(|c| contains_phrase(&padded, c)).map(|c| (*c).to_string()).collect();
        freshness.extend(words.iter().filter(|w| is_recent_year(w)).map(|w| (*w).to_string()));
        let visual = matching(&padded, VISUAL_CUES);
        let explanatory = matching(&padded, EXPLANATORY_CUES);

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

        QueryFeatures {
            query: query.to_string(),
            tokens: words.len(),
            unlinked_names: unlinked_names(query, &entities),
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

fn matching(padded: &str, cues: &[&str]) -> Vec<String> {
    cues.iter().filter(|c| contains_phrase(padded, c)).map(|c| (*c).to_string()).collect()
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
