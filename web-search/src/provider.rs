//! The trait every web search backend (and every layer around one) implements.

use async_trait::async_trait;
use serde_json::Value;
use url::Url;

use crate::error::WebError;
use crate::model::{WebHit, WebStats};
use crate::query::WebQuery;

/// A web search backend.
///
/// Implementations speak one provider's wire format and return normalised hits; the
/// resilience layer ([`crate::ResilientProvider`]) adds deadlines, retries, the circuit
/// breaker, rate limiting and caching around any implementation.
#[async_trait]
pub trait WebProvider: Send + Sync {
    /// Short lowercase provider name (`searxng`, `brave`, `tavily`).
    fn name(&self) -> &str;

    /// Runs one search. Never panics on any response; every failure is a [`WebError`].
    async fn search(&self, q: &WebQuery) -> Result<Vec<WebHit>, WebError>;

    /// Cache, request and circuit counters. Plain providers keep none and report zeros;
    /// [`crate::ResilientProvider`] overrides this, so the binary can read the counters
    /// through the `Arc<dyn WebProvider>` that [`crate::build_provider`] returns.
    fn stats(&self) -> WebStats {
        WebStats::default()
    }
}

/// `base` with `path` appended to its path (`http://h/searx` + `search` →
/// `http://h/searx/search`), keeping any prefix a self-hosted instance is mounted under.
pub(crate) fn endpoint(base: &Url, path: &str) -> Result<Url, WebError> {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    {
        let mut segments =
            url.path_segments_mut().map_err(|()| WebError::Config("provider URL cannot have a path".into()))?;
        segments.pop_if_empty();
        segments.extend(path.split('/').filter(|s| !s.is_empty()));
    }
    Ok(url)
}

/// Parses and checks a configured provider base URL (http or https only).
pub(crate) fn parse_base_url(raw: &str) -> Result<Url, WebError> {
    let url = Url::parse(raw.trim()).map_err(|e| WebError::Config(format!("provider URL is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(WebError::Config(format!("provider URL scheme must be http or https, not '{}'", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(WebError::Config("provider URL has no host".into()));
    }
    Ok(url)
}

/// A string at `path` inside `value`, if it is a string (other types are ignored so one
/// odd field never fails a whole response).
pub(crate) fn str_at(value: &Value, path: &[&str]) -> Option<String> {
    let mut current = value;
    for key in path {
        current = current.get(key)?;
    }
    current.as_str().map(str::to_owned)
}

/// A number at `key`, accepting numeric strings too.
pub(crate) fn number_at(value: &Value, key: &str) -> Option<f64> {
    match value.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The array at `path`, or a `Malformed` error naming what was missing.
pub(crate) fn array_at<'a>(value: &'a Value, path: &[&str]) -> Result<&'a [Value], WebError> {
    let mut current = value;
    for key in path {
        current = current.get(key).ok_or_else(|| WebError::Malformed(format!("missing '{}'", path.join("."))))?;
    }
    current
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| WebError::Malformed(format!("'{}' is not an array", path.join("."))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoints_keep_prefixes() {
        let base = Url::parse("http://127.0.0.1:8888").unwrap();
        assert_eq!(endpoint(&base, "search").unwrap().as_str(), "http://127.0.0.1:8888/search");
        let base = Url::parse("https://h.example/searx/?x=1").unwrap();
        assert_eq!(endpoint(&base, "search").unwrap().as_str(), "https://h.example/searx/search");
        let base = Url::parse("https://api.search.brave.com").unwrap();
        assert_eq!(
            endpoint(&base, "/res/v1/web/search").unwrap().as_str(),
            "https://api.search.brave.com/res/v1/web/search"
        );
    }

    #[test]
    fn base_url_validation() {
        assert!(parse_base_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("nonsense").is_err());
    }

    #[test]
    fn lenient_field_access() {
        let v = json!({"a": {"b": "x"}, "n": "2.5", "m": 3, "bad": [1], "list": [1, 2]});
        assert_eq!(str_at(&v, &["a", "b"]).as_deref(), Some("x"));
        assert_eq!(str_at(&v, &["bad"]), None);
        assert_eq!(number_at(&v, "n"), Some(2.5));
        assert_eq!(number_at(&v, "m"), Some(3.0));
        assert_eq!(array_at(&v, &["list"]).unwrap().len(), 2);
        assert!(array_at(&v, &["a"]).is_err());
        assert!(array_at(&v, &["zzz"]).is_err());
    }
}
