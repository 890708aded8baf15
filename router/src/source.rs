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

/// What a source answered: its ranked hits, and what it can say about them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceAnswer {
    /// Ranked hits, best first.
    pub hits: Vec<Hit>,
    /// How many matches there were before the source kept its best (a relational question
    /// with hundreds of answers), when the source knows.
    pub total: Option<usize>,
    /// The optional stages the source ran after its own search (a reranker, say), in the
    /// order they ran; the router puts them in the query's `sources`.
    pub stages: Vec<StageReport>,
}

impl From<Vec<Hit>> for SourceAnswer {
    fn from(hits: Vec<Hit>) -> Self {
        SourceAnswer { hits, total: None, stages: Vec::new() }
    }
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

    /// The hits with what the source can say about them (the total before its cut); the
    /// router calls this. By default, [`Source::search`] with nothing more.
    async fn answer(&self, request: &SourceRequest) -> Result<SourceAnswer, SourceError> {
        Ok(self.search(request).await?.into())
    }
}
