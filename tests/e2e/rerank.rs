//! The vector route's reranking stage against fake `/rerank` servers on loopback: one that
//! answers (Cohere shape), one that fails and one that is late. A failed or late reranker
//! never fails the query: the hybrid order is served and `sources` says what happened.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::*;

#[derive(Clone, Copy)]
enum Behaviour {
    /// Scores 10 for documents mentioning "zebra", else 0, in Cohere's shape.
    Answer,
    /// 500.
    Fail,
    /// Answers after 3 s.
    Late,
}

/// A `/rerank` server on a loopback port; serves until the test process ends.
fn fake_reranker(behaviour: Behaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/v1/rerank", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0usize;
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            loop {
                line.clear();
                if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let (status, answer) = match behaviour {
                Behaviour::Fail => ("500 Internal Server Error", json!({"message": "model not loaded"})),
                Behaviour::Answer | Behaviour::Late => {
                    if matches!(behaviour, Behaviour::Late) {
                        std::thread::sleep(Duration::from_secs(3));
                    }
                    let docs = request["documents"].as_array().cloned().unwrap_or_default();
                    let results: Vec<Value> = docs
                        .iter()
                        .enumerate()
                        .map(|(i, d)| {
                            let score = if d.as_str().unwrap_or("").contains("zebra") { 10.0 } else { 0.0 };
                            json!({"index": i, "relevance_score": score})
                        })
                        .collect();
                    ("200 OK", json!({"results": results}))
                }
            };
            let text = answer.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    url
}

/// A server on a fresh data directory holding a few animal documents, reranked by `url`.
fn server_with_reranker(url: &str, data: &std::path::Path) -> Server {
    let s = Server::start(
        &["serve"],
        data,
        &[("BRAID_RERANK_URL", url), ("BRAID_RERANK_MODEL", "fake"), ("BRAID_RERANK_DEADLINE_MS", "500")],
    );
    let docs: Vec<Value> = [
        ("doc:horse", "Horse", "The horse is a large animal that people ride; horses graze on grass."),
        ("doc:pony", "Pony", "A pony is a small horse; ponies graze and are ridden by children."),
        ("doc:zebra", "Zebra", "The zebra is a striped wild animal of Africa, related to the horse."),
        ("doc:paris", "Paris", "Paris is the capital of France."),
    ]
    .iter()
    .map(|(id, title, text)| json!({"id": id, "title": title, "text": text}))
    .collect();
    let (code, r) = s.post("/v1/documents", json!({"items": docs}));
    assert_eq!(code, 200, "{r}");
    s
}

fn vector_query(s: &Server) -> (Vec<String>, Value) {
    let (code, r) = s.post("/v1/query", json!({"query": "horse riding animal", "k": 3, "routes": ["vector"]}));
    assert_eq!(code, 200, "{r}");
    let stage = r["sources"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["route"] == "vector"))
        .map(|v| v["stages"][0].clone())
        .unwrap_or(Value::Null);
    (ids(&r["results"]), stage)
}

#[test]
fn a_reranker_reorders_the_vector_route_and_reports_itself() {
    let data = tempfile::tempdir().expect("tempdir");
    let s = server_with_reranker(&fake_reranker(Behaviour::Answer), data.path());
    let (top, stage) = vector_query(&s);
    assert_eq!(top.first().map(String::as_str), Some("doc:zebra"), "{top:?}");
    assert_eq!((stage["stage"].as_str(), stage["status"].as_str()), (Some("rerank"), Some("ok")), "{stage}");
    assert_eq!(stage["by"].as_str(), Some("http-fake"), "{stage}");
}

#[test]
fn a_failing_or_late_reranker_is_skipped_and_reported() {
    for (behaviour, status) in [(Behaviour::Fail, "error"), (Behaviour::Late, "timeout")] {
        let data = tempfile::tempdir().expect("tempdir");
        let s = server_with_reranker(&fake_reranker(behaviour), data.path());
        let started = std::time::Instant::now();
        let (top, stage) = vector_query(&s);
        assert_eq!(stage["status"].as_str(), Some(status), "{stage}");
        assert!(stage["error"].as_str().is_some_and(|e| !e.is_empty()), "{stage}");
        assert!(top.first().is_some_and(|id| id == "doc:horse" || id == "doc:pony"), "hybrid order kept: {top:?}");
        // Bound against hanging, not a speed check: the late reranker answers after 3 s.
        assert!(started.elapsed() < Duration::from_secs(60));
    }
}
