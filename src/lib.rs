//! # braid
//!
//! Braid is a hybrid graph + vector + web knowledge router. This package wires the stores
//! ([`braid_graph`], [`braid_vector`], [`braid_web`]) to the router ([`braid_router`]) behind
//! a durable store of record, and serves them over REST and the command line.
//!
//! Embedding Braid as a library:
//!
//! ```
//! use std::sync::Arc;
//! use braid::{Braid, BraidOptions, records::*};
//! use braid_router::{QueryRequest, Route, RoutePolicy, RouterConfig};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let dir = tempfile::tempdir().unwrap();
//! let braid = Braid::open(BraidOptions {
//!     data_dir: dir.path().to_path_buf(),
//!     embedder: Arc::new(braid_vector::HashingEmbedder::new(256)),
//!     web: None,
//!     router: RouterConfig::default(),
//!     policy: RoutePolicy::default(),
//!     vectors: None,
//!     read_only: false,
//! }).unwrap();
//! braid.put_entities(vec![
//!     Entity::new("country:FRA", "France", "country"),
//!     Entity::new("country:ESP", "Spain", "country"),
//! ]).unwrap();
//! braid.put_relations(vec![Relation::new("country:FRA", "borders", "country:ESP")]).unwrap();
//!
//! let answer = braid.query(&QueryRequest::new("Which countries border France?")).await.unwrap();
//! assert_eq!(answer.plan.primary, Some(Route::Graph));
//! assert_eq!(answer.results[0].id, "country:ESP");
//! # });
//! ```

pub mod access;
pub mod config;
pub mod error;
pub mod images;
pub mod ingest;
pub mod knowledge;
pub mod mcp;
pub mod metrics;
pub mod openapi;
pub mod passages;
pub mod records;
pub mod server;
pub mod sources;
pub mod store;
pub mod tools;
pub mod ui;

pub use error::BraidError;
pub use knowledge::{Braid, BraidOptions, Status, VECTOR_CHECKPOINT_DIR};

/// Where the bundled atlas demo knowledge base lives: `BRAID_ATLAS`, `examples/data/atlas`
/// below the working directory, or the source tree this binary was built from.
pub fn find_atlas() -> Option<std::path::PathBuf> {
    let candidates = [
        std::env::var_os("BRAID_ATLAS").map(std::path::PathBuf::from),
        Some(std::path::PathBuf::from("examples/data/atlas")),
        Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/atlas")),
    ];
    candidates.into_iter().flatten().find(|p| p.join("entities.jsonl").is_file())
}
