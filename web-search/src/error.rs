//! The one error type every provider and layer returns.
//!
//! Messages are written for a status report: short, typed, and never carrying an API key
//! (provider code redacts secrets before a message is built; see [`redact`]).

use std::time::Duration;

/// Why a web search failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebError {
    /// The whole-request deadline passed (including any retries).
    #[error("web search timed out")]
    Timeout,
    /// The provider answered with an unexpected HTTP status.
    #[error("web provider answered HTTP {status}")]
    Http {
        /// The status.
        status: u16,
    },
    /// The provider (HTTP 429) or the local rate limiter refused the call.
    #[error("web provider rate limited{}", fmt_retry_after(*.retry_after))]
    RateLimited {
        /// When to try again, if the provider said.
        retry_after: Option<Duration>,
    },
    /// The circuit breaker is open after repeated failures; the call was not attempted.
    #[error("web provider circuit open; next attempt in {:.1}s", .retry_in.as_secs_f32())]
    CircuitOpen {
        /// When the next call may go through.
        retry_in: Duration,
    },
    /// The provider's answer could not be understood.
    #[error("malformed web provider response: {0}")]
    Malformed(String),
    /// The provider's answer was larger than the body cap.
    #[error("web provider response larger than {limit} bytes")]
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// A redirect or URL pointed somewhere unsafe (private address, non-http scheme, ...).
    #[error("blocked: {0}")]
    Blocked(String),
    /// The provider configuration is missing or invalid.
    #[error("web provider configuration: {0}")]
    Config(String),
    /// The query itself cannot be sent (empty, too long).
    #[error("invalid web query: {0}")]
    InvalidQuery(String),
    /// Connecting, sending or receiving failed (reset, refused, DNS, TLS, ...).
    #[error("web transport error: {0}")]
    Transport(String),
}

fn fmt_retry_after(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!("; retry after {:.1}s", d.as_secs_f32()),
        None => String::new(),
    }
}

impl WebError {
    /// A stable, lowercase name for the variant, for status reports and metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            WebError::Timeout => "timeout",
            WebError::Http { .. } => "http",
            WebError::RateLimited { .. } => "rate_limited",
            WebError::CircuitOpen { .. } => "circuit_open",
            WebError::Malformed(_) => "malformed",
            WebError::TooLarge { .. } => "too_large",
            WebError::Blocked(_) => "blocked",
            WebError::Config(_) => "config",
            WebError::InvalidQuery(_) => "invalid_query",
            WebError::Transport(_) => "transport",
        }
    }

    /// Whether trying the same request again may succeed (429, 5xx, connection problems).
    pub fn is_retryable(&self) -> bool {
        match self {
            WebError::Http { status } => *status >= 500,
            WebError::RateLimited { .. } | WebError::Transport(_) | WebError::Timeout => true,
            _ => false,
        }
    }

    /// Whether this error says the provider is unhealthy (and so counts toward opening
    /// the circuit). A 4xx or a rate limit means the provider is up and answering.
    pub fn is_provider_failure(&self) -> bool {
        match self {
            WebError::Http { status } => *status >= 500,
            WebError::Timeout | WebError::Transport(_) | WebError::Malformed(_) | WebError::TooLarge { .. } => true,
            _ => false,
        }
    }
}

/// Replaces every occurrence of `secret` in `text` with `[redacted]`.
///
/// Used on any text that came from outside (library errors, server bodies) before it
/// goes into a [`WebError`], so a key echoed back by a server or a library never leaks.
pub(crate) fn redact(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(s) if !s.is_empty() => text.replace(s, "[redacted]"),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_secret() {
        assert_eq!(redact("bad key sk-123 here", Some("sk-123")), "bad key [redacted] here");
        assert_eq!(redact("nothing", Some("")), "nothing");
        assert_eq!(redact("nothing", None), "nothing");
    }

    #[test]
    fn retry_classes() {
        assert!(WebError::Http { status: 503 }.is_retryable());
        assert!(!WebError::Http { status: 404 }.is_retryable());
        assert!(WebError::RateLimited { retry_after: None }.is_retryable());
        assert!(!WebError::RateLimited { retry_after: None }.is_provider_failure());
        assert!(!WebError::Blocked("x".into()).is_retryable());
        assert_eq!(
            WebError::RateLimited { retry_after: Some(Duration::from_secs(2)) }.to_string(),
            "web provider rate limited; retry after 2.0s"
        );
    }
}
