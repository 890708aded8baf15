//! The `Source` trait: what the router needs from a knowledge store. One per route.

use std::sync::Arc;

use async_trait::async_trait;

use crate::features::QueryFeatures;
use crate::hit::Hit;
use crate::request::{Filters, StageReport};
use crate::route::Route;

/// What a source is asked.
#[derive(Debug, Clone)]
pub struct SourceRequest {
    /// The query text.
    pub query: String,
    /// What introspection found (entities, relation cues …).
    pub features: Arc<QueryFeatures>,
    /// How many hits to return at most.
    pub k: usize,
    /// Filters to honour where the source can.
    pub filters: Filters,
    /// Image bytes attached to the query, if any.
    pub image: Option<Arc<Vec<u8>>>,
    /// HNSW search width for vector sources, when the caller set one.
    pub ef: Option<usize>,
}

/// Why a source could not answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SourceError {
    /// The source is not configured or not reachable.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The request cannot be answered by this source (bad filter, wrong modality …).
    #[error("{field}: {message}")]
    InvalidInput {
        /// The offending field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The source failed.
    #[error("{0}")]
    Failed(String),
}

/// A knowledge source the router can query.
#[async_trait]
pub trait Source: Send + Sync {
    /// Which route this source serves.
    fn route(&self) -> Route;

    /// `Err(reason)` when the source cannot run at all (e.g. no web provider configured).
    fn availability(&self) -> Result<(), String> {
        Ok(())
    }

    /// Ranked hits for the request, best first.
    async fn search(&self, request: &SourceRequest) -> Result<Vec<Hit>, SourceError>;

    /// Like [`search`](Source::search), with reports of the optional stages the source ran
    /// (a reranker, say); the router puts them in the query's `sources`. The default runs
    /// `search` and reports none.
    async fn search_staged(&self, request: &SourceRequest) -> Result<SourceAnswer, SourceError> {
        Ok(SourceAnswer { hits: self.search(request).await?, stages: Vec::new() })
    }
}

/// Hits and the reports of the optional stages that produced them.
#[derive(Debug, Clone, Default)]
pub struct SourceAnswer {
    /// Ranked hits, best first.
    pub hits: Vec<Hit>,
    /// The optional stages, in the order they ran.
    pub stages: Vec<StageReport>,
}
