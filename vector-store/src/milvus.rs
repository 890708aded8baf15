//! `MilvusBackend`: the vector route on a Milvus server over gRPC (feature `milvus`).
//!
//! Layout: one collection, `{prefix}_items`, holding both modalities with the fields Braid
//! filters on (`modality`, `kind`, `tags`, `entities`, `source`), the `title` a hit shows, a
//! `dense` FLOAT_VECTOR with an HNSW index (COSINE for Braid's default metric) and three
//! SPARSE_FLOAT_VECTORs filled by server-side BM25 functions: `title_sparse`, `text_sparse`
//! and `sparse` (title twice + text, for server-side fusion). One collection rather than one
//! per modality because BM25 statistics (IDF, average length) are per collection: split by
//! modality, "flag" is common among images and rare overall, and hybrid top-10s drifted to
//! 0.5 overlap with the embedded store on such queries (measured); together they match.
//!
//! Lexical relevance: Milvus Lite 3.2.2 runs the BM25 function, but its analyzer only knows
//! the `standard` tokenizer; an English stemmer is accepted and silently ignored and the
//! `_english_` stop-word set is not recognised (probed). So Braid analyses text on the client
//! with the same English analyzer as the embedded tantivy index (lower-case, stop words,
//! Porter stemmer) and stores and queries analysed terms; Milvus computes real BM25 (IDF,
//! length normalisation) over the same term space. The lexical ranking is, as in tantivy,
//! BM25(text) + 2 × BM25(title), each field with its own statistics.
//!
//! Hybrid search: by default Braid fuses Milvus' dense ranking and its BM25 ranking with the
//! embedded store's RRF (so results and provenance match the embedded backend); with
//! [`MilvusConfig::server_fusion`] one Milvus `hybrid_search` (dense + BM25 sub-requests) is
//! fused by Milvus' RRF ranker with Braid's `rrf_k` instead.
//!
//! The SDK is async; [`VectorBackend`] is sync (it is called from `spawn_blocking` and from
//! start-up code). The backend owns a small tokio runtime and runs every call on it, waiting on
//! a channel, so it works from any thread, including one that belongs to another runtime.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ::milvus::v2 as sdk;
use ::milvus::v2::prelude as mv;
use serde_json::json;
use tantivy::tokenizer::TextAnalyzer;

use crate::backend::VectorBackend;
use crate::config::Metric;
use crate::error::VectorError;
use crate::filter::Filter;
use crate::fusion::reciprocal_rank_fusion;
use crate::item::{Item, Modality};
use crate::lexical::english_analyzer;
use crate::search::{SearchMode, SearchRequest, VectorHit};
use crate::validate::{MAX_KEYWORD_BYTES, validate_item, validate_vector};

/// The URI Braid connects to when none is configured.
pub const DEFAULT_MILVUS_URI: &str = "http://127.0.0.1:19530";
/// The collection name prefix used when none is configured.
pub const DEFAULT_COLLECTION_PREFIX: &str = "braid";
/// Hybrid search takes this many candidates per side, at least (as the embedded store).
const MIN_HYBRID_CANDIDATES: usize = 50;
/// Title terms weigh twice (as in the embedded store's tantivy query).
const TITLE_BOOST: f32 = 2.0;
/// Milvus VARCHAR fields hold at most this many bytes.
const MAX_VARCHAR_BYTES: usize = 65_535;
/// Milvus ARRAY fields hold at most this many elements.
const MAX_ARRAY_ELEMENTS: usize = 4_096;
/// Rows per upsert request, to stay far below gRPC's message size limit.
const UPSERT_ROWS: usize = 512;
/// Ids per `id in [..]` expression.
const IDS_PER_EXPRESSION: usize = 1_000;
/// After a failed connection attempt, calls fail fast for this long before the next attempt.
const RECONNECT_AFTER: Duration = Duration::from_secs(2);
/// Connecting gives up after at most this long (a refused connection fails at once).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Flush (seal segments, so Milvus builds their HNSW and inverted indexes) at the end of a
/// bulk sync ([`VectorBackend::reconcile`]) and after this many rows written since. Measured
/// on Milvus Lite with the atlas: a dense search over unflushed rows took 500 ms, 150 ms after
/// a flush; BM25 1.9 s → 40 ms. Large on purpose: Milvus Lite 3.2.2 keeps BM25 statistics
/// (IDF, average length) per segment (probed: one text in three segments scored 3.14, 0.035
/// and 0.29), so sealing a bulk load in small pieces gives its parts different score scales
/// (on the atlas, images loaded last scored lower than the same terms in documents).
const FLUSH_EVERY: usize = 65_536;
/// Rows written and then left alone this long are flushed in the background, so a bulk load
/// through the write path (`braid ingest`, the demo) is sealed as one segment once it ends,
/// and live writes do not stay in the slow unindexed growing segment.
const IDLE_FLUSH: Duration = Duration::from_secs(1);
/// Rows per page when listing every id.
const QUERY_PAGE: usize = 4_096;
/// Milvus caps `offset + limit` of one query at this many rows.
const QUERY_WINDOW: usize = 16_384;

/// How to reach Milvus and name the collections.
#[derive(Debug, Clone)]
pub struct MilvusConfig {
    /// gRPC endpoint, e.g. `http://127.0.0.1:19530` or `https://host:443` (Zilliz Cloud).
    pub uri: String,
    /// `user:password` or an API key, when the server requires authentication.
    pub token: Option<String>,
    /// Database name; `None` is Milvus' `default`.
    pub database: Option<String>,
    /// The collection is named `{prefix}_items`.
    pub collection_prefix: String,
    /// Vector dimension (the embedder's).
    pub dimension: usize,
    /// Similarity metric: `cos` → COSINE, `ip` → IP, `l2sq` → L2.
    pub metric: Metric,
    /// HNSW `M`.
    pub hnsw_m: usize,
    /// HNSW `efConstruction`.
    pub hnsw_ef_construction: usize,
    /// Deadline of one RPC (and of connecting).
    pub timeout: Duration,
    /// Hybrid search fused by Milvus (`hybrid_search` + RRF ranker over the dense field and
    /// one BM25 field) instead of by Braid over Milvus' dense and per-field BM25 rankings.
    /// Cheaper (one round trip), less faithful to the embedded store (see docs/MILVUS.md).
    pub server_fusion: bool,
}

impl MilvusConfig {
    /// Defaults for `uri` and `dimension`: prefix `braid`, cosine, M=16, efConstruction=200.
    pub fn new(uri: impl Into<String>, dimension: usize) -> Self {
        MilvusConfig {
            uri: uri.into(),
            token: None,
            database: None,
            collection_prefix: DEFAULT_COLLECTION_PREFIX.into(),
            dimension,
            metric: Metric::Cos,
            hnsw_m: 16,
            hnsw_ef_construction: 200,
            timeout: Duration::from_secs(10),
            server_fusion: false,
        }
    }

    /// The collection that holds the items: `{prefix}_items`.
    pub fn collection(&self) -> String {
        format!("{}_items", self.collection_prefix)
    }
}

/// A [`VectorBackend`] on Milvus (standalone, distributed, Zilliz Cloud or Milvus Lite 3).
///
/// Connects lazily: construction validates the configuration only, so Braid starts while
/// Milvus is down and the vector route reports the outage until it is back. The collection is
/// created (and loaded) on first use.
pub struct MilvusBackend {
    config: MilvusConfig,
    runtime: Option<tokio::runtime::Runtime>,
    client: Mutex<Option<Arc<mv::ClientV2>>>,
    /// When connecting last failed: calls fail at once for [`RECONNECT_AFTER`], so an outage
    /// costs each query a fast error instead of a connect timeout.
    failed_at: Mutex<Option<(std::time::Instant, String)>>,
    /// Rows written since the last flush (see [`FLUSH_EVERY`]).
    unflushed: Arc<AtomicUsize>,
    /// Counts writes; a background flush runs only if no write came after it was scheduled.
    writes: Arc<AtomicU64>,
    analyzer: TextAnalyzer,
}

impl std::fmt::Debug for MilvusBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MilvusBackend").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Drop for MilvusBackend {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside another runtime's async context
        // (Braid is dropped at the end of `serve`); shutting down in the background does not.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn remote(context: &str, e: impl std::fmt::Display) -> VectorError {
    VectorError::Remote(format!("milvus {context}: {e}"))
}

impl MilvusBackend {
    /// A backend for `config`; does not connect yet (see [`connect`](Self::connect)).
    pub fn new(config: MilvusConfig) -> Result<Self, VectorError> {
        if !(1..=crate::config::MAX_DIMENSION).contains(&config.dimension) {
            return Err(VectorError::invalid("dimension", format!("must be 1..={}", crate::config::MAX_DIMENSION)));
        }
        let prefix = &config.collection_prefix;
        let valid_prefix = prefix.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && prefix.len() <= 200;
        if !valid_prefix {
            return Err(VectorError::invalid(
                "collection_prefix",
                format!("'{prefix}' must start with a letter or '_' and hold only letters, digits and '_'"),
            ));
        }
        url_like(&config.uri)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("braid-milvus")
            .enable_all()
            .build()
            .map_err(|e| VectorError::Internal(format!("starting the milvus runtime: {e}")))?;
        Ok(MilvusBackend {
            config,
            runtime: Some(runtime),
            client: Mutex::new(None),
            failed_at: Mutex::new(None),
            unflushed: Arc::new(AtomicUsize::new(0)),
            writes: Arc::new(AtomicU64::new(0)),
            analyzer: english_analyzer(),
        })
    }

    /// A backend that has connected and made sure the collection exists and is loaded.
    pub fn connect(config: MilvusConfig) -> Result<Self, VectorError> {
        let backend = MilvusBackend::new(config)?;
        backend.client()?;
        Ok(backend)
    }

    /// The configuration.
    pub fn config(&self) -> &MilvusConfig {
        &self.config
    }

    /// Drops the collection (tests and `index rebuild --fresh`); the next call recreates it.
    pub fn drop_collections(&self) -> Result<(), VectorError> {
        let config = self.config.clone();
        let names = [self.config.collection()];
        self.run(async move {
            // A raw client: the collections may not match the configuration (that is why
            // they are being dropped).
            let client = connect(&config).await?;
            for name in names {
                let has = mv::HasCollectionRequest::builder().collection_name(&name).build().map_err(sdk_err)?;
                if client.has_collection(has).await.map_err(|e| remote("has_collection", e))?.exists() {
                    let req = mv::DropCollectionRequest::builder().collection_name(&name).build().map_err(sdk_err)?;
                    client.drop_collection(req).await.map_err(|e| remote("drop collection", e))?;
                }
            }
            Ok(())
        })?;
        *self.client.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    }

    /// Seals the collection's growing segments so Milvus indexes them (bulk loads end here).
    pub fn flush(&self) -> Result<(), VectorError> {
        let client = self.client()?;
        let name = self.config.collection();
        self.run(async move {
            let req = mv::FlushRequest::builder()
                .collection_names([name])
                .wait_flushed_ms(60_000)
                .build()
                .map_err(sdk_err)?;
            client.flush(req).await.map_err(|e| remote("flush", e))?;
            Ok(())
        })?;
        self.unflushed.store(0, Ordering::Relaxed);
        Ok(())
    }

    /// Schedules a background flush after [`IDLE_FLUSH`] unless another write comes first.
    /// Best effort: a failed flush leaves the rows in the growing segment (still searchable,
    /// with Strong reads) for the next flush.
    fn flush_when_idle(&self, client: Arc<mv::ClientV2>) {
        let Some(rt) = self.runtime.as_ref() else { return };
        let generation = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        let writes = self.writes.clone();
        let unflushed = self.unflushed.clone();
        let name = self.config.collection();
        rt.spawn(async move {
            tokio::time::sleep(IDLE_FLUSH).await;
            if writes.load(Ordering::Relaxed) != generation || unflushed.load(Ordering::Relaxed) == 0 {
                return;
            }
            let pending = unflushed.swap(0, Ordering::Relaxed);
            let Ok(req) = mv::FlushRequest::builder().collection_names([name]).wait_flushed_ms(60_000).build() else {
                return;
            };
            if client.flush(req).await.is_err() {
                unflushed.fetch_add(pending, Ordering::Relaxed);
            }
        });
    }

    /// Every item id in the collection (for reconciliation with the store of record).
    pub fn ids(&self) -> Result<HashSet<String>, VectorError> {
        let client = self.client()?;
        let names = [self.config.collection()];
        self.run(async move {
            let mut ids = HashSet::new();
            for name in names {
                // Up to Milvus' query window one query lists them all (Milvus Lite has no
                // query iterator and ignores ordering); larger collections use the SDK's query
                // iterator, which pages by primary key on a Milvus server.
                let total = count(&client, &name).await?;
                if total <= QUERY_WINDOW {
                    ids.extend(query_ids(&client, &name, "id != \"\"", QUERY_WINDOW).await?);
                    continue;
                }
                let query = mv::QueryRequest::builder()
                    .collection_name(&name)
                    .filter("id != \"\"")
                    .output_fields(["id"])
                    .consistency_level(sdk::ConsistencyLevel::Strong)
                    .build()
                    .map_err(sdk_err)?;
                let request =
                    mv::QueryIteratorRequest::builder().query(query).batch_size(QUERY_PAGE).build().map_err(sdk_err)?;
                let mut pages = client.query_iterator(request).await.map_err(|e| remote("query iterator", e))?;
                while let Some(page) = pages.next().await.map_err(|e| remote("query iterator", e))? {
                    let before = ids.len();
                    ids.extend(varchar_column(page.results(), "id"));
                    if ids.len() == before {
                        break;
                    }
                }
            }
            Ok(ids)
        })
    }

    /// Runs a future on the backend's runtime and waits for it from this (any) thread.
    fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T, VectorError>> + Send + 'static,
    ) -> Result<T, VectorError> {
        let rt = self.runtime.as_ref().ok_or_else(|| VectorError::Internal("milvus runtime stopped".into()))?;
        let timeout = self.config.timeout * 3;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        rt.spawn(async move {
            let out = match tokio::time::timeout(timeout, fut).await {
                Ok(r) => r,
                Err(_) => Err(VectorError::Remote(format!("milvus did not answer within {timeout:?}"))),
            };
            let _ = tx.send(out);
        });
        rx.recv().map_err(|_| VectorError::Internal("milvus task ended without an answer".into()))?
    }

    /// The connected client; connects and prepares the collections on first use (and again
    /// after a failed attempt).
    fn client(&self) -> Result<Arc<mv::ClientV2>, VectorError> {
        let mut slot = self.client.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        {
            let failed = self.failed_at.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, why)) = failed.as_ref().filter(|(at, _)| at.elapsed() < RECONNECT_AFTER) {
                let wait = RECONNECT_AFTER.saturating_sub(at.elapsed());
                return Err(VectorError::Remote(format!("{why} (next attempt in {:.1}s)", wait.as_secs_f32())));
            }
        }
        let config = self.config.clone();
        let connected = self.run(async move {
            let client = connect(&config).await?;
            ensure_collection(&client, &config, &config.collection()).await?;
            Ok(Arc::new(client))
        });
        match connected {
            Ok(client) => {
                *self.failed_at.lock().unwrap_or_else(|e| e.into_inner()) = None;
                *slot = Some(client.clone());
                Ok(client)
            }
            Err(e) => {
                if matches!(e, VectorError::Remote(_)) {
                    *self.failed_at.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some((std::time::Instant::now(), e.to_string()));
                }
                Err(e)
            }
        }
    }

    /// Analysed terms of a text, in order, repeats kept (BM25 counts them).
    fn analyze(&self, text: &str) -> Vec<String> {
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(text);
        let mut terms = Vec::new();
        while stream.advance() {
            terms.push(stream.token().text.clone());
        }
        terms
    }

    /// The text Milvus' BM25 function indexes: the title's terms twice, then the text's,
    /// cut to the VARCHAR limit at a term boundary.
    fn lexical_field(&self, item: &Item) -> String {
        let title = self.analyze(&item.title).join(" ");
        let text = self.analyze(&item.text).join(" ");
        join_terms(&[title.as_str(), title.as_str(), text.as_str()])
    }

    /// The analysed terms of one text, cut to the VARCHAR limit at a term boundary.
    fn terms_field(&self, text: &str) -> String {
        join_terms(&[self.analyze(text).join(" ").as_str()])
    }

    /// Distinct analysed query terms (at most 256, as the embedded store).
    fn query_terms(&self, text: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        self.analyze(text).into_iter().filter(|t| seen.insert(t.clone())).take(256).collect()
    }

    fn row(&self, item: &Item, vector: &[f32]) -> serde_json::Value {
        json!({
            "id": item.id,
            "modality": item.modality.as_str(),
            "kind": item.kind,
            "title": truncate(&item.title, MAX_VARCHAR_BYTES),
            "lexical": self.lexical_field(item),
            "title_terms": self.terms_field(&item.title),
            "text_terms": self.terms_field(&item.text),
            "tags": item.tags,
            "entities": item.entities,
            // Milvus Lite's nullable support is not needed: "" stands for "no source".
            "source": item.source.clone().unwrap_or_default(),
            "dense": vector,
        })
    }
}

/// Space-separated terms of `parts`, cut to the VARCHAR limit at a term boundary.
fn join_terms(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for part in parts {
        for term in part.split(' ').filter(|t| !t.is_empty()) {
            if out.len() + term.len() + 1 > MAX_VARCHAR_BYTES {
                return out;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(term);
        }
    }
    out
}

fn sdk_err(e: impl std::fmt::Display) -> VectorError {
    VectorError::Internal(format!("milvus request: {e}"))
}

fn url_like(uri: &str) -> Result<(), VectorError> {
    let ok = ["http://", "https://", "tcp://", "unix:"].iter().any(|s| uri.starts_with(s));
    if ok { Ok(()) } else { Err(VectorError::invalid("uri", format!("'{uri}' is not http(s)://host:port"))) }
}

/// Cuts `s` to at most `max` bytes at a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A Milvus string literal: double quotes, with backslash, quote and control characters
/// escaped, so no value can change the meaning of an expression.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(values: &[String]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| quote(v)).collect();
    format!("[{}]", quoted.join(", "))
}

/// The filter as a Milvus boolean expression; empty when it imposes nothing.
pub fn filter_expression(filter: &Filter) -> String {
    let mut parts = Vec::new();
    if let Some(modality) = filter.modality {
        parts.push(format!("modality == {}", quote(modality.as_str())));
    }
    if !filter.kinds.is_empty() {
        parts.push(format!("kind in {}", list(&filter.kinds)));
    }
    if !filter.tags.is_empty() {
        parts.push(format!("ARRAY_CONTAINS_ANY(tags, {})", list(&filter.tags)));
    }
    if !filter.entities.is_empty() {
        parts.push(format!("ARRAY_CONTAINS_ANY(entities, {})", list(&filter.entities)));
    }
    if let Some(source) = &filter.source {
        parts.push(format!("source == {}", quote(source)));
    }
    parts.join(" and ")
}

fn metric_type(metric: Metric) -> mv::MetricType {
    match metric {
        Metric::Cos => mv::MetricType::Cosine,
        Metric::IP => mv::MetricType::Ip,
        Metric::L2sq => mv::MetricType::L2,
    }
}

/// Similarity as the embedded store reports it: higher is better.
fn similarity(metric: Metric, distance: f32) -> f32 {
    match metric {
        Metric::Cos | Metric::IP => distance,
        Metric::L2sq => -distance,
    }
}

fn schema(config: &MilvusConfig) -> mv::CollectionSchema {
    let varchar = |name: &str, max: usize| {
        sdk::FieldSchema::new().name(name).data_type(sdk::DataType::VarChar).max_length(max as u32)
    };
    let array = |name: &str| {
        sdk::FieldSchema::new()
            .name(name)
            .data_type(sdk::DataType::Array)
            .element_type(sdk::DataType::VarChar)
            .max_capacity(MAX_ARRAY_ELEMENTS as u32)
            .max_length(MAX_KEYWORD_BYTES as u32)
    };
    let analysed = |name: &str| {
        varchar(name, MAX_VARCHAR_BYTES)
            .enable_analyzer(true)
            .analyzer_params(json!({"tokenizer": "standard", "filter": ["lowercase"]}))
    };
    let sparse = |name: &str| sdk::FieldSchema::new().name(name).data_type(sdk::DataType::SparseFloatVector);
    let bm25 = |name: &str, input: &str, output: &str| {
        mv::Function::new()
            .name(name)
            .function_type(mv::FunctionType::Bm25)
            .input_fields([input])
            .output_fields([output])
    };
    sdk::CollectionSchema::new()
        .add_field(varchar("id", MAX_KEYWORD_BYTES).primary_key(true))
        .add_field(varchar("modality", 16))
        .add_field(varchar("kind", MAX_KEYWORD_BYTES))
        .add_field(varchar("title", MAX_VARCHAR_BYTES))
        .add_field(analysed("lexical"))
        .add_field(analysed("title_terms"))
        .add_field(analysed("text_terms"))
        .add_field(array("tags"))
        .add_field(array("entities"))
        .add_field(varchar("source", MAX_KEYWORD_BYTES))
        .add_field(
            sdk::FieldSchema::new()
                .name("dense")
                .data_type(sdk::DataType::FloatVector)
                .dimension(config.dimension as u32),
        )
        .add_field(sparse("sparse"))
        .add_field(sparse("title_sparse"))
        .add_field(sparse("text_sparse"))
        .add_function(bm25("lexical_bm25", "lexical", "sparse"))
        .add_function(bm25("title_bm25", "title_terms", "title_sparse"))
        .add_function(bm25("text_bm25", "text_terms", "text_sparse"))
}

/// A client for `config`, without touching any collection.
async fn connect(config: &MilvusConfig) -> Result<mv::ClientV2, VectorError> {
    let mut connect = mv::ConnectConfig::new()
        .uri(config.uri.clone())
        .connect_timeout(config.timeout.min(CONNECT_TIMEOUT))
        .rpc_timeout(config.timeout)
        // Fail fast when Milvus is down: the router reports the route as failed and the next
        // call tries again.
        .retry(mv::RetryConfig::new().max_attempts(2).max_retry_timeout(config.timeout));
    if let Some(t) = &config.token {
        connect = connect.token(t.clone());
    }
    if let Some(db) = &config.database {
        connect = connect.database(db.clone());
    }
    mv::ClientV2::new(&connect).await.map_err(|e| remote(&format!("connect {}", config.uri), e))
}

async fn ensure_collection(client: &mv::ClientV2, config: &MilvusConfig, name: &str) -> Result<(), VectorError> {
    let has = mv::HasCollectionRequest::builder().collection_name(name).build().map_err(sdk_err)?;
    let exists = client.has_collection(has).await.map_err(|e| remote("has_collection", e))?.exists();
    if exists {
        let req = mv::DescribeCollectionRequest::builder().collection_name(name).build().map_err(sdk_err)?;
        let desc = client.describe_collection(req).await.map_err(|e| remote("describe_collection", e))?;
        let fields = desc.description().get_schema().get_fields();
        let dense = fields.iter().find(|f| f.get_name() == "dense");
        let has_sparse =
            ["sparse", "title_sparse", "text_sparse"].iter().all(|n| fields.iter().any(|f| f.get_name() == *n));
        match dense {
            Some(f) if f.get_dimension() as usize == config.dimension && has_sparse => {}
            Some(f) => {
                return Err(VectorError::invalid(
                    "collection",
                    format!(
                        "Milvus collection '{name}' has dimension {} but the embedder gives {}; \
                         choose another collection prefix or drop it (`braid index rebuild --backend milvus --fresh`)",
                        f.get_dimension(),
                        config.dimension
                    ),
                ));
            }
            None => {
                return Err(VectorError::invalid(
                    "collection",
                    format!("Milvus collection '{name}' exists but was not made by Braid; choose another prefix"),
                ));
            }
        }
    } else {
        let dense_index = mv::IndexParam::new()
            .field_name("dense")
            .index_type(mv::IndexType::Hnsw)
            .metric_type(metric_type(config.metric))
            .extra_params(HashMap::from([
                ("M".to_string(), config.hnsw_m.to_string()),
                ("efConstruction".to_string(), config.hnsw_ef_construction.to_string()),
            ]));
        let sparse_index = |field: &str| {
            mv::IndexParam::new()
                .field_name(field)
                .index_type(mv::IndexType::SparseInvertedIndex)
                .metric_type(mv::MetricType::Bm25)
        };
        let req = mv::CreateCollectionRequest::builder()
            .collection_name(name)
            .schema(schema(config))
            .index_params(vec![
                dense_index,
                sparse_index("sparse"),
                sparse_index("title_sparse"),
                sparse_index("text_sparse"),
            ])
            .build()
            .map_err(sdk_err)?;
        client.create_collection(req).await.map_err(|e| remote("create_collection", e))?;
    }
    let load = mv::LoadCollectionRequest::builder().collection_name(name).build().map_err(sdk_err)?;
    client.load_collection(load).await.map_err(|e| remote("load_collection", e))?;
    Ok(())
}

async fn query_ids(
    client: &mv::ClientV2,
    collection: &str,
    filter: &str,
    limit: usize,
) -> Result<Vec<String>, VectorError> {
    let req = mv::QueryRequest::builder()
        .collection_name(collection)
        .filter(filter)
        .output_fields(["id"])
        .limit(limit as i64)
        .consistency_level(sdk::ConsistencyLevel::Strong)
        .build()
        .map_err(sdk_err)?;
    let resp = client.query(req).await.map_err(|e| remote("query", e))?;
    Ok(varchar_column(resp.results(), "id"))
}

fn varchar_column(results: &mv::QueryResults, name: &str) -> Vec<String> {
    results
        .get_output_fields()
        .iter()
        .find(|f| f.name() == name)
        .and_then(|f| f.as_varchar())
        .map(<[String]>::to_vec)
        .unwrap_or_default()
}

async fn count(client: &mv::ClientV2, collection: &str) -> Result<usize, VectorError> {
    let req = mv::QueryRequest::builder()
        .collection_name(collection)
        .output_fields(["count(*)"])
        .consistency_level(sdk::ConsistencyLevel::Strong)
        .build()
        .map_err(sdk_err)?;
    let resp = client.query(req).await.map_err(|e| remote("count", e))?;
    let first = resp.results().rows().map_err(|e| remote("count", e))?.next();
    let count = match first {
        Some(row) => row.get_i64("count(*)").map_err(|e| remote("count", e))?,
        None => 0,
    };
    Ok(usize::try_from(count).unwrap_or(0))
}

async fn delete_ids(client: &mv::ClientV2, collection: &str, ids: &[String]) -> Result<(), VectorError> {
    for chunk in ids.chunks(IDS_PER_EXPRESSION) {
        let req = mv::DeleteRequest::builder()
            .collection_name(collection)
            .filter(format!("id in {}", list(chunk)))
            .build()
            .map_err(sdk_err)?;
        client.delete(req).await.map_err(|e| remote("delete", e))?;
    }
    Ok(())
}

/// One ranked hit from one collection, before merging.
#[derive(Debug, Clone)]
struct Ranked {
    id: String,
    modality: Modality,
    kind: String,
    title: String,
    score: f32,
}

/// The hits of one search result; an id kind Braid's schema cannot produce is an error
/// (the collection is not Braid's, or the server misbehaves), not an empty result.
fn ranked(result: &mv::SingleResult, score: impl Fn(f32) -> f32) -> Result<Vec<Ranked>, VectorError> {
    let ids: Vec<String> = match result.get_ids() {
        mv::Ids::VarChar(v) => v.clone(),
        mv::Ids::Int64(v) => v.iter().map(i64::to_string).collect(),
        // `Ids` is non_exhaustive; its contents could be a long list, so it is not printed.
        _ => return Err(VectorError::Remote("milvus search: primary keys are neither VARCHAR nor INT64".into())),
    };
    let column = |name: &str| result.get_output_field(name).and_then(|f| f.as_varchar()).map(<[String]>::to_vec);
    let kinds = column("kind").unwrap_or_default();
    let titles = column("title").unwrap_or_default();
    let modalities = column("modality").unwrap_or_default();
    Ok(ids
        .into_iter()
        .enumerate()
        .map(|(i, id)| Ranked {
            id,
            modality: if modalities.get(i).map(String::as_str) == Some("image") {
                Modality::Image
            } else {
                Modality::Text
            },
            kind: kinds.get(i).cloned().unwrap_or_default(),
            title: titles.get(i).cloned().unwrap_or_default(),
            score: score(result.get_scores().get(i).copied().unwrap_or_default()),
        })
        .collect())
}

/// Merges per-collection rankings by score, best first, keeping the first `n`.
fn merge(mut lists: Vec<Vec<Ranked>>, n: usize) -> Vec<Ranked> {
    let mut all: Vec<Ranked> = lists.drain(..).flatten().collect();
    all.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    all.truncate(n);
    all
}

struct Plan {
    collections: Vec<String>,
    filter: String,
    metric: Metric,
    /// HNSW search width: the request's `ef`, at least the candidates asked for and 64.
    ef: usize,
}

fn search_request(
    collection: &str,
    field: &str,
    vectors: mv::SearchVectors,
    filter: &str,
    limit: usize,
    ef: Option<usize>,
) -> Result<mv::SearchRequest, VectorError> {
    let mut b = mv::SearchRequest::builder()
        .collection_name(collection)
        .vector_field(field)
        .vectors(vectors)
        .limit(limit as i64)
        .output_fields(["kind", "title", "modality"])
        .consistency_level(sdk::ConsistencyLevel::Strong);
    if !filter.is_empty() {
        b = b.filter(filter);
    }
    if let Some(ef) = ef {
        b = b.extra_params(HashMap::from([("ef".to_string(), ef.to_string())]));
    }
    b.build().map_err(sdk_err)
}

async fn dense_ranking(
    client: Arc<mv::ClientV2>,
    plan: Arc<Plan>,
    vector: Vec<f32>,
    n: usize,
) -> Result<Vec<Ranked>, VectorError> {
    let mut lists = Vec::new();
    for name in &plan.collections {
        let req = search_request(
            name,
            "dense",
            mv::SearchVectors::Float(vec![vector.clone()]),
            &plan.filter,
            n,
            Some(n.max(plan.ef)),
        )?;
        let resp = client.search(req).await.map_err(|e| remote("dense search", e))?;
        for r in resp.results().iter() {
            lists.push(ranked(r, |d| similarity(plan.metric, d))?);
        }
    }
    Ok(merge(lists, n))
}

/// BM25 as the embedded store scores it: Σ over terms of BM25 in the text field plus twice
/// BM25 in the title field, each field with its own statistics. Milvus returns each field's
/// top list; an item outside one list gets 0 from that field, so the lists are taken deeper
/// than `n`.
async fn lexical_ranking(
    client: Arc<mv::ClientV2>,
    plan: Arc<Plan>,
    terms: String,
    n: usize,
) -> Result<Vec<Ranked>, VectorError> {
    let depth = n.saturating_mul(4).max(100);
    let mut lists = Vec::new();
    for name in &plan.collections {
        let mut summed: HashMap<String, Ranked> = HashMap::new();
        let field_search = |field: &str| {
            let vectors = mv::SearchVectors::EmbeddedText(vec![terms.clone()]);
            let req = search_request(name, field, vectors, &plan.filter, depth, None);
            let client = client.clone();
            async move { client.search(req?).await.map_err(|e| remote("BM25 search", e)) }
        };
        let (text, title) = tokio::try_join!(field_search("text_sparse"), field_search("title_sparse"))?;
        for (resp, weight) in [(text, 1.0f32), (title, TITLE_BOOST)] {
            for r in resp.results().iter() {
                // Milvus Lite reports BM25 as a negated distance; the score is its magnitude.
                for hit in ranked(r, f32::abs)? {
                    let score = weight * hit.score;
                    summed.entry(hit.id.clone()).and_modify(|e| e.score += score).or_insert(Ranked { score, ..hit });
                }
            }
        }
        lists.push(summed.into_values().collect());
    }
    Ok(merge(lists, n))
}

impl VectorBackend for MilvusBackend {
    fn name(&self) -> &str {
        "milvus"
    }

    fn dimension(&self) -> usize {
        self.config.dimension
    }

    fn len(&self) -> Result<usize, VectorError> {
        let client = self.client()?;
        let names = [self.config.collection()];
        self.run(async move {
            let mut total = 0usize;
            for name in names {
                total += count(&client, &name).await?;
            }
            Ok(total)
        })
    }

    fn upsert_batch(&self, batch: Vec<(Item, Vec<f32>)>) -> Result<usize, VectorError> {
        // Validate everything first: bad input writes nothing.
        for (item, vector) in &batch {
            validate_item(item)?;
            validate_lists(item)?;
            validate_vector(vector, self.config.dimension, self.config.metric)?;
        }
        if batch.is_empty() {
            return Ok(0);
        }
        // The last occurrence of an id wins, as in the embedded store.
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, (item, _)) in batch.iter().enumerate() {
            last.insert(item.id.as_str(), i);
        }
        let mut rows: Vec<serde_json::Value> = Vec::with_capacity(last.len());
        for (i, (item, vector)) in batch.iter().enumerate() {
            if last.get(item.id.as_str()) == Some(&i) {
                rows.push(self.row(item, vector));
            }
        }
        let written = rows.len();
        // A write in progress cancels any pending idle flush: back-to-back batches of a bulk
        // load are sealed together, whatever each batch's round trips take.
        self.writes.fetch_add(1, Ordering::Relaxed);
        let client = self.client()?;
        let name = self.config.collection();
        let upserter = client.clone();
        self.run(async move {
            while !rows.is_empty() {
                let chunk: Vec<serde_json::Value> = rows.drain(..rows.len().min(UPSERT_ROWS)).collect();
                let insert =
                    mv::InsertRequest::builder().collection_name(&name).rows(chunk).build().map_err(sdk_err)?;
                let req = mv::UpsertRequest::builder().insert(insert).build().map_err(sdk_err)?;
                upserter.upsert(req).await.map_err(|e| remote("upsert", e))?;
            }
            Ok(())
        })?;
        let pending = self.unflushed.fetch_add(written, Ordering::Relaxed) + written;
        if pending >= FLUSH_EVERY {
            self.flush()?;
        } else {
            self.flush_when_idle(client);
        }
        Ok(written)
    }

    fn remove(&self, id: &str) -> Result<bool, VectorError> {
        let client = self.client()?;
        let names = [self.config.collection()];
        let id = id.to_string();
        self.run(async move {
            let mut found = false;
            let ids = [id];
            for name in names {
                let there = query_ids(&client, &name, &format!("id in {}", list(&ids)), 1).await?;
                if !there.is_empty() {
                    found = true;
                    delete_ids(&client, &name, &ids).await?;
                }
            }
            Ok(found)
        })
    }

    fn search(&self, request: &SearchRequest) -> Result<Vec<VectorHit>, VectorError> {
        let (use_dense, use_lexical) = request.sides()?;
        if let Some(vector) = &request.vector {
            validate_vector(vector, self.config.dimension, self.config.metric)?;
        }
        let text = request.text.as_deref().filter(|t| !t.trim().is_empty());
        let vector = request.vector.clone();
        // A text without indexable terms (only stop words) matches nothing lexically.
        let terms = text.map(|t| self.query_terms(t).join(" ")).filter(|t| !t.is_empty());
        let k = request.k;
        let candidates = match request.mode {
            SearchMode::Hybrid => k.saturating_mul(4).max(MIN_HYBRID_CANDIDATES),
            SearchMode::Dense | SearchMode::Lexical => k,
        };
        let plan = Arc::new(Plan {
            collections: vec![self.config.collection()],
            filter: filter_expression(&request.filter),
            metric: self.config.metric,
            ef: request.ef.unwrap_or(0).max(64),
        });
        let client = self.client()?;
        let mode = request.mode;
        let rrf_k = request.rrf_k;
        let server_fusion = self.config.server_fusion;
        let dense_vector = vector.filter(|_| use_dense);
        let lexical_terms = terms.filter(|_| use_lexical);
        self.run(async move {
            match (dense_vector, lexical_terms) {
                // Server-side fusion: one hybrid_search (dense + BM25 on the combined field) fused
                // by Milvus' RRF ranker.
                (Some(v), Some(t)) if server_fusion && mode == SearchMode::Hybrid => {
                    let name = plan.collections[0].clone();
                    let mut dense = mv::SubSearchRequest::builder()
                        .vector_field("dense")
                        .vectors(mv::SearchVectors::Float(vec![v]))
                        .limit(candidates as i64)
                        .extra_params(HashMap::from([("ef".to_string(), candidates.max(plan.ef).to_string())]));
                    let mut sparse = mv::SubSearchRequest::builder()
                        .vector_field("sparse")
                        .vectors(mv::SearchVectors::EmbeddedText(vec![t]))
                        .limit(candidates as i64);
                    if !plan.filter.is_empty() {
                        dense = dense.filter(plan.filter.clone());
                        sparse = sparse.filter(plan.filter.clone());
                    }
                    let req = mv::HybridSearchRequest::builder()
                        .collection_name(&name)
                        .sub_requests(vec![dense.build().map_err(sdk_err)?, sparse.build().map_err(sdk_err)?])
                        // Milvus wants 0 < k < 16384.
                        .rerank(mv::RRFRerank::new().k((rrf_k.round() as i64).clamp(1, 16_383)))
                        .limit(k as i64)
                        .output_fields(["kind", "title", "modality"])
                        .consistency_level(sdk::ConsistencyLevel::Strong)
                        .build()
                        .map_err(sdk_err)?;
                    let resp = client.hybrid_search(req).await.map_err(|e| remote("hybrid search", e))?;
                    let mut fused = Vec::new();
                    for r in resp.results().iter() {
                        fused.extend(ranked(r, |s| s)?);
                    }
                    let hits = fused
                        .into_iter()
                        .take(k)
                        .map(|r| VectorHit {
                            id: r.id,
                            modality: r.modality,
                            kind: r.kind,
                            title: r.title,
                            score: r.score,
                            // Milvus' RRF does not report the per-ranking ranks.
                            dense: None,
                            lexical: None,
                        })
                        .collect();
                    Ok(hits)
                }
                (dense_vector, lexical_terms) => {
                    // Both rankings at once: latency is the slower one, not the sum.
                    let dense = async {
                        match dense_vector {
                            Some(v) => dense_ranking(client.clone(), plan.clone(), v, candidates).await,
                            None => Ok(Vec::new()),
                        }
                    };
                    let lexical = async {
                        match lexical_terms {
                            Some(t) => lexical_ranking(client.clone(), plan.clone(), t, candidates).await,
                            None => Ok(Vec::new()),
                        }
                    };
                    let (dense, lexical) = tokio::try_join!(dense, lexical)?;
                    Ok(fuse(mode, dense, lexical, rrf_k, k))
                }
            }
        })
    }

    fn reconcile(&self, keep: &HashSet<String>) -> Result<usize, VectorError> {
        // Called at the end of a bulk sync (start-up, `index rebuild`): index what was loaded.
        if self.unflushed.load(Ordering::Relaxed) > 0 {
            self.flush()?;
        }
        let stale: Vec<String> = self.ids()?.into_iter().filter(|id| !keep.contains(id)).collect();
        if stale.is_empty() {
            return Ok(0);
        }
        let client = self.client()?;
        let names = [self.config.collection()];
        let n = stale.len();
        self.run(async move {
            for name in names {
                delete_ids(&client, &name, &stale).await?;
            }
            Ok(())
        })?;
        Ok(n)
    }
}

/// Single rankings pass through; hybrid is fused here with the same
/// RRF (and tie-breaking) as the embedded store.
fn fuse(mode: SearchMode, dense: Vec<Ranked>, lexical: Vec<Ranked>, rrf_k: f32, k: usize) -> Vec<VectorHit> {
    let hit = |r: &Ranked, score, d, l| VectorHit {
        id: r.id.clone(),
        modality: r.modality,
        kind: r.kind.clone(),
        title: r.title.clone(),
        score,
        dense: d,
        lexical: l,
    };
    match mode {
        SearchMode::Dense => {
            dense.iter().take(k).enumerate().map(|(i, r)| hit(r, r.score, Some((i + 1, r.score)), None)).collect()
        }
        SearchMode::Lexical => {
            lexical.iter().take(k).enumerate().map(|(i, r)| hit(r, r.score, None, Some((i + 1, r.score)))).collect()
        }
        SearchMode::Hybrid => {
            // Number the ids so the shared fusion code (keyed by u64) can run.
            let mut keys: HashMap<String, u64> = HashMap::new();
            let mut items: Vec<Ranked> = Vec::new();
            let mut numbered = |list: &[Ranked]| -> Vec<(u64, f32)> {
                list.iter()
                    .map(|r| {
                        let key = *keys.entry(r.id.clone()).or_insert_with(|| {
                            items.push(r.clone());
                            (items.len() - 1) as u64
                        });
                        (key, r.score)
                    })
                    .collect()
            };
            let d = numbered(&dense);
            let l = numbered(&lexical);
            reciprocal_rank_fusion(&d, &l, rrf_k)
                .into_iter()
                .take(k)
                .filter_map(|f| items.get(f.key as usize).map(|r| hit(r, f.score, f.dense, f.lexical)))
                .collect()
        }
    }
}

/// What the collection cannot hold beyond the checks every backend makes
/// ([`validate_item`]): more list values than an ARRAY field takes.
fn validate_lists(item: &Item) -> Result<(), VectorError> {
    for (field, n) in [("tags", item.tags.len()), ("entities", item.entities.len())] {
        if n > MAX_ARRAY_ELEMENTS {
            return Err(VectorError::invalid(field, format!("Milvus holds at most {MAX_ARRAY_ELEMENTS} values")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_so_they_cannot_escape_the_literal() {
        assert_eq!(quote("plain"), "\"plain\"");
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote("x\"] or id != \"\n"), r#""x\"] or id != \"\n""#);
        assert_eq!(quote("\u{1}"), "\"\\u0001\"");
    }

    #[test]
    fn filters_map_to_one_expression() {
        assert_eq!(filter_expression(&Filter::default()), "");
        let f = Filter {
            modality: Some(Modality::Image),
            kinds: vec!["image".into()],
            tags: vec!["animals".into(), "a\"b".into()],
            entities: vec!["concept:koala".into()],
            source: Some("stamps".into()),
        };
        assert_eq!(
            filter_expression(&f),
            r#"modality == "image" and kind in ["image"] and ARRAY_CONTAINS_ANY(tags, ["animals", "a\"b"]) and ARRAY_CONTAINS_ANY(entities, ["concept:koala"]) and source == "stamps""#
        );
    }

    #[test]
    fn configuration_is_checked_without_connecting() {
        assert!(MilvusBackend::new(MilvusConfig::new("http://127.0.0.1:1", 8)).is_ok());
        assert!(MilvusBackend::new(MilvusConfig::new("127.0.0.1:19530", 8)).is_err());
        let mut bad = MilvusConfig::new("http://127.0.0.1:1", 8);
        bad.collection_prefix = "x-y".into();
        assert!(MilvusBackend::new(bad).is_err());
    }

    #[test]
    fn lexical_field_boosts_the_title_and_stems() {
        let b = MilvusBackend::new(MilvusConfig::new("http://127.0.0.1:1", 8)).expect("config");
        let item = Item {
            id: "d".into(),
            modality: Modality::Text,
            kind: "document".into(),
            title: "Koalas".into(),
            text: "The koala eats leaves".into(),
            tags: vec![],
            entities: vec![],
            source: None,
        };
        assert_eq!(b.lexical_field(&item), "koala koala koala eat leav");
        assert_eq!(b.query_terms("the Koala and koalas"), vec!["koala".to_string()]);
    }
}
