//! The graph route on a graph server (`Options::graph`): the knowledge base writes the
//! server at start-up and on every write, the graph route and the linker read it, and a
//! server that is down fails the graph route only. The "server" here is a second, separate
//! in-memory graph behind the same seam (the FalkorDB backend is checked against the
//! in-memory graph in braid-graph's tests), so the test sees exactly what was written to it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use braid_graph::{
    Direction, Edge, EmbeddedGraph, EntityFilter, EntityLink, GraphBackend, GraphBackendInfo, GraphCounts, GraphError,
    ImportReport, LinkOptions, SchemaStats, Step,
};
use braid_kb::records::{Entity, Relation};
use braid_kb::{BraidError, KnowledgeBase, Options};
use braid_router::{QueryRequest, QueryResponse, Route, SourceStatus};

/// An in-memory graph that can be taken down like a server.
struct Server {
    graph: EmbeddedGraph,
    down: AtomicBool,
}

impl Server {
    fn new() -> Arc<Server> {
        Arc::new(Server { graph: EmbeddedGraph::new(), down: AtomicBool::new(false) })
    }
    fn up(&self) -> Result<&EmbeddedGraph, GraphError> {
        if self.down.load(Ordering::Relaxed) {
            return Err(GraphError::Unavailable("127.0.0.1:1: connection refused".into()));
        }
        Ok(&self.graph)
    }
}

impl GraphBackend for Server {
    fn info(&self) -> GraphBackendInfo {
        self.graph.info()
    }
    fn version(&self) -> u64 {
        self.graph.version()
    }
    fn counts(&self) -> Result<GraphCounts, GraphError> {
        self.up()?.counts()
    }
    fn entities(&self, ids: &[String]) -> Result<Vec<Entity>, GraphError> {
        self.up()?.entities(ids)
    }
    fn find_entities(&self, filter: &EntityFilter, limit: usize) -> Result<Vec<Entity>, GraphError> {
        self.up()?.find_entities(filter, limit)
    }
    fn expand(&self, ids: &[String], step: &Step, limit: usize) -> Result<Vec<Edge>, GraphError> {
        self.up()?.expand(ids, step, limit)
    }
    fn degrees(&self, ids: &[String]) -> Result<Vec<usize>, GraphError> {
        self.up()?.degrees(ids)
    }
    fn count_related(&self, id: &str, relation: &str, direction: Direction) -> Result<usize, GraphError> {
        self.up()?.count_related(id, relation, direction)
    }
    fn schema_stats(&self) -> Result<Arc<SchemaStats>, GraphError> {
        self.up()?.schema_stats()
    }
    fn link(&self, text: &str, options: &LinkOptions) -> Result<Vec<EntityLink>, GraphError> {
        self.up()?.link(text, options)
    }
    fn sample_relations(&self, n: usize, seed: u64) -> Result<Vec<Relation>, GraphError> {
        self.up()?.sample_relations(n, seed)
    }
    fn upsert_entities(&self, entities: Vec<Entity>) -> Result<ImportReport, GraphError> {
        self.up()?.upsert_entities(entities)
    }
    fn add_relations(&self, relations: Vec<Relation>) -> Result<ImportReport, GraphError> {
        self.up()?.add_relations(relations)
    }
    fn remove_entity(&self, id: &str) -> Result<bool, GraphError> {
        self.up()?.remove_entity(id)
    }
    fn clear(&self) -> Result<(), GraphError> {
        self.up()?.clear()
    }
    fn link_item(&self, item: &str, entities: &[String]) {
        self.graph.link_item(item, entities)
    }
    fn unlink_item(&self, item: &str) -> bool {
        self.graph.unlink_item(item)
    }
    fn items_of(&self, entity: &str) -> Vec<String> {
        self.graph.items_of(entity)
    }
    fn entities_of_item(&self, item: &str) -> Vec<String> {
        self.graph.entities_of_item(item)
    }
    fn rank_items(&self, ranked: &[(String, f64)], top: usize) -> Vec<(String, f64)> {
        self.graph.rank_items(ranked, top)
    }
}

fn open(dir: &std::path::Path, server: &Arc<Server>) -> Result<KnowledgeBase, BraidError> {
    let mut options = Options::new(dir, Arc::new(braid_vector::HashingEmbedder::new(64)));
    options.checkpoints = None;
    options.graph = Some(server.clone());
    KnowledgeBase::open(options)
}

fn films(kb: &KnowledgeBase) -> Result<(), BraidError> {
    kb.put_entities(vec![
        Entity::new("person:ozu", "Yasujiro Ozu", "person"),
        Entity::new("person:naruse", "Mikio Naruse", "person"),
        Entity::new("film:floating-clouds", "Floating Clouds", "film"),
        Entity::new("film:tokyo-story", "Tokyo Story", "film"),
    ])?;
    kb.put_relations(vec![
        Relation::new("film:floating-clouds", "directed_by", "person:naruse"),
        Relation::new("film:tokyo-story", "directed_by", "person:ozu"),
    ])?;
    Ok(())
}

fn query(kb: &KnowledgeBase, text: &str) -> Result<QueryResponse, BraidError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| BraidError::Internal(e.to_string()))?;
    let mut request = QueryRequest::new(text);
    request.routes = Some(vec![Route::Graph]);
    runtime.block_on(kb.query(&request))
}

fn ids(answer: &QueryResponse) -> Vec<&str> {
    answer.results.iter().map(|h| h.id.as_str()).collect()
}

#[test]
fn the_graph_route_reads_the_server_the_knowledge_base_writes() -> Result<(), BraidError> {
    let dir = tempfile::tempdir().map_err(|e| BraidError::Internal(e.to_string()))?;
    let server = Server::new();
    let kb = open(dir.path(), &server)?;
    films(&kb)?;
    assert_eq!(server.counts()?, GraphCounts { entities: 4, relations: 2 });
    let status = kb.status()?;
    assert_eq!(status.graph.counts, Some(GraphCounts { entities: 4, relations: 2 }));
    assert_eq!(status.graph.missed_writes, 0);

    let answer = query(&kb, "who directed Floating Clouds?")?;
    assert_eq!(ids(&answer)[0], "person:naruse", "{:?}", ids(&answer));

    // The route reads the server, not the knowledge base's own copy: what the server no
    // longer has is no longer answered.
    server.remove_entity("person:naruse")?;
    let answer = query(&kb, "who directed Floating Clouds?")?;
    assert!(!ids(&answer).contains(&"person:naruse"), "{:?}", ids(&answer));

    // Deletes follow; a new start writes the store's graph whole to the server again.
    kb.delete_entity("film:tokyo-story")?;
    assert_eq!(server.entity("film:tokyo-story")?, None);
    kb.close();
    drop(kb);
    let fresh = Server::new();
    let kb = open(dir.path(), &fresh)?;
    assert_eq!(fresh.counts()?, GraphCounts { entities: 3, relations: 1 });
    assert_eq!(ids(&query(&kb, "who directed Floating Clouds?")?)[0], "person:naruse");
    Ok(())
}

#[test]
fn a_server_that_is_down_fails_the_graph_route_only() -> Result<(), BraidError> {
    let dir = tempfile::tempdir().map_err(|e| BraidError::Internal(e.to_string()))?;
    let server = Server::new();
    let kb = open(dir.path(), &server)?;
    films(&kb)?;
    server.down.store(true, Ordering::Relaxed);

    // The query answers (no error), the graph route says what went wrong.
    let answer = query(&kb, "who directed Floating Clouds?")?;
    let graph = answer.sources.iter().find(|s| s.route == Route::Graph).expect("graph reported");
    assert_ne!(graph.status, SourceStatus::Ok, "{graph:?}");
    assert!(format!("{graph:?}").contains("connection refused"), "{graph:?}");
    assert!(answer.results.is_empty());
    let status = kb.status()?;
    assert_eq!(status.graph.counts, None);
    assert!(status.graph.error.as_deref().is_some_and(|e| e.contains("connection refused")), "{status:?}");

    // Writes are kept by the store of record while the server is down; the next start
    // writes them to the server.
    kb.put_entities(vec![Entity::new("person:kurosawa", "Akira Kurosawa", "person")])?;
    assert_eq!(kb.status()?.graph.missed_writes, 1);
    kb.close();
    drop(kb);
    server.down.store(false, Ordering::Relaxed);
    let _kb = open(dir.path(), &server)?;
    assert_eq!(server.counts()?.entities, 5);
    Ok(())
}
