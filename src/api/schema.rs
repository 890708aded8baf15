//! The knowledge base's schema: its relation and entity types as the data shows them, with
//! the words users gave them; and writing those words (schema records).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use braid_kb::WriteSummary;
use braid_kb::records::SchemaRecord;
use braid_router::KbSchema;
use serde_json::Value;

use super::BODY_ERRORS;
use crate::blocking::run_blocking;
use crate::http::access::Guard;
use crate::http::endpoint::{Endpoint, schema};
use crate::http::json::one_or_many;
use crate::http::{ApiResult, AppState, JsonBody};

/// The endpoints of this group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::get("/v1/schema", get_schema)
            .summary("Relation and entity types with their counts, the types at each end, and their words")
            .tag("graph")
            .answers("The schema the router reads questions with", schema::<KbSchema>)
            .errors(&[401]),
        Endpoint::post("/v1/schema", post_schema)
            .summary("Give relation or entity types the words people use for them (labels, inverse labels, aliases)")
            .tag("write")
            .guard(Guard::Write)
            .body(super::records::one_or_many_schema::<SchemaRecord>)
            .answers("Types described", schema::<WriteSummary>)
            .errors(BODY_ERRORS),
    ]
}

async fn get_schema(State(s): State<AppState>) -> ApiResult<Response> {
    let kb = s.kb.clone();
    Ok(Json(run_blocking(move || Ok(kb.schema())).await?).into_response())
}

async fn post_schema(State(s): State<AppState>, JsonBody(v): JsonBody<Value>) -> ApiResult<Response> {
    let items: Vec<SchemaRecord> = one_or_many(v)?;
    let kb = s.kb.clone();
    Ok(Json(run_blocking(move || kb.put_schema(items)).await?).into_response())
}
