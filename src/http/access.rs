//! Who may call the API and how much: API keys with a read or write scope, a token-bucket
//! rate limit per key (per client address when no keys are set), a concurrency limit and a
//! request timeout, each a layer of its own in front of an endpoint ([`guard`]). What an
//! endpoint demands is its [`Guard`], declared once in the endpoint table
//! ([`crate::api`]). CORS is configured here too, and is off unless origins are listed.
//!
//! ```
//! use braid::http::access::{AccessConfig, ApiKey, Scope};
//! let mut config = AccessConfig::default();
//! config.keys.push(ApiKey::new("notebook", "s3cret-read", Scope::Read));
//! config.rate_per_minute = Some(600);
//! let access = braid::http::access::Access::new(config).expect("valid settings");
//! assert!(access.keys_required());
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::BoxError;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use braid_kb::BraidError;
use serde::Serialize;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower::timeout::TimeoutLayer;

use super::error::ApiError;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Queries, searches and reads.
    Read,
    /// Everything, including writes and deletes.
    Write,
}

impl std::str::FromStr for Scope {
    type Err = BraidError;

    fn from_str(s: &str) -> Result<Self, BraidError> {
        match s {
            "read" => Ok(Scope::Read),
            "write" => Ok(Scope::Write),
            other => Err(BraidError::invalid("scope", format!("'{other}' is not read or write"))),
        }
    }
}

/// One API key.
#[derive(Clone)]
pub struct ApiKey {
    /// A label for logs and rate-limit buckets; never the secret.
    pub name: String,
    secret: String,
    /// What the key may do.
    pub scope: Scope,
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("ApiKey").field("name", &self.name).field("scope", &self.scope).finish_non_exhaustive()
    }
}

impl ApiKey {
    /// A key called `name` whose bearer token is `secret`.
    pub fn new(name: impl Into<String>, secret: impl Into<String>, scope: Scope) -> Self {
        ApiKey { name: name.into(), secret: secret.into(), scope }
    }
}

/// Settings of [`Access`].
#[derive(Debug, Clone)]
pub struct AccessConfig {
    /// Keys; when empty the API is open (bind to loopback then).
    pub keys: Vec<ApiKey>,
    /// Requests per minute per key (per client address without keys); `None` = unlimited.
    pub rate_per_minute: Option<u32>,
    /// How many requests a bucket holds (a burst); default: one minute's worth.
    pub rate_burst: Option<u32>,
    /// Requests handled at once; more wait up to `queue_wait`, then get 503.
    pub max_concurrency: usize,
    /// How long a request waits for a free slot before it is turned away with 503.
    pub queue_wait: Duration,
    /// Longest time to produce a response; then 504.
    pub request_timeout: Duration,
    /// Origins allowed by CORS (`*` for any); empty = no CORS headers at all.
    pub cors_origins: Vec<String>,
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            keys: Vec::new(),
            rate_per_minute: None,
            rate_burst: None,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            queue_wait: DEFAULT_QUEUE_WAIT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            cors_origins: Vec::new(),
        }
    }
}

/// Default concurrency limit: well above what 2 cores serve, so it only stops pile-ups.
pub const DEFAULT_MAX_CONCURRENCY: usize = 256;
/// Default request timeout; a query's own deadlines are far shorter.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Default wait for a free slot.
pub const DEFAULT_QUEUE_WAIT: Duration = Duration::from_secs(2);
/// Idle buckets are dropped when there are more than this many (bounded memory).
const MAX_BUCKETS: usize = 10_000;

/// The caller, as resolved by the first of the [`guard`] layers; handlers and MCP tools read it from the
/// request extensions.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key's name, or the client address without keys.
    pub identity: String,
    /// What the caller may do.
    pub scope: Scope,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Keys, limits and their state, shared by every request.
pub struct Access {
    config: AccessConfig,
    buckets: Mutex<HashMap<String, Bucket>>,
    slots: Arc<Semaphore>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Access {
    /// Checks the settings.
    pub fn new(config: AccessConfig) -> Result<Self, BraidError> {
        for (i, k) in config.keys.iter().enumerate() {
            if k.secret.trim().is_empty() {
                return Err(BraidError::invalid(format!("keys[{i}]"), "an API key must not be empty"));
            }
            if k.secret.len() < 12 {
                tracing::warn!(key = %k.name, "API key shorter than 12 characters: easy to guess");
            }
            if config.keys[..i].iter().any(|o| o.secret == k.secret) {
                return Err(BraidError::invalid(format!("keys[{i}]"), "the same key is listed twice"));
            }
        }
        if config.rate_per_minute == Some(0) || config.rate_burst == Some(0) {
            return Err(BraidError::invalid("rate_limit", "must be at least 1 (leave it unset for no limit)"));
        }
        if config.max_concurrency == 0 {
            return Err(BraidError::invalid("max_concurrency", "must be at least 1"));
        }
        if config.request_timeout.is_zero() {
            return Err(BraidError::invalid("request_timeout", "must be more than 0 seconds"));
        }
        Ok(Access {
            slots: Arc::new(Semaphore::new(config.max_concurrency)),
            config,
            buckets: Mutex::new(HashMap::new()),
        })
    }

    /// Whether calls need a key.
    pub fn keys_required(&self) -> bool {
        !self.config.keys.is_empty()
    }

    /// The settings.
    pub fn config(&self) -> &AccessConfig {
        &self.config
    }

    /// The key whose secret is `given`, compared in constant time against every key.
    fn key_for(&self, given: &str) -> Option<&ApiKey> {
        let mut found = None;
        for k in &self.config.keys {
            if constant_time_eq(given.as_bytes(), k.secret.as_bytes()) {
                found = Some(k);
            }
        }
        found
    }

    /// Takes one token from `identity`'s bucket, or says how long until one is there.
    fn take_token(&self, identity: &str, now: Instant) -> Result<(), Duration> {
        let Some(per_minute) = self.config.rate_per_minute else { return Ok(()) };
        let capacity = f64::from(self.config.rate_burst.unwrap_or(per_minute));
        let per_second = f64::from(per_minute) / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(identity) {
            // Full buckets carry no state worth keeping.
            buckets.retain(|_, b| b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < capacity);
        }
        let bucket = buckets.entry(identity.to_string()).or_insert(Bucket { tokens: capacity, updated: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * per_second).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

/// Compares secrets in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What an endpoint demands of its caller. Declared once per endpoint in the table of
/// [`crate::api`]; [`guard`] turns it into layers, and the OpenAPI document into statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Nothing: open even when keys are configured (health, the API's description).
    Open,
    /// A key of either scope, when keys are configured.
    Read,
    /// A key with write scope: the endpoint changes data.
    Write,
    /// A key, with write scope when the tool named in the path writes
    /// (`POST /v1/tools/{name}`).
    ToolScope,
}

impl Guard {
    /// Whether the endpoint sits behind keys and limits.
    pub fn is_keyed(self) -> bool {
        self != Guard::Open
    }

    /// Whether a read key can be refused (403), as the endpoint may write.
    pub fn may_write(self) -> bool {
        matches!(self, Guard::Write | Guard::ToolScope)
    }
}

/// `route` behind the layers its `guard` demands, in this order: the key and its scope,
/// then the rate limit, then a slot under the concurrency limit, then the handler under
/// the request timeout. An open route is returned as it is.
pub fn guard<S: Clone + Send + Sync + 'static>(
    route: MethodRouter<S>,
    guard: Guard,
    access: &Arc<Access>,
) -> MethodRouter<S> {
    if !guard.is_keyed() {
        return route;
    }
    let timeout = access.config.request_timeout;
    // Layers added later run first.
    let route = route
        .route_layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(move |_: BoxError| async move { timed_out(timeout) }))
                .layer(TimeoutLayer::new(timeout)),
        )
        .route_layer(from_fn_with_state(access.clone(), take_slot))
        .route_layer(from_fn_with_state(access.clone(), rate_limit));
    let route = match guard {
        Guard::Write => route.route_layer(from_fn(require_write)),
        Guard::ToolScope => route.route_layer(from_fn(require_write_for_tool)),
        Guard::Open | Guard::Read => route,
    };
    route.route_layer(from_fn_with_state(access.clone(), authenticate))
}

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> Response {
    ApiError::new(status, code, message, None).into_response()
}

/// The caller: the key's name and scope, or the client address (write scope) when the
/// server has no keys; 401 with `WWW-Authenticate` for a missing or wrong key.
async fn authenticate(State(access): State<Arc<Access>>, mut req: Request, next: Next) -> Response {
    let caller = if access.keys_required() {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let Some(key) = access.key_for(given) else {
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "missing or invalid API key: send Authorization: Bearer <key>",
            );
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        };
        Caller { identity: format!("key:{}", key.name), scope: key.scope }
    } else {
        let address = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
        Caller { identity: address.unwrap_or_else(|| "anonymous".into()), scope: Scope::Write }
    };
    req.extensions_mut().insert(caller);
    next.run(req).await
}

fn read_scope_refused() -> Response {
    error(StatusCode::FORBIDDEN, "forbidden", "this API key has read scope; writes need a write key")
}

fn has_read_scope(req: &Request) -> bool {
    req.extensions().get::<Caller>().is_some_and(|c| c.scope == Scope::Read)
}

/// 403 for a caller with read scope.
async fn require_write(req: Request, next: Next) -> Response {
    if has_read_scope(&req) {
        return read_scope_refused();
    }
    next.run(req).await
}

/// 403 for a caller with read scope when the tool named in the path writes.
async fn require_write_for_tool(Path(tool): Path<String>, req: Request, next: Next) -> Response {
    if has_read_scope(&req) && crate::tools::is_write_tool(&tool) {
        return read_scope_refused();
    }
    next.run(req).await
}

/// 429 with `Retry-After` once the caller's bucket is empty.
async fn rate_limit(State(access): State<Arc<Access>>, req: Request, next: Next) -> Response {
    let identity = req.extensions().get::<Caller>().map_or("anonymous", |c| c.identity.as_str());
    if let Err(wait) = access.take_token(identity, Instant::now()) {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "rate limit of {} requests per minute reached; retry in {seconds} s",
                access.config.rate_per_minute.unwrap_or(0)
            ),
        );
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return r;
    }
    next.run(req).await
}

/// A slot under the concurrency limit, waited for up to the queue wait, then 503 with
/// `Retry-After`. (Tower's concurrency limit waits without bound, which a client cannot
/// tell from a hang.)
async fn take_slot(State(access): State<Arc<Access>>, req: Request, next: Next) -> Response {
    let Ok(Ok(_slot)) = tokio::time::timeout(access.config.queue_wait, access.slots.clone().acquire_owned()).await
    else {
        let mut r = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            format!("all {} request slots are busy; retry shortly", access.config.max_concurrency),
        );
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(1u64));
        return r;
    };
    next.run(req).await
}

/// The answer when the handler did not finish within the request timeout. Writes are
/// upserts by id, so a client may retry one that timed out.
fn timed_out(timeout: Duration) -> Response {
    error(
        StatusCode::GATEWAY_TIMEOUT,
        "timeout",
        format!("no response within {:.0} s (request timeout)", timeout.as_secs_f64()),
    )
}

/// The CORS layer for the configured origins, or `None` (no CORS headers) when none are.
pub fn cors_layer(config: &AccessConfig) -> Result<Option<tower_http::cors::CorsLayer>, BraidError> {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if config.cors_origins.is_empty() {
        return Ok(None);
    }
    let origin = if config.cors_origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let mut list = Vec::new();
        for (i, o) in config.cors_origins.iter().enumerate() {
            let parsed = url::Url::parse(o).map_err(|e| {
                BraidError::invalid(format!("cors_origins[{i}]"), format!("'{o}' is not an origin: {e}"))
            })?;
            if parsed.origin().ascii_serialization() != o.trim_end_matches('/') {
                return Err(BraidError::invalid(
                    format!("cors_origins[{i}]"),
                    format!("'{o}' is not an origin like https://example.org (no path)"),
                ));
            }
            let value = HeaderValue::from_str(o.trim_end_matches('/'))
                .map_err(|e| BraidError::invalid(format!("cors_origins[{i}]"), e.to_string()))?;
            list.push(value);
        }
        AllowOrigin::list(list)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(origin)
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::HeaderName::from_static("mcp-session-id"),
                header::HeaderName::from_static("mcp-protocol-version"),
            ])
            .expose_headers([header::HeaderName::from_static("x-request-id"), header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refills_at_the_configured_rate_and_says_when() {
        let access = Access::new(AccessConfig { rate_per_minute: Some(60), rate_burst: Some(2), ..Default::default() })
            .expect("valid");
        let t0 = Instant::now();
        assert!(access.take_token("a", t0).is_ok());
        assert!(access.take_token("a", t0).is_ok());
        let wait = access.take_token("a", t0).expect_err("burst of 2 spent");
        assert!((wait.as_secs_f64() - 1.0).abs() < 0.01, "{wait:?}");
        // Buckets are per identity.
        assert!(access.take_token("b", t0).is_ok());
        assert!(access.take_token("a", t0 + Duration::from_millis(1001)).is_ok());
        assert!(access.take_token("a", t0 + Duration::from_millis(1002)).is_err());
    }

    #[test]
    fn keys_match_exactly_and_settings_are_checked() {
        let access = Access::new(AccessConfig {
            keys: vec![ApiKey::new("r", "read-key-123", Scope::Read), ApiKey::new("w", "write-key-123", Scope::Write)],
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(access.key_for("read-key-123").map(|k| k.scope), Some(Scope::Read));
        assert_eq!(access.key_for("write-key-123").map(|k| k.scope), Some(Scope::Write));
        assert!(access.key_for("write-key-12").is_none());
        assert!(access.key_for("").is_none());
        assert!(format!("{:?}", access.config.keys).contains("\"r\"") && !format!("{access:?}").contains("read-key"));

        let empty = AccessConfig { keys: vec![ApiKey::new("x", " ", Scope::Read)], ..Default::default() };
        assert!(Access::new(empty).is_err());
        let twice = AccessConfig {
            keys: vec![ApiKey::new("a", "same-secret", Scope::Read), ApiKey::new("b", "same-secret", Scope::Write)],
            ..Default::default()
        };
        assert!(Access::new(twice).is_err());
        assert!(Access::new(AccessConfig { rate_per_minute: Some(0), ..Default::default() }).is_err());
        assert!(Access::new(AccessConfig { max_concurrency: 0, ..Default::default() }).is_err());
        assert!(Access::new(AccessConfig { request_timeout: Duration::ZERO, ..Default::default() }).is_err());
    }

    /// A router with the guards in front of a handler that sleeps `?ms=` milliseconds.
    fn guarded(config: AccessConfig) -> axum::Router {
        use axum::routing::get;
        let access = Arc::new(Access::new(config).expect("valid settings"));
        let sleep = |q: axum::extract::Query<HashMap<String, u64>>| async move {
            tokio::time::sleep(Duration::from_millis(q.get("ms").copied().unwrap_or(0))).await;
            "done"
        };
        let router = axum::Router::new()
            .route("/v1/status", guard(get(sleep), Guard::Read, &access))
            .route("/v1/documents", guard(axum::routing::post(sleep), Guard::Write, &access));
        match cors_layer(access.config()).expect("valid origins") {
            Some(cors) => router.layer(cors),
            None => router,
        }
    }

    fn call(router: &axum::Router, method: &str, uri: &str, headers: &[(&str, &str)]) -> Response {
        use tower::ServiceExt;
        let mut req = axum::http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(axum::body::Body::empty()).expect("request");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(router.clone().oneshot(req)).expect("infallible")
    }

    fn code_of(response: Response) -> (u16, String) {
        let status = response.status().as_u16();
        let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
        let body = rt.block_on(axum::body::to_bytes(response.into_body(), 1 << 20)).expect("body");
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        (status, v["error"]["code"].as_str().unwrap_or("").to_string())
    }

    #[test]
    fn scopes_decide_reads_and_writes() {
        let router = guarded(AccessConfig {
            keys: vec![
                ApiKey::new("reader", "read-key-123456", Scope::Read),
                ApiKey::new("writer", "write-key-123456", Scope::Write),
            ],
            ..Default::default()
        });
        let read = [("authorization", "Bearer read-key-123456")];
        let write = [("authorization", "Bearer write-key-123456")];
        assert_eq!(code_of(call(&router, "GET", "/v1/status", &[])), (401, "unauthorized".into()));
        assert_eq!(code_of(call(&router, "GET", "/v1/status", &[("authorization", "read-key-123456")])).0, 401);
        assert_eq!(call(&router, "GET", "/v1/status", &read).status(), 200);
        assert_eq!(code_of(call(&router, "POST", "/v1/documents", &read)), (403, "forbidden".into()));
        assert_eq!(call(&router, "POST", "/v1/documents", &write).status(), 200);
    }

    #[test]
    fn rate_limit_answers_429_with_retry_after_per_key() {
        let router = guarded(AccessConfig {
            keys: vec![ApiKey::new("a", "key-a-123456", Scope::Read), ApiKey::new("b", "key-b-123456", Scope::Read)],
            rate_per_minute: Some(6),
            rate_burst: Some(2),
            ..Default::default()
        });
        let a = [("authorization", "Bearer key-a-123456")];
        assert_eq!(call(&router, "GET", "/v1/status", &a).status(), 200);
        assert_eq!(call(&router, "GET", "/v1/status", &a).status(), 200);
        let limited = call(&router, "GET", "/v1/status", &a);
        let retry = limited.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_string);
        assert_eq!(code_of(limited), (429, "rate_limited".into()));
        // 6 a minute refills one token in 10 s.
        assert!(matches!(retry.as_deref(), Some("9" | "10")), "{retry:?}");
        assert_eq!(call(&router, "GET", "/v1/status", &[("authorization", "Bearer key-b-123456")]).status(), 200);
    }

    #[test]
    fn slow_requests_time_out_and_a_full_server_says_overloaded() {
        let router = guarded(AccessConfig {
            max_concurrency: 1,
            queue_wait: Duration::from_millis(50),
            request_timeout: Duration::from_millis(300),
            ..Default::default()
        });
        assert_eq!(call(&router, "GET", "/v1/status?ms=1", &[]).status(), 200);
        assert_eq!(code_of(call(&router, "GET", "/v1/status?ms=2000", &[])), (504, "timeout".into()));
        // One slot: a second request waits 50 ms for it, then gets 503 with Retry-After.
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let (first, second) = rt.block_on(async {
            use tower::ServiceExt;
            let req =
                |uri: &str| axum::http::Request::builder().uri(uri).body(axum::body::Body::empty()).expect("request");
            let slow = tokio::spawn(router.clone().oneshot(req("/v1/status?ms=250")));
            tokio::time::sleep(Duration::from_millis(50)).await;
            let turned_away = router.clone().oneshot(req("/v1/status")).await;
            (slow.await.expect("joined").expect("infallible"), turned_away.expect("infallible"))
        });
        assert_eq!(first.status(), 200);
        assert_eq!(second.headers().get(header::RETRY_AFTER).map(|v| v.as_bytes()), Some(&b"1"[..]));
        assert_eq!(code_of(second), (503, "overloaded".into()));
    }

    #[test]
    fn cors_is_off_unless_origins_are_listed() {
        let preflight = [
            ("origin", "http://localhost:8888"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "authorization,content-type"),
        ];
        let allow = |r: &Response| r.headers().get("access-control-allow-origin").map(|v| v.as_bytes().to_vec());
        let open = guarded(AccessConfig::default());
        assert_eq!(allow(&call(&open, "GET", "/v1/status", &[("origin", "http://localhost:8888")])), None);
        let listed = guarded(AccessConfig {
            cors_origins: vec!["http://localhost:8888".into()],
            keys: vec![ApiKey::new("k", "cors-key-123456", Scope::Read)],
            ..Default::default()
        });
        // The preflight is answered without a key; the real call still needs one.
        let r = call(&listed, "OPTIONS", "/v1/documents", &preflight);
        assert_eq!((r.status().as_u16(), allow(&r)), (200, Some(b"http://localhost:8888".to_vec())));
        let r = call(&listed, "GET", "/v1/status", &[("origin", "http://localhost:8888")]);
        assert_eq!((r.status().as_u16(), allow(&r)), (401, Some(b"http://localhost:8888".to_vec())));
        let r = call(&listed, "GET", "/v1/status", &[("origin", "http://evil.example")]);
        assert_eq!(allow(&r), None);
    }

    #[test]
    fn cors_origins_must_be_origins() {
        let ok = AccessConfig { cors_origins: vec!["http://localhost:8888".into()], ..Default::default() };
        assert!(cors_layer(&ok).expect("valid").is_some());
        assert!(cors_layer(&AccessConfig::default()).expect("valid").is_none());
        let any = AccessConfig { cors_origins: vec!["*".into()], ..Default::default() };
        assert!(cors_layer(&any).expect("valid").is_some());
        for bad in ["localhost", "http://x.org/path", "not a url"] {
            let cfg = AccessConfig { cors_origins: vec![bad.into()], ..Default::default() };
            assert!(cors_layer(&cfg).is_err(), "{bad}");
        }
    }
}
