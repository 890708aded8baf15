//! The cost curve of Braid's vector store against raw usearch, size by size (issue 22):
//! memory per item (resident and on disk), build rate, start-up from a checkpoint and from
//! the items alone, query latency and recall@10 at the default `ef`, filtered and hybrid
//! latency.
//!
//! ```text
//! cargo build --release -p braid-bench --bin cost-curve
//! target/release/cost-curve --sizes 100000,1000000,10000000
//! target/release/cost-curve --sizes 20000 --queries 100      # a quick look
//! ```
//!
//! The corpus ([`braid_bench::synthetic::Corpus`]): 384-d unit vectors around 1,000
//! Gaussian centres (the same rows as `ann-bench` for the same seed), each item with a
//! three-word title and a sixteen-word text leaning to its cluster's topic, and tags `s1` /
//! `s10` on 1 % / 10 % of the rows. Nothing is held in memory: every row is regenerated from
//! its number, so ten million items need no 15 GB array.
//!
//! Each size and system runs in a fresh child process (`--child raw|braid`), one after the
//! other, so the resident set of one never counts in the other's and a 10M index has the
//! machine to itself. The parent computes the exact top-10 by brute force (unfiltered and per
//! tag) and hands it to the children in a file.
//!
//! - **raw usearch**: Braid's settings (f16, M 16, ef_add 128, ef 128), built on
//!   `--build-threads` threads, saved, dropped, loaded back (start-up from its file), queried;
//!   filters are a predicate in `filtered_search`. No text side.
//! - **Braid**: `VectorStore::in_dir` (as the knowledge base holds it: lexical index in
//!   memory-mapped files), `upsert_batch` of `--batch` items, then queries (dense, filtered
//!   by tag, hybrid with a four-word text), a checkpoint, and a restart: the checkpoint
//!   loaded and every item replayed, as the knowledge base's start-up does. Start-up from the
//!   items alone is the build.
//!
//! Resident memory is the growth of `VmRSS` over the build (split into `RssAnon` and
//! `RssFile`), per item. Latencies are single-threaded, nearest-rank percentiles. The report
//! is Markdown, printed and written to `target/bench-data/cost-curve.md`, and ends with the
//! issue's targets per size, PASS or FAIL.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use braid_bench::flags::Flags;
use braid_bench::heap::{Counting, live_bytes};
use braid_bench::synthetic::{Corpus, bucket};
use braid_bench::{
    Stats, Table, dir_bytes, load_average, machine, rss_anon_bytes, rss_bytes, rss_file_bytes, time_each,
};
use braid_vector::{Filter, Item, Modality, OpenMode, SearchRequest, VectorConfig, VectorStore};
use serde_json::{Value, json};
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

type Failure = Box<dyn std::error::Error + Send + Sync>;

#[global_allocator]
static HEAP: Counting = Counting;

const K: usize = 10;
/// Tag filters: (tag, percent of rows carrying it); ground-truth sets 1 and 2.
const FILTERS: [(&str, u8); 2] = [("s1", 1), ("s10", 10)];
/// Queries come from their own stream, as in `ann-bench`.
const QUERY_STREAM: u64 = 0x0005_17E5;
/// Issue 22: Braid's resident memory per item at most this multiple of raw usearch's.
const MEMORY_TARGET: f64 = 1.5;
/// Issue 22: Braid's unfiltered QPS at least this fraction of raw usearch's.
const QPS_TARGET: f64 = 0.9;

const USAGE: &str = "usage: cost-curve [--sizes 100000,1000000] [--dim D] [--clusters C] [--spread S] \
[--queries Q] [--warmup W] [--seed S] [--build-threads T] [--batch B] [--data-dir DIR] [--report FILE] \
[--systems raw,braid]";

struct Args {
    sizes: Vec<usize>,
    dim: usize,
    clusters: usize,
    spread: f32,
    queries: usize,
    warmup: usize,
    seed: u64,
    build_threads: usize,
    batch: usize,
    data_dir: PathBuf,
    report: PathBuf,
    systems: Vec<String>,
    /// Set in a child: which system, at which size.
    child: Option<String>,
    n: usize,
}

impl Args {
    fn parse() -> Result<Self, Failure> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut flags = Flags::from_env(USAGE);
        let args = Args {
            sizes: flags.list("--sizes", vec![100_000, 1_000_000, 10_000_000])?,
            dim: flags.get("--dim", 384)?,
            clusters: flags.get("--clusters", 1_000)?,
            spread: flags.get("--spread", 1.0)?,
            queries: flags.get("--queries", 300)?,
            warmup: flags.get("--warmup", 20)?,
            seed: flags.get("--seed", 42)?,
            build_threads: flags.get("--build-threads", 2)?,
            batch: flags.get("--batch", 10_000)?,
            data_dir: flags.get("--data-dir", root.join("target/bench-data/cost-curve"))?,
            report: flags.get("--report", root.join("target/bench-data/cost-curve.md"))?,
            systems: flags.list("--systems", vec!["raw".to_string(), "braid".to_string()])?,
            child: flags.value("--child")?,
            n: flags.get("--n", 0)?,
        };
        flags.done()?;
        if args.dim == 0 || args.clusters == 0 || args.queries == 0 || args.batch == 0 || args.build_threads == 0 {
            return Err("--dim, --clusters, --queries, --batch and --build-threads must be ≥ 1".into());
        }
        if args.sizes.iter().any(|&n| n < K) {
            return Err(format!("every size must be ≥ {K}").into());
        }
        Ok(args)
    }

    fn corpus(&self) -> Corpus {
        Corpus::new(self.dim, self.clusters, self.spread, self.seed)
    }

    fn config(&self) -> VectorConfig {
        VectorConfig::with_dimension(self.dim)
    }

    fn truth_path(&self, n: usize) -> PathBuf {
        self.data_dir.join(format!("truth-{n}.json"))
    }
}

fn main() -> ExitCode {
    let outcome = Args::parse().and_then(|args| match args.child.as_deref() {
        Some("raw") => child_raw(&args),
        Some("braid") => child_braid(&args),
        Some(other) => Err(format!("--child {other}: expected raw or braid").into()),
        None => parent(&args),
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cost-curve: {e}");
            ExitCode::FAILURE
        }
    }
}

fn log(message: &str) {
    eprintln!("[{}] {message}", load_average());
}

/// The queries: vectors, their clusters, and a text each.
fn queries(args: &Args, corpus: &Corpus) -> Vec<(Vec<f32>, String)> {
    (0..args.queries as u64)
        .map(|q| {
            let mut v = vec![0f32; args.dim];
            let cluster = corpus.vector(args.seed ^ QUERY_STREAM, q, &mut v);
            (v, corpus.query_text(q, cluster))
        })
        .collect()
}

/// The best `K` (score, row) pairs seen so far.
#[derive(Clone)]
struct TopK(Vec<(f32, u32)>);

impl TopK {
    fn push(&mut self, score: f32, row: u32) {
        if self.0.len() < K {
            self.0.push((score, row));
        } else if let Some(weakest) = self.0.iter_mut().min_by(|a, b| a.0.total_cmp(&b.0))
            && score > weakest.0
        {
            *weakest = (score, row);
        }
    }

    fn rows(mut self) -> Vec<u32> {
        self.0.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        self.0.into_iter().map(|(_, row)| row).collect()
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: f32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..16 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Exact top-K of every query, `[set][query]`: set 0 unfiltered, then one per tag filter.
fn ground_truth(args: &Args, corpus: &Corpus, n: usize) -> Result<Vec<Vec<Vec<u32>>>, Failure> {
    let queries = queries(args, corpus);
    let sets = 1 + FILTERS.len();
    let next = AtomicUsize::new(0);
    let partials: Mutex<Vec<Vec<TopK>>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..args.build_threads.max(1) {
            scope.spawn(|| {
                let mut tops = vec![TopK(Vec::new()); sets * queries.len()];
                let mut v = vec![0f32; args.dim];
                loop {
                    let start = next.fetch_add(4_096, Ordering::Relaxed);
                    if start >= n {
                        break;
                    }
                    for row in start..(start + 4_096).min(n) {
                        corpus.vector(args.seed, row as u64, &mut v);
                        let b = bucket(row as u64);
                        for (q, (query, _)) in queries.iter().enumerate() {
                            let score = dot(query, &v);
                            let top = &mut tops[q * sets..(q + 1) * sets];
                            top[0].push(score, row as u32);
                            for (f, (_, percent)) in FILTERS.iter().enumerate() {
                                if b < *percent {
                                    top[f + 1].push(score, row as u32);
                                }
                            }
                        }
                    }
                }
                partials.lock().unwrap_or_else(|e| e.into_inner()).push(tops);
            });
        }
    });
    let partials = partials.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut truth = vec![Vec::with_capacity(queries.len()); sets];
    for q in 0..queries.len() {
        for (set, out) in truth.iter_mut().enumerate() {
            let mut top = TopK(Vec::new());
            for partial in &partials {
                partial[q * sets + set].0.iter().for_each(|&(s, r)| top.push(s, r));
            }
            out.push(top.rows());
        }
    }
    Ok(truth)
}

fn recall(found: &[Vec<u32>], truth: &[Vec<u32>]) -> f64 {
    let per_query = found.iter().zip(truth).map(|(f, t)| {
        if t.is_empty() {
            return 1.0;
        }
        f.iter().take(K).filter(|r| t.contains(r)).count() as f64 / t.len() as f64
    });
    per_query.sum::<f64>() / truth.len().max(1) as f64
}

/// Warm-up, then each query once, single-threaded: latency (µs), QPS, recall against `truth`.
fn measure(
    args: &Args,
    queries: &[(Vec<f32>, String)],
    truth: Option<&[Vec<u32>]>,
    mut search: impl FnMut(&(Vec<f32>, String)) -> Result<Vec<u32>, Failure>,
) -> Result<Value, Failure> {
    for query in queries.iter().take(args.warmup) {
        search(query)?;
    }
    let started = Instant::now();
    let (latencies, results) = time_each(queries, |q| search(q));
    let wall = started.elapsed().as_secs_f64();
    let results = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    let stats = Stats::from_samples(&latencies);
    Ok(json!({
        "p50_us": stats.p50,
        "p99_us": stats.p99,
        "qps": results.len() as f64 / wall,
        "recall": truth.map(|t| recall(&results, t)),
    }))
}

/// Memory now, for growth figures.
struct Memory {
    rss: u64,
    anon: u64,
    file: u64,
    heap: u64,
}

impl Memory {
    fn now() -> Self {
        Memory { rss: rss_bytes(), anon: rss_anon_bytes(), file: rss_file_bytes(), heap: live_bytes() as u64 }
    }

    /// Growth since `self`, per item.
    fn per_item_since(&self, n: usize) -> Value {
        let now = Memory::now();
        let per = |after: u64, before: u64| after.saturating_sub(before) as f64 / n as f64;
        json!({
            "rss": per(now.rss, self.rss),
            "anon": per(now.anon, self.anon),
            "file": per(now.file, self.file),
            "heap": per(now.heap, self.heap),
        })
    }
}

fn usearch_options(config: &VectorConfig) -> IndexOptions {
    IndexOptions {
        dimensions: config.dimension,
        metric: MetricKind::Cos,
        quantization: ScalarKind::F16,
        connectivity: config.connectivity,
        expansion_add: config.expansion_add,
        expansion_search: config.expansion_search,
        multi: false,
    }
}

fn read_truth(args: &Args) -> Result<Vec<Vec<Vec<u32>>>, Failure> {
    let path = args.truth_path(args.n);
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_slice(&bytes)?)
}

fn child_raw(args: &Args) -> Result<(), Failure> {
    let (n, config, corpus) = (args.n, args.config(), args.corpus());
    let truth = read_truth(args)?;
    let queries = queries(args, &corpus);
    let options = usearch_options(&config);
    let before = Memory::now();
    let index = Index::new(&options)?;
    index.reserve_capacity_and_threads(n, args.build_threads + 1)?;
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<String>> = Mutex::new(None);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..args.build_threads {
            scope.spawn(|| {
                let mut v = vec![0f32; args.dim];
                loop {
                    let start = next.fetch_add(1_024, Ordering::Relaxed);
                    if start >= n {
                        break;
                    }
                    for row in start..(start + 1_024).min(n) {
                        corpus.vector(args.seed, row as u64, &mut v);
                        if let Err(e) = index.add(row as u64, &v) {
                            *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.to_string());
                            return;
                        }
                    }
                    if (start / 1_024).is_multiple_of(256) {
                        log(&format!("raw {n}: {start} added"));
                    }
                }
            });
        }
    });
    let build = started.elapsed().as_secs_f64();
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(format!("usearch add: {e}").into());
    }
    let memory = before.per_item_since(n);
    let index_bytes = index.memory_usage() as f64 / n as f64;
    std::fs::create_dir_all(&args.data_dir)?;
    let file = args.data_dir.join(format!("raw-{n}.usearch"));
    let path = file.to_str().ok_or("data dir is not UTF-8")?;
    let t = Instant::now();
    index.save(path)?;
    let save = t.elapsed().as_secs_f64();
    let disk = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) as f64 / n as f64;
    drop(index);
    let t = Instant::now();
    let index = Index::new(&options)?;
    index.reserve_capacity_and_threads(n, 2)?;
    index.load(path)?;
    let load = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&file);
    log(&format!("raw {n}: built in {build:.0} s, loaded in {load:.1} s"));
    let dense = measure(args, &queries, Some(&truth[0]), |(q, _)| {
        Ok(index.search(q, K)?.keys.into_iter().map(|k| k as u32).collect())
    })?;
    let mut filtered = serde_json::Map::new();
    for (f, (tag, percent)) in FILTERS.iter().enumerate() {
        let result = measure(args, &queries, Some(&truth[f + 1]), |(q, _)| {
            let matches = index.filtered_search(q, K, |key| bucket(key) < *percent)?;
            Ok(matches.keys.into_iter().map(|k| k as u32).collect())
        })?;
        filtered.insert((*tag).to_string(), result);
    }
    let report = json!({
        "system": "raw usearch",
        "n": n,
        "build_seconds": build,
        "memory": memory,
        "index_bytes": index_bytes,
        "disk_bytes": disk,
        "checkpoint_seconds": save,
        "restart_seconds": load,
        "dense": dense,
        "filtered": filtered,
    });
    println!("{report}");
    Ok(())
}

fn item(corpus: &Corpus, row: u64, cluster: u32) -> Item {
    let (title, text) = corpus.text(row, cluster);
    let b = bucket(row);
    Item {
        id: format!("v{row}"),
        modality: Modality::Text,
        kind: "document".into(),
        title,
        text,
        tags: FILTERS.iter().filter(|(_, p)| b < *p).map(|(tag, _)| (*tag).to_string()).collect(),
        entities: vec![],
        source: None,
    }
}

/// Every item into `store`, `--batch` at a time; returns the seconds inside `upsert_batch`.
fn upsert_all(args: &Args, corpus: &Corpus, store: &VectorStore, label: &str) -> Result<f64, Failure> {
    let mut seconds = 0.0;
    for start in (0..args.n).step_by(args.batch) {
        let end = (start + args.batch).min(args.n);
        let batch: Vec<(Item, Vec<f32>)> = (start..end)
            .map(|row| {
                let mut v = vec![0f32; args.dim];
                let cluster = corpus.vector(args.seed, row as u64, &mut v);
                (item(corpus, row as u64, cluster), v)
            })
            .collect();
        let t = Instant::now();
        store.upsert_batch(batch)?;
        seconds += t.elapsed().as_secs_f64();
        if (end / args.batch).is_multiple_of(10) {
            log(&format!("{label} {}: {end} upserted", args.n));
        }
    }
    Ok(seconds)
}

fn row_of(id: &str) -> Result<u32, Failure> {
    id.strip_prefix('v').and_then(|r| r.parse().ok()).ok_or_else(|| format!("unexpected hit id {id:?}").into())
}

fn child_braid(args: &Args) -> Result<(), Failure> {
    let (n, config, corpus) = (args.n, args.config(), args.corpus());
    let truth = read_truth(args)?;
    let queries = queries(args, &corpus);
    let dir = args.data_dir.join(format!("braid-{n}"));
    let _ = std::fs::remove_dir_all(&dir);
    let before = Memory::now();
    let store = VectorStore::in_dir(config.clone(), &dir)?;
    let build = upsert_all(args, &corpus, &store, "braid")?;
    let memory = before.per_item_since(n);
    let index_bytes = store.dense_memory_bytes() as f64 / n as f64;
    let lexical_disk = dir_bytes(&dir.join("lexical")) as f64 / n as f64;
    log(&format!("braid {n}: built in {build:.0} s"));
    let dense = measure(args, &queries, Some(&truth[0]), |(q, _)| {
        store.search(&SearchRequest::dense(q.clone(), K))?.iter().map(|h| row_of(&h.id)).collect()
    })?;
    let mut filtered = serde_json::Map::new();
    for (f, (tag, _)) in FILTERS.iter().enumerate() {
        let filter = Filter { tags: vec![(*tag).to_string()], ..Filter::default() };
        let result = measure(args, &queries, Some(&truth[f + 1]), |(q, _)| {
            let request = SearchRequest::dense(q.clone(), K).with_filter(filter.clone());
            store.search(&request)?.iter().map(|h| row_of(&h.id)).collect()
        })?;
        filtered.insert((*tag).to_string(), result);
    }
    let hybrid = measure(args, &queries, None, |(q, text)| {
        store.search(&SearchRequest::hybrid(text.clone(), q.clone(), K))?.iter().map(|h| row_of(&h.id)).collect()
    })?;
    let t = Instant::now();
    let info = store.checkpoint(&dir)?;
    let checkpoint = t.elapsed().as_secs_f64();
    drop(store);
    log(&format!("braid {n}: checkpoint of {} bytes in {checkpoint:.1} s; restarting", info.bytes));
    let t = Instant::now();
    let restored = VectorStore::from_checkpoint(config, &dir, OpenMode::Load)?.ok_or("the checkpoint is missing")?;
    upsert_all(args, &corpus, &restored, "replay")?;
    let stats = restored.finish_restore()?;
    let restart = t.elapsed().as_secs_f64();
    if stats.reused != n {
        return Err(format!("the restart reused {} of {n} items ({stats:?})", stats.reused).into());
    }
    let after_restart = measure(args, &queries, Some(&truth[0]), |(q, _)| {
        restored.search(&SearchRequest::dense(q.clone(), K))?.iter().map(|h| row_of(&h.id)).collect()
    })?;
    drop(restored);
    let _ = std::fs::remove_dir_all(&dir);
    let report = json!({
        "system": "Braid VectorStore",
        "n": n,
        "build_seconds": build,
        "memory": memory,
        "index_bytes": index_bytes,
        "disk_bytes": info.bytes as f64 / n as f64 + lexical_disk,
        "checkpoint_bytes": info.bytes as f64 / n as f64,
        "lexical_disk_bytes": lexical_disk,
        "checkpoint_seconds": checkpoint,
        "restart_seconds": restart,
        "dense": dense,
        "dense_after_restart": after_restart,
        "filtered": filtered,
        "hybrid": hybrid,
    });
    println!("{report}");
    Ok(())
}

fn parent(args: &Args) -> Result<(), Failure> {
    let started = Instant::now();
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let load_before = load_average();
    let corpus = args.corpus();
    std::fs::create_dir_all(&args.data_dir)?;
    let exe = std::env::current_exe()?;
    let mut results: Vec<Value> = Vec::new();
    for &n in &args.sizes {
        let t = Instant::now();
        let truth = ground_truth(args, &corpus, n)?;
        std::fs::write(args.truth_path(n), serde_json::to_vec(&truth)?)?;
        log(&format!("{n}: exact top-{K} in {:.1} s", t.elapsed().as_secs_f64()));
        for system in &args.systems {
            let output = Command::new(&exe)
                .args(["--child", system, "--n", &n.to_string()])
                .args(["--dim", &args.dim.to_string(), "--clusters", &args.clusters.to_string()])
                .args(["--spread", &args.spread.to_string(), "--queries", &args.queries.to_string()])
                .args(["--warmup", &args.warmup.to_string(), "--seed", &args.seed.to_string()])
                .args(["--build-threads", &args.build_threads.to_string(), "--batch", &args.batch.to_string()])
                .args(["--data-dir", &args.data_dir.to_string_lossy()])
                .stderr(Stdio::inherit())
                .output()?;
            if !output.status.success() {
                return Err(format!("the {system} child at {n} failed: {}", output.status).into());
            }
            let stdout = String::from_utf8_lossy(&output.stdout);
            let line = stdout.lines().rev().find(|l| l.starts_with('{')).ok_or("a child printed no JSON")?;
            results.push(serde_json::from_str(line)?);
        }
        let _ = std::fs::remove_file(args.truth_path(n));
    }
    let md = report(args, &results, &command, &load_before, started.elapsed().as_secs_f64())?;
    print!("{md}");
    std::io::stdout().flush()?;
    if let Some(dir) = args.report.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.report, &md)?;
    log(&format!("report written to {}", args.report.display()));
    Ok(())
}

fn f(v: &Value, path: &[&str]) -> f64 {
    path.iter().fold(v, |v, key| &v[*key]).as_f64().unwrap_or(f64::NAN)
}

fn report(args: &Args, results: &[Value], command: &str, load_before: &str, seconds: f64) -> Result<String, Failure> {
    let mut md = String::new();
    writeln!(md, "# Cost curve: Braid's vector store against raw usearch\n")?;
    writeln!(md, "- Command: `{command}`")?;
    writeln!(
        md,
        "- Data: {} dimensions, {} clusters (spread {}), seed {}; items with a 3-word title and a 16-word text; \
         {} queries, {} warm-up",
        args.dim, args.clusters, args.spread, args.seed, args.queries, args.warmup
    )?;
    writeln!(md, "- Machine: {}; load average before {load_before}, after {}", machine(), load_average())?;
    writeln!(md, "- Settings: f16, M 16, ef_add 128, ef 128 (Braid's defaults); total wall time {seconds:.0} s\n")?;
    let mut table = Table::new([
        "N",
        "system",
        "build (items/s)",
        "RSS / item (anon + file)",
        "disk / item",
        "start-up from checkpoint (s)",
        "from the items alone (s)",
        "p50 (µs)",
        "p99 (µs)",
        "QPS",
        "recall@10",
        "s1 p50 (µs) / recall",
        "s10 p50 (µs) / recall",
        "hybrid p50 / p99 (µs)",
    ])
    .right_aligned([0, 2, 4, 5, 6, 7, 8, 9, 10]);
    for r in results {
        let n = f(r, &["n"]);
        let filtered = |tag: &str| {
            format!("{:.0} / {:.3}", f(r, &["filtered", tag, "p50_us"]), f(r, &["filtered", tag, "recall"]))
        };
        table.row([
            format!("{n:.0}"),
            r["system"].as_str().unwrap_or("?").to_string(),
            format!("{:.0}", n / f(r, &["build_seconds"])),
            format!(
                "{:.0} B ({:.0} + {:.0})",
                f(r, &["memory", "rss"]),
                f(r, &["memory", "anon"]),
                f(r, &["memory", "file"])
            ),
            format!("{:.0} B", f(r, &["disk_bytes"])),
            format!("{:.1}", f(r, &["restart_seconds"])),
            format!("{:.1}", f(r, &["build_seconds"])),
            format!("{:.0}", f(r, &["dense", "p50_us"])),
            format!("{:.0}", f(r, &["dense", "p99_us"])),
            format!("{:.0}", f(r, &["dense", "qps"])),
            format!("{:.3}", f(r, &["dense", "recall"])),
            filtered("s1"),
            filtered("s10"),
            if r["hybrid"].is_null() {
                "—".to_string()
            } else {
                format!("{:.0} / {:.0}", f(r, &["hybrid", "p50_us"]), f(r, &["hybrid", "p99_us"]))
            },
        ]);
    }
    md.push_str(&table.to_markdown());
    writeln!(
        md,
        "\nStart-up from a checkpoint: raw usearch loads its saved file; Braid loads its checkpoint and replays every \
         item over it (the knowledge base's start-up). From the items alone: the build.\n"
    )?;
    writeln!(md, "## Braid's memory per item, by part\n")?;
    let mut parts = Table::new([
        "N",
        "HNSW index (usearch count)",
        "Rust heap (records, postings, tantivy)",
        "mapped lexical pages (RssFile)",
        "resident in all",
        "checkpoint on disk",
        "lexical index on disk",
    ])
    .right_aligned(0..7);
    for r in results.iter().filter(|r| r["system"].as_str().is_some_and(|s| s.starts_with("Braid"))) {
        parts.row([
            format!("{:.0}", f(r, &["n"])),
            format!("{:.0} B", f(r, &["index_bytes"])),
            format!("{:.0} B", f(r, &["memory", "heap"])),
            format!("{:.0} B", f(r, &["memory", "file"])),
            format!("{:.0} B", f(r, &["memory", "rss"])),
            format!("{:.0} B", f(r, &["checkpoint_bytes"])),
            format!("{:.0} B", f(r, &["lexical_disk_bytes"])),
        ]);
    }
    md.push_str(&parts.to_markdown());
    writeln!(md, "\n## Targets (issue 22)\n")?;
    for &n in &args.sizes {
        let find = |prefix: &str| {
            results
                .iter()
                .find(|r| f(r, &["n"]) as usize == n && r["system"].as_str().is_some_and(|s| s.starts_with(prefix)))
        };
        let (Some(raw), Some(braid)) = (find("raw"), find("Braid")) else { continue };
        let memory = f(braid, &["memory", "rss"]) / f(raw, &["memory", "rss"]);
        let speed = f(braid, &["dense", "qps"]) / f(raw, &["dense", "qps"]);
        let pass = |ok: bool| if ok { "PASS" } else { "FAIL" };
        writeln!(
            md,
            "- N = {n}: memory {memory:.2}× raw (≤ {MEMORY_TARGET}×: **{}**); QPS {speed:.2}× raw (≥ {QPS_TARGET}: **{}**)",
            pass(memory <= MEMORY_TARGET),
            pass(speed >= QPS_TARGET)
        )?;
    }
    Ok(md)
}
