//! The Brave Search API: `GET /res/v1/{web,images,news}/search` with an
//! `X-Subscription-Token` header.

use async_trait::async_trait;
use reqwest::header::{ACCEPT, HeaderValue};
use serde_json::Value;
use url::Url;

use crate::config::ProviderConfig;
use crate::error::WebError;
use crate::http::HttpTransport;
use crate::model::{WebHit, WebModality};
use crate::normalize::{RawHit, normalize_hits};
use crate::provider::{WebProvider, array_at, endpoint, parse_base_url, str_at};
use crate::query::{Freshness, WebCategory, WebQuery};

/// Where the Brave API lives unless `BRAID_WEB_URL` says otherwise.
pub const BRAVE_DEFAULT_URL: &str = "https://api.search.brave.com";

/// Largest `count` each Brave endpoint accepts.
const MAX_COUNT_WEB: usize = 20;
const MAX_COUNT_NEWS: usize = 50;
const MAX_COUNT_IMAGES: usize = 100;

/// The Brave Search API.
#[derive(Debug, Clone)]
pub struct BraveProvider {
    http: HttpTransport,
    base: Url,
    token: HeaderValue,
}

impl BraveProvider {
    /// A provider using `config.key` (required) against `config.url` or [`BRAVE_DEFAULT_URL`].
    pub fn new(config: &ProviderConfig) -> Result<Self, WebError> {
        let key = config
            .key
            .as_deref()
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| WebError::Config("brave needs an API key (BRAID_WEB_KEY)".into()))?;
        let mut token = HeaderValue::from_str(key.trim())
            .map_err(|_| WebError::Config("API key contains characters not allowed in a header".into()))?;
        // Keeps the key out of reqwest's Debug output and HTTP/2 header compression tables.
        token.set_sensitive(true);
        let base = parse_base_url(config.url.as_deref().unwrap_or(BRAVE_DEFAULT_URL))?;
        let http = HttpTransport::new(&config.http_limits(), base.host_str(), Some(key.to_owned()))?;
        Ok(BraveProvider { http, base, token })
    }
}

#[async_trait]
impl WebProvider for BraveProvider {
    fn name(&self) -> &str {
        "brave"
    }

    async fn search(&self, q: &WebQuery) -> Result<Vec<WebHit>, WebError> {
        q.validate()?;
        let k = q.bounded_k();
        let (path, max_count) = match q.category {
            WebCategory::General => ("res/v1/web/search", MAX_COUNT_WEB),
            WebCategory::News => ("res/v1/news/search", MAX_COUNT_NEWS),
            WebCategory::Images => ("res/v1/images/search", MAX_COUNT_IMAGES),
        };
        let mut url = endpoint(&self.base, path)?;
        {
            let mut pairs = url.query_pairs_mut();
            pairs.append_pair("q", &q.text()).append_pair("count", &k.min(max_count).to_string());
            // The images endpoint has no freshness filter.
            if let (Some(freshness), false) = (q.freshness(), q.category == WebCategory::Images) {
                pairs.append_pair("freshness", brave_freshness(freshness));
            }
        }
        let request = self
            .http
            .client()
            .get(url)
            .header(ACCEPT, "application/json")
            .header("X-Subscription-Token", self.token.clone());
        let body = self.http.send_json(request).await?;
        if !body.is_object() {
            return Err(WebError::Malformed("expected a JSON object".into()));
        }
        let hits = match q.category {
            // Brave omits `web` entirely when nothing matched.
            WebCategory::General => match body.get("web") {
                None => Vec::new(),
                Some(_) => normalize_hits(array_at(&body, &["web", "results"])?.iter().map(text_hit), k),
            },
            WebCategory::News => normalize_hits(array_at(&body, &["results"])?.iter().map(text_hit), k),
            WebCategory::Images => normalize_hits(array_at(&body, &["results"])?.iter().map(image_hit), k),
        };
        Ok(hits)
    }
}

fn brave_freshness(freshness: Freshness) -> &'static str {
    match freshness {
        Freshness::Day => "pd",
        Freshness::Week => "pw",
        Freshness::Month => "pm",
        Freshness::Year => "py",
    }
}

/// A web or news result.
fn text_hit(item: &Value) -> RawHit {
    RawHit {
        title: str_at(item, &["title"]),
        url: str_at(item, &["url"]),
        snippet: str_at(item, &["description"]),
        // `page_age` is ISO 8601; `age` is often relative ("2 days ago").
        published: str_at(item, &["page_age"]).or_else(|| str_at(item, &["age"])),
        engine: Some("brave".into()),
        modality: WebModality::Text,
        image_url: None,
        thumbnail_url: str_at(item, &["thumbnail", "src"]),
        score: None,
    }
}

fn image_hit(item: &Value) -> RawHit {
    RawHit {
        title: str_at(item, &["title"]),
        url: str_at(item, &["url"]),
        snippet: str_at(item, &["source"]),
        published: str_at(item, &["page_age"]),
        engine: Some("brave".into()),
        modality: WebModality::Image,
        image_url: str_at(item, &["properties", "url"]),
        thumbnail_url: str_at(item, &["thumbnail", "src"]),
        score: None,
    }
}
