//! [`DenseIndex`]: a thin wrapper over a usearch HNSW index keyed by `u64`, plus the exact
//! similarity functions used for re-scoring and for exact scans of filtered subsets.

use std::sync::{Condvar, Mutex};

use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

use crate::config::{Metric, Quantization, VectorConfig};
use crate::error::{VectorError, dense_error};

/// Concurrent searches each need a usearch thread slot; more searches than slots fail,
/// so reserve generously (a slot costs a few KB plus a visited-set bitmap).
const MIN_THREAD_SLOTS: usize = 16;
/// Capacity reserved on the first insertion.
const MIN_CAPACITY: usize = 1_024;

/// An approximate nearest-neighbour index.
pub struct DenseIndex {
    index: Index,
    metric: Metric,
    thread_slots: usize,
    search_slots: SearchSlots,
}

impl DenseIndex {
    /// An empty index with the given configuration.
    pub fn new(config: &VectorConfig) -> Result<Self, VectorError> {
        let options = IndexOptions {
            dimensions: config.dimension,
            metric: match config.metric {
                Metric::Cos => MetricKind::Cos,
                Metric::L2sq => MetricKind::L2sq,
                Metric::IP => MetricKind::IP,
            },
            quantization: match config.quantization {
                Quantization::F32 => ScalarKind::F32,
                Quantization::F16 => ScalarKind::F16,
                Quantization::BF16 => ScalarKind::BF16,
                Quantization::I8 => ScalarKind::I8,
            },
            connectivity: config.connectivity,
            expansion_add: config.expansion_add,
            expansion_search: config.expansion_search,
            multi: false,
        };
        let index = Index::new(&options).map_err(dense_error)?;
        let parallelism = std::thread::available_parallelism().map_or(1, |n| n.get());
        let thread_slots = (parallelism * 4).max(MIN_THREAD_SLOTS);
        Ok(DenseIndex { index, metric: config.metric, thread_slots, search_slots: SearchSlots::new(thread_slots) })
    }

    /// Number of live vectors.
    pub fn len(&self) -> usize {
        self.index.size()
    }

    /// True when no vector is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes room for `additional` more vectors, growing geometrically so that a stream
    /// of single inserts stays amortised O(1) in reallocations.
    pub fn reserve(&self, additional: usize) -> Result<(), VectorError> {
        let needed = self.index.size().saturating_add(additional);
        let capacity = self.index.capacity();
        if needed <= capacity {
            return Ok(());
        }
        let target = needed.max(capacity.saturating_mul(2)).max(MIN_CAPACITY);
        self.index.reserve_capacity_and_threads(target, self.thread_slots).map_err(dense_error)
    }

    /// Adds a vector under a fresh key (callers never reuse keys).
    pub fn add(&self, key: u64, vector: &[f32]) -> Result<(), VectorError> {
        self.reserve(1)?;
        self.index.add(key, &prepared(self.metric, vector)).map_err(dense_error)
    }

    /// Removes a key; true when it was present.
    pub fn remove(&self, key: u64) -> Result<bool, VectorError> {
        Ok(self.index.remove(key).map_err(dense_error)? > 0)
    }

    /// The approximate `count` nearest keys with their similarities, best first.
    pub fn search(&self, query: &[f32], count: usize) -> Result<Vec<(u64, f32)>, VectorError> {
        if self.is_empty() {
            return Ok(Vec::new());
        }
        let _slot = self.search_slots.acquire();
        let query = prepared(self.metric, query);
        let matches = self.index.search(&query, count).map_err(dense_error)?;
        Ok(self.to_similarities(matches.keys, matches.distances))
    }

    /// Like [`search`](Self::search) but only keys accepted by `accept` are returned.
    pub fn filtered_search(
        &self,
        query: &[f32],
        count: usize,
        accept: impl Fn(u64) -> bool,
    ) -> Result<Vec<(u64, f32)>, VectorError> {
        if self.is_empty() {
            return Ok(Vec::new());
        }
        let _slot = self.search_slots.acquire();
        let matches = self.index.filtered_search(&prepared(self.metric, query), count, accept).map_err(dense_error)?;
        Ok(self.to_similarities(matches.keys, matches.distances))
    }

    fn to_similarities(&self, keys: Vec<u64>, distances: Vec<f32>) -> Vec<(u64, f32)> {
        keys.into_iter()
            .zip(distances)
            .map(|(key, distance)| (key, distance_to_similarity(self.metric, distance)))
            .collect()
    }
}

/// A counting semaphore: usearch fails a search outright when all of its per-thread
/// contexts are taken, so callers beyond that number wait here instead.
struct SearchSlots {
    free: Mutex<usize>,
    released: Condvar,
}

struct SearchSlot<'a>(&'a SearchSlots);

impl SearchSlots {
    fn new(slots: usize) -> Self {
        SearchSlots { free: Mutex::new(slots), released: Condvar::new() }
    }

    fn acquire(&self) -> SearchSlot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.released.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        SearchSlot(self)
    }
}

impl Drop for SearchSlot<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        self.0.released.notify_one();
    }
}

/// usearch reports distances; the API reports similarities (higher is better).
pub fn distance_to_similarity(metric: Metric, distance: f32) -> f32 {
    match metric {
        Metric::Cos | Metric::IP => 1.0 - distance,
        Metric::L2sq => -distance,
    }
}

/// Exact similarity on the same scale as [`distance_to_similarity`], accumulated in f64
/// so that large but finite components cannot overflow.
pub fn similarity(metric: Metric, a: &[f32], b: &[f32]) -> f32 {
    let pairs = a.iter().zip(b).map(|(&x, &y)| (f64::from(x), f64::from(y)));
    let value = match metric {
        Metric::Cos => {
            let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
            for (x, y) in pairs {
                dot += x * y;
                na += x * x;
                nb += y * y;
            }
            let denominator = (na * nb).sqrt();
            if denominator > 0.0 { dot / denominator } else { 0.0 }
        }
        Metric::IP => pairs.map(|(x, y)| x * y).sum(),
        Metric::L2sq => -pairs.map(|(x, y)| (x - y) * (x - y)).sum::<f64>(),
    };
    value as f32
}

/// Cosine ignores length, so the HNSW index gets unit vectors: they fit f16 and i8
/// quantization ranges whatever the caller's scale. Other metrics keep the vector as is.
fn prepared(metric: Metric, vector: &[f32]) -> std::borrow::Cow<'_, [f32]> {
    if metric != Metric::Cos {
        return std::borrow::Cow::Borrowed(vector);
    }
    let norm = vector.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt();
    if norm == 0.0 || !norm.is_finite() {
        return std::borrow::Cow::Borrowed(vector);
    }
    std::borrow::Cow::Owned(vector.iter().map(|&x| (f64::from(x) / norm) as f32).collect())
}
