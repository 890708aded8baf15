//! What every graph backend must answer as the embedded graph does, on the atlas.

#![allow(dead_code)]

use std::collections::BTreeSet;

use braid_graph::{
    Direction, EmbeddedGraph, Entity, EntityFilter, Fact, GraphBackend, GraphQuestion, LinkOptions, NeighborQuery,
    PprParams, Relation, Step, SubgraphBound,
};

const ENTITIES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/atlas/entities.jsonl");
const RELATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/atlas/relations.jsonl");

fn read_jsonl<T: serde::de::DeserializeOwned>(path: &str) -> Vec<T> {
    let text = std::fs::read_to_string(path).expect("atlas file readable");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).expect("valid JSON line"))
        .collect()
}

/// The atlas records.
pub fn atlas_records() -> (Vec<Entity>, Vec<Relation>) {
    (read_jsonl(ENTITIES), read_jsonl(RELATIONS))
}

/// Writes the atlas into `backend` through the seam.
pub fn import_atlas(backend: &dyn GraphBackend) {
    let (entities, relations) = atlas_records();
    let report = backend.upsert_entities(entities).expect("entities written");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(report.written, 2278);
    let report = backend.add_relations(relations).expect("relations written");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    assert_eq!(report.written, 3606);
}

/// The atlas in the embedded backend.
pub fn embedded_atlas() -> EmbeddedGraph {
    let graph = EmbeddedGraph::new();
    import_atlas(&graph);
    graph
}

fn question(seeds: &[&str], relations: &[&str], direction: Direction, kind: Option<&str>) -> GraphQuestion {
    GraphQuestion {
        seeds: seeds.iter().map(|s| s.to_string()).collect(),
        relations: relations.iter().map(|s| s.to_string()).collect(),
        direction,
        target_kind: kind.map(str::to_string),
        limit: 10,
    }
}

fn triples(facts: &[Fact]) -> BTreeSet<(String, String, String)> {
    facts.iter().map(|f| (f.source.clone(), f.relation.clone(), f.target.clone())).collect()
}

/// Whether `path` walks from `from` to `to`, fact by fact.
fn walks(path: &[Fact], from: &str, to: &str) -> bool {
    let mut at = from.to_string();
    for fact in path {
        if fact.source == at {
            at = fact.target.clone();
        } else if fact.target == at {
            at = fact.source.clone();
        } else {
            return false;
        }
    }
    at == to
}

/// Checks that `other` answers as `reference` (the embedded graph) on the atlas: records,
/// primitives, schema, linking, neighbourhoods, paths, relational answers and PageRank.
pub fn assert_same_answers(reference: &dyn GraphBackend, other: &dyn GraphBackend) {
    assert_eq!(other.counts().unwrap(), reference.counts().unwrap());

    // Entities by id, in the order asked, unknown ones skipped.
    let ids: Vec<String> = ["country:KEN", "nope", "city:184745", "country:KEN"].map(String::from).to_vec();
    let got = other.entities(&ids).unwrap();
    assert_eq!(got, reference.entities(&ids).unwrap());
    assert_eq!(got.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["country:KEN", "city:184745"]);
    assert_eq!(other.missing(&ids).unwrap(), vec!["nope".to_string()]);

    // Entities by type (and id).
    let filter = EntityFilter { kind: Some("country".into()), ..EntityFilter::default() };
    assert_eq!(other.find_entities(&filter, 7).unwrap(), reference.find_entities(&filter, 7).unwrap());
    let filter = EntityFilter {
        kind: Some("country".into()),
        ids: vec!["country:FRA".into(), "city:184745".into()],
        ..EntityFilter::default()
    };
    let found = other.find_entities(&filter, 10).unwrap();
    assert_eq!(found, reference.find_entities(&filter, 10).unwrap());
    assert_eq!(found.len(), 1);
    let france = reference.entity("country:FRA").unwrap().expect("France");
    if let Some((key, value)) = france.props.iter().next() {
        let filter = EntityFilter { props: vec![(key.clone(), value.clone())], ..EntityFilter::default() };
        let found = other.find_entities(&filter, 50).unwrap();
        assert_eq!(found, reference.find_entities(&filter, 50).unwrap());
        assert!(found.iter().any(|e| e.id == "country:FRA"));
    }

    // One hop by relation type and direction, in the seam's order.
    for (step, limit) in [
        (Step::along(["borders"], Direction::Out), 100),
        (Step::along(["capital"], Direction::In), 100),
        (Step::any(), 100),
        (Step::any(), 3),
        (Step::along(["is_a", "located_in"], Direction::Both), 100),
    ] {
        let frontier: Vec<String> =
            ["country:FRA", "city:2988507", "concept:koala", "country:FRA"].map(String::from).to_vec();
        let got = other.expand(&frontier, &step, limit).unwrap();
        assert_eq!(got, reference.expand(&frontier, &step, limit).unwrap(), "{step:?} limit {limit}");
        assert!(!got.is_empty());
    }
    let ids: Vec<String> = ["country:FRA", "concept:koala", "nope"].map(String::from).to_vec();
    assert_eq!(other.degrees(&ids).unwrap(), reference.degrees(&ids).unwrap());
    for direction in [Direction::Out, Direction::In, Direction::Both] {
        assert_eq!(
            other.count_related("country:FRA", "borders", direction).unwrap(),
            reference.count_related("country:FRA", "borders", direction).unwrap()
        );
    }
    assert_eq!(other.count_related("country:FRA", "borders", Direction::Out).unwrap(), 8);

    // The schema as the data shows it.
    assert_eq!(*other.schema_stats().unwrap(), *reference.schema_stats().unwrap());

    // Linking, typos included.
    for text in ["what is the capital of kenya", "Which countries border Frnace", "flights to New Zeland"] {
        let options = LinkOptions::default();
        let got: Vec<String> = other.link(text, &options).unwrap().into_iter().map(|l| l.entity_id).collect();
        let want: Vec<String> = reference.link(text, &options).unwrap().into_iter().map(|l| l.entity_id).collect();
        assert_eq!(got.first(), want.first(), "{text}: {got:?} vs {want:?}");
        assert!(!got.is_empty(), "{text}");
    }

    // Neighbourhoods: the same entities at the same depths, the same facts.
    for (depth, relation) in [(1, Some("borders")), (2, Some("borders")), (2, None)] {
        let query =
            NeighborQuery { depth, relation: relation.map(str::to_string), limit: 10_000, ..Default::default() };
        let got = other.neighbors("country:KEN", &query).unwrap();
        let want = reference.neighbors("country:KEN", &query).unwrap();
        let at = |h: &braid_graph::Neighborhood| -> BTreeSet<(String, usize)> {
            h.entities.iter().map(|e| (e.id.clone(), e.depth)).collect()
        };
        assert_eq!(at(&got), at(&want), "depth {depth} {relation:?}");
        assert_eq!(triples(&got.facts), triples(&want.facts), "depth {depth} {relation:?}");
    }
    assert!(other.neighbors("nope", &NeighborQuery::default()).is_err());

    // Shortest paths: as short, and real walks.
    for (from, to, relations) in [
        ("country:KEN", "country:ETH", None),
        ("city:184745", "country:ETH", Some(vec!["located_in".to_string(), "capital".into(), "borders".into()])),
        ("country:KEN", "country:FRA", Some(vec!["borders".to_string()])),
        ("concept:koala", "country:KEN", None),
    ] {
        let got = other.shortest_path(from, to, relations.as_deref()).unwrap();
        let want = reference.shortest_path(from, to, relations.as_deref()).unwrap();
        assert_eq!(got.as_ref().map(Vec::len), want.as_ref().map(Vec::len), "{from} → {to}");
        if let Some(path) = got {
            assert!(walks(&path, from, to), "{path:?}");
        }
    }
    assert_eq!(other.shortest_path("country:KEN", "country:ETH", Some(&["no_such".into()])).unwrap(), None);

    // Relational answers: same answers, order, scores and totals.
    for q in [
        question(&["country:KEN"], &["capital"], Direction::Out, None),
        question(&["city:2988507"], &["capital"], Direction::In, None),
        question(&["concept:koala"], &["is_a"], Direction::Out, None),
        question(&["country:FRA", "country:ESP"], &["borders"], Direction::Out, Some("country")),
        question(&["country:FRA"], &["no_such"], Direction::Out, None),
    ] {
        let got = other.answer_counted(&q).unwrap();
        let want = reference.answer_counted(&q).unwrap();
        assert_eq!(got.total, want.total, "{q:?}");
        let view = |a: &braid_graph::GraphAnswers| -> Vec<(String, String, String, usize, String, usize)> {
            a.answers
                .iter()
                .map(|a| {
                    let e = &a.entity;
                    (e.id.clone(), e.name.clone(), e.kind.clone(), e.depth, format!("{:.6}", a.score), a.facts.len())
                })
                .collect()
        };
        assert_eq!(view(&got), view(&want), "{q:?}");
    }

    // PageRank around a seed: the same leaders.
    let seeds = vec![("concept:koala".to_string(), 1.0)];
    let got = other.personalized_pagerank(&seeds, &PprParams::default(), &SubgraphBound::default()).unwrap();
    let want = reference.personalized_pagerank(&seeds, &PprParams::default(), &SubgraphBound::default()).unwrap();
    let top = |r: &braid_graph::RankedEntities, n: usize| -> Vec<String> {
        r.ranked.iter().take(n).map(|(id, _)| id.clone()).collect()
    };
    // Whole graph or a bounded subgraph (4 hops by default), the leaders agree.
    assert_eq!(top(&got, 6), top(&want, 6));
}
