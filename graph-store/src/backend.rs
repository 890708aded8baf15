//! The graph backend seam: what the graph route, the entity linker, paths, PageRank and the
//! knowledge base's writes need from a graph, so the graph can live in this process
//! ([`EmbeddedGraph`](crate::EmbeddedGraph)) or in a graph database server (the FalkorDB
//! backend, feature `falkordb`) without the router or the other routes knowing.
//!
//! The trait has three layers:
//!
//! - **primitives** every backend implements, each one round trip to a server: entities by
//!   id ([`GraphBackend::entities`]), entities by type and property
//!   ([`GraphBackend::find_entities`]), one hop from a set of entities along some relation
//!   types in one direction ([`GraphBackend::expand`]), degrees, relation counts, the schema
//!   as the data shows it, and entity linking;
//! - **derived operations** with default implementations built on the primitives
//!   ([`crate::traverse`]): neighbourhoods, shortest paths, relational answers and
//!   personalised PageRank on a bounded k-hop subgraph. The embedded graph overrides them
//!   with its in-memory algorithms; a server backend may override them with server-side
//!   procedures;
//! - **writes** and **item provenance** (which documents and images mention an entity).
//!
//! A compositional question can be expressed with the primitives: a neighbour set is
//! [`GraphBackend::expand`] with a [`Step`], a type or property filter is
//! [`GraphBackend::find_entities`] with an [`EntityFilter`], a count is the length of either
//! (or [`GraphBackend::count_related`] for one entity). Every primitive maps to one
//! parameterised openCypher query per direction; see the FalkorDB backend for the texts.
//!
//! Backends take `&self` and are shared across threads behind an `Arc`; calls block (a
//! server backend waits for its answer within its timeout), so async callers run them on a
//! blocking thread.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::GraphError;
use crate::model::{
    Direction, Entity, EntityLink, Fact, GraphAnswers, GraphQuestion, ImportReport, LinkOptions, NeighborQuery,
    Neighborhood, PprParams, Relation,
};
use crate::schema::SchemaStats;

/// One hop of a traversal: which relation types to follow, and which way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    /// Relation types to follow; empty means every type.
    pub relations: Vec<String>,
    /// `Out`: from an entity along its relations; `In`: against them; `Both`.
    pub direction: Direction,
}

impl Step {
    /// Every relation type, both ways.
    pub fn any() -> Self {
        Step { relations: Vec::new(), direction: Direction::Both }
    }

    /// These relation types, this way.
    pub fn along(relations: impl IntoIterator<Item = impl Into<String>>, direction: Direction) -> Self {
        Step { relations: relations.into_iter().map(Into::into).collect(), direction }
    }

    /// Whether the step follows relation type `relation`.
    pub fn follows(&self, relation: &str) -> bool {
        self.relations.is_empty() || self.relations.iter().any(|r| r == relation)
    }
}

/// A relation met by [`GraphBackend::expand`], in its stored direction, with the types of
/// both ends (so a traversal can filter by type without another round trip).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Edge {
    /// The relation, with both ends' ids and names.
    pub fact: Fact,
    /// Entity type of the source.
    pub source_type: String,
    /// Entity type of the target.
    pub target_type: String,
}

impl Edge {
    /// The end of the edge that is not `from` (the target for a self-loop), with its type.
    pub fn other(&self, from: &str) -> (&str, &str, &str) {
        if self.fact.source == from {
            (&self.fact.target, &self.fact.target_name, &self.target_type)
        } else {
            (&self.fact.source, &self.fact.source_name, &self.source_type)
        }
    }
}

/// A filter on entities: by type and by property values (all must hold).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct EntityFilter {
    /// Only entities of this type.
    pub kind: Option<String>,
    /// Only entities whose property `.0` equals `.1` (in `props`).
    pub props: Vec<(String, serde_json::Value)>,
    /// Only these entities (empty: any).
    pub ids: Vec<String>,
}

/// How far [`GraphBackend::personalized_pagerank`] may reach on a backend that fetches a
/// subgraph around the seeds: at most `hops` from a seed and at most `max_relations`
/// relations, whichever comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SubgraphBound {
    /// Hops from the seeds.
    pub hops: usize,
    /// Relations fetched at most.
    pub max_relations: usize,
}

impl Default for SubgraphBound {
    /// Four hops, 20,000 relations. Sparse chains need the hops: on the atlas, from
    /// `concept:koala` (one `is_a` relation), a 2-hop subgraph ranks the seed above its
    /// parent because the mass that the whole graph sends back through the parent is cut
    /// off, while 4 hops agree with the whole-graph ranking (tests/backend.rs). Dense
    /// neighbourhoods reach the relation bound first, which keeps the fetch bounded.
    fn default() -> Self {
        SubgraphBound { hops: 4, max_relations: 20_000 }
    }
}

/// What a subgraph-bound computation actually walked, for the trace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SubgraphReport {
    /// Hops expanded.
    pub hops: usize,
    /// Entities in the subgraph.
    pub entities: usize,
    /// Relations in the subgraph.
    pub relations: usize,
    /// Whether [`SubgraphBound::max_relations`] cut the expansion short.
    pub truncated: bool,
    /// The bound in force.
    pub bound: Option<SubgraphBound>,
}

impl SubgraphReport {
    /// One line for a trace: `PageRank on a 2-hop subgraph: 812 entities, 2,144 relations
    /// (bound 2 hops / 20000 relations)`.
    pub fn describe(&self, what: &str) -> String {
        let bound =
            self.bound.map(|b| format!(" (bound {} hops / {} relations)", b.hops, b.max_relations)).unwrap_or_default();
        let cut = if self.truncated { ", truncated at the bound" } else { "" };
        format!(
            "{what} on a {}-hop subgraph: {} entities, {} relations{bound}{cut}",
            self.hops, self.entities, self.relations
        )
    }
}

/// Personalised PageRank masses, best first, and the subgraph they were computed on
/// (`None`: the whole graph).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RankedEntities {
    /// `(entity id, mass)`, best first.
    pub ranked: Vec<(String, f64)>,
    /// The subgraph walked, when the backend bounded the walk.
    pub subgraph: Option<SubgraphReport>,
}

/// Entity and relation counts of a graph.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GraphCounts {
    /// Entities.
    pub entities: usize,
    /// Relations.
    pub relations: usize,
}

/// Whose graph it is, and so who may write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GraphMode {
    /// In this process, rebuilt from the store of record at start-up.
    Embedded,
    /// On a server, created and written by Braid.
    Managed,
}

/// What a backend reports about itself in `/v1/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GraphBackendInfo {
    /// `embedded` or the engine's name (`falkordb`).
    pub backend: String,
    /// Embedded or managed.
    pub mode: GraphMode,
    /// The server's address, for a server backend (without credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The graph's name on the server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<String>,
    /// How linking finds candidate names on a server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linking: Option<String>,
}

/// The graph behind the graph route. See the module documentation.
pub trait GraphBackend: Send + Sync {
    // ----- identity -----

    /// What `/v1/status` shows about the backend.
    fn info(&self) -> GraphBackendInfo;

    /// A number that changes whenever the graph may have changed (cheap: asked per query).
    fn version(&self) -> u64;

    /// Entity and relation counts.
    fn counts(&self) -> Result<GraphCounts, GraphError>;

    // ----- primitives -----

    /// The entities with these ids that exist, in the order asked (unknown ids skipped,
    /// repeats once).
    fn entities(&self, ids: &[String]) -> Result<Vec<Entity>, GraphError>;

    /// Entities passing `filter`, at most `limit`, in id order.
    fn find_entities(&self, filter: &EntityFilter, limit: usize) -> Result<Vec<Entity>, GraphError>;

    /// The relations of `step`'s types at the entities `ids` in `step`'s direction, at most
    /// `limit`, in stored direction. Ordered by the position of their entity in `ids`, then
    /// outgoing before incoming, relation type and the other end's id, so traversals built
    /// on it are deterministic.
    fn expand(&self, ids: &[String], step: &Step, limit: usize) -> Result<Vec<Edge>, GraphError>;

    /// Relations touching each entity (in and out), 0 for unknown ids; one per id.
    fn degrees(&self, ids: &[String]) -> Result<Vec<usize>, GraphError>;

    /// How many relations of type `relation` leave (`Out`), enter (`In`) or touch (`Both`)
    /// the entity; 0 for unknown ids or types.
    fn count_related(&self, id: &str, relation: &str, direction: Direction) -> Result<usize, GraphError>;

    /// The schema of the graph as its data shows it (relation types with counts, end types,
    /// symmetry, chaining; entity types with counts), cached by the backend.
    fn schema_stats(&self) -> Result<Arc<SchemaStats>, GraphError>;

    /// Entity mentions in `text` (see [`crate::Graph::link_with`]).
    fn link(&self, text: &str, options: &LinkOptions) -> Result<Vec<EntityLink>, GraphError>;

    // ----- derived operations -----

    /// The entity with this id.
    fn entity(&self, id: &str) -> Result<Option<Entity>, GraphError> {
        Ok(self.entities(std::slice::from_ref(&id.to_string()))?.pop())
    }

    /// Whether an entity with this id exists.
    fn contains(&self, id: &str) -> Result<bool, GraphError> {
        Ok(self.entity(id)?.is_some())
    }

    /// The ids of `ids` that are not in the graph.
    fn missing(&self, ids: &[String]) -> Result<Vec<String>, GraphError> {
        let found: std::collections::HashSet<String> = self.entities(ids)?.into_iter().map(|e| e.id).collect();
        Ok(ids.iter().filter(|id| !found.contains(*id)).cloned().collect())
    }

    /// Relations touching the entity, outgoing then incoming, at most `limit`.
    fn facts_of(&self, id: &str, limit: usize) -> Result<Vec<Fact>, GraphError> {
        Ok(self.expand(&[id.to_string()], &Step::any(), limit)?.into_iter().map(|e| e.fact).collect())
    }

    /// Breadth-first neighbourhood (see [`crate::Graph::neighbors`]).
    fn neighbors(&self, id: &str, query: &NeighborQuery) -> Result<Neighborhood, GraphError> {
        crate::traverse::neighbors(self, id, query)
    }

    /// A shortest path as facts (see [`crate::Graph::shortest_path`]).
    fn shortest_path(
        &self,
        from: &str,
        to: &str,
        relations: Option<&[String]>,
    ) -> Result<Option<Vec<Fact>>, GraphError> {
        crate::traverse::shortest_path(self, from, to, relations)
    }

    /// A relational question's answers and their total (see [`crate::Graph::answer_counted`]).
    fn answer_counted(&self, question: &GraphQuestion) -> Result<GraphAnswers, GraphError> {
        crate::traverse::answer_counted(self, question)
    }

    /// Personalised PageRank from weighted seeds; a backend that cannot walk the whole graph
    /// walks the subgraph within `bound` of the seeds and says so in the result.
    fn personalized_pagerank(
        &self,
        seeds: &[(String, f64)],
        params: &PprParams,
        bound: &SubgraphBound,
    ) -> Result<RankedEntities, GraphError> {
        crate::traverse::subgraph_pagerank(self, seeds, params, bound)
    }

    /// About `n` relations sampled evenly across relation types, the same for the same seed.
    fn sample_relations(&self, n: usize, seed: u64) -> Result<Vec<Relation>, GraphError>;

    // ----- writes -----

    /// Inserts or replaces entities (their relations are kept); invalid ones are reported.
    fn upsert_entities(&self, entities: Vec<Entity>) -> Result<ImportReport, GraphError>;

    /// Adds relations; an existing triple counts as unchanged, unknown ends are reported.
    fn add_relations(&self, relations: Vec<Relation>) -> Result<ImportReport, GraphError>;

    /// Removes an entity with its relations; `false` when there was none.
    fn remove_entity(&self, id: &str) -> Result<bool, GraphError>;

    /// Removes every entity and relation (before the graph is written again from the store
    /// of record).
    fn clear(&self) -> Result<(), GraphError>;

    // ----- item provenance -----

    /// Records that `item` (a document, an image) mentions `entities`, replacing its earlier
    /// links.
    fn link_item(&self, item: &str, entities: &[String]);

    /// Forgets every link of `item`; `false` when it had none.
    fn unlink_item(&self, item: &str) -> bool;

    /// Items linked to the entity, sorted.
    fn items_of(&self, entity: &str) -> Vec<String>;

    /// Entities an item is linked to.
    fn entities_of_item(&self, item: &str) -> Vec<String>;

    /// Items ranked by the PageRank mass of their entities (see [`crate::Graph::rank_items`]).
    fn rank_items(&self, ranked: &[(String, f64)], top: usize) -> Vec<(String, f64)>;

    // ----- housekeeping -----

    /// Builds what the first query would otherwise build (link index, adjacency), e.g.
    /// after a bulk import.
    fn prepare(&self) {}
}
