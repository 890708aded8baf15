//! The backend seam: traversals written over its primitives answer as the embedded graph's
//! own in-memory algorithms do, and the embedded backend keeps the graph's behaviour.

mod common;

use std::sync::Arc;

use braid_graph::{
    Direction, EmbeddedGraph, Entity, EntityFilter, EntityLink, GraphBackend, GraphBackendInfo, GraphCounts,
    GraphError, ImportReport, LinkOptions, Relation, SchemaStats, Step,
};

/// The embedded graph seen only through the seam's primitives: every derived operation
/// (neighbourhoods, paths, answers, PageRank) runs the trait's default, level-by-level
/// traversal, as a server backend's does.
struct PrimitivesOnly(EmbeddedGraph);

impl GraphBackend for PrimitivesOnly {
    fn info(&self) -> GraphBackendInfo {
        self.0.info()
    }
    fn version(&self) -> u64 {
        self.0.version()
    }
    fn counts(&self) -> Result<GraphCounts, GraphError> {
        self.0.counts()
    }
    fn entities(&self, ids: &[String]) -> Result<Vec<Entity>, GraphError> {
        self.0.entities(ids)
    }
    fn find_entities(&self, filter: &EntityFilter, limit: usize) -> Result<Vec<Entity>, GraphError> {
        self.0.find_entities(filter, limit)
    }
    fn expand(&self, ids: &[String], step: &Step, limit: usize) -> Result<Vec<braid_graph::Edge>, GraphError> {
        self.0.expand(ids, step, limit)
    }
    fn degrees(&self, ids: &[String]) -> Result<Vec<usize>, GraphError> {
        self.0.degrees(ids)
    }
    fn count_related(&self, id: &str, relation: &str, direction: Direction) -> Result<usize, GraphError> {
        self.0.count_related(id, relation, direction)
    }
    fn schema_stats(&self) -> Result<Arc<SchemaStats>, GraphError> {
        self.0.schema_stats()
    }
    fn link(&self, text: &str, options: &LinkOptions) -> Result<Vec<EntityLink>, GraphError> {
        self.0.link(text, options)
    }
    fn sample_relations(&self, n: usize, seed: u64) -> Result<Vec<Relation>, GraphError> {
        self.0.sample_relations(n, seed)
    }
    fn upsert_entities(&self, entities: Vec<Entity>) -> Result<ImportReport, GraphError> {
        self.0.upsert_entities(entities)
    }
    fn add_relations(&self, relations: Vec<Relation>) -> Result<ImportReport, GraphError> {
        self.0.add_relations(relations)
    }
    fn remove_entity(&self, id: &str) -> Result<bool, GraphError> {
        self.0.remove_entity(id)
    }
    fn clear(&self) -> Result<(), GraphError> {
        self.0.clear()
    }
    fn link_item(&self, item: &str, entities: &[String]) {
        self.0.link_item(item, entities)
    }
    fn unlink_item(&self, item: &str) -> bool {
        self.0.unlink_item(item)
    }
    fn items_of(&self, entity: &str) -> Vec<String> {
        self.0.items_of(entity)
    }
    fn entities_of_item(&self, item: &str) -> Vec<String> {
        self.0.entities_of_item(item)
    }
    fn rank_items(&self, ranked: &[(String, f64)], top: usize) -> Vec<(String, f64)> {
        self.0.rank_items(ranked, top)
    }
}

#[test]
fn traversals_over_primitives_answer_as_the_in_memory_algorithms() {
    let reference = common::embedded_atlas();
    let primitives = PrimitivesOnly(common::embedded_atlas());
    common::assert_same_answers(&reference, &primitives);
}

#[test]
fn the_bounded_pagerank_reports_its_subgraph() {
    let primitives = PrimitivesOnly(common::embedded_atlas());
    let seeds = vec![("country:KEN".to_string(), 1.0)];
    let bound = braid_graph::SubgraphBound { hops: 1, max_relations: 5 };
    let ranked = primitives.personalized_pagerank(&seeds, &braid_graph::PprParams::default(), &bound).unwrap();
    let report = ranked.subgraph.expect("a bounded walk reports its subgraph");
    assert_eq!((report.hops, report.relations, report.truncated), (1, 5, true));
    assert_eq!(report.entities, 6);
    assert_eq!(ranked.ranked[0].0, "country:KEN");
    assert!(report.describe("PageRank").contains("bound 1 hops / 5 relations"));
}

#[test]
fn embedded_writes_and_items_go_through_the_seam() {
    let graph = EmbeddedGraph::new();
    let report =
        graph.upsert_entities(vec![Entity::new("a", "Alpha", "thing"), Entity::new("", "Nameless", "thing")]).unwrap();
    assert_eq!((report.written, report.rejected.len()), (1, 1));
    graph.upsert_entities(vec![Entity::new("b", "Beta", "thing")]).unwrap();
    let report = graph
        .add_relations(vec![
            Relation::new("a", "next", "b"),
            Relation::new("a", "next", "b"),
            Relation::new("a", "next", "zz"),
        ])
        .unwrap();
    assert_eq!((report.written, report.unchanged, report.rejected.len()), (1, 1, 1));
    graph.link_item("doc:1", &["a".into(), "b".into()]);
    assert_eq!(graph.items_of("b"), vec!["doc:1"]);
    assert!(graph.remove_entity("b").unwrap());
    assert!(!graph.remove_entity("b").unwrap());
    assert_eq!(graph.counts().unwrap(), GraphCounts { entities: 1, relations: 0 });
    assert_eq!(graph.entities_of_item("doc:1"), vec!["a"]);
    graph.clear().unwrap();
    assert_eq!(graph.counts().unwrap(), GraphCounts::default());
}
