//! The HTTP application: the endpoint table of [`crate::api`] routed and guarded, MCP over
//! streamable HTTP at `/mcp`, the playground at `/`, and the layers every request passes
//! (CORS, request ids, tracing, body limit, metrics). And [`loading_gate`], what answers
//! while the knowledge base is still opening.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::post_service;
use braid_kb::{KnowledgeBase, LoadProgress};
use serde_json::json;
use tower::ServiceExt;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::http::MAX_BODY_BYTES;
use crate::http::access::{Access, Guard, guard};
use crate::http::error::not_found;
use crate::http::state::{ApiDocs, AppState};
use crate::metrics::Metrics;
use crate::tools::ToolContext;

/// The REST application over `kb`, with `access`'s keys and limits.
pub fn app(kb: Arc<KnowledgeBase>, access: Arc<Access>) -> Router {
    let endpoints = crate::api::endpoints();
    let openapi = crate::openapi::document(&endpoints);
    let html = crate::openapi::render_html(&openapi);
    let metrics = Arc::new(Metrics::default());
    let state = AppState {
        kb: kb.clone(),
        access: access.clone(),
        metrics: metrics.clone(),
        docs: Arc::new(ApiDocs { openapi, html }),
    };

    // Checked when the settings were read (`config::access`), so an unparsable origin here
    // is a bug; it is logged and CORS stays off.
    let cors = crate::http::access::cors_layer(access.config()).unwrap_or_else(|e| {
        tracing::error!("CORS disabled: {e}");
        None
    });
    let mut router = Router::new();
    for endpoint in endpoints {
        router = router.route(endpoint.path, guard(endpoint.handler, endpoint.guard, &access));
    }
    // MCP answers with the agent tools; keyed like /v1 (its tools check write scope).
    let tools = ToolContext { kb, metrics: Some(metrics.clone()) };
    // Streamable HTTP uses POST (messages), GET (the server's stream) and DELETE (end of a
    // session); per method, so that the guards apply to each.
    let service = crate::mcp::http_service(tools, MAX_BODY_BYTES);
    let mcp = post_service(service.clone()).get_service(service.clone()).delete_service(service);
    router
        .route("/mcp", guard(mcp, Guard::Read, &access))
        .merge(crate::ui::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(metrics, crate::metrics::track))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(CountingRequestId::default()))
        // Outermost, so preflight requests are answered before any key is asked for.
        .layer(tower::util::option_layer(cors))
        .with_state(state)
}

/// The server while its knowledge base opens (a large one takes minutes): once `ready` holds
/// the application ([`app`]), every request goes to it; until then `/healthz` and
/// `/v1/status` answer 503 with `{"status": "loading", "stage", "done", "total",
/// "fraction"}` from `progress`, and every other path 503 with the error code `loading`,
/// each with `Retry-After`. So a load balancer or an orchestrator sees a server that is up
/// and not ready, and a person sees how far it has got.
pub fn loading_gate(ready: Arc<OnceLock<Router>>, progress: Arc<Mutex<LoadProgress>>) -> Router {
    Router::new().fallback(move |request: Request| {
        let (ready, progress) = (ready.clone(), progress.clone());
        async move {
            if let Some(app) = ready.get() {
                // The router never fails: its error type is Infallible.
                return match app.clone().oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
            }
            let now = *progress.lock().unwrap_or_else(|e| e.into_inner());
            loading_answer(request.uri().path(), &now)
        }
    })
}

/// A 503 saying the knowledge base is loading, and how far it has got.
fn loading_answer(path: &str, progress: &LoadProgress) -> Response {
    let fraction = (progress.fraction() * 1000.0).round() / 1000.0;
    let body = match path {
        "/healthz" | "/v1/status" => json!({
            "status": "loading",
            "stage": progress.stage,
            "done": progress.done,
            "total": progress.total,
            "fraction": fraction,
        }),
        _ => json!({"error": {
            "code": "loading",
            "message": format!("the knowledge base is loading ({:.0} % done); retry shortly", fraction * 100.0),
        }}),
    };
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// Request ids: a per-process counter, unique within a run.
#[derive(Clone, Default)]
struct CountingRequestId(Arc<AtomicU64>);

impl MakeRequestId for CountingRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("braid-{n:08x}")).ok().map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use braid_kb::LoadStage;

    async fn answer(gate: &Router, path: &str) -> (StatusCode, serde_json::Value) {
        let request = Request::builder().uri(path).body(axum::body::Body::empty()).expect("request");
        let response = gate.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    #[tokio::test]
    async fn the_gate_says_loading_with_the_progress_then_hands_over() {
        let progress = Arc::new(Mutex::new(LoadProgress { stage: LoadStage::Vectors, done: 50, total: 100 }));
        let ready: Arc<OnceLock<Router>> = Arc::default();
        let gate = loading_gate(ready.clone(), progress.clone());
        let (status, body) = answer(&gate, "/healthz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["status"], "loading");
        assert_eq!(body["stage"], "vectors");
        // Two stages done of four, and half of the third.
        assert_eq!(body["fraction"], 0.625);
        let (status, body) = answer(&gate, "/v1/status").await;
        assert_eq!((status, body["done"].as_u64()), (StatusCode::SERVICE_UNAVAILABLE, Some(50)));
        let (status, body) = answer(&gate, "/v1/query").await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("loading")));

        let app = Router::new().route("/healthz", axum::routing::get(|| async { axum::Json(json!({"status": "ok"})) }));
        assert!(ready.set(app).is_ok());
        let (status, body) = answer(&gate, "/healthz").await;
        assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ok")));
    }
}
