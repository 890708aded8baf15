//! End-to-end tests of the providers and the resilience layer against a local HTTP
//! server on 127.0.0.1 that speaks each provider's JSON and injects faults.
//! No traffic ever leaves loopback: redirects to other addresses must be refused
//! before connecting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use braid_web::{
    Backoff, ProviderConfig, ProviderKind, ResilienceConfig, WebCategory, WebError, WebModality, WebQuery,
    build_provider, canonicalize_url,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const KEY: &str = "sk-TEST-SECRET-9f8e7d";
const DEADLINE: Duration = Duration::from_millis(500);
/// Generous bound for "returned within the deadline": deadline plus scheduling slack on a
/// busy shared machine.
const WITHIN: Duration = Duration::from_secs(2);

// ---------------------------------------------------------------- test server

#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
    fn query(&self) -> Vec<(String, String)> {
        let q = self.target.split_once('?').map(|(_, q)| q).unwrap_or_default();
        url::form_urlencoded::parse(q.as_bytes()).into_owned().collect()
    }
    fn param(&self, name: &str) -> Option<String> {
        self.query().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

enum Reply {
    Json(Value),
    Status {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Waits, then answers.
    Slow(Duration, Box<Reply>),
    /// Closes the connection with a TCP reset after reading the request.
    Reset,
    /// A body of `len` bytes, with or without a Content-Length header.
    Huge {
        len: usize,
        content_length: bool,
    },
}

impl Reply {
    fn status(status: u16, body: &str) -> Reply {
        Reply::Status { status, headers: Vec::new(), body: body.to_owned() }
    }
    fn redirect(to: &str) -> Reply {
        Reply::Status { status: 302, headers: vec![("Location", to.to_owned())], body: String::new() }
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

struct TestServer {
    base: String,
    hits: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl TestServer {
    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
    fn last(&self) -> Recorded {
        self.requests.lock().unwrap().last().cloned().expect("a request was received")
    }
}

/// Serves `handler(request, n)` (n = 1 for the first request) on a random loopback port.
async fn serve(handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let handler: Arc<Handler> = Arc::new(handler);
    let (h, r) = (hits.clone(), requests.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (handler, hits, requests) = (handler.clone(), h.clone(), r.clone());
            tokio::spawn(async move {
                let _ = handle(stream, handler, hits, requests).await;
            });
        }
    });
    TestServer { base, hits, requests }
}

async fn handle(
    mut stream: TcpStream,
    handler: Arc<Handler>,
    hits: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<Recorded>>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let content_length: usize =
        headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < content_length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let recorded = Recorded { method, target, headers, body };
    let n = hits.fetch_add(1, Ordering::SeqCst) + 1;
    requests.lock().unwrap().push(recorded.clone());
    let mut reply = handler(&recorded, n);
    loop {
        match reply {
            Reply::Slow(wait, then) => {
                tokio::time::sleep(wait).await;
                reply = *then;
            }
            Reply::Reset => {
                stream.set_zero_linger()?;
                drop(stream);
                return Ok(());
            }
            Reply::Json(value) => {
                let body = value.to_string();
                return write_response(
                    &mut stream,
                    200,
                    &[("Content-Type", "application/json".into())],
                    body.as_bytes(),
                )
                .await;
            }
            Reply::Status { status, headers, body } => {
                return write_response(&mut stream, status, &headers, body.as_bytes()).await;
            }
            Reply::Huge { len, content_length } => {
                let mut head =
                    String::from("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n");
                if content_length {
                    head.push_str(&format!("Content-Length: {len}\r\n"));
                }
                head.push_str("\r\n");
                stream.write_all(head.as_bytes()).await?;
                let block = vec![b' '; 16 * 1024];
                let mut sent = 0;
                while sent < len {
                    let n = block.len().min(len - sent);
                    stream.write_all(&block[..n]).await?;
                    sent += n;
                }
                return stream.shutdown().await;
            }
        }
    }
}

async fn write_response(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(&'static str, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    stream.shutdown().await
}

// ---------------------------------------------------------------- fixtures

fn searxng_answer() -> Value {
    json!({
        "query": "rust language",
        "number_of_results": 3,
        "results": [
            {"url": "https://news.example.org/0?utm_source=x", "title": "The <strong>Rust</strong> language",
             "content": "  Rust is   a <em>systems</em>\n language &amp; more ", "engine": "bing",
             "engines": ["bing", "duckduckgo"], "publishedDate": "2026-11-25T10:00:00",
             "category": "general", "score": 2.5,
             "parsed_url": ["https", "news.example.org", "/0", "", "utm_source=x", ""], "positions": [1]},
            {"url": "https://NEWS.example.org/0#section", "title": "duplicate", "content": "dup",
             "engine": "duckduckgo", "category": "general", "score": 1.0, "publishedDate": null},
            {"url": "https://www.rust-lang.org/", "title": "Rust Programming Language",
             "content": "A language empowering everyone", "engine": "google", "category": "general",
             "score": "not a number", "publishedDate": null, "positions": [2]},
            {"url": "javascript:alert(1)", "title": "bad", "content": "", "engine": "x", "score": 0.1},
            {"title": "no url at all"}
        ],
        "answers": [], "corrections": [], "infoboxes": [], "suggestions": [], "unresponsive_engines": []
    })
}

fn searxng_images() -> Value {
    json!({
        "query": "ferris", "number_of_results": 1,
        "results": [
            {"url": "https://rustacean.net/", "title": "Ferris", "content": "", "engine": "bing images",
             "template": "images.html", "category": "images",
             "img_src": "https://rustacean.net/assets/rustacean-flat-happy.png",
             "thumbnail_src": "https://tse.example/th?id=1", "score": 1.0}
        ],
        "answers": [], "corrections": [], "infoboxes": [], "suggestions": [], "unresponsive_engines": []
    })
}

fn brave_web_answer() -> Value {
    json!({
        "type": "search",
        "query": {"original": "rust"},
        "web": {"type": "search", "results": [
            {"title": "Rust <strong>Programming</strong> Language", "url": "https://www.rust-lang.org/?ref_src=brave",
             "description": "A language <strong>empowering</strong> everyone", "age": "2 days ago",
             "page_age": "2026-11-24T08:00:00", "profile": {"name": "Rust"}, "language": "en"},
            {"title": "Rust (Wikipedia)", "url": "https://en.wikipedia.org/wiki/Rust_(programming_language)",
             "description": "Rust is a general-purpose language", "profile": {"name": "Wikipedia"}}
        ]}
    })
}

fn fast_resilience() -> ResilienceConfig {
    ResilienceConfig {
        max_retries: 2,
        backoff: Backoff { base: Duration::from_millis(20), max: Duration::from_millis(100) },
        breaker_threshold: 5,
        breaker_cooldown: Duration::from_secs(30),
        qps: None,
        ..ResilienceConfig::default()
    }
}

fn config(kind: ProviderKind, server: &TestServer) -> ProviderConfig {
    let mut c = ProviderConfig::new(kind).with_url(server.base.clone()).with_timeout(DEADLINE);
    if kind != ProviderKind::Searxng {
        c = c.with_key(KEY);
    }
    c.resilience = fast_resilience();
    c
}

/// Runs one search through `build_provider` and reports the result and how long it took.
async fn timed(config: &ProviderConfig, q: &WebQuery) -> (Result<Vec<braid_web::WebHit>, WebError>, Duration) {
    let provider = build_provider(config).unwrap();
    let start = Instant::now();
    let result = provider.search(q).await;
    (result, start.elapsed())
}

fn q(text: &str) -> WebQuery {
    WebQuery::new(text, 10)
}

// ---------------------------------------------------------------- SearxNG

#[tokio::test]
async fn searxng_request_and_normalisation() {
    let server = serve(|_, _| Reply::Json(searxng_answer())).await;
    let provider = build_provider(&config(ProviderKind::Searxng, &server)).unwrap();
    let hits = provider.search(&q("  rust   language ").with_freshness("month")).await.unwrap();

    let req = server.last();
    assert_eq!(req.method, "GET");
    assert_eq!(req.path(), "/search");
    assert_eq!(req.param("q").as_deref(), Some("rust language"));
    assert_eq!(req.param("format").as_deref(), Some("json"));
    assert_eq!(req.param("categories").as_deref(), Some("general"));
    assert_eq!(req.param("pageno").as_deref(), Some("1"));
    assert_eq!(req.param("time_range").as_deref(), Some("month"));

    assert_eq!(hits.len(), 2, "duplicate, javascript: and URL-less results dropped: {hits:#?}");
    let first = &hits[0];
    assert_eq!(first.rank, 1);
    assert_eq!(first.url, "https://news.example.org/0");
    assert_eq!(first.title, "The Rust language");
    assert_eq!(first.snippet, "Rust is a systems language & more");
    assert_eq!(first.engine.as_deref(), Some("bing"));
    assert_eq!(first.published.as_deref(), Some("2026-11-25T10:00:00"));
    assert_eq!(first.modality, WebModality::Text);
    assert_eq!(first.score, 2.5);
    let second = &hits[1];
    assert_eq!(second.rank, 2);
    assert_eq!(second.url, "https://www.rust-lang.org/");
    assert_eq!(second.score, 0.5, "unparseable score falls back to 1/rank");
    assert_eq!(second.published, None);
}

#[tokio::test]
async fn searxng_images_and_k() {
    let server = serve(|req, _| {
        if req.param("categories").as_deref() == Some("images") {
            Reply::Json(searxng_images())
        } else {
            Reply::Json(searxng_answer())
        }
    })
    .await;
    let provider = build_provider(&config(ProviderKind::Searxng, &server)).unwrap();
    let images = provider.search(&q("ferris").with_category(WebCategory::Images)).await.unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].modality, WebModality::Image);
    assert_eq!(images[0].url, "https://rustacean.net/");
    assert_eq!(images[0].image_url.as_deref(), Some("https://rustacean.net/assets/rustacean-flat-happy.png"));
    assert_eq!(images[0].thumbnail_url.as_deref(), Some("https://tse.example/th?id=1"));

    let one = provider.search(&WebQuery::new("rust", 1)).await.unwrap();
    assert_eq!(one.len(), 1);
}

// ---------------------------------------------------------------- Brave

#[tokio::test]
async fn brave_request_shape_and_parsing() {
    let server = serve(|req, _| match req.path() {
        "/res/v1/web/search" => Reply::Json(brave_web_answer()),
        "/res/v1/images/search" => Reply::Json(json!({"type": "images", "results": [
            {"title": "Ferris", "url": "https://rustacean.net/", "source": "rustacean.net",
             "thumbnail": {"src": "https://imgs.search.brave.com/t.png"},
             "properties": {"url": "https://rustacean.net/ferris.png", "placeholder": "x"}}
        ]})),
        "/res/v1/news/search" => Reply::Json(json!({"type": "news", "results": [
            {"title": "Rust 2.0", "url": "https://blog.example/rust?utm_medium=rss", "description": "News",
             "age": "1 hour ago", "page_age": "2026-11-26T07:00:00", "meta_url": {"hostname": "blog.example"}}
        ]})),
        _ => Reply::status(404, "not found"),
    })
    .await;
    let provider = build_provider(&config(ProviderKind::Brave, &server)).unwrap();
    assert_eq!(provider.name(), "brave");

    let hits = provider.search(&WebQuery::new("rust", 5).with_freshness("week")).await.unwrap();
    let req = server.last();
    assert_eq!(req.method, "GET");
    assert_eq!(req.path(), "/res/v1/web/search");
    assert_eq!(req.param("q").as_deref(), Some("rust"));
    assert_eq!(req.param("count").as_deref(), Some("5"));
    assert_eq!(req.param("freshness").as_deref(), Some("pw"));
    assert_eq!(req.header("x-subscription-token"), Some(KEY));
    assert_eq!(req.header("accept"), Some("application/json"));
    assert!(!req.target.contains(KEY), "the key travels in a header only");
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].title, "Rust Programming Language");
    assert_eq!(hits[0].url, "https://www.rust-lang.org/");
    assert_eq!(hits[0].snippet, "A language empowering everyone");
    assert_eq!(hits[0].published.as_deref(), Some("2026-11-24T08:00:00"));
    assert_eq!(hits[1].score, 0.5);

    let images = provider.search(&q("ferris").with_category(WebCategory::Images)).await.unwrap();
    assert_eq!(server.last().path(), "/res/v1/images/search");
    assert_eq!(images[0].modality, WebModality::Image);
    assert_eq!(images[0].image_url.as_deref(), Some("https://rustacean.net/ferris.png"));
    assert_eq!(images[0].thumbnail_url.as_deref(), Some("https://imgs.search.brave.com/t.png"));

    let news = provider.search(&q("rust").with_category(WebCategory::News)).await.unwrap();
    assert_eq!(server.last().path(), "/res/v1/news/search");
    assert_eq!(news[0].url, "https://blog.example/rust");
    assert_eq!(news[0].published.as_deref(), Some("2026-11-26T07:00:00"));
}

#[tokio::test]
async fn brave_without_web_section_is_empty() {
    let server = serve(|_, _| Reply::Json(json!({"type": "search", "query": {"original": "zzz"}}))).await;
    let (result, _) = timed(&config(ProviderKind::Brave, &server), &q("zzz")).await;
    assert!(result.unwrap().is_empty());
}

// ---------------------------------------------------------------- Tavily

#[tokio::test]
async fn tavily_request_shape_and_parsing() {
    let server = serve(|req, _| {
        let body = req.json();
        if body["include_images"] == json!(true) {
            Reply::Json(json!({"query": "ferris", "results": [], "response_time": 0.4,
                "images": ["https://img.example/a.png", {"url": "https://img.example/b.png", "description": "Ferris the crab"}]}))
        } else {
            Reply::Json(json!({"query": "rust", "response_time": 0.8, "images": [], "results": [
                {"title": "Rust", "url": "https://www.rust-lang.org/", "content": "Fast, reliable", "score": 0.91,
                 "raw_content": null},
                {"title": "News", "url": "https://news.example/r?fbclid=1", "content": "x", "score": 0.5,
                 "published_date": "Tue, 25 Nov 2026 10:00:00 GMT"}
            ]}))
        }
    })
    .await;
    let provider = build_provider(&config(ProviderKind::Tavily, &server)).unwrap();
    let hits = provider.search(&WebQuery::new("rust", 7).with_category(WebCategory::News)).await.unwrap();

    let req = server.last();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path(), "/search");
    assert_eq!(req.header("authorization").map(str::to_owned), Some(format!("Bearer {KEY}")));
    assert!(req.header("content-type").unwrap().starts_with("application/json"));
    let body = req.json();
    assert_eq!(body["query"], "rust");
    assert_eq!(body["max_results"], 7);
    assert_eq!(body["topic"], "news");
    assert_eq!(body["include_images"], false);
    assert!(body.get("api_key").is_none(), "the key goes in the header, not the body");
    assert!(!String::from_utf8_lossy(&req.body).contains(KEY));

    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].score, 0.91);
    assert_eq!(hits[0].engine.as_deref(), Some("tavily"));
    assert_eq!(hits[1].url, "https://news.example/r");
    assert_eq!(hits[1].published.as_deref(), Some("Tue, 25 Nov 2026 10:00:00 GMT"));

    let images = provider.search(&q("ferris").with_category(WebCategory::Images)).await.unwrap();
    assert_eq!(server.last().json()["topic"], "general");
    assert_eq!(images.len(), 2);
    assert!(images.iter().all(|h| h.modality == WebModality::Image));
    assert_eq!(images[1].image_url.as_deref(), Some("https://img.example/b.png"));
    assert_eq!(images[1].title, "Ferris the crab");
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn slow_provider_times_out_within_deadline() {
    let server = serve(|_, _| Reply::Slow(Duration::from_secs(5), Box::new(Reply::Json(searxng_answer())))).await;
    let (result, took) = timed(&config(ProviderKind::Searxng, &server), &q("slow")).await;
    assert_eq!(result.unwrap_err(), WebError::Timeout);
    assert!(took < WITHIN, "took {took:?}");
    assert!(took >= Duration::from_millis(400), "took {took:?}");
}

#[tokio::test]
async fn server_error_is_retried_then_reported() {
    let server = serve(|_, _| Reply::status(500, "boom")).await;
    let (result, took) = timed(&config(ProviderKind::Searxng, &server), &q("err")).await;
    assert_eq!(result.unwrap_err(), WebError::Http { status: 500 });
    assert_eq!(server.hits(), 3, "first attempt plus two retries");
    assert!(took < WITHIN, "took {took:?}");
}

#[tokio::test]
async fn retry_succeeds_after_one_503() {
    let server = serve(|_, n| if n == 1 { Reply::status(503, "busy") } else { Reply::Json(searxng_answer()) }).await;
    let (result, took) = timed(&config(ProviderKind::Searxng, &server), &q("retry")).await;
    assert_eq!(result.unwrap().len(), 2);
    assert_eq!(server.hits(), 2);
    assert!(took < WITHIN);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = serve(|_, n| {
        if n == 1 {
            Reply::Status { status: 429, headers: vec![("Retry-After", "1".into())], body: String::new() }
        } else {
            Reply::Json(searxng_answer())
        }
    })
    .await;
    let mut cfg = config(ProviderKind::Searxng, &server);
    cfg.timeout = Duration::from_secs(4);
    let (result, took) = timed(&cfg, &q("limited")).await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(server.hits(), 2);
    assert!(took >= Duration::from_millis(950), "waited only {took:?}");
    assert!(took < Duration::from_secs(4));
}

#[tokio::test]
async fn retry_after_beyond_deadline_is_reported_at_once() {
    let server =
        serve(|_, _| Reply::Status { status: 429, headers: vec![("Retry-After", "30".into())], body: String::new() })
            .await;
    let (result, took) = timed(&config(ProviderKind::Searxng, &server), &q("limited")).await;
    assert_eq!(result.unwrap_err(), WebError::RateLimited { retry_after: Some(Duration::from_secs(30)) });
    assert_eq!(server.hits(), 1, "no retry that the deadline cannot cover");
    assert!(took < WITHIN, "took {took:?}");
}

#[tokio::test]
async fn malformed_json_is_reported() {
    let server = serve(|req, _| {
        if req.param("q").as_deref() == Some("garbage") {
            Reply::Status {
                status: 200,
                headers: vec![("Content-Type", "application/json".into())],
                body: "{\"results\": [ oops".into(),
            }
        } else {
            Reply::Json(json!({"query": "x", "answers": []}))
        }
    })
    .await;
    let cfg = config(ProviderKind::Searxng, &server);
    let (result, took) = timed(&cfg, &q("garbage")).await;
    assert!(matches!(result, Err(WebError::Malformed(_))), "{result:?}");
    assert!(took < WITHIN);
    let (result, _) = timed(&cfg, &q("shape")).await;
    assert!(matches!(result, Err(WebError::Malformed(ref m)) if m.contains("results")), "{result:?}");
}

#[tokio::test]
async fn oversized_bodies_are_cut_off() {
    for content_length in [true, false] {
        let server = serve(move |_, _| Reply::Huge { len: 1024 * 1024, content_length }).await;
        let mut cfg = config(ProviderKind::Searxng, &server);
        cfg.max_body_bytes = 64 * 1024;
        let (result, took) = timed(&cfg, &q("huge")).await;
        assert_eq!(result.unwrap_err(), WebError::TooLarge { limit: 64 * 1024 }, "content_length={content_length}");
        assert!(took < WITHIN);
    }
}

#[tokio::test]
async fn default_body_cap_is_two_mib() {
    let server = serve(|_, _| Reply::Huge { len: 3 * 1024 * 1024, content_length: false }).await;
    let mut cfg = config(ProviderKind::Searxng, &server);
    cfg.timeout = Duration::from_secs(5);
    let (result, _) = timed(&cfg, &q("huge")).await;
    assert_eq!(result.unwrap_err(), WebError::TooLarge { limit: 2 * 1024 * 1024 });
}

#[tokio::test]
async fn redirects_to_private_addresses_are_refused_without_connecting() {
    for target in [
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.1/admin",
        "http://[fd00::1]/",
        "http://localhost/",
        "file:///etc/passwd",
    ] {
        let to = target.to_owned();
        let server = serve(move |_, _| Reply::redirect(&to)).await;
        let (result, took) = timed(&config(ProviderKind::Searxng, &server), &q("redirect")).await;
        assert!(matches!(result, Err(WebError::Blocked(_))), "{target}: {result:?}");
        assert_eq!(server.hits(), 1, "{target}: blocked redirects are not retried");
        assert!(took < WITHIN, "{target}: took {took:?}");
    }
}

#[tokio::test]
async fn configured_host_may_be_a_local_name() {
    // Self-hosted SearxNG is often `http://localhost:8888` or a private compose name: the
    // configured host is trusted even though it resolves to loopback.
    let server = serve(|_, _| Reply::Json(searxng_answer())).await;
    let mut cfg = config(ProviderKind::Searxng, &server);
    cfg.url = Some(server.base.replace("127.0.0.1", "localhost"));
    let (result, _) = timed(&cfg, &q("local")).await;
    assert_eq!(result.unwrap().len(), 2);
}

#[tokio::test]
async fn redirect_back_to_loopback_is_refused() {
    // The configured base may be loopback; a redirect to loopback may not.
    let server =
        serve(
            |req, _| {
                if req.path() == "/search" { Reply::redirect("/elsewhere") } else { Reply::Json(searxng_answer()) }
            },
        )
        .await;
    let (result, _) = timed(&config(ProviderKind::Searxng, &server), &q("redirect")).await;
    assert!(matches!(result, Err(WebError::Blocked(_))), "{result:?}");
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn connection_reset_is_a_transport_error() {
    let server = serve(|_, _| Reply::Reset).await;
    let (result, took) = timed(&config(ProviderKind::Searxng, &server), &q("reset")).await;
    assert!(matches!(result, Err(WebError::Transport(_))), "{result:?}");
    assert_eq!(server.hits(), 3, "connection errors are retried");
    assert!(took < WITHIN);
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut cfg = ProviderConfig::new(ProviderKind::Searxng).with_url(base).with_timeout(DEADLINE);
    cfg.resilience = fast_resilience();
    let (result, took) = timed(&cfg, &q("refused")).await;
    assert!(matches!(result, Err(WebError::Transport(_))), "{result:?}");
    assert!(took < WITHIN);
}

// ---------------------------------------------------------------- resilience

#[tokio::test]
async fn second_identical_query_is_served_from_cache() {
    let server = serve(|_, _| Reply::Json(searxng_answer())).await;
    let provider = build_provider(&config(ProviderKind::Searxng, &server)).unwrap();
    let first = provider.search(&q("Rust  Language")).await.unwrap();
    let second = provider.search(&q(" rust language")).await.unwrap();
    assert_eq!(server.hits(), 1, "the second call must not reach the server");
    assert_eq!(first, second);
    provider.search(&WebQuery::new("rust language", 3)).await.unwrap();
    assert_eq!(server.hits(), 2, "a different k is a different search");
    let stats = provider.stats();
    assert_eq!((stats.requests, stats.cache_hits, stats.cache_misses, stats.failures), (3, 1, 2, 0));
    assert!(!stats.circuit_open);
}

#[tokio::test]
async fn circuit_opens_after_repeated_failures_and_fails_fast() {
    let server = serve(|_, _| Reply::status(502, "bad gateway")).await;
    let mut cfg = config(ProviderKind::Searxng, &server);
    cfg.resilience.max_retries = 0;
    let provider = build_provider(&cfg).unwrap();
    for i in 0..5 {
        let err = provider.search(&q(&format!("q{i}"))).await.unwrap_err();
        assert_eq!(err, WebError::Http { status: 502 });
    }
    assert!(provider.stats().circuit_open);
    let start = Instant::now();
    let err = provider.search(&q("next")).await.unwrap_err();
    assert!(matches!(err, WebError::CircuitOpen { .. }), "{err:?}");
    assert!(start.elapsed() < DEADLINE, "an open circuit answers at once");
    assert_eq!(server.hits(), 5, "an open circuit sends nothing");
    assert_eq!(provider.stats().failures, 6);
}

#[tokio::test]
async fn local_rate_limit_waits_within_the_deadline() {
    let server = serve(|_, _| Reply::Json(searxng_answer())).await;
    let mut cfg = config(ProviderKind::Searxng, &server);
    cfg.timeout = Duration::from_secs(3);
    cfg.resilience.qps = Some(4.0);
    cfg.resilience.burst = 1;
    cfg.resilience.cache_capacity = 0;
    let provider = build_provider(&cfg).unwrap();
    let start = Instant::now();
    for i in 0..3 {
        provider.search(&q(&format!("q{i}"))).await.unwrap();
    }
    // Burst of one, then 250 ms per token: at least ~500 ms for three calls.
    assert!(start.elapsed() >= Duration::from_millis(450), "{:?}", start.elapsed());
    assert_eq!(server.hits(), 3);
}

// ---------------------------------------------------------------- secrets

#[tokio::test]
async fn api_key_never_appears_in_errors() {
    // Every fault, answered by a server that also echoes the key back wherever it can.
    let server = serve(|req, _| {
        // Brave sends the query in the URL, Tavily in the JSON body.
        let case = req.param("q").or_else(|| {
            serde_json::from_slice::<Value>(&req.body).ok().and_then(|b| b["query"].as_str().map(str::to_owned))
        });
        match case.as_deref() {
            Some("e401") => Reply::status(401, &format!("invalid token {KEY}")),
            Some("e500") => Reply::status(500, KEY),
            Some("e429") => {
                Reply::Status { status: 429, headers: vec![("Retry-After", "60".into())], body: KEY.into() }
            }
            Some("bad") => Reply::Status { status: 200, headers: vec![], body: format!("{{\"web\": {KEY}") },
            Some("shape") => Reply::Json(json!({"web": {"results": KEY}})),
            Some("redirect") => Reply::redirect(&format!("http://10.0.0.1/?token={KEY}")),
            Some("scheme") => Reply::redirect(&format!("ftp://{KEY}@example.com/")),
            Some("reset") => Reply::Reset,
            Some("slow") => Reply::Slow(Duration::from_secs(3), Box::new(Reply::status(200, "{}"))),
            Some("huge") => Reply::Huge { len: 4 * 1024 * 1024, content_length: true },
            _ => Reply::status(404, KEY),
        }
    })
    .await;
    let mut errors = Vec::new();
    for kind in [ProviderKind::Brave, ProviderKind::Tavily] {
        let mut cfg = config(kind, &server);
        cfg.resilience.max_retries = 0;
        cfg.resilience.breaker_threshold = 100;
        let provider = build_provider(&cfg).unwrap();
        for case in ["e401", "e500", "e429", "bad", "shape", "redirect", "scheme", "reset", "slow", "huge", "other"] {
            let result = provider.search(&q(case)).await;
            let err = result.expect_err(case);
            errors.push(format!("{kind:?}/{case}: {err} | {err:?}"));
        }
        // A refused connection with the key in config.
        let mut refused = cfg.clone();
        refused.url = Some("http://127.0.0.1:1".into());
        if let Err(err) = build_provider(&refused).unwrap().search(&q("x")).await {
            errors.push(format!("{kind:?}/refused: {err} | {err:?}"));
        }
        assert!(!format!("{cfg:?}").contains(KEY));
    }
    // Config errors too.
    for url in ["ftp://x", "::nonsense::"] {
        let cfg = ProviderConfig::new(ProviderKind::Brave).with_key(KEY).with_url(url);
        if let Err(err) = build_provider(&cfg) {
            errors.push(format!("config: {err} | {err:?}"));
        }
    }
    assert!(errors.len() >= 20, "{errors:#?}");
    for e in &errors {
        assert!(!e.contains(KEY), "key leaked: {e}");
        assert!(!e.contains("TEST-SECRET"), "key leaked: {e}");
    }
}

// ---------------------------------------------------------------- canonical URLs

#[test]
fn canonicalize_url_cases() {
    let cases = [
        ("https://news.example.org/0?utm_source=x", "https://news.example.org/0"),
        ("HTTPS://Example.COM:443/Path/To?b=2&a=1", "https://example.com/Path/To?a=1&b=2"),
        ("http://example.com:80/", "http://example.com/"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com/x?#frag", "https://example.com/x"),
        ("https://example.com/x?utm_campaign=a&gclid=b&fbclid=c&msclkid=d", "https://example.com/x"),
        ("https://example.com/x?id=7&mc_cid=1&mc_eid=2&ref_src=t&igshid=i&yclid=y&_ga=g", "https://example.com/x?id=7"),
        ("https://example.com/CaseKept/ABC", "https://example.com/CaseKept/ABC"),
        ("https://example.com/s?q=a+b&lang=en", "https://example.com/s?lang=en&q=a+b"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ];
    for (input, expected) in cases {
        assert_eq!(canonicalize_url(input).unwrap(), expected, "{input}");
    }
    for bad in ["mailto:a@b.c", "data:text/plain,hi", "http://", "relative/path"] {
        assert!(canonicalize_url(bad).is_err(), "{bad}");
    }
}
