//! The language model: any OpenAI-compatible chat-completions endpoint (OpenAI, vLLM,
//! llama.cpp's server, Ollama, LM Studio …), configured by `BRAID_LLM_URL`,
//! `BRAID_LLM_MODEL` and `BRAID_LLM_KEY`, called with the web crate's client conventions
//! (timeouts, redirects only to public addresses, capped bodies, the key kept out of errors).

use std::time::Duration;

use braid_web::{HttpLimits, JsonClient, WebError};
use serde_json::{Value, json};

/// Default time one call may take: a local model on a CPU can take most of a minute for a
/// long passage.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default calls in flight at once: enough to keep a hosted endpoint busy, few enough not
/// to trip its rate limits or a local server's queue.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default retries of a call that failed in a way that may pass (timeouts, 429, 5xx, a
/// malformed answer).
pub const DEFAULT_RETRIES: u32 = 2;
/// Largest answer read: an extraction is a few kilobytes.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// Where and how to call the model.
#[derive(Clone, PartialEq, Eq)]
pub struct LlmConfig {
    /// The endpoint's base URL, e.g. `http://127.0.0.1:11434/v1` (`/chat/completions` is
    /// added unless the URL already ends with it).
    pub url: String,
    /// The model name the endpoint expects.
    pub model: String,
    /// The API key, sent as a bearer token.
    pub key: Option<String>,
    /// Time one call may take.
    pub timeout: Duration,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// Retries of a call that may pass on another try.
    pub retries: u32,
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("url", &self.url)
            .field("model", &self.model)
            .field("key", &self.key.as_ref().map(|_| "…"))
            .field("timeout", &self.timeout)
            .field("concurrency", &self.concurrency)
            .field("retries", &self.retries)
            .finish()
    }
}

impl LlmConfig {
    /// The settings `lookup` gives (`BRAID_LLM_URL`, `BRAID_LLM_MODEL`, `BRAID_LLM_KEY`,
    /// and `BRAID_LLM_TIMEOUT_MS`, `BRAID_LLM_CONCURRENCY`, `BRAID_LLM_RETRIES`); `None`
    /// when no URL is set. A URL without a model is an error.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<LlmConfig>, String> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let Some(url) = get("BRAID_LLM_URL") else { return Ok(None) };
        let parsed = url::Url::parse(&url).map_err(|e| format!("BRAID_LLM_URL={url} is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("BRAID_LLM_URL={url} must be http or https"));
        }
        let model = get("BRAID_LLM_MODEL").ok_or("BRAID_LLM_URL is set but BRAID_LLM_MODEL is not: name the model")?;
        let number = |name: &str| -> Result<Option<u64>, String> {
            get(name).map(|v| v.parse::<u64>().map_err(|_| format!("{name}={v} must be a whole number"))).transpose()
        };
        Ok(Some(LlmConfig {
            url,
            model,
            key: get("BRAID_LLM_KEY"),
            timeout: number("BRAID_LLM_TIMEOUT_MS")?.map_or(DEFAULT_TIMEOUT, Duration::from_millis),
            concurrency: number("BRAID_LLM_CONCURRENCY")?.map_or(DEFAULT_CONCURRENCY, |n| n.max(1) as usize),
            retries: number("BRAID_LLM_RETRIES")?.map_or(DEFAULT_RETRIES, |n| n.min(10) as u32),
        }))
    }

    /// The chat-completions URL.
    pub fn endpoint(&self) -> String {
        let base = self.url.trim_end_matches('/');
        if base.ends_with("/chat/completions") { base.to_string() } else { format!("{base}/chat/completions") }
    }
}

/// Why a call to the model failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// The call took longer than the timeout.
    #[error("the model endpoint did not answer within {0:?}")]
    Timeout(Duration),
    /// The endpoint answered with an error status.
    #[error("the model endpoint answered HTTP {0}")]
    Http(u16),
    /// The endpoint refused for now (HTTP 429).
    #[error("the model endpoint is rate limiting")]
    RateLimited,
    /// The answer is not what was asked for.
    #[error("malformed answer: {0}")]
    Malformed(String),
    /// Anything else on the way (connection refused, TLS, a refused redirect, settings).
    #[error("{0}")]
    Transport(String),
}

impl LlmError {
    /// Whether another try may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Timeout(_) | LlmError::RateLimited | LlmError::Malformed(_) | LlmError::Transport(_) => true,
            LlmError::Http(status) => *status >= 500,
        }
    }
}

/// An OpenAI-compatible chat client.
#[derive(Clone, Debug)]
pub struct ChatClient {
    client: JsonClient,
    config: LlmConfig,
}

impl ChatClient {
    /// A client for `config` (no connection is made until the first call).
    pub fn new(config: LlmConfig) -> Result<ChatClient, LlmError> {
        let host = url::Url::parse(&config.url).ok().and_then(|u| u.host_str().map(String::from));
        let limits = HttpLimits {
            timeout: config.timeout,
            connect_timeout: config.timeout.min(Duration::from_secs(10)),
            max_body_bytes: MAX_ANSWER_BYTES,
        };
        let client = JsonClient::new(&limits, host.as_deref(), config.key.clone())
            .map_err(|e| LlmError::Transport(e.to_string()))?;
        Ok(ChatClient { client, config })
    }

    /// The settings.
    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    /// One chat call: `system` and `user` messages, the answer held to `schema`; returns the
    /// answer's text.
    pub async fn complete(&self, system: &str, user: &str, schema: &Value) -> Result<String, LlmError> {
        let body = json!({
            "model": self.config.model,
            "temperature": 0,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "response_format": {"type": "json_schema",
                                "json_schema": {"name": "braid_extraction", "strict": true, "schema": schema}},
        });
        let answer = self.client.post_json(&self.config.endpoint(), self.config.key.as_deref(), &body).await.map_err(
            |e| match e {
                WebError::Timeout => LlmError::Timeout(self.config.timeout),
                WebError::Http { status } => LlmError::Http(status),
                WebError::RateLimited { .. } => LlmError::RateLimited,
                WebError::Malformed(m) => LlmError::Malformed(m),
                WebError::TooLarge { limit } => LlmError::Malformed(format!("the answer is larger than {limit} bytes")),
                other => LlmError::Transport(other.to_string()),
            },
        )?;
        answer["choices"][0]["message"]["content"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| LlmError::Malformed("no choices[0].message.content in the answer".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_come_from_the_environment_names() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(LlmConfig::from_lookup(env(&[])), Ok(None));
        let c = LlmConfig::from_lookup(env(&[
            ("BRAID_LLM_URL", "http://127.0.0.1:11434/v1/"),
            ("BRAID_LLM_MODEL", "qwen"),
            ("BRAID_LLM_KEY", "sk-secret"),
            ("BRAID_LLM_CONCURRENCY", "0"),
        ]));
        let Ok(Some(c)) = c else { panic!("a config: {c:?}") };
        assert_eq!(c.endpoint(), "http://127.0.0.1:11434/v1/chat/completions");
        assert_eq!((c.concurrency, c.timeout), (1, DEFAULT_TIMEOUT));
        assert!(!format!("{c:?}").contains("sk-secret"), "the key stays out of debug output");
        assert!(LlmConfig::from_lookup(env(&[("BRAID_LLM_URL", "http://x/v1")])).is_err(), "a model is needed");
        assert!(LlmConfig::from_lookup(env(&[("BRAID_LLM_URL", "ftp://x"), ("BRAID_LLM_MODEL", "m")])).is_err());
        assert!(
            LlmConfig::from_lookup(env(&[
                ("BRAID_LLM_URL", "http://x/v1"),
                ("BRAID_LLM_MODEL", "m"),
                ("BRAID_LLM_TIMEOUT_MS", "soon")
            ]))
            .is_err()
        );
    }
}
