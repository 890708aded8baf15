//! # braid
//!
//! The edges of Braid: the command line, REST, MCP, the OpenAPI description, access and
//! limits, metrics and the web playground, around the knowledge base of [`braid_kb`]. A
//! program that embeds Braid uses [`braid_kb`] directly; this package is what serves it.
//!
//! The house, floor by floor (each module depends only on the ones above it in this list):
//! - [`config`]: `braid.toml` and the environment, turned into the knowledge base's options.
//! - [`http`]: HTTP plumbing that knows no endpoint: errors, JSON bodies, access, state,
//!   the shape of an endpoint.
//! - [`blocking`], [`metrics`], [`tools`]: blocking work off the runtime, the registry, the
//!   agent tools (no HTTP).
//! - [`api`]: the endpoint table, in groups; [`mcp`]: the tools over MCP.
//! - [`openapi`] renders the table; [`server`] routes and guards it; [`ui`] is the playground.
//!
//! ```
//! let endpoints = braid::api::endpoints();
//! let doc = braid::openapi::document(&endpoints);
//! assert!(doc["paths"]["/v1/query"]["post"].is_object());
//! ```

pub mod api;
pub mod blocking;
pub mod config;
pub mod http;
pub mod mcp;
pub mod metrics;
pub mod openapi;
pub mod server;
pub mod tools;
pub mod ui;

/// Where the bundled atlas demo knowledge base lives: `BRAID_ATLAS`, `examples/data/atlas`
/// below the working directory, or the source tree this binary was built from.
pub fn find_atlas() -> Option<std::path::PathBuf> {
    let candidates = [
        std::env::var_os("BRAID_ATLAS").map(std::path::PathBuf::from),
        Some(std::path::PathBuf::from("examples/data/atlas")),
        Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/atlas")),
    ];
    candidates.into_iter().flatten().find(|p| p.join("entities.jsonl").is_file())
}
