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
    // Eight independent f32 lanes, summed in f64 at the end: the compiler vectorises the
    // loop (exact scans run it once per matching item), and the lanes keep rounding small.
    const LANES: usize = 8;
    let (mut dot, mut na, mut nb, mut l2) = ([0f32; LANES], [0f32; LANES], [0f32; LANES], [0f32; LANES]);
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            dot[i] += x[i] * y[i];
            na[i] += x[i] * x[i];
            nb[i] += y[i] * y[i];
            l2[i] += (x[i] - y[i]) * (x[i] - y[i]);
        }
    }
    let sum = |lanes: [f32; LANES], rest: f64| lanes.iter().map(|&v| f64::from(v)).sum::<f64>() + rest;
    let tail = |f: &dyn Fn(f64, f64) -> f64| ra.iter().zip(rb).map(|(&x, &y)| f(f64::from(x), f64::from(y))).sum();
    let value = match metric {
        Metric::Cos => {
            let (d, x2, y2) =
                (sum(dot, tail(&|x, y| x * y)), sum(na, tail(&|x, _| x * x)), sum(nb, tail(&|_, y| y * y)));
            let denominator = (x2 * y2).sqrt();
            if denominator > 0.0 { d / denominator } else { 0.0 }
        }
        Metric::IP => sum(dot, tail(&|x, y| x * y)),
        Metric::L2sq => -sum(l2, tail(&|x, y| (x - y) * (x - y))),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The lane-wise sums agree with a plain f64 loop, remainders included.
    #[test]
    fn similarity_matches_a_plain_f64_loop() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        for len in [1, 7, 8, 13, 384] {
            let a: Vec<f32> = (0..len).map(|_| next()).collect();
            let b: Vec<f32> = (0..len).map(|_| next()).collect();
            let pairs = || a.iter().zip(&b).map(|(&x, &y)| (f64::from(x), f64::from(y)));
            let dot: f64 = pairs().map(|(x, y)| x * y).sum();
            let na: f64 = pairs().map(|(x, _)| x * x).sum();
            let nb: f64 = pairs().map(|(_, y)| y * y).sum();
            let l2: f64 = pairs().map(|(x, y)| (x - y) * (x - y)).sum();
            let close = |got: f32, want: f64| (f64::from(got) - want).abs() < 1e-5 * want.abs().max(1.0);
            assert!(close(similarity(Metric::Cos, &a, &b), dot / (na * nb).sqrt()), "cos, len {len}");
            assert!(close(similarity(Metric::IP, &a, &b), dot), "ip, len {len}");
            assert!(close(similarity(Metric::L2sq, &a, &b), -l2), "l2sq, len {len}");
        }
        assert_eq!(similarity(Metric::Cos, &[0.0; 4], &[1.0; 4]), 0.0);
    }
}
