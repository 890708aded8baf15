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
    /// A memory-mapped view of a saved index: searchable, never written.
    read_only: bool,
}

/// How a saved index is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Read into memory; writable.
    Load,
    /// Memory-mapped from the file; read-only, and pages stay on disk until touched.
    View,
}

fn index_options(config: &VectorConfig) -> IndexOptions {
    IndexOptions {
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
    }
}

impl DenseIndex {
    /// An empty index with the given configuration.
    pub fn new(config: &VectorConfig) -> Result<Self, VectorError> {
        let index = Index::new(&index_options(config)).map_err(dense_error)?;
        let parallelism = std::thread::available_parallelism().map_or(1, |n| n.get());
        let thread_slots = (parallelism * 4).max(MIN_THREAD_SLOTS);
        Ok(DenseIndex {
            index,
            metric: config.metric,
            thread_slots,
            search_slots: SearchSlots::new(thread_slots),
            read_only: false,
        })
    }

    /// An index saved by [`save`](Self::save), loaded or memory-mapped. The file's own
    /// header decides the graph's shape; the caller checks it matches `config`.
    pub fn open(config: &VectorConfig, path: &std::path::Path, mode: OpenMode) -> Result<Self, VectorError> {
        let mut dense = DenseIndex::new(config)?;
        let path_str = path
            .to_str()
            .ok_or_else(|| VectorError::invalid("checkpoint", format!("{} is not valid UTF-8", path.display())))?;
        // Thread contexts are kept across load and view: reserve them first.
        dense.index.reserve_capacity_and_threads(MIN_CAPACITY, dense.thread_slots).map_err(dense_error)?;
        match mode {
            OpenMode::Load => dense.index.load(path_str).map_err(dense_error)?,
            OpenMode::View => dense.index.view(path_str).map_err(dense_error)?,
        }
        dense.index.change_expansion_search(config.expansion_search);
        dense.read_only = mode == OpenMode::View;
        if dense.index.dimensions() != config.dimension {
            return Err(VectorError::Dense(format!(
                "saved index has dimension {}, expected {}",
                dense.index.dimensions(),
                config.dimension
            )));
        }
        Ok(dense)
    }

    /// Writes the index to `path` (the graph and the quantized vectors).
    pub fn save(&self, path: &std::path::Path) -> Result<(), VectorError> {
        let path_str = path
            .to_str()
            .ok_or_else(|| VectorError::invalid("checkpoint", format!("{} is not valid UTF-8", path.display())))?;
        self.index.save(path_str).map_err(dense_error)
    }

    /// True for a memory-mapped view, which refuses writes.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Bytes the index holds in memory (a view's mapped file is not counted).
    pub fn memory_usage(&self) -> usize {
        self.index.memory_usage()
    }

    /// The stored (quantized, for cosine normalised) vector of `key`, decoded to f32.
    pub fn stored_vector(&self, key: u64) -> Option<Vec<f32>> {
        let mut buffer = vec![0f32; self.index.dimensions()];
        self.stored_vector_into(key, &mut buffer).then_some(buffer)
    }

    /// [`stored_vector`](Self::stored_vector) into `buffer` (of the index's dimension), so an
    /// exact scan decodes every candidate into one buffer; false when `key` is not indexed.
    pub fn stored_vector_into(&self, key: u64, buffer: &mut [f32]) -> bool {
        matches!(self.index.get(key, buffer), Ok(found) if found > 0)
    }

    fn writable(&self) -> Result<(), VectorError> {
        if self.read_only { Err(VectorError::ReadOnly) } else { Ok(()) }
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
        self.writable()?;
        let needed = self.index.size().saturating_add(additional);
        let capacity = self.index.capacity();
        if needed <= capacity {
            return Ok(());
        }
        let target = needed.max(capacity.saturating_mul(2)).max(MIN_CAPACITY);
        self.index.reserve_capacity_and_threads(target, self.thread_slots).map_err(dense_error)
    }

    /// Removes a key; true when it was present.
    pub fn remove(&self, key: u64) -> Result<bool, VectorError> {
        self.writable()?;
        Ok(self.index.remove(key).map_err(dense_error)? > 0)
    }

    /// Adds vectors under fresh keys (callers never reuse keys), from all cores (usearch inserts concurrently, one thread context
    /// each). Returns the keys whose insertion failed, with the first error.
    pub fn add_parallel(&self, entries: &[(u64, &[f32])]) -> Result<(), (Vec<u64>, VectorError)> {
        if entries.is_empty() {
            return Ok(());
        }
        self.reserve(entries.len()).map_err(|e| (entries.iter().map(|(k, _)| *k).collect(), e))?;
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(entries.len().div_ceil(64));
        if workers <= 1 {
            return add_all(self, entries);
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<Result<(), (Vec<u64>, VectorError)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut failed: Option<(Vec<u64>, VectorError)> = None;
                        loop {
                            let start = next.fetch_add(256, std::sync::atomic::Ordering::Relaxed);
                            if start >= entries.len() {
                                break;
                            }
                            let chunk = &entries[start..(start + 256).min(entries.len())];
                            if let Err(failure) = add_all(self, chunk) {
                                merge_failure(&mut failed, failure);
                            }
                        }
                        failed.map_or(Ok(()), Err)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| Err((Vec::new(), VectorError::Internal("add thread panicked".into()))))
                })
                .collect()
        });
        let mut failure: Option<(Vec<u64>, VectorError)> = None;
        for result in results {
            if let Err(failed) = result {
                merge_failure(&mut failure, failed);
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// The approximate `count` nearest keys with their similarities, best first. `breadth`
    /// is the HNSW search width (`ef`) for this query; usearch searches with the larger of
    /// its configured width and the number of results asked for, so a wider search asks
    /// for `breadth` results and keeps the best `count`.
    pub fn search(&self, query: &[f32], count: usize, breadth: Option<usize>) -> Result<Vec<(u64, f32)>, VectorError> {
        if self.is_empty() {
            return Ok(Vec::new());
        }
        let _slot = self.search_slots.acquire();
        let query = prepared(self.metric, query);
        let matches = self.index.search(&query, wanted(count, breadth)).map_err(dense_error)?;
        let mut hits = self.to_similarities(matches.keys, matches.distances);
        hits.truncate(count);
        Ok(hits)
    }

    /// The search width a query runs with: the configured `ef`, raised by the query's own
    /// width or by the number of results it asks for.
    pub fn effective_breadth(&self, count: usize, breadth: Option<usize>) -> usize {
        wanted(count, breadth).max(self.index.expansion_search())
    }

    /// Like [`search`](Self::search) but only keys accepted by `accept` are returned.
    pub fn filtered_search(
        &self,
        query: &[f32],
        count: usize,
        breadth: Option<usize>,
        accept: impl Fn(u64) -> bool,
    ) -> Result<Vec<(u64, f32)>, VectorError> {
        if self.is_empty() {
            return Ok(Vec::new());
        }
        let _slot = self.search_slots.acquire();
        let matches = self
            .index
            .filtered_search(&prepared(self.metric, query), wanted(count, breadth), accept)
            .map_err(dense_error)?;
        let mut hits = self.to_similarities(matches.keys, matches.distances);
        hits.truncate(count);
        Ok(hits)
    }

    fn to_similarities(&self, keys: Vec<u64>, distances: Vec<f32>) -> Vec<(u64, f32)> {
        keys.into_iter()
            .zip(distances)
            .map(|(key, distance)| (key, distance_to_similarity(self.metric, distance)))
            .collect()
    }
}

fn wanted(count: usize, breadth: Option<usize>) -> usize {
    breadth.map_or(count, |b| b.max(count))
}

/// Collects the failed keys of several insert runs under the first error.
fn merge_failure(into: &mut Option<(Vec<u64>, VectorError)>, (keys, error): (Vec<u64>, VectorError)) {
    match into {
        Some((all, _)) => all.extend(keys),
        None => *into = Some((keys, error)),
    }
}

fn add_all(dense: &DenseIndex, entries: &[(u64, &[f32])]) -> Result<(), (Vec<u64>, VectorError)> {
    for (i, (key, vector)) in entries.iter().enumerate() {
        if let Err(e) = dense.index.add(*key, &prepared(dense.metric, vector)).map_err(dense_error) {
            // Later entries of this chunk were not tried: report them as failed too.
            return Err((entries[i..].iter().map(|(k, _)| *k).collect(), e));
        }
    }
    Ok(())
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
