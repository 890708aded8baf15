//! # braid-kb
//!
//! Braid's knowledge base as a library: the durable core that every interface of Braid
//! (the CLI, REST, MCP, notebooks through REST, your own program) stands on. It wires the
//! stores ([`braid_graph`], [`braid_vector`], [`braid_web`]) to the router ([`braid_router`])
//! behind a store of record on redb, and it knows nothing of HTTP.
//!
//! - [`KnowledgeBase`]: open a data directory, write records, ask questions.
//! - [`records`]: the import records (entities, relations, documents, images).
//! - [`ingest`]: JSON Lines files and folders of documents and images, kept in sync, with
//!   progress through a callback.
//! - [`extract`]: entities and relations from passages with a language model, when one is
//!   configured.
//! - [`sources`]: the graph, vector and web routes as the router's [`braid_router::Source`]s.
//! - [`checkpoint`]: when the vector index is checkpointed in the background.
//!
//! ```
//! use std::sync::Arc;
//! use braid_kb::{KnowledgeBase, Options, records::*};
//! use braid_router::{QueryRequest, Route};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let dir = tempfile::tempdir().unwrap();
//! let embedder = Arc::new(braid_vector::HashingEmbedder::new(256));
//! let kb = KnowledgeBase::open(Options::new(dir.path(), embedder)).unwrap();
//! kb.put_entities(vec![
//!     Entity::new("country:FRA", "France", "country"),
//!     Entity::new("country:ESP", "Spain", "country"),
//! ]).unwrap();
//! kb.put_relations(vec![
//!     Relation::new("country:FRA", "borders", "country:ESP"),
//!     Relation::new("country:ESP", "borders", "country:FRA"),
//! ]).unwrap();
//!
//! let answer = kb.query(&QueryRequest::new("Which countries border France?")).await.unwrap();
//! assert_eq!(answer.plan.primary, Some(Route::Graph));
//! assert_eq!(answer.results[0].id, "country:ESP");
//! # });
//! ```

pub mod checkpoint;
pub mod error;
pub mod extract;
pub mod fit;
pub mod ingest;
mod knowledge_base;
pub mod media_type;
pub mod passages;
pub mod records;
pub mod schema;
pub mod sources;
pub mod status;
pub mod store;
pub mod validate;

pub use checkpoint::{CheckpointPolicy, CheckpointReport, CheckpointTrigger};
pub use error::BraidError;
pub use knowledge_base::compose::{COMPOSE_DEADLINE, COMPOSE_MAX_SET, Composition, CompositionFailure};
pub use knowledge_base::{
    KnowledgeBase, MAX_IMAGE_BYTES, MAX_TEXT_BYTES, Options, ProgressCallback, VECTOR_CHECKPOINT_DIR,
};
pub use status::{EmbedderStatus, EntityView, GraphStatus, LoadProgress, LoadStage, RouteStatus, Status, WriteSummary};
