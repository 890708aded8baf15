//! The MCP server (official Rust SDK, `rmcp`): Braid's [tools](crate::tools) as MCP tools,
//! plus resources for the status (`braid://status`) and for entities
//! (`braid://entity/{id}`). Served over stdio (`braid mcp`) and over streamable HTTP at `/mcp`
//! of the REST server.
//!
//! Failures of a tool — bad arguments, unknown ids, an unavailable web provider — come back
//! as tool results with `isError: true` and a JSON error text naming the field, so the model
//! can correct itself; only protocol faults are JSON-RPC errors.

use std::sync::Arc;

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, ListResourceTemplatesResult,
    ListResourcesResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Resource, ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt, tool, tool_handler, tool_router};
use serde_json::{Value, json};

use braid_kb::BraidError;

use crate::http::access::{Caller, Scope};
use crate::http::error::classify;
use crate::tools::{self, ToolContext};

/// The URI of the status resource.
pub const STATUS_URI: &str = "braid://status";
/// The prefix of entity resources (`braid://entity/{id}`).
pub const ENTITY_URI_PREFIX: &str = "braid://entity/";

/// Braid as an MCP server.
#[derive(Clone)]
pub struct BraidMcp {
    ctx: ToolContext,
    tool_router: ToolRouter<Self>,
}

/// A tool outcome as an MCP result: the JSON value as text, or an error result.
fn outcome(result: Result<Value, BraidError>) -> CallToolResult {
    match result {
        Ok(v) => CallToolResult::success(vec![ContentBlock::text(v.to_string())]),
        Err(e) => error_result(&e),
    }
}

/// A tool error: `{"error": {"code", "message", "field"?}}` as text, with `isError: true`.
fn error_result(e: &BraidError) -> CallToolResult {
    let (_, code) = classify(e);
    let mut error = json!({"code": code, "message": e.to_string()});
    if let BraidError::Invalid { field, .. } = e {
        error["field"] = json!(field);
    }
    if code == "internal" {
        tracing::error!(error = %e, "MCP tool failed");
    }
    CallToolResult::error(vec![ContentBlock::text(json!({ "error": error }).to_string())])
}

#[tool_router]
impl BraidMcp {
    /// A server over `ctx`.
    pub fn new(ctx: ToolContext) -> Self {
        BraidMcp { ctx, tool_router: Self::tool_router() }
    }

    #[tool(description = tools::KNOWLEDGE_QUERY)]
    async fn knowledge_query(&self, Parameters(args): Parameters<tools::KnowledgeQueryArgs>) -> CallToolResult {
        outcome(tools::knowledge_query(&self.ctx, args).await)
    }

    #[tool(description = tools::GRAPH_NEIGHBORS)]
    async fn graph_neighbors(&self, Parameters(args): Parameters<tools::GraphNeighborsArgs>) -> CallToolResult {
        outcome(tools::graph_neighbors(&self.ctx, args).await)
    }

    #[tool(description = tools::GRAPH_PATH)]
    async fn graph_path(&self, Parameters(args): Parameters<tools::GraphPathArgs>) -> CallToolResult {
        outcome(tools::graph_path(&self.ctx, args).await)
    }

    #[tool(description = tools::VECTOR_SEARCH)]
    async fn vector_search(&self, Parameters(args): Parameters<tools::VectorSearchArgs>) -> CallToolResult {
        outcome(tools::vector_search(&self.ctx, args).await)
    }

    #[tool(description = tools::WEB_SEARCH)]
    async fn web_search(&self, Parameters(args): Parameters<tools::WebSearchArgs>) -> CallToolResult {
        outcome(tools::web_search(&self.ctx, args).await)
    }

    #[tool(description = tools::ADD_DOCUMENT)]
    async fn add_document(&self, Parameters(args): Parameters<tools::AddDocumentArgs>) -> CallToolResult {
        outcome(tools::add_document(&self.ctx, args).await)
    }

    #[tool(description = tools::ADD_ENTITY)]
    async fn add_entity(&self, Parameters(args): Parameters<tools::AddEntityArgs>) -> CallToolResult {
        outcome(tools::add_entity(&self.ctx, args).await)
    }

    #[tool(description = tools::ADD_RELATION)]
    async fn add_relation(&self, Parameters(args): Parameters<tools::AddRelationArgs>) -> CallToolResult {
        outcome(tools::add_relation(&self.ctx, args).await)
    }
}

fn json_resource(uri: &str, value: &impl serde::Serialize) -> Result<ReadResourceResponse, ErrorData> {
    let text = serde_json::to_string_pretty(value).map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
    let contents = ResourceContents::text(text, uri).with_mime_type("application/json");
    Ok(ReadResourceResult::new(vec![contents]).into())
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for BraidMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(Implementation::new("braid", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "Braid answers questions from a knowledge graph, a vector index of documents and images, and the web. \
                 Use knowledge_query for questions (it routes and fuses); graph_neighbors and graph_path to explore \
                 entities by id; vector_search and web_search for one source; add_* to write.",
            )
    }

    /// Bad arguments are a tool error naming the field (not a JSON-RPC error), so the
    /// model sees what to fix; then the call goes through the tool router.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.clone().map(Value::Object).unwrap_or(Value::Null);
        if let Err(e) = tools::check_args(&request.name, args) {
            return Ok(error_result(&e).into());
        }
        // Over HTTP the key's scope rides in the request extensions; stdio is the local user.
        let scope = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Caller>())
            .map(|caller| caller.scope);
        if scope == Some(Scope::Read) && tools::is_write_tool(&request.name) {
            let e = BraidError::Forbidden(format!("{} writes; this API key has read scope", request.name));
            return Ok(error_result(&e).into());
        }
        let tcc = ToolCallContext::new(self, request, context);
        self.tool_router.call(tcc).await
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let status = Resource::new(STATUS_URI, "status")
            .with_description("Counts, embedder and route availability")
            .with_mime_type("application/json");
        Ok(ListResourcesResult::with_all_items(vec![status]))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        let entity = ResourceTemplate::new(format!("{ENTITY_URI_PREFIX}{{id}}"), "entity")
            .with_description("An entity of the knowledge graph with its relations, e.g. braid://entity/country:KEN")
            .with_mime_type("application/json");
        Ok(ListResourceTemplatesResult::with_all_items(vec![entity]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri.as_str();
        if uri == STATUS_URI {
            let kb = self.ctx.kb.clone();
            let status = tokio::task::spawn_blocking(move || kb.status())
                .await
                .map_err(|e| ErrorData::internal_error(e.to_string(), None))?
                .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
            return json_resource(uri, &status);
        }
        if let Some(id) = uri.strip_prefix(ENTITY_URI_PREFIX) {
            return match self.ctx.kb.entity(id) {
                Ok(view) => json_resource(uri, &view),
                Err(e @ BraidError::NotFound { .. }) => {
                    Err(ErrorData::resource_not_found(e.to_string(), Some(json!({ "uri": uri }))))
                }
                Err(e) => Err(ErrorData::internal_error(e.to_string(), None)),
            };
        }
        Err(ErrorData::resource_not_found(format!("no resource {uri}"), Some(json!({ "uri": uri }))))
    }
}

/// Hosts `/mcp` accepts (DNS-rebinding protection): loopback by default, or the
/// comma-separated `BRAID_MCP_ALLOWED_HOSTS` (`*` allows any host).
fn allowed_hosts(config: StreamableHttpServerConfig) -> StreamableHttpServerConfig {
    match std::env::var("BRAID_MCP_ALLOWED_HOSTS") {
        Ok(v) if v.trim() == "*" => config.disable_allowed_hosts(),
        Ok(v) if !v.trim().is_empty() => {
            config.with_allowed_hosts(v.split(',').map(str::trim).filter(|h| !h.is_empty()).map(String::from))
        }
        _ => config,
    }
}

/// The streamable-HTTP MCP service, to be nested at `/mcp`.
pub fn http_service(ctx: ToolContext, max_body_bytes: usize) -> StreamableHttpService<BraidMcp, LocalSessionManager> {
    let config = allowed_hosts(StreamableHttpServerConfig::default().with_max_request_body_bytes(max_body_bytes));
    StreamableHttpService::new(move || Ok(BraidMcp::new(ctx.clone())), Arc::new(LocalSessionManager::default()), config)
}

/// Serves MCP over stdin/stdout until the client closes the stream.
pub async fn serve_stdio(ctx: ToolContext) -> Result<(), BraidError> {
    let running = BraidMcp::new(ctx)
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| BraidError::Internal(format!("MCP initialisation over stdio failed: {e}")))?;
    running.waiting().await.map_err(|e| BraidError::Internal(format!("MCP stdio server failed: {e}")))?;
    Ok(())
}
