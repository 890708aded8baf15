//! Vector index checkpoints through the binary: written on graceful shutdown and after an
//! import, reused at the next start with the store replayed over them, and served as a
//! read-only memory-mapped view.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::*;

fn document(i: usize) -> Value {
    json!({"id": format!("doc:ck:{i}"), "title": format!("Checkpoint probe {i}"),
           "text": format!("A quokka named probe{i} lives on Rottnest Island.")})
}

/// SIGTERM, then wait for a clean exit (the shutdown checkpoint runs before it).
fn stop_gracefully(mut server: Server) {
    let pid = server.child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().expect("kill -TERM");
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = server.child.try_wait() {
            assert!(status.success(), "braid exited with {status} after SIGTERM");
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "braid did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The ids the vector route returns for `query`.
fn vector_hits(server: &Server, query: &str) -> Vec<String> {
    let (status, body) = server.post("/v1/query", json!({"query": query, "k": 20, "routes": ["vector"], "ef": 200}));
    assert_eq!(status, 200, "{body}");
    body["results"].as_array().expect("results").iter().filter_map(|r| r["id"].as_str().map(String::from)).collect()
}

fn status(server: &Server) -> Value {
    let (code, body) = server.get("/v1/status");
    assert_eq!(code, 200);
    body
}

/// Runs `braid serve --read-only`, which must exit with an error; returns its stderr.
fn refused_read_only(data: &Path) -> String {
    let refused = braid_command()
        .args(["serve", "--read-only", "--addr", &format!("127.0.0.1:{}", free_port()), "--data"])
        .arg(data)
        .output()
        .expect("braid serve --read-only");
    assert!(!refused.status.success(), "a read-only server started without a usable checkpoint");
    String::from_utf8_lossy(&refused.stderr).into_owned()
}

fn log_of(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn a_graceful_stop_checkpoints_and_the_next_start_replays_over_it() {
    let data = tempfile::tempdir().expect("tempdir");
    let logs = tempfile::tempdir().expect("tempdir");
    let first_log = logs.path().join("first.log");
    let server = Server::start_logged(&["serve"], data.path(), &[], Some(&first_log));
    for i in 0..3 {
        let (code, body) = server.post("/v1/documents", document(i));
        assert_eq!(code, 200, "{body}");
    }
    assert_eq!(status(&server)["vector_changes_since_checkpoint"], 3);
    stop_gracefully(server);
    assert!(data.path().join("vector-index/CURRENT").is_file());
    assert!(
        log_of(&first_log).contains("vector index checkpoint 1 written on shutdown: 3 items"),
        "{}",
        log_of(&first_log)
    );

    // The next start reuses all three, so nothing is pending.
    let second_log = logs.path().join("second.log");
    let server = Server::start_logged(&["serve"], data.path(), &[], Some(&second_log));
    assert_eq!(status(&server)["vector_changes_since_checkpoint"], 0);
    assert!(log_of(&second_log).contains("reused=3"), "{}", log_of(&second_log));
    assert!(vector_hits(&server, "quokka probe1").contains(&"doc:ck:1".to_string()));

    // Writes after the checkpoint, then a crash: the replay brings them back.
    let (code, _) = server.post("/v1/documents", document(3));
    assert_eq!(code, 200);
    let (code, _) = server.request("DELETE", "/v1/documents/doc:ck:0", None);
    assert_eq!(code, 200);
    server.kill9();
    let third_log = logs.path().join("third.log");
    let server = Server::start_logged(&["serve"], data.path(), &[], Some(&third_log));
    let log = log_of(&third_log);
    assert!(log.contains("reused=2") && log.contains("reindexed=1") && log.contains("dropped=1"), "{log}");
    let st = status(&server);
    assert_eq!((st["indexed_items"].as_u64(), st["vector_changes_since_checkpoint"].as_u64()), (Some(3), Some(1)));
    let hits = vector_hits(&server, "quokka probe3");
    assert!(hits.contains(&"doc:ck:3".to_string()), "{hits:?}");
    assert!(!hits.contains(&"doc:ck:0".to_string()), "a deleted document came back: {hits:?}");
}

#[test]
fn read_only_serving_maps_the_checkpoint_and_refuses_writes() {
    let data = tempfile::tempdir().expect("tempdir");
    // Without a checkpoint there is nothing to map: a clear error, not an empty server.
    let stderr = refused_read_only(data.path());
    assert!(stderr.contains("there is none yet") && stderr.contains("braid index checkpoint"), "{stderr}");

    // `braid ingest` leaves a checkpoint behind.
    let file = data.path().join("docs.jsonl");
    let lines: Vec<String> = (0..5).map(|i| document(i).to_string()).collect();
    std::fs::write(&file, lines.join("\n")).expect("write");
    let ingest = braid_command().args(["ingest", "--data"]).arg(data.path()).arg(&file).output().expect("ingest");
    assert!(ingest.status.success(), "{}", String::from_utf8_lossy(&ingest.stderr));
    assert!(
        String::from_utf8_lossy(&ingest.stderr).contains("vector index checkpoint 1 written after the import: 5 items")
    );

    let server = Server::start(&["serve", "--read-only"], data.path(), &[]);
    let st = status(&server);
    assert_eq!((st["read_only"].as_bool(), st["indexed_items"].as_u64()), (Some(true), Some(5)));
    assert!(vector_hits(&server, "quokka probe4").contains(&"doc:ck:4".to_string()));
    for (method, path, body) in [
        ("POST", "/v1/documents", Some(document(9))),
        ("POST", "/v1/entities", Some(json!({"id": "ent:x", "name": "X", "type": "thing"}))),
        ("DELETE", "/v1/documents/doc:ck:1", None),
    ] {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let (code, answer) = server.request(method, path, bytes.as_deref());
        assert_eq!(code, 409, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["code"], "read_only", "{answer}");
    }
    drop(server);

    // A change made after the checkpoint makes the view refuse to start, naming the fix.
    let server = Server::start(&["serve"], data.path(), &[]);
    let (code, _) = server.post("/v1/documents", document(8));
    assert_eq!(code, 200);
    server.kill9();
    let stderr = refused_read_only(data.path());
    assert!(stderr.contains("needs a current vector checkpoint"), "{stderr}");
    // `braid index checkpoint` brings it up to date.
    let checkpoint =
        braid_command().args(["index", "checkpoint", "--data"]).arg(data.path()).output().expect("checkpoint");
    assert!(checkpoint.status.success(), "{}", String::from_utf8_lossy(&checkpoint.stderr));
    assert!(String::from_utf8_lossy(&checkpoint.stdout).contains("vector index checkpoint 2: 6 items"));
    let server = Server::start(&["serve", "--read-only"], data.path(), &[]);
    assert!(vector_hits(&server, "quokka probe8").contains(&"doc:ck:8".to_string()));
}

#[test]
fn a_damaged_checkpoint_is_set_aside_and_the_index_rebuilt() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&["serve"], data.path(), &[]);
    for i in 0..2 {
        assert_eq!(server.post("/v1/documents", document(i)).0, 200);
    }
    stop_gracefully(server);
    let keys = data.path().join("vector-index/keys-1.bin");
    let mut bytes = std::fs::read(&keys).expect("keys");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&keys, bytes).expect("write");
    let log = data.path().join("server.log");
    let server = Server::start_logged(&["serve"], data.path(), &[], Some(&log));
    assert!(log_of(&log).contains("ignoring the vector index checkpoint"), "{}", log_of(&log));
    assert!(vector_hits(&server, "quokka probe1").contains(&"doc:ck:1".to_string()));
    let (code, body) = server.post("/v1/query", json!({"query": "quokka", "ef": 0}));
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["error"]["field"], "ef");
}
