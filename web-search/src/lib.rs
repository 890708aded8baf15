//! `braid-web`: Braid's web search route.
//!
//! A [`WebProvider`] turns a [`WebQuery`] into ranked, normalised [`WebHit`]s. Three
//! providers speak real wire formats — [`SearxngProvider`] (self-hosted metasearch),
//! [`BraveProvider`] and [`TavilyProvider`] — and [`build_provider`] wraps the configured
//! one in a [`ResilientProvider`]: a whole-call deadline, retries with jittered
//! exponential backoff (honouring `Retry-After`), a circuit breaker, a token-bucket rate
//! limiter and a bounded TTL cache, with counters available through
//! [`WebProvider::stats`].
//!
//! Every result URL is canonical ([`canonicalize_url`]) so the same page found by two
//! routes fuses into one hit. Redirects are only followed to public http(s) addresses
//! ([`check_public_url`]), bodies are capped, and API keys never appear in errors or logs.
//! The same guard fetches images users name by URL ([`ImageFetcher`]), and the same client
//! conventions serve other JSON endpoints Braid calls ([`JsonClient`]).
//!
//! ```
//! use std::time::Duration;
//! use braid_web::{ProviderConfig, ProviderKind, canonicalize_url};
//!
//! // Configuration comes from BRAID_WEB_* variables (here from a closure instead of the
//! // process environment).
//! let config = ProviderConfig::from_lookup(|name| match name {
//!     "BRAID_WEB_PROVIDER" => Some("searxng".to_owned()),
//!     "BRAID_WEB_URL" => Some("http://127.0.0.1:8888".to_owned()),
//!     "BRAID_WEB_TIMEOUT_MS" => Some("1500".to_owned()),
//!     _ => None,
//! })?
//! .expect("a provider is configured");
//! assert_eq!(config.kind, ProviderKind::Searxng);
//! assert_eq!(config.timeout, Duration::from_millis(1500));
//!
//! // Building needs no network; the first search connects.
//! let provider = braid_web::build_provider(&config)?;
//! assert_eq!(provider.name(), "searxng");
//! assert_eq!(provider.stats().requests, 0);
//!
//! assert_eq!(
//!     canonicalize_url("https://News.Example.org/0?utm_source=x&b=2&a=1#comments")?,
//!     "https://news.example.org/0?a=1&b=2"
//! );
//! # Ok::<(), braid_web::WebError>(())
//! ```

mod backoff;
mod brave;
mod breaker;
mod cache;
mod canonical;
mod config;
mod error;
mod fetch;
mod http;
mod model;
mod normalize;
mod provider;
mod query;
mod ratelimit;
mod resilient;
mod safety;
mod searxng;
mod tavily;

pub use backoff::Backoff;
pub use brave::{BRAVE_DEFAULT_URL, BraveProvider};
pub use canonical::canonicalize_url;
pub use config::{DEFAULT_TIMEOUT, ProviderConfig, ProviderKind, build_provider};
pub use error::WebError;
pub use fetch::{FetchError, FetchLimits, FetchedImage, ImageFetcher};
pub use http::{HttpLimits, JsonClient};
pub use model::{WebHit, WebModality, WebStats};
pub use normalize::{MAX_SNIPPET_CHARS, MAX_TITLE_CHARS};
pub use provider::WebProvider;
pub use query::{Freshness, MAX_K, MAX_QUERY_BYTES, WebCategory, WebQuery};
pub use resilient::{ResilienceConfig, ResilientProvider};
pub use safety::{MAX_REDIRECTS, check_public_url, is_public_address};
pub use searxng::SearxngProvider;
pub use tavily::{TAVILY_DEFAULT_URL, TavilyProvider};
