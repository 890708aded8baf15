//! `QueryFeatures`: everything introspection learns about a query, serialisable for traces.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An entity mention in the query, linked to a graph entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LinkedEntity {
    /// Entity id, e.g. `country:FRA`.
    pub id: String,
    /// The entity's name.
    pub name: String,
    /// The entity's type, e.g. `country`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The text of the query that was linked.
    pub mention: String,
    /// Linking confidence in (0, 1].
    pub confidence: f32,
    /// How it was linked (`exact`, `alias`, `fuzzy`).
    pub method: String,
}

/// Which way a relation is followed from the linked entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CueDirection {
    /// From the linked entity along the relation (`France -capital-> ?`).
    Out,
    /// Against the relation (`? -capital-> Paris`).
    In,
    /// Either way; the graph decides by what exists.
    Both,
}

/// Words of the query that name a relation of the knowledge base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RelationCue {
    /// The words found, e.g. `director`.
    pub cue: String,
    /// The relation type they name, e.g. `directed_by`; `path` for "how are A and B connected".
    pub relation: String,
    /// Which way to follow it.
    pub direction: CueDirection,
    /// How much of the relation the words name: 1 for its whole name, label or alias.
    #[serde(default = "one")]
    pub confidence: f32,
    /// How the direction was decided.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub why: String,
    /// Relations of this type the linked entities have in that direction (0: none, or no
    /// entity linked).
    #[serde(default)]
    pub related: usize,
}

fn one() -> f32 {
    1.0
}

impl RelationCue {
    /// The cue of a path question ("how are A and B connected").
    pub fn path(cue: &str) -> Self {
        RelationCue {
            cue: cue.to_string(),
            relation: PATH_RELATION.to_string(),
            direction: CueDirection::Both,
            confidence: 1.0,
            why: String::new(),
            related: 0,
        }
    }
}

/// The grammatical shape of the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionShape {
    /// who / what / which / where / when / how / why question.
    Wh,
    /// is / are / does / can … question.
    YesNo,
    /// A keyword query or description, not a question.
    Keywords,
}

/// What introspection found in a query. Serialisable so traces can replay a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct QueryFeatures {
    /// The query as given.
    pub query: String,
    /// Lowercased, diacritics stripped, punctuation folded to spaces.
    pub normalized: String,
    /// Number of word tokens.
    pub tokens: usize,
    /// Linked entities, best first.
    pub entities: Vec<LinkedEntity>,
    /// Relation cues found.
    pub relations: Vec<RelationCue>,
    /// Entity types of the knowledge base the query names ("which films…"), outside entity
    /// mentions: what the answers should be.
    #[serde(default)]
    pub types: Vec<String>,
    /// Content words that are neither an entity mention nor a relation or type word of
    /// the knowledge base: what the query says beyond the graph's vocabulary.
    #[serde(default)]
    pub other_words: usize,
    /// Freshness cues (dates, "latest", prices, scores, weather …).
    pub freshness: Vec<String>,
    /// Visual cues ("picture", "looks like" …).
    pub visual: Vec<String>,
    /// Explanatory or descriptive cues ("why", "history of", "difference between" …).
    pub explanatory: Vec<String>,
    /// Whether an image was attached to the query.
    pub has_image: bool,
    /// The question's shape.
    pub shape: QuestionShape,
    /// The wh-word or auxiliary that starts the question, if any.
    pub lead: Option<String>,
    /// Capitalised or quoted names that link to no entity (out-of-knowledge-base signal).
    pub unlinked_names: Vec<String>,
    /// Office or role words ("president", "ceo", "mayor"): who holds an office changes over
    /// time and is not in the graph.
    #[serde(default)]
    pub office_roles: Vec<String>,
    /// Whether the question is in the present tense about now ("who is", "current", "now"),
    /// as opposed to the past ("who was", "did").
    #[serde(default)]
    pub present_tense: bool,
    /// Whether the question is in the past tense ("was", "were", "did").
    #[serde(default)]
    pub past_tense: bool,
    /// Whether the query describes an unnamed thing with a relative clause ("an animal that
    /// climbs trees", "a toy with three wheels").
    #[serde(default)]
    pub describes_unnamed: bool,
    /// Numbers that are not recent years ("iphone 17", "ba 117", "python 3.14"): versions,
    /// models and flight numbers, usually outside the knowledge base.
    #[serde(default)]
    pub numbers: Vec<String>,
    /// Standardised similarity to each route's exemplar queries (graph, vector, web), when
    /// an embedder is available (see [`crate::exemplars`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exemplar_similarity: Option<[f32; 3]>,
    /// The query's embedding, computed for the exemplars and reused by the vector route so a
    /// query is embedded once. Not serialised.
    #[serde(skip)]
    #[schemars(skip)]
    pub embedding: Option<std::sync::Arc<Vec<f32>>>,
}

impl QueryFeatures {
    /// The highest linking confidence, 0 when nothing linked.
    pub fn best_link(&self) -> f32 {
        self.entities.iter().map(|e| e.confidence).fold(0.0, f32::max)
    }

    /// Distinct linked entity ids, best first.
    pub fn entity_ids(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in &self.entities {
            if !out.contains(&e.id) {
                out.push(e.id.clone());
            }
        }
        out
    }

    /// Whether a path cue ("how are A and B connected") was found.
    pub fn wants_path(&self) -> bool {
        self.relations.iter().any(|r| r.relation == PATH_RELATION)
    }
}

/// The pseudo-relation of a "how are A and B connected" question.
pub const PATH_RELATION: &str = "path";
