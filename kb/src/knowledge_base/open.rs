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
use braid_vector::{Embedder, OpenMode, VectorBackend, VectorConfig, VectorError, VectorStore};

use super::items::{document_items, image_item};
use super::{KnowledgeBase, Options, default_report};
use crate::checkpoint::{Checkpointer, Checkpoints, VECTOR_CHECKPOINT_DIR};
use crate::error::BraidError;
use crate::schema::{GraphSchema, SchemaWords};
use crate::sources::{GraphLinker, GraphSource, ServerGraph, VectorSource, WebSource};
use crate::store::{Store, WriteBatch};

impl KnowledgeBase {
    /// Opens the data directory and rebuilds the derived indexes from the store of record.
    pub fn open(options: Options) -> Result<KnowledgeBase, BraidError> {
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
            .with_source(Arc::new(VectorSource::new(vectors.clone(), embedder.clone(), store.clone())))
            .with_source(Arc::new(WebSource::new(web.clone())));
        let queries: Arc<dyn braid_router::QueryEmbedder> = Arc::new(EmbedQueries(embedder.clone()));
        let mut router_status = router_status;
        let exemplars = match exemplar_list {
            None => Some(braid_router::Exemplars::shipped(queries)),
            Some(list) if list.is_empty() => None,
            Some(list) => Some(braid_router::Exemplars::new(queries, list)),
        };
        if let Some(exemplars) = exemplars {
            router_status.exemplars = exemplars.counts();
            router = router.with_exemplars(Arc::new(exemplars));
        }
        for source in options.sources {
            router = router.with_source(source);
        }

        let checkpoints = Arc::new(Checkpoints::new(vectors.clone(), &options.data_dir));
        let on_checkpoint = options.on_checkpoint.unwrap_or_else(default_report);
        let kb = KnowledgeBase {
            store,
            graph,
            graph_server,
            vectors,
            embedder,
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
        };
        kb.rebuild_indexes()?;
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
    fn rebuild_indexes(&self) -> Result<(), BraidError> {
        let mut graph = Graph::new();
        graph.import_entities(self.store.entities()?);
        graph.import_relations(self.store.relations()?);

        let same_embedder = self.store.meta("embedder")?.as_deref() == Some(self.embedder.name());
        let counts = self.store.counts()?;
        if self.read_only && !same_embedder && counts.documents + counts.images > 0 {
            return Err(BraidError::Unavailable(format!(
                "read-only serving cannot re-embed: the data was embedded by another embedder than '{}'",
                self.embedder.name()
            )));
        }
        let mut restore = WriteBatch::default();
        let mut items = Vec::new();
        for (doc, vector) in self.store.documents()? {
            // One vector per passage, concatenated (see crate::passages).
            let passages = crate::passages::split(&doc.text).len();
            let vector = if same_embedder && vector.len() == passages * self.embedder.dimension() {
                vector
            } else {
                let v = self.embed_documents(std::slice::from_ref(&doc))?.pop().unwrap_or_default();
                restore.documents.push((doc.clone(), v.clone()));
                v
            };
            graph.link_item(&doc.id, &doc.entities);
            items.extend(document_items(&doc, &vector, self.embedder.dimension()));
        }
        for (img, vector) in self.store.images()? {
            let vector = if same_embedder && vector.len() == self.embedder.dimension() {
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
        // Reconcile the vector index with the store: upsert every item, then drop ids the
        // store no longer has (a persistent backend may have missed deletes). An unreachable
        // remote backend (Milvus down) does not stop start-up: the vector route reports the
        // outage and `braid index rebuild` (or the next start) catches up.
        let keep: HashSet<String> = items.iter().map(|(item, _)| item.id.clone()).collect();
        let synced = items
            .chunks(4096)
            .try_for_each(|chunk| self.vectors.upsert_batch(chunk.to_vec()).map(drop))
            .and_then(|()| self.vectors.reconcile(&keep).map(drop));
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
            if !restore.is_empty() {
                self.store.write(&restore)?;
            }
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
        graph.prepare_linker();
        *self.graph_write() = graph;
        Ok(())
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
        Ok(None) => Ok(VectorStore::in_memory(config)?),
        Err(e) => {
            // A checkpoint is only a shortcut: the store of record rebuilds everything.
            tracing::warn!("ignoring the vector index checkpoint ({e}); rebuilding the index from the store");
            Ok(VectorStore::in_memory(config)?)
        }
    }
}
