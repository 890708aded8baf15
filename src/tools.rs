//! Agent tools: the eight operations an agent can call, defined once and served two ways —
//! as MCP tools ([`crate::mcp`]) and as OpenAI-style function-calling schemas with a JSON
//! endpoint (`GET /v1/tools`, `POST /v1/tools/{name}`, declared in [`crate::api`]).
//!
//! Each tool is one typed argument struct (its JSON Schema comes from `schemars`, through the
//! same generator rmcp uses, so both interfaces publish identical parameters) and one function
//! `Args -> Result<serde_json::Value, BraidError>`.
//!
//! ```
//! let names: Vec<&str> = braid::tools::TOOLS.iter().map(|t| t.name).collect();
//! assert!(names.contains(&"knowledge_query"));
//! let params = (braid::tools::TOOLS[0].parameters)();
//! assert_eq!(params["type"], "object");
//! ```

use std::sync::Arc;

use braid_graph::{Direction, NeighborQuery};
use braid_kb::records::{DocumentRecord, Entity, Relation};
use braid_kb::{BraidError, KnowledgeBase};
use braid_router::{Filters, QueryRequest, Route};
use rmcp::handler::server::common::{schema_for_input, schema_for_type};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::blocking::run_blocking;
use crate::metrics::{Metrics, QuerySummary};

/// What a tool runs against.
#[derive(Clone)]
pub struct ToolContext {
    /// The knowledge base.
    pub kb: Arc<KnowledgeBase>,
    /// Where routed queries are counted, when a server runs.
    pub metrics: Option<Arc<Metrics>>,
}

// ----- argument types -----

/// Arguments of `knowledge_query`: exactly the body of `POST /v1/query`.
pub type KnowledgeQueryArgs = QueryRequest;

fn one() -> usize {
    1
}
fn hundred() -> usize {
    100
}
fn ten() -> usize {
    10
}

/// Arguments of `graph_neighbors`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GraphNeighborsArgs {
    /// The entity id to start from, e.g. `country:KEN`.
    pub id: String,
    /// Hops from the entity, 1 to 3 (default 1).
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 3))]
    pub depth: usize,
    /// Follow only this relation type, e.g. `borders` (all types when omitted).
    #[serde(default)]
    pub relation: Option<String>,
    /// Which edges to follow: `out`, `in` or `both` (default).
    #[serde(default)]
    pub direction: Direction,
    /// At most this many entities, 1 to 10000 (default 100).
    #[serde(default = "hundred")]
    #[schemars(range(min = 1, max = 10000))]
    pub limit: usize,
}

/// Arguments of `graph_path`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GraphPathArgs {
    /// Id of the first entity.
    pub from: String,
    /// Id of the last entity.
    pub to: String,
    /// Follow only these relation types, comma-separated (all types when omitted).
    #[serde(default)]
    pub relation: Option<String>,
}

/// Arguments of `vector_search`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VectorSearchArgs {
    /// The search text.
    pub query: String,
    /// How many hits, 1 to 1000 (default 10).
    #[serde(default = "ten")]
    #[schemars(range(min = 1, max = 1000))]
    pub k: usize,
    /// Narrow the hits, e.g. `{"modality": "image"}` or `{"tags": ["animal"]}`.
    #[serde(default)]
    pub filters: Filters,
}

/// Arguments of `web_search`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebSearchArgs {
    /// The search text.
    pub query: String,
    /// How many hits, 1 to 1000 (default 10).
    #[serde(default = "ten")]
    #[schemars(range(min = 1, max = 1000))]
    pub k: usize,
}

/// Arguments of `add_document`: one document record.
pub type AddDocumentArgs = DocumentRecord;
/// Arguments of `add_entity`: one entity record.
pub type AddEntityArgs = Entity;
/// Arguments of `add_relation`: one relation; both endpoints must exist.
pub type AddRelationArgs = Relation;

// ----- descriptions -----

/// Description of `knowledge_query`.
pub const KNOWLEDGE_QUERY: &str = "Answer a question from Braid's knowledge: the router picks the graph, the vector index and/or the web, runs them under deadlines and fuses their results. Returns the fused results (with titles, snippets, supporting facts and per-source provenance), the routing plan with its reasons, and per-source timings.";
/// Description of `graph_neighbors`.
pub const GRAPH_NEIGHBORS: &str = "List the entities connected to an entity in the knowledge graph (up to 3 hops), optionally along one relation type and direction, with the relations traversed.";
/// Description of `graph_path`.
pub const GRAPH_PATH: &str =
    "Find a shortest path between two entities in the knowledge graph, as a list of (entity, relation, entity) steps.";
/// Description of `vector_search`.
pub const VECTOR_SEARCH: &str =
    "Search the documents and images of the vector index by meaning (hybrid ANN + BM25), with optional filters.";
/// Description of `web_search`.
pub const WEB_SEARCH: &str =
    "Search the web through the configured provider. Fails with an explanation when no web provider is configured.";
/// Description of `add_document`.
pub const ADD_DOCUMENT: &str =
    "Add or replace a text document (id, title, text, linked entity ids); it is indexed for vector search at once.";
/// Description of `add_entity`.
pub const ADD_ENTITY: &str =
    "Add or replace an entity of the knowledge graph (id, name, type, aliases, description, props).";
/// Description of `add_relation`.
pub const ADD_RELATION: &str =
    "Add a typed, directed relation source -relation-> target between two existing entities.";

/// A tool's published definition.
pub struct ToolSpec {
    /// The tool's name.
    pub name: &'static str,
    /// What it does, for the model.
    pub description: &'static str,
    /// The JSON Schema of its arguments.
    pub parameters: fn() -> serde_json::Map<String, Value>,
}

/// The schema rmcp publishes as the MCP `inputSchema` (top-level title and description
/// stripped), so `/v1/tools` and MCP agree byte for byte.
fn params<T: JsonSchema + 'static>() -> serde_json::Map<String, Value> {
    match schema_for_input::<T>() {
        Ok(s) => (*s).clone(),
        Err(_) => (*schema_for_type::<T>()).clone(),
    }
}

/// Every tool, in the order they are listed.
pub const TOOLS: &[ToolSpec] = &[
    ToolSpec { name: "knowledge_query", description: KNOWLEDGE_QUERY, parameters: params::<KnowledgeQueryArgs> },
    ToolSpec { name: "graph_neighbors", description: GRAPH_NEIGHBORS, parameters: params::<GraphNeighborsArgs> },
    ToolSpec { name: "graph_path", description: GRAPH_PATH, parameters: params::<GraphPathArgs> },
    ToolSpec { name: "vector_search", description: VECTOR_SEARCH, parameters: params::<VectorSearchArgs> },
    ToolSpec { name: "web_search", description: WEB_SEARCH, parameters: params::<WebSearchArgs> },
    ToolSpec { name: "add_document", description: ADD_DOCUMENT, parameters: params::<AddDocumentArgs> },
    ToolSpec { name: "add_entity", description: ADD_ENTITY, parameters: params::<AddEntityArgs> },
    ToolSpec { name: "add_relation", description: ADD_RELATION, parameters: params::<AddRelationArgs> },
];

/// The tool named `name`.
pub fn spec(name: &str) -> Option<&'static ToolSpec> {
    TOOLS.iter().find(|t| t.name == name)
}

/// OpenAI-style function-calling schemas of every tool.
pub fn function_schemas() -> Value {
    Value::Array(
        TOOLS
            .iter()
            .map(|t| {
                json!({"type": "function", "function": {
                    "name": t.name, "description": t.description, "parameters": Value::Object((t.parameters)()),
                }})
            })
            .collect(),
    )
}

// ----- argument parsing -----

/// Parses tool arguments, naming the offending field on error (`filters.modality: ...`).
/// Missing arguments are an empty object.
pub fn parse_args<T: DeserializeOwned>(args: Value) -> Result<T, BraidError> {
    let args = if args.is_null() { Value::Object(Default::default()) } else { args };
    if !args.is_object() {
        return Err(BraidError::invalid("arguments", "must be a JSON object"));
    }
    serde_path_to_error::deserialize(args).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "arguments".to_string() } else { path };
        BraidError::invalid(field, e.into_inner().to_string())
    })
}

/// Checks `args` against tool `name`'s argument type without running it.
/// `Ok(false)` when there is no such tool.
pub fn check_args(name: &str, args: Value) -> Result<bool, BraidError> {
    match name {
        "knowledge_query" => parse_args::<KnowledgeQueryArgs>(args).map(|_| true),
        "graph_neighbors" => parse_args::<GraphNeighborsArgs>(args).map(|_| true),
        "graph_path" => parse_args::<GraphPathArgs>(args).map(|_| true),
        "vector_search" => parse_args::<VectorSearchArgs>(args).map(|_| true),
        "web_search" => parse_args::<WebSearchArgs>(args).map(|_| true),
        "add_document" => parse_args::<AddDocumentArgs>(args).map(|_| true),
        "add_entity" => parse_args::<AddEntityArgs>(args).map(|_| true),
        "add_relation" => parse_args::<AddRelationArgs>(args).map(|_| true),
        _ => Ok(false),
    }
}

/// Whether the tool changes data (needs a write key).
pub fn is_write_tool(name: &str) -> bool {
    name.starts_with("add_")
}

/// Runs tool `name` with JSON `args`. Unknown tools are `NotFound`.
pub async fn call(ctx: &ToolContext, name: &str, args: Value) -> Result<Value, BraidError> {
    match name {
        "knowledge_query" => knowledge_query(ctx, parse_args(args)?).await,
        "graph_neighbors" => graph_neighbors(ctx, parse_args(args)?).await,
        "graph_path" => graph_path(ctx, parse_args(args)?).await,
        "vector_search" => vector_search(ctx, parse_args(args)?).await,
        "web_search" => web_search(ctx, parse_args(args)?).await,
        "add_document" => add_document(ctx, parse_args(args)?).await,
        "add_entity" => add_entity(ctx, parse_args(args)?).await,
        "add_relation" => add_relation(ctx, parse_args(args)?).await,
        _ => Err(BraidError::NotFound { what: "tool", id: name.to_string() }),
    }
}

// ----- the tools -----

fn to_value<T: Serialize>(v: &T) -> Result<Value, BraidError> {
    serde_json::to_value(v).map_err(|e| BraidError::Internal(format!("serialising a tool result: {e}")))
}

/// Routed, fused answer with its plan.
pub async fn knowledge_query(ctx: &ToolContext, args: KnowledgeQueryArgs) -> Result<Value, BraidError> {
    let answer = ctx.kb.query(&args).await?;
    if let Some(m) = &ctx.metrics {
        m.record_query(&QuerySummary::of(&answer));
    }
    to_value(&answer)
}

/// Neighbours of an entity.
pub async fn graph_neighbors(ctx: &ToolContext, args: GraphNeighborsArgs) -> Result<Value, BraidError> {
    if !(1..=3).contains(&args.depth) {
        return Err(BraidError::invalid("depth", format!("must be 1, 2 or 3, got {}", args.depth)));
    }
    if !(1..=10_000).contains(&args.limit) {
        return Err(BraidError::invalid("limit", format!("must be 1..=10000, got {}", args.limit)));
    }
    let q = NeighborQuery {
        depth: args.depth,
        relation: args.relation.filter(|r| !r.trim().is_empty()),
        direction: args.direction,
        limit: args.limit,
    };
    let found = ctx.kb.neighbors(&args.id, &q)?;
    let mut v = to_value(&found)?;
    v["id"] = json!(args.id);
    Ok(v)
}

/// A shortest path between two entities.
pub async fn graph_path(ctx: &ToolContext, args: GraphPathArgs) -> Result<Value, BraidError> {
    let relations: Option<Vec<String>> = args
        .relation
        .as_deref()
        .map(|r| r.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect());
    let relations = relations.filter(|r| !r.is_empty());
    let steps = ctx.kb.path(&args.from, &args.to, relations.as_deref())?;
    Ok(json!({"from": args.from, "to": args.to, "found": steps.is_some(), "steps": steps.unwrap_or_default()}))
}

/// The vector route alone.
pub async fn vector_search(ctx: &ToolContext, args: VectorSearchArgs) -> Result<Value, BraidError> {
    let results = ctx.kb.search_route(Route::Vector, &args.query, args.k, args.filters).await?;
    Ok(json!({ "results": results }))
}

/// The web route alone.
pub async fn web_search(ctx: &ToolContext, args: WebSearchArgs) -> Result<Value, BraidError> {
    let results = ctx.kb.search_route(Route::Web, &args.query, args.k, Filters::default()).await?;
    Ok(json!({ "results": results }))
}

/// Writes one document.
pub async fn add_document(ctx: &ToolContext, args: AddDocumentArgs) -> Result<Value, BraidError> {
    let kb = ctx.kb.clone();
    to_value(&run_blocking(move || kb.put_documents(vec![args])).await?)
}

/// Writes one entity.
pub async fn add_entity(ctx: &ToolContext, args: AddEntityArgs) -> Result<Value, BraidError> {
    let kb = ctx.kb.clone();
    to_value(&run_blocking(move || kb.put_entities(vec![args])).await?)
}

/// Writes one relation.
pub async fn add_relation(ctx: &ToolContext, args: AddRelationArgs) -> Result<Value, BraidError> {
    let kb = ctx.kb.clone();
    to_value(&run_blocking(move || kb.put_relations(vec![args])).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_has_an_object_schema_and_parses_its_own_example() {
        assert_eq!(TOOLS.len(), 8);
        for t in TOOLS {
            let p = (t.parameters)();
            assert_eq!(p["type"], "object", "{}", t.name);
            assert!(p["properties"].is_object(), "{}", t.name);
        }
        assert!(check_args("graph_neighbors", json!({"id": "country:KEN", "depth": 2})).unwrap_or(false));
        assert!(!check_args("nope", json!({})).unwrap_or(true));
    }

    #[test]
    fn bad_arguments_name_the_field() {
        let e = parse_args::<GraphNeighborsArgs>(json!({"id": "x", "direction": "sideways"})).err();
        assert!(matches!(e, Some(BraidError::Invalid { ref field, .. }) if field == "direction"), "{e:?}");
        let e = parse_args::<VectorSearchArgs>(json!({"query": "x", "filters": {"modality": 3}})).err();
        assert!(matches!(e, Some(BraidError::Invalid { ref field, .. }) if field == "filters.modality"), "{e:?}");
        let e = parse_args::<GraphPathArgs>(json!({"from": "a"})).err();
        assert!(matches!(e, Some(BraidError::Invalid { .. })), "{e:?}");
        let e = parse_args::<GraphPathArgs>(json!([1])).err();
        assert!(matches!(e, Some(BraidError::Invalid { ref field, .. }) if field == "arguments"), "{e:?}");
    }
}
