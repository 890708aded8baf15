//! The graph route: relational answers with their facts, paths between linked entities,
//! the linked entities themselves, and what personalised PageRank ranks near them.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use braid_graph::{Direction, Graph, GraphQuestion, PprParams};
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
/// entities, documents and images nearest to them by personalised PageRank.
pub struct GraphSource {
    graph: Arc<RwLock<Graph>>,
    store: Arc<Store>,
}

impl GraphSource {
    /// A graph source; `store` provides titles of linked documents and images.
    pub fn new(graph: Arc<RwLock<Graph>>, store: Arc<Store>) -> Self {
        GraphSource { graph, store }
    }
}

#[async_trait]
impl Source for GraphSource {
    fn route(&self) -> Route {
        Route::Graph
    }

    fn availability(&self) -> Result<(), String> {
        if self.graph.read().unwrap_or_else(|e| e.into_inner()).entity_count() == 0 {
            return Err("the graph is empty: import entities and relations first (braid ingest)".into());
        }
        Ok(())
    }

    async fn search(&self, request: &SourceRequest) -> Result<Vec<Hit>, SourceError> {
        Ok(self.answer(request).await?.hits)
    }

    async fn answer(&self, request: &SourceRequest) -> Result<SourceAnswer, SourceError> {
        let graph = self.graph.clone();
        let store = self.store.clone();
        let request = request.clone();
        tokio::task::spawn_blocking(move || {
            let graph = graph.read().unwrap_or_else(|e| e.into_inner());
            graph_hits(&graph, &store, &request)
        })
        .await
        .map_err(|e| SourceError::Failed(format!("graph task failed: {e}")))?
    }
}

fn graph_hits(graph: &Graph, store: &Store, request: &SourceRequest) -> Result<SourceAnswer, SourceError> {
    let f = &request.features;
    let mut seeds = f.entity_ids();
    if seeds.is_empty() {
        seeds = request.filters.entities.iter().filter(|id| graph.contains(id)).cloned().collect();
    }
    if seeds.is_empty() {
        return Ok(SourceAnswer::default());
    }
    let mut total: Option<usize> = None;
    let limit = request.k.max(10) * 2;
    let mut hits: Vec<Hit> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();

    // 1. Paths: "how are Kenya and Ethiopia connected".
    if f.wants_path()
        && seeds.len() >= 2
        && let Ok(Some(path)) = graph.shortest_path(&seeds[0], &seeds[1], None)
    {
        let facts: Vec<String> = path.iter().map(|p| p.text()).collect();
        let mut ids: Vec<String> = Vec::new();
        for fact in &path {
            for id in [&fact.source, &fact.target] {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
        for (i, id) in ids.iter().enumerate() {
            if let Some(h) = entity_hit(graph, id, 1.0 / (1.0 + i as f32), facts.clone()) {
                push(&mut hits, &mut seen, h);
            }
        }
    }

    // 2. Relational answers: each relation the query names (or implies), followed the way
    // introspection read it; answers of the type the query names ("which films…") when the
    // relation reaches that type.
    let schema = graph.schema_stats();
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
        let found = graph.answer_counted(&question);
        total = Some(total.unwrap_or(0) + found.total);
        for answer in found.answers {
            let facts = answer.facts.iter().map(|x| x.text()).collect();
            if let Some(h) = entity_hit(graph, &answer.entity.id, answer.score as f32, facts) {
                push(&mut hits, &mut seen, h);
            }
        }
    }

    // 3. The linked entities themselves.
    for e in &f.entities {
        let facts = graph.facts_of(&e.id).iter().take(SEED_FACTS).map(|x| x.text()).collect();
        if let Some(h) = entity_hit(graph, &e.id, e.confidence * 0.5, facts) {
            push(&mut hits, &mut seen, h);
        }
    }

    // 4. Personalised PageRank from the seeds ranks the neighbourhood and linked items.
    let weighted: Vec<(String, f64)> = f
        .entities
        .iter()
        .map(|e| (e.id.clone(), f64::from(e.confidence)))
        .chain(seeds.iter().filter(|s| !f.entities.iter().any(|e| &e.id == *s)).map(|s| (s.clone(), 1.0)))
        .collect();
    let ppr = graph.personalized_pagerank(&weighted, &QUERY_PPR);
    let top = ppr.iter().map(|(_, s)| *s).fold(f64::EPSILON, f64::max);
    for (item, score) in graph.rank_items(&ppr, limit) {
        if let Some(h) = item_hit(store, &item, (score / top) as f32 * 0.4, None) {
            push(&mut hits, &mut seen, h);
        }
    }
    for (id, score) in ppr.iter().take(limit) {
        if let Some(h) = entity_hit(graph, id, (score / top) as f32 * 0.3, Vec::new()) {
            push(&mut hits, &mut seen, h);
        }
    }

    // Answers keep their order (they were added by strength of evidence); then filters.
    hits.retain(|h| passes(h, graph, &request.filters));
    hits.truncate(request.k);
    Ok(SourceAnswer { hits, total, stages: Vec::new() })
}

fn push(hits: &mut Vec<Hit>, seen: &mut HashSet<String>, hit: Hit) {
    if seen.insert(hit.id.clone()) {
        hits.push(hit);
    }
}

fn passes(hit: &Hit, graph: &Graph, filters: &Filters) -> bool {
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
            HitKind::Entity => graph.entity(&hit.id).is_some_and(|e| &e.kind == kind),
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
