//! The HTTP application: the endpoint table of [`crate::api`] routed and guarded, MCP over
//! streamable HTTP at `/mcp`, the playground at `/`, and the layers every request passes
//! (CORS, request ids, tracing, body limit, metrics).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderValue;
use axum::middleware;
use axum::routing::post_service;
use braid_kb::KnowledgeBase;
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

/// Request ids: a per-process counter, unique within a run.
#[derive(Clone, Default)]
struct CountingRequestId(Arc<AtomicU64>);

impl MakeRequestId for CountingRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("braid-{n:08x}")).ok().map(RequestId::new)
    }
}
