//! Crash safety: ingest over REST in a loop, SIGKILL the server at random points, restart, and
//! check that every acknowledged write is present and every index agrees with the store.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::harness::*;

/// A small deterministic generator (xorshift), so a failing run can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn acknowledged_writes_survive_twenty_sigkills() {
    let cycles: usize = std::env::var("CRASH_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let seed = std::env::var("CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x9e37_79b9_7f4a_7c15_u64);
    println!("crash test: {cycles} cycles, seed {seed}");
    let mut rng = Rng(seed);
    let data = tempfile::tempdir().expect("tempdir");
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();

    for cycle in 0..cycles {
        let server = Server::start(&["serve"], data.path(), &[]);
        let port = server.port;
        let stop = Arc::new(AtomicBool::new(false));
        // Two concurrent writers: documents one by one, and small batches of entities.
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let stop = stop.clone();
                let acked = acked.clone();
                std::thread::spawn(move || {
                    let client = Client { port };
                    let mut i = 0;
                    while !stop.load(Ordering::SeqCst) {
                        let (path, body, ids) = if w == 0 {
                            let id = format!("doc:crash:{cycle}:{i}");
                            let body = json!({"id": id, "title": format!("crash probe {cycle} {i}"), "text": format!("crash probe {cycle} {i} lorem ipsum kiwi {}", probe_word(&id))});
                            ("/v1/documents", body, vec![id])
                        } else {
                            let ids: Vec<String> = (0..3).map(|j| format!("ent:crash:{cycle}:{i}:{j}")).collect();
                            let items: Vec<_> = ids.iter().map(|id| json!({"id": id, "name": format!("Probe {id}"), "type": "probe"})).collect();
                            ("/v1/entities", json!({"items": items}), ids)
                        };
                        // Only a complete 200 answer counts as an acknowledgement.
                        if let Ok((200, _)) = client.post(path, &body) {
                            acked.lock().unwrap_or_else(|e| e.into_inner()).extend(ids);
                        }
                        i += 1;
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(200 + rng.next() % 1300));
        server.kill9();
        stop.store(true, Ordering::SeqCst);
        for w in writers {
            let _ = w.join();
        }
    }

    let server = Server::start(&["serve"], data.path(), &[]);
    let acked = acked.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let docs: Vec<&String> = acked.iter().filter(|id| id.starts_with("doc:")).collect();
    let ents: Vec<&String> = acked.iter().filter(|id| id.starts_with("ent:")).collect();
    assert!(docs.len() > cycles, "too few writes were acknowledged to test anything: {}", docs.len());
    let (_, st) = server.get("/v1/status");
    let stored_docs = st["counts"]["documents"].as_u64().unwrap_or(0) as usize;
    let stored_ents = st["counts"]["entities"].as_u64().unwrap_or(0) as usize;
    // A write may commit and die before its answer is sent, so the store can hold more than
    // was acknowledged, never less.
    assert!(stored_docs >= docs.len(), "documents {stored_docs} < acknowledged {}", docs.len());
    assert!(stored_ents >= ents.len(), "entities {stored_ents} < acknowledged {}", ents.len());
    assert_eq!(st["indexed_items"].as_u64(), Some(stored_docs as u64), "the vector index disagrees with the store");
    for id in docs.iter().step_by((docs.len() / 60).max(1)) {
        assert_eq!(server.get(&format!("/v1/documents/{id}")).0, 200, "acknowledged {id} lost");
        let (_, r) = server.post("/v1/search/vector", json!({"query": probe_word(id), "k": 50}));
        assert!(ids(&r["results"]).contains(id), "{id} is stored but not searchable");
    }
    for id in ents.iter().step_by((ents.len() / 60).max(1)) {
        assert_eq!(server.get(&format!("/v1/entities/{id}")).0, 200, "acknowledged {id} lost");
    }
    println!(
        "crash test: {} documents and {} entities acknowledged over {cycles} SIGKILLs; all present",
        docs.len(),
        ents.len()
    );
}

/// A word only this probe document holds: its cycle and number spelled with the letters
/// q–z, and p between them. Numbers alone make poor queries here: hundreds of probes share
/// them, so a probe could rank below k by similarity while being indexed perfectly well.
fn probe_word(id: &str) -> String {
    let numbers = id.strip_prefix("doc:crash:").unwrap_or(id);
    numbers.bytes().map(|b| if b.is_ascii_digit() { char::from(b'q' + (b - b'0')) } else { 'p' }).collect()
}

/// A minimal client that reports connection failures instead of panicking (the server dies
/// under it on purpose).
struct Client {
    port: u16,
}

impl Client {
    fn post(&self, path: &str, body: &serde_json::Value) -> std::io::Result<(u16, serde_json::Value)> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let body = body.to_string();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())?;
        let mut raw = String::new();
        stream.read_to_string(&mut raw)?;
        let status =
            raw.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(std::io::ErrorKind::InvalidData)?;
        let payload = raw.split("\r\n\r\n").nth(1).unwrap_or("");
        // A complete answer has a complete JSON body.
        let value: serde_json::Value = serde_json::from_str(payload).map_err(|_| std::io::ErrorKind::InvalidData)?;
        Ok((status, value))
    }
}
