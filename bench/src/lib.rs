//! Shared helpers of Braid's benchmark binaries: a small deterministic random number
//! generator, latency statistics, resident memory from `/proc/self/status`, JSON Lines
//! reading and Markdown tables. Results are recorded in `BENCHMARKS.md` at the root.
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

pub mod fuzz;
pub mod heap;

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
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
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

/// Resident set size now, in MiB (0 where unknown).
pub fn rss_mib() -> f64 {
    proc_status_kib("VmRSS").unwrap_or(0) as f64 / 1024.0
}

/// Peak resident set size so far, in MiB (0 where unknown).
pub fn peak_rss_mib() -> f64 {
    proc_status_kib("VmHWM").unwrap_or(0) as f64 / 1024.0
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

/// The value after `--name` in `args`, parsed; `default` when absent.
pub fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => {
            let v = args.get(i + 1).ok_or_else(|| format!("{name} needs a value"))?;
            v.parse().map_err(|_| format!("{name}: cannot parse '{v}'"))
        }
    }
}

/// Formats microseconds for a table: `µs` below 10 ms, else `ms`.
pub fn fmt_us(us: f64) -> String {
    if us < 10_000.0 { format!("{us:.0} µs") } else { format!("{:.1} ms", us / 1000.0) }
}

/// A Markdown table built row by row.
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headings.
    pub fn new<I, S>(header: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self { header: header.into_iter().map(Into::into).collect(), rows: Vec::new() }
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
        out.push_str(&line(&vec!["---".to_string(); self.header.len()]));
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
