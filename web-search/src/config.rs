//! Which provider to use and how, from the environment or code, and building it.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::brave::BraveProvider;
use crate::error::WebError;
use crate::http::HttpLimits;
use crate::provider::{WebProvider, parse_base_url};
use crate::resilient::{ResilienceConfig, ResilientProvider};
use crate::searxng::SearxngProvider;
use crate::tavily::TavilyProvider;

/// Default whole-request deadline, retries included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The supported web search backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// A SearxNG instance (self-hosted metasearch, JSON API).
    Searxng,
    /// The Brave Search API.
    Brave,
    /// The Tavily search API.
    Tavily,
}

impl ProviderKind {
    /// The name used in settings (`searxng`, `brave`, `tavily`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Searxng => "searxng",
            ProviderKind::Brave => "brave",
            ProviderKind::Tavily => "tavily",
        }
    }
}

impl FromStr for ProviderKind {
    type Err = WebError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "searxng" | "searx" => Ok(ProviderKind::Searxng),
            "brave" => Ok(ProviderKind::Brave),
            "tavily" => Ok(ProviderKind::Tavily),
            other => {
                Err(WebError::Config(format!("unknown web provider '{other}' (expected searxng, brave or tavily)")))
            }
        }
    }
}

/// Everything needed to build a provider. `Debug` never shows the key.
#[derive(Clone, PartialEq)]
pub struct ProviderConfig {
    /// Which backend.
    pub kind: ProviderKind,
    /// Base URL: required for SearxNG, optional override for Brave and Tavily.
    pub url: Option<String>,
    /// API key: required for Brave and Tavily.
    pub key: Option<String>,
    /// Whole-request deadline, retries and rate-limit waits included.
    pub timeout: Duration,
    /// TCP/TLS connection set-up limit (capped at `timeout`).
    pub connect_timeout: Duration,
    /// Largest response body read.
    pub max_body_bytes: usize,
    /// Retries, circuit breaker, rate limit and cache.
    pub resilience: ResilienceConfig,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("key", &self.key.as_ref().map(|_| "[redacted]"))
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("resilience", &self.resilience)
            .finish()
    }
}

impl ProviderConfig {
    /// A configuration for `kind` with default limits and no URL or key.
    pub fn new(kind: ProviderKind) -> Self {
        let limits = HttpLimits::default();
        ProviderConfig {
            kind,
            url: None,
            key: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: limits.connect_timeout,
            max_body_bytes: limits.max_body_bytes,
            resilience: ResilienceConfig::default(),
        }
    }

    /// Sets the base URL.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets the API key.
    pub fn with_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the whole-request deadline.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Reads `BRAID_WEB_PROVIDER` (`searxng` | `brave` | `tavily`), `BRAID_WEB_URL`,
    /// `BRAID_WEB_KEY` and optionally `BRAID_WEB_TIMEOUT_MS` and `BRAID_WEB_QPS` (0 turns
    /// the local rate limit off). `Ok(None)` when no provider is configured.
    pub fn from_env() -> Result<Option<Self>, WebError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`ProviderConfig::from_env`] over any variable lookup (for tests and config files).
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, WebError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let Some(kind) = get("BRAID_WEB_PROVIDER") else {
            return Ok(None);
        };
        let mut config = ProviderConfig::new(kind.parse()?);
        config.url = get("BRAID_WEB_URL");
        config.key = get("BRAID_WEB_KEY");
        if let Some(ms) = get("BRAID_WEB_TIMEOUT_MS") {
            let ms: u64 = ms.parse().ok().filter(|ms| *ms > 0).ok_or_else(|| {
                WebError::Config(format!("BRAID_WEB_TIMEOUT_MS must be a positive number of milliseconds, not '{ms}'"))
            })?;
            config.timeout = Duration::from_millis(ms);
        }
        if let Some(qps) = get("BRAID_WEB_QPS") {
            let qps: f64 = qps
                .parse()
                .ok()
                .filter(|q: &f64| q.is_finite() && *q >= 0.0)
                .ok_or_else(|| WebError::Config(format!("BRAID_WEB_QPS must be a number >= 0, not '{qps}'")))?;
            config.resilience.qps = (qps > 0.0).then_some(qps);
        }
        config.validate()?;
        Ok(Some(config))
    }

    /// Checks the configuration is usable: the URL (if any) is http(s), SearxNG has a
    /// URL, Brave and Tavily have a key, limits are non-zero.
    pub fn validate(&self) -> Result<(), WebError> {
        if let Some(url) = &self.url {
            parse_base_url(url)?;
        }
        match self.kind {
            ProviderKind::Searxng if self.url.is_none() => {
                return Err(WebError::Config("searxng needs a URL (BRAID_WEB_URL)".into()));
            }
            ProviderKind::Brave | ProviderKind::Tavily if self.key.as_deref().is_none_or(|k| k.trim().is_empty()) => {
                return Err(WebError::Config(format!("{} needs an API key (BRAID_WEB_KEY)", self.kind.as_str())));
            }
            _ => {}
        }
        if self.timeout.is_zero() {
            return Err(WebError::Config("timeout must be greater than zero".into()));
        }
        if self.max_body_bytes == 0 {
            return Err(WebError::Config("max_body_bytes must be greater than zero".into()));
        }
        Ok(())
    }

    pub(crate) fn http_limits(&self) -> HttpLimits {
        HttpLimits {
            timeout: self.timeout,
            connect_timeout: self.connect_timeout.min(self.timeout),
            max_body_bytes: self.max_body_bytes,
        }
    }
}

/// Builds the configured provider inside the resilience layer
/// ([`ResilientProvider`]: deadline, retries, circuit breaker, rate limit, cache).
pub fn build_provider(config: &ProviderConfig) -> Result<Arc<dyn WebProvider>, WebError> {
    config.validate()?;
    let deadline = config.timeout;
    let resilience = config.resilience.clone();
    let provider: Arc<dyn WebProvider> = match config.kind {
        ProviderKind::Searxng => Arc::new(ResilientProvider::new(SearxngProvider::new(config)?, deadline, resilience)),
        ProviderKind::Brave => Arc::new(ResilientProvider::new(BraveProvider::new(config)?, deadline, resilience)),
        ProviderKind::Tavily => Arc::new(ResilientProvider::new(TavilyProvider::new(config)?, deadline, resilience)),
    };
    tracing::info!(provider = config.kind.as_str(), timeout = ?config.timeout, "web provider ready");
    Ok(provider)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> Result<Option<ProviderConfig>, WebError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ProviderConfig::from_lookup(|name| map.get(name).cloned())
    }

    fn config_error(pairs: &[(&str, &str)]) -> String {
        match env(pairs) {
            Err(WebError::Config(msg)) => msg,
            other => panic!("expected a Config error, got {other:?}"),
        }
    }

    #[test]
    fn unset_means_no_provider() {
        assert_eq!(env(&[]).unwrap(), None);
        assert_eq!(env(&[("BRAID_WEB_PROVIDER", " ")]).unwrap(), None);
    }

    #[test]
    fn reads_every_variable() {
        let c = env(&[
            ("BRAID_WEB_PROVIDER", "Brave"),
            ("BRAID_WEB_KEY", "k-1"),
            ("BRAID_WEB_URL", "http://127.0.0.1:9/"),
            ("BRAID_WEB_TIMEOUT_MS", "750"),
            ("BRAID_WEB_QPS", "0"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.kind, ProviderKind::Brave);
        assert_eq!(c.key.as_deref(), Some("k-1"));
        assert_eq!(c.url.as_deref(), Some("http://127.0.0.1:9/"));
        assert_eq!(c.timeout, Duration::from_millis(750));
        assert_eq!(c.resilience.qps, None);
        assert!(!format!("{c:?}").contains("k-1"), "Debug must not show the key");
    }

    #[test]
    fn clear_errors() {
        assert!(config_error(&[("BRAID_WEB_PROVIDER", "bing")]).contains("unknown web provider"));
        assert!(config_error(&[("BRAID_WEB_PROVIDER", "searxng")]).contains("needs a URL"));
        assert!(config_error(&[("BRAID_WEB_PROVIDER", "brave")]).contains("API key"));
        assert!(config_error(&[("BRAID_WEB_PROVIDER", "tavily")]).contains("API key"));
        assert!(
            config_error(&[("BRAID_WEB_PROVIDER", "searxng"), ("BRAID_WEB_URL", "ftp://x/")]).contains("http or https")
        );
        assert!(
            config_error(&[
                ("BRAID_WEB_PROVIDER", "searxng"),
                ("BRAID_WEB_URL", "http://x/"),
                ("BRAID_WEB_TIMEOUT_MS", "soon")
            ])
            .contains("BRAID_WEB_TIMEOUT_MS")
        );
    }

    #[test]
    fn builds_each_provider() {
        for (kind, name) in
            [(ProviderKind::Searxng, "searxng"), (ProviderKind::Brave, "brave"), (ProviderKind::Tavily, "tavily")]
        {
            let config = ProviderConfig::new(kind).with_url("http://127.0.0.1:1").with_key("k");
            assert_eq!(build_provider(&config).unwrap().name(), name);
        }
    }
}
