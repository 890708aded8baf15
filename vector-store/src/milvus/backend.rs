//! [`MilvusBackend`]: the [`VectorBackend`] on Milvus, and the write path behind it (upserts
//! in bounded requests, deletes by id, and when to flush so Milvus indexes what was written).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use ::milvus::v2 as sdk;
use ::milvus::v2::prelude as mv;

use super::connection::{Connection, MilvusConfig, connect, remote, sdk_err};
use super::filter::ids_expression;
use super::schema::{row, validate_lists};
use super::search::Search;
use super::terms::TermAnalyzer;
use crate::backend::VectorBackend;
use crate::error::VectorError;
use crate::item::Item;
use crate::search::{SearchRequest, VectorHit};
use crate::validate::{validate_item, validate_vector};

/// Rows per upsert request, to stay far below gRPC's message size limit.
const UPSERT_ROWS: usize = 512;
/// Ids per `id in [..]` expression.
const IDS_PER_EXPRESSION: usize = 1_000;
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

/// A [`VectorBackend`] on Milvus (standalone, distributed, Zilliz Cloud or Milvus Lite 3).
///
/// Connects lazily: construction validates the configuration only, so Braid starts while
/// Milvus is down and the vector route reports the outage until it is back. The collection is
/// created (and loaded) on first use.
pub struct MilvusBackend {
    connection: Connection,
    /// Rows written since the last flush (see [`FLUSH_EVERY`]).
    unflushed: Arc<AtomicUsize>,
    /// Counts writes; a background flush runs only if no write came after it was scheduled.
    writes: Arc<AtomicU64>,
    terms: TermAnalyzer,
}

impl std::fmt::Debug for MilvusBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MilvusBackend").field("config", self.config()).finish_non_exhaustive()
    }
}

impl MilvusBackend {
    /// A backend for `config`; does not connect yet (see [`connect`](Self::connect)).
    pub fn new(config: MilvusConfig) -> Result<Self, VectorError> {
        Ok(MilvusBackend {
            connection: Connection::new(config)?,
            unflushed: Arc::new(AtomicUsize::new(0)),
            writes: Arc::new(AtomicU64::new(0)),
            terms: TermAnalyzer::english(),
        })
    }

    /// A backend that has connected and made sure the collection exists and is loaded.
    pub fn connect(config: MilvusConfig) -> Result<Self, VectorError> {
        let backend = MilvusBackend::new(config)?;
        backend.connection.client()?;
        Ok(backend)
    }

    /// The configuration.
    pub fn config(&self) -> &MilvusConfig {
        self.connection.config()
    }

    /// Drops the collection (tests and `index rebuild --fresh`); the next call recreates it.
    pub fn drop_collections(&self) -> Result<(), VectorError> {
        let config = self.config().clone();
        let names = [config.collection()];
        self.connection.run(async move {
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
        self.connection.reset();
        Ok(())
    }

    /// Seals the collection's growing segments so Milvus indexes them (bulk loads end here).
    pub fn flush(&self) -> Result<(), VectorError> {
        let client = self.connection.client()?;
        let name = self.config().collection();
        self.connection.run(async move {
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
        let generation = self.writes.fetch_add(1, Ordering::Relaxed) + 1;
        let writes = self.writes.clone();
        let unflushed = self.unflushed.clone();
        let name = self.config().collection();
        self.connection.spawn(async move {
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
        let client = self.connection.client()?;
        let names = [self.config().collection()];
        self.connection.run(async move {
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
}

impl VectorBackend for MilvusBackend {
    fn name(&self) -> &str {
        "milvus"
    }

    fn dimension(&self) -> usize {
        self.config().dimension
    }

    fn len(&self) -> Result<usize, VectorError> {
        let client = self.connection.client()?;
        let names = [self.config().collection()];
        self.connection.run(async move {
            let mut total = 0usize;
            for name in names {
                total += count(&client, &name).await?;
            }
            Ok(total)
        })
    }

    fn upsert_batch(&self, batch: Vec<(Item, Vec<f32>)>) -> Result<usize, VectorError> {
        // Validate everything first: bad input writes nothing.
        let config = self.config();
        for (item, vector) in &batch {
            validate_item(item)?;
            validate_lists(item)?;
            validate_vector(vector, config.dimension, config.metric)?;
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
                rows.push(row(&self.terms, item, vector));
            }
        }
        let written = rows.len();
        // A write in progress cancels any pending idle flush: back-to-back batches of a bulk
        // load are sealed together, whatever each batch's round trips take.
        self.writes.fetch_add(1, Ordering::Relaxed);
        let client = self.connection.client()?;
        let name = config.collection();
        let upserter = client.clone();
        self.connection.run(async move {
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
        let client = self.connection.client()?;
        let names = [self.config().collection()];
        let id = id.to_string();
        self.connection.run(async move {
            let mut found = false;
            let ids = [id];
            for name in names {
                let there = query_ids(&client, &name, &ids_expression(&ids), 1).await?;
                if !there.is_empty() {
                    found = true;
                    delete_ids(&client, &name, &ids).await?;
                }
            }
            Ok(found)
        })
    }

    fn search(&self, request: &SearchRequest) -> Result<Vec<VectorHit>, VectorError> {
        let search = Search::new(request, self.config(), &self.terms)?;
        let client = self.connection.client()?;
        self.connection.run(search.run(client))
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
        let client = self.connection.client()?;
        let names = [self.config().collection()];
        let n = stale.len();
        self.connection.run(async move {
            for name in names {
                delete_ids(&client, &name, &stale).await?;
            }
            Ok(())
        })?;
        Ok(n)
    }
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
            .filter(ids_expression(chunk))
            .build()
            .map_err(sdk_err)?;
        client.delete(req).await.map_err(|e| remote("delete", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_is_checked_without_connecting() {
        assert!(MilvusBackend::new(MilvusConfig::new("http://127.0.0.1:1", 8)).is_ok());
        assert!(MilvusBackend::new(MilvusConfig::new("127.0.0.1:19530", 8)).is_err());
        let mut bad = MilvusConfig::new("http://127.0.0.1:1", 8);
        bad.collection_prefix = "x-y".into();
        assert!(MilvusBackend::new(bad).is_err());
    }
}
