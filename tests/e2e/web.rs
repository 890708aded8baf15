//! The web route against a SearxNG-compatible server on loopback that speaks SearxNG's real
//! JSON shape and can fail: a broken or hanging provider costs at most its deadline and never
//! breaks graph answers.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::*;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Ok,
    Error,
    Hang,
}

/// A SearxNG stand-in on a free loopback port, serving until the test process ends.
struct FakeSearxng {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl FakeSearxng {
    fn start(mode: Mode) -> FakeSearxng {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    let mut buf = [0u8; 8192];
                    let n = stream.read(&mut buf).unwrap_or(0);
                    let request = String::from_utf8_lossy(&buf[..n]).to_string();
                    let query = request
                        .split_whitespace()
                        .nth(1)
                        .and_then(|path| path.split("q=").nth(1))
                        .map(|q| q.split('&').next().unwrap_or("").replace('+', " "))
                        .unwrap_or_default();
                    match mode {
                        Mode::Hang => std::thread::sleep(Duration::from_secs(120)),
                        Mode::Error => {
                            let _ = stream.write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 14\r\nConnection: close\r\n\r\ninternal error");
                        }
                        Mode::Ok => {
                            let results: Vec<_> = (0..6)
                                .map(|i| {
                                    json!({"url": format!("https://news.example.org/{i}?utm_source=x"),
                                           "title": format!("{query} report {i}"),
                                           "content": format!("Fresh coverage, item {i}."),
                                           "engine": "bing", "engines": ["bing"],
                                           "publishedDate": "2026-11-25T10:00:00", "category": "general",
                                           "score": 1.0 / (i as f64 + 1.0),
                                           "parsed_url": ["https", "news.example.org", format!("/{i}"), "", "", ""],
                                           "positions": [i + 1]})
                                })
                                .collect();
                            let body = json!({"query": query, "number_of_results": results.len(), "results": results,
                                              "answers": [], "corrections": [], "infoboxes": [], "suggestions": [],
                                              "unresponsive_engines": []})
                            .to_string();
                            let head = format!(
                                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                body.len()
                            );
                            let _ = stream.write_all(head.as_bytes());
                            let _ = stream.write_all(body.as_bytes());
                        }
                    }
                });
            }
        });
        FakeSearxng { port, hits }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

const CONFIG: &str = "[router]\nweb_deadline_ms = 1500\n";

fn start_braid(fake: &FakeSearxng, data: &std::path::Path, config: &std::path::Path) -> Server {
    let url = fake.url();
    let config = config.to_string_lossy().to_string();
    Server::start(
        &["demo", "--config", &config],
        data,
        &[("BRAID_WEB_PROVIDER", "searxng"), ("BRAID_WEB_URL", &url), ("BRAID_WEB_TIMEOUT_MS", "1500")],
    )
}

#[test]
fn web_route_answers_fresh_questions_and_survives_a_failing_provider() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("braid.toml");
    std::fs::write(&config, CONFIG).expect("config");
    // One data directory for all three servers: the atlas is loaded once.
    let data = dir.path().join("data");

    let ok = FakeSearxng::start(Mode::Ok);
    {
        let s = start_braid(&ok, &data, &config);
        let (code, st) = s.get("/v1/status");
        assert_eq!(code, 200);
        let web = st["routes"].as_array().and_then(|r| r.iter().find(|r| r["route"] == "web")).cloned();
        assert_eq!(web.map(|w| w["available"].clone()), Some(json!(true)), "{st}");
        let (code, r) = s.post("/v1/query", json!({"query": "latest news about the Tour de France"}));
        assert_eq!(code, 200, "{r}");
        assert_eq!(r["plan"]["primary"], "web", "{}", r["plan"]);
        let web: Vec<_> =
            r["results"].as_array().cloned().unwrap_or_default().into_iter().filter(|h| h["kind"] == "web").collect();
        assert!(!web.is_empty(), "no web results: {}", r["results"]);
        // URLs come back canonical: tracking parameters stripped.
        assert!(web.iter().all(|h| !h["id"].as_str().unwrap_or("").contains("utm_")), "{web:?}");
        assert_eq!(web[0]["sources"][0]["route"], "web");
        // The same search again is served from the cache.
        let before = ok.hits.load(Ordering::SeqCst);
        let (code, r) = s.post("/v1/search/web", json!({"query": "latest news about the Tour de France", "k": 10}));
        assert_eq!(code, 200, "{r}");
        assert!(!ids(&r["results"]).is_empty());
        assert_eq!(ok.hits.load(Ordering::SeqCst), before, "second identical search should hit the cache");
    }

    for mode in [Mode::Error, Mode::Hang] {
        let fake = FakeSearxng::start(mode);
        let s = start_braid(&fake, &data, &config);
        let started = Instant::now();
        let (code, r) = s.post("/v1/query", json!({"query": "latest news about the Tour de France"}));
        let took = started.elapsed();
        assert_eq!(code, 200, "{r}");
        let web =
            r["sources"].as_array().and_then(|a| a.iter().find(|x| x["route"] == "web")).cloned().unwrap_or_default();
        let status = web["status"].as_str().unwrap_or("");
        assert!(status == "error" || status == "timeout", "web status {status}: {web}");
        assert!(web["error"].is_string());
        assert!(took < Duration::from_millis(1500 + 1000 + 1500), "took {took:?}");
        let (code, r) = s.post("/v1/query", json!({"query": "Which countries border Kenya?"}));
        assert_eq!(code, 200);
        assert!(ids(&r["results"]).contains(&"country:ETH".to_string()), "graph answer lost: {}", r["results"]);
    }
}
