//! SearxNG (self-hosted metasearch) over its JSON API: `GET {base}/search?format=json`.
//!
//! The instance must have `json` in `search.formats` in its `settings.yml`; otherwise it
//! answers 403, reported as `WebError::Http { status: 403 }`.

use async_trait::async_trait;
use reqwest::header::ACCEPT;
use serde_json::Value;
use url::Url;

use crate::config::ProviderConfig;
use crate::error::WebError;
use crate::http::HttpTransport;
use crate::model::{WebHit, WebModality};
use crate::normalize::{RawHit, normalize_hits};
use crate::provider::{WebProvider, array_at, endpoint, number_at, parse_base_url, str_at};
use crate::query::WebQuery;

/// A SearxNG instance.
#[derive(Debug, Clone)]
pub struct SearxngProvider {
    http: HttpTransport,
    search_url: Url,
}

impl SearxngProvider {
    /// A provider for the instance at `config.url` (required; loopback is fine).
    pub fn new(config: &ProviderConfig) -> Result<Self, WebError> {
        let base = config.url.as_deref().ok_or_else(|| WebError::Config("searxng needs BRAID_WEB_URL".into()))?;
        let base = parse_base_url(base)?;
        let search_url = endpoint(&base, "search")?;
        let http = HttpTransport::new(&config.http_limits(), base.host_str(), config.key.clone())?;
        Ok(SearxngProvider { http, search_url })
    }
}

#[async_trait]
impl WebProvider for SearxngProvider {
    fn name(&self) -> &str {
        "searxng"
    }

    async fn search(&self, q: &WebQuery) -> Result<Vec<WebHit>, WebError> {
        q.validate()?;
        let mut url = self.search_url.clone();
        {
            let mut pairs = url.query_pairs_mut();
            pairs
                .append_pair("q", &q.text())
                .append_pair("format", "json")
                .append_pair("categories", q.category.as_str())
                .append_pair("pageno", "1");
            if let Some(freshness) = q.freshness() {
                pairs.append_pair("time_range", freshness.as_word());
            }
        }
        let request = self.http.client().get(url).header(ACCEPT, "application/json");
        let body = self.http.send_json(request).await?;
        let results = array_at(&body, &["results"])?;
        Ok(normalize_hits(results.iter().map(raw_hit), q.bounded_k()))
    }
}

fn raw_hit(item: &Value) -> RawHit {
    let is_image = str_at(item, &["template"]).as_deref() == Some("images.html")
        || str_at(item, &["category"]).as_deref() == Some("images");
    let thumbnail = str_at(item, &["thumbnail_src"]).or_else(|| str_at(item, &["thumbnail"])).filter(|t| !t.is_empty());
    let image = str_at(item, &["img_src"]).filter(|t| !t.is_empty());
    let (image_url, thumbnail_url) = if is_image {
        (image, thumbnail)
    } else {
        // On text results an `img_src` is only a preview picture.
        (None, thumbnail.or(image))
    };
    RawHit {
        title: str_at(item, &["title"]),
        url: str_at(item, &["url"]),
        snippet: str_at(item, &["content"]),
        published: str_at(item, &["publishedDate"]),
        engine: str_at(item, &["engine"]),
        modality: if is_image { WebModality::Image } else { WebModality::Text },
        image_url,
        thumbnail_url,
        score: number_at(item, "score"),
    }
}
