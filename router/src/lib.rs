//! # braid-router
//!
//! Braid's heart: it looks at a query, decides which knowledge sources can answer it, runs
//! them concurrently under deadlines and fuses their ranked results with provenance.
//!
//! The router knows no store: each route is a [`Source`] and entity linking is an
//! [`EntityLinker`], both traits defined here, so a store can be swapped without the router
//! knowing.
//!
//! ```
//! use std::sync::Arc;
//! use async_trait::async_trait;
//! use braid_router::*;
//!
//! /// A toy vector source that returns the query back as a document.
//! struct Echo;
//!
//! #[async_trait]
//! impl Source for Echo {
//!     fn route(&self) -> Route { Route::Vector }
//!     async fn search(&self, req: &SourceRequest) -> Result<Vec<Hit>, SourceError> {
//!         Ok(vec![Hit {
//!             id: "doc:echo".into(), kind: HitKind::Document, modality: Modality::Text,
//!             title: req.query.clone(), snippet: String::new(), uri: None, thumbnail: None,
//!             score: 1.0, facts: vec![],
//!         }])
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let router = Router::new(Arc::new(NoLinker)).with_source(Arc::new(Echo));
//! let answer = router.query(&QueryRequest::new("pictures of koalas"), None).await.unwrap();
//! assert_eq!(answer.plan.primary, Some(Route::Vector));
//! assert_eq!(answer.results[0].id, "doc:echo");
//! assert_eq!(answer.results[0].sources[0].route, Route::Vector);
//! # });
//! ```

pub mod answer;
pub mod diversity;
pub mod exemplars;
pub mod features;
pub mod fusion;
pub mod hit;
pub mod introspect;
pub mod lexicon;
pub mod morphology;
pub mod normalize;
pub mod plan;
pub mod policy;
pub mod request;
pub mod route;
pub mod router;
pub mod schema;
pub mod source;
pub mod train;

pub use answer::{Answer, AnswerKind};
pub use exemplars::{Exemplars, QueryEmbedder, SHIPPED_EXEMPLARS};
pub use features::{CueDirection, LinkedEntity, PATH_RELATION, QueryFeatures, QuestionShape, RelationCue};
pub use fusion::{DEFAULT_RRF_K, RankedList, fuse};
pub use hit::{FusedHit, Hit, HitKind, Modality, SourceRank};
pub use introspect::{EntityLinker, Introspector, NoLinker};
pub use lexicon::Lexicon;
pub use plan::{RouteDecision, RoutePlan};
pub use policy::{Availability, FEATURE_NAMES, PolicyError, PolicyWeights, RoutePolicy, feature_vector};
pub use request::{
    Escalation, Filters, FusionMethod, FusionTrace, ImageInput, InvalidRequest, MAX_K, QueryRequest, QueryResponse,
    SourceReport, SourceStatus, StageReport, Trace, validate_k, validate_query_text,
};
pub use route::{Route, UnknownRoute};
pub use router::{Router, RouterConfig, RouterError};
pub use schema::{EntityType, KbSchema, NoSchema, RelationType, SchemaSource};
pub use source::{Source, SourceAnswer, SourceError, SourceRequest};
