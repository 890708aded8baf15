//! The agent tools over HTTP: their OpenAI-style function schemas, and one call of a tool
//! with JSON arguments. The same tools are served over MCP ([`crate::mcp`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::http::access::Guard;
use crate::http::endpoint::{Endpoint, Param};
use crate::http::{ApiResult, AppState, JsonBody};
use crate::tools::{TOOLS, ToolContext, function_schemas, spec};

/// The endpoints of this group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::get("/v1/tools", list)
            .summary("OpenAI-style function-calling schemas of Braid's agent tools (the MCP tools)")
            .tag("tools")
            .answers("The tool schemas", |_| {
                json!({"type": "array", "items": {"type": "object", "required": ["type", "function"], "properties": {
                    "type": {"const": "function"},
                    "function": {"type": "object", "required": ["name", "description", "parameters"], "properties": {
                        "name": {"type": "string"}, "description": {"type": "string"}, "parameters": {"type": "object"}}}}}})
            })
            .errors(&[401]),
        Endpoint::post("/v1/tools/{name}", call)
            .summary("Run one tool with JSON arguments (the parameters schema of GET /v1/tools)")
            .tag("tools")
            .guard(Guard::ToolScope)
            .param(Param::path("name", "The tool", |_| {
                json!({"type": "string", "enum": TOOLS.iter().map(|t| t.name).collect::<Vec<_>>()})
            }))
            .body(|_| json!({"type": "object"}))
            .answers("The tool's JSON result", |_| json!({}))
            .errors(&[400, 401, 404, 413, 415, 422]),
    ]
}

async fn list() -> Json<Value> {
    Json(function_schemas())
}

async fn call(
    State(s): State<AppState>,
    Path(name): Path<String>,
    JsonBody(args): JsonBody<Value>,
) -> ApiResult<Response> {
    if spec(&name).is_none() {
        return Err(braid_kb::BraidError::NotFound { what: "tool", id: name }.into());
    }
    let ctx = ToolContext { kb: s.kb.clone(), metrics: Some(s.metrics.clone()) };
    Ok(Json(crate::tools::call(&ctx, &name, args).await?).into_response())
}
