//! End-to-end tests of the `braid` binary: a real server on loopback, real HTTP, real data.
//! One test binary for the package keeps CI's link time down.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_braid");

fn atlas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/atlas")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

/// A `braid` server process on a free loopback port; killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(args: &[&str], data: &Path, envs: &[(&str, &str)]) -> Server {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .args(["--addr", &addr, "--data"])
            .arg(data)
            .env("BRAID_ATLAS", atlas())
            .env_remove("BRAID_API_KEY")
            .env_remove("BRAID_WEB_PROVIDER")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn braid");
        let mut server = Server { child, port };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("braid exited early with {status}");
            }
            if let Ok((200, _)) = server.try_request("GET", "/healthz", None, &[]) {
                return server;
            }
            assert!(started.elapsed() < Duration::from_secs(240), "server not healthy in time");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends one HTTP/1.1 request and returns the status and the body parsed as JSON (or a string).
    fn try_request(&self, method: &str, path: &str, body: Option<&[u8]>, headers: &[(&str, &str)]) -> std::io::Result<(u16, Value)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let body = body.unwrap_or(b"");
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
        if !body.is_empty() {
            head.push_str("Content-Type: application/json\r\n");
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or(std::io::ErrorKind::InvalidData)?;
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let status: u16 = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(std::io::ErrorKind::InvalidData)?;
        let mut payload = raw[split + 4..].to_vec();
        if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
            payload = dechunk(&payload);
        }
        let text = String::from_utf8_lossy(&payload).to_string();
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
    }

    fn request(&self, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Value) {
        self.try_request(method, path, body, &[]).expect("request")
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.request("POST", path, Some(body.to_string().as_bytes()))
    }

    fn get(&self, path: &str) -> (u16, Value) {
        self.request("GET", path, None)
    }

    /// Posts a body of `len` bytes; the server may refuse it before reading it all.
    fn oversized_post(&self, path: &str, len: usize) -> u16 {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        let head = format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n");
        stream.write_all(head.as_bytes()).expect("write");
        let chunk = vec![b' '; 1 << 16];
        let mut sent = 0;
        while sent < len {
            // The server closes the connection once it has refused the body.
            if stream.write_all(&chunk[..chunk.len().min(len - sent)]).is_err() {
                break;
            }
            sent += chunk.len();
        }
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw);
        text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
    }

    fn kill9(mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..pos]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = pos + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

fn ids(results: &Value) -> Vec<String> {
    results.as_array().map(|a| a.iter().filter_map(|h| h["id"].as_str().map(String::from)).collect()).unwrap_or_default()
}

fn line_count(file: &str) -> u64 {
    std::fs::read_to_string(atlas().join(file)).expect("atlas file").lines().filter(|l| !l.trim().is_empty()).count() as u64
}

#[test]
fn demo_answers_graph_and_vector_questions_and_rejects_bad_input() {
    let data = tempfile::tempdir().expect("tempdir");
    let s = Server::start(&["demo"], data.path(), &[]);

    let (code, st) = s.get("/v1/status");
    assert_eq!(code, 200);
    for (key, file) in [("entities", "entities.jsonl"), ("relations", "relations.jsonl"), ("documents", "documents.jsonl"), ("images", "images.jsonl")] {
        assert_eq!(st["counts"][key].as_u64(), Some(line_count(file)), "count of {key}");
    }
    assert_eq!(st["embedder"]["name"].as_str().map(|n| n.starts_with("hash")), Some(true));
    let web = st["routes"].as_array().and_then(|r| r.iter().find(|r| r["route"] == "web")).cloned().unwrap_or_default();
    assert_eq!(web["available"], false);
    assert!(web["reason"].as_str().unwrap_or("").contains("no provider"));

    let (code, r) = s.post("/v1/query", json!({"query": "Which countries border France?"}));
    assert_eq!(code, 200, "{r}");
    assert_eq!(r["plan"]["primary"], "graph");
    let got = ids(&r["results"]);
    for c in ["country:DEU", "country:ESP", "country:BEL"] {
        assert!(got.contains(&c.to_string()), "{c} missing from {got:?}");
    }
    let web_decision = r["plan"]["routes"].as_array().and_then(|a| a.iter().find(|d| d["route"] == "web")).cloned().unwrap_or_default();
    assert_eq!(web_decision["selected"], false);
    assert!(web_decision["reasons"].to_string().contains("no provider configured"));
    let deu = r["results"].as_array().and_then(|a| a.iter().find(|h| h["id"] == "country:DEU")).cloned().unwrap_or_default();
    assert!(deu["facts"].to_string().contains("borders"), "facts: {deu}");
    assert_eq!(deu["sources"][0]["route"], "graph");

    let (code, r) = s.post("/v1/query", json!({"query": "pictures of musical instruments"}));
    assert_eq!(code, 200);
    assert_eq!(r["plan"]["primary"], "vector");
    let images: Vec<&Value> = r["results"].as_array().map(|a| a.iter().filter(|h| h["kind"] == "image").collect()).unwrap_or_default();
    assert!(!images.is_empty(), "no image results: {}", r["results"]);
    assert!(images.iter().all(|h| h["uri"].as_str().is_some_and(|u| u.starts_with("images/"))));
    // The image bytes are served from the store of record.
    let thumb = images[0]["thumbnail"].as_str().unwrap_or_default().to_string();
    let (code, _) = s.get(&thumb);
    assert_eq!(code, 200, "thumbnail {thumb}");

    let (code, r) = s.post("/v1/query", json!({"query": "what is the capital of kenya"}));
    assert_eq!(code, 200);
    assert_eq!(ids(&r["results"]).first().map(String::as_str), Some("city:184745"), "{}", r["results"]);

    let (code, r) = s.post("/v1/query", json!({"query": "animals", "k": 7, "routes": ["vector"], "filters": {"modality": "image"}, "explain": true}));
    assert_eq!(code, 200);
    let res = r["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(res.len(), 7);
    assert!(res.iter().all(|h| h["modality"] == "image"));
    assert!(r["trace"]["features"].is_object() && r["trace"]["fusion"]["weights"].is_array());

    // Bad input: a 4xx JSON error naming the problem, never a crash.
    let bad: Vec<(&str, Vec<u8>, &str)> = vec![
        ("malformed", b"{not json".to_vec(), "body"),
        ("empty query", json!({"query": "   "}).to_string().into_bytes(), "query"),
        ("k of 0", json!({"query": "x", "k": 0}).to_string().into_bytes(), "k"),
        ("huge k", json!({"query": "x", "k": 100000}).to_string().into_bytes(), "k"),
        ("negative k", json!({"query": "x", "k": -1}).to_string().into_bytes(), "k"),
        ("unknown route", json!({"query": "x", "routes": ["telepathy"]}).to_string().into_bytes(), "routes[0]"),
        ("unknown field", json!({"query": "x", "kk": 3}).to_string().into_bytes(), "kk"),
        ("wrong type", json!({"query": 42}).to_string().into_bytes(), "query"),
        ("invalid utf-8", b"{\"query\": \"\xff\xfe\"}".to_vec(), "body"),
        ("empty body", Vec::new(), "body"),
        ("image without multimodal", json!({"query": "x", "image": {"base64": "aGVsbG8="}}).to_string().into_bytes(), "image"),
    ];
    for (name, body, field) in bad {
        let (code, r) = s.request("POST", "/v1/query", Some(&body));
        assert!((400..500).contains(&code), "{name}: status {code}");
        assert!(r["error"]["message"].is_string(), "{name}: {r}");
        assert_eq!(r["error"]["field"].as_str(), Some(field), "{name}: {r}");
    }
    let (code, r) = s.post("/v1/search/telepathy", json!({"query": "x"}));
    assert_eq!((code, r["error"]["field"].as_str()), (400, Some("route")));
    let (code, _) = s.get("/v1/entities/country:NOPE");
    assert_eq!(code, 404);
    let (code, _) = s.get("/v1/entities/country:FRA/neighbors?depth=4");
    assert_eq!(code, 400);
    let (code, r) = s.post("/v1/relations", json!({"source": "country:FRA", "relation": "borders", "target": "country:NOPE"}));
    assert_eq!((code, r["error"]["field"].as_str()), (400, Some("items[0].target")));
    assert_eq!(s.oversized_post("/v1/documents", 30 << 20), 413);
    let (code, _) = s.get("/no/such/endpoint");
    assert_eq!(code, 404);

    // Graph reads.
    let (code, r) = s.get("/v1/entities/country:FRA/neighbors?depth=1&relation=borders");
    assert_eq!(code, 200);
    let mut n = ids(&r["entities"]);
    n.sort();
    assert_eq!(n, ["country:AND", "country:BEL", "country:CHE", "country:DEU", "country:ESP", "country:ITA", "country:LUX", "country:MCO"]);
    let (code, r) = s.get("/v1/graph/path?from=country:KEN&to=country:ETH");
    assert_eq!((code, r["found"].as_bool()), (200, Some(true)));

    // A write is searchable at once, and a delete removes it from every index.
    let (code, _) = s.post("/v1/documents", json!({"id": "doc:test:quokka", "title": "Quokka", "text": "The quokka is a small wallaby of Rottnest Island.", "entities": ["country:AUS"]}));
    assert_eq!(code, 200);
    let (_, r) = s.post("/v1/search/vector", json!({"query": "quokka wallaby rottnest", "k": 3}));
    assert_eq!(ids(&r["results"]).first().map(String::as_str), Some("doc:test:quokka"));
    let (code, _) = s.request("DELETE", "/v1/documents/doc:test:quokka", None);
    assert_eq!(code, 200);
    let (_, r) = s.post("/v1/search/vector", json!({"query": "quokka wallaby rottnest", "k": 3}));
    assert!(!ids(&r["results"]).contains(&"doc:test:quokka".to_string()));
    let (code, _) = s.get("/v1/documents/doc:test:quokka");
    assert_eq!(code, 404);
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let data = tempfile::tempdir().expect("tempdir");
    let s = Server::start(&["serve"], data.path(), &[]);
    let mut acked = Vec::new();
    for i in 0..25 {
        let id = format!("doc:durable:{i}");
        let (code, _) = s.post("/v1/documents", json!({"id": id, "title": format!("durable {i}"), "text": format!("durability probe {i} zebra quokka")}));
        if code == 200 {
            acked.push(id);
        }
    }
    let (code, _) = s.post("/v1/entities", json!({"items": [{"id": "x:a", "name": "Alpha", "type": "thing"}, {"id": "x:b", "name": "Beta", "type": "thing"}]}));
    assert_eq!(code, 200);
    let (code, _) = s.post("/v1/relations", json!({"source": "x:a", "relation": "likes", "target": "x:b"}));
    assert_eq!(code, 200);
    s.kill9();

    let s = Server::start(&["serve"], data.path(), &[]);
    let (_, st) = s.get("/v1/status");
    assert_eq!(st["counts"]["documents"].as_u64(), Some(acked.len() as u64));
    assert_eq!(st["counts"]["relations"].as_u64(), Some(1));
    assert_eq!(st["indexed_items"].as_u64(), Some(acked.len() as u64), "vector index agrees with the store");
    for id in &acked {
        let (code, _) = s.get(&format!("/v1/documents/{id}"));
        assert_eq!(code, 200, "{id} lost");
    }
    let (_, r) = s.post("/v1/search/vector", json!({"query": "durability probe 7 zebra", "k": 5}));
    assert!(ids(&r["results"]).contains(&"doc:durable:7".to_string()));
    let (_, r) = s.get("/v1/entities/x:a");
    assert!(r["relations"].to_string().contains("likes"));
}

#[test]
fn api_key_guards_v1_but_not_healthz() {
    let data = tempfile::tempdir().expect("tempdir");
    let s = Server::start(&["serve"], data.path(), &[("BRAID_API_KEY", "s3cret")]);
    let (code, r) = s.post("/v1/query", json!({"query": "France"}));
    assert_eq!(code, 401);
    assert_eq!(r["error"]["code"], "unauthorized");
    let (code, _) = s.try_request("GET", "/v1/status", None, &[("Authorization", "Bearer wrong")]).expect("request");
    assert_eq!(code, 401);
    let (code, _) = s.try_request("GET", "/v1/status", None, &[("Authorization", "Bearer s3cret")]).expect("request");
    assert_eq!(code, 200);
    assert_eq!(s.get("/healthz").0, 200);
}

#[test]
fn cli_ingests_jsonl_reports_bad_lines_and_answers_queries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("kb.jsonl");
    std::fs::write(
        &file,
        [
            json!({"id": "animal:koala", "name": "koala", "type": "animal", "aliases": ["koala bear"]}).to_string(),
            json!({"id": "place:australia", "name": "Australia", "type": "place"}).to_string(),
            json!({"source": "animal:koala", "relation": "lives_in", "target": "place:australia"}).to_string(),
            json!({"id": "doc:k", "title": "Koala", "text": "Koalas eat eucalyptus leaves.", "entities": ["animal:koala"]}).to_string(),
            "{broken".to_string(),
            json!({"source": "animal:koala", "relation": "lives_in", "target": "place:nowhere"}).to_string(),
        ]
        .join("\n"),
    )
    .expect("write");
    let data = dir.path().join("data");
    let out = Command::new(BIN).arg("ingest").arg("--data").arg(&data).arg(&file).output().expect("run ingest");
    assert!(!out.status.success(), "bad lines must fail the command");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("2 entities, 1 relations, 1 documents"), "{stdout}");
    assert!(stderr.contains("kb.jsonl:5") && stderr.contains("kb.jsonl:6"), "{stderr}");

    let out = Command::new(BIN).args(["query", "--json", "--data"]).arg(&data).arg("what do koalas eat").output().expect("run query");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).expect("json answer");
    assert!(ids(&answer["results"]).contains(&"doc:k".to_string()), "{answer}");

    let out = Command::new(BIN).args(["route", "--data"]).arg(&data).arg("latest koala news").output().expect("run route");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("web"));

    let out = Command::new(BIN).args(["query", "--data"]).arg(&data).args(["--k", "0", "koala"]).output().expect("run query");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("k"));
}
