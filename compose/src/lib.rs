//! # braid-compose
//!
//! Compositional questions over the graph without a language model: a small semantic parser
//! turns a question into a typed [`GraphPlan`] — chains of relations, intersections,
//! negation, property filters, counts, rankings, comparisons — using only the knowledge
//! base's own vocabulary (its relation and type lexicon, [`braid_router::Lexicon`], and the
//! names of its entities' properties) plus general English ([`words`]). The graph then
//! answers the plan exactly ([`braid_graph::Graph::execute`]).
//!
//! ```
//! use braid_compose::{Vocabulary, compose};
//! use braid_graph::plan::{Limits, PlanOutput};
//! use braid_graph::{Entity, Graph, Relation};
//! use braid_router::{EntityLinker, KbSchema, LinkedEntity, Lexicon, RelationType, EntityType};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut g = Graph::new();
//! for (id, name, kind) in [("ken", "Kenya", "country"), ("tza", "Tanzania", "country"),
//!                          ("uga", "Uganda", "country"), ("tzs", "Tanzanian shilling", "currency")] {
//!     g.upsert_entity(Entity::new(id, name, kind))?;
//! }
//! for (s, r, t) in [("ken", "borders", "tza"), ("tza", "borders", "ken"), ("ken", "borders", "uga"),
//!                   ("uga", "borders", "ken"), ("tza", "uses_currency", "tzs")] {
//!     g.add_relation(Relation::new(s, r, t))?;
//! }
//! // The router's view of the schema, as the knowledge base reports it.
//! let stats = g.schema_stats();
//! let schema = KbSchema {
//!     relations: stats.relations.iter().map(|r| RelationType {
//!         source_types: r.source_types.iter().map(|(t, _)| t.clone()).collect(),
//!         target_types: r.target_types.iter().map(|(t, _)| t.clone()).collect(),
//!         symmetric: r.symmetric,
//!         ..RelationType::named(r.name.clone(), r.count)
//!     }).collect(),
//!     entity_types: stats.entity_types.iter().map(|t| EntityType {
//!         name: t.name.clone(), count: t.count, ..EntityType::default()
//!     }).collect(),
//! };
//! struct Linker<'a>(&'a Graph);
//! impl EntityLinker for Linker<'_> {
//!     fn link(&self, text: &str) -> Vec<LinkedEntity> {
//!         self.0.link(text).into_iter().map(|l| LinkedEntity {
//!             id: l.entity_id, name: l.name, kind: l.kind, mention: l.mention,
//!             confidence: l.confidence, method: String::new(),
//!         }).collect()
//!     }
//! }
//! let composed = compose("how many countries border Kenya", &Linker(&g), &Lexicon::compile(&schema),
//!                        &stats, &Vocabulary::new(&stats))?;
//! assert_eq!(g.describe_plan(&composed.plan), "count(borders(Kenya))");
//! assert_eq!(g.execute(&composed.plan, &Limits::default())?, PlanOutput::Count(2));
//! # Ok(())
//! # }
//! ```

pub mod parse;
pub mod vocabulary;
pub mod words;

pub use braid_graph::plan::GraphPlan;
pub use parse::{Composed, MAX_ANCHORS, MAX_HOPS, NotComposed, Parser};
pub use vocabulary::Vocabulary;

use braid_graph::SchemaStats;
use braid_router::{EntityLinker, Lexicon};

/// Compiles `question` into a graph plan over the knowledge base whose vocabulary is
/// `lexicon` (relations and types), `schema` (what the data shows of them) and
/// `vocabulary` (its properties); `linker` finds the entities it names.
pub fn compose(
    question: &str,
    linker: &dyn EntityLinker,
    lexicon: &Lexicon,
    schema: &SchemaStats,
    vocabulary: &Vocabulary,
) -> Result<Composed, NotComposed> {
    Parser { lexicon, schema, vocabulary, linker }.parse(question)
}
