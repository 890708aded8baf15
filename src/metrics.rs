//! Prometheus metrics at `GET /metrics`: a small registry of atomic counters and fixed-bucket
//! histograms, an axum middleware that records every request by matched path and status, and
//! per-route numbers (source latency and status, route selection, escalations) taken from
//! each answered query. Gauges (index sizes, web cache counters) are read at scrape time.
//!
//! A query handler reports its answer by putting a [`QuerySummary`] into the response
//! extensions; the middleware records it, so handlers need no access to the registry.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use braid_kb::KnowledgeBase;
use braid_router::{QueryResponse, Route, SourceStatus};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// A latency histogram with the fixed [`BUCKETS`] (cumulative on output).
#[derive(Default)]
struct Histogram {
    /// Observations per bucket (non-cumulative); the last slot is `+Inf`.
    counts: [AtomicU64; BUCKETS.len() + 1],
    /// Sum of observations, in nanoseconds.
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let slot = BUCKETS.iter().position(|&b| secs <= b).unwrap_or(BUCKETS.len());
        self.counts[slot].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.counts[BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {cumulative}");
    }
}

/// A family of series keyed by their label set (already rendered as `k="v",...`).
struct Family<T> {
    series: Mutex<BTreeMap<String, Arc<T>>>,
}

impl<T: Default> Family<T> {
    fn new() -> Self {
        Family { series: Mutex::new(BTreeMap::new()) }
    }

    fn get(&self, labels: String) -> Arc<T> {
        let mut map = self.series.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(labels).or_default().clone()
    }

    fn snapshot(&self) -> Vec<(String, Arc<T>)> {
        let map = self.series.lock().unwrap_or_else(|e| e.into_inner());
        map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

/// What the metrics need from one answered query.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySummary {
    /// Routes the plan selected.
    pub selected: Vec<Route>,
    /// The plan's primary route.
    pub primary: Option<Route>,
    /// Routes added by corrective escalation.
    pub escalated: Vec<Route>,
    /// Per source: route, status, wall time.
    pub sources: Vec<(Route, SourceStatus, Duration)>,
}

impl QuerySummary {
    /// Summarises an answer. Escalations are read from the trace when there is one, and
    /// otherwise from the plan's reasons (`escalated: ...`), which are always present.
    pub fn of(answer: &QueryResponse) -> Self {
        let mut escalated: Vec<Route> =
            answer.trace.as_ref().and_then(|t| t.escalation.as_ref()).map(|e| vec![e.route]).unwrap_or_default();
        if escalated.is_empty() {
            escalated = answer
                .plan
                .routes
                .iter()
                .filter(|d| d.reasons.iter().any(|r| r.starts_with("escalated")))
                .map(|d| d.route)
                .collect();
        }
        QuerySummary {
            selected: answer.plan.selected(),
            primary: answer.plan.primary,
            escalated,
            sources: answer
                .sources
                .iter()
                .map(|s| (s.route, s.status, Duration::from_secs_f64((s.took_ms.max(0.0)) / 1000.0)))
                .collect(),
        }
    }
}

/// The registry.
pub struct Metrics {
    started: Instant,
    requests: Family<AtomicU64>,
    request_seconds: Family<Histogram>,
    source_requests: Family<AtomicU64>,
    source_seconds: Family<Histogram>,
    route_selected: Family<AtomicU64>,
    route_primary: Family<AtomicU64>,
    escalations: Family<AtomicU64>,
    queries: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            started: Instant::now(),
            requests: Family::new(),
            request_seconds: Family::new(),
            source_requests: Family::new(),
            source_seconds: Family::new(),
            route_selected: Family::new(),
            route_primary: Family::new(),
            escalations: Family::new(),
            queries: AtomicU64::new(0),
        }
    }
}

fn status_label(s: SourceStatus) -> &'static str {
    match s {
        SourceStatus::Ok => "ok",
        SourceStatus::Timeout => "timeout",
        SourceStatus::Error => "error",
        SourceStatus::Skipped => "skipped",
    }
}

/// Escapes a label value (`\`, `"` and newlines).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

impl Metrics {
    /// Records one HTTP request.
    pub fn record_request(&self, method: &str, path: &str, status: u16, elapsed: Duration) {
        let labels = format!("method=\"{}\",path=\"{}\",status=\"{status}\"", escape(method), escape(path));
        self.requests.get(labels.clone()).fetch_add(1, Ordering::Relaxed);
        self.request_seconds.get(labels).observe(elapsed);
    }

    /// Records one answered query (from REST, `/v1/tools` or MCP).
    pub fn record_query(&self, q: &QuerySummary) {
        self.queries.fetch_add(1, Ordering::Relaxed);
        for r in &q.selected {
            self.route_selected.get(format!("route=\"{r}\"")).fetch_add(1, Ordering::Relaxed);
        }
        if let Some(p) = q.primary {
            self.route_primary.get(format!("route=\"{p}\"")).fetch_add(1, Ordering::Relaxed);
        }
        for r in &q.escalated {
            self.escalations.get(format!("route=\"{r}\"")).fetch_add(1, Ordering::Relaxed);
        }
        for (route, status, took) in &q.sources {
            let labels = format!("route=\"{route}\",status=\"{}\"", status_label(*status));
            self.source_requests.get(labels).fetch_add(1, Ordering::Relaxed);
            if *status != SourceStatus::Skipped {
                self.source_seconds.get(format!("route=\"{route}\"")).observe(*took);
            }
        }
    }

    /// The Prometheus text exposition, with gauges read from `kb` now.
    pub fn render(&self, kb: &KnowledgeBase) -> String {
        let mut out = String::with_capacity(8 << 10);
        let counters = |out: &mut String, name: &str, help: &str, family: &Family<AtomicU64>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (labels, c) in family.snapshot() {
                let _ = writeln!(out, "{name}{{{labels}}} {}", c.load(Ordering::Relaxed));
            }
        };
        let histograms = |out: &mut String, name: &str, help: &str, family: &Family<Histogram>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
            for (labels, h) in family.snapshot() {
                h.write(out, name, &labels);
            }
        };
        counters(
            &mut out,
            "braid_http_requests_total",
            "HTTP requests by method, matched path and status.",
            &self.requests,
        );
        histograms(
            &mut out,
            "braid_http_request_duration_seconds",
            "HTTP request latency by method, matched path and status.",
            &self.request_seconds,
        );
        let _ = writeln!(
            out,
            "# HELP braid_queries_total Routed queries answered.\n# TYPE braid_queries_total counter\nbraid_queries_total {}",
            self.queries.load(Ordering::Relaxed)
        );
        counters(
            &mut out,
            "braid_source_requests_total",
            "Per-route source outcomes of routed queries.",
            &self.source_requests,
        );
        histograms(
            &mut out,
            "braid_source_duration_seconds",
            "Per-route source latency of routed queries (skipped sources excluded).",
            &self.source_seconds,
        );
        counters(&mut out, "braid_route_selected_total", "Routes selected by the routing plan.", &self.route_selected);
        counters(&mut out, "braid_route_primary_total", "Primary route of the routing plan.", &self.route_primary);
        counters(
            &mut out,
            "braid_route_escalations_total",
            "Corrective escalations (fallbacks) to one more route after weak evidence.",
            &self.escalations,
        );

        if let Some(web) = kb.web_stats() {
            let _ = writeln!(
                out,
                "# HELP braid_web_cache_hits_total Web searches answered from the cache.\n# TYPE braid_web_cache_hits_total counter\nbraid_web_cache_hits_total {}",
                web.cache_hits
            );
            let _ = writeln!(
                out,
                "# HELP braid_web_cache_misses_total Web searches that asked the provider.\n# TYPE braid_web_cache_misses_total counter\nbraid_web_cache_misses_total {}",
                web.cache_misses
            );
            let _ = writeln!(
                out,
                "# HELP braid_web_requests_total Web searches.\n# TYPE braid_web_requests_total counter\nbraid_web_requests_total {}",
                web.requests
            );
            let _ = writeln!(
                out,
                "# HELP braid_web_failures_total Web searches that failed.\n# TYPE braid_web_failures_total counter\nbraid_web_failures_total {}",
                web.failures
            );
            let _ = writeln!(
                out,
                "# HELP braid_web_circuit_open Whether the web provider's circuit breaker is open.\n# TYPE braid_web_circuit_open gauge\nbraid_web_circuit_open {}",
                u8::from(web.circuit_open)
            );
        }
        match kb.status() {
            Ok(st) => {
                let _ =
                    writeln!(out, "# HELP braid_records Records in the store of record.\n# TYPE braid_records gauge");
                for (kind, n) in [
                    ("entities", st.counts.entities),
                    ("relations", st.counts.relations),
                    ("documents", st.counts.documents),
                    ("images", st.counts.images),
                ] {
                    let _ = writeln!(out, "braid_records{{kind=\"{kind}\"}} {n}");
                }
                let _ = writeln!(
                    out,
                    "# HELP braid_vector_index_items Items in the vector index.\n# TYPE braid_vector_index_items gauge\nbraid_vector_index_items {}",
                    st.indexed_items
                );
                let _ = writeln!(
                    out,
                    "# HELP braid_route_available Whether each route can run.\n# TYPE braid_route_available gauge"
                );
                for r in &st.routes {
                    let _ = writeln!(out, "braid_route_available{{route=\"{}\"}} {}", r.route, u8::from(r.available));
                }
            }
            Err(e) => tracing::warn!(error = %e, "metrics: status unavailable"),
        }
        let _ = writeln!(
            out,
            "# HELP braid_uptime_seconds Seconds since the server started.\n# TYPE braid_uptime_seconds gauge\nbraid_uptime_seconds {}",
            self.started.elapsed().as_secs_f64()
        );
        out
    }
}

/// Middleware: records method, matched path (or `unmatched`, to bound cardinality), status
/// and latency of every request, and the [`QuerySummary`] a handler attached, if any.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_string();
    let path = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let response = next.run(req).await;
    metrics.record_request(&method, &path, response.status().as_u16(), started.elapsed());
    if let Some(q) = response.extensions().get::<QuerySummary>() {
        metrics.record_query(q);
    }
    response
}

/// `GET /metrics`.
pub async fn scrape(metrics: Arc<Metrics>, kb: Arc<KnowledgeBase>) -> Response {
    let body = tokio::task::spawn_blocking(move || metrics.render(&kb)).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "metrics rendering failed");
        String::new()
    });
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_sums() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_millis(30));
        h.observe(Duration::from_secs(60));
        let mut out = String::new();
        h.write(&mut out, "x", "a=\"b\"");
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.0005\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.05\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"10\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("x_count{a=\"b\"} 3\n"), "{out}");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
