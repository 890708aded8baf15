//! Fact extraction against a fake OpenAI-compatible chat endpoint on 127.0.0.1 that answers
//! well, answers with something that is not the JSON asked for, answers too slowly, or fails.
//! The ingest never stops for it: failed passages are reported and tried again next time;
//! answers are cached, so an unchanged folder costs no calls; facts keep the passage that
//! states them and go when it goes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use braid_kb::extract::{Extractor, LlmConfig, PROVENANCE_PROP};
use braid_kb::ingest::{IngestOptions, IngestReport, NoProgress, ingest_paths_with};
use braid_kb::records::Entity;
use braid_kb::{KnowledgeBase, Options};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What the fake endpoint has seen and how it behaves.
#[derive(Default)]
struct Endpoint {
    calls: AtomicUsize,
    /// Answer every call with HTTP 500.
    down: AtomicBool,
    /// Passages that are answered with prose instead of JSON (once fixed, they are not).
    fixed: AtomicBool,
    prompts: Mutex<Vec<String>>,
}

/// The answer for a passage: `SUBJECT is written in OBJECT` lines become a relation.
fn answer_for(passage: &str) -> Value {
    let mut entities = Vec::new();
    let mut relations = Vec::new();
    for line in passage.lines() {
        if let Some((subject, object)) = line.trim_end_matches('.').split_once(" is written in ") {
            entities.push(json!({"name": subject.trim(), "type": "library"}));
            entities.push(json!({"name": object.trim(), "type": "language"}));
            relations.push(json!({"source": subject.trim(), "relation": "written in", "target": object.trim()}));
        }
    }
    json!({"entities": entities, "relations": relations})
}

async fn serve(endpoint: Arc<Endpoint>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { continue };
            let endpoint = endpoint.clone();
            tokio::spawn(async move {
                let mut raw = Vec::new();
                let mut buf = [0u8; 4096];
                let body = loop {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    raw.extend_from_slice(&buf[..n]);
                    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                        .unwrap_or(0);
                    if raw.len() >= end + 4 + len {
                        break raw[end + 4..end + 4 + len].to_vec();
                    }
                };
                endpoint.calls.fetch_add(1, Ordering::SeqCst);
                let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let system = request["messages"][0]["content"].as_str().unwrap_or_default().to_string();
                let user = request["messages"][1]["content"].as_str().unwrap_or_default().to_string();
                endpoint.prompts.lock().unwrap_or_else(|e| e.into_inner()).push(system);
                let (status, content) = if endpoint.down.load(Ordering::SeqCst) {
                    ("500 Internal Server Error", None)
                } else if user.contains("SLOW") {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    ("200 OK", Some(answer_for(&user).to_string()))
                } else if user.contains("GARBLED") && !endpoint.fixed.load(Ordering::SeqCst) {
                    ("200 OK", Some("Sure! The entities are Tokio and Rust.".to_string()))
                } else {
                    ("200 OK", Some(answer_for(&user).to_string()))
                };
                let payload = match content {
                    Some(c) => json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": c}}]}),
                    None => json!({"error": {"message": "overloaded"}}),
                }
                .to_string();
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    payload.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(payload.as_bytes()).await;
            });
        }
    });
    addr
}

fn extractor(addr: SocketAddr) -> Arc<Extractor> {
    let lookup = |name: &str| -> Option<String> {
        match name {
            "BRAID_LLM_URL" => Some(format!("http://{addr}/v1")),
            "BRAID_LLM_MODEL" => Some("fake-model".into()),
            "BRAID_LLM_KEY" => Some("sk-test-secret".into()),
            "BRAID_LLM_TIMEOUT_MS" => Some("700".into()),
            "BRAID_LLM_CONCURRENCY" => Some("2".into()),
            "BRAID_LLM_RETRIES" => Some("1".into()),
            _ => None,
        }
    };
    let config = LlmConfig::from_lookup(lookup).expect("settings").expect("configured");
    Arc::new(Extractor::new(config).expect("client"))
}

fn kb(data: &Path) -> KnowledgeBase {
    let mut options = Options::new(data, Arc::new(braid_vector::HashingEmbedder::new(64)));
    options.checkpoints = None;
    let kb = KnowledgeBase::open(options).expect("open");
    kb.put_entities(vec![Entity::new("lang:rust", "Rust", "language")]).expect("entity");
    kb
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir).expect("mkdir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

fn ingest(kb: &KnowledgeBase, root: &Path, extractor: &Arc<Extractor>, prune: bool) -> IngestReport {
    let options = IngestOptions { prune, extractor: Some(extractor.clone()), ..IngestOptions::default() };
    ingest_paths_with(kb, &[root.to_path_buf()], &options, &NoProgress).expect("the ingest never fails for the model")
}

fn relations(kb: &KnowledgeBase, id: &str) -> HashMap<(String, String, String), ()> {
    kb.entity(id)
        .map(|v| v.relations.into_iter().map(|f| ((f.source, f.relation, f.target), ())).collect())
        .unwrap_or_default()
}

fn triple(s: &str, r: &str, t: &str) -> (String, String, String) {
    (s.into(), r.into(), t.into())
}

#[tokio::test(flavor = "multi_thread")]
async fn facts_come_with_provenance_are_cached_and_follow_their_passages() {
    let endpoint = Arc::new(Endpoint::default());
    let addr = serve(endpoint.clone()).await;
    let x = extractor(addr);
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("notes");
    write(&root, "tokio.md", "# Tokio\n\nTokio is written in Rust.\n");
    write(&root, "hyper.md", "# Hyper\n\nHyper is written in Rust.\n\n## Later\n\nHyper is written in Rust.\n");
    write(&root, "garbled.md", "# Garbled\n\nSerde is written in Rust.\n\nGARBLED\n");
    write(&root, "slow.md", "# Slow\n\nRayon is written in Rust.\n\nSLOW\n");
    let kb = kb(&dir.path().join("data"));

    let report = ingest(&kb, &root, &x, false);
    assert_eq!(report.files.added, 4, "the files' own records are written whatever the model does");
    let xr = report.extraction.clone().expect("an extraction report");
    assert_eq!(xr.passages, 5);
    assert_eq!(xr.answered, 3, "{xr:?}");
    let failed: Vec<&str> = xr.failed.iter().map(|f| f.passage.as_str()).collect();
    assert_eq!(failed, ["file:notes/garbled.md#garbled", "file:notes/slow.md#slow"], "{xr:?}");
    assert!(xr.failed[0].reason.contains("malformed"), "{:?}", xr.failed[0]);
    assert!(xr.failed[1].reason.contains("did not answer"), "{:?}", xr.failed[1]);
    // The prompt names the graph's own vocabulary.
    let prompt = endpoint.prompts.lock().unwrap_or_else(|e| e.into_inner())[0].clone();
    assert!(prompt.contains("language"), "{prompt}");

    // "Rust" merged with the graph's entity; "Tokio" is new; the fact names its passage.
    let tokio = "extracted:library:tokio";
    assert_eq!(kb.entity(tokio).expect("a new entity").entity.name, "Tokio");
    assert!(relations(&kb, "lang:rust").contains_key(&triple(tokio, "written_in", "lang:rust")));
    let fact = kb.entity(tokio).expect("entity");
    assert!(fact.relations.iter().any(|f| f.source == "file:notes/tokio.md#tokio" && f.relation == "mentions"));
    let hyper_fact = provenance(&kb, "extracted:library:hyper", "written_in", "lang:rust");
    assert_eq!(hyper_fact, ["file:notes/hyper.md#hyper", "file:notes/hyper.md#later"], "both passages say it");

    // Unchanged: only the passages that failed are tried again; the rest cost nothing.
    let calls = endpoint.calls.load(Ordering::SeqCst);
    endpoint.fixed.store(true, Ordering::SeqCst);
    let again = ingest(&kb, &root, &x, false);
    let xr = again.extraction.expect("report");
    assert_eq!((xr.passages, xr.answered), (2, 1), "{xr:?}");
    assert_eq!(xr.failed.len(), 1, "still slow: {xr:?}");
    assert!(kb.entity("extracted:library:serde").is_ok(), "the garbled passage, answered well now");
    let after = endpoint.calls.load(Ordering::SeqCst);
    assert!(after - calls <= 1 + 2 * 2, "only the two failed passages were asked again ({} calls)", after - calls);

    // A passage changes: its fact loses that passage, and keeps the other one.
    write(&root, "hyper.md", "# Hyper\n\nHyper is written in Rust.\n");
    let changed = ingest(&kb, &root, &x, false);
    assert_eq!(changed.files.changed, 1);
    assert_eq!(provenance(&kb, "extracted:library:hyper", "written_in", "lang:rust"), ["file:notes/hyper.md#hyper"]);

    // The file goes: so do its facts, and the entity nothing else holds.
    std::fs::remove_file(root.join("tokio.md")).expect("remove");
    let pruned = ingest(&kb, &root, &x, true);
    assert_eq!(pruned.files.removed, 1);
    assert!(!relations(&kb, "lang:rust").contains_key(&triple(tokio, "written_in", "lang:rust")));
    assert!(kb.entity(tokio).is_err(), "an extracted entity without relations goes");
    assert!(kb.entity("lang:rust").is_ok(), "the user's entity stays");

    // A cached answer needs no call: a fresh knowledge base would ask again, this one not.
    let calls = endpoint.calls.load(Ordering::SeqCst);
    write(&root, "tokio.md", "# Tokio\n\nTokio is written in Rust.\n");
    let back = ingest(&kb, &root, &x, false).extraction.expect("report");
    assert_eq!((back.cached, back.answered), (1, 0), "{back:?}");
    assert!(endpoint.calls.load(Ordering::SeqCst) - calls <= 2, "only the slow passage is asked");
    assert!(kb.entity(tokio).is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_that_keeps_failing_is_given_up_and_the_ingest_goes_on() {
    let endpoint = Arc::new(Endpoint::default());
    endpoint.down.store(true, Ordering::SeqCst);
    let addr = serve(endpoint.clone()).await;
    let x = extractor(addr);
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("many");
    for i in 0..12 {
        write(&root, &format!("p{i:02}.md"), &format!("# Page {i}\n\nLib{i} is written in Rust.\n"));
    }
    let kb = kb(&dir.path().join("data"));
    let report = ingest(&kb, &root, &x, false);
    assert_eq!(report.files.added, 12);
    let xr = report.extraction.expect("report");
    assert!(xr.not_tried > 0 && xr.failed.len() < 12, "given up after a few failures in a row: {xr:?}");
    assert_eq!(xr.failed.len() + xr.not_tried, 12);
    assert!(xr.failed.iter().all(|f| f.reason.contains("HTTP 500")), "{xr:?}");
    assert!(kb.document("file:many/p00.md#page-0").is_ok(), "the files are searchable all the same");

    // Back up: the next ingest extracts what was left.
    endpoint.down.store(false, Ordering::SeqCst);
    let xr = ingest(&kb, &root, &x, false).extraction.expect("report");
    assert_eq!((xr.passages, xr.answered, xr.failed.len()), (12, 12, 0), "{xr:?}");
    assert!(kb.entity("extracted:library:lib11").is_ok());
}

fn provenance(kb: &KnowledgeBase, s: &str, r: &str, t: &str) -> Vec<String> {
    let Ok(view) = kb.entity(s) else { return Vec::new() };
    assert!(view.relations.iter().any(|f| f.source == s && f.relation == r && f.target == t), "no {s} {r} {t}");
    let mut out: Vec<String> = kb
        .relation(s, r, t)
        .ok()
        .and_then(|rel| rel.props.get(PROVENANCE_PROP).cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    out.sort();
    out
}
