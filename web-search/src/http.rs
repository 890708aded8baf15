//! The HTTP client every provider shares: TLS set-up, timeouts, the safe redirect
//! policy, a capped incremental body read, and mapping of failures to [`WebError`].

use std::time::Duration;

use reqwest::header::{HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};

use crate::error::{WebError, redact};
use crate::safety::{PublicOnlyResolver, RedirectRefused, redirect_policy};

/// Longest `Retry-After` believed; a provider asking for more is treated as this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Limits applied to every request a provider makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Whole request, from connecting until the body is read.
    pub timeout: Duration,
    /// TCP (and TLS) connection set-up.
    pub connect_timeout: Duration,
    /// Largest response body read; anything bigger is [`WebError::TooLarge`].
    pub max_body_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(3),
            max_body_bytes: 2 * 1024 * 1024,
        }
    }
}

/// A reqwest client plus the limits and the secret to redact from its errors.
#[derive(Clone)]
pub(crate) struct HttpTransport {
    client: reqwest::Client,
    max_body_bytes: usize,
    secret: Option<String>,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport").field("max_body_bytes", &self.max_body_bytes).finish()
    }
}

impl HttpTransport {
    /// `base_host` is the configured provider host: the only name allowed to resolve to a
    /// non-public address.
    pub(crate) fn new(limits: &HttpLimits, base_host: Option<&str>, secret: Option<String>) -> Result<Self, WebError> {
        // reqwest is built with `rustls-no-provider`: it needs a process-wide rustls crypto
        // provider. Installing is idempotent; if the binary installed one first, that wins.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(limits.timeout)
            .connect_timeout(limits.connect_timeout)
            .redirect(redirect_policy())
            .dns_resolver(PublicOnlyResolver::new(base_host))
            .user_agent(concat!("braid-web/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WebError::Config(format!("cannot build HTTP client: {}", describe(&e))))?;
        Ok(HttpTransport { client, max_body_bytes: limits.max_body_bytes, secret })
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends `request` and parses a successful answer as JSON.
    pub(crate) async fn send_json(&self, request: RequestBuilder) -> Result<serde_json::Value, WebError> {
        let mut response = request.send().await.map_err(|e| self.map_error(e))?;
        let status = response.status();
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(WebError::RateLimited { retry_after: retry_after(response.headers()) });
        }
        if status.is_redirection() && response.headers().contains_key(LOCATION) {
            // reqwest hands back a redirect it would not follow (e.g. to `file:`); the
            // location itself is left out of the message as it may carry anything.
            return Err(WebError::Blocked(format!(
                "redirect (HTTP {}) to a location that is not http(s)",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Err(WebError::Http { status: status.as_u16() });
        }
        let limit = self.max_body_bytes;
        if response.content_length().is_some_and(|len| len > limit as u64) {
            return Err(WebError::TooLarge { limit });
        }
        // Read incrementally so an endless or lying body never exceeds the cap in memory.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.map_error(e))? {
            if body.len() + chunk.len() > limit {
                return Err(WebError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|e| WebError::Malformed(format!("invalid JSON ({e})")))
    }

    fn map_error(&self, error: reqwest::Error) -> WebError {
        if let Some(refused) = find_source::<RedirectRefused>(&error) {
            return WebError::Blocked(redact(&refused.to_string(), self.secret.as_deref()));
        }
        if error.is_timeout() {
            return WebError::Timeout;
        }
        WebError::Transport(redact(&describe(&error.without_url()), self.secret.as_deref()))
    }
}

/// A JSON-over-HTTP client with the providers' conventions — timeouts, redirects only to
/// public addresses, a capped body, secrets redacted from errors — for other services Braid
/// calls on the user's behalf (a language model endpoint).
#[derive(Clone, Debug)]
pub struct JsonClient {
    transport: HttpTransport,
}

impl JsonClient {
    /// A client under `limits`. `trusted_host` (the configured endpoint's host) may resolve
    /// to a private address; redirects and other names may not. `secret` is redacted from
    /// every error message.
    pub fn new(limits: &HttpLimits, trusted_host: Option<&str>, secret: Option<String>) -> Result<Self, WebError> {
        Ok(JsonClient { transport: HttpTransport::new(limits, trusted_host, secret)? })
    }

    /// POSTs `body` as JSON to `url` (with `Authorization: Bearer` when `bearer` is given)
    /// and parses a successful answer as JSON.
    pub async fn post_json(
        &self,
        url: &str,
        bearer: Option<&str>,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, WebError> {
        let mut request = self.transport.client().post(url).json(body);
        if let Some(key) = bearer {
            request = request.bearer_auth(key);
        }
        self.transport.send_json(request).await
    }
}

/// `Retry-After` in delta-seconds form (HTTP-dates are rare from APIs and ignored).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: f64 = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(secs.min(MAX_RETRY_AFTER.as_secs_f64())))
}

/// The error and its sources joined, since reqwest's own message is terse
/// ("error sending request") and the cause is what a status report needs.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn find_source<'a, T: std::error::Error + 'static>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a T> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[tokio::test]
    async fn untrusted_names_resolving_to_private_addresses_are_blocked() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let transport = HttpTransport::new(&HttpLimits::default(), None, None).unwrap();
        let request = transport.client().get(format!("http://localhost:{port}/search"));
        let err = transport.send_json(request).await.unwrap_err();
        assert!(matches!(err, WebError::Blocked(ref m) if m.contains("no public address")), "{err:?}");
    }

    #[test]
    fn parses_retry_after_seconds() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("99999"));
        assert_eq!(retry_after(&h), Some(MAX_RETRY_AFTER));
        h.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&h), None);
    }
}
