//! The service itself: liveness, status, metrics, and the API's own description.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use braid_kb::Status;
use serde_json::json;

use crate::blocking::run_blocking;
use crate::http::access::Guard;
use crate::http::endpoint::{Endpoint, schema};
use crate::http::{ApiResult, AppState};

/// The endpoints of this group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::get("/healthz", healthz)
            .summary(
                "Readiness probe: 200 once the knowledge base is open; while it loads, 503 with \
                 {\"status\": \"loading\", \"stage\", \"done\", \"total\", \"fraction\"}",
            )
            .tag("service")
            .guard(Guard::Open)
            .answers(
                "The server is up and its knowledge base open",
                |_| json!({"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}}),
            ),
        Endpoint::get("/v1/status", status)
            .summary(
                "Counts, active embedder, vector backend and route availability (503 with the load's progress while \
                 the knowledge base opens)",
            )
            .tag("service")
            .answers("The status", schema::<Status>)
            .errors(&[401]),
        Endpoint::get("/metrics", metrics)
            .summary("Prometheus metrics (text exposition format)")
            .tag("service")
            .answers("Metrics", |_| json!({"type": "string"}))
            .media("text/plain")
            .errors(&[401]),
        Endpoint::get("/openapi.json", openapi)
            .summary("This document")
            .tag("service")
            .guard(Guard::Open)
            .answers("OpenAPI 3.1", |_| json!({"type": "object"})),
        Endpoint::get("/docs", docs)
            .summary("This document as a web page")
            .tag("service")
            .guard(Guard::Open)
            .answers("HTML", |_| json!({"type": "string"}))
            .media("text/html"),
    ]
}

async fn healthz() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

async fn status(State(s): State<AppState>) -> ApiResult<Response> {
    let kb = s.kb.clone();
    Ok(Json(run_blocking(move || kb.status()).await?).into_response())
}

async fn metrics(State(s): State<AppState>) -> Response {
    crate::metrics::scrape(s.metrics.clone(), s.kb.clone()).await
}

async fn openapi(State(s): State<AppState>) -> Response {
    Json(&s.docs.openapi).into_response()
}

async fn docs(State(s): State<AppState>) -> Response {
    let mut r: Response = Html(s.docs.html.clone()).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    r
}
