//! What every handler can reach: the knowledge base, the access settings, the metrics and
//! the API's own description (built once from the endpoint table at start-up).

use std::sync::Arc;

use braid_kb::KnowledgeBase;

use super::access::Access;
use crate::metrics::Metrics;

/// Shared state of the HTTP server.
#[derive(Clone)]
pub struct AppState {
    /// The knowledge base.
    pub kb: Arc<KnowledgeBase>,
    /// Keys, scopes and limits of `/v1`, `/metrics` and `/mcp` (see [`super::access`]).
    pub access: Arc<Access>,
    /// Request and query counters, scraped at `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The OpenAPI document and its page, served at `/openapi.json` and `/docs`.
    pub docs: Arc<ApiDocs>,
}

/// The API's description, rendered once.
#[derive(Debug, Default)]
pub struct ApiDocs {
    /// The OpenAPI 3.1 document.
    pub openapi: serde_json::Value,
    /// The document as a web page.
    pub html: String,
}
