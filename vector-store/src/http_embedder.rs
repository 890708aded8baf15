//! [`HttpEmbedder`]: any OpenAI-compatible `POST /v1/embeddings` endpoint (OpenAI, vLLM,
//! llama.cpp's server, Ollama, text-embeddings-inference, LiteLLM, ...).
//!
//! Wire format: the request is `{"model": M, "input": ["text", ...]}` with an optional
//! `Authorization: Bearer KEY`; a success is `{"data": [{"embedding": [..], "index": i}],
//! "model": M, "usage": {..}}` and a failure `{"error": {"message", "type", "code"}}`,
//! whose message is passed on. Inputs are sent in batches of at most
//! [`HttpEmbedderConfig::batch_size`]; answers are put back in input order by `index`, and
//! each vector is checked (count, dimension, finite) and L2-normalised, so vectors from
//! servers that do not normalise still compare by cosine like every other embedder's.
//! `429` and `5xx` answers and connection failures are retried with backoff (honouring
//! `Retry-After`, capped), other errors are not.
//!
//! The [`Embedder`] trait is synchronous, so this uses reqwest's blocking client. A
//! blocking client must not run on an async executor thread (reqwest panics there in
//! debug builds and would stall the executor otherwise): Braid calls embedders from
//! `spawn_blocking` and from synchronous start-up code. As a belt and braces, every
//! request is made on a short-lived scoped thread, so calling from anywhere is safe —
//! but from async code, still prefer `spawn_blocking` so a slow endpoint does not hold an
//! executor thread.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::embed::{Embedder, embed_in_batches, l2_norm};
use crate::error::EmbedError;

/// Settings of an [`HttpEmbedder`].
#[derive(Debug, Clone)]
pub struct HttpEmbedderConfig {
    /// The server's base URL: `http://host:port`, `http://host:port/v1` or the full
    /// `.../v1/embeddings` URL.
    pub base_url: String,
    /// The `model` field sent with each request.
    pub model: String,
    /// Bearer token, if the server wants one.
    pub api_key: Option<String>,
    /// Whole-request deadline.
    pub timeout: Duration,
    /// Deadline to establish a connection.
    pub connect_timeout: Duration,
    /// The most inputs sent in one request.
    pub batch_size: usize,
    /// The vector length; `None` asks the server once on construction.
    pub dimension: Option<usize>,
    /// Retries after a `429`, a `5xx` or a connection failure.
    pub max_retries: u32,
}

impl HttpEmbedderConfig {
    /// Defaults: 30 s timeout, 5 s to connect, 64 inputs a request, 2 retries, dimension probed.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        HttpEmbedderConfig {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            batch_size: 64,
            dimension: None,
            max_retries: 2,
        }
    }
}

/// An embedder calling an OpenAI-compatible embeddings endpoint (see the module docs).
#[derive(Debug)]
pub struct HttpEmbedder {
    client: reqwest::blocking::Client,
    endpoint: String,
    model: String,
    api_key: Option<String>,
    batch_size: usize,
    max_retries: u32,
    dimension: usize,
    name: String,
}

#[derive(Serialize)]
struct EmbeddingsRequest<'a> {
    model: &'a str,
    input: &'a [&'a str],
}

#[derive(Deserialize)]
struct EmbeddingsResponse {
    data: Vec<EmbeddingItem>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    embedding: Vec<f32>,
    index: Option<usize>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<serde_json::Value>,
}

/// Longest wait a `Retry-After` header may impose.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// One failed attempt: whether to try again, after how long, and the error otherwise.
struct Attempt {
    retry: bool,
    wait: Option<Duration>,
    error: EmbedError,
}

/// The endpoint URL from a base URL given in any of the usual spellings.
fn endpoint(base: &str) -> Result<String, EmbedError> {
    let base = base.trim().trim_end_matches('/');
    let parsed = url::Url::parse(base).map_err(|e| EmbedError::Backend(format!("embedding URL `{base}`: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(EmbedError::Backend(format!("embedding URL `{base}` must be http or https")));
    }
    Ok(if base.ends_with("/embeddings") {
        base.to_string()
    } else if base.ends_with("/v1") {
        format!("{base}/embeddings")
    } else {
        format!("{base}/v1/embeddings")
    })
}

/// Runs `f` on a scoped thread, so blocking reqwest never runs on an async executor thread.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| match s.spawn(f).join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

impl HttpEmbedder {
    /// Builds the client and, unless `config.dimension` is set, embeds one probe text to
    /// learn the dimension (so a wrong URL, key or model fails at start-up, not at the
    /// first query).
    pub fn new(config: HttpEmbedderConfig) -> Result<Self, EmbedError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let endpoint = endpoint(&config.base_url)?;
        if config.model.trim().is_empty() {
            return Err(EmbedError::Backend("the embedding model name is empty".into()));
        }
        let client = off_runtime(|| {
            reqwest::blocking::Client::builder()
                .timeout(config.timeout)
                .connect_timeout(config.connect_timeout)
                .user_agent(concat!("braid/", env!("CARGO_PKG_VERSION")))
                .build()
        })
        .map_err(|e| EmbedError::Backend(format!("building the HTTP client: {e}")))?;
        let mut embedder = HttpEmbedder {
            client,
            endpoint,
            model: config.model.clone(),
            api_key: config.api_key.clone().filter(|k| !k.trim().is_empty()),
            batch_size: config.batch_size.max(1),
            max_retries: config.max_retries,
            dimension: config.dimension.unwrap_or(0),
            name: String::new(),
        };
        if embedder.dimension == 0 {
            let probe = embedder.request(&["dimension probe"])?;
            embedder.dimension = probe.first().map_or(0, Vec::len);
            if embedder.dimension == 0 {
                return Err(EmbedError::Backend(format!("{} returned an empty embedding", embedder.endpoint)));
            }
        }
        embedder.name = format!("http-{}-{}", embedder.model, embedder.dimension);
        Ok(embedder)
    }

    /// The URL requests go to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// One batch, with retries; vectors in input order, dimension checked unless probing.
    fn request(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut attempt = 0u32;
        loop {
            match off_runtime(|| self.attempt(texts)) {
                Ok(v) => return Ok(v),
                Err(a) if a.retry && attempt < self.max_retries => {
                    let backoff = Duration::from_millis(200 << attempt.min(6));
                    std::thread::sleep(a.wait.unwrap_or(backoff).min(MAX_RETRY_AFTER));
                    attempt += 1;
                }
                Err(a) => return Err(a.error),
            }
        }
    }

    fn attempt(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, Attempt> {
        let fail = |retry: bool, error: EmbedError| Attempt { retry, wait: None, error };
        let mut req = self.client.post(&self.endpoint).json(&EmbeddingsRequest { model: &self.model, input: texts });
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key);
        }
        let resp = req.send().map_err(|e| {
            let what = if e.is_timeout() { "timed out" } else { "failed" };
            fail(!e.is_builder(), EmbedError::Backend(format!("POST {} {what}: {e}", self.endpoint)))
        })?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = resp
            .bytes()
            .map_err(|e| fail(true, EmbedError::Backend(format!("reading the answer of {}: {e}", self.endpoint))))?;
        if !status.is_success() {
            let detail = match serde_json::from_slice::<ErrorEnvelope>(&body) {
                Ok(ErrorEnvelope { error }) => {
                    let mut s = error.message.unwrap_or_else(|| "no message".into());
                    let extra: Vec<String> = [
                        error.kind.map(|k| format!("type {k}")),
                        error
                            .code
                            .filter(|c| !c.is_null())
                            .map(|c| format!("code {}", c.to_string().trim_matches('"'))),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    if !extra.is_empty() {
                        s.push_str(&format!(" ({})", extra.join(", ")));
                    }
                    s
                }
                Err(_) => snippet(&body),
            };
            let message = format!("{} answered {status}: {detail}", self.endpoint);
            let retry = status.as_u16() == 429 || status.is_server_error();
            let error = match status.as_u16() {
                400 | 413 | 422 => EmbedError::InvalidInput(message),
                _ => EmbedError::Backend(message),
            };
            return Err(Attempt { retry, wait: retry_after, error });
        }
        let parsed: EmbeddingsResponse = serde_json::from_slice(&body).map_err(|e| {
            fail(
                false,
                EmbedError::Backend(format!(
                    "{} answered with an unexpected body ({e}): {}",
                    self.endpoint,
                    snippet(&body)
                )),
            )
        })?;
        self.collect(texts.len(), parsed).map_err(|e| fail(false, e))
    }

    /// Orders by `index` and validates count, dimension and values; normalises.
    fn collect(&self, expected: usize, parsed: EmbeddingsResponse) -> Result<Vec<Vec<f32>>, EmbedError> {
        let bad = |what: String| EmbedError::Backend(format!("{}: {what}", self.endpoint));
        if parsed.data.len() != expected {
            return Err(bad(format!("sent {expected} inputs, got {} embeddings", parsed.data.len())));
        }
        let mut out: Vec<Option<Vec<f32>>> = vec![None; expected];
        for (position, item) in parsed.data.into_iter().enumerate() {
            let index = item.index.unwrap_or(position);
            let slot = out.get_mut(index).ok_or_else(|| bad(format!("embedding index {index} out of range")))?;
            if slot.is_some() {
                return Err(bad(format!("embedding index {index} appears twice")));
            }
            let mut v = item.embedding;
            if self.dimension != 0 && v.len() != self.dimension {
                return Err(bad(format!("embedding {index} has dimension {}, expected {}", v.len(), self.dimension)));
            }
            if v.iter().any(|x| !x.is_finite()) {
                return Err(bad(format!("embedding {index} holds a non-finite number")));
            }
            let norm = l2_norm(&v);
            if norm == 0.0 {
                return Err(bad(format!("embedding {index} is the zero vector")));
            }
            v.iter_mut().for_each(|x| *x /= norm);
            *slot = Some(v);
        }
        Ok(out.into_iter().flatten().collect())
    }
}

/// The first bytes of a body, for error messages.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]).trim().to_string();
    if text.is_empty() { "(empty body)".into() } else { text }
}

impl Embedder for HttpEmbedder {
    fn name(&self) -> &str {
        &self.name
    }

    fn dimension(&self) -> usize {
        self.dimension
    }

    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        embed_in_batches(texts, self.batch_size, |chunk| self.request(chunk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_accepts_the_usual_spellings() {
        for base in ["http://h:1", "http://h:1/", "http://h:1/v1", "http://h:1/v1/", "http://h:1/v1/embeddings"] {
            assert_eq!(endpoint(base).unwrap(), "http://h:1/v1/embeddings", "{base}");
        }
        assert_eq!(
            endpoint("https://api.example.com/openai/v1").unwrap(),
            "https://api.example.com/openai/v1/embeddings"
        );
        assert!(endpoint("ftp://h").is_err());
        assert!(endpoint("not a url").is_err());
    }
}
