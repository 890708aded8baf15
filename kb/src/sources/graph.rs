//! The graph route: relational answers with their facts, paths between linked entities,
//! the linked entities themselves, and what personalised PageRank ranks near them.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use braid_graph::{Direction, Entity, GraphBackend, GraphError, GraphQuestion, PprParams, SubgraphBound};
use braid_router::{CueDirection, Filters, Hit, HitKind, Route, Source, SourceAnswer, SourceError, SourceRequest};

use super::hits::{entity_hit, item_hit};
use crate::store::Store;

/// Facts shown for an entity that was linked but is not itself an answer.
const SEED_FACTS: usize = 3;
/// Personalised PageRank on the query path: a coarser tolerance than the library default
/// bounds the work per query (local push does O(1/(ε·α)) pushes), and only the top of the
/// ranking is used.
const QUERY_PPR: PprParams = PprParams { alpha: 0.15, epsilon: 1e-4, max_pushes: 50_000 };

/// The graph route: relational answers with their facts, the linked entities, and the
/// entities, documents and images nearest to them by personalised PageRank. It reads the
/// graph through the [`GraphBackend`] seam, so the graph may be in this process or on a
/// graph database server; a backend that fails makes this route fail, not the query.
pub struct GraphSource {
    graph: Arc<dyn GraphBackend>,
    store: Arc<Store>,
}

impl GraphSource {
    /// A graph source; `store` provides titles of linked documents and images.
    pub fn new(graph: Arc<dyn GraphBackend>, store: Arc<Store>) -> Self {
        GraphSource { graph, store }
    }
}

#[async_trait]
impl Source for GraphSource {
    fn route(&self) -> Route {
        Route::Graph
    }

    fn availability(&self) -> Result<(), String> {
        match self.graph.counts() {
            Ok(counts) if counts.entities == 0 => {
                Err("the graph is empty: import entities and relations first (braid ingest)".into())
            }
            // A graph server that cannot answer: the route runs and reports the error, so the
            // response says what went wrong rather than that the route was skipped.
            Ok(_) | Err(_) => Ok(()),
        }
    }

    async fn search(&self, request: &SourceRequest) -> Result<Vec<Hit>, SourceError> {
        Ok(self.answer(request).await?.hits)
    }

    async fn answer(&self, request: &SourceRequest) -> Result<SourceAnswer, SourceError> {
        let graph = self.graph.clone();
        let store = self.store.clone();
        let request = request.clone();
        tokio::task::spawn_blocking(move || graph_hits(graph.as_ref(), &store, &request))
            .await
            .map_err(|e| SourceError::Failed(format!("graph task failed: {e}")))?
    }
}

fn source_error(error: GraphError) -> SourceError {
    match error {
        GraphError::InvalidInput { field, message } => SourceError::InvalidInput { field: field.to_string(), message },
        other => SourceError::Failed(other.to_string()),
    }
}

/// A hit found before the entities are looked up (in one batch, at the end).
enum Pending {
    Entity { id: String, score: f32, facts: Vec<String> },
    Item(Hit),
}

pub(crate) fn graph_hits(
    graph: &dyn GraphBackend,
    store: &Store,
    request: &SourceRequest,
) -> Result<SourceAnswer, SourceError> {
    let f = &request.features;
    let mut seeds = f.entity_ids();
    if seeds.is_empty() {
        seeds = graph.entities(&request.filters.entities).map_err(source_error)?.into_iter().map(|e| e.id).collect();
    }
    if seeds.is_empty() {
        // Nothing linked, or a graph server that is down (the linker cannot say): ask.
        graph.counts().map_err(source_error)?;
        return Ok(SourceAnswer::default());
    }
    let mut total: Option<usize> = None;
    let limit = request.k.max(10) * 2;
    let mut pending: Vec<Pending> = Vec::new();

    // 1. Paths: "how are Kenya and Ethiopia connected".
    if f.wants_path() && seeds.len() >= 2 {
        let path = match graph.shortest_path(&seeds[0], &seeds[1], None) {
            Ok(path) => path,
            Err(GraphError::UnknownEntity(_) | GraphError::InvalidInput { .. }) => None,
            Err(e) => return Err(source_error(e)),
        };
        if let Some(path) = path {
            let facts: Vec<String> = path.iter().map(|p| p.text()).collect();
            let mut ids: Vec<String> = Vec::new();
            for fact in &path {
                for id in [&fact.source, &fact.target] {
                    if !ids.contains(id) {
                        ids.push(id.clone());
                    }
                }
            }
            for (i, id) in ids.into_iter().enumerate() {
                pending.push(Pending::Entity { id, score: 1.0 / (1.0 + i as f32), facts: facts.clone() });
            }
        }
    }

    // 2. Relational answers: each relation the query names (or implies), followed the way
    // introspection read it; answers of the type the query names ("which films…") when the
    // relation reaches that type.
    let schema = graph.schema_stats().map_err(source_error)?;
    for cue in f.relations.iter().filter(|r| r.relation != braid_router::PATH_RELATION) {
        let direction = match cue.direction {
            CueDirection::Out => Direction::Out,
            CueDirection::In => Direction::In,
            CueDirection::Both => Direction::Both,
        };
        let reaches = |kind: &str| {
            schema.relation(&cue.relation).is_some_and(|r| match direction {
                Direction::Out => r.has_target_type(kind),
                Direction::In => r.has_source_type(kind),
                Direction::Both => r.has_source_type(kind) || r.has_target_type(kind),
            })
        };
        let target_kind = f.types.iter().find(|t| reaches(t)).cloned();
        let question = GraphQuestion {
            seeds: seeds.clone(),
            relations: vec![cue.relation.clone()],
            direction,
            target_kind,
            limit,
        };
        let found = graph.answer_counted(&question).map_err(source_error)?;
        total = Some(total.unwrap_or(0) + found.total);
        for answer in found.answers {
            let facts = answer.facts.iter().map(|x| x.text()).collect();
            pending.push(Pending::Entity { id: answer.entity.id, score: answer.score as f32, facts });
        }
    }

    // 3. The linked entities themselves.
    for e in &f.entities {
        let facts = graph.facts_of(&e.id, SEED_FACTS).map_err(source_error)?.iter().map(|x| x.text()).collect();
        pending.push(Pending::Entity { id: e.id.clone(), score: e.confidence * 0.5, facts });
    }

    // 4. Personalised PageRank from the seeds ranks the neighbourhood and linked items.
    let weighted: Vec<(String, f64)> = f
        .entities
        .iter()
        .map(|e| (e.id.clone(), f64::from(e.confidence)))
        .chain(seeds.iter().filter(|s| !f.entities.iter().any(|e| &e.id == *s)).map(|s| (s.clone(), 1.0)))
        .collect();
    let ppr = graph.personalized_pagerank(&weighted, &QUERY_PPR, &SubgraphBound::default()).map_err(source_error)?;
    let ppr = ppr.ranked;
    let top = ppr.iter().map(|(_, s)| *s).fold(f64::EPSILON, f64::max);
    for (item, score) in graph.rank_items(&ppr, limit) {
        if let Some(h) = item_hit(store, &item, (score / top) as f32 * 0.4, None) {
            pending.push(Pending::Item(h));
        }
    }
    for (id, score) in ppr.iter().take(limit) {
        pending.push(Pending::Entity { id: id.clone(), score: (score / top) as f32 * 0.3, facts: Vec::new() });
    }

    // The entities, looked up once; answers keep their order (they were added by strength
    // of evidence); then filters.
    let mut ids: Vec<String> = Vec::new();
    let mut asked = HashSet::new();
    for p in &pending {
        if let Pending::Entity { id, .. } = p
            && asked.insert(id.as_str())
        {
            ids.push(id.clone());
        }
    }
    let entities: HashMap<String, Entity> =
        graph.entities(&ids).map_err(source_error)?.into_iter().map(|e| (e.id.clone(), e)).collect();
    let mut hits: Vec<Hit> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for p in pending {
        let hit = match p {
            Pending::Entity { id, score, facts } => entities.get(&id).map(|e| entity_hit(e, score, facts)),
            Pending::Item(hit) => Some(hit),
        };
        if let Some(h) = hit {
            push(&mut hits, &mut seen, h);
        }
    }
    hits.retain(|h| passes(h, graph, &entities, &request.filters));
    hits.truncate(request.k);
    Ok(SourceAnswer { hits, total, stages: Vec::new() })
}

fn push(hits: &mut Vec<Hit>, seen: &mut HashSet<String>, hit: Hit) {
    if seen.insert(hit.id.clone()) {
        hits.push(hit);
    }
}

fn passes(hit: &Hit, graph: &dyn GraphBackend, entities: &HashMap<String, Entity>, filters: &Filters) -> bool {
    if let Some(m) = filters.modality
        && hit.modality != m
    {
        return false;
    }
    // `entities`: an entity passes when it is one of them, an item when it is linked to one.
    if !filters.entities.is_empty() {
        let ok = match hit.kind {
            HitKind::Entity => filters.entities.contains(&hit.id),
            HitKind::Document | HitKind::Image => {
                graph.entities_of_item(&hit.id).iter().any(|e| filters.entities.contains(e))
            }
            HitKind::Web => false,
        };
        if !ok {
            return false;
        }
    }
    if let Some(kind) = &filters.kind {
        let ok = match hit.kind {
            HitKind::Entity => entities.get(&hit.id).is_some_and(|e| &e.kind == kind),
            HitKind::Document => kind == "document",
            HitKind::Image => kind == "image",
            HitKind::Web => kind == "web",
        };
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use braid_graph::{
        Edge, EmbeddedGraph, EntityFilter, EntityLink, GraphBackendInfo, GraphCounts, ImportReport, LinkOptions,
        Relation, SchemaStats, Step,
    };
    use braid_router::{EntityLinker, Router};

    use super::*;
    use crate::sources::GraphLinker;

    /// A graph seen only through the seam's primitives, which can be taken down like a
    /// graph server.
    struct Switchable {
        inner: EmbeddedGraph,
        down: AtomicBool,
    }

    impl Switchable {
        fn check(&self) -> Result<(), GraphError> {
            if self.down.load(Ordering::Relaxed) {
                return Err(GraphError::Unavailable("127.0.0.1:1: connection refused".into()));
            }
            Ok(())
        }
    }

    impl GraphBackend for Switchable {
        fn info(&self) -> GraphBackendInfo {
            self.inner.info()
        }
        fn version(&self) -> u64 {
            self.inner.version()
        }
        fn counts(&self) -> Result<GraphCounts, GraphError> {
            self.check()?;
            self.inner.counts()
        }
        fn entities(&self, ids: &[String]) -> Result<Vec<Entity>, GraphError> {
            self.check()?;
            self.inner.entities(ids)
        }
        fn find_entities(&self, filter: &EntityFilter, limit: usize) -> Result<Vec<Entity>, GraphError> {
            self.check()?;
            self.inner.find_entities(filter, limit)
        }
        fn expand(&self, ids: &[String], step: &Step, limit: usize) -> Result<Vec<Edge>, GraphError> {
            self.check()?;
            self.inner.expand(ids, step, limit)
        }
        fn degrees(&self, ids: &[String]) -> Result<Vec<usize>, GraphError> {
            self.check()?;
            self.inner.degrees(ids)
        }
        fn count_related(&self, id: &str, relation: &str, direction: Direction) -> Result<usize, GraphError> {
            self.check()?;
            self.inner.count_related(id, relation, direction)
        }
        fn schema_stats(&self) -> Result<Arc<SchemaStats>, GraphError> {
            self.check()?;
            self.inner.schema_stats()
        }
        fn link(&self, text: &str, options: &LinkOptions) -> Result<Vec<EntityLink>, GraphError> {
            self.check()?;
            self.inner.link(text, options)
        }
        fn sample_relations(&self, n: usize, seed: u64) -> Result<Vec<Relation>, GraphError> {
            self.check()?;
            self.inner.sample_relations(n, seed)
        }
        fn upsert_entities(&self, entities: Vec<Entity>) -> Result<ImportReport, GraphError> {
            self.check()?;
            self.inner.upsert_entities(entities)
        }
        fn add_relations(&self, relations: Vec<Relation>) -> Result<ImportReport, GraphError> {
            self.check()?;
            self.inner.add_relations(relations)
        }
        fn remove_entity(&self, id: &str) -> Result<bool, GraphError> {
            self.check()?;
            self.inner.remove_entity(id)
        }
        fn clear(&self) -> Result<(), GraphError> {
            self.check()?;
            self.inner.clear()
        }
        fn link_item(&self, item: &str, entities: &[String]) {
            self.inner.link_item(item, entities)
        }
        fn unlink_item(&self, item: &str) -> bool {
            self.inner.unlink_item(item)
        }
        fn items_of(&self, entity: &str) -> Vec<String> {
            self.inner.items_of(entity)
        }
        fn entities_of_item(&self, item: &str) -> Vec<String> {
            self.inner.entities_of_item(item)
        }
        fn rank_items(&self, ranked: &[(String, f64)], top: usize) -> Vec<(String, f64)> {
            self.inner.rank_items(ranked, top)
        }
    }

    #[tokio::test]
    async fn the_graph_route_answers_through_the_seam_and_reports_a_backend_outage() {
        let graph = Arc::new(Switchable { inner: EmbeddedGraph::new(), down: AtomicBool::new(false) });
        graph
            .upsert_entities(vec![
                Entity::new("country:KEN", "Kenya", "country"),
                Entity::new("city:nbo", "Nairobi", "city"),
                Entity::new("country:ETH", "Ethiopia", "country"),
            ])
            .unwrap();
        graph
            .add_relations(vec![
                Relation::new("country:KEN", "capital", "city:nbo"),
                Relation::new("country:KEN", "borders", "country:ETH"),
            ])
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let linker = GraphLinker::new(graph.clone());
        let router = Router::new(Arc::new(GraphLinker::new(graph.clone())));
        let source = GraphSource::new(graph.clone(), store);
        let request = SourceRequest {
            query: "tell me about Kenya".into(),
            features: Arc::new(router.features("tell me about Kenya", false)),
            k: 10,
            filters: Filters::default(),
            image: None,
            ef: None,
        };
        assert_eq!(request.features.entity_ids(), vec!["country:KEN".to_string()]);
        assert!(source.availability().is_ok());
        let answer = source.answer(&request).await.unwrap();
        let ids: Vec<&str> = answer.hits.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids[0], "country:KEN", "{ids:?}");
        assert!(ids.contains(&"city:nbo") && ids.contains(&"country:ETH"), "{ids:?}");
        assert!(answer.hits[0].facts.iter().any(|f| f == "Kenya —capital→ Nairobi"), "{:?}", answer.hits[0]);

        // The server goes down: the route fails with the backend's error (the router marks
        // the route, the other routes still answer) and the linker links nothing.
        graph.down.store(true, Ordering::Relaxed);
        let error = source.answer(&request).await.unwrap_err();
        assert!(matches!(&error, SourceError::Failed(m) if m.contains("unavailable")), "{error:?}");
        assert!(source.availability().is_ok(), "the route runs to report the error");
        let nothing_linked = SourceRequest { features: Arc::new(router.features("hello", false)), ..request.clone() };
        assert!(matches!(source.answer(&nothing_linked).await, Err(SourceError::Failed(_))));
        assert!(linker.link("tell me about Kenya").is_empty());
        assert_eq!(linker.count_related("country:KEN", "capital", CueDirection::Out), 0);

        graph.down.store(false, Ordering::Relaxed);
        assert_eq!(source.answer(&request).await.unwrap().hits.len(), answer.hits.len());
    }
}
