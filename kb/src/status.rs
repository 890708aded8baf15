//! What the knowledge base reports about itself and its writes: the types of `/v1/status`,
//! of a write's summary and of an entity read with its relations.

use braid_router::Route;
use schemars::JsonSchema;
use serde::Serialize;

use crate::records::Entity;
use crate::store::Counts;

/// What `/v1/status` reports.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Status {
    /// Braid's version.
    pub version: String,
    /// Records in the store of record.
    pub counts: Counts,
    /// Items in the vector index (documents + images).
    pub indexed_items: usize,
    /// The active embedder.
    pub embedder: EmbedderStatus,
    /// The graph behind the graph route.
    pub graph: GraphStatus,
    /// The vector backend.
    pub vector_backend: String,
    /// Vector-index updates that failed after the store of record had committed (e.g. Milvus
    /// was down); repaired by the start-up reconciliation or `braid index rebuild`.
    pub vector_apply_failures: u64,
    /// Vector-index changes not yet in a checkpoint (embedded index; 0 for Milvus).
    pub vector_changes_since_checkpoint: u64,
    /// True when serving a read-only view (`--read-only`): writes answer 409.
    pub read_only: bool,
    /// Each route, whether it is available and why not.
    pub routes: Vec<RouteStatus>,
    /// The data directory.
    pub data_dir: String,
    /// Which routing weights are in use and how they were made.
    pub router: RouterStatus,
}

/// The graph behind the graph route: in this process, or on a graph server.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GraphStatus {
    /// Which backend, in which mode, where.
    #[serde(flatten)]
    pub backend: braid_graph::GraphBackendInfo,
    /// Entities and relations as the backend counts them; absent when it cannot answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<braid_graph::GraphCounts>,
    /// Why the backend could not be asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Entity and relation writes the graph server missed since start (the store of record
    /// has them; the next start writes them to the server).
    pub missed_writes: u64,
}

/// Which routing weights are in use.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RouterStatus {
    /// `shipped` (fitted on the team's domains), `fitted` (to this knowledge base, by
    /// `braid router fit --auto`) or `configured` (a weights file given in the settings).
    pub weights: String,
    /// How the weights were made: the data and settings of the fit.
    pub fitted_on: String,
    /// Exemplar queries per route (graph, vector, web).
    pub exemplars: [usize; 3],
}

/// The active embedder.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EmbedderStatus {
    /// Its name, e.g. `hash-384`.
    pub name: String,
    /// Vector dimension.
    pub dimension: usize,
    /// Whether it embeds images by their pixels.
    pub multimodal: bool,
}

/// Whether a route can run.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RouteStatus {
    /// The route.
    pub route: Route,
    /// Whether it can run.
    pub available: bool,
    /// Why not, when it cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a write did.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct WriteSummary {
    /// Ids written.
    pub ids: Vec<String>,
    /// How many records were written.
    pub written: usize,
    /// How many were already present unchanged (duplicate relations).
    pub unchanged: usize,
}

/// An entity with its relations, as `GET /v1/entities/{id}` answers.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EntityView {
    /// The entity.
    pub entity: Entity,
    /// Its relations in both directions.
    pub relations: Vec<braid_graph::Fact>,
    /// Documents and images linked to it.
    pub items: Vec<String>,
}
