//! `Braid`: the knowledge base behind every interface. It owns the store of record and the
//! derived indexes (graph, vectors), the embedder, the web provider and the router, and it is
//! the only place writes go through: validate → commit to the store → apply to the indexes.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use braid_graph::{Direction, Graph, NeighborQuery, Neighborhood};
use braid_router::{QueryRequest, QueryResponse, Route, RoutePolicy, Router, RouterConfig, SourceRequest};
use braid_vector::{
    CheckpointInfo, Embedder, Item, Modality as VectorModality, OpenMode, VectorBackend, VectorConfig, VectorError,
    VectorStore,
};
use braid_web::WebProvider;
use schemars::JsonSchema;
use serde::Serialize;

use crate::error::BraidError;
use crate::images::sniff_media_type;
use crate::records::{DocumentRecord, Entity, ImageRecord, Relation};
use crate::sources::{GraphLinker, GraphSource, VectorSource, WebSource};
use crate::store::{Counts, Store, WriteBatch, relation_id};

pub(crate) mod bulk;

/// Largest document text accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 1 << 20;
/// Largest image accepted, in bytes.
pub const MAX_IMAGE_BYTES: usize = 16 << 20;
/// How many `is_a` ancestors enrich an image's indexed text.
const ENRICH_ANCESTORS: usize = 6;

/// How a Braid instance is set up.
pub struct BraidOptions {
    /// The data directory (created if missing).
    pub data_dir: PathBuf,
    /// The embedder for documents, images and queries.
    pub embedder: Arc<dyn Embedder>,
    /// The web search provider, if one is configured.
    pub web: Option<Arc<dyn WebProvider>>,
    /// Router settings (deadlines, fusion).
    pub router: RouterConfig,
    /// The routing policy.
    pub policy: RoutePolicy,
    /// The vector backend; `None` means the embedded usearch + tantivy store.
    pub vectors: Option<Arc<dyn VectorBackend>>,
    /// Serve a memory-mapped view of the embedded index's last checkpoint and refuse
    /// writes (`braid serve --read-only`): a large index opens in seconds with little RAM.
    pub read_only: bool,
}

/// Where the embedded vector index keeps its checkpoints, inside the data directory.
pub const VECTOR_CHECKPOINT_DIR: &str = "vector-index";

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

/// A write refused: the error, and the records when nothing was written (bad input).
pub(crate) type Refused<T> = (BraidError, Option<Vec<T>>);

/// The knowledge base.
pub struct Braid {
    store: Arc<Store>,
    graph: Arc<RwLock<Graph>>,
    vectors: Arc<dyn VectorBackend>,
    embedder: Arc<dyn Embedder>,
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
    /// One checkpoint at a time (the background checkpointer and shutdown may overlap).
    checkpointing: Mutex<()>,
}

impl Braid {
    /// Opens the data directory and rebuilds the derived indexes from the store of record.
    pub fn open(options: BraidOptions) -> Result<Braid, BraidError> {
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

        let web = options.web;
        let web_source = WebSource::new(web.clone());
        let router = Router::new(Arc::new(GraphLinker::new(graph.clone())))
            .with_config(options.router)
            .with_policy(options.policy)
            .with_source(Arc::new(GraphSource::new(graph.clone(), store.clone())))
            .with_source(Arc::new(VectorSource::new(vectors.clone(), embedder.clone(), store.clone())))
            .with_source(Arc::new(web_source))
            .with_exemplars(Arc::new(braid_router::Exemplars::shipped(Arc::new(EmbedQueries(embedder.clone())))));

        let braid = Braid {
            store,
            graph,
            vectors,
            embedder,
            router,
            writer: Mutex::new(()),
            data_dir: options.data_dir,
            web,
            vector_apply_failures: AtomicU64::new(0),
            embedded,
            read_only: options.read_only,
            checkpointing: Mutex::new(()),
        };
        braid.rebuild_indexes()?;
        Ok(braid)
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
        let keep: std::collections::HashSet<String> = items.iter().map(|(item, _)| item.id.clone()).collect();
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
        graph.prepare_linker();
        *self.graph.write().unwrap_or_else(|e| e.into_inner()) = graph;
        Ok(())
    }

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
            },
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
        })
    }

    /// Answers a routed query.
    pub async fn query(&self, request: &QueryRequest) -> Result<QueryResponse, BraidError> {
        request.validate()?;
        let image = self.query_image(request)?;
        self.router.query(request, image).await.map_err(|e| match e {
            braid_router::RouterError::Invalid(i) => i.into(),
        })
    }

    /// Plans a query without running it.
    pub fn plan(&self, query: &str) -> Result<braid_router::RoutePlan, BraidError> {
        braid_router::validate_query_text(query, false)?;
        Ok(self.router.plan(query, false, None).1)
    }

    /// Runs one route directly.
    pub async fn search_route(
        &self,
        route: Route,
        query: &str,
        k: usize,
        filters: braid_router::Filters,
    ) -> Result<Vec<braid_router::Hit>, BraidError> {
        braid_router::validate_query_text(query, false)?;
        braid_router::validate_k(k)?;
        let features = Arc::new(self.router.features(query, false));
        let request = SourceRequest { query: query.to_string(), features, k, filters, image: None, ef: None };
        self.router.search_source(route, request).await.map_err(|e| match e {
            braid_router::SourceError::Unavailable(m) => BraidError::Unavailable(m),
            braid_router::SourceError::InvalidInput { field, message } => BraidError::invalid(field, message),
            braid_router::SourceError::Failed(m) => BraidError::Internal(m),
        })
    }

    fn query_image(&self, request: &QueryRequest) -> Result<Option<Arc<Vec<u8>>>, BraidError> {
        let Some(image) = &request.image else { return Ok(None) };
        if !self.embedder.is_multimodal() {
            return Err(BraidError::invalid(
                "image",
                format!(
                    "the active embedder '{}' cannot embed images; start Braid with a multimodal embedder (BRAID_EMBEDDER=clip)",
                    self.embedder.name()
                ),
            ));
        }
        if image.url.is_some() {
            return Err(BraidError::invalid(
                "image.url",
                "image URLs are not fetched by this version; send the bytes as base64",
            ));
        }
        let bytes = decode_base64("image.base64", image.base64.as_deref().unwrap_or_default())?;
        sniff_media_type(&bytes).map_err(|m| BraidError::invalid("image.base64", m))?;
        Ok(Some(Arc::new(bytes)))
    }

    // ----- reads -----

    /// An entity with its relations.
    pub fn entity(&self, id: &str) -> Result<EntityView, BraidError> {
        let graph = self.graph.read().unwrap_or_else(|e| e.into_inner());
        let entity = graph.entity(id).cloned().ok_or_else(|| BraidError::NotFound { what: "entity", id: id.into() })?;
        Ok(EntityView { relations: graph.facts_of(id), items: graph.items_of(id), entity })
    }

    /// Neighbours of an entity.
    pub fn neighbors(&self, id: &str, query: &NeighborQuery) -> Result<Neighborhood, BraidError> {
        let graph = self.graph.read().unwrap_or_else(|e| e.into_inner());
        if !graph.contains(id) {
            return Err(BraidError::NotFound { what: "entity", id: id.into() });
        }
        Ok(graph.neighbors(id, query)?)
    }

    /// A shortest path between two entities.
    pub fn path(
        &self,
        from: &str,
        to: &str,
        relations: Option<&[String]>,
    ) -> Result<Option<Vec<braid_graph::Fact>>, BraidError> {
        let graph = self.graph.read().unwrap_or_else(|e| e.into_inner());
        // "entity (from) 'x' not found": which end is unknown, and its id as given.
        for (what, id) in [("entity (from)", from), ("entity (to)", to)] {
            if !graph.contains(id) {
                return Err(BraidError::NotFound { what, id: id.into() });
            }
        }
        Ok(graph.shortest_path(from, to, relations)?)
    }

    /// A stored document.
    pub fn document(&self, id: &str) -> Result<DocumentRecord, BraidError> {
        self.store.document(id)?.ok_or_else(|| BraidError::NotFound { what: "document", id: id.into() })
    }

    /// A stored image record.
    pub fn image(&self, id: &str) -> Result<ImageRecord, BraidError> {
        self.store.image(id)?.ok_or_else(|| BraidError::NotFound { what: "image", id: id.into() })
    }

    /// A stored image's bytes and media type.
    pub fn image_content(&self, id: &str) -> Result<(Vec<u8>, String), BraidError> {
        let record = self.image(id)?;
        let bytes = self.store.image_bytes(id)?.ok_or_else(|| BraidError::NotFound {
            what: "image",
            id: format!("{id}' has no stored bytes (it was given by URL: {}", record.url.clone().unwrap_or_default()),
        })?;
        let media = record.media_type.unwrap_or_else(|| "application/octet-stream".into());
        Ok((bytes, media))
    }

    // ----- writes -----

    /// Called when the derived vector index failed AFTER the store of record committed (e.g.
    /// Milvus is down). The write is acknowledged — the store is the source of truth and the
    /// record is durable — so the failure is logged and counted instead of returned, and the
    /// start-up reconciliation or `braid index rebuild` brings the index back in line.
    fn vector_index_lagged(&self, what: &str, error: &dyn std::fmt::Display) {
        self.vector_apply_failures.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(backend = self.vectors.name(), "vector index not updated ({what}): {error}");
    }

    /// Loads every stored document and image (with its stored vector) into `target`, in
    /// batches, calling `progress(done, total)`, then removes ids the store does not have.
    /// Used by `braid index rebuild --backend milvus` to backfill a backend from this data dir.
    pub fn sync_vectors(
        &self,
        target: &dyn VectorBackend,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<usize, BraidError> {
        let mut items: Vec<(Item, Vec<f32>)> = Vec::new();
        for (doc, vector) in self.store.documents()? {
            items.extend(document_items(&doc, &vector, self.embedder.dimension()));
        }
        for (img, vector) in self.store.images()? {
            items.push((image_item(&img), vector));
        }
        let total = items.len();
        let keep: std::collections::HashSet<String> = items.iter().map(|(item, _)| item.id.clone()).collect();
        progress(0, total);
        let mut done = 0;
        for chunk in items.chunks(512) {
            target.upsert_batch(chunk.to_vec())?;
            done += chunk.len();
            progress(done, total);
        }
        target.reconcile(&keep)?;
        Ok(total)
    }

    /// Takes the writer lock; a read-only view refuses every write here.
    fn lock_writer(&self) -> Result<std::sync::MutexGuard<'_, ()>, BraidError> {
        if self.read_only {
            return Err(BraidError::ReadOnly);
        }
        Ok(self.writer.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Writes a checkpoint of the embedded vector index (see [`VECTOR_CHECKPOINT_DIR`]), so
    /// the next start loads the HNSW graph instead of rebuilding it. `None` when there is
    /// nothing to save: a remote backend, or a read-only view.
    pub fn checkpoint_vectors(&self) -> Result<Option<CheckpointInfo>, BraidError> {
        if self.read_only {
            return Ok(None);
        }
        let _one = self.checkpointing.lock().unwrap_or_else(|e| e.into_inner());
        Ok(self.vectors.checkpoint(&self.data_dir.join(VECTOR_CHECKPOINT_DIR))?)
    }

    /// Vector-index changes since the last checkpoint (0 for remote backends).
    pub fn vector_changes_since_checkpoint(&self) -> u64 {
        self.vectors.changes_since_checkpoint()
    }

    /// Builds the graph's linker and adjacency snapshot now rather than on the first query
    /// (after a bulk import, so the first question does not pay for them).
    pub fn prepare_graph(&self) {
        let graph = self.graph.read().unwrap_or_else(|e| e.into_inner());
        // Adjacency first: the linker reads every entity's degree, which the snapshot
        // answers without walking petgraph's edge lists.
        graph.prepare_adjacency();
        graph.prepare_linker();
    }

    /// Inserts or replaces entities (all or none).
    pub fn put_entities(&self, entities: Vec<Entity>) -> Result<WriteSummary, BraidError> {
        self.put_entities_or_return(entities).map_err(|(e, _)| e)
    }

    /// [`Braid::put_entities`], handing the entities back when they are refused before
    /// anything is written (bad input), so that a bulk import can retry parts of a batch
    /// without keeping a copy of it.
    pub(crate) fn put_entities_or_return(&self, entities: Vec<Entity>) -> Result<WriteSummary, Refused<Entity>> {
        for (i, e) in entities.iter().enumerate() {
            if let Err(err) = validate_entity(e) {
                return Err((err.in_item(i), Some(entities)));
            }
        }
        let _w = self.lock_writer().map_err(|e| (e, None))?;
        self.store.write_entities(&entities).map_err(|e| (e.into(), None))?;
        let ids = entities.iter().map(|e| e.id.clone()).collect();
        // The linker is rebuilt lazily by the next query: rebuilding it here made a bulk
        // import quadratic (WordNet's 117,659 entities in batches of 512: 230 full rebuilds).
        let report = self.graph.write().unwrap_or_else(|e| e.into_inner()).import_entities(entities);
        Ok(WriteSummary { ids, written: report.written, unchanged: report.unchanged })
    }

    /// Inserts relations (all or none); both endpoints must exist.
    pub fn put_relations(&self, relations: Vec<Relation>) -> Result<WriteSummary, BraidError> {
        let _w = self.lock_writer()?;
        {
            let graph = self.graph.read().unwrap_or_else(|e| e.into_inner());
            for (i, r) in relations.iter().enumerate() {
                check_relation(&graph, r).map_err(|e| e.in_item(i))?;
            }
        }
        self.store.write_relations(&relations)?;
        let ids = relations.iter().map(relation_id).collect();
        let report = self.graph.write().unwrap_or_else(|e| e.into_inner()).import_relations(relations);
        Ok(WriteSummary { ids, written: report.written, unchanged: report.unchanged })
    }

    /// Inserts or replaces documents (all or none).
    pub fn put_documents(&self, documents: Vec<DocumentRecord>) -> Result<WriteSummary, BraidError> {
        for (i, d) in documents.iter().enumerate() {
            validate_document(d).map_err(|err| err.in_item(i))?;
        }
        let vectors = self.embed_documents(&documents)?;
        let batch: Vec<(DocumentRecord, Vec<f32>)> = documents.into_iter().zip(vectors).collect();
        let _w = self.lock_writer()?;
        // Passages of a replaced version that the new version no longer has.
        let mut stale: Vec<String> = Vec::new();
        for (d, _) in &batch {
            if let Some(old) = self.store.document(&d.id)? {
                let new_ids = item_ids(d);
                stale.extend(item_ids(&old).into_iter().filter(|id| !new_ids.contains(id)));
            }
        }
        self.store.write(&WriteBatch { documents: batch.clone(), ..Default::default() })?;
        let ids: Vec<String> = batch.iter().map(|(d, _)| d.id.clone()).collect();
        {
            let mut graph = self.graph.write().unwrap_or_else(|e| e.into_inner());
            for (d, _) in &batch {
                graph.unlink_item(&d.id);
                graph.link_item(&d.id, &d.entities);
            }
        }
        let written = batch.len();
        let dimension = self.embedder.dimension();
        let items = batch.iter().flat_map(|(d, v)| document_items(d, v, dimension)).collect();
        if let Err(e) = self.vectors.upsert_batch(items) {
            self.vector_index_lagged("upsert documents", &e);
        }
        for id in stale {
            if let Err(e) = self.vectors.remove(&id) {
                self.vector_index_lagged("remove stale passages", &e);
            }
        }
        Ok(WriteSummary { ids, written, unchanged: 0 })
    }

    /// Inserts or replaces images (all or none). `bytes[i]` holds the image's content, if any.
    pub fn put_images(&self, images: Vec<(ImageRecord, Option<Vec<u8>>)>) -> Result<WriteSummary, BraidError> {
        let mut prepared = Vec::with_capacity(images.len());
        for (i, (mut img, bytes)) in images.into_iter().enumerate() {
            validate_image(&img, bytes.as_deref()).map_err(|e| e.in_item(i))?;
            img.media_type = match &bytes {
                Some(b) => {
                    Some(sniff_media_type(b).map_err(|m| BraidError::invalid("image", m).in_item(i))?.to_string())
                }
                None => None,
            };
            img.base64 = None;
            img.indexed_text = self.enriched_image_text(&img);
            let vector = self.embed_image(&img, bytes.as_deref()).map_err(|e| e.in_item(i))?;
            prepared.push((img, bytes, vector));
        }
        let _w = self.lock_writer()?;
        self.store.write(&WriteBatch { images: prepared.clone(), ..Default::default() })?;
        let ids: Vec<String> = prepared.iter().map(|(img, _, _)| img.id.clone()).collect();
        {
            let mut graph = self.graph.write().unwrap_or_else(|e| e.into_inner());
            for (img, _, _) in &prepared {
                graph.unlink_item(&img.id);
                graph.link_item(&img.id, &img.depicts);
            }
        }
        let written = prepared.len();
        if let Err(e) =
            self.vectors.upsert_batch(prepared.into_iter().map(|(img, _, v)| (image_item(&img), v)).collect())
        {
            self.vector_index_lagged("upsert images", &e);
        }
        Ok(WriteSummary { ids, written, unchanged: 0 })
    }

    /// Deletes a document from the store, the vector index and the graph's provenance.
    pub fn delete_document(&self, id: &str) -> Result<(), BraidError> {
        let _w = self.lock_writer()?;
        let Some(doc) = self.store.document(id)? else {
            return Err(BraidError::NotFound { what: "document", id: id.into() });
        };
        self.store.write(&WriteBatch { delete_documents: vec![id.into()], ..Default::default() })?;
        for item in item_ids(&doc) {
            if let Err(e) = self.vectors.remove(&item) {
                self.vector_index_lagged("delete document", &e);
            }
        }
        self.graph.write().unwrap_or_else(|e| e.into_inner()).unlink_item(id);
        Ok(())
    }

    /// Deletes an image everywhere.
    pub fn delete_image(&self, id: &str) -> Result<(), BraidError> {
        let _w = self.lock_writer()?;
        if self.store.image(id)?.is_none() {
            return Err(BraidError::NotFound { what: "image", id: id.into() });
        }
        self.store.write(&WriteBatch { delete_images: vec![id.into()], ..Default::default() })?;
        if let Err(e) = self.vectors.remove(id) {
            self.vector_index_lagged("delete image", &e);
        }
        self.graph.write().unwrap_or_else(|e| e.into_inner()).unlink_item(id);
        Ok(())
    }

    /// Deletes an entity and its relations.
    pub fn delete_entity(&self, id: &str) -> Result<(), BraidError> {
        let _w = self.lock_writer()?;
        let relations: Vec<Relation> = {
            let graph = self.graph.read().unwrap_or_else(|e| e.into_inner());
            if !graph.contains(id) {
                return Err(BraidError::NotFound { what: "entity", id: id.into() });
            }
            graph.facts_of(id).into_iter().map(|f| Relation::new(f.source, f.relation, f.target)).collect()
        };
        self.store.write(&WriteBatch {
            delete_entities: vec![id.into()],
            delete_relations: relations,
            ..Default::default()
        })?;
        self.graph.write().unwrap_or_else(|e| e.into_inner()).remove_entity(id);
        Ok(())
    }

    /// Caption and tags, plus the names of what the image depicts and their `is_a` ancestors,
    /// so a trumpet stamp is found by "musical instruments" without a multimodal model.
    fn enriched_image_text(&self, img: &ImageRecord) -> String {
        let graph = self.graph.read().unwrap_or_else(|e| e.into_inner());
        let mut parts: Vec<String> = vec![img.caption.clone()];
        parts.extend(img.tags.iter().cloned());
        let up = NeighborQuery {
            depth: 3,
            relation: Some("is_a".into()),
            direction: Direction::Out,
            limit: ENRICH_ANCESTORS,
        };
        for id in &img.depicts {
            let Some(e) = graph.entity(id) else { continue };
            parts.push(e.name.clone());
            if let Ok(n) = graph.neighbors(id, &up) {
                parts.extend(n.entities.into_iter().map(|a| a.name));
            }
        }
        let mut seen = std::collections::HashSet::new();
        parts.retain(|p| !p.trim().is_empty() && seen.insert(p.to_lowercase()));
        parts.join(". ")
    }

    /// One concatenation of passage vectors per document, embedded in one batch.
    fn embed_documents(&self, documents: &[DocumentRecord]) -> Result<Vec<Vec<f32>>, BraidError> {
        let texts: Vec<Vec<String>> = documents.iter().map(passage_texts).collect();
        let flat: Vec<&str> = texts.iter().flatten().map(String::as_str).collect();
        let mut vectors = self.embedder.embed_texts(&flat)?.into_iter();
        Ok(texts.iter().map(|t| vectors.by_ref().take(t.len()).flatten().collect()).collect())
    }

    fn embed_image(&self, img: &ImageRecord, bytes: Option<&[u8]>) -> Result<Vec<f32>, BraidError> {
        match bytes {
            Some(b) if self.embedder.is_multimodal() => Ok(self
                .embedder
                .embed_images(&[b])?
                .pop()
                .ok_or_else(|| BraidError::Internal("embedder returned no vector".into()))?),
            _ => {
                let text = if img.indexed_text.is_empty() { &img.caption } else { &img.indexed_text };
                if text.trim().is_empty() {
                    // Depicted ids that are not (yet) in the graph add no text.
                    let why = if bytes.is_some() {
                        format!(
                            "the embedder {} cannot embed image bytes; give a caption, tags or known depicted entities",
                            self.embedder.name()
                        )
                    } else {
                        "an image needs a caption, tags, known depicted entities or its bytes".to_string()
                    };
                    return Err(BraidError::invalid("caption", why));
                }
                Ok(self.embedder.embed_text(text)?)
            }
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

/// The texts a document is embedded by: each passage with the title before it.
fn passage_texts(d: &DocumentRecord) -> Vec<String> {
    crate::passages::split(&d.text)
        .into_iter()
        .map(|p| if d.title.is_empty() { p } else { format!("{}\n{}", d.title, p) })
        .collect()
}

/// The vector-index ids of a document: its id, or one per passage.
fn item_ids(d: &DocumentRecord) -> Vec<String> {
    match crate::passages::split(&d.text).len() {
        1 => vec![d.id.clone()],
        n => (1..=n).map(|i| crate::passages::passage_id(&d.id, i)).collect(),
    }
}

/// The vector-index items of a document and their vectors, cut from the concatenation
/// of its passage vectors.
fn document_items(d: &DocumentRecord, vectors: &[f32], dimension: usize) -> Vec<(Item, Vec<f32>)> {
    let passages = crate::passages::split(&d.text);
    if passages.len() == 1 {
        return vec![(document_item(d), vectors.to_vec())];
    }
    passages
        .into_iter()
        .zip(vectors.chunks(dimension.max(1)))
        .enumerate()
        .map(|(i, (text, v))| {
            let item = Item {
                id: crate::passages::passage_id(&d.id, i + 1),
                kind: crate::passages::PASSAGE_KIND.into(),
                text,
                ..document_item(d)
            };
            (item, v.to_vec())
        })
        .collect()
}

fn document_item(d: &DocumentRecord) -> Item {
    Item {
        id: d.id.clone(),
        modality: VectorModality::Text,
        kind: "document".into(),
        title: d.title.clone(),
        text: d.text.clone(),
        tags: Vec::new(),
        entities: d.entities.clone(),
        source: d.source.clone(),
    }
}

fn image_item(img: &ImageRecord) -> Item {
    Item {
        id: img.id.clone(),
        modality: VectorModality::Image,
        kind: "image".into(),
        title: img.caption.clone(),
        text: if img.indexed_text.is_empty() { img.caption.clone() } else { img.indexed_text.clone() },
        tags: img.tags.clone(),
        entities: img.depicts.clone(),
        source: img.source.clone(),
    }
}

fn validate_id(id: &str) -> Result<(), BraidError> {
    if id.trim().is_empty() {
        return Err(BraidError::invalid("id", "must not be empty"));
    }
    if id.len() > 512 {
        return Err(BraidError::invalid("id", "is longer than 512 bytes"));
    }
    if id.chars().any(char::is_control) {
        return Err(BraidError::invalid("id", "must not contain control characters"));
    }
    Ok(())
}

/// Both endpoints of `r` exist in `graph` and its type is not blank.
fn check_relation(graph: &Graph, r: &Relation) -> Result<(), BraidError> {
    if r.relation.trim().is_empty() {
        return Err(BraidError::invalid("relation", "must not be empty"));
    }
    for (field, id) in [("source", &r.source), ("target", &r.target)] {
        if !graph.contains(id) {
            return Err(BraidError::invalid(field, format!("unknown entity '{id}'")));
        }
    }
    Ok(())
}

fn validate_entity(e: &Entity) -> Result<(), BraidError> {
    validate_id(&e.id)?;
    if e.name.trim().is_empty() {
        return Err(BraidError::invalid("name", "must not be empty"));
    }
    if e.kind.trim().is_empty() {
        return Err(BraidError::invalid("type", "must not be empty"));
    }
    Ok(())
}

fn validate_document(d: &DocumentRecord) -> Result<(), BraidError> {
    validate_id(&d.id)?;
    if d.text.trim().is_empty() {
        return Err(BraidError::invalid("text", "must not be empty"));
    }
    if d.text.len() > MAX_TEXT_BYTES {
        return Err(BraidError::invalid("text", format!("is {} bytes; the limit is {MAX_TEXT_BYTES}", d.text.len())));
    }
    Ok(())
}

fn validate_image(img: &ImageRecord, bytes: Option<&[u8]>) -> Result<(), BraidError> {
    validate_id(&img.id)?;
    let blank = |v: &[String]| v.iter().all(|s| s.trim().is_empty());
    if img.caption.trim().is_empty() && blank(&img.tags) && blank(&img.depicts) && bytes.is_none() {
        return Err(BraidError::invalid("caption", "an image needs a caption, tags, depicted entities or its bytes"));
    }
    if let Some(i) = img.depicts.iter().position(|d| d.trim().is_empty()) {
        return Err(BraidError::invalid(format!("depicts[{i}]"), "must not be empty"));
    }
    if let Some(b) = bytes
        && b.len() > MAX_IMAGE_BYTES
    {
        return Err(BraidError::invalid("image", format!("is {} bytes; the limit is {MAX_IMAGE_BYTES}", b.len())));
    }
    if let Some(url) = &img.url {
        let parsed = url::Url::parse(url).map_err(|e| BraidError::invalid("url", format!("not a URL: {e}")))?;
        braid_web::check_public_url(&parsed).map_err(|e| BraidError::invalid("url", e.to_string()))?;
    }
    Ok(())
}

/// Decodes standard base64 (with or without padding, whitespace ignored).
pub fn decode_base64(field: &str, text: &str) -> Result<Vec<u8>, BraidError> {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    // Accept data URLs ("data:image/png;base64,....") as browsers produce them.
    let payload = cleaned.split_once("base64,").map_or(cleaned.as_str(), |(_, b)| b);
    if payload.is_empty() {
        return Err(BraidError::invalid(field, "is empty"));
    }
    LENIENT.decode(payload).map_err(|e| BraidError::invalid(field, format!("not valid base64: {e}")))
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
