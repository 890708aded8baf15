//! The web route: a configured web search provider, or unavailable with the reason.

use std::sync::Arc;

use async_trait::async_trait;
use braid_router::{Hit, HitKind, Modality, Route, Source, SourceError, SourceRequest};
use braid_web::{WebCategory, WebModality, WebProvider, WebQuery};

/// The web route: a configured web search provider, or unavailable with the reason.
pub struct WebSource {
    provider: Option<Arc<dyn WebProvider>>,
}

impl WebSource {
    /// A web source; `None` means no provider is configured.
    pub fn new(provider: Option<Arc<dyn WebProvider>>) -> Self {
        WebSource { provider }
    }
}

#[async_trait]
impl Source for WebSource {
    fn route(&self) -> Route {
        Route::Web
    }

    fn availability(&self) -> Result<(), String> {
        match &self.provider {
            Some(_) => Ok(()),
            None => Err("no provider configured (set BRAID_WEB_PROVIDER and BRAID_WEB_URL)".into()),
        }
    }

    async fn search(&self, request: &SourceRequest) -> Result<Vec<Hit>, SourceError> {
        let provider =
            self.provider.as_ref().ok_or_else(|| SourceError::Unavailable("no web provider configured".into()))?;
        if request.filters.kind.as_deref().is_some_and(|k| k != "web") {
            return Ok(Vec::new());
        }
        let mut query = WebQuery::new(request.query.clone(), request.k);
        if request.filters.modality == Some(Modality::Image) {
            query.category = WebCategory::Images;
        }
        let found = provider.search(&query).await.map_err(|e| SourceError::Failed(e.to_string()))?;
        Ok(found
            .into_iter()
            .filter(|h| {
                request.filters.modality.is_none_or(|m| (m == Modality::Image) == (h.modality == WebModality::Image))
            })
            .map(|h| {
                let image = h.modality == WebModality::Image;
                Hit {
                    id: h.url.clone(),
                    kind: HitKind::Web,
                    modality: if image { Modality::Image } else { Modality::Text },
                    title: h.title,
                    snippet: h.snippet,
                    uri: Some(if image { h.image_url.clone().unwrap_or(h.url) } else { h.url }),
                    thumbnail: h.thumbnail_url,
                    score: h.score,
                    facts: Vec::new(),
                }
            })
            .collect())
    }
}
