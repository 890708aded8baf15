//! Rerankers: a second stage that reads the query and each candidate's text together and
//! scores how well the text answers the query (a cross-encoder), where the first stage
//! compared vectors and words made separately.
//!
//! [`HttpReranker`] speaks the common `/rerank` shape that Cohere, Jina and Hugging Face's
//! text-embeddings-inference (TEI) serve: the request is
//! `{"model": M, "query": Q, "documents": [..], "texts": [..], "top_n": N}` (Cohere and Jina
//! read `documents`, TEI reads `texts`; each ignores the other), with an optional
//! `Authorization: Bearer KEY`; the answer is either `{"results": [{"index", "relevance_score"}]}`
//! (Cohere, Jina) or `[{"index", "score"}]` (TEI). Every document must get a score, once.
//!
//! ```no_run
//! use braid_vector::{HttpReranker, Reranker};
//! let reranker = HttpReranker::new("http://127.0.0.1:8080/rerank", "bge-reranker-base", None)?;
//! let scores = reranker.rerank("what do koalas eat", &["Koalas eat eucalyptus.", "Paris is in France."])?;
//! assert!(scores[0] > scores[1]);
//! # Ok::<(), braid_vector::EmbedError>(())
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::EmbedError;

/// Scores (query, text) pairs; higher is more relevant. Shared across request threads.
pub trait Reranker: Send + Sync {
    /// A short name reported with each query, e.g. `http-bge-reranker-base`.
    fn name(&self) -> &str;

    /// One score per document, in input order.
    fn rerank(&self, query: &str, documents: &[&str]) -> Result<Vec<f32>, EmbedError>;
}

/// A reranker behind an HTTP `/rerank` endpoint (see the module docs).
#[derive(Debug)]
pub struct HttpReranker {
    client: reqwest::blocking::Client,
    url: String,
    model: String,
    api_key: Option<String>,
    name: String,
}

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    query: &'a str,
    documents: &'a [&'a str],
    texts: &'a [&'a str],
    top_n: usize,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Answer {
    /// Cohere, Jina: `{"results": [{"index", "relevance_score"}]}`.
    Results { results: Vec<Scored> },
    /// TEI: `[{"index", "score"}]`.
    List(Vec<Scored>),
}

#[derive(Deserialize)]
struct Scored {
    index: usize,
    #[serde(alias = "relevance_score")]
    score: f32,
}

/// How long a rerank request may take at most; the caller's own deadline is usually shorter.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl HttpReranker {
    /// A reranker posting to `url` (the full endpoint, e.g. `https://api.cohere.com/v2/rerank`
    /// or `http://127.0.0.1:8080/rerank`) with `model` and an optional bearer key.
    pub fn new(url: impl Into<String>, model: impl Into<String>, api_key: Option<String>) -> Result<Self, EmbedError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let url = url.into();
        let parsed = url::Url::parse(&url).map_err(|e| EmbedError::Backend(format!("rerank URL {url}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(EmbedError::Backend(format!("rerank URL {url}: expected http or https")));
        }
        let model = model.into();
        let client = std::thread::scope(|s| {
            s.spawn(|| {
                reqwest::blocking::Client::builder()
                    .timeout(REQUEST_TIMEOUT)
                    .user_agent(concat!("braid/", env!("CARGO_PKG_VERSION")))
                    .build()
            })
            .join()
        })
        .map_err(|_| EmbedError::Backend("building the HTTP client panicked".into()))?
        .map_err(|e| EmbedError::Backend(format!("building the HTTP client: {e}")))?;
        let name = if model.is_empty() { "http-reranker".to_string() } else { format!("http-{model}") };
        Ok(HttpReranker { client, url, model, api_key: api_key.filter(|k| !k.trim().is_empty()), name })
    }

    fn post(&self, query: &str, documents: &[&str]) -> Result<Vec<f32>, EmbedError> {
        let body = Request { model: &self.model, query, documents, texts: documents, top_n: documents.len() };
        let mut request = self.client.post(&self.url).json(&body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().map_err(|e| EmbedError::Backend(format!("{}: {e}", self.url)))?;
        let status = response.status();
        let text = response.text().map_err(|e| EmbedError::Backend(format!("{}: {e}", self.url)))?;
        if !status.is_success() {
            let short: String = text.chars().take(200).collect();
            return Err(EmbedError::Backend(format!("{} answered {status}: {short}", self.url)));
        }
        let answer: Answer = serde_json::from_str(&text)
            .map_err(|e| EmbedError::Backend(format!("{} answered in an unknown shape: {e}", self.url)))?;
        let scored = match answer {
            Answer::Results { results } => results,
            Answer::List(list) => list,
        };
        let mut scores = vec![f32::NAN; documents.len()];
        for s in scored {
            let Some(slot) = scores.get_mut(s.index) else {
                return Err(EmbedError::Backend(format!(
                    "{} scored document {} of {}",
                    self.url,
                    s.index,
                    documents.len()
                )));
            };
            *slot = s.score;
        }
        if let Some(missing) = scores.iter().position(|s| !s.is_finite()) {
            return Err(EmbedError::Backend(format!("{} gave document {missing} no (finite) score", self.url)));
        }
        Ok(scores)
    }
}

impl Reranker for HttpReranker {
    fn name(&self) -> &str {
        &self.name
    }

    fn rerank(&self, query: &str, documents: &[&str]) -> Result<Vec<f32>, EmbedError> {
        if documents.is_empty() {
            return Ok(Vec::new());
        }
        // Blocking reqwest must not run on an async executor thread.
        std::thread::scope(|s| s.spawn(|| self.post(query, documents)).join())
            .map_err(|_| EmbedError::Backend("the rerank request panicked".into()))?
    }
}
