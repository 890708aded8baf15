//! Reaching Milvus: the configuration ([`MilvusConfig`]), the gRPC client made from it, and
//! the small tokio runtime every call runs on.
//!
//! The SDK is async; [`VectorBackend`](crate::VectorBackend) is sync (it is called from
//! `spawn_blocking` and from start-up code). A [`Connection`] owns a runtime and runs every
//! call on it, waiting on a channel, so it works from any thread, including one that belongs
//! to another runtime. It connects on first use, not on construction, so Braid starts while
//! Milvus is down; after a failed attempt it fails fast for a moment, so an outage costs each
//! query a quick error instead of a connect timeout.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ::milvus::v2::prelude as mv;

use super::schema::ensure_collection;
use crate::config::{MAX_DIMENSION, Metric};
use crate::error::VectorError;

/// The URI Braid connects to when none is configured.
pub const DEFAULT_MILVUS_URI: &str = "http://127.0.0.1:19530";
/// The collection name prefix used when none is configured.
pub const DEFAULT_COLLECTION_PREFIX: &str = "braid";
/// After a failed connection attempt, calls fail fast for this long before the next attempt.
const RECONNECT_AFTER: Duration = Duration::from_secs(2);
/// Connecting gives up after at most this long (a refused connection fails at once).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

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

    /// Checks what can be checked without connecting: the dimension, a prefix Milvus accepts
    /// in a collection name, and a URI with a scheme.
    fn validate(&self) -> Result<(), VectorError> {
        if !(1..=MAX_DIMENSION).contains(&self.dimension) {
            return Err(VectorError::invalid("dimension", format!("must be 1..={MAX_DIMENSION}")));
        }
        let prefix = &self.collection_prefix;
        let valid_prefix = prefix.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && prefix.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && prefix.len() <= 200;
        if !valid_prefix {
            return Err(VectorError::invalid(
                "collection_prefix",
                format!("'{prefix}' must start with a letter or '_' and hold only letters, digits and '_'"),
            ));
        }
        let url_like = ["http://", "https://", "tcp://", "unix:"].iter().any(|s| self.uri.starts_with(s));
        if !url_like {
            return Err(VectorError::invalid("uri", format!("'{}' is not http(s)://host:port", self.uri)));
        }
        Ok(())
    }
}

/// A lazily connected client of one configured Milvus, and the runtime its calls run on.
pub(super) struct Connection {
    config: MilvusConfig,
    runtime: Option<tokio::runtime::Runtime>,
    client: Mutex<Option<Arc<mv::ClientV2>>>,
    /// When connecting last failed: calls fail at once for [`RECONNECT_AFTER`], so an outage
    /// costs each query a fast error instead of a connect timeout.
    failed_at: Mutex<Option<(Instant, String)>>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside another runtime's async context
        // (Braid is dropped at the end of `serve`); shutting down in the background does not.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Connection {
    /// Checks `config` and starts the runtime; does not connect yet.
    pub(super) fn new(config: MilvusConfig) -> Result<Self, VectorError> {
        config.validate()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("braid-milvus")
            .enable_all()
            .build()
            .map_err(|e| VectorError::Internal(format!("starting the milvus runtime: {e}")))?;
        Ok(Connection { config, runtime: Some(runtime), client: Mutex::new(None), failed_at: Mutex::new(None) })
    }

    pub(super) fn config(&self) -> &MilvusConfig {
        &self.config
    }

    /// Runs a future on the runtime and waits for it from this (any) thread.
    pub(super) fn run<T: Send + 'static>(
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

    /// Starts a future on the runtime without waiting for it (background work).
    pub(super) fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        if let Some(rt) = self.runtime.as_ref() {
            rt.spawn(fut);
        }
    }

    /// The connected client; connects and prepares the collection on first use (and again
    /// after a failed attempt).
    pub(super) fn client(&self) -> Result<Arc<mv::ClientV2>, VectorError> {
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
                    *self.failed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), e.to_string()));
                }
                Err(e)
            }
        }
    }

    /// Forgets the client, so the next call connects and prepares the collection again.
    pub(super) fn reset(&self) {
        *self.client.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// A client for `config`, without touching any collection.
pub(super) async fn connect(config: &MilvusConfig) -> Result<mv::ClientV2, VectorError> {
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

/// A failed RPC: the server is down, refused the call or answered with an error.
pub(super) fn remote(context: &str, e: impl std::fmt::Display) -> VectorError {
    VectorError::Remote(format!("milvus {context}: {e}"))
}

/// A request the SDK's builder refused: Braid built it wrong, so it is internal.
pub(super) fn sdk_err(e: impl std::fmt::Display) -> VectorError {
    VectorError::Internal(format!("milvus request: {e}"))
}
