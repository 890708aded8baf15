//! [`KnowledgeBase`]: the knowledge base behind every interface. It owns the store of record
//! and the derived indexes (graph, vectors), the embedder, the web provider and the router,
//! and it is the only place writes go through: validate → commit to the store → apply to
//! the indexes.
//!
//! By what it does: [`open`] (opening and recovery), [`query`] (questions), [`reads`],
//! [`writes`], [`bulk`] (bulk relation import), [`items`] (what the vector index holds of a
//! record).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use braid_graph::Graph;
use braid_router::{Route, RoutePolicy, Router, RouterConfig, Source};
use braid_vector::{CheckpointInfo, Embedder, VectorBackend, VectorStore};
use braid_web::WebProvider;

use crate::checkpoint::{
    CheckpointCallback, CheckpointPolicy, CheckpointTrigger, Checkpointer, Checkpoints, log_report,
};
use crate::error::BraidError;
use crate::schema::SchemaWords;
use crate::status::{EmbedderStatus, LoadProgress, RouteStatus, RouterStatus, Status};
use crate::store::Store;

pub(crate) mod bulk;
pub mod compose;
pub(crate) mod files;
pub(crate) mod items;
mod open;
mod query;
mod reads;
pub(crate) mod writes;

pub use crate::checkpoint::VECTOR_CHECKPOINT_DIR;

/// Largest document text accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 1 << 20;
/// Largest image accepted, in bytes.
pub const MAX_IMAGE_BYTES: usize = 16 << 20;

/// How a knowledge base is set up. [`Options::new`] gives the defaults for a data
/// directory and an embedder; set the public fields to change them.
pub struct Options {
    /// The data directory (created if missing).
    pub data_dir: PathBuf,
    /// The embedder for documents, images and queries.
    pub embedder: Arc<dyn Embedder>,
    /// Why this embedder, in words, reported by [`KnowledgeBase::status`] (e.g. "MiniLM
    /// weights in the Hugging Face cache"); `None` says nothing.
    pub embedder_reason: Option<String>,
    /// The web search provider, if one is configured.
    pub web: Option<Arc<dyn WebProvider>>,
    /// Router settings (deadlines, fusion).
    pub router: RouterConfig,
    /// The routing policy.
    pub policy: RoutePolicy,
    /// The vector backend; `None` means the embedded usearch + tantivy store.
    pub vectors: Option<Arc<dyn VectorBackend>>,
    /// A graph database server for the graph route (`None`: the graph in this process). The
    /// knowledge base writes it: start-up writes the store's entities and relations to it
    /// whole, and every write follows (see [`crate::sources::ServerGraph`]).
    pub graph: Option<Arc<dyn braid_graph::GraphBackend>>,
    /// Serve a memory-mapped view of the embedded index's last checkpoint and refuse
    /// writes (`braid serve --read-only`): a large index opens in seconds with little RAM.
    pub read_only: bool,
    /// Checkpoint the embedded vector index in the background under this policy and on
    /// [`KnowledgeBase::close`] (`None`: only on request, through
    /// [`KnowledgeBase::checkpoint_vectors`], as one-shot commands want).
    pub checkpoints: Option<CheckpointPolicy>,
    /// Told of every checkpoint written in the background or on close (default: a log line).
    pub on_checkpoint: Option<CheckpointCallback>,
    /// A reranking stage for the vector route (`None`: the hybrid order is final).
    pub rerank: Option<crate::sources::Rerank>,
    /// Sources that replace the built-in source of their route (one per route), e.g. a
    /// company search engine as the web route.
    pub sources: Vec<Arc<dyn Source>>,
    /// Told how far [`KnowledgeBase::open`] has got, at each stage and every few thousand
    /// items (a large data directory takes minutes; a server says so while it loads).
    pub on_progress: Option<ProgressCallback>,
    /// Example queries of each route, whose similarity to a query the routing policy weighs
    /// (`None`: the ones shipped with the router; empty: no exemplar features).
    pub exemplars: Option<Vec<(String, Route)>>,
    /// Route with the weights fitted to this knowledge base (`braid router fit --auto`,
    /// kept in the data directory) when there are some, in place of `policy`.
    pub fitted_router: bool,
    /// Embed the router's exemplar queries while opening (default `true`), so the first
    /// query does not wait for them; a program that only writes (`braid ingest`) sets it
    /// `false` and never embeds them. With MiniLM on two cores that is about ten seconds.
    pub warm_router: bool,
    /// Fetches images that queries name by URL (`"image": {"url": …}`); `None` builds one
    /// with [`braid_web::FetchLimits::default`] and the public-address guard.
    pub image_fetcher: Option<Arc<braid_web::ImageFetcher>>,
}

/// Called with the progress of opening a knowledge base.
pub type ProgressCallback = Arc<dyn Fn(&LoadProgress) + Send + Sync>;

impl Options {
    /// The defaults: the embedded vector store, no web provider, the shipped routing
    /// policy, background checkpoints under [`CheckpointPolicy::default`].
    pub fn new(data_dir: impl Into<PathBuf>, embedder: Arc<dyn Embedder>) -> Self {
        Options {
            data_dir: data_dir.into(),
            embedder,
            embedder_reason: None,
            web: None,
            router: RouterConfig::default(),
            policy: RoutePolicy::default(),
            vectors: None,
            graph: None,
            read_only: false,
            checkpoints: Some(CheckpointPolicy::default()),
            on_checkpoint: None,
            rerank: None,
            sources: Vec::new(),
            on_progress: None,
            exemplars: None,
            fitted_router: true,
            warm_router: true,
            image_fetcher: None,
        }
    }
}

/// The knowledge base.
pub struct KnowledgeBase {
    store: Arc<Store>,
    graph: Arc<RwLock<Graph>>,
    /// The graph server the graph route reads, when the graph lives on one.
    graph_server: Option<Arc<crate::sources::ServerGraph>>,
    vectors: Arc<dyn VectorBackend>,
    embedder: Arc<dyn Embedder>,
    /// See [`Options::embedder_reason`].
    embedder_reason: Option<String>,
    router: Router,
    /// Serialises writes so that the indexes see them in the store's commit order.
    writer: Mutex<()>,
    data_dir: PathBuf,
    /// The web provider, kept for its counters (`/metrics`).
    web: Option<Arc<dyn WebProvider>>,
    /// See [`Status::vector_apply_failures`].
    vector_apply_failures: AtomicU64,
    /// The embedded vector store, when it is the backend (for its restore report).
    embedded: Option<Arc<VectorStore>>,
    read_only: bool,
    checkpoints: Arc<Checkpoints>,
    on_checkpoint: CheckpointCallback,
    /// The background checkpointer; taken (stopped) by [`KnowledgeBase::close`].
    checkpointer: Mutex<Option<Checkpointer>>,
    /// Words users gave relation and entity types (schema records).
    schema_words: Arc<RwLock<SchemaWords>>,
    /// Grows with every schema write, so the router recompiles its lexicon.
    schema_version: Arc<AtomicU64>,
    /// Which routing weights are in use, for the status.
    router_status: RouterStatus,
    /// Fetches query images given by URL; `None` if no HTTP client could be built.
    image_fetcher: Option<Arc<braid_web::ImageFetcher>>,
}

impl KnowledgeBase {
    /// The router.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The active embedder.
    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.embedder
    }

    /// The web provider's cache and failure counters, when a provider is configured.
    pub fn web_stats(&self) -> Option<braid_web::WebStats> {
        self.web.as_ref().map(|w| w.stats())
    }

    /// Counts, embedder and route availability.
    pub fn status(&self) -> Result<Status, BraidError> {
        let availability = self.router.availability();
        Ok(Status {
            version: env!("CARGO_PKG_VERSION").to_string(),
            counts: self.store.counts()?,
            // 0 while a remote backend is unreachable (the vector route reports the error).
            indexed_items: self.vectors.len().unwrap_or_else(|e| {
                tracing::warn!("vector index size unknown: {e}");
                0
            }),
            embedder: EmbedderStatus {
                name: self.embedder.name().to_string(),
                dimension: self.embedder.dimension(),
                multimodal: self.embedder.is_multimodal(),
                reason: self.embedder_reason.clone(),
            },
            graph: self.graph_status(),
            vector_backend: self.vectors.name().to_string(),
            vector_apply_failures: self.vector_apply_failures.load(Ordering::Relaxed),
            vector_changes_since_checkpoint: self.vectors.changes_since_checkpoint(),
            read_only: self.read_only,
            routes: Route::ALL
                .iter()
                .map(|&route| RouteStatus {
                    route,
                    available: availability.is_available(route),
                    reason: availability.unavailable[route.index()].clone(),
                })
                .collect(),
            data_dir: self.data_dir.display().to_string(),
            router: self.router_status.clone(),
        })
    }

    /// Writes a checkpoint of the embedded vector index (see [`VECTOR_CHECKPOINT_DIR`]), so
    /// the next start loads the HNSW graph instead of rebuilding it. `None` when there is
    /// nothing to save: a remote backend, or a read-only view.
    pub fn checkpoint_vectors(&self) -> Result<Option<CheckpointInfo>, BraidError> {
        if self.read_only {
            return Ok(None);
        }
        self.checkpoints.write()
    }

    /// The schema the router reads questions with: the graph's relation and entity types as
    /// its data shows them, with the words schema records gave them.
    pub fn schema(&self) -> braid_router::KbSchema {
        let graph = self.graph_read();
        let words = self.schema_words.read().unwrap_or_else(|e| e.into_inner());
        crate::schema::merged(&graph, &words)
    }

    /// Vector-index changes since the last checkpoint (0 for remote backends).
    pub fn vector_changes_since_checkpoint(&self) -> u64 {
        self.vectors.changes_since_checkpoint()
    }

    /// Stops the background checkpointer and, when [`Options::checkpoints`] is set, writes a
    /// checkpoint of what is not in one yet, reporting it to [`Options::on_checkpoint`].
    /// Dropping the knowledge base does the same; call this to choose when (a server, once
    /// it stopped taking requests). Idempotent.
    pub fn close(&self) {
        let Some(checkpointer) = self.checkpointer.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        drop(checkpointer);
        if self.checkpoints.changes() > 0 {
            self.checkpoints.write_and_report(CheckpointTrigger::Close, &self.on_checkpoint);
        }
    }

    /// Called when the derived vector index failed AFTER the store of record committed (e.g.
    /// Milvus is down). The write is acknowledged — the store is the source of truth and the
    /// record is durable — so the failure is logged and counted instead of returned, and the
    /// start-up reconciliation or `braid index rebuild` brings the index back in line.
    fn vector_index_lagged(&self, what: &str, error: &dyn std::fmt::Display) {
        self.vector_apply_failures.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(backend = self.vectors.name(), "vector index not updated ({what}): {error}");
    }

    /// Takes the writer lock; a read-only view refuses every write here.
    fn lock_writer(&self) -> Result<std::sync::MutexGuard<'_, ()>, BraidError> {
        if self.read_only {
            return Err(BraidError::ReadOnly);
        }
        Ok(self.writer.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn graph_read(&self) -> std::sync::RwLockReadGuard<'_, Graph> {
        self.graph.read().unwrap_or_else(|e| e.into_inner())
    }

    fn graph_write(&self) -> std::sync::RwLockWriteGuard<'_, Graph> {
        self.graph.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The graph backend as `/v1/status` shows it.
    fn graph_status(&self) -> crate::status::GraphStatus {
        use braid_graph::GraphBackend;
        let (backend, counts, missed_writes) = match &self.graph_server {
            Some(server) => (server.info(), server.counts(), server.missed_writes()),
            None => {
                let local = braid_graph::EmbeddedGraph::shared(self.graph.clone());
                (local.info(), local.counts(), 0)
            }
        };
        let (counts, error) = match counts {
            Ok(c) => (Some(c), None),
            Err(e) => (None, Some(e.to_string())),
        };
        crate::status::GraphStatus { backend, counts, error, missed_writes }
    }

    /// Applies a write to the graph server, when the graph lives on one. The store of record
    /// has the write already: a server that fails it stays behind until the next start,
    /// which writes it whole, and says so in the log.
    fn graph_server_write<T>(
        &self,
        what: &str,
        write: impl FnOnce(&dyn braid_graph::GraphBackend) -> Result<T, braid_graph::GraphError>,
    ) {
        if let Some(server) = &self.graph_server
            && let Err(e) = write(server.server().as_ref())
        {
            server.missed_write();
            tracing::warn!(error = %e, "{what}: the graph server missed a write; the next start writes it whole");
        }
    }
}

impl Drop for KnowledgeBase {
    fn drop(&mut self) {
        self.close();
    }
}

/// The report of checkpoints when the options name none.
fn default_report() -> CheckpointCallback {
    Arc::new(log_report)
}
