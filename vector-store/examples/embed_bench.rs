//! MiniLM embedding throughput: candle ([`MiniLmEmbedder`]) next to sentence-transformers on
//! PyTorch, on the same sentences in the same run, plus the cosine between their vectors.
//!
//! ```text
//! cargo run --release -p braid-vector --example embed_bench -- \
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

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use braid_vector::{Embedder, MiniLmEmbedder};

const DOCUMENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/atlas/documents.jsonl");
const ST_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../bench/scripts/st_throughput.py");

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
    let mut args = Args {
        model_dir: std::env::var_os("BRAID_MODEL_DIR").map(PathBuf::from).unwrap_or_default(),
        sentences: 1000,
        batch_sizes: vec![16, 32, 64],
        python: None,
        threads: 2,
        repeats: 2,
        words: None,
        queries: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--model-dir" => args.model_dir = PathBuf::from(value()?),
            "--sentences" => args.sentences = value()?.parse().map_err(|e| format!("--sentences: {e}"))?,
            "--batch-sizes" => {
                args.batch_sizes = value()?
                    .split(',')
                    .map(|b| b.trim().parse::<usize>().map_err(|e| format!("--batch-sizes: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--python" => args.python = Some(PathBuf::from(value()?)),
            "--threads" => args.threads = value()?.parse().map_err(|e| format!("--threads: {e}"))?,
            "--repeats" => args.repeats = value()?.parse().map_err(|e| format!("--repeats: {e}"))?,
            "--words" => args.words = Some(value()?.parse().map_err(|e| format!("--words: {e}"))?),
            "--queries" => args.queries = value()?.parse().map_err(|e| format!("--queries: {e}"))?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if args.model_dir.as_os_str().is_empty() {
        return Err("pass --model-dir or set BRAID_MODEL_DIR".into());
    }
    Ok(args)
}

/// The first `n` sentences (5 to 60 words) of the atlas documents.
fn sentences(n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(DOCUMENTS).expect("reading the atlas documents");
    let mut out = Vec::with_capacity(n);
    for line in text.lines() {
        let doc: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let body = doc["text"].as_str().unwrap_or_default();
        for s in body.split_inclusive(". ") {
            let words = s.split_whitespace().count();
            if (5..=60).contains(&words) {
                out.push(s.trim().to_string());
                if out.len() == n {
                    return out;
                }
            }
        }
    }
    out
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

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("embed_bench: {e}");
        std::process::exit(2)
    });
    let short = sentences(args.sentences.max(args.queries));
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

    let start = Instant::now();
    let model = MiniLmEmbedder::from_dir(&args.model_dir).expect("loading MiniLM");
    println!("candle: model loaded in {:.2} s", start.elapsed().as_secs_f64());
    model.embed_texts(&refs[..refs.len().min(64)]).expect("warm-up");

    let mut rows = Vec::new();
    let mut candle_vectors = Vec::new();
    for &batch in &args.batch_sizes {
        let m = MiniLmEmbedder::from_dir(&args.model_dir).expect("loading MiniLM").with_batch_size(batch);
        let mut best = f64::MAX;
        for _ in 0..args.repeats.max(1) {
            let t = Instant::now();
            candle_vectors = m.embed_texts(&refs).expect("embedding");
            best = best.min(t.elapsed().as_secs_f64());
        }
        let rate = sentences.len() as f64 / best;
        println!("candle batch {batch}: {rate:.1} sentences/s");
        rows.push((batch, rate));
    }

    let mut candle_latency = None;
    if !queries.is_empty() {
        let times: Vec<f64> = queries
            .iter()
            .map(|q| {
                let t = Instant::now();
                model.embed_text(q).expect("embedding a query");
                t.elapsed().as_secs_f64()
            })
            .collect();
        let (p50, p99) = percentiles(times);
        println!("candle single 10-word query: p50 {p50:.2} ms, p99 {p99:.2} ms over {} queries", queries.len());
        candle_latency = Some((p50, p99));
    }

    let Some(python) = args.python else {
        println!("\n(no --python: PyTorch side skipped)");
        return;
    };
    let dir = std::env::temp_dir().join(format!("embed-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let input = dir.join("sentences.json");
    let output = dir.join("st.json");
    std::fs::write(&input, serde_json::to_vec(&sentences).unwrap()).unwrap();
    let query_file = dir.join("queries.json");
    std::fs::write(&query_file, serde_json::to_vec(&queries).unwrap()).unwrap();
    let batch_list = args.batch_sizes.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(",");
    let status = Command::new(&python)
        .arg(ST_SCRIPT)
        .args(["--model".as_ref(), args.model_dir.as_os_str()])
        .args(["--sentences".as_ref(), input.as_os_str()])
        .args(["--out".as_ref(), output.as_os_str()])
        .args(["--batch-sizes", &batch_list, "--threads", &args.threads.to_string()])
        .args(["--repeats", &args.repeats.to_string()])
        .args(["--queries".as_ref(), query_file.as_os_str()])
        .status()
        .expect("running the sentence-transformers script");
    assert!(status.success(), "st_throughput.py failed");
    let st: serde_json::Value = serde_json::from_slice(&std::fs::read(&output).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    let st_rates: Vec<f64> =
        st["runs"].as_array().unwrap().iter().map(|r| r["sentences_per_second"].as_f64().unwrap()).collect();
    let st_vectors: Vec<Vec<f32>> = serde_json::from_value(st["vectors"].clone()).unwrap();
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
    println!("| batch | candle (sentences/s) | sentence-transformers (sentences/s) | candle / PyTorch |");
    println!("|---:|---:|---:|---:|");
    for ((batch, candle), torch) in rows.iter().zip(&st_rates) {
        println!("| {batch} | {candle:.1} | {torch:.1} | {:.2} |", candle / torch);
    }
    println!("\ncosine(candle, sentence-transformers) over {} sentences: min {min:.6}, mean {mean:.6}", cosines.len());
    if let (Some((p50, p99)), Some(st_p50), Some(st_p99)) =
        (candle_latency, st["query_p50_ms"].as_f64(), st["query_p99_ms"].as_f64())
    {
        println!("\n| single 10-word query | p50 | p99 |");
        println!("|---|---:|---:|");
        println!("| candle | {p50:.2} ms | {p99:.2} ms |");
        println!("| sentence-transformers | {st_p50:.2} ms | {st_p99:.2} ms |");
    }
}
