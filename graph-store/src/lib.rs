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
//! Modules, one concept each: `model` (records and query values), `graph` (the store),
//! `adjacency` (the compact adjacency snapshot that traversals walk),
//! `normalize` (text normalisation), `phrase` (exact phrase matching over words), `fuzzy`
//! (edit distance and deletion index), `linker` (entity linking), `paths`, `pagerank`,
//! `answer`, `sets` (set-at-a-time steps), `plan` (graph plans and their executor), `schema` (the relation and entity types as the data shows them), `error`.

mod adjacency;
mod answer;
mod error;
mod fuzzy;
mod graph;
mod linker;
mod model;
mod normalize;
mod pagerank;
mod paths;
mod phrase;
pub mod plan;
mod schema;
mod sets;

pub use error::GraphError;
pub use graph::{Graph, MAX_NEIGHBOR_DEPTH};
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
