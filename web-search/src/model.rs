//! What a web provider answers with, and what the resilience layer reports.

use serde::{Deserialize, Serialize};

/// Whether a hit is a page or an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebModality {
    /// A page.
    #[default]
    Text,
    /// An image.
    Image,
}

/// One normalised web search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WebHit {
    /// 1-based position in the provider's answer, after de-duplication.
    pub rank: usize,
    /// Title with markup removed.
    pub title: String,
    /// Canonical page URL (see [`crate::canonicalize_url`]).
    pub url: String,
    /// Snippet with markup removed, whitespace collapsed, at most ~500 characters.
    pub snippet: String,
    /// Publication date as the provider gave it (usually ISO 8601), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The engine that found the hit (SearxNG's upstream engine, or the provider name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    /// A page or an image.
    #[serde(default)]
    pub modality: WebModality,
    /// Full-size image URL for image hits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Thumbnail URL, when the provider gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
    /// The provider's relevance score when it gives one, else `1 / rank`.
    pub score: f32,
}

/// Counters of a resilient provider, for `/v1/status` and `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WebStats {
    /// Searches answered from the cache.
    pub cache_hits: u64,
    /// Searches that had to ask the provider.
    pub cache_misses: u64,
    /// Every `search` call, hit or miss.
    pub requests: u64,
    /// `search` calls that returned an error.
    pub failures: u64,
    /// Whether the circuit breaker is currently refusing calls.
    pub circuit_open: bool,
}
