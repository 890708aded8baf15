//! Retrieval quality on Cranfield: nDCG@10 and recall@100 for BM25 alone, dense alone and
//! the hybrid, through [`VectorStore`]'s public API, plus the fusions a hybrid could use.
//!
//! ```text
//! cargo run --release -p braid-bench --bin cranfield-bench -- --embedder minilm --model-dir "$BRAID_MODEL_DIR"
//! cargo run --release -p braid-bench --bin cranfield-bench -- --embedder hash
//! ```
//!
//! The collection is `examples/data/cranfield` (1,400 abstracts, 225 queries, graded
//! judgements: grade 1 is the most relevant, 4 the least; gain = 5 − grade, as in the
//! acceptance check). Documents are indexed as Braid indexes them: title and text embedded
//! together, BM25 over title and text. Hybrid rows:
//! - `hybrid (store)`: the store's own [`SearchMode::Hybrid`] (relative-score fusion of
//!   whole documents; Braid's vector route also fuses passages by document and adds dense
//!   feedback, see `braid_kb::sources`);
//! - `RRF k=…` / `relative score` / `DBSF`: the same two top-`depth` lists fused here,
//!   to say which fusion wins. No weight is tuned on these queries (α = 0.5 throughout).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use braid_bench::flags::Flags;
use braid_bench::{Table, mean_ci95, read_jsonl};
use braid_vector::{
    Embedder, HashingEmbedder, Item, MiniLmEmbedder, Modality, SearchRequest, VectorConfig, VectorHit, VectorStore,
};

const CRANFIELD: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/cranfield");

const USAGE: &str = "usage: cranfield-bench [--embedder hash|minilm] [--model-dir DIR] [--depth N]";

type Failure = Box<dyn std::error::Error>;

/// One file of the collection, each line as JSON.
fn collection(name: &str) -> Result<Vec<serde_json::Value>, String> {
    read_jsonl(&Path::new(CRANFIELD).join(name))
}

fn field(v: &serde_json::Value, key: &str) -> String {
    match &v[key] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// nDCG@10 with gain 2^(5 − grade) − 1 (Cranfield grade 1 = most relevant).
fn ndcg10(ranked: &[String], judged: &HashMap<String, i64>) -> f64 {
    let gain = |grade: i64| 2f64.powi((5 - grade) as i32) - 1.0;
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, d)| judged.get(d).map_or(0.0, |&g| gain(g)) / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<f64> = judged.values().map(|&g| gain(g)).collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let idcg: f64 = ideal.iter().take(10).enumerate().map(|(i, g)| g / ((i + 2) as f64).log2()).sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

fn recall100(ranked: &[String], judged: &HashMap<String, i64>) -> f64 {
    let found = ranked.iter().take(100).filter(|d| judged.contains_key(*d)).count();
    found as f64 / judged.len().max(1) as f64
}

/// Fuses two ranked lists of `(id, score)` with a per-list score transform and a sum.
fn fuse(lists: [&[(String, f32)]; 2], transform: impl Fn(&[(String, f32)]) -> Vec<f64>) -> Vec<String> {
    let mut total: HashMap<&str, f64> = HashMap::new();
    for list in lists {
        for ((id, _), s) in list.iter().zip(transform(list)) {
            *total.entry(id.as_str()).or_default() += 0.5 * s;
        }
    }
    let mut ranked: Vec<(&str, f64)> = total.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    ranked.into_iter().map(|(id, _)| id.to_string()).collect()
}

fn rrf(k: f64) -> impl Fn(&[(String, f32)]) -> Vec<f64> {
    move |list| (0..list.len()).map(|rank| 1.0 / (k + rank as f64 + 1.0)).collect()
}

/// Min–max scaling of the scores to [0, 1] (Weaviate's "relative score fusion").
fn relative(list: &[(String, f32)]) -> Vec<f64> {
    let (lo, hi) = list.iter().fold((f64::MAX, f64::MIN), |(lo, hi), (_, s)| (lo.min(*s as f64), hi.max(*s as f64)));
    list.iter().map(|(_, s)| if hi > lo { (*s as f64 - lo) / (hi - lo) } else { 1.0 }).collect()
}

/// Distribution-based score fusion: scale by mean ± 3 standard deviations of the list.
fn dbsf(list: &[(String, f32)]) -> Vec<f64> {
    let n = list.len().max(1) as f64;
    let mean = list.iter().map(|(_, s)| *s as f64).sum::<f64>() / n;
    let sd = (list.iter().map(|(_, s)| (*s as f64 - mean).powi(2)).sum::<f64>() / n).sqrt();
    let (lo, hi) = (mean - 3.0 * sd, mean + 3.0 * sd);
    list.iter().map(|(_, s)| if hi > lo { ((*s as f64 - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 1.0 }).collect()
}

fn ids(hits: &[VectorHit]) -> Vec<String> {
    hits.iter().map(|h| h.id.clone()).collect()
}

fn scored(hits: &[VectorHit]) -> Vec<(String, f32)> {
    hits.iter().map(|h| (h.id.clone(), h.score)).collect()
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cranfield-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Failure> {
    let mut flags = Flags::from_env(USAGE);
    let embedder_name: String = flags.get("--embedder", "minilm".to_string())?;
    let model_dir =
        flags.value::<PathBuf>("--model-dir")?.or_else(|| std::env::var_os("BRAID_MODEL_DIR").map(PathBuf::from));
    let depth: usize = flags.get("--depth", 100)?;
    flags.done()?;
    let embedder: Box<dyn Embedder> = match embedder_name.as_str() {
        "hash" => Box::new(HashingEmbedder::new(384)),
        "minilm" => {
            let dir = model_dir.ok_or("--embedder minilm needs --model-dir or BRAID_MODEL_DIR")?;
            Box::new(MiniLmEmbedder::from_dir(&dir)?)
        }
        other => return Err(format!("unknown embedder {other}: expected hash or minilm").into()),
    };

    // Braid refuses documents without text, as ingest would (Cranfield has a few).
    let all_docs = collection("docs.jsonl")?;
    let docs: Vec<serde_json::Value> =
        all_docs.iter().filter(|d| !field(d, "text").trim().is_empty()).cloned().collect();
    let skipped = all_docs.len() - docs.len();
    let queries = collection("queries.jsonl")?;
    let mut qrels: HashMap<String, HashMap<String, i64>> = HashMap::new();
    for q in collection("qrels.jsonl")? {
        qrels.entry(field(&q, "qid")).or_default().insert(field(&q, "doc"), q["grade"].as_i64().unwrap_or(4));
    }

    let store = VectorStore::in_memory(VectorConfig::with_dimension(embedder.dimension()))?;
    let started = Instant::now();
    let texts: Vec<String> = docs.iter().map(|d| format!("{}\n{}", field(d, "title"), field(d, "text"))).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = embedder.embed_texts(&refs)?;
    let embed_secs = started.elapsed().as_secs_f64();
    let batch: Vec<(Item, Vec<f32>)> = docs
        .iter()
        .zip(vectors)
        .map(|(d, v)| {
            let item = Item {
                id: field(d, "id"),
                modality: Modality::Text,
                kind: "document".into(),
                title: field(d, "title"),
                text: field(d, "text"),
                tags: Vec::new(),
                entities: Vec::new(),
                source: None,
            };
            (item, v)
        })
        .collect();
    store.upsert_batch(batch)?;
    eprintln!("indexed {} documents with {} in {embed_secs:.1}s (embedding)", docs.len(), embedder.name());

    let runs = [
        "BM25 alone",
        "dense alone",
        "hybrid (store, relative score)",
        "RRF k=60 (here)",
        "RRF k=20",
        "relative score (min-max)",
        "DBSF (mean ± 3σ)",
    ];
    let mut ndcg = vec![Vec::new(); runs.len()];
    let mut recall = vec![Vec::new(); runs.len()];
    let started = Instant::now();
    for q in &queries {
        let Some(judged) = qrels.get(&field(q, "qid")) else { continue };
        let text = field(q, "text");
        let vector = embedder.embed_text(&text)?;
        let lexical = store.search(&SearchRequest::lexical(text.clone(), depth))?;
        let dense = store.search(&SearchRequest::dense(vector.clone(), depth))?;
        let hybrid = store.search(&SearchRequest::hybrid(text, vector, depth))?;
        let (l, d) = (scored(&lexical), scored(&dense));
        let rankings = [
            ids(&lexical),
            ids(&dense),
            ids(&hybrid),
            fuse([&l, &d], rrf(60.0)),
            fuse([&l, &d], rrf(20.0)),
            fuse([&l, &d], relative),
            fuse([&l, &d], dbsf),
        ];
        for (i, ranked) in rankings.iter().enumerate() {
            ndcg[i].push(ndcg10(ranked, judged));
            recall[i].push(recall100(ranked, judged));
        }
    }
    let query_secs = started.elapsed().as_secs_f64();
    let n = ndcg[0].len();
    println!(
        "Cranfield, {} documents ({skipped} without text skipped), {n} judged queries, embedder {}, depth {depth}:",
        docs.len(),
        embedder.name()
    );
    let mut table = Table::new(["ranking", "nDCG@10", "± 95% CI", "recall@100"]).right_aligned(1..4);
    for (i, name) in runs.iter().enumerate() {
        let (mean, ci) = mean_ci95(&ndcg[i]);
        let (r, _) = mean_ci95(&recall[i]);
        table.row([name.to_string(), format!("{mean:.4}"), format!("{ci:.4}"), format!("{r:.4}")]);
    }
    println!();
    print!("{}", table.to_markdown());
    println!();
    println!(
        "Embedding {} documents: {embed_secs:.1}s; {n} queries × 3 searches + query embedding: {query_secs:.1}s.",
        docs.len()
    );
    Ok(())
}
