//! Questions: a routed, fused answer; a plan alone; one route run directly.

use std::sync::Arc;

use braid_router::{Filters, Hit, QueryRequest, QueryResponse, Route, RoutePlan, SourceError, SourceRequest};

use super::KnowledgeBase;
use crate::error::BraidError;
use crate::media_type::sniff_media_type;
use crate::validate::decode_base64;

impl KnowledgeBase {
    /// Answers a routed query.
    pub async fn query(&self, request: &QueryRequest) -> Result<QueryResponse, BraidError> {
        request.validate()?;
        let image = self.query_image(request).await?;
        let mut response = self.router.query(request, image.clone()).await.map_err(|e| match e {
            braid_router::RouterError::Invalid(i) => BraidError::from(i),
        })?;
        // A question the graph can answer exactly leads with that answer (issue 23).
        let graph_allowed = request.routes.as_ref().is_none_or(|r| r.contains(&Route::Graph));
        if image.is_none() && graph_allowed {
            self.attach_answer(&mut response, request.k);
        }
        Ok(response)
    }

    /// Plans a query without running it.
    pub fn plan(&self, query: &str) -> Result<RoutePlan, BraidError> {
        braid_router::validate_query_text(query, false)?;
        Ok(self.router.plan(query, false, None).1)
    }

    /// Runs one route directly.
    pub async fn search_route(
        &self,
        route: Route,
        query: &str,
        k: usize,
        filters: Filters,
    ) -> Result<Vec<Hit>, BraidError> {
        braid_router::validate_query_text(query, false)?;
        braid_router::validate_k(k)?;
        let features = Arc::new(self.router.features(query, false));
        let request = SourceRequest { query: query.to_string(), features, k, filters, image: None, ef: None };
        self.router.search_source(route, request).await.map_err(|e| match e {
            SourceError::Unavailable(m) => BraidError::Unavailable(m),
            SourceError::InvalidInput { field, message } => BraidError::invalid(field, message),
            SourceError::Failed(m) => BraidError::Internal(m),
        })
    }

    /// The image attached to a query, checked: only a multimodal embedder can use one. An
    /// image given by URL is fetched under the SSRF guard (see [`braid_web::ImageFetcher`]).
    async fn query_image(&self, request: &QueryRequest) -> Result<Option<Arc<Vec<u8>>>, BraidError> {
        let Some(image) = &request.image else { return Ok(None) };
        if !self.embedder.is_multimodal() {
            return Err(BraidError::invalid(
                "image",
                format!(
                    "the active embedder '{}' cannot embed images; start Braid with a multimodal embedder (BRAID_EMBEDDER=clip)",
                    self.embedder.name()
                ),
            ));
        }
        let (field, bytes) = match &image.url {
            Some(url) => {
                let fetcher = self.image_fetcher.as_ref().ok_or_else(|| {
                    BraidError::Unavailable("image URLs cannot be fetched: the HTTP client did not start".into())
                })?;
                let fetched = fetcher.fetch(url).await.map_err(|e| BraidError::invalid("image.url", e.to_string()))?;
                ("image.url", fetched.bytes)
            }
            None => ("image.base64", decode_base64("image.base64", image.base64.as_deref().unwrap_or_default())?),
        };
        sniff_media_type(&bytes).map_err(|m| BraidError::invalid(field, m))?;
        Ok(Some(Arc::new(bytes)))
    }
}
