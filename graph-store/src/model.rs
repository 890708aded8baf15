//! The records the graph stores and the values its queries return.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Free-form properties of an entity or relation.
pub type Props = serde_json::Map<String, serde_json::Value>;

/// A node of the graph, in the JSON Lines import shape
/// `{"id","name","type","aliases","description","props"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Entity {
    /// Stable identifier, e.g. `country:FRA`.
    pub id: String,
    /// Display name, e.g. `France`; linked in queries.
    pub name: String,
    /// Entity type, e.g. `country`, `city`, `concept`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Other names the entity is known by; linked in queries too.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// A sentence or two describing the entity.
    #[serde(default)]
    pub description: String,
    /// Anything else (population, coordinates, codes...). `"linkable": false` keeps the
    /// entity out of entity linking (see [`crate::UNLINKABLE_PROP`]).
    #[serde(default)]
    pub props: Props,
}

impl Entity {
    /// A bare entity with no aliases, description or props.
    pub fn new(id: impl Into<String>, name: impl Into<String>, kind: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            kind: kind.into(),
            aliases: Vec::new(),
            description: String::new(),
            props: Props::new(),
        }
    }

    /// Builder-style helper to add aliases.
    pub fn with_aliases<I, S>(mut self, aliases: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.aliases.extend(aliases.into_iter().map(Into::into));
        self
    }
}

/// A typed, directed edge `source -relation-> target`, in the import shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Relation {
    /// Id of the source entity.
    pub source: String,
    /// Relation type, e.g. `borders`, `capital`, `is_a`.
    pub relation: String,
    /// Id of the target entity.
    pub target: String,
    /// Free-form properties of the edge.
    #[serde(default)]
    pub props: Props,
}

impl Relation {
    /// A relation without props.
    pub fn new(source: impl Into<String>, relation: impl Into<String>, target: impl Into<String>) -> Self {
        Self { source: source.into(), relation: relation.into(), target: target.into(), props: Props::new() }
    }
}

/// A relation resolved to names, ready to show to a person or cite as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Fact {
    /// Id of the source entity.
    pub source: String,
    /// Name of the source entity.
    pub source_name: String,
    /// Relation type.
    pub relation: String,
    /// Id of the target entity.
    pub target: String,
    /// Name of the target entity.
    pub target_name: String,
}

impl Fact {
    /// The fact as a line of text: `France —borders→ Germany`.
    pub fn text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} —{}→ {}", self.source_name, self.relation, self.target_name)
    }
}

/// Which edges a traversal follows, relative to the entity it stands on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Edges leaving the entity (`entity -rel-> ?`).
    Out,
    /// Edges arriving at the entity (`? -rel-> entity`).
    In,
    /// Both.
    #[default]
    Both,
}

/// Parameters of [`crate::Graph::neighbors`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct NeighborQuery {
    /// Hops from the centre, 1 to 3.
    pub depth: usize,
    /// Follow only this relation type (all types when `None`).
    pub relation: Option<String>,
    /// Which edges to follow.
    pub direction: Direction,
    /// At most this many entities (at least 1).
    pub limit: usize,
}

impl Default for NeighborQuery {
    fn default() -> Self {
        Self { depth: 1, relation: None, direction: Direction::Both, limit: 100 }
    }
}

/// An entity reached by a traversal, with its distance from where it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NeighborEntity {
    /// Entity id.
    pub id: String,
    /// Entity name.
    pub name: String,
    /// Entity type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Hops from the centre (or seed).
    pub depth: usize,
}

/// The answer of [`crate::Graph::neighbors`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Neighborhood {
    /// The entity the traversal started from.
    pub center: String,
    /// Entities reached, in breadth-first order; the centre is not included.
    pub entities: Vec<NeighborEntity>,
    /// The relations traversed between the centre and the entities returned.
    pub facts: Vec<Fact>,
}

/// How a mention was matched to an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LinkMethod {
    /// The entity's name, after normalisation.
    Exact,
    /// One of the entity's aliases, after normalisation.
    Alias,
    /// A name or alias within a small edit distance (typo).
    Fuzzy,
}

/// One candidate entity for a mention in a query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EntityLink {
    /// Entity id.
    pub entity_id: String,
    /// Entity name.
    pub name: String,
    /// Entity type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The mention as written in the query.
    pub mention: String,
    /// Byte offset of the mention's start in the original query.
    pub start: usize,
    /// Byte offset just past the mention's end in the original query.
    pub end: usize,
    /// Prior confidence in (0, 1]: name > alias > fuzzy, then prominence.
    pub confidence: f32,
    /// How the mention was matched.
    pub method: LinkMethod,
}

/// Options of [`crate::Graph::link_with`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct LinkOptions {
    /// Entity types to rank first when a mention is ambiguous.
    pub prefer_types: Vec<String>,
    /// At most this many candidates per mention (0 means 1).
    pub max_candidates_per_mention: usize,
    /// Whether to try typo-tolerant matching for words not otherwise linked.
    pub fuzzy: bool,
}

impl Default for LinkOptions {
    fn default() -> Self {
        Self { prefer_types: Vec::new(), max_candidates_per_mention: 3, fuzzy: true }
    }
}

/// Parameters of [`crate::Graph::personalized_pagerank`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct PprParams {
    /// Teleport (restart) probability, in (0, 1).
    pub alpha: f64,
    /// Residual tolerance per unit of degree; smaller is more precise and slower.
    ///
    /// The push stops when every entity's leftover (unspread) mass is below `epsilon` ×
    /// its degree, so each mass is at most that far below the exact PageRank, and the
    /// work is bounded by 1 / (`alpha` × `epsilon`) edge visits whatever the graph's size.
    /// The default, 1e-5, is chosen for ranking the top 20 or so: on WordNet 3.0 (117k
    /// synsets, 365k edges) it puts 98 % of the exact top 20 in the top 20 (mean over 200
    /// seed sets; the worst 70 %) at ~1 ms per query on one core. 1e-6 raises that to
    /// 99.8 % at ~8× the time (≈ 6.7 M edge visits at most); 1e-4 suits a quick
    /// neighbourhood ranking. See BENCHMARKS.md, "Graph store".
    pub epsilon: f64,
    /// Upper bound on push operations, so a query's cost is bounded on any graph.
    pub max_pushes: usize,
}

impl Default for PprParams {
    fn default() -> Self {
        Self { alpha: 0.15, epsilon: 1e-5, max_pushes: 1_000_000 }
    }
}

/// A relational question for [`crate::Graph::answer`]; the router decides the relations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct GraphQuestion {
    /// Entity ids the question is about (unknown ids are ignored).
    pub seeds: Vec<String>,
    /// Relation types to follow; empty means "the seeds' neighbourhood, ranked by PPR".
    pub relations: Vec<String>,
    /// `Out`: seed -rel-> answer; `In`: answer -rel-> seed; `Both`: either.
    pub direction: Direction,
    /// Keep only answers of this type.
    pub target_kind: Option<String>,
    /// At most this many answers.
    pub limit: usize,
}

impl Default for GraphQuestion {
    fn default() -> Self {
        Self { seeds: Vec::new(), relations: Vec::new(), direction: Direction::Out, target_kind: None, limit: 10 }
    }
}

/// One answer of [`crate::Graph::answer`] with the facts that support it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GraphAnswer {
    /// The answer entity; `depth` is its hop distance from the nearest seed.
    pub entity: NeighborEntity,
    /// Score in (0, 1]; higher is better.
    pub score: f64,
    /// Facts connecting the seeds to the answer.
    pub facts: Vec<Fact>,
}

/// The answers of [`crate::Graph::answer_counted`]: the best `limit`, and how many there were.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GraphAnswers {
    /// The answers, best first.
    pub answers: Vec<GraphAnswer>,
    /// Answers found before the limit was applied.
    pub total: usize,
}

/// What a bulk import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    /// Records written (inserted or updated).
    pub written: usize,
    /// Records that were already present (duplicate relations).
    pub unchanged: usize,
    /// Records rejected, with their position in the input and the reason.
    pub rejected: Vec<(usize, crate::GraphError)>,
}
