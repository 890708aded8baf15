//! [`VectorStore`]: one collection of items, searchable by vector, by BM25 or both.
//!
//! Three structures are kept in step under one lock: the item records (ids, titles and
//! filter terms, compactly in memory: [`crate::records`]), the usearch HNSW index (the only
//! copy of each vector, quantized) and the tantivy index (the text and the rest of each item,
//! in memory-mapped files when the store has a folder). Items are keyed internally by a `u64`
//! that is never reused: an update removes the old key everywhere and adds a new one, so a
//! stale index entry can never be mistaken for the new item.
//!
//! Exact scans (small filtered subsets, and the fallback when HNSW comes back short) score
//! the vectors the HNSW index stores, decoded from f16 by default; for unit vectors that is
//! within about 1e-3 of the f32 cosine and saves the 1.5 kB per 384-d item an f32 copy took.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::checkpoint::{self, CheckpointInfo, Entry, RestoreStats};
use crate::config::{MAX_DIMENSION, VectorConfig};
use crate::dense::{DenseIndex, OpenMode, similarity};
use crate::error::VectorError;
use crate::filter::Filter;
use crate::fusion::{FusedKey, single_source};
use crate::item::Item;
use crate::lexical::LexicalIndex;
use crate::postings::Postings;
use crate::records::Records;
use crate::search::{DensePlan, SearchMode, SearchOutcome, SearchPlan, SearchRequest, VectorHit};
use crate::validate::{validate_item, validate_vector};

/// Filtered dense searches scan matching items exactly when there are at most this many...
const EXACT_SCAN_MAX_ITEMS: usize = 2_000;
/// ...or when they are at most this fraction of the collection (HNSW filtering degrades
/// when the filter rejects most of the graph, so exact is both faster and complete there).
const EXACT_SCAN_MAX_FRACTION: f64 = 0.05;
/// Hybrid search takes this many candidates per side, at least, before fusion.
const MIN_HYBRID_CANDIDATES: usize = 50;
/// The lexical index's folder inside a store's folder.
const LEXICAL_DIR: &str = "lexical";

/// Per-index counts, for consistency checks: all three agree after every write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexCounts {
    /// Item records.
    pub items: usize,
    /// Live vectors in the HNSW index.
    pub dense: usize,
    /// Live documents in the tantivy index.
    pub lexical: usize,
}

/// The dense side's result: best-first `(key, similarity)`, how it was computed, and how
/// many items passed the filter (when one was counted).
struct DenseRanking {
    hits: Vec<(u64, f32)>,
    plan: DensePlan,
    matching: Option<usize>,
}

#[derive(Default)]
struct State {
    records: Records,
    postings: Postings,
    next_key: u64,
    /// Checkpointed items not yet confirmed by the replay: id → (key, vector digest). They
    /// are in the HNSW graph but have no record, so searches never return them.
    unconfirmed: HashMap<String, (u64, u64)>,
    restore: RestoreStats,
    /// Between `from_checkpoint` and `finish_restore`: inserts count as re-indexed.
    restoring: bool,
}

/// A collection of embedded items with dense, lexical and hybrid search.
///
/// All methods take `&self`; share the store across threads with an `Arc`. Writes are
/// serialised; searches run concurrently with each other.
pub struct VectorStore {
    config: VectorConfig,
    dense: DenseIndex,
    lexical: LexicalIndex,
    state: RwLock<State>,
    /// Items written or removed since the last checkpoint (or since start).
    changes: AtomicU64,
}

impl std::fmt::Debug for VectorStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorStore").field("config", &self.config).field("len", &self.len()).finish_non_exhaustive()
    }
}

impl VectorStore {
    /// An empty store held in memory, lexical index included. [`checkpoint`](Self::checkpoint)
    /// saves its HNSW graph and [`from_checkpoint`](Self::from_checkpoint) brings it back.
    pub fn in_memory(config: VectorConfig) -> Result<Self, VectorError> {
        validate_config(&config)?;
        Ok(VectorStore {
            dense: DenseIndex::new(&config)?,
            lexical: LexicalIndex::in_memory()?,
            config,
            state: RwLock::new(State::default()),
            changes: AtomicU64::new(0),
        })
    }

    /// An empty store whose lexical index (BM25 postings, and the text and metadata of every
    /// item) lives in memory-mapped files in `dir/lexical/`, emptied first: resident memory
    /// then holds the HNSW graph, the ids, titles and filter postings, and the pages of the
    /// lexical files a search touches. Pass the same `dir` to
    /// [`checkpoint`](Self::checkpoint) and [`from_checkpoint`](Self::from_checkpoint).
    ///
    /// The lexical files are scratch: they are not synced, and every open rebuilds them from
    /// the caller's replay, as it rebuilds the in-memory one.
    pub fn in_dir(config: VectorConfig, dir: &Path) -> Result<Self, VectorError> {
        validate_config(&config)?;
        Ok(VectorStore {
            dense: DenseIndex::new(&config)?,
            lexical: LexicalIndex::in_dir(&lexical_dir(dir))?,
            config,
            state: RwLock::new(State::default()),
            changes: AtomicU64::new(0),
        })
    }

    /// A store whose HNSW graph comes from the checkpoint in `dir` (`None` when `dir` holds
    /// none). The caller then replays its store of record: every [`upsert_batch`] of an
    /// item whose id and vector match the checkpoint reuses the saved graph entry, any
    /// other item is inserted, and [`reconcile`](Self::reconcile) (or
    /// [`finish_restore`](Self::finish_restore)) drops checkpointed items the replay did
    /// not confirm. Until then those are invisible to searches.
    ///
    /// [`OpenMode::View`] memory-maps the graph instead of reading it: the store is then
    /// read-only, and the replay must match the checkpoint exactly. A loaded store keeps its
    /// lexical index in `dir/lexical/` (see [`in_dir`](Self::in_dir)); a view keeps it in
    /// memory, so that it can share `dir` with a writer.
    ///
    /// A checkpoint made with another dimension, metric, quantization, connectivity or
    /// insertion width is refused with an error; the caller rebuilds instead.
    ///
    /// [`upsert_batch`]: Self::upsert_batch
    pub fn from_checkpoint(config: VectorConfig, dir: &Path, mode: OpenMode) -> Result<Option<Self>, VectorError> {
        validate_config(&config)?;
        let Some(saved) = checkpoint::read(dir)? else {
            return Ok(None);
        };
        let same_graph = |a: &VectorConfig, b: &VectorConfig| {
            (a.dimension, a.metric, a.quantization, a.connectivity, a.expansion_add)
                == (b.dimension, b.metric, b.quantization, b.connectivity, b.expansion_add)
        };
        if !same_graph(&saved.config, &config) {
            return Err(VectorError::checkpoint(
                &saved.index_path,
                format!("made with another index configuration ({:?}, now {:?})", saved.config, config),
            ));
        }
        let dense = DenseIndex::open(&config, &saved.index_path, mode)?;
        if dense.len() != saved.entries.len() {
            return Err(VectorError::checkpoint(
                &saved.index_path,
                format!("holds {} vectors but its key file lists {}", dense.len(), saved.entries.len()),
            ));
        }
        let state = State {
            next_key: saved.next_key,
            restore: RestoreStats { checkpointed: saved.entries.len(), ..RestoreStats::default() },
            unconfirmed: saved.entries.into_iter().map(|e| (e.id, (e.key, e.digest))).collect(),
            restoring: true,
            ..State::default()
        };
        let lexical = match mode {
            OpenMode::Load => LexicalIndex::in_dir(&lexical_dir(dir))?,
            OpenMode::View => LexicalIndex::in_memory()?,
        };
        Ok(Some(VectorStore { dense, lexical, config, state: RwLock::new(state), changes: AtomicU64::new(0) }))
    }

    /// Saves the HNSW graph with the item ids and vector digests into `dir` as a new
    /// checkpoint generation (see [`from_checkpoint`](Self::from_checkpoint)). Writes wait
    /// while it runs; searches do not.
    pub fn checkpoint(&self, dir: &Path) -> Result<CheckpointInfo, VectorError> {
        if self.dense.is_read_only() {
            return Err(VectorError::ReadOnly);
        }
        let state = self.read();
        if !state.unconfirmed.is_empty() {
            return Err(VectorError::Internal("checkpoint while a restore is unfinished".into()));
        }
        let entries: Vec<Entry> = state
            .records
            .iter()
            .map(|(key, record)| Entry { id: record.id().to_string(), key, digest: record.digest() })
            .collect();
        let changes = self.changes.load(Ordering::Relaxed);
        let info = checkpoint::write(dir, &self.dense, &self.config, state.next_key, &entries)?;
        // Writers are held off by the read lock, so nothing changed in between.
        self.changes.fetch_sub(changes, Ordering::Relaxed);
        Ok(info)
    }

    /// Items written or removed since the last checkpoint, or since start.
    pub fn changes_since_checkpoint(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    /// Drops checkpointed items the replay did not confirm, and reports how the restore
    /// went. Idempotent; a store not opened from a checkpoint reports zeros.
    pub fn finish_restore(&self) -> Result<RestoreStats, VectorError> {
        let mut state = self.write();
        if !state.unconfirmed.is_empty() && self.dense.is_read_only() {
            return Err(VectorError::checkpoint(
                Path::new("(view)"),
                format!(
                    "{} checkpointed items are no longer in the store of record; a read-only view needs a current \
                     checkpoint",
                    state.unconfirmed.len()
                ),
            ));
        }
        let unconfirmed = std::mem::take(&mut state.unconfirmed);
        for (key, _) in unconfirmed.values() {
            self.dense.remove(*key)?;
        }
        state.restore.dropped += unconfirmed.len();
        state.restoring = false;
        Ok(state.restore)
    }

    /// Removes every item whose id is not in `keep`, then finishes a restore; returns how
    /// many items were removed. A caller replaying its store of record calls this last.
    pub fn reconcile(&self, keep: &HashSet<String>) -> Result<usize, VectorError> {
        let stale: Vec<String> = self
            .read()
            .records
            .iter()
            .map(|(_, record)| record.id())
            .filter(|id| !keep.contains(*id))
            .map(str::to_string)
            .collect();
        let removed = if stale.is_empty() { 0 } else { self.remove_batch(&stale)? };
        self.finish_restore()?;
        Ok(removed)
    }

    /// True when the store is a memory-mapped view of a checkpoint.
    pub fn is_read_only(&self) -> bool {
        self.dense.is_read_only()
    }

    /// Bytes the HNSW index holds in memory (usearch's own count; a view's mapped file is
    /// not included).
    pub fn dense_memory_bytes(&self) -> usize {
        self.dense.memory_usage()
    }

    /// The collection's configuration.
    pub fn config(&self) -> &VectorConfig {
        &self.config
    }

    /// The vector length every item and query must have.
    pub fn dimension(&self) -> usize {
        self.config.dimension
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.read().records.len()
    }

    /// True when the store holds no item.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether an item with this id exists.
    pub fn contains(&self, id: &str) -> bool {
        self.read().records.key_of(id).is_some()
    }

    /// The item with this id, read back from the lexical index's stored fields (the store
    /// keeps no copy of its text in memory).
    pub fn get(&self, id: &str) -> Result<Option<Item>, VectorError> {
        let state = self.read();
        if state.records.key_of(id).is_none() {
            return Ok(None);
        }
        self.lexical.stored_item(id)
    }

    /// The vector the index holds for this id: quantized as configured (f16 by default) and,
    /// under the cosine metric, normalised to unit length. The store keeps no other copy.
    pub fn vector(&self, id: &str) -> Option<Vec<f32>> {
        let state = self.read();
        let key = state.records.key_of(id)?;
        self.dense.stored_vector(key)
    }

    /// All ids, in insertion order of their current version.
    pub fn all_ids(&self) -> Vec<String> {
        let state = self.read();
        let mut keyed: Vec<(u64, &str)> = state.records.iter().map(|(key, record)| (key, record.id())).collect();
        keyed.sort_unstable();
        keyed.into_iter().map(|(_, id)| id.to_string()).collect()
    }

    /// How many entries each structure holds.
    pub fn index_counts(&self) -> IndexCounts {
        let state = self.read();
        IndexCounts {
            items: state.records.len(),
            dense: self.dense.len(),
            lexical: usize::try_from(self.lexical.num_docs()).unwrap_or(usize::MAX),
        }
    }

    /// Inserts or replaces one item.
    pub fn upsert(&self, item: Item, vector: Vec<f32>) -> Result<(), VectorError> {
        self.upsert_batch(vec![(item, vector)]).map(|_| ())
    }

    /// Inserts or replaces items, with one lexical commit for the whole batch. Every
    /// item is validated before anything is written, so invalid input writes nothing.
    /// Returns the number of items written. A later duplicate id in the batch wins.
    pub fn upsert_batch(&self, batch: Vec<(Item, Vec<f32>)>) -> Result<usize, VectorError> {
        for (item, vector) in &batch {
            validate_item(item)?;
            validate_vector(vector, self.config.dimension, self.config.metric)?;
        }
        if batch.is_empty() {
            return Ok(0);
        }
        // Before the lock: searches need not wait for the hashing.
        let digests: Vec<u64> = batch.iter().map(|(_, vector)| checkpoint::digest(vector)).collect();
        let mut state = self.write();
        let mut written = 0;
        let mut failure = None;
        // Records and the lexical side first, in order; the HNSW inserts after, in parallel.
        let mut to_add: Vec<(u64, Vec<f32>)> = Vec::new();
        for ((item, vector), digest) in batch.into_iter().zip(digests) {
            match self.apply_upsert(&mut state, item, vector, digest, &mut to_add) {
                Ok(()) => written += 1,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        // A key whose record is gone was replaced later in the same batch.
        let entries: Vec<(u64, &[f32])> = to_add
            .iter()
            .filter(|(key, _)| state.records.contains_key(*key))
            .map(|(key, vector)| (*key, vector.as_slice()))
            .collect();
        // Items replayed unchanged from a checkpoint are not changes; everything added is.
        let mut added = entries.len();
        let inserted = self.dense.add_parallel(&entries);
        // The index has its own copies now: free the batch's vectors before trimming below.
        drop(entries);
        drop(to_add);
        if let Err((failed, e)) = inserted {
            added -= failed.len();
            for key in failed {
                if let Some(record) = state.records.remove(key) {
                    state.postings.remove(key, record.terms());
                    self.lexical.stage_delete(record.id());
                    written -= 1;
                }
            }
            failure.get_or_insert(e);
        }
        self.changes.fetch_add(added as u64, Ordering::Relaxed);
        // Commit even after a failure so that the lexical side matches what was applied.
        self.lexical.commit()?;
        drop(state);
        if written >= crate::trim::TRIM_AFTER_ITEMS {
            crate::trim::release_free_memory();
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(written),
        }
    }

    /// Applies one upsert to the records, postings and lexical index; pushes the key and
    /// vector onto `to_add` when the vector still has to go into the HNSW graph.
    fn apply_upsert(
        &self,
        state: &mut State,
        item: Item,
        vector: Vec<f32>,
        digest: u64,
        to_add: &mut Vec<(u64, Vec<f32>)>,
    ) -> Result<(), VectorError> {
        let mut replaces_checkpointed = false;
        if let Some((key, saved)) = state.unconfirmed.remove(&item.id) {
            if saved == digest {
                // Replayed unchanged: the checkpoint's graph entry stands.
                self.lexical.stage_upsert(key, &item)?;
                state.restore.reused += 1;
                insert_record(state, key, &item, digest);
                return Ok(());
            }
            if self.dense.is_read_only() {
                return Err(VectorError::checkpoint(
                    Path::new("(view)"),
                    format!(
                        "item '{}' changed after the checkpoint; a read-only view needs a current checkpoint",
                        item.id
                    ),
                ));
            }
            self.dense.remove(key)?;
            replaces_checkpointed = true;
        }
        if self.dense.is_read_only() {
            return Err(VectorError::ReadOnly);
        }
        if let Some((old_key, old)) = state.records.remove_id(&item.id) {
            state.postings.remove(old_key, old.terms());
            self.dense.remove(old_key)?;
        }
        let key = state.next_key;
        state.next_key += 1;
        if let Err(e) = self.lexical.stage_upsert(key, &item) {
            // The old version is already gone from the dense side: drop it lexically too.
            self.lexical.stage_delete(&item.id);
            return Err(e);
        }
        if replaces_checkpointed || state.restoring {
            state.restore.reindexed += 1;
        }
        insert_record(state, key, &item, digest);
        to_add.push((key, vector));
        Ok(())
    }

    /// Removes one item; false when the id was unknown.
    pub fn remove(&self, id: &str) -> Result<bool, VectorError> {
        Ok(self.remove_batch(&[id])? == 1)
    }

    /// Removes items with one lexical commit; returns how many ids were known.
    pub fn remove_batch<S: AsRef<str>>(&self, ids: &[S]) -> Result<usize, VectorError> {
        if self.dense.is_read_only() {
            return Err(VectorError::ReadOnly);
        }
        let mut state = self.write();
        let mut removed = 0;
        for id in ids {
            let id = id.as_ref();
            if let Some((key, _)) = state.unconfirmed.remove(id) {
                // Deleted before the replay confirmed it.
                self.dense.remove(key)?;
                state.restore.dropped += 1;
            }
            let Some((key, old)) = state.records.remove_id(id) else {
                continue;
            };
            state.postings.remove(key, old.terms());
            self.lexical.stage_delete(id);
            removed += 1;
            if let Err(e) = self.dense.remove(key) {
                self.lexical.commit()?;
                return Err(e);
            }
        }
        if removed > 0 {
            self.lexical.commit()?;
        }
        self.changes.fetch_add(removed as u64, Ordering::Relaxed);
        Ok(removed)
    }

    /// Runs a dense, lexical or hybrid search (see [`SearchRequest`]).
    pub fn search(&self, request: &SearchRequest) -> Result<Vec<VectorHit>, VectorError> {
        self.search_explained(request).map(|outcome| outcome.hits)
    }

    /// Like [`search`](Self::search), and also reports how the search was executed.
    pub fn search_explained(&self, request: &SearchRequest) -> Result<SearchOutcome, VectorError> {
        let (use_dense, use_lexical) = request.sides()?;
        if let Some(vector) = &request.vector {
            validate_vector(vector, self.config.dimension, self.config.metric)?;
        }
        let text = request.text.as_deref().filter(|t| !t.trim().is_empty());
        let vector = request.vector.as_deref();
        let k = request.k;
        let candidates = match request.mode {
            SearchMode::Hybrid => k.saturating_mul(4).max(MIN_HYBRID_CANDIDATES),
            SearchMode::Dense | SearchMode::Lexical => k,
        };
        let state = self.read();
        let mut plan = SearchPlan {
            mode: request.mode,
            candidates,
            matching: None,
            dense: None,
            dense_hits: 0,
            lexical_hits: None,
            ef: None,
        };
        let dense = match vector.filter(|_| use_dense) {
            Some(v) => {
                let ranking = self.dense_ranking(&state, v, candidates, request.ef, &request.filter)?;
                plan.ef = ranking.plan.uses_hnsw().then(|| self.dense.effective_breadth(candidates, request.ef));
                plan.dense = Some(ranking.plan);
                plan.matching = ranking.matching;
                plan.dense_hits = ranking.hits.len();
                ranking.hits
            }
            None => Vec::new(),
        };
        let lexical = match text.filter(|_| use_lexical) {
            Some(t) => {
                let ranking = self.lexical_ranking(&state, t, candidates, &request.filter)?;
                plan.lexical_hits = Some(ranking.len());
                ranking
            }
            None => Vec::new(),
        };
        let fused = match request.mode {
            SearchMode::Dense => single_source(&dense, true),
            SearchMode::Lexical => single_source(&lexical, false),
            SearchMode::Hybrid => request.fusion().fuse(&dense, &lexical),
        };
        let hits = fused.into_iter().filter_map(|f| to_hit(&state, f)).take(k).collect();
        Ok(SearchOutcome { hits, plan })
    }

    /// The `n` most similar items passing `filter`, best first, with the plan used and
    /// the number of matching items (when a filter was counted).
    ///
    /// The plan depends on selectivity, as in Qdrant's planner: a small matching subset
    /// is scored exactly; a large one goes through HNSW with the filter as a predicate;
    /// if HNSW still comes back short (a sparse filter can disconnect the graph), the
    /// exact scan runs anyway. Either way, at least `min(n, matching)` items come back.
    fn dense_ranking(
        &self,
        state: &State,
        query: &[f32],
        n: usize,
        breadth: Option<usize>,
        filter: &Filter,
    ) -> Result<DenseRanking, VectorError> {
        let total = state.records.len();
        if filter.is_empty() {
            let hits = self.known(state, self.dense.search(query, n, breadth)?);
            if hits.len() >= n.min(total) {
                return Ok(DenseRanking { hits, plan: DensePlan::Hnsw, matching: None });
            }
            let all: Vec<u64> = state.records.keys().collect();
            let hits = self.exact_ranking(state, query, n, &all);
            return Ok(DenseRanking { hits, plan: DensePlan::HnswThenExactScan, matching: None });
        }
        // The inverted index answers the filter: no walk over the collection.
        let matcher = state.postings.matcher(filter);
        let estimate = matcher.estimate(total);
        let selective = estimate <= EXACT_SCAN_MAX_ITEMS as f64 || estimate <= EXACT_SCAN_MAX_FRACTION * total as f64;
        if selective {
            let matching = matcher.matching();
            let hits = self.exact_ranking(state, query, n, &matching);
            return Ok(DenseRanking { hits, plan: DensePlan::ExactScan, matching: Some(matching.len()) });
        }
        // Called for every node the search visits: a few set lookups, no record or string.
        let hits = self.known(state, self.dense.filtered_search(query, n, breadth, |key| matcher.accepts(key))?);
        if hits.len() >= n {
            return Ok(DenseRanking { hits, plan: DensePlan::FilteredHnsw, matching: matcher.exact_count() });
        }
        // Short: either fewer than n items match, or the filter cut the graph apart.
        let matching = matcher.matching();
        let count = Some(matching.len());
        if hits.len() >= matching.len() {
            return Ok(DenseRanking { hits, plan: DensePlan::FilteredHnsw, matching: count });
        }
        let hits = self.exact_ranking(state, query, n, &matching);
        Ok(DenseRanking { hits, plan: DensePlan::FilteredHnswThenExactScan, matching: count })
    }

    /// Exact similarity over `keys`, best first, ties by key: each candidate's vector is
    /// decoded from the HNSW index into one buffer and scored against the query.
    fn exact_ranking(&self, state: &State, query: &[f32], n: usize, keys: &[u64]) -> Vec<(u64, f32)> {
        let metric = self.config.metric;
        let mut buffer = vec![0f32; self.config.dimension];
        let mut scored: Vec<(u64, f32)> = Vec::with_capacity(keys.len());
        for &key in keys {
            if state.records.contains_key(key) && self.dense.stored_vector_into(key, &mut buffer) {
                scored.push((key, similarity(metric, query, &buffer)));
            }
        }
        let by_score = |a: &(u64, f32), b: &(u64, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if scored.len() > n {
            scored.select_nth_unstable_by(n, by_score);
            scored.truncate(n);
        }
        scored.sort_unstable_by(by_score);
        scored
    }

    fn lexical_ranking(
        &self,
        state: &State,
        text: &str,
        n: usize,
        filter: &Filter,
    ) -> Result<Vec<(u64, f32)>, VectorError> {
        Ok(self.known(state, self.lexical.search(text, filter, n)?))
    }

    /// Drops keys without a record; they cannot occur while the lock is held, but an
    /// index entry must never turn into a panic or a ghost hit.
    fn known(&self, state: &State, hits: Vec<(u64, f32)>) -> Vec<(u64, f32)> {
        hits.into_iter().filter(|(key, _)| state.records.contains_key(*key)).collect()
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // Writers never leave the state half-updated on panic paths, so a poisoned lock
        // still guards consistent data.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// Adds an item's record and postings under `key`; its text stays with the lexical index.
fn insert_record(state: &mut State, key: u64, item: &Item, digest: u64) {
    let terms = state.postings.insert(key, &item.meta());
    state.records.insert(key, &item.id, &item.title, &terms, item.modality, digest);
}

fn lexical_dir(dir: &Path) -> PathBuf {
    dir.join(LEXICAL_DIR)
}

fn to_hit(state: &State, fused: FusedKey<u64>) -> Option<VectorHit> {
    let record = state.records.get(fused.key)?;
    Some(VectorHit {
        id: record.id().to_string(),
        modality: record.modality(),
        kind: record.kind_term().map_or("", |term| state.postings.kind(term)).to_string(),
        title: record.title().to_string(),
        score: fused.score,
        dense: fused.dense,
        lexical: fused.lexical,
    })
}

fn validate_config(config: &VectorConfig) -> Result<(), VectorError> {
    if config.dimension == 0 || config.dimension > MAX_DIMENSION {
        return Err(VectorError::invalid("dimension", format!("must be between 1 and {MAX_DIMENSION}")));
    }
    if config.connectivity < 2 {
        return Err(VectorError::invalid("connectivity", "must be at least 2"));
    }
    if config.expansion_add == 0 || config.expansion_search == 0 {
        return Err(VectorError::invalid("expansion", "must be at least 1"));
    }
    Ok(())
}
