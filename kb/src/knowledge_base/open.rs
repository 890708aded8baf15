//! Opening a data directory and recovery: the store of record is read, the derived indexes
//! (graph, vectors) are rebuilt from it (the vector index from its checkpoint when there is
//! a usable one), records embedded by another embedder are re-embedded, and the router is
//! wired to the sources.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};

use braid_graph::{EmbeddedGraph, Graph};
use braid_router::Router;
use braid_vector::{
    DEFAULT_QUERY_CACHE_ENTRIES, Embedder, OpenMode, QueryCache, VectorBackend, VectorConfig, VectorError, VectorStore,
};

use super::items::{document_items, image_item};
use super::{KnowledgeBase, Options, ProgressCallback, default_report};
use crate::checkpoint::{Checkpointer, Checkpoints, VECTOR_CHECKPOINT_DIR};
use crate::error::BraidError;
use crate::schema::{GraphSchema, SchemaWords};
use crate::sources::{GraphLinker, GraphSource, ServerGraph, VectorSource, WebSource};
use crate::status::{LoadProgress, LoadStage};
use crate::store::{Store, WriteBatch};

impl KnowledgeBase {
    /// Opens the data directory and rebuilds the derived indexes from the store of record.
    pub fn open(options: Options) -> Result<KnowledgeBase, BraidError> {
        let progress = Progress(options.on_progress.clone());
        progress.report(LoadStage::Opening, 0, 0);
        std::fs::create_dir_all(&options.data_dir)
            .map_err(|e| BraidError::invalid("data", format!("cannot create {}: {e}", options.data_dir.display())))?;
        let store = Arc::new(Store::open(&options.data_dir)?);
        let embedder = options.embedder;
        let mut embedded = None;
        let vectors: Arc<dyn VectorBackend> = match options.vectors {
            Some(_) if options.read_only => {
                return Err(BraidError::Unavailable(
                    "read-only serving maps the embedded vector index; it is not available with a remote backend"
                        .into(),
                ));
            }
            Some(backend) => backend,
            None => {
                let store = Arc::new(open_embedded_index(&options.data_dir, embedder.dimension(), options.read_only)?);
                embedded = Some(store.clone());
                store
            }
        };
        if vectors.dimension() != embedder.dimension() {
            return Err(BraidError::invalid(
                "embedder",
                format!(
                    "the vector backend has dimension {} but the embedder '{}' gives {}",
                    vectors.dimension(),
                    embedder.name(),
                    embedder.dimension()
                ),
            ));
        }
        let graph = Arc::new(RwLock::new(Graph::new()));
        let mut words = SchemaWords::default();
        words.apply(store.schema_records()?);
        let schema_words = Arc::new(RwLock::new(words));
        let schema_version = Arc::new(AtomicU64::new(0));

        // Weights fitted to this knowledge base, when there are some and the caller wants them.
        let fitted = if options.fitted_router { crate::fit::load_fitted(&options.data_dir)? } else { None };
        let shipped = options.policy.weights() == &braid_router::PolicyWeights::shipped();
        let (policy, weights_origin) = match &fitted {
            Some(f) => (braid_router::RoutePolicy::new(f.weights.clone()), "fitted"),
            None if shipped => (options.policy, "shipped"),
            None => (options.policy, "configured"),
        };
        let exemplar_list: Option<Vec<(String, braid_router::Route)>> = match (options.exemplars, &fitted) {
            (Some(list), _) => Some(list),
            (None, Some(f)) => Some(
                braid_router::exemplars::shipped_queries().into_iter().chain(f.exemplars.iter().cloned()).collect(),
            ),
            (None, None) => None,
        };
        let router_status = crate::status::RouterStatus {
            weights: weights_origin.to_string(),
            fitted_on: policy.weights().provenance.clone(),
            exemplars: [0; 3],
        };

        let web = options.web;
        // Queries go through an LRU of their vectors. The router's exemplars are embedded
        // through it here, which also warms the model before the first question.
        let queries: Arc<dyn Embedder> = Arc::new(QueryCache::new(embedder.clone(), DEFAULT_QUERY_CACHE_ENTRIES));
        // The graph route and the linker read the graph through the backend seam: the graph
        // in this process, or the graph server (item provenance stays here).
        let graph_server =
            options.graph.map(|server| Arc::new(ServerGraph::new(server, EmbeddedGraph::shared(graph.clone()))));
        let graph_backend: Arc<dyn braid_graph::GraphBackend> = match &graph_server {
            Some(server) => server.clone(),
            None => Arc::new(EmbeddedGraph::shared(graph.clone())),
        };
        let mut router = Router::new(Arc::new(GraphLinker::new(graph_backend.clone())))
            .with_schema(Arc::new(GraphSchema::new(graph.clone(), schema_words.clone(), schema_version.clone())))
            .with_config(options.router)
            .with_policy(policy)
            .with_source(Arc::new(GraphSource::new(graph_backend, store.clone())))
            .with_source(Arc::new(
                VectorSource::new(vectors.clone(), queries.clone(), store.clone()).with_rerank(options.rerank),
            ))
            .with_source(Arc::new(WebSource::new(web.clone())));
        let query_embedder: Arc<dyn braid_router::QueryEmbedder> = Arc::new(EmbedQueries(queries));
        let mut router_status = router_status;
        let exemplars = match exemplar_list {
            None => Some(braid_router::Exemplars::shipped(query_embedder)),
            Some(list) if list.is_empty() => None,
            Some(list) => Some(braid_router::Exemplars::new(query_embedder, list)),
        };
        if let Some(exemplars) = exemplars {
            if options.warm_router {
                exemplars.warm();
            }
            router_status.exemplars = exemplars.labelled_counts();
            router = router.with_exemplars(Arc::new(exemplars));
        }
        for source in options.sources {
            router = router.with_source(source);
        }

        let image_fetcher = match options.image_fetcher {
            Some(fetcher) => Some(fetcher),
            None => match braid_web::ImageFetcher::new(braid_web::FetchLimits::default()) {
                Ok(fetcher) => Some(Arc::new(fetcher)),
                Err(e) => {
                    tracing::warn!("query images by URL are unavailable: {e}");
                    None
                }
            },
        };
        let checkpoints = Arc::new(Checkpoints::new(vectors.clone(), &options.data_dir));
        let on_checkpoint = options.on_checkpoint.unwrap_or_else(default_report);
        let kb = KnowledgeBase {
            store,
            graph,
            graph_server,
            vectors,
            embedder,
            embedder_reason: options.embedder_reason,
            router,
            writer: Mutex::new(()),
            data_dir: options.data_dir,
            web,
            vector_apply_failures: AtomicU64::new(0),
            embedded,
            read_only: options.read_only,
            checkpoints: checkpoints.clone(),
            on_checkpoint: on_checkpoint.clone(),
            checkpointer: Mutex::new(None),
            schema_words,
            schema_version,
            router_status,
            image_fetcher,
        };
        kb.rebuild_indexes(&progress)?;
        // Started once the indexes are whole: a checkpoint of a half-rebuilt index would
        // only be replayed over again.
        if let Some(policy) = options.checkpoints.filter(|_| !kb.read_only) {
            *kb.checkpointer.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Checkpointer::start(checkpoints, policy, on_checkpoint)?);
        }
        Ok(kb)
    }

    /// Rebuilds the graph and the vector index from the store; re-embeds items whose stored
    /// vector came from another embedder (and stores the new vectors).
    fn rebuild_indexes(&self, progress: &Progress) -> Result<(), BraidError> {
        let counts = self.store.counts()?;
        let graph_total = counts.entities + counts.relations;
        progress.report(LoadStage::Graph, 0, graph_total);
        let mut graph = Graph::new();
        graph.import_entities(self.store.entities()?);
        progress.report(LoadStage::Graph, counts.entities, graph_total);
        graph.import_relations(self.store.relations()?);

        let same_embedder = self.store.meta("embedder")?.as_deref() == Some(self.embedder.name());
        if self.read_only && !same_embedder && counts.documents + counts.images > 0 {
            return Err(BraidError::Unavailable(format!(
                "read-only serving cannot re-embed: the data was embedded by another embedder than '{}'",
                self.embedder.name()
            )));
        }
        // Records are read and replayed a batch at a time, so start-up holds one batch of
        // records and vectors, not the whole store (10 million 384-d vectors are 15 GB).
        let records = counts.documents + counts.images;
        progress.report(LoadStage::Vectors, 0, records);
        let dimension = self.embedder.dimension();
        // Ids the vector index must keep, for a persistent backend that may have missed
        // deletes; the embedded index drops what the replay did not confirm by itself.
        let mut keep: Option<HashSet<String>> = self.embedded.is_none().then(HashSet::new);
        let mut synced: Result<(), VectorError> = Ok(());
        let mut done = 0u64;
        let mut replay = |items: Vec<(braid_vector::Item, Vec<f32>)>, read: usize| {
            if let Some(keep) = &mut keep {
                keep.extend(items.iter().map(|(item, _)| item.id.clone()));
            }
            // After a failure (Milvus down) the rest is still read, for the graph.
            if synced.is_ok() {
                synced = self.vectors.upsert_batch(items).map(drop);
            }
            done += read as u64;
            progress.report(LoadStage::Vectors, done, records);
        };
        self.store.documents_in_batches(REPLAY_BATCH, |batch| -> Result<(), BraidError> {
            let read = batch.len();
            let mut restore = WriteBatch::default();
            let mut items = Vec::with_capacity(batch.len());
            for (doc, vector) in batch {
                // One vector per passage, concatenated (see crate::passages).
                let passages = crate::passages::split(&doc.text).len();
                let vector = if same_embedder && vector.len() == passages * dimension {
                    vector
                } else {
                    let v = self.embed_documents(std::slice::from_ref(&doc))?.pop().unwrap_or_default();
                    restore.documents.push((doc.clone(), v.clone()));
                    v
                };
                graph.link_item(&doc.id, &doc.entities);
                items.extend(document_items(&doc, &vector, dimension));
            }
            self.write_restored(&restore)?;
            replay(items, read);
            Ok(())
        })?;
        self.store.images_in_batches(REPLAY_BATCH, |batch| -> Result<(), BraidError> {
            let read = batch.len();
            let mut restore = WriteBatch::default();
            let mut items = Vec::with_capacity(batch.len());
            for (img, vector) in batch {
                let vector = if same_embedder && vector.len() == dimension {
                    vector
                } else {
                    let bytes = self.store.image_bytes(&img.id)?;
                    let v = self.embed_image(&img, bytes.as_deref())?;
                    restore.images.push((img.clone(), bytes, v.clone()));
                    v
                };
                graph.link_item(&img.id, &img.depicts);
                items.push((image_item(&img), vector));
            }
            self.write_restored(&restore)?;
            replay(items, read);
            Ok(())
        })?;
        // Reconcile the vector index with the store: every item was upserted; drop ids the
        // store no longer has (a persistent backend may have missed deletes). An unreachable
        // remote backend (Milvus down) does not stop start-up: the vector route reports the
        // outage and `braid index rebuild` (or the next start) catches up.
        if let (Ok(()), Some(keep)) = (&synced, &keep) {
            synced = self.vectors.reconcile(keep).map(drop);
        }
        match synced {
            Err(e @ VectorError::Remote(_)) => self.vector_index_lagged("start-up sync", &e),
            Err(e) if self.read_only => {
                return Err(BraidError::Unavailable(format!(
                    "read-only serving needs a current vector checkpoint: {e}"
                )));
            }
            other => other?,
        }
        if let Some(store) = &self.embedded {
            let restored = store.finish_restore()?;
            if restored.checkpointed > 0 {
                tracing::info!(
                    reused = restored.reused,
                    reindexed = restored.reindexed,
                    dropped = restored.dropped,
                    "vector index restored from its checkpoint"
                );
            }
        }
        if !self.read_only {
            self.store.set_meta("embedder", self.embedder.name())?;
        }
        // The graph server gets the store's graph whole (it may have missed writes). A server
        // that is down does not stop start-up: the graph route reports the outage.
        if let Some(server) = self.graph_server.as_ref().filter(|_| !self.read_only) {
            match server.replace_all(graph.entities().cloned().collect(), graph.relations().collect()) {
                Ok((entities, relations)) => tracing::info!(
                    entities = entities.written,
                    relations = relations.written,
                    refused = entities.rejected.len() + relations.rejected.len(),
                    "graph written to the graph server"
                ),
                Err(e) => tracing::warn!(error = %e, "the graph server could not be written at start-up"),
            }
        }
        progress.report(LoadStage::Linker, 0, 1);
        graph.prepare_linker();
        *self.graph_write() = graph;
        progress.report(LoadStage::Linker, 1, 1);
        Ok(())
    }
}

impl KnowledgeBase {
    /// Stores the vectors re-embedded during a replay (another embedder made the old ones).
    fn write_restored(&self, restore: &WriteBatch) -> Result<(), BraidError> {
        if !self.read_only && !restore.is_empty() {
            self.store.write(restore)?;
        }
        Ok(())
    }
}

/// Records read and replayed into the vector index per batch (and per progress report).
const REPLAY_BATCH: usize = 4096;

/// [`Options::on_progress`], when one is set.
struct Progress(Option<ProgressCallback>);

impl Progress {
    fn report(&self, stage: LoadStage, done: u64, total: u64) {
        if let Some(callback) = &self.0 {
            callback(&LoadProgress { stage, done, total });
        }
    }
}

/// The active embedder as the router's [`braid_router::QueryEmbedder`], for exemplar similarity.
struct EmbedQueries(Arc<dyn Embedder>);

impl braid_router::QueryEmbedder for EmbedQueries {
    fn embed(&self, text: &str) -> Option<Vec<f32>> {
        self.0.embed_text(text).ok()
    }
}

/// The embedded vector index: restored from its checkpoint when there is a usable one
/// (start-up then replays the store over it), else empty and rebuilt from the store.
fn open_embedded_index(data_dir: &Path, dimension: usize, read_only: bool) -> Result<VectorStore, BraidError> {
    let dir = data_dir.join(VECTOR_CHECKPOINT_DIR);
    let config = VectorConfig::with_dimension(dimension);
    let mode = if read_only { OpenMode::View } else { OpenMode::Load };
    match VectorStore::from_checkpoint(config.clone(), &dir, mode) {
        Ok(Some(store)) => Ok(store),
        Ok(None) if read_only => Err(BraidError::Unavailable(format!(
            "read-only serving maps the vector index checkpoint in {}, and there is none yet: run `braid index \
             checkpoint` first",
            dir.display()
        ))),
        Err(e) if read_only => {
            Err(BraidError::Unavailable(format!("read-only serving cannot use the vector index checkpoint: {e}")))
        }
        // The lexical index goes in files beside the checkpoints, memory-mapped.
        Ok(None) => Ok(VectorStore::in_dir(config, &dir)?),
        Err(e) => {
            // A checkpoint is only a shortcut: the store of record rebuilds everything.
            tracing::warn!("ignoring the vector index checkpoint ({e}); rebuilding the index from the store");
            Ok(VectorStore::in_dir(config, &dir)?)
        }
    }
}
