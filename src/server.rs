//! The REST API (axum): JSON in, JSON out, errors as `{"error": {"code", "message", "field"}}`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use braid_graph::{Direction, NeighborQuery};
use braid_router::{Filters, QueryRequest, Route};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::error::BraidError;
use crate::knowledge::Braid;
use crate::records::{DocumentRecord, Entity, ImageRecord, Relation};

/// Largest request body accepted (base64 images need room).
pub const MAX_BODY_BYTES: usize = 24 << 20;

/// Shared state of the HTTP server.
#[derive(Clone)]
pub struct AppState {
    /// The knowledge base.
    pub braid: Arc<Braid>,
    /// Keys, scopes and limits of `/v1`, `/metrics` and `/mcp` (see [`crate::access`]).
    pub access: Arc<crate::access::Access>,
}

/// The REST application.
pub fn app(state: AppState) -> Router {
    // Checked when the settings were read (`Access::new` callers go through config), so
    // an unparsable origin here is a bug; it is logged and CORS stays off.
    let cors = crate::access::cors_layer(state.access.config()).unwrap_or_else(|e| {
        tracing::error!("CORS disabled: {e}");
        None
    });
    let metrics = Arc::new(crate::metrics::Metrics::default());
    let tools = crate::tools::ToolContext { braid: state.braid.clone(), metrics: Some(metrics.clone()) };
    let v1 = Router::new()
        .route("/status", get(status))
        .route("/query", post(query))
        .route("/route", post(route_plan))
        .route("/search/{route}", post(search))
        .route("/entities", post(post_entities))
        .route("/relations", post(post_relations))
        .route("/documents", post(post_documents))
        .route("/images", post(post_images))
        .route("/entities/{id}", get(get_entity).delete(delete_entity))
        .route("/entities/{id}/neighbors", get(neighbors))
        .route("/graph/path", get(graph_path))
        .route("/documents/{id}", get(get_document).delete(delete_document))
        .route("/images/{id}", get(get_image).delete(delete_image))
        .route("/images/{id}/content", get(image_content))
        .merge(crate::tools::routes(metrics.clone()))
        .route_layer(middleware::from_fn_with_state(state.access.clone(), crate::access::authorize));
    // Keyed like /v1: metrics and MCP over streamable HTTP.
    let scraped = metrics.clone();
    let keyed = Router::new()
        .route(
            "/metrics",
            get(move |State(s): State<AppState>| crate::metrics::scrape(scraped.clone(), s.braid.clone())),
        )
        .nest_service("/mcp", crate::mcp::http_service(tools, MAX_BODY_BYTES))
        .route_layer(middleware::from_fn_with_state(state.access.clone(), crate::access::authorize));
    Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .nest("/v1", v1)
        .merge(keyed)
        .merge(crate::openapi::routes())
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

// ----- errors -----

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        field: Option<String>,
    ) -> Self {
        ApiError { status, code, message: message.into(), field }
    }

    fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message, Some(field.into()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(f) = self.field {
            error["field"] = json!(f);
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

impl From<BraidError> for ApiError {
    fn from(e: BraidError) -> Self {
        match e {
            BraidError::Invalid { field, message } => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", format!("{field}: {message}"), Some(field))
            }
            e @ BraidError::NotFound { .. } => ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string(), None),
            // A route or feature this deployment does not have (e.g. no web provider): the request
            // cannot be served as asked, which is not a fault of the server.
            BraidError::Unavailable(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unavailable", m, None),
            BraidError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", m, None),
            e @ BraidError::ReadOnly => ApiError::new(StatusCode::CONFLICT, "read_only", e.to_string(), None),
            e => {
                tracing::error!(error = %e, "request failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string(), None)
            }
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no endpoint {} {}", req.method(), req.uri().path()),
        None,
    )
}

// ----- JSON bodies with errors that name the field -----

/// A JSON body whose parse errors name the offending field (`routes[0]: unknown variant …`).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("");
            if !ct.starts_with("application/json") && !ct.is_empty() {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    format!("expected Content-Type application/json, got {ct}"),
                    None,
                ));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e: BytesRejection| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("request body is larger than {MAX_BODY_BYTES} bytes"),
                    None,
                )
            } else {
                ApiError::invalid("body", e.body_text())
            }
        })?;
        parse_json(&bytes).map(JsonBody)
    }
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.is_empty() {
        return Err(ApiError::invalid("body", "request body is empty; expected a JSON object"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::invalid("body", format!("malformed JSON: {inner}"))
        } else {
            let field = if field == "." { "body".to_string() } else { field };
            ApiError::invalid(field.clone(), format!("{field}: {inner}"))
        }
    })
}

/// One record or `{"items": [...]}`.
fn one_or_many<T: DeserializeOwned>(value: serde_json::Value) -> Result<Vec<T>, ApiError> {
    let parse = |v: serde_json::Value, prefix: String| -> Result<T, ApiError> {
        serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { prefix.trim_end_matches('.').to_string() } else { format!("{prefix}{path}") };
            let field = if field.is_empty() { "body".to_string() } else { field };
            ApiError::invalid(field.clone(), format!("{field}: {}", e.into_inner()))
        })
    };
    match value {
        serde_json::Value::Object(mut map) if map.contains_key("items") => {
            let items = map.remove("items").unwrap_or_default();
            let serde_json::Value::Array(items) = items else {
                return Err(ApiError::invalid("items", "must be an array"));
            };
            if items.is_empty() {
                return Err(ApiError::invalid("items", "must not be empty"));
            }
            items.into_iter().enumerate().map(|(i, v)| parse(v, format!("items[{i}]."))).collect()
        }
        v @ serde_json::Value::Object(_) => Ok(vec![parse(v, String::new())?]),
        _ => Err(ApiError::invalid("body", "expected a JSON object or {\"items\": [...]}")),
    }
}

// ----- handlers -----

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, BraidError> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("task failed: {e}"), None))?
        .map_err(ApiError::from)
}

async fn status(State(s): State<AppState>) -> ApiResult<Response> {
    let braid = s.braid.clone();
    Ok(Json(blocking(move || braid.status()).await?).into_response())
}

async fn query(State(s): State<AppState>, JsonBody(req): JsonBody<QueryRequest>) -> ApiResult<Response> {
    let answer = s.braid.query(&req).await?;
    let mut response = Json(&answer).into_response();
    response.extensions_mut().insert(crate::metrics::QuerySummary::of(&answer));
    Ok(response)
}

/// The body of `POST /v1/route`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteRequest {
    /// The query to plan.
    pub query: String,
}

async fn route_plan(State(s): State<AppState>, JsonBody(req): JsonBody<RouteRequest>) -> ApiResult<Response> {
    Ok(Json(json!({ "plan": s.braid.plan(&req.query)? })).into_response())
}

/// The body of `POST /v1/search/{route}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    /// The query text.
    pub query: String,
    /// How many hits (1–1000, default 10).
    #[serde(default = "ten")]
    pub k: usize,
    /// Filters.
    #[serde(default)]
    pub filters: Filters,
}

fn ten() -> usize {
    10
}

async fn search(
    State(s): State<AppState>,
    Path(route): Path<String>,
    JsonBody(body): JsonBody<SearchBody>,
) -> ApiResult<Response> {
    let route: Route =
        route.parse().map_err(|e: braid_router::UnknownRoute| ApiError::invalid("route", e.to_string()))?;
    let results = s.braid.search_route(route, &body.query, body.k, body.filters).await?;
    Ok(Json(json!({ "results": results })).into_response())
}

async fn post_entities(State(s): State<AppState>, JsonBody(v): JsonBody<serde_json::Value>) -> ApiResult<Response> {
    let items: Vec<Entity> = one_or_many(v)?;
    let braid = s.braid.clone();
    Ok(Json(blocking(move || braid.put_entities(items)).await?).into_response())
}

async fn post_relations(State(s): State<AppState>, JsonBody(v): JsonBody<serde_json::Value>) -> ApiResult<Response> {
    let items: Vec<Relation> = one_or_many(v)?;
    let braid = s.braid.clone();
    Ok(Json(blocking(move || braid.put_relations(items)).await?).into_response())
}

async fn post_documents(State(s): State<AppState>, JsonBody(v): JsonBody<serde_json::Value>) -> ApiResult<Response> {
    let items: Vec<DocumentRecord> = one_or_many(v)?;
    let braid = s.braid.clone();
    Ok(Json(blocking(move || braid.put_documents(items)).await?).into_response())
}

async fn post_images(State(s): State<AppState>, JsonBody(v): JsonBody<serde_json::Value>) -> ApiResult<Response> {
    let items: Vec<ImageRecord> = one_or_many(v)?;
    let mut with_bytes = Vec::with_capacity(items.len());
    for (i, img) in items.into_iter().enumerate() {
        if img.path.is_some() {
            return Err(ApiError::invalid(
                format!("items[{i}].path"),
                "file paths are read only by `braid ingest`; over REST send the bytes as base64 or give a url",
            ));
        }
        let bytes = match &img.base64 {
            Some(b) => Some(crate::knowledge::decode_base64("base64", b).map_err(|e| ApiError::from(e.in_item(i)))?),
            None => None,
        };
        with_bytes.push((img, bytes));
    }
    let braid = s.braid.clone();
    Ok(Json(blocking(move || braid.put_images(with_bytes)).await?).into_response())
}

async fn get_entity(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(Json(s.braid.entity(&id)?).into_response())
}

async fn delete_entity(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let braid = s.braid.clone();
    let deleted = id.clone();
    blocking(move || braid.delete_entity(&id)).await?;
    Ok(Json(json!({ "deleted": deleted })).into_response())
}

async fn neighbors(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let mut q = NeighborQuery::default();
    if let Some(d) = params.get("depth") {
        q.depth = d.parse().map_err(|_| ApiError::invalid("depth", format!("depth must be 1, 2 or 3, got '{d}'")))?;
        if !(1..=3).contains(&q.depth) {
            return Err(ApiError::invalid("depth", format!("depth must be 1, 2 or 3, got {}", q.depth)));
        }
    }
    if let Some(l) = params.get("limit") {
        q.limit = l
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| ApiError::invalid("limit", format!("limit must be 1..=10000, got '{l}'")))?;
    }
    q.relation = params.get("relation").filter(|r| !r.is_empty()).cloned();
    if let Some(d) = params.get("direction") {
        q.direction = match d.as_str() {
            "out" => Direction::Out,
            "in" => Direction::In,
            "both" => Direction::Both,
            _ => return Err(ApiError::invalid("direction", format!("direction must be out, in or both, got '{d}'"))),
        };
    }
    Ok(Json(s.braid.neighbors(&id, &q)?).into_response())
}

#[derive(Debug, Serialize)]
struct PathAnswer {
    from: String,
    to: String,
    found: bool,
    steps: Vec<braid_graph::Fact>,
}

async fn graph_path(State(s): State<AppState>, Query(params): Query<HashMap<String, String>>) -> ApiResult<Response> {
    let from =
        params.get("from").filter(|v| !v.is_empty()).ok_or_else(|| ApiError::invalid("from", "from is required"))?;
    let to = params.get("to").filter(|v| !v.is_empty()).ok_or_else(|| ApiError::invalid("to", "to is required"))?;
    let relations: Option<Vec<String>> =
        params.get("relation").map(|r| r.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect());
    let steps = s.braid.path(from, to, relations.as_deref())?;
    let found = steps.is_some();
    Ok(Json(PathAnswer { from: from.clone(), to: to.clone(), found, steps: steps.unwrap_or_default() }).into_response())
}

async fn get_document(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(Json(s.braid.document(&id)?).into_response())
}

async fn delete_document(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let braid = s.braid.clone();
    let deleted = id.clone();
    blocking(move || braid.delete_document(&id)).await?;
    Ok(Json(json!({ "deleted": deleted })).into_response())
}

async fn get_image(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    Ok(Json(s.braid.image(&id)?).into_response())
}

async fn delete_image(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let braid = s.braid.clone();
    let deleted = id.clone();
    blocking(move || braid.delete_image(&id)).await?;
    Ok(Json(json!({ "deleted": deleted })).into_response())
}

async fn image_content(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (bytes, media) = s.braid.image_content(&id)?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&media).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    // SVG can carry script: never let it run in our origin.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    Ok((headers, bytes).into_response())
}
