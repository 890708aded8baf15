//! Questions: a routed, fused answer; a plan alone; one route run directly.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use braid_router::{Filters, Hit, QueryRequest, QueryResponse, Route, RoutePlan};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use crate::http::endpoint::{Endpoint, Param, schema};
use crate::http::{ApiError, ApiResult, AppState, JsonBody};

/// The endpoints of this group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::post("/v1/query", query)
            .summary("Answer a query: plan, run the selected routes under deadlines, fuse")
            .tag("query")
            .body(schema::<QueryRequest>)
            .answers("Fused results with the plan and per-source reports", schema::<QueryResponse>)
            .errors(&[400, 401, 413, 415, 422]),
        Endpoint::post("/v1/route", route_plan)
            .summary("Plan a query without running it")
            .tag("query")
            .body(schema::<RouteRequest>)
            .answers("The routing plan", |g| {
                let plan = schema::<RoutePlan>(g);
                json!({"type": "object", "required": ["plan"], "properties": {"plan": plan}})
            })
            .errors(super::BODY_ERRORS),
        Endpoint::post("/v1/search/{route}", search)
            .summary("Run one route directly")
            .tag("query")
            .param(Param::path("route", "The route to run", schema::<Route>))
            .body(schema::<SearchBody>)
            .answers("That source's ranked hits", hits)
            .errors(&[400, 401, 413, 415, 422]),
    ]
}

/// `{"results": [Hit]}`.
pub(super) fn hits(g: &mut schemars::SchemaGenerator) -> serde_json::Value {
    let hit = schema::<Hit>(g);
    json!({"type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": hit}}})
}

async fn query(State(s): State<AppState>, JsonBody(req): JsonBody<QueryRequest>) -> ApiResult<Response> {
    let answer = s.kb.query(&req).await?;
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
    Ok(Json(json!({ "plan": s.kb.plan(&req.query)? })).into_response())
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
    let results = s.kb.search_route(route, &body.query, body.k, body.filters).await?;
    Ok(Json(json!({ "results": results })).into_response())
}
