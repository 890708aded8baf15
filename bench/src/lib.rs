//! Shared helpers of Braid's benchmark binaries: a small deterministic random number
//! generator, latency statistics, resident memory from `/proc/self/status` and a
//! description of the machine, JSON Lines reading, Markdown tables and command-line
//! [`flags`]. Results are recorded in `BENCHMARKS.md` at the root.
//!
//! ```
//! use braid_bench::{Rng, Stats, Table};
//!
//! let mut rng = Rng::new(7);
//! let samples: Vec<f64> = (0..100).map(|_| rng.below(1000) as f64).collect();
//! let stats = Stats::from_samples(&samples);
//! assert!(stats.p50 <= stats.p99);
//!
//! let mut table = Table::new(["what", "p50"]);
//! table.row(["linking", &format!("{:.1}", stats.p50)]);
//! assert!(table.to_markdown().starts_with("| what | p50 |"));
//! ```

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Instant;

use serde::de::DeserializeOwned;

pub mod flags;
pub mod fuzz;
pub mod heap;
pub mod synthetic;

/// SplitMix64: tiny, fast, deterministic for a given seed, good enough to pick samples.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator that yields the same sequence for the same seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in (0, 1], 53 bits: never 0, so a logarithm of it stays finite.
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// A pair of independent standard normals (Box–Muller).
    pub fn gaussian_pair(&mut self) -> (f64, f64) {
        let radius = (-2.0 * self.unit().ln()).sqrt();
        let angle = std::f64::consts::TAU * self.unit();
        (radius * angle.cos(), radius * angle.sin())
    }

    /// A number in `0..n` (`n` must be positive); the modulo bias is negligible here.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A random element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// SplitMix64's finaliser: scrambles a 64-bit value into a well-mixed one. A hash for
/// deriving seeds (one stream per row, so data does not depend on the thread count) and
/// for assigning rows to buckets without a generator.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Summary of a latency sample (any unit; the caller decides).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Number of samples.
    pub n: usize,
    /// Median (nearest rank).
    pub p50: f64,
    /// 90th percentile (nearest rank).
    pub p90: f64,
    /// 99th percentile (nearest rank).
    pub p99: f64,
    /// Arithmetic mean.
    pub mean: f64,
    /// Largest sample.
    pub max: f64,
}

impl Stats {
    /// Statistics of `samples`; all zero for an empty sample.
    pub fn from_samples(samples: &[f64]) -> Self {
        if samples.is_empty() {
            return Self { n: 0, p50: 0.0, p90: 0.0, p99: 0.0, mean: 0.0, max: 0.0 };
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        Self {
            n: sorted.len(),
            p50: percentile(&sorted, 50.0),
            p90: percentile(&sorted, 90.0),
            p99: percentile(&sorted, 99.0),
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
            max: sorted[sorted.len() - 1],
        }
    }
}

/// The mean of a sample and the half-width of its 95 % confidence interval (normal
/// approximation, sample variance), for per-query quality scores; the sum runs in the
/// sample's order, so repeated runs print the same digits.
pub fn mean_ci95(samples: &[f64]) -> (f64, f64) {
    let n = samples.len() as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let variance = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, 1.96 * (variance / n).sqrt())
}

/// Nearest-rank percentile of an ascending, non-empty slice.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Runs `f` once per input and returns each call's wall time in microseconds, with the
/// outputs (kept so the optimiser cannot drop the work).
pub fn time_each<I, O>(inputs: &[I], mut f: impl FnMut(&I) -> O) -> (Vec<f64>, Vec<O>) {
    let mut times = Vec::with_capacity(inputs.len());
    let mut outputs = Vec::with_capacity(inputs.len());
    for input in inputs {
        let start = Instant::now();
        let output = f(input);
        times.push(start.elapsed().as_secs_f64() * 1e6);
        outputs.push(output);
    }
    (times, outputs)
}

/// A `kB` field of `/proc/self/status` (`VmRSS`: resident now, `VmHWM`: peak resident),
/// in KiB; `None` where procfs is unavailable.
pub fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
}

/// Resident set size now, in bytes (0 where unknown).
pub fn rss_bytes() -> u64 {
    proc_status_kib("VmRSS").unwrap_or(0) * 1024
}

/// The anonymous part of the resident set (heap, stacks, anonymous maps) now, in bytes: what
/// the process holds that the kernel cannot drop (0 where unknown).
pub fn rss_anon_bytes() -> u64 {
    proc_status_kib("RssAnon").unwrap_or(0) * 1024
}

/// The file-backed part of the resident set (memory-mapped files, the binary) now, in bytes:
/// pages of the page cache the process has touched, which the kernel may drop and read
/// again under memory pressure (0 where unknown).
pub fn rss_file_bytes() -> u64 {
    proc_status_kib("RssFile").unwrap_or(0) * 1024
}

/// Hands the heap memory the allocator holds free back to the OS (glibc's `malloc_trim`),
/// so that a resident-set reading after it counts memory in use rather than what the
/// allocator kept from transient peaks; does nothing on other platforms.
pub fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim takes no pointer and only returns free pages to the OS.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Bytes of the files under `dir`, recursively (0 for a missing folder).
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

/// Resident set size now, in MiB (0 where unknown).
pub fn rss_mib() -> f64 {
    proc_status_kib("VmRSS").unwrap_or(0) as f64 / 1024.0
}

/// Peak resident set size so far, in MiB (0 where unknown).
pub fn peak_rss_mib() -> f64 {
    proc_status_kib("VmHWM").unwrap_or(0) as f64 / 1024.0
}

/// The 1, 5 and 15 minute load averages from `/proc/loadavg` (`n/a` where unavailable):
/// a report states how busy the machine was, since other work skews every timing.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".into())
}

/// The machine a report was measured on: CPU model, cores available, total memory.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_string()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("MemTotal:").map(|v| v.trim().to_string())))
        .unwrap_or_else(|| "?".into());
    let nproc = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, nproc = {nproc}, MemTotal {memory}")
}

/// Reads a JSON Lines file (blank lines skipped); the error names the file and line.
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut records = Vec::new();
    for (number, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(&line).map_err(|e| format!("{}:{}: {e}", path.display(), number + 1))?;
        records.push(record);
    }
    Ok(records)
}

/// Opens a knowledge base on `data` the way `braid serve` does with no config file: the
/// embedder `braid serve` would choose for it (`BRAID_EMBEDDER`, else the one the data was
/// built with, else MiniLM when its weights are found, else hashing), the shipped routing weights, no web
/// provider, the embedded usearch + tantivy vector store; no background checkpoints, so
/// none runs in the middle of a measurement.
pub fn open_kb(data: &Path) -> Result<braid_kb::KnowledgeBase, String> {
    let cfg = braid::config::ConfigFile::load(None).map_err(|e| format!("config: {e:#}"))?;
    let embedder = braid::config::choose_embedder(&cfg, Some(data)).map_err(|e| format!("embedder: {e:#}"))?.embedder;
    let mut options = braid::config::kb_options(&cfg, data, embedder, None).map_err(|e| format!("options: {e:#}"))?;
    options.web = None;
    options.checkpoints = None;
    braid_kb::KnowledgeBase::open(options).map_err(|e| format!("opening {}: {e}", data.display()))
}

/// Formats microseconds for a table: `µs` below 10 ms, else `ms`.
pub fn fmt_us(us: f64) -> String {
    if us < 10_000.0 { format!("{us:.0} µs") } else { format!("{:.1} ms", us / 1000.0) }
}

/// A Markdown table built row by row.
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    /// Per column: right-aligned (numbers line up by their last digit) or left.
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headings.
    pub fn new<I, S>(header: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let header: Vec<String> = header.into_iter().map(Into::into).collect();
        Self { right: vec![false; header.len()], header, rows: Vec::new() }
    }

    /// Right-aligns these columns (0-based; others stay left-aligned), for numbers.
    pub fn right_aligned(mut self, columns: impl IntoIterator<Item = usize>) -> Self {
        for column in columns {
            if let Some(right) = self.right.get_mut(column) {
                *right = true;
            }
        }
        self
    }

    /// Appends a row (missing cells are left empty, extra cells are dropped).
    pub fn row<I, S>(&mut self, cells: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.header.len(), String::new());
        self.rows.push(row);
        self
    }

    /// The table in GitHub-flavoured Markdown, one line per row, ending with a newline.
    pub fn to_markdown(&self) -> String {
        let line = |cells: &[String]| format!("| {} |\n", cells.join(" | "));
        let mut out = line(&self.header);
        let rule: Vec<String> = self.right.iter().map(|&r| if r { "---:" } else { "---" }.to_string()).collect();
        out.push_str(&line(&rule));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        let stats = Stats::from_samples(&samples);
        assert_eq!((stats.p50, stats.p90, stats.p99, stats.max), (50.0, 90.0, 99.0, 100.0));
        assert_eq!(stats.mean, 50.5);
        assert_eq!(Stats::from_samples(&[3.0]).p99, 3.0);
        assert_eq!(Stats::from_samples(&[]).n, 0);
    }

    #[test]
    fn rng_is_deterministic_and_in_range() {
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        for _ in 0..1000 {
            let x = a.below(17);
            assert_eq!(x, b.below(17));
            assert!(x < 17);
        }
        let mut items: Vec<u32> = (0..50).collect();
        a.shuffle(&mut items);
        items.sort_unstable();
        assert_eq!(items, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn tables_render_as_markdown() {
        let mut table = Table::new(["a", "b"]);
        table.row(["1"]).row(["2", "3", "4"]);
        assert_eq!(table.to_markdown(), "| a | b |\n| --- | --- |\n| 1 |  |\n| 2 | 3 |\n");
        let numbers = Table::new(["what", "n"]).right_aligned([1, 7]);
        assert_eq!(numbers.to_markdown(), "| what | n |\n| --- | ---: |\n");
    }

    #[test]
    fn gaussians_and_the_mean_interval_are_sane() {
        let mut rng = Rng::new(1);
        let normals: Vec<f64> = (0..5000).flat_map(|_| <[f64; 2]>::from(rng.gaussian_pair())).collect();
        let (mean, ci) = mean_ci95(&normals);
        assert!(mean.abs() < 0.05 && (ci - 1.96 / 100.0).abs() < 0.002, "{mean} ± {ci}");
        assert!((0..1000).map(|_| rng.unit()).all(|u| u > 0.0 && u <= 1.0));
    }

    #[test]
    fn resident_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            // Now first, then the peak: the peak only grows, while other tests in this
            // process may allocate between the two reads.
            let now = rss_mib();
            assert!(now > 0.0);
            assert!(peak_rss_mib() >= now);
        }
    }
}
