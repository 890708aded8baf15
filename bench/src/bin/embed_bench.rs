//! MiniLM embedding throughput: candle ([`MiniLmEmbedder`]) next to sentence-transformers on
//! PyTorch, on the same sentences in the same run, plus the cosine between their vectors.
//!
//! ```text
//! cargo run --release -p braid-bench --bin embed-bench -- \
//!     --model-dir "$BRAID_MODEL_DIR" --sentences 1000 --batch-sizes 16,32,64 \
//!     --python target/ci-venv/bin/python
//! ```
//!
//! Sentences are the first N sentences of the demo atlas documents (realistic lengths,
//! 5–60 words, ≤ 32 tokens for most); `--words W` joins consecutive ones into texts of about
//! W words instead (180: a passage as Braid indexes long documents). `--queries Q` then
//! times Q single 10-word queries embedded one at a time (p50/p99), on both sides. `--python` runs `bench/scripts/st_throughput.py` for the PyTorch side;
//! leave it out to time candle only. Threads: candle uses `RAYON_NUM_THREADS` (default:
//! every core), PyTorch `--threads` (default 2). Each rate is the best of `--repeats`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use braid_bench::flags::Flags;
use braid_bench::{Table, read_jsonl};
use braid_vector::{Embedder, MiniLmEmbedder};

const DOCUMENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/atlas/documents.jsonl");
const ST_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/scripts/st_throughput.py");
const USAGE: &str = "usage: embed-bench [--model-dir DIR] [--sentences N] [--batch-sizes 16,32,64] [--python PATH] \
[--threads T] [--repeats R] [--words W] [--queries Q]";

type Failure = Box<dyn std::error::Error>;

struct Args {
    model_dir: PathBuf,
    sentences: usize,
    batch_sizes: Vec<usize>,
    python: Option<PathBuf>,
    threads: usize,
    repeats: usize,
    words: Option<usize>,
    queries: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut flags = Flags::from_env(USAGE);
    let args = Args {
        model_dir: flags
            .value("--model-dir")?
            .or_else(|| std::env::var_os("BRAID_MODEL_DIR").map(PathBuf::from))
            .ok_or("pass --model-dir or set BRAID_MODEL_DIR")?,
        sentences: flags.get("--sentences", 1000)?,
        batch_sizes: flags.list("--batch-sizes", vec![16, 32, 64])?,
        python: flags.value("--python")?,
        threads: flags.get("--threads", 2)?,
        repeats: flags.get("--repeats", 2)?,
        words: flags.value("--words")?,
        queries: flags.get("--queries", 0)?,
    };
    flags.done()?;
    Ok(args)
}

/// The first `n` sentences (5 to 60 words) of the atlas documents.
fn sentences(n: usize) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(n);
    for doc in read_jsonl::<serde_json::Value>(Path::new(DOCUMENTS))? {
        let body = doc["text"].as_str().unwrap_or_default();
        for s in body.split_inclusive(". ") {
            let words = s.split_whitespace().count();
            if (5..=60).contains(&words) {
                out.push(s.trim().to_string());
                if out.len() == n {
                    return Ok(out);
                }
            }
        }
    }
    Ok(out)
}

/// Consecutive sentences joined into texts of at least `words` words.
fn joined(sentences: &[String], words: usize, n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    let mut current = String::new();
    for s in sentences.iter().cycle().take(sentences.len() * 20) {
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(s);
        if current.split_whitespace().count() >= words {
            out.push(std::mem::take(&mut current));
            if out.len() == n {
                break;
            }
        }
    }
    out
}

/// p50 and p99 of `times`, in milliseconds.
fn percentiles(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize] * 1e3;
    (at(0.5), at(0.99))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("embed-bench: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("embed-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Failure> {
    let short = sentences(args.sentences.max(args.queries))?;
    let sentences = match args.words {
        Some(w) => joined(&short, w, args.sentences),
        None => short[..args.sentences.min(short.len())].to_vec(),
    };
    let queries: Vec<String> = short
        .iter()
        .filter(|s| s.split_whitespace().count() >= 10)
        .map(|s| s.split_whitespace().take(10).collect::<Vec<_>>().join(" "))
        .take(args.queries)
        .collect();
    let refs: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let words: usize = sentences.iter().map(|s| s.split_whitespace().count()).sum();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rayon = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| format!("{cores} (all cores)"));
    println!(
        "{} sentences, {:.1} words on average; {cores} cores; candle threads: {rayon}",
        sentences.len(),
        words as f64 / sentences.len() as f64
    );

    let load = || MiniLmEmbedder::from_dir(&args.model_dir).map_err(|e| format!("loading MiniLM: {e}"));
    let start = Instant::now();
    let model = load()?;
    println!("candle: model loaded in {:.2} s", start.elapsed().as_secs_f64());
    model.embed_texts(&refs[..refs.len().min(64)])?;

    let mut rows = Vec::new();
    let mut candle_vectors = Vec::new();
    for &batch in &args.batch_sizes {
        let m = load()?.with_batch_size(batch);
        let mut best = f64::MAX;
        for _ in 0..args.repeats.max(1) {
            let t = Instant::now();
            candle_vectors = m.embed_texts(&refs)?;
            best = best.min(t.elapsed().as_secs_f64());
        }
        let rate = sentences.len() as f64 / best;
        println!("candle batch {batch}: {rate:.1} sentences/s");
        rows.push((batch, rate));
    }

    let mut candle_latency = None;
    if !queries.is_empty() {
        let mut times = Vec::with_capacity(queries.len());
        for q in &queries {
            let t = Instant::now();
            model.embed_text(q)?;
            times.push(t.elapsed().as_secs_f64());
        }
        let (p50, p99) = percentiles(times);
        println!("candle single 10-word query: p50 {p50:.2} ms, p99 {p99:.2} ms over {} queries", queries.len());
        candle_latency = Some((p50, p99));
    }

    let Some(python) = &args.python else {
        println!("\n(no --python: PyTorch side skipped)");
        return Ok(());
    };
    let st = sentence_transformers(python, args, &sentences, &queries)?;
    let st_rates = st["runs"]
        .as_array()
        .ok_or("st_throughput.py: no runs")?
        .iter()
        .map(|r| r["sentences_per_second"].as_f64().ok_or("st_throughput.py: a run without sentences_per_second"))
        .collect::<Result<Vec<f64>, _>>()?;
    let st_vectors: Vec<Vec<f32>> = serde_json::from_value(st["vectors"].clone())?;
    let cosines: Vec<f32> = candle_vectors
        .iter()
        .zip(&st_vectors)
        .map(|(a, b)| {
            let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
            dot / nb
        })
        .collect();
    let min = cosines.iter().copied().fold(f32::MAX, f32::min);
    let mean = cosines.iter().sum::<f32>() / cosines.len() as f32;

    println!("\nPyTorch: {} with {} threads", st["engine"].as_str().unwrap_or("?"), st["threads"]);
    let mut table =
        Table::new(["batch", "candle (sentences/s)", "sentence-transformers (sentences/s)", "candle / PyTorch"])
            .right_aligned(0..4);
    for ((batch, candle), torch) in rows.iter().zip(&st_rates) {
        table.row([batch.to_string(), format!("{candle:.1}"), format!("{torch:.1}"), format!("{:.2}", candle / torch)]);
    }
    print!("{}", table.to_markdown());
    println!("\ncosine(candle, sentence-transformers) over {} sentences: min {min:.6}, mean {mean:.6}", cosines.len());
    if let (Some((p50, p99)), Some(st_p50), Some(st_p99)) =
        (candle_latency, st["query_p50_ms"].as_f64(), st["query_p99_ms"].as_f64())
    {
        println!("\n| single 10-word query | p50 | p99 |");
        println!("|---|---:|---:|");
        println!("| candle | {p50:.2} ms | {p99:.2} ms |");
        println!("| sentence-transformers | {st_p50:.2} ms | {st_p99:.2} ms |");
    }
    Ok(())
}

/// Runs `bench/scripts/st_throughput.py` on the same sentences and batch sizes; its JSON
/// report (rates, engine, threads, the last batch's vectors).
fn sentence_transformers(
    python: &Path,
    args: &Args,
    sentences: &[String],
    queries: &[String],
) -> Result<serde_json::Value, Failure> {
    let dir = tempfile::tempdir()?;
    let input = dir.path().join("sentences.json");
    let output = dir.path().join("st.json");
    std::fs::write(&input, serde_json::to_vec(sentences)?)?;
    let query_file = dir.path().join("queries.json");
    std::fs::write(&query_file, serde_json::to_vec(queries)?)?;
    let batch_list = args.batch_sizes.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(",");
    let status = Command::new(python)
        .arg(ST_SCRIPT)
        .args(["--model".as_ref(), args.model_dir.as_os_str()])
        .args(["--sentences".as_ref(), input.as_os_str()])
        .args(["--out".as_ref(), output.as_os_str()])
        .args(["--batch-sizes", &batch_list, "--threads", &args.threads.to_string()])
        .args(["--repeats", &args.repeats.to_string()])
        .args(["--queries".as_ref(), query_file.as_os_str()])
        .status()
        .map_err(|e| format!("{}: {e}", python.display()))?;
    if !status.success() {
        return Err(format!("st_throughput.py failed: {status}").into());
    }
    let report = std::fs::read(&output).map_err(|e| format!("{}: {e}", output.display()))?;
    Ok(serde_json::from_slice(&report)?)
}
