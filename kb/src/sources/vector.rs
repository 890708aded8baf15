//! The vector route: hybrid dense + BM25 search over documents and images (see
//! [`super::hybrid`]), optionally reranked (see [`super::rerank`]); a passage hit stands for
//! its document, and picture queries get the images first.

use std::sync::Arc;

use async_trait::async_trait;
use braid_router::{Hit, Modality, Route, Source, SourceAnswer, SourceError, SourceRequest};
use braid_vector::{Embedder, Filter, Fusion, VectorBackend};

use super::hits::item_hit;
use super::hybrid::HybridSearch;
use super::rerank::Rerank;
use crate::store::Store;

/// The vector route: hybrid dense + BM25 search over documents and images.
pub struct VectorSource {
    vectors: Arc<dyn VectorBackend>,
    embedder: Arc<dyn Embedder>,
    store: Arc<Store>,
    rerank: Option<Rerank>,
}

impl VectorSource {
    /// A vector source over `vectors`, embedding queries with `embedder`.
    pub fn new(vectors: Arc<dyn VectorBackend>, embedder: Arc<dyn Embedder>, store: Arc<Store>) -> Self {
        VectorSource { vectors, embedder, store, rerank: None }
    }

    /// The same source with a reranking stage.
    pub fn with_rerank(mut self, rerank: Option<Rerank>) -> Self {
        self.rerank = rerank;
        self
    }
}

#[async_trait]
impl Source for VectorSource {
    fn route(&self) -> Route {
        Route::Vector
    }

    async fn search(&self, request: &SourceRequest) -> Result<Vec<Hit>, SourceError> {
        Ok(self.answer(request).await?.hits)
    }

    async fn answer(&self, request: &SourceRequest) -> Result<SourceAnswer, SourceError> {
        let vectors = self.vectors.clone();
        let embedder = self.embedder.clone();
        let store = self.store.clone();
        let rerank = self.rerank.clone().filter(|_| !request.query.trim().is_empty());
        let mut request = request.clone();
        tokio::task::spawn_blocking(move || {
            let k = request.k;
            if let Some(r) = &rerank {
                request.k = r.candidates(k);
            }
            let mut hits = vector_hits(vectors.as_ref(), embedder.as_ref(), &store, &request)?;
            let mut stages = Vec::new();
            if let Some(r) = &rerank
                && !hits.is_empty()
            {
                stages.push(r.apply(&store, &request.query, &mut hits));
            }
            hits.truncate(k);
            Ok(SourceAnswer { hits, total: None, stages })
        })
        .await
        .map_err(|e| SourceError::Failed(format!("vector task failed: {e}")))?
    }
}

fn vector_hits(
    vectors: &dyn VectorBackend,
    embedder: &dyn Embedder,
    store: &Store,
    request: &SourceRequest,
) -> Result<Vec<Hit>, SourceError> {
    let mut filter = Filter {
        modality: request.filters.modality.map(|m| match m {
            Modality::Text => braid_vector::Modality::Text,
            Modality::Image => braid_vector::Modality::Image,
        }),
        tags: request.filters.tags.clone(),
        entities: request.filters.entities.clone(),
        source: request.filters.source.clone(),
        ..Filter::default()
    };
    if let Some(kind) = &request.filters.kind {
        match kind.as_str() {
            // Passages of long documents are documents too.
            "document" => filter.kinds = vec![kind.clone(), crate::passages::PASSAGE_KIND.into()],
            "image" => filter.kinds = vec![kind.clone()],
            // Items are documents and images; an entity type matches none of them.
            _ => return Ok(Vec::new()),
        }
    }
    let vector = match &request.image {
        Some(bytes) => {
            embedder.embed_images(&[bytes.as_slice()]).map_err(|e| SourceError::Failed(e.to_string()))?.pop()
        }
        None if request.query.trim().is_empty() => None,
        // Introspection embedded the query already (for exemplar similarity) with this embedder.
        None => match &request.features.embedding {
            Some(v) if v.len() == embedder.dimension() => Some(v.as_ref().clone()),
            _ => Some(embedder.embed_text(&request.query).map_err(|e| SourceError::Failed(e.to_string()))?),
        },
    };
    // A query that asks for pictures ("pictures of…", "what does X look like") gets the images
    // that match first, then the rest, unless the caller filtered by modality already.
    let wants_images =
        request.filters.modality.is_none() && (!request.features.visual.is_empty() || request.image.is_some());
    let mut passes = Vec::new();
    if wants_images {
        let mut images = filter.clone();
        images.modality = Some(braid_vector::Modality::Image);
        passes.push(images);
    }
    passes.push(filter);
    let mut hits: Vec<Hit> = Vec::new();
    for filter in passes {
        let search = HybridSearch { vectors, store, filter: &filter, ef: request.ef, fusion: Fusion::default() };
        for ranked in search.rank(&request.query, vector.as_deref(), request.k)? {
            if hits.len() < request.k && !hits.iter().any(|x| x.id == ranked.id) {
                let passage = ranked.passage.map(|n| (n, request.query.as_str()));
                hits.extend(item_hit(store, &ranked.id, ranked.score, passage));
            }
        }
    }
    Ok(hits)
}
