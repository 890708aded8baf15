//! The graph route on a graph database server: [`ServerGraph`] reads entities, relations,
//! paths, answers and linking from the server, and item provenance (which documents and
//! images mention an entity) from the knowledge base's own graph, where the store of record
//! puts it.
//!
//! The server is *managed*: the knowledge base writes it. Every entity and relation write
//! goes to the store of record first, then to the server; start-up clears the server's graph
//! and writes the store's entities and relations to it again, so a write the server missed
//! (it was down) is there after the next start. Writes are acknowledged once the store of
//! record has them, as for the vector backends.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use braid_graph::{
    Direction, Edge, EmbeddedGraph, Entity, EntityFilter, EntityLink, Fact, GraphAnswers, GraphBackend,
    GraphBackendInfo, GraphCounts, GraphError, GraphQuestion, ImportReport, LinkOptions, NeighborQuery, Neighborhood,
    PprParams, RankedEntities, Relation, SchemaStats, Step, SubgraphBound,
};

/// Records written to the server per call at start-up.
const SYNC_BATCH: usize = 10_000;

/// A graph server for the graph, the knowledge base's graph for item provenance.
pub struct ServerGraph {
    server: Arc<dyn GraphBackend>,
    local: EmbeddedGraph,
    missed: AtomicU64,
}

impl ServerGraph {
    /// Reads from `server`, item links from `local`.
    pub fn new(server: Arc<dyn GraphBackend>, local: EmbeddedGraph) -> Self {
        ServerGraph { server, local, missed: AtomicU64::new(0) }
    }

    /// Counts a write the server missed.
    pub fn missed_write(&self) {
        self.missed.fetch_add(1, Ordering::Relaxed);
    }

    /// Writes the server missed since start.
    pub fn missed_writes(&self) -> u64 {
        self.missed.load(Ordering::Relaxed)
    }

    /// The server backend (for writes).
    pub fn server(&self) -> &Arc<dyn GraphBackend> {
        &self.server
    }

    /// Clears the server's graph and writes `entities`, then `relations`, to it; what the
    /// server wrote and refused, for each.
    pub fn replace_all(
        &self,
        entities: Vec<Entity>,
        relations: Vec<Relation>,
    ) -> Result<(ImportReport, ImportReport), GraphError> {
        self.server.clear()?;
        let (mut written_entities, mut written_relations) = (ImportReport::default(), ImportReport::default());
        for (n, batch) in entities.chunks(SYNC_BATCH).enumerate() {
            let r = self.server.upsert_entities(batch.to_vec())?;
            add(&mut written_entities, r, n * SYNC_BATCH);
        }
        for (n, batch) in relations.chunks(SYNC_BATCH).enumerate() {
            let r = self.server.add_relations(batch.to_vec())?;
            add(&mut written_relations, r, n * SYNC_BATCH);
        }
        Ok((written_entities, written_relations))
    }
}

fn add(total: &mut ImportReport, batch: ImportReport, offset: usize) {
    total.written += batch.written;
    total.unchanged += batch.unchanged;
    total.rejected.extend(batch.rejected.into_iter().map(|(i, e)| (offset + i, e)));
}

impl GraphBackend for ServerGraph {
    fn info(&self) -> GraphBackendInfo {
        self.server.info()
    }
    fn version(&self) -> u64 {
        self.server.version()
    }
    fn counts(&self) -> Result<GraphCounts, GraphError> {
        self.server.counts()
    }
    fn entities(&self, ids: &[String]) -> Result<Vec<Entity>, GraphError> {
        self.server.entities(ids)
    }
    fn find_entities(&self, filter: &EntityFilter, limit: usize) -> Result<Vec<Entity>, GraphError> {
        self.server.find_entities(filter, limit)
    }
    fn expand(&self, ids: &[String], step: &Step, limit: usize) -> Result<Vec<Edge>, GraphError> {
        self.server.expand(ids, step, limit)
    }
    fn degrees(&self, ids: &[String]) -> Result<Vec<usize>, GraphError> {
        self.server.degrees(ids)
    }
    fn count_related(&self, id: &str, relation: &str, direction: Direction) -> Result<usize, GraphError> {
        self.server.count_related(id, relation, direction)
    }
    fn schema_stats(&self) -> Result<Arc<SchemaStats>, GraphError> {
        self.server.schema_stats()
    }
    fn link(&self, text: &str, options: &LinkOptions) -> Result<Vec<EntityLink>, GraphError> {
        self.server.link(text, options)
    }
    fn entity(&self, id: &str) -> Result<Option<Entity>, GraphError> {
        self.server.entity(id)
    }
    fn facts_of(&self, id: &str, limit: usize) -> Result<Vec<Fact>, GraphError> {
        self.server.facts_of(id, limit)
    }
    fn neighbors(&self, id: &str, query: &NeighborQuery) -> Result<Neighborhood, GraphError> {
        self.server.neighbors(id, query)
    }
    fn shortest_path(
        &self,
        from: &str,
        to: &str,
        relations: Option<&[String]>,
    ) -> Result<Option<Vec<Fact>>, GraphError> {
        self.server.shortest_path(from, to, relations)
    }
    fn answer_counted(&self, question: &GraphQuestion) -> Result<GraphAnswers, GraphError> {
        self.server.answer_counted(question)
    }
    fn personalized_pagerank(
        &self,
        seeds: &[(String, f64)],
        params: &PprParams,
        bound: &SubgraphBound,
    ) -> Result<RankedEntities, GraphError> {
        self.server.personalized_pagerank(seeds, params, bound)
    }
    fn sample_relations(&self, n: usize, seed: u64) -> Result<Vec<Relation>, GraphError> {
        self.server.sample_relations(n, seed)
    }
    fn upsert_entities(&self, entities: Vec<Entity>) -> Result<ImportReport, GraphError> {
        self.server.upsert_entities(entities)
    }
    fn add_relations(&self, relations: Vec<Relation>) -> Result<ImportReport, GraphError> {
        self.server.add_relations(relations)
    }
    fn remove_entity(&self, id: &str) -> Result<bool, GraphError> {
        self.server.remove_entity(id)
    }
    fn clear(&self) -> Result<(), GraphError> {
        self.server.clear()
    }
    fn link_item(&self, item: &str, entities: &[String]) {
        self.local.link_item(item, entities)
    }
    fn unlink_item(&self, item: &str) -> bool {
        self.local.unlink_item(item)
    }
    fn items_of(&self, entity: &str) -> Vec<String> {
        self.local.items_of(entity)
    }
    fn entities_of_item(&self, item: &str) -> Vec<String> {
        self.local.entities_of_item(item)
    }
    fn rank_items(&self, ranked: &[(String, f64)], top: usize) -> Vec<(String, f64)> {
        self.local.rank_items(ranked, top)
    }
}
