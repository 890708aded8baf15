//! `braid demo` on the Milvus backend (feature `milvus`) against the embedded default: same
//! embedder, same queries, top-10 overlap ≥ 0.8; `/v1/status` names the backend; writes go
//! through; a Milvus outage degrades only the vector route and loses no write, and
//! `braid index rebuild --backend milvus` backfills it afterwards.
//!
//! Needs `BRAID_MILVUS_URI` (Milvus Lite started by `.ci/engines.sh`); skipped without it,
//! except under CI (`CI` set), where that is a failure.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::harness::{Server, free_port, ids, line_count};

fn milvus_uri() -> Option<String> {
    match std::env::var("BRAID_MILVUS_URI") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            assert!(std::env::var_os("CI").is_none(), "CI is set but BRAID_MILVUS_URI is not: start Milvus Lite first");
            eprintln!("skipped: set BRAID_MILVUS_URI to run the Milvus end-to-end tests");
            None
        }
    }
}

fn vector_ids(s: &Server, query: &str) -> Vec<String> {
    let (code, r) = s.post("/v1/search/vector", json!({"query": query, "k": 10}));
    assert_eq!(code, 200, "{r}");
    ids(&r["results"])
}

fn source_status<'a>(r: &'a Value, route: &str) -> &'a Value {
    r["sources"].as_array().and_then(|a| a.iter().find(|x| x["route"] == route)).unwrap_or(&Value::Null)
}

const QUERIES: [&str; 8] = [
    "koala eucalyptus marsupial",
    "pictures of musical instruments",
    "capital city of France",
    "volcano eruption",
    "what does a flag with a red star look like",
    "famous painters",
    "a river in Africa",
    "birds of prey",
];

#[test]
fn milvus_demo_matches_the_embedded_backend() {
    let Some(uri) = milvus_uri() else { return };
    let prefix = format!("e2e{}", std::process::id());
    let embedded_dir = tempfile::tempdir().expect("tempdir");
    let milvus_dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("BRAID_VECTOR_BACKEND", "milvus"),
        ("BRAID_MILVUS_URI", uri.as_str()),
        ("BRAID_MILVUS_COLLECTION", prefix.as_str()),
    ];
    let embedded = Server::start(&["demo"], embedded_dir.path(), &[("BRAID_VECTOR_BACKEND", "usearch")]);
    let milvus = Server::start(&["demo"], milvus_dir.path(), &env);

    let (code, st) = milvus.get("/v1/status");
    assert_eq!(code, 200);
    assert_eq!(st["vector_backend"], "milvus", "{st}");
    // Every document and image, long documents as several passages: as many items as the
    // embedded backend holds for the same data.
    let items = line_count("documents.jsonl") + line_count("images.jsonl");
    let (_, embedded_st) = embedded.get("/v1/status");
    assert_eq!(embedded_st["vector_backend"], "usearch");
    let embedded_items = embedded_st["indexed_items"].as_u64().unwrap_or(0);
    assert!(embedded_items >= items, "{embedded_st}");
    assert_eq!(st["indexed_items"].as_u64(), Some(embedded_items), "{st}");

    let mut overlaps = Vec::new();
    for q in QUERIES {
        let a: HashSet<String> = vector_ids(&embedded, q).into_iter().collect();
        let b: HashSet<String> = vector_ids(&milvus, q).into_iter().collect();
        assert!(!a.is_empty(), "embedded found nothing for {q:?}");
        let overlap = a.intersection(&b).count() as f64 / a.len() as f64;
        eprintln!("{q:?}: top-10 overlap {overlap:.2}");
        if overlap < 0.8 {
            eprintln!("  embedded {a:?}\n  milvus   {b:?}");
        }
        overlaps.push(overlap);
        // The routed query answers with the vector route ok.
        let (code, r) = milvus.post("/v1/query", json!({"query": q, "routes": ["vector"], "k": 10}));
        assert_eq!(code, 200);
        assert_eq!(source_status(&r, "vector")["status"], "ok", "{r}");
    }
    let mean = overlaps.iter().sum::<f64>() / overlaps.len() as f64;
    let worst = overlaps.iter().copied().fold(1.0, f64::min);
    eprintln!("top-10 overlap with the embedded backend: mean {mean:.2}, worst {worst:.2}");
    // Queries without a good answer in the atlas rank near-ties, whose order differs between
    // two HNSW implementations: the mean must reach 0.8, and no query may fall below 0.6.
    assert!(mean >= 0.8 && worst >= 0.6, "overlaps {overlaps:?}");

    // Writes go to the store and then to Milvus; deletes reach Milvus too.
    let (code, _) = milvus.post(
        "/v1/documents",
        json!({"id": "doc:test:quokka", "title": "Quokka", "text": "The quokka is a small wallaby of Rottnest Island."}),
    );
    assert_eq!(code, 200);
    assert_eq!(vector_ids(&milvus, "quokka wallaby rottnest").first().map(String::as_str), Some("doc:test:quokka"));
    let (code, _) = milvus.request("DELETE", "/v1/documents/doc:test:quokka", None);
    assert_eq!(code, 200);
    assert!(!vector_ids(&milvus, "quokka wallaby rottnest").contains(&"doc:test:quokka".to_string()));
    let (_, st) = milvus.get("/v1/status");
    assert_eq!(st["vector_apply_failures"], 0, "{st}");
}

#[test]
fn milvus_outage_degrades_the_vector_route_and_keeps_writes() {
    let Some(uri) = milvus_uri() else { return };
    let prefix = format!("e2e{}_outage", std::process::id());
    let dir = tempfile::tempdir().expect("tempdir");
    // Nothing listens there: Milvus is "down".
    let down = format!("http://127.0.0.1:{}", free_port());
    let env_down = [
        ("BRAID_VECTOR_BACKEND", "milvus"),
        ("BRAID_MILVUS_URI", down.as_str()),
        ("BRAID_MILVUS_COLLECTION", prefix.as_str()),
    ];
    {
        let s = Server::start(&["serve"], dir.path(), &env_down);
        let (code, st) = s.get("/v1/status");
        assert_eq!(code, 200, "status answers while Milvus is down: {st}");
        assert_eq!(st["vector_backend"], "milvus");
        let (code, _) =
            s.post("/v1/entities", json!({"items": [{"id": "x:quokka", "name": "Quokka", "type": "animal"}]}));
        assert_eq!(code, 200);
        // The write is acknowledged: the store of record committed it.
        let (code, r) = s.post(
            "/v1/documents",
            json!({"id": "doc:test:quokka", "title": "Quokka", "text": "The quokka is a small wallaby of Rottnest Island.", "entities": ["x:quokka"]}),
        );
        assert_eq!(code, 200, "{r}");
        let (_, st) = s.get("/v1/status");
        assert!(st["vector_apply_failures"].as_u64() >= Some(1), "{st}");
        assert_eq!(st["counts"]["documents"], 1);
        // The vector route reports its error; the graph route still answers.
        let (code, r) = s.post("/v1/query", json!({"query": "Quokka", "routes": ["graph", "vector"]}));
        assert_eq!(code, 200, "{r}");
        assert_eq!(source_status(&r, "vector")["status"], "error", "{r}");
        assert_eq!(source_status(&r, "graph")["status"], "ok", "{r}");
        assert!(ids(&r["results"]).contains(&"x:quokka".to_string()), "{r}");
    }
    // Milvus is back: `braid index rebuild` backfills it from the store of record...
    let env_up = [
        ("BRAID_VECTOR_BACKEND", "milvus"),
        ("BRAID_MILVUS_URI", uri.as_str()),
        ("BRAID_MILVUS_COLLECTION", prefix.as_str()),
    ];
    let out = std::process::Command::new(crate::harness::BIN)
        .args(["index", "rebuild", "--backend", "milvus", "--data"])
        .arg(dir.path())
        .envs(env_up)
        .output()
        .expect("run braid index rebuild");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("milvus: 1 items loaded") && stdout.contains("the backend now holds 1"), "{stdout}");
    // ...and start-up reconciles too: the acknowledged write is searchable, nothing was lost.
    let s = Server::start(&["serve"], dir.path(), &env_up);
    assert_eq!(vector_ids(&s, "quokka wallaby rottnest").first().map(String::as_str), Some("doc:test:quokka"));
    let (_, st) = s.get("/v1/status");
    assert_eq!(st["indexed_items"], 1, "{st}");
}
