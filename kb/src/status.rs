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
    /// Why it is the active one (chosen by a setting, found weights, or the fallback and
    /// how to get a semantic model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
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

/// Where [`crate::KnowledgeBase::open`] has got, as it tells [`crate::Options::on_progress`]
/// and as a server answers `/healthz` and `/v1/status` while it loads.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema)]
pub struct LoadProgress {
    /// The step running now.
    pub stage: LoadStage,
    /// Units of this step done (records read, items replayed).
    pub done: u64,
    /// Units of this step in all (0 while unknown).
    pub total: u64,
}

/// The steps of opening a knowledge base, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LoadStage {
    /// Opening the store of record and the vector index's checkpoint.
    Opening,
    /// Entities and relations into the graph.
    Graph,
    /// Documents and images read from the store of record and replayed into the vector
    /// index (over its checkpoint, when there is one); counted in records.
    Vectors,
    /// The entity linker built; then the knowledge base is ready.
    Linker,
}

impl LoadProgress {
    /// The whole open's progress in [0, 1]: each stage an equal share, the running one by
    /// its `done / total`. A rough guide for a progress bar, not a time estimate.
    pub fn fraction(&self) -> f64 {
        const STAGES: f64 = 4.0;
        let index = self.stage as u8 as f64;
        let within = if self.total == 0 { 0.0 } else { (self.done as f64 / self.total as f64).min(1.0) };
        ((index + within) / STAGES).clamp(0.0, 1.0)
    }
}
