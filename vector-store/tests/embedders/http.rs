//! The OpenAI-compatible HTTP embedder against a local server on 127.0.0.1 that speaks
//! the `/v1/embeddings` wire format, including its error shapes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use braid_vector::{EmbedError, Embedder, HashingEmbedder, HttpEmbedder, HttpEmbedderConfig};
use serde_json::{Value, json};

use super::{dot, norm};

/// What the fake server saw in one request.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: Option<String>,
    body: Value,
}

/// An answer: status, extra headers, body.
type Answer = (u16, Vec<(&'static str, String)>, String);

struct Server {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Serves `handler(request number, request)` until the test process ends.
    fn start(handler: impl Fn(usize, &Seen) -> Answer + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let count = AtomicUsize::new(0);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Some(request) = read_request(&stream) else { continue };
                let n = count.fetch_add(1, Ordering::SeqCst);
                log.lock().unwrap().push(request.clone());
                let (status, headers, body) = handler(n, &request);
                write_response(stream, status, &headers, &body);
            }
        });
        Server { base, seen }
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn read_request(stream: &TcpStream) -> Option<Seen> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let (mut length, mut authorization) = (0usize, None);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "authorization" => authorization = Some(value.trim().to_string()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen { path, authorization, body: serde_json::from_slice(&body).unwrap_or(Value::Null) })
}

fn write_response(mut stream: TcpStream, status: u16, headers: &[(&str, String)], body: &str) {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

fn inputs(seen: &Seen) -> Vec<String> {
    seen.body["input"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// A correct answer: hashing vectors of `dim`, listed in reverse order with their index.
fn ok_answer(seen: &Seen, dim: usize) -> Answer {
    let hasher = HashingEmbedder::new(dim);
    let texts = inputs(seen);
    let mut data: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            // Scaled by 3, so the client's normalisation is visible.
            let v: Vec<f32> = hasher.embed_text(t).unwrap().iter().map(|x| x * 3.0).collect();
            json!({"object": "embedding", "embedding": v, "index": i})
        })
        .collect();
    data.reverse();
    let body = json!({"object": "list", "data": data, "model": seen.body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1}});
    (200, vec![], body.to_string())
}

fn error_answer(status: u16, message: &str, kind: &str, code: Value) -> Answer {
    (status, vec![], json!({"error": {"message": message, "type": kind, "code": code}}).to_string())
}

fn config(server: &Server) -> HttpEmbedderConfig {
    let mut c = HttpEmbedderConfig::new(&server.base, "test-embed");
    c.timeout = Duration::from_secs(5);
    c
}

#[test]
fn http_embedder_speaks_the_openai_wire_format() {
    let server = Server::start(|_, seen| {
        if seen.authorization.as_deref() != Some("Bearer sk-test") {
            return error_answer(401, "Incorrect API key provided", "invalid_request_error", json!("invalid_api_key"));
        }
        ok_answer(seen, 16)
    });
    let mut cfg = config(&server);
    cfg.api_key = Some("sk-test".into());
    cfg.batch_size = 3;
    let embedder = HttpEmbedder::new(cfg).unwrap();
    assert_eq!(embedder.dimension(), 16, "probed on construction");
    assert_eq!(embedder.name(), "http-test-embed-16");

    let texts: Vec<String> = (0..7).map(|i| format!("text number {i} about koalas")).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let got = embedder.embed_texts(&refs).unwrap();
    let hasher = HashingEmbedder::new(16);
    for (t, v) in refs.iter().zip(&got) {
        assert!((norm(v) - 1.0).abs() < 1e-5, "normalised");
        assert!(dot(v, &hasher.embed_text(t).unwrap()) > 0.9999, "answers put back in input order");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 1 + 3, "one probe, then 7 inputs in batches of at most 3");
    for r in &requests {
        assert_eq!(r.path, "/v1/embeddings");
        assert_eq!(r.body["model"], "test-embed");
        assert!(inputs(r).len() <= 3);
    }
    assert!(matches!(embedder.embed_texts(&["ok", " "]), Err(EmbedError::Empty { index: 1 })));

    // Without the key: the server's 401 message reaches the caller, at construction.
    let err = HttpEmbedder::new(config(&server)).unwrap_err().to_string();
    assert!(
        err.contains("401") && err.contains("Incorrect API key provided") && err.contains("invalid_api_key"),
        "{err}"
    );
}

#[test]
fn http_embedder_retries_rate_limits_and_server_errors_then_gives_up() {
    // 429 (with Retry-After: 0), then 500, then success.
    let server = Server::start(|n, seen| match n {
        0 => {
            let (s, _, b) = error_answer(429, "Rate limit reached", "requests", Value::Null);
            (s, vec![("retry-after", "0".into())], b)
        }
        1 => error_answer(500, "The server had an error", "server_error", Value::Null),
        _ => ok_answer(seen, 8),
    });
    let embedder = HttpEmbedder::new(config(&server)).unwrap();
    assert_eq!(embedder.dimension(), 8);
    assert_eq!(server.requests().len(), 3);

    // Always 429: max_retries + 1 attempts, then the rate-limit message.
    let server = Server::start(|_, _| {
        let (s, _, b) = error_answer(429, "Rate limit reached for requests", "requests", json!("rate_limit_exceeded"));
        (s, vec![("retry-after", "0".into())], b)
    });
    let mut cfg = config(&server);
    cfg.dimension = Some(8);
    cfg.max_retries = 1;
    let embedder = HttpEmbedder::new(cfg).unwrap();
    assert_eq!(server.requests().len(), 0, "a given dimension needs no probe");
    let err = embedder.embed_text("hello").unwrap_err();
    assert!(matches!(err, EmbedError::Backend(_)));
    let msg = err.to_string();
    assert!(msg.contains("429") && msg.contains("Rate limit reached for requests"), "{msg}");
    assert_eq!(server.requests().len(), 2);

    // A 400 is the caller's fault: not retried, reported as invalid input.
    let server = Server::start(|_, _| {
        error_answer(400, "This model's maximum context length is 8192 tokens", "invalid_request_error", Value::Null)
    });
    let mut cfg = config(&server);
    cfg.dimension = Some(8);
    let embedder = HttpEmbedder::new(cfg).unwrap();
    let err = embedder.embed_text("hello").unwrap_err();
    assert!(matches!(&err, EmbedError::InvalidInput(m) if m.contains("maximum context length")), "{err}");
    assert_eq!(server.requests().len(), 1);

    // An error body that is not the JSON error shape is still shown.
    let server = Server::start(|_, _| (503, vec![], "<html>upstream down</html>".into()));
    let mut cfg = config(&server);
    cfg.max_retries = 0;
    let err = HttpEmbedder::new(cfg).unwrap_err().to_string();
    assert!(err.contains("503") && err.contains("upstream down"), "{err}");
}

#[test]
fn http_embedder_rejects_malformed_and_wrong_answers() {
    let cfg_for = |handler: fn(usize, &Seen) -> Answer| {
        let server = Server::start(handler);
        let mut cfg = config(&server);
        cfg.max_retries = 0;
        cfg.dimension = Some(8);
        (server, HttpEmbedder::new(cfg).unwrap())
    };
    let expect = |embedder: &HttpEmbedder, needle: &str| {
        let err = embedder.embed_texts(&["one", "two"]).unwrap_err();
        assert!(matches!(err, EmbedError::Backend(_)), "{err:?}");
        assert!(err.to_string().contains(needle), "expected {needle:?} in: {err}");
    };

    let (_s, e) = cfg_for(|_, _| (200, vec![], "{\"data\": [".into()));
    expect(&e, "unexpected body");
    let (_s, e) = cfg_for(|_, _| (200, vec![], json!({"object": "list"}).to_string()));
    expect(&e, "unexpected body");
    let (_s, e) = cfg_for(|_, seen| ok_answer(seen, 7));
    expect(&e, "dimension 7, expected 8");
    let (_s, e) = cfg_for(|_, _| (200, vec![], json!({"data": [{"embedding": vec![1.0; 8], "index": 0}]}).to_string()));
    expect(&e, "sent 2 inputs, got 1");
    let (_s, e) = cfg_for(|_, _| {
        let item = json!({"embedding": vec![1.0; 8], "index": 0});
        (200, vec![], json!({"data": [item, item]}).to_string())
    });
    expect(&e, "appears twice");
    let (_s, e) = cfg_for(|_, _| {
        (
            200,
            vec![],
            json!({"data": [{"embedding": vec![0.0; 8], "index": 0}, {"embedding": vec![1.0; 8], "index": 1}]})
                .to_string(),
        )
    });
    expect(&e, "zero vector");

    // The probe learns 8; an answer of another size later is refused.
    let server = Server::start(|n, seen| ok_answer(seen, if n == 0 { 8 } else { 12 }));
    let embedder = HttpEmbedder::new(config(&server)).unwrap();
    let err = embedder.embed_text("later").unwrap_err().to_string();
    assert!(err.contains("dimension 12, expected 8"), "{err}");
}

#[test]
fn http_embedder_times_out_and_reports_unreachable_servers() {
    let server = Server::start(|_, seen| {
        std::thread::sleep(Duration::from_millis(1500));
        ok_answer(seen, 8)
    });
    let mut cfg = config(&server);
    cfg.timeout = Duration::from_millis(300);
    cfg.max_retries = 0;
    let err = HttpEmbedder::new(cfg).unwrap_err().to_string();
    assert!(err.contains("timed out"), "{err}");

    // Nothing listens on this port any more.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = HttpEmbedderConfig::new(format!("http://127.0.0.1:{port}/v1"), "m");
    cfg.max_retries = 0;
    let err = HttpEmbedder::new(cfg).unwrap_err().to_string();
    assert!(err.contains(&format!("127.0.0.1:{port}/v1/embeddings")), "{err}");
    assert!(HttpEmbedder::new(HttpEmbedderConfig::new("localhost:8080", "m")).is_err(), "scheme required");
}

#[test]
fn http_embedder_is_safe_to_call_from_inside_an_async_runtime() {
    let server = Server::start(|_, seen| ok_answer(seen, 8));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let embedder = runtime.block_on(async { HttpEmbedder::new(config(&server)).unwrap() });
    let v = runtime.block_on(async { embedder.embed_text("inside async").unwrap() });
    assert_eq!(v.len(), 8);
    runtime.block_on(async move { drop(embedder) });
}
