//! The graph by id: an entity's neighbourhood and a shortest path between two entities.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use braid_graph::{Direction, Fact, NeighborQuery, Neighborhood};
use serde::Serialize;
use serde_json::json;

use super::{ID_ERRORS, id_param};
use crate::http::endpoint::{Endpoint, Param, schema};
use crate::http::{ApiError, ApiResult, AppState};

/// The endpoints of this group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::get("/v1/entities/{id}/neighbors", neighbors)
            .summary("Entities connected to an entity, and the relations traversed")
            .tag("graph")
            .param(id_param("The entity id"))
            .param(Param::query(
                "depth",
                false,
                "Hops, 1 to 3 (default 1)",
                |_| json!({"type": "integer", "minimum": 1, "maximum": 3}),
            ))
            .param(Param::query("relation", false, "Follow only this relation type", |_| json!({"type": "string"})))
            .param(Param::query("direction", false, "Which edges to follow (default both)", schema::<Direction>))
            .param(Param::query(
                "limit",
                false,
                "At most this many entities (default 100)",
                |_| json!({"type": "integer", "minimum": 1, "maximum": 10000}),
            ))
            .answers("The neighbourhood", schema::<Neighborhood>)
            .errors(ID_ERRORS),
        Endpoint::get("/v1/graph/path", graph_path)
            .summary("A shortest path between two entities")
            .tag("graph")
            .param(Param::query("from", true, "Id of the first entity", |_| json!({"type": "string", "minLength": 1})))
            .param(Param::query("to", true, "Id of the last entity", |_| json!({"type": "string", "minLength": 1})))
            .param(Param::query(
                "relation",
                false,
                "Only these relation types, comma-separated",
                |_| json!({"type": "string"}),
            ))
            .answers("The path (`found` is false when there is none)", |g| {
                let fact = schema::<Fact>(g);
                json!({"type": "object", "required": ["from", "to", "found", "steps"], "properties": {
                    "from": {"type": "string"}, "to": {"type": "string"}, "found": {"type": "boolean"},
                    "steps": {"type": "array", "items": fact}}})
            })
            .errors(ID_ERRORS),
    ]
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
    Ok(Json(s.kb.neighbors(&id, &q)?).into_response())
}

#[derive(Debug, Serialize)]
struct PathAnswer {
    from: String,
    to: String,
    found: bool,
    steps: Vec<Fact>,
}

async fn graph_path(State(s): State<AppState>, Query(params): Query<HashMap<String, String>>) -> ApiResult<Response> {
    let from =
        params.get("from").filter(|v| !v.is_empty()).ok_or_else(|| ApiError::invalid("from", "from is required"))?;
    let to = params.get("to").filter(|v| !v.is_empty()).ok_or_else(|| ApiError::invalid("to", "to is required"))?;
    let relations: Option<Vec<String>> =
        params.get("relation").map(|r| r.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect());
    let steps = s.kb.path(from, to, relations.as_deref())?;
    let found = steps.is_some();
    Ok(Json(PathAnswer { from: from.clone(), to: to.clone(), found, steps: steps.unwrap_or_default() }).into_response())
}
