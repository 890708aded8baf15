//! The Tavily search API: `POST /search` with a JSON body and `Authorization: Bearer`.

use async_trait::async_trait;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::config::ProviderConfig;
use crate::error::WebError;
use crate::http::HttpTransport;
use crate::model::{WebHit, WebModality};
use crate::normalize::{RawHit, normalize_hits};
use crate::provider::{WebProvider, array_at, endpoint, number_at, parse_base_url, str_at};
use crate::query::{WebCategory, WebQuery};

/// Where the Tavily API lives unless `BRAID_WEB_URL` says otherwise.
pub const TAVILY_DEFAULT_URL: &str = "https://api.tavily.com";

/// Tavily's upper bound on `max_results`.
const MAX_RESULTS: usize = 20;

/// The Tavily search API.
#[derive(Debug, Clone)]
pub struct TavilyProvider {
    http: HttpTransport,
    search_url: Url,
    authorization: HeaderValue,
}

/// The request body. The key goes in the `Authorization` header, never in here.
#[derive(Debug, Serialize)]
struct TavilyRequest<'a> {
    query: &'a str,
    max_results: usize,
    topic: &'static str,
    include_images: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_range: Option<&'static str>,
}

impl TavilyProvider {
    /// A provider using `config.key` (required) against `config.url` or [`TAVILY_DEFAULT_URL`].
    pub fn new(config: &ProviderConfig) -> Result<Self, WebError> {
        let key = config
            .key
            .as_deref()
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| WebError::Config("tavily needs an API key (BRAID_WEB_KEY)".into()))?;
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", key.trim()))
            .map_err(|_| WebError::Config("API key contains characters not allowed in a header".into()))?;
        authorization.set_sensitive(true);
        let base = parse_base_url(config.url.as_deref().unwrap_or(TAVILY_DEFAULT_URL))?;
        let search_url = endpoint(&base, "search")?;
        let http = HttpTransport::new(&config.http_limits(), base.host_str(), Some(key.to_owned()))?;
        Ok(TavilyProvider { http, search_url, authorization })
    }
}

#[async_trait]
impl WebProvider for TavilyProvider {
    fn name(&self) -> &str {
        "tavily"
    }

    async fn search(&self, q: &WebQuery) -> Result<Vec<WebHit>, WebError> {
        q.validate()?;
        let k = q.bounded_k();
        let text = q.text();
        let body = TavilyRequest {
            query: &text,
            max_results: k.min(MAX_RESULTS),
            topic: if q.category == WebCategory::News { "news" } else { "general" },
            include_images: q.category == WebCategory::Images,
            time_range: q.freshness().map(|f| f.as_word()),
        };
        let request = self
            .http
            .client()
            .post(self.search_url.clone())
            .header(ACCEPT, "application/json")
            .header(AUTHORIZATION, self.authorization.clone())
            .json(&body);
        let answer = self.http.send_json(request).await?;
        let hits = if q.category == WebCategory::Images {
            // Tavily gives query-level images: plain URLs, or {url, description} objects
            // when image descriptions are on. They have no separate page URL.
            let images = match answer.get("images") {
                None | Some(Value::Null) => &[][..],
                Some(_) => array_at(&answer, &["images"])?,
            };
            normalize_hits(images.iter().map(image_hit), k)
        } else {
            normalize_hits(array_at(&answer, &["results"])?.iter().map(text_hit), k)
        };
        Ok(hits)
    }
}

fn text_hit(item: &Value) -> RawHit {
    RawHit {
        title: str_at(item, &["title"]),
        url: str_at(item, &["url"]),
        snippet: str_at(item, &["content"]),
        published: str_at(item, &["published_date"]),
        engine: Some("tavily".into()),
        modality: WebModality::Text,
        image_url: None,
        thumbnail_url: None,
        score: number_at(item, "score"),
    }
}

fn image_hit(item: &Value) -> RawHit {
    let (url, description) = match item {
        Value::String(url) => (Some(url.clone()), None),
        other => (str_at(other, &["url"]), str_at(other, &["description"])),
    };
    RawHit {
        title: description.clone(),
        snippet: description,
        url: url.clone(),
        engine: Some("tavily".into()),
        modality: WebModality::Image,
        image_url: url,
        ..RawHit::default()
    }
}
