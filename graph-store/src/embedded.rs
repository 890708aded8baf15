//! [`EmbeddedGraph`]: the in-memory [`Graph`] behind the [`GraphBackend`] seam. Its derived
//! operations are the graph's own in-memory algorithms (the whole graph is at hand, so
//! nothing is bounded by round trips), its primitives read the graph directly.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::GraphError;
use crate::backend::{
    Edge, EntityFilter, GraphBackend, GraphBackendInfo, GraphCounts, GraphMode, RankedEntities, Step, SubgraphBound,
};
use crate::graph::Graph;
use crate::model::{
    Direction, Entity, EntityLink, Fact, GraphAnswers, GraphQuestion, ImportReport, LinkOptions, NeighborQuery,
    Neighborhood, PprParams, Relation,
};
use crate::schema::SchemaStats;

/// The in-memory graph as a [`GraphBackend`], shared by readers, replaced whole by a
/// rebuild.
#[derive(Debug, Default, Clone)]
pub struct EmbeddedGraph {
    graph: Arc<RwLock<Graph>>,
}

impl EmbeddedGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// This graph.
    pub fn from_graph(graph: Graph) -> Self {
        EmbeddedGraph { graph: Arc::new(RwLock::new(graph)) }
    }

    /// A graph its owner keeps writing through its own handle (the knowledge base's): the
    /// backend reads and writes the same graph.
    pub fn shared(graph: Arc<RwLock<Graph>>) -> Self {
        EmbeddedGraph { graph }
    }

    /// Reads the graph (for what the seam does not cover: benchmarks, tests).
    pub fn read(&self) -> RwLockReadGuard<'_, Graph> {
        self.graph.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes the graph.
    pub fn write(&self) -> RwLockWriteGuard<'_, Graph> {
        self.graph.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the whole graph (a rebuild from the store of record).
    pub fn replace(&self, graph: Graph) {
        *self.write() = graph;
    }
}

fn edge(graph: &Graph, fact: Fact) -> Edge {
    let kind = |id: &str| graph.entity(id).map(|e| e.kind.clone()).unwrap_or_default();
    Edge { source_type: kind(&fact.source), target_type: kind(&fact.target), fact }
}

impl GraphBackend for EmbeddedGraph {
    fn info(&self) -> GraphBackendInfo {
        GraphBackendInfo {
            backend: "embedded".into(),
            mode: GraphMode::Embedded,
            url: None,
            graph: None,
            linking: None,
        }
    }

    fn version(&self) -> u64 {
        self.read().version()
    }

    fn counts(&self) -> Result<GraphCounts, GraphError> {
        let graph = self.read();
        Ok(GraphCounts { entities: graph.entity_count(), relations: graph.relation_count() })
    }

    fn entities(&self, ids: &[String]) -> Result<Vec<Entity>, GraphError> {
        let graph = self.read();
        let mut seen = HashSet::new();
        Ok(ids.iter().filter(|id| seen.insert(id.as_str())).filter_map(|id| graph.entity(id).cloned()).collect())
    }

    fn find_entities(&self, filter: &EntityFilter, limit: usize) -> Result<Vec<Entity>, GraphError> {
        let graph = self.read();
        let wanted: HashSet<&str> = filter.ids.iter().map(String::as_str).collect();
        let mut found: Vec<Entity> = graph
            .entities()
            .filter(|e| wanted.is_empty() || wanted.contains(e.id.as_str()))
            .filter(|e| filter.kind.as_deref().is_none_or(|k| e.kind == k))
            .filter(|e| filter.props.iter().all(|(key, value)| e.props.get(key) == Some(value)))
            .cloned()
            .collect();
        found.sort_by(|a, b| a.id.cmp(&b.id));
        found.truncate(limit);
        Ok(found)
    }

    fn expand(&self, ids: &[String], step: &Step, limit: usize) -> Result<Vec<Edge>, GraphError> {
        let graph = self.read();
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for id in ids {
            if !seen.insert(id.as_str()) {
                continue;
            }
            // (outgoing first, relation, other end) as the seam orders them.
            let mut facts: Vec<(bool, Fact)> = graph
                .facts_of(id)
                .into_iter()
                .filter(|f| step.follows(&f.relation))
                .flat_map(|f| {
                    let out = (f.source == *id && step.direction != Direction::In).then(|| (false, f.clone()));
                    let inc = (f.target == *id && f.source != *id && step.direction != Direction::Out)
                        .then(|| (true, f.clone()));
                    out.into_iter().chain(inc)
                })
                .collect();
            facts.sort_by(|a, b| {
                let other = |(incoming, f): &(bool, Fact)| if *incoming { f.source.clone() } else { f.target.clone() };
                a.0.cmp(&b.0).then_with(|| a.1.relation.cmp(&b.1.relation)).then_with(|| other(a).cmp(&other(b)))
            });
            for (_, fact) in facts {
                if out.len() >= limit {
                    return Ok(out);
                }
                out.push(edge(&graph, fact));
            }
        }
        Ok(out)
    }

    fn degrees(&self, ids: &[String]) -> Result<Vec<usize>, GraphError> {
        let graph = self.read();
        Ok(ids.iter().map(|id| graph.degree(id)).collect())
    }

    fn count_related(&self, id: &str, relation: &str, direction: Direction) -> Result<usize, GraphError> {
        Ok(self.read().count_related(id, relation, direction))
    }

    fn schema_stats(&self) -> Result<Arc<SchemaStats>, GraphError> {
        Ok(self.read().schema_stats())
    }

    fn link(&self, text: &str, options: &LinkOptions) -> Result<Vec<EntityLink>, GraphError> {
        Ok(self.read().link_with(text, options))
    }

    fn entity(&self, id: &str) -> Result<Option<Entity>, GraphError> {
        Ok(self.read().entity(id).cloned())
    }

    fn contains(&self, id: &str) -> Result<bool, GraphError> {
        Ok(self.read().contains(id))
    }

    fn missing(&self, ids: &[String]) -> Result<Vec<String>, GraphError> {
        let graph = self.read();
        Ok(ids.iter().filter(|id| !graph.contains(id)).cloned().collect())
    }

    fn facts_of(&self, id: &str, limit: usize) -> Result<Vec<Fact>, GraphError> {
        let mut facts = self.read().facts_of(id);
        facts.truncate(limit);
        Ok(facts)
    }

    fn neighbors(&self, id: &str, query: &NeighborQuery) -> Result<Neighborhood, GraphError> {
        self.read().neighbors(id, query)
    }

    fn shortest_path(
        &self,
        from: &str,
        to: &str,
        relations: Option<&[String]>,
    ) -> Result<Option<Vec<Fact>>, GraphError> {
        self.read().shortest_path(from, to, relations)
    }

    fn answer_counted(&self, question: &GraphQuestion) -> Result<GraphAnswers, GraphError> {
        Ok(self.read().answer_counted(question))
    }

    /// The whole graph (the local push is bounded by ε, not by a subgraph): `bound` is not
    /// used and no subgraph is reported.
    fn personalized_pagerank(
        &self,
        seeds: &[(String, f64)],
        params: &PprParams,
        _bound: &SubgraphBound,
    ) -> Result<RankedEntities, GraphError> {
        let graph = self.read();
        let ranked =
            graph.personalized_pagerank(seeds, params).into_iter().map(|(id, m)| (id.to_string(), m)).collect();
        Ok(RankedEntities { ranked, subgraph: None })
    }

    fn sample_relations(&self, n: usize, seed: u64) -> Result<Vec<Relation>, GraphError> {
        let graph = self.read();
        let mut by_type: HashMap<String, Vec<Relation>> = HashMap::new();
        for r in graph.relations() {
            by_type.entry(r.relation.clone()).or_default().push(r);
        }
        let mut types: Vec<String> = by_type.keys().cloned().collect();
        types.sort();
        let share = n.div_ceil(types.len().max(1)).max(1);
        let mut out = Vec::new();
        for (i, t) in types.iter().enumerate() {
            let list = by_type.remove(t).unwrap_or_default();
            out.extend(reservoir(list.into_iter(), share, seed.wrapping_add(i as u64)));
        }
        Ok(out)
    }

    fn upsert_entities(&self, entities: Vec<Entity>) -> Result<ImportReport, GraphError> {
        Ok(self.write().import_entities(entities))
    }

    fn add_relations(&self, relations: Vec<Relation>) -> Result<ImportReport, GraphError> {
        Ok(self.write().import_relations(relations))
    }

    fn remove_entity(&self, id: &str) -> Result<bool, GraphError> {
        Ok(self.write().remove_entity(id).is_some())
    }

    fn clear(&self) -> Result<(), GraphError> {
        self.replace(Graph::new());
        Ok(())
    }

    fn link_item(&self, item: &str, entities: &[String]) {
        self.write().link_item(item, entities);
    }

    fn unlink_item(&self, item: &str) -> bool {
        self.write().unlink_item(item)
    }

    fn items_of(&self, entity: &str) -> Vec<String> {
        self.read().items_of(entity)
    }

    fn entities_of_item(&self, item: &str) -> Vec<String> {
        self.read().entities_of_item(item)
    }

    fn rank_items(&self, ranked: &[(String, f64)], top: usize) -> Vec<(String, f64)> {
        let borrowed: Vec<(&str, f64)> = ranked.iter().map(|(id, m)| (id.as_str(), *m)).collect();
        self.read().rank_items(&borrowed, top)
    }

    fn prepare(&self) {
        let graph = self.read();
        // Adjacency first: the linker reads every entity's degree, which the snapshot
        // answers without walking petgraph's edge lists.
        graph.prepare_adjacency();
        graph.prepare_linker();
    }
}

/// `n` items of `items` chosen uniformly at random (reservoir sampling, splitmix64), seeded:
/// the same items for the same seed.
pub fn reservoir<T>(items: impl Iterator<Item = T>, n: usize, seed: u64) -> Vec<T> {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut kept: Vec<T> = Vec::with_capacity(n);
    for (i, item) in items.enumerate() {
        if kept.len() < n {
            kept.push(item);
        } else {
            let j = (next() % (i as u64 + 1)) as usize;
            if j < n {
                kept[j] = item;
            }
        }
    }
    kept
}
