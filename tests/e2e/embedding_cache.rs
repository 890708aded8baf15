//! Embedding caches: `braid cache-embeddings` records what an import embeds, `braid demo`
//! answers those texts from the cache, and the atlas ships one for MiniLM so the MiniLM demo
//! starts in seconds instead of embedding for ten minutes.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::harness::*;

/// The `N texts from the atlas embedding cache, M embedded now` counts the demo logs.
fn cache_counts(log: &Path) -> (u64, u64) {
    let text = std::fs::read_to_string(log).expect("reading the server log");
    let line = text.lines().find(|l| l.contains("from the atlas embedding cache")).unwrap_or_else(|| {
        panic!("the demo did not report its embedding cache:\n{text}");
    });
    let number_before = |word: &str| -> u64 {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words.iter().position(|w| *w == word).expect("word in the cache line");
        words[at - 1].trim_start_matches(';').parse().expect("a count")
    };
    (number_before("texts"), number_before("embedded"))
}

fn write_dataset(dir: &Path, koala_text: &str) {
    let long: String = (0..60).map(|i| format!("Sentence {i} about marsupials and the trees they climb. ")).collect();
    let docs = [
        json!({"id": "doc:koala", "title": "Koala", "text": koala_text, "entities": ["concept:koala"]}),
        json!({"id": "doc:paris", "title": "Paris", "text": "Paris is the capital and largest city of France."}),
        json!({"id": "doc:long", "title": "Marsupials", "text": long}),
    ];
    let lines: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
    std::fs::write(dir.join("documents.jsonl"), lines.join("\n") + "\n").expect("documents");
    let entity = json!({"id": "concept:koala", "type": "concept", "name": "koala"});
    std::fs::write(dir.join("entities.jsonl"), format!("{entity}\n")).expect("entities");
}

fn cache_embeddings(dataset: &Path, out: &Path) -> String {
    let run = Command::new(BIN)
        .args(["cache-embeddings", "--out"])
        .arg(out)
        .arg(dataset)
        .env("BRAID_EMBEDDER", "hash")
        .output()
        .expect("running braid cache-embeddings");
    assert!(run.status.success(), "cache-embeddings failed: {}", String::from_utf8_lossy(&run.stderr));
    String::from_utf8_lossy(&run.stdout).to_string()
}

#[test]
fn demo_answers_texts_from_the_dataset_cache_and_embeds_only_what_changed() {
    let dataset = tempfile::tempdir().expect("tempdir");
    write_dataset(dataset.path(), "The koala climbs eucalyptus trees and eats their leaves.");
    std::fs::create_dir(dataset.path().join("embeddings")).expect("mkdir");
    let cache = dataset.path().join("embeddings/hash-384.emb");
    let said = cache_embeddings(dataset.path(), &cache);
    // Three documents (one split into passages) and the router's exemplar queries.
    let entries: u64 = said.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("entry count");
    assert!(entries > 100, "{said}");

    let atlas = dataset.path().to_string_lossy().to_string();
    let data = tempfile::tempdir().expect("tempdir");
    let log = data.path().join("server.log");
    let s = Server::start_logged(&["demo"], &data.path().join("d"), &[("BRAID_ATLAS", &atlas)], Some(&log));
    let (hits, misses) = cache_counts(&log);
    assert_eq!(misses, 0, "every text of the dataset is in its cache");
    assert!(hits >= 3, "{hits} hits");
    let (code, r) = s.post("/v1/search/vector", json!({"query": "koala eucalyptus", "k": 3}));
    assert_eq!(code, 200, "{r}");
    assert_eq!(ids(&r["results"]).first().map(String::as_str), Some("doc:koala"), "{r}");
    drop(s);

    // One document changed: only its text misses and is embedded afresh.
    write_dataset(dataset.path(), "The koala sleeps most of the day in the fork of a gum tree.");
    let log = data.path().join("changed.log");
    let s = Server::start_logged(&["demo"], &data.path().join("e"), &[("BRAID_ATLAS", &atlas)], Some(&log));
    assert_eq!(cache_counts(&log).1, 1, "only the changed document misses");
    let (code, r) = s.post("/v1/search/vector", json!({"query": "sleeps in the fork of a gum tree", "k": 1}));
    assert_eq!(code, 200, "{r}");
    assert_eq!(ids(&r["results"]), vec!["doc:koala".to_string()], "the new text is what got indexed");
}

#[test]
fn a_damaged_or_foreign_cache_is_reported_and_everything_is_embedded() {
    let dataset = tempfile::tempdir().expect("tempdir");
    write_dataset(dataset.path(), "The koala climbs eucalyptus trees.");
    std::fs::create_dir(dataset.path().join("embeddings")).expect("mkdir");
    let cache = dataset.path().join("embeddings/hash-384.emb");
    cache_embeddings(dataset.path(), &cache);
    let bytes = std::fs::read(&cache).expect("cache bytes");
    std::fs::write(&cache, &bytes[..bytes.len() - 7]).expect("truncate");

    let atlas = dataset.path().to_string_lossy().to_string();
    let data = tempfile::tempdir().expect("tempdir");
    let log = data.path().join("server.log");
    let s = Server::start_logged(&["demo"], &data.path().join("d"), &[("BRAID_ATLAS", &atlas)], Some(&log));
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.contains("not using") && text.contains("truncated or corrupt"), "{text}");
    assert!(!text.contains("from the atlas embedding cache"), "no cache was in use: {text}");
    let (code, st) = s.get("/v1/status");
    assert_eq!((code, st["counts"]["documents"].as_u64()), (200, Some(3)), "{st}");
    drop(s);

    // A cache of another model (the hashing embedder at another dimension) is not used.
    let other = dataset.path().join("embeddings/hash-384.emb");
    let run = Command::new(BIN)
        .args(["cache-embeddings", "--out"])
        .arg(&other)
        .arg(dataset.path())
        .env("BRAID_EMBEDDER", "hash")
        .output()
        .expect("cache-embeddings");
    assert!(run.status.success());
    let config = data.path().join("braid.toml");
    std::fs::write(&config, "[embedder]\nkind = \"hash\"\ndimension = 128\n").expect("config");
    let log = data.path().join("other.log");
    let config_arg = config.to_string_lossy().to_string();
    let _s = Server::start_logged(
        &["demo", "--config", &config_arg],
        &data.path().join("e"),
        &[("BRAID_ATLAS", &atlas)],
        Some(&log),
    );
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.contains("ships no embedding cache for `hash-128`"), "{text}");
}

#[test]
fn cache_embeddings_names_a_missing_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = Command::new(BIN)
        .args(["cache-embeddings", "--out"])
        .arg(dir.path().join("x.emb"))
        .arg(dir.path().join("missing"))
        .env("BRAID_EMBEDDER", "hash")
        .output()
        .expect("cache-embeddings");
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("missing"), "{err}");
}

/// The MiniLM folder: `BRAID_MINILM_DIR` (CI exports it: not `BRAID_MODEL_DIR`, which would
/// make every `braid` of the test suite choose MiniLM) or `BRAID_MODEL_DIR`, else `None` after
/// a notice; under `CI` a missing model fails, so a broken set-up cannot pass silently.
pub fn minilm_dir() -> Option<PathBuf> {
    let found = ["BRAID_MINILM_DIR", "BRAID_MODEL_DIR"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .find(|dir| dir.join("model.safetensors").is_file());
    match found {
        Some(dir) => Some(dir),
        None if std::env::var_os("CI").is_some() => panic!("CI is set but BRAID_MINILM_DIR holds no MiniLM model"),
        None => {
            eprintln!("NOTICE: skipping a MiniLM test: neither BRAID_MINILM_DIR nor BRAID_MODEL_DIR is set");
            None
        }
    }
}

#[test]
fn minilm_demo_starts_from_the_shipped_cache_and_finds_the_koala_by_description() {
    let Some(model) = minilm_dir() else { return };
    let model = model.to_string_lossy().to_string();
    let data = tempfile::tempdir().expect("tempdir");
    let log = data.path().join("server.log");
    let s = Server::start_logged(
        &["demo"],
        &data.path().join("d"),
        &[("BRAID_EMBEDDER", "minilm"), ("BRAID_MODEL_DIR", &model)],
        Some(&log),
    );
    let (hits, misses) = cache_counts(&log);
    assert_eq!(misses, 0, "the shipped cache is stale: re-run `braid cache-embeddings` (see the atlas README)");
    assert!(hits > 4000, "{hits} hits");
    let (code, st) = s.get("/v1/status");
    assert_eq!((code, st["embedder"]["name"].as_str()), (200, Some("minilm-384")), "{st}");

    let (code, r) =
        s.post("/v1/search/vector", json!({"query": "a small grey animal that climbs eucalyptus trees", "k": 5}));
    assert_eq!(code, 200, "{r}");
    let top: Vec<String> =
        ids(&r["results"]).into_iter().map(|id| id.split('#').next().unwrap_or("").to_string()).collect();
    // The koala items as the acceptance check counts them: the concept, the documents about
    // it and the images depicting it.
    let mut koala = vec!["concept:koala".to_string()];
    for (file, field) in [("documents.jsonl", "entities"), ("images.jsonl", "depicts")] {
        let text = std::fs::read_to_string(atlas().join(file)).expect("atlas file");
        koala.extend(
            text.lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|d| d[field].as_array().is_some_and(|e| e.iter().any(|x| x == "concept:koala")))
                .filter_map(|d| d["id"].as_str().map(str::to_string)),
        );
    }
    assert!(top.iter().any(|id| koala.contains(id)), "no koala item in the top 5: {top:?}");
}
