//! Integration tests of braid-graph, mostly over the real atlas knowledge base.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use braid_graph::{
    Direction, Entity, Graph, GraphError, GraphQuestion, LinkMethod, LinkOptions, NeighborQuery, PprParams, Relation,
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

fn load_atlas() -> Graph {
    let mut graph = Graph::new();
    let entities: Vec<Entity> = read_jsonl(ENTITIES);
    let relations: Vec<Relation> = read_jsonl(RELATIONS);
    let report = graph.import_entities(entities);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    let report = graph.import_relations(relations);
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    graph
}

/// The atlas, loaded once and shared by the read-only tests.
fn atlas() -> &'static Graph {
    static ATLAS: OnceLock<Graph> = OnceLock::new();
    ATLAS.get_or_init(load_atlas)
}

fn linked_ids(graph: &Graph, text: &str) -> Vec<String> {
    graph.link(text).into_iter().map(|l| l.entity_id).collect()
}

fn question(seeds: &[&str], relations: &[&str], direction: Direction) -> GraphQuestion {
    GraphQuestion {
        seeds: seeds.iter().map(|s| s.to_string()).collect(),
        relations: relations.iter().map(|s| s.to_string()).collect(),
        direction,
        target_kind: None,
        limit: 10,
    }
}

#[test]
fn atlas_imports_completely() {
    let graph = atlas();
    assert_eq!(graph.entity_count(), 2278);
    assert_eq!(graph.relation_count(), 3606);
    let france = graph.entity("country:FRA").expect("France");
    assert_eq!(france.name, "France");
    assert_eq!(france.kind, "country");
}

#[test]
fn france_has_eight_neighbours_over_borders() {
    let graph = atlas();
    let query = NeighborQuery { depth: 1, relation: Some("borders".into()), direction: Direction::Both, limit: 100 };
    let hood = graph.neighbors("country:FRA", &query).unwrap();
    let ids: BTreeSet<&str> = hood.entities.iter().map(|e| e.id.as_str()).collect();
    let expected: BTreeSet<&str> = ["AND", "BEL", "CHE", "DEU", "ESP", "ITA", "LUX", "MCO"]
        .iter()
        .map(|code| match *code {
            "AND" => "country:AND",
            "BEL" => "country:BEL",
            "CHE" => "country:CHE",
            "DEU" => "country:DEU",
            "ESP" => "country:ESP",
            "ITA" => "country:ITA",
            "LUX" => "country:LUX",
            _ => "country:MCO",
        })
        .collect();
    assert_eq!(ids, expected);
    assert_eq!(hood.entities.len(), 8, "no duplicates");
    assert!(hood.entities.iter().all(|e| e.depth == 1));
    assert!(hood.facts.iter().all(|f| f.relation == "borders"));
    assert!(hood.facts.iter().any(|f| f.text() == "France —borders→ Germany"));
    // Out only sees the stored France -borders-> X edges: the same 8 in this data set.
    let out = graph.neighbors("country:FRA", &NeighborQuery { direction: Direction::Out, ..query.clone() }).unwrap();
    assert_eq!(out.entities.len(), 8);
}

#[test]
fn neighbourhood_is_breadth_first_and_limited() {
    let graph = atlas();
    let query = NeighborQuery { depth: 2, relation: Some("borders".into()), ..Default::default() };
    let hood = graph.neighbors("country:FRA", &query).unwrap();
    assert!(hood.entities.len() > 8);
    assert!(hood.entities.windows(2).all(|w| w[0].depth <= w[1].depth));
    assert!(hood.entities.iter().all(|e| e.id != "country:FRA"));
    let limited = graph.neighbors("country:FRA", &NeighborQuery { limit: 3, ..query }).unwrap();
    assert_eq!(limited.entities.len(), 3);
    let kept: BTreeSet<&str> = limited.entities.iter().map(|e| e.id.as_str()).collect();
    assert!(limited.facts.iter().all(|f| (f.source == "country:FRA" || kept.contains(f.source.as_str()))
        && (f.target == "country:FRA" || kept.contains(f.target.as_str()))));
}

#[test]
fn depth_outside_one_to_three_is_rejected() {
    let graph = atlas();
    for depth in [0, 4] {
        let query = NeighborQuery { depth, ..Default::default() };
        match graph.neighbors("country:FRA", &query) {
            Err(GraphError::InvalidInput { field, .. }) => assert_eq!(field, "depth"),
            other => panic!("depth {depth}: expected InvalidInput, got {other:?}"),
        }
    }
    assert!(graph.neighbors("country:FRA", &NeighborQuery { depth: 3, ..Default::default() }).is_ok());
}

#[test]
fn unknown_entities_are_errors() {
    let mut graph = Graph::new();
    graph.upsert_entity(Entity::new("a", "Alpha", "thing")).unwrap();
    assert_eq!(
        graph.add_relation(Relation::new("a", "likes", "nowhere")),
        Err(GraphError::UnknownEntity("nowhere".into()))
    );
    assert_eq!(
        graph.add_relation(Relation::new("ghost", "likes", "a")),
        Err(GraphError::UnknownEntity("ghost".into()))
    );
    assert!(matches!(
        graph.add_relation(Relation::new("a", " ", "a")),
        Err(GraphError::InvalidInput { field: "relation", .. })
    ));
    assert!(matches!(
        graph.upsert_entity(Entity::new("", "Nameless", "thing")),
        Err(GraphError::InvalidInput { field: "id", .. })
    ));
    assert!(matches!(
        graph.upsert_entity(Entity::new("b", "", "thing")),
        Err(GraphError::InvalidInput { field: "name", .. })
    ));
    assert_eq!(graph.neighbors("ghost", &NeighborQuery::default()), Err(GraphError::UnknownEntity("ghost".into())));
    assert_eq!(graph.shortest_path("a", "ghost", None), Err(GraphError::UnknownEntity("ghost".into())));
    assert!(graph.facts_of("ghost").is_empty());
    assert!(graph.entity("ghost").is_none());
}

#[test]
fn duplicate_relations_are_not_added_and_updates_keep_relations() {
    let mut graph = Graph::new();
    graph.upsert_entity(Entity::new("a", "Alpha", "thing")).unwrap();
    graph.upsert_entity(Entity::new("b", "Beta", "thing")).unwrap();
    assert_eq!(graph.add_relation(Relation::new("a", "likes", "b")), Ok(true));
    assert_eq!(graph.add_relation(Relation::new("a", "likes", "b")), Ok(false));
    assert_eq!(graph.add_relation(Relation::new("a", "knows", "b")), Ok(true));
    assert_eq!(graph.relation_count(), 2);
    graph.upsert_entity(Entity::new("a", "Alpha Prime", "thing")).unwrap();
    assert_eq!(graph.entity_count(), 2);
    assert_eq!(graph.facts_between("b", "a").len(), 2);
    assert_eq!(graph.facts_of("a")[0].source_name, "Alpha Prime");
    assert_eq!(graph.linked_ids_helper("alpha prime"), vec!["a".to_string()]);
    assert!(graph.remove_relation("a", "likes", "b"));
    assert!(!graph.remove_relation("a", "likes", "b"));
    assert_eq!(graph.relation_count(), 1);
}

trait LinkHelper {
    fn linked_ids_helper(&self, text: &str) -> Vec<String>;
}
impl LinkHelper for Graph {
    fn linked_ids_helper(&self, text: &str) -> Vec<String> {
        linked_ids(self, text)
    }
}

#[test]
fn remove_entity_removes_its_relations_and_items() {
    let mut graph = load_atlas();
    let degree = graph.degree("country:FRA");
    assert!(degree >= 8);
    let before = graph.relation_count();
    graph.link_item("doc:france", &["country:FRA".into(), "country:DEU".into()]);
    assert_eq!(linked_ids(&graph, "France")[0], "country:FRA");

    let removed = graph.remove_entity("country:FRA").expect("was there");
    assert_eq!(removed.name, "France");
    assert_eq!(graph.relation_count(), before - degree);
    assert!(graph.entity("country:FRA").is_none());
    assert!(graph.facts_of("country:DEU").iter().all(|f| f.source != "country:FRA" && f.target != "country:FRA"));
    assert!(!linked_ids(&graph, "France").contains(&"country:FRA".to_string()));
    assert_eq!(graph.entities_of_item("doc:france"), vec!["country:DEU".to_string()]);
    assert!(graph.remove_entity("country:FRA").is_none());

    // Re-adding works and starts without relations; a new node must not inherit items.
    graph.upsert_entity(Entity::new("country:FRA", "France", "country")).unwrap();
    assert_eq!(graph.degree("country:FRA"), 0);
    assert!(graph.items_of("country:FRA").is_empty());
    assert!(graph.add_relation(Relation::new("country:FRA", "borders", "country:DEU")).unwrap());
}

#[test]
fn path_from_kenya_to_ethiopia() {
    let graph = atlas();
    let path = graph.shortest_path("country:KEN", "country:ETH", None).unwrap().expect("connected");
    assert_eq!(path.len(), 1);
    assert!(path[0].relation == "borders");

    // Edges are walked both ways but reported as stored.
    let path = graph
        .shortest_path("city:184745", "country:ETH", Some(&["located_in".into(), "capital".into(), "borders".into()]))
        .unwrap()
        .expect("Nairobi reaches Ethiopia");
    assert_eq!(path.len(), 2);
    assert!(path.iter().any(|f| f.source == "country:KEN" || f.target == "country:KEN"));

    let paths = graph.k_shortest_paths("country:KEN", "country:ETH", 5, Some(&["borders".into()])).unwrap();
    assert_eq!(paths.len(), 5);
    assert!(paths.windows(2).all(|w| w[0].len() <= w[1].len()));
    for path in &paths {
        assert!(path.iter().all(|f| f.relation == "borders"));
        // Consecutive facts share an entity and the walk starts at Kenya and ends at Ethiopia.
        let mut at = "country:KEN".to_string();
        let mut visited = vec![at.clone()];
        for fact in path {
            at = if fact.source == at {
                fact.target.clone()
            } else {
                assert_eq!(fact.target, at);
                fact.source.clone()
            };
            assert!(!visited.contains(&at), "simple path");
            visited.push(at.clone());
        }
        assert_eq!(at, "country:ETH");
    }
    let unique: BTreeSet<String> = paths.iter().map(|p| format!("{p:?}")).collect();
    assert_eq!(unique.len(), paths.len());
    assert!(graph.k_shortest_paths("country:KEN", "country:ETH", 0, None).is_err());
    assert_eq!(graph.shortest_path("country:KEN", "country:KEN", None).unwrap(), Some(vec![]));
    // A filter with no usable relation type connects nothing.
    assert_eq!(graph.shortest_path("country:KEN", "country:ETH", Some(&["no_such".into()])).unwrap(), None);
}

#[test]
fn koala_is_a_chain_reaches_marsupial() {
    let graph = atlas();
    let answers = graph.answer(&question(&["concept:koala"], &["is_a"], Direction::Out));
    assert_eq!(answers[0].entity.id, "concept:phalanger");
    assert_eq!(answers[0].entity.depth, 1);
    assert!(answers.windows(2).all(|w| w[0].entity.depth <= w[1].entity.depth && w[0].score >= w[1].score));
    let marsupial = answers.iter().find(|a| a.entity.id == "concept:marsupial").expect("marsupial among the ancestors");
    assert!(marsupial.score > 0.0 && marsupial.score < 1.0);
    assert_eq!(marsupial.facts.len(), marsupial.entity.depth);
    assert_eq!(marsupial.facts[0].source, "concept:koala");
    assert_eq!(marsupial.facts.last().unwrap().target, "concept:marsupial");
    assert!(marsupial.facts.iter().all(|f| f.relation == "is_a"));
}

#[test]
fn capital_of_kenya_is_nairobi() {
    let graph = atlas();
    let links = graph.link("what is the capital of kenya");
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].entity_id, "country:KEN");
    assert_eq!(links[0].mention, "kenya");
    assert_eq!(links[0].method, LinkMethod::Exact);
    let answers = graph.answer(&question(&[&links[0].entity_id], &["capital"], Direction::Out));
    assert_eq!(answers[0].entity.id, "city:184745");
    assert_eq!(answers[0].entity.name, "Nairobi");
    assert_eq!(answers[0].score, 1.0);
    assert_eq!(answers[0].facts[0].text(), "Kenya —capital→ Nairobi");
    // The other way round: whose capital is Paris?
    let answers = graph.answer(&question(&["city:2988507"], &["capital"], Direction::In));
    assert_eq!(answers[0].entity.id, "country:FRA");
}

#[test]
fn answers_supported_by_more_seeds_rank_first() {
    let graph = atlas();
    let mut q = question(&["country:FRA", "country:ESP"], &["borders"], Direction::Out);
    q.target_kind = Some("country".into());
    let answers = graph.answer(&q);
    assert_eq!(answers[0].entity.id, "country:AND");
    assert_eq!(answers[0].score, 1.0);
    assert_eq!(answers[0].facts.len(), 2);
    assert!(answers[1].score < 1.0);
    assert!(answers.iter().all(|a| a.entity.id != "country:FRA" && a.entity.id != "country:ESP"));
}

#[test]
fn neighbourhood_answers_without_relations_use_pagerank() {
    let graph = atlas();
    let mut q = question(&["country:KEN"], &[], Direction::Both);
    q.limit = 5;
    let answers = graph.answer(&q);
    assert_eq!(answers.len(), 5);
    assert_eq!(answers[0].score, 1.0);
    assert!(answers.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(answers.iter().all(|a| a.score > 0.0 && a.entity.depth >= 1 && !a.facts.is_empty()));
}

#[test]
fn typos_are_linked() {
    let graph = atlas();
    let text = "Which countries border Frnace";
    let links = graph.link(text);
    assert_eq!(links[0].entity_id, "country:FRA", "{links:?}");
    assert_eq!(links[0].method, LinkMethod::Fuzzy);
    assert_eq!(&text[links[0].start..links[0].end], "Frnace");
    assert!(links.iter().all(|l| l.mention == "Frnace"), "{links:?}");

    assert_eq!(linked_ids(graph, "Ethopia")[0], "country:ETH");
    // Names of several words, typo in one of them.
    let links = graph.link("flights to New Zeland");
    assert_eq!(links[0].entity_id, "country:NZL", "{links:?}");
    assert_eq!(links[0].mention, "New Zeland");
    assert_eq!(linked_ids(graph, "Switzerlnd")[0], "country:CHE");
    // No spurious links from a misspelt question word.
    assert!(graph.link("what is the captial of").is_empty(), "{:?}", graph.link("what is the captial of"));
    // Words under five letters get no typo budget; five to eight letters get one edit.
    assert!(!linked_ids(graph, "Frnc").contains(&"country:FRA".to_string()));
    assert!(linked_ids(graph, "Frace").contains(&"country:FRA".to_string()));
    // Question vocabulary never gets a typo match...
    assert!(graph.link("which contries border").is_empty(), "{:?}", graph.link("which contries border"));
    // ...and an entity named by it links with low confidence only.
    let thing = graph.link("show me a picture of a thing");
    assert_eq!(thing.len(), 1, "{thing:?}");
    assert_eq!(thing[0].entity_id, "concept:thing.n.12");
    assert!(thing[0].confidence < 0.5);
    let no_fuzzy = LinkOptions { fuzzy: false, ..LinkOptions::default() };
    assert!(graph.link_with("Frnace", &no_fuzzy).is_empty());
}

#[test]
fn both_countries_are_linked() {
    let graph = atlas();
    let text = "how are Kenya and Ethiopia connected";
    let links = graph.link(text);
    let ids: Vec<&str> = links.iter().map(|l| l.entity_id.as_str()).collect();
    assert_eq!(ids, ["country:KEN", "country:ETH"], "{links:?}");
    assert_eq!(&text[links[1].start..links[1].end], "Ethiopia");
    assert!(graph.shortest_path(&links[0].entity_id, &links[1].entity_id, None).unwrap().is_some());
}

#[test]
fn case_possessives_plurals_and_diacritics() {
    let graph = atlas();
    assert_eq!(linked_ids(graph, "ethiopia"), ["country:ETH"]);
    assert_eq!(linked_ids(graph, "ETHIOPIA"), ["country:ETH"]);

    let text = "France's neighbours";
    let links = graph.link(text);
    assert_eq!(links[0].entity_id, "country:FRA");
    assert_eq!(links[0].mention, "France");
    assert_eq!(links[0].confidence, 1.0);

    let koala = graph.link("do koalas live in trees");
    assert_eq!(koala[0].entity_id, "concept:koala", "{koala:?}");
    assert_eq!(koala[0].mention, "koalas");

    // Multi-word aliases, leftmost-longest, with diacritics folded either way.
    assert_eq!(linked_ids(graph, "the republique francaise")[0], "country:FRA");
    assert_eq!(linked_ids(graph, "La République Française!")[0], "country:FRA");
    let links = graph.link("koala bear");
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].entity_id, "concept:koala");
    assert_eq!(links[0].method, LinkMethod::Alias);
    assert_eq!(links[0].mention, "koala bear");
}

#[test]
fn short_codes_link_only_in_upper_case() {
    let graph = atlas();
    let first_only = LinkOptions { max_candidates_per_mention: 1, ..LinkOptions::default() };
    let ids: Vec<String> =
        graph.link_with("trade between FR and DEU", &first_only).into_iter().map(|l| l.entity_id).collect();
    assert_eq!(ids, ["country:FRA", "country:DEU"]);
    // "Fr" (the CFA franc's symbol) is a different code from "FR".
    assert_eq!(linked_ids(graph, "FR"), ["country:FRA"]);
    let mut francs: Vec<String> =
        graph.link("paid in Fr").into_iter().filter(|l| l.mention == "Fr").map(|l| l.entity_id).collect();
    francs.sort();
    assert!(francs.contains(&"currency:XAF".to_string()) && francs.contains(&"currency:XOF".to_string()));
    assert!(!francs.contains(&"country:FRA".to_string()));
    assert!(linked_ids(graph, "fr").is_empty());
    assert!(linked_ids(graph, "is it").is_empty());
    assert!(linked_ids(graph, "run").is_empty());
    assert!(graph.link("").is_empty());
    assert!(graph.link("?!  ,, ").is_empty());
    // Odd input never panics and offsets stay on character boundaries.
    let odd = "🇫🇷 Fraﬁnce ΣΊΣΥΦΟΣ 東京 \u{0301}e\u{0301} İstanbul's 'S' s's ''' x";
    for link in graph.link(odd) {
        assert!(odd.get(link.start..link.end).is_some());
    }
}

#[test]
fn ambiguous_mentions_rank_candidates() {
    let mut graph = Graph::new();
    graph.upsert_entity(Entity::new("country:GEO", "Georgia", "country")).unwrap();
    graph.upsert_entity(Entity::new("state:GA", "Georgia", "us_state")).unwrap();
    graph.upsert_entity(Entity::new("person:g", "George", "person").with_aliases(["Georgia"])).unwrap();
    graph.upsert_entity(Entity::new("country:ARM", "Armenia", "country")).unwrap();
    graph.upsert_entity(Entity::new("country:RUS", "Russia", "country")).unwrap();
    graph.add_relation(Relation::new("country:GEO", "borders", "country:ARM")).unwrap();
    graph.add_relation(Relation::new("country:GEO", "borders", "country:RUS")).unwrap();

    let links = graph.link("Tbilisi, Georgia");
    let ids: Vec<&str> = links.iter().map(|l| l.entity_id.as_str()).collect();
    assert_eq!(ids, ["country:GEO", "state:GA", "person:g"]);
    assert!(links.windows(2).all(|w| w[0].confidence > w[1].confidence));
    assert!(links.iter().all(|l| l.confidence > 0.0 && l.confidence <= 1.0));
    assert_eq!(links[2].method, LinkMethod::Alias);

    let prefer_state =
        LinkOptions { prefer_types: vec!["us_state".into()], max_candidates_per_mention: 2, fuzzy: true };
    let links = graph.link_with("Georgia", &prefer_state);
    assert_eq!(links.len(), 2);
    assert_eq!(links[0].entity_id, "state:GA");
}

#[test]
fn linking_runs_concurrently_and_sees_writes() {
    let mut graph = Graph::new();
    graph.upsert_entity(Entity::new("concept:killer_whale", "killer whale", "concept").with_aliases(["orca"])).unwrap();
    std::thread::scope(|scope| {
        let graph = &graph;
        let handles: Vec<_> =
            (0..4).map(|_| scope.spawn(move || linked_ids(graph, "is a killer whale a dolphin?"))).collect();
        for handle in handles {
            assert_eq!(handle.join().unwrap(), ["concept:killer_whale"]);
        }
    });
    // A write invalidates the index; the next query sees the new entity.
    graph.upsert_entity(Entity::new("concept:dolphin", "dolphin", "concept")).unwrap();
    assert_eq!(linked_ids(&graph, "is a killer whale a dolphin?"), ["concept:killer_whale", "concept:dolphin"]);
    assert_eq!(linked_ids(&graph, "Orcas"), ["concept:killer_whale"]);
}

#[test]
fn relation_writes_rerank_the_linker_as_a_fresh_build_would() {
    // Two entities share the name "Mercury"; the one with more relations ranks first.
    let mut graph = Graph::new();
    for (id, name) in [("planet:mercury", "Mercury"), ("element:mercury", "Mercury"), ("god:jupiter", "Jupiter")] {
        graph.upsert_entity(Entity::new(id, name, "thing")).unwrap();
    }
    graph.add_relation(Relation::new("planet:mercury", "near", "god:jupiter")).unwrap();
    let first = graph.link("mercury and jupitr");
    assert_eq!(first[0].entity_id, "planet:mercury");
    // Relations only: the index is re-ranked by the new degrees, not rebuilt.
    for relation in ["a", "b", "c"] {
        graph.add_relation(Relation::new("element:mercury", relation, "god:jupiter")).unwrap();
    }
    let reranked = graph.link("mercury and jupitr");
    assert_eq!(reranked[0].entity_id, "element:mercury");
    // A clone starts without an index, so it builds one from scratch: same answer.
    assert_eq!(reranked, graph.clone().link("mercury and jupitr"));
    assert!(graph.remove_relation("element:mercury", "a", "god:jupiter"));
    assert!(graph.remove_relation("element:mercury", "b", "god:jupiter"));
    assert!(graph.remove_relation("element:mercury", "c", "god:jupiter"));
    assert_eq!(graph.link("mercury and jupitr"), first);
    // An entity write after relation writes still rebuilds the names.
    graph.add_relation(Relation::new("element:mercury", "a", "god:jupiter")).unwrap();
    graph.upsert_entity(Entity::new("god:mercury", "Mercury", "thing")).unwrap();
    let links = graph.link("mercury");
    assert_eq!(links.len(), 3, "{links:?}");
    assert_eq!(links, graph.clone().link("mercury"));
}

#[test]
fn pagerank_from_koala_favours_its_neighbourhood() {
    let graph = atlas();
    let ranked = graph.personalized_pagerank(&[("concept:koala".into(), 1.0)], &PprParams::default());
    let mass: HashMap<&str, f64> = ranked.iter().map(|&(id, m)| (id, m)).collect();
    let top3: Vec<&str> = ranked.iter().take(3).map(|&(id, _)| id).collect();
    assert!(top3.contains(&"concept:koala") && top3.contains(&"concept:phalanger"), "{top3:?}");
    assert!(ranked.windows(2).all(|w| w[0].1 >= w[1].1));
    let phalanger = mass["concept:phalanger"];
    for far in ["country:FRA", "city:184745", "language:pol", "country:KEN"] {
        assert!(phalanger > mass.get(far).copied().unwrap_or(0.0), "{far}");
    }
    let total: f64 = ranked.iter().map(|(_, m)| m).sum();
    assert!(total <= 1.0 + 1e-9 && total > 0.9, "{total}");
    // Nothing to rank without a known seed.
    assert!(graph.personalized_pagerank(&[("ghost".into(), 1.0)], &PprParams::default()).is_empty());
    assert!(graph.personalized_pagerank(&[("concept:koala".into(), f64::NAN)], &PprParams::default()).is_empty());
}

/// A small deterministic graph: a ring with chords and a few parallel edges.
fn small_graph() -> (Graph, Vec<(usize, usize)>) {
    let mut graph = Graph::new();
    let n = 30;
    for i in 0..n {
        graph.upsert_entity(Entity::new(format!("n{i}"), format!("Node {i}"), "node")).unwrap();
    }
    let mut edges = Vec::new();
    for i in 0..n {
        edges.push((i, (i + 1) % n));
        if i % 3 == 0 {
            edges.push((i, (i * 7 + 5) % n));
        }
        if i % 5 == 0 {
            edges.push(((i * 11 + 2) % n, i));
        }
    }
    let mut kept = Vec::new();
    for (k, &(a, b)) in edges.iter().enumerate() {
        let relation = if k % 2 == 0 { "r1" } else { "r2" };
        if graph.add_relation(Relation::new(format!("n{a}"), relation, format!("n{b}"))).unwrap() {
            kept.push((a, b));
        }
    }
    (graph, kept)
}

#[test]
fn pagerank_agrees_with_power_iteration() {
    let (graph, edges) = small_graph();
    let n = graph.entity_count();
    let alpha = 0.15;
    let mut degree = vec![0.0; n];
    for &(a, b) in &edges {
        degree[a] += 1.0;
        degree[b] += 1.0;
    }
    let mut seed = vec![0.0; n];
    seed[0] = 0.7;
    seed[13] = 0.3;
    let mut x = seed.clone();
    for _ in 0..500 {
        let mut next: Vec<f64> = seed.iter().map(|s| alpha * s).collect();
        for &(a, b) in &edges {
            next[b] += (1.0 - alpha) * x[a] / degree[a];
            next[a] += (1.0 - alpha) * x[b] / degree[b];
        }
        x = next;
    }
    let params = PprParams { alpha, epsilon: 1e-9, max_pushes: 1_000_000 };
    let ranked = graph.personalized_pagerank(&[("n0".into(), 0.7), ("n13".into(), 0.3)], &params);
    for (id, mass) in &ranked {
        let i: usize = id[1..].parse().unwrap();
        assert!((mass - x[i]).abs() < 1e-5, "{id}: push {mass} vs power {}", x[i]);
    }
    let mut exact: Vec<usize> = (0..n).collect();
    exact.sort_by(|&a, &b| x[b].total_cmp(&x[a]));
    let top_exact: BTreeSet<String> = exact[..10].iter().map(|i| format!("n{i}")).collect();
    let top_push: BTreeSet<String> = ranked[..10].iter().map(|(id, _)| id.to_string()).collect();
    assert!(top_exact.intersection(&top_push).count() >= 9);

    // A coarse epsilon still finds the right leaders while touching less.
    let coarse =
        graph.personalized_pagerank(&[("n0".into(), 0.7), ("n13".into(), 0.3)], &PprParams { epsilon: 1e-3, ..params });
    let top_coarse: BTreeSet<String> = coarse.iter().take(3).map(|(id, _)| id.to_string()).collect();
    let top3: BTreeSet<String> = exact[..3].iter().map(|i| format!("n{i}")).collect();
    assert!(top_coarse.intersection(&top3).count() >= 2);
}

fn path_ids(path: &[braid_graph::Fact], from: &str) -> Vec<String> {
    let mut at = from.to_string();
    let mut ids = vec![at.clone()];
    for fact in path {
        at = if fact.source == at { fact.target.clone() } else { fact.source.clone() };
        ids.push(at.clone());
    }
    ids
}

fn ppr_ids(graph: &Graph, seed: &str) -> Vec<String> {
    graph
        .personalized_pagerank(&[(seed.into(), 1.0)], &PprParams::default())
        .into_iter()
        .map(|(id, _)| id.to_string())
        .collect()
}

/// PageRank and paths walk an adjacency snapshot; every kind of write must make the next
/// query see the change, including writes that reuse the index of a removed entity.
#[test]
fn traversals_see_every_write() {
    let mut graph = Graph::new();
    for id in ["a", "b", "c", "d"] {
        graph.upsert_entity(Entity::new(id, id.to_uppercase(), "node")).unwrap();
    }
    graph.add_relation(Relation::new("a", "r", "b")).unwrap();
    graph.add_relation(Relation::new("b", "r", "c")).unwrap();
    graph.prepare_adjacency();
    assert_eq!(graph.shortest_path("a", "d", None).unwrap(), None);
    assert!(!ppr_ids(&graph, "a").contains(&"d".to_string()));
    assert_eq!(graph.shortest_path("a", "c", None).unwrap().unwrap().len(), 2);

    // A new relation: d becomes reachable, and a shortcut shortens a → c.
    graph.add_relation(Relation::new("c", "s", "d")).unwrap();
    assert_eq!(path_ids(&graph.shortest_path("a", "d", None).unwrap().unwrap(), "a"), ["a", "b", "c", "d"]);
    assert!(ppr_ids(&graph, "a").contains(&"d".to_string()));
    assert_eq!(graph.degree("d"), 1);
    graph.add_relation(Relation::new("c", "r", "a")).unwrap();
    assert_eq!(graph.shortest_path("a", "c", None).unwrap().unwrap().len(), 1);
    assert_eq!(graph.k_shortest_paths("a", "c", 5, None).unwrap().len(), 2);
    // Relation filters are honoured on the snapshot.
    assert_eq!(graph.shortest_path("a", "d", Some(&["r".into()])).unwrap(), None);
    assert_eq!(graph.shortest_path("a", "d", Some(&["r".into(), "s".into()])).unwrap().unwrap().len(), 2);

    // A new entity and its relation.
    graph.upsert_entity(Entity::new("e", "E", "node")).unwrap();
    assert_eq!(graph.shortest_path("a", "e", None).unwrap(), None);
    graph.add_relation(Relation::new("e", "r", "a")).unwrap();
    assert_eq!(graph.shortest_path("e", "d", None).unwrap().unwrap().len(), 3);
    let hood = graph.neighbors("a", &NeighborQuery::default()).unwrap();
    let mut around: Vec<&str> = hood.entities.iter().map(|e| e.id.as_str()).collect();
    around.sort_unstable();
    assert_eq!(around, ["b", "c", "e"]);

    // A removed relation.
    assert!(graph.remove_relation("c", "r", "a"));
    assert_eq!(graph.shortest_path("a", "c", None).unwrap().unwrap().len(), 2);
    assert_eq!(graph.k_shortest_paths("a", "c", 5, None).unwrap().len(), 1);
    assert!(graph.remove_relation("c", "s", "d"));
    assert_eq!(graph.shortest_path("a", "d", None).unwrap(), None);
    assert_eq!(ppr_ids(&graph, "d"), ["d"]);

    // A removed entity takes its relations along; the graph keeps a hole there.
    graph.prepare_adjacency();
    assert!(graph.remove_entity("b").is_some());
    assert_eq!(graph.shortest_path("a", "c", None).unwrap(), None);
    assert_eq!(ppr_ids(&graph, "a"), ["a", "e"]);
    assert_eq!(graph.degree("a"), 1);
    // A new entity may reuse the removed one's index; it starts without relations.
    graph.upsert_entity(Entity::new("f", "F", "node")).unwrap();
    assert_eq!(graph.shortest_path("a", "f", None).unwrap(), None);
    assert_eq!(ppr_ids(&graph, "f"), ["f"]);
    graph.add_relation(Relation::new("f", "r", "c")).unwrap();
    graph.add_relation(Relation::new("a", "r", "f")).unwrap();
    assert_eq!(path_ids(&graph.shortest_path("a", "c", None).unwrap().unwrap(), "a"), ["a", "f", "c"]);
    let ranked = ppr_ids(&graph, "c");
    assert!(["a", "c", "e", "f"].iter().all(|id| ranked.contains(&id.to_string())), "{ranked:?}");
    assert!(!ranked.contains(&"b".to_string()));

    // Replacing an entity keeps its relations, and the snapshot stays in step.
    graph.upsert_entity(Entity::new("f", "F again", "node")).unwrap();
    assert_eq!(graph.shortest_path("a", "c", None).unwrap().unwrap()[0].target_name, "F again");

    // A clone answers like the original.
    let copy = graph.clone();
    assert_eq!(copy.shortest_path("e", "c", None).unwrap(), graph.shortest_path("e", "c", None).unwrap());
    assert_eq!(ppr_ids(&copy, "e"), ppr_ids(&graph, "e"));
}

/// Shortest paths from both ends are as short as a one-sided search, on the atlas.
#[test]
fn bidirectional_paths_are_shortest() {
    let graph = atlas();
    let mut ids: Vec<&str> = graph.entities().filter(|e| graph.degree(&e.id) > 0).map(|e| e.id.as_str()).collect();
    ids.sort_unstable();
    let hops = |from: &str, relation: Option<&str>| -> HashMap<String, usize> {
        // One-sided breadth-first search over `neighbors`, depth by depth.
        let mut depth = HashMap::from([(from.to_string(), 0)]);
        let mut frontier = vec![from.to_string()];
        let query =
            NeighborQuery { relation: relation.map(String::from), limit: usize::MAX, ..NeighborQuery::default() };
        let mut level = 0;
        while !frontier.is_empty() {
            level += 1;
            let mut next = Vec::new();
            for id in &frontier {
                for entity in graph.neighbors(id, &query).unwrap().entities {
                    if !depth.contains_key(&entity.id) {
                        depth.insert(entity.id.clone(), level);
                        next.push(entity.id);
                    }
                }
            }
            frontier = next;
        }
        depth
    };
    for (step, relation) in [(97, None), (211, Some("borders"))] {
        for from in ids.iter().step_by(step) {
            let depth = hops(from, relation);
            let filter = relation.map(|r| vec![r.to_string()]);
            for to in ids.iter().step_by(step / 2) {
                let path = graph.shortest_path(from, to, filter.as_deref()).unwrap();
                assert_eq!(path.as_ref().map(Vec::len), depth.get(*to).copied(), "{from} → {to} via {relation:?}");
                if let Some(path) = path {
                    assert_eq!(path_ids(&path, from).last().map(String::as_str), Some(*to));
                    assert!(path.iter().all(|f| relation.is_none_or(|r| f.relation == r)));
                }
            }
        }
    }
}

#[test]
fn items_are_ranked_by_the_mass_of_their_entities() {
    let mut graph = load_atlas();
    graph.link_item("doc:koala", &["concept:koala".into(), "concept:phalanger".into()]);
    graph.link_item("doc:france", &["country:FRA".into(), "unknown:entity".into()]);
    graph.link_item(
        "img:everything",
        &[
            "concept:koala".into(),
            "country:FRA".into(),
            "country:KEN".into(),
            "country:ETH".into(),
            "country:DEU".into(),
        ],
    );
    assert_eq!(graph.items_of("concept:koala"), ["doc:koala", "img:everything"]);
    assert_eq!(graph.entities_of_item("doc:france"), ["country:FRA"]);

    let ppr = graph.personalized_pagerank(&[("concept:koala".into(), 1.0)], &PprParams::default());
    let ranked = graph.rank_items(&ppr, 10);
    assert_eq!(ranked[0].0, "doc:koala");
    assert!(ranked.iter().all(|(_, s)| *s > 0.0));
    assert_eq!(graph.rank_items(&ppr, 1).len(), 1);

    assert!(graph.unlink_item("doc:koala"));
    assert!(!graph.unlink_item("doc:koala"));
    assert_eq!(graph.items_of("concept:koala"), ["img:everything"]);
    // Relinking replaces the item's links.
    graph.link_item("img:everything", &["country:KEN".into()]);
    assert!(graph.items_of("concept:koala").is_empty());
}

#[test]
fn json_shapes_match_the_import_format() {
    let line = r#"{"id": "country:FRA", "name": "France", "type": "country", "aliases": ["FR"], "description": "d", "props": {"population": 1}}"#;
    let entity: Entity = serde_json::from_str(line).unwrap();
    assert_eq!(entity.kind, "country");
    let back = serde_json::to_value(&entity).unwrap();
    assert_eq!(back["type"], "country");
    let minimal: Entity = serde_json::from_str(r#"{"id":"x","name":"X","type":"t"}"#).unwrap();
    assert!(minimal.aliases.is_empty() && minimal.props.is_empty());
    let relation: Relation = serde_json::from_str(r#"{"source":"a","relation":"r","target":"b"}"#).unwrap();
    assert_eq!(relation.relation, "r");
    assert_eq!(serde_json::to_string(&Direction::Both).unwrap(), "\"both\"");
    let schema = schemars::schema_for!(GraphQuestion);
    assert!(serde_json::to_string(&schema).unwrap().contains("relations"));
}

#[test]
fn bulk_import_handles_many_edges() {
    let mut graph = Graph::new();
    let n = 20_000;
    let report = graph.import_entities((0..n).map(|i| Entity::new(format!("e{i}"), format!("Entity {i}"), "node")));
    assert_eq!(report.written, n);
    let relations = (0..n).flat_map(|i| {
        (1..=10).map(move |step| Relation::new(format!("e{i}"), "near", format!("e{}", (i * 7 + step * 13) % n)))
    });
    let report = graph.import_relations(relations);
    assert_eq!(report.written + report.unchanged, n * 10);
    assert!(report.rejected.is_empty());
    assert_eq!(graph.relation_count(), report.written);
    let report = graph.import_relations([Relation::new("e1", "near", "missing")]);
    assert_eq!(report.rejected, vec![(0, GraphError::UnknownEntity("missing".into()))]);
}

/// Linking latency with a large alias dictionary; run with
/// `cargo test -p braid-graph --release -- --ignored --nocapture link_latency`.
#[test]
#[ignore]
fn link_latency() {
    let mut graph = load_atlas();
    let syllables = ["ka", "lo", "mi", "ran", "te", "su", "bo", "vel", "dor", "ni", "pa", "zen"];
    let entities = (0..50_000usize).map(|i| {
        let word = |seed: usize| -> String { (0..3).map(|k| syllables[(seed / 12usize.pow(k)) % 12]).collect() };
        Entity::new(format!("synthetic:{i}"), format!("{} {}", word(i), word(i * 31 + 7)), "synthetic")
            .with_aliases([word(i * 17 + 3), format!("{}ville", word(i + 5))])
    });
    graph.import_entities(entities);
    let started = std::time::Instant::now();
    graph.prepare_linker();
    println!("index build: {:?}", started.elapsed());
    let queries = [
        "which countries border Frnace and Germany today",
        "what is the capital of kenya and its population",
        "how are Kenya and Ethopia connected by land",
        "show me a picture of a koala eating leaves please",
        "is the killer whale a kind of dolphin or whale",
    ];
    let mut times = Vec::new();
    for _ in 0..200 {
        for q in queries {
            let t = std::time::Instant::now();
            std::hint::black_box(graph.link(q));
            times.push(t.elapsed());
        }
    }
    times.sort();
    println!("p50 {:?} p99 {:?}", times[times.len() / 2], times[times.len() * 99 / 100]);
}

#[test]
fn a_relation_reads_back_with_its_props() {
    let mut graph = Graph::new();
    for e in [Entity::new("a", "A", "t"), Entity::new("b", "B", "t")] {
        graph.upsert_entity(e).expect("entity");
    }
    let mut r = Relation::new("a", "likes", "b");
    r.props.insert("since".into(), 1999.into());
    graph.add_relation(r.clone()).expect("relation");
    assert_eq!(graph.relation("a", "likes", "b"), Some(r));
    assert_eq!(graph.relation("b", "likes", "a"), None, "direction matters");
    assert_eq!(graph.relation("a", "hates", "b"), None);
    assert_eq!(graph.relation("a", "likes", "nobody"), None);
}
