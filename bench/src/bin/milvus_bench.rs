//! The same vectors and queries through the embedded usearch backend and the Milvus backend:
//! load time, dense recall@10 against exact search, QPS and p50/p99 latency (dense and hybrid),
//! and the top-10 overlap of the two backends in hybrid mode.
//!
//! ```text
//! BRAID_MILVUS_URI=http://127.0.0.1:19530 \
//!   cargo run --release -p braid-bench --features milvus --bin milvus-bench -- [--synthetic N] [--queries Q]
//! ```
//!
//! Data: the demo atlas (4,567 documents + 602 images) embedded with the hashing embedder
//! (384 dimensions), or with `--synthetic N` N clustered random unit vectors of 384
//! dimensions with short random texts. Queries: Q atlas titles (or perturbed data vectors).
//! Searches run one at a time from one thread, so QPS is 1 / mean latency.

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use braid_bench::flags::Flags;
use braid_bench::{Rng, Stats, Table, time_each};
use braid_vector::{
    Embedder, HashingEmbedder, Item, MilvusBackend, MilvusConfig, Modality, SearchRequest, VectorBackend, VectorConfig,
    VectorStore,
};

const DOCUMENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/atlas/documents.jsonl");
const IMAGES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/atlas/images.jsonl");
const K: usize = 10;
const USAGE: &str = "usage: milvus-bench [--synthetic N] [--queries Q]   (server: BRAID_MILVUS_URI)";

type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("milvus-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Failure> {
    let mut flags = Flags::from_env(USAGE);
    let synthetic: usize = flags.get("--synthetic", 0)?;
    let n_queries: usize = flags.get("--queries", 200)?;
    flags.done()?;
    let uri = std::env::var("BRAID_MILVUS_URI").unwrap_or_else(|_| braid_vector::DEFAULT_MILVUS_URI.into());

    let embedder = HashingEmbedder::default();
    let dim = embedder.dimension();
    let (items, queries) =
        if synthetic > 0 { synthetic_data(synthetic, n_queries, dim) } else { atlas(&embedder, n_queries)? };
    println!("data: {} items, {} queries, dimension {dim}", items.len(), queries.len());

    let usearch = VectorStore::in_memory(VectorConfig::with_dimension(dim))?;
    let mut config = MilvusConfig::new(uri.clone(), dim);
    config.collection_prefix = "braid_bench".into();
    config.timeout = Duration::from_secs(120);
    let milvus = MilvusBackend::new(config.clone())?;
    milvus.drop_collections()?;
    let milvus = MilvusBackend::connect(config)?;

    let backends: [(&str, &dyn VectorBackend); 2] = [("usearch", &usearch), ("milvus", &milvus)];
    for (name, backend) in backends {
        let started = Instant::now();
        for chunk in items.chunks(2_000) {
            backend.upsert_batch(chunk.to_vec())?;
        }
        if name == "milvus" {
            // Seal the load so Milvus builds its indexes, as Braid's start-up sync does.
            milvus.flush()?;
        }
        let took = started.elapsed();
        println!("{name:>8} load: {:.2}s ({:.0} items/s)", took.as_secs_f64(), items.len() as f64 / took.as_secs_f64());
    }

    // Exact top-10 by cosine, the reference for recall.
    let exact: Vec<Vec<String>> = queries.iter().map(|(_, q)| exact_top(&items, q)).collect();
    let mut table = Table::new(["backend", "mode", "recall@10", "QPS", "p50 ms", "p99 ms"]).right_aligned([2, 3, 4, 5]);
    let mut hybrid_tops: Vec<Vec<Vec<String>>> = Vec::new();
    for (name, backend) in backends {
        // Warm-up (connections, caches).
        for (text, q) in queries.iter().take(5) {
            backend.search(&SearchRequest::hybrid(text.clone(), q.clone(), K))?;
        }
        let (dense_tops, lat) = search_all(backend, &queries, |_, q| SearchRequest::dense(q.to_vec(), K))?;
        let recall = dense_tops
            .iter()
            .zip(&exact)
            .map(|(got, want)| {
                let want: HashSet<&String> = want.iter().collect();
                got.iter().filter(|id| want.contains(id)).count() as f64 / want.len().max(1) as f64
            })
            .sum::<f64>()
            / queries.len() as f64;
        report(&mut table, name, "dense", Some(recall), &lat);
        let (tops, lat) = search_all(backend, &queries, |t, q| SearchRequest::hybrid(t.to_string(), q.to_vec(), K))?;
        report(&mut table, name, "hybrid", None, &lat);
        hybrid_tops.push(tops);
    }
    let overlap = hybrid_tops[0]
        .iter()
        .zip(&hybrid_tops[1])
        .map(|(a, b)| {
            let a: HashSet<&String> = a.iter().collect();
            b.iter().filter(|id| a.contains(id)).count() as f64 / a.len().max(1) as f64
        })
        .sum::<f64>()
        / queries.len() as f64;
    println!();
    print!("{}", table.to_markdown());
    println!();
    println!("hybrid top-10 overlap usearch vs milvus: {overlap:.3}");
    milvus.drop_collections()?;
    Ok(())
}

type Tops = Vec<Vec<String>>;
/// Items with their vectors.
type Corpus = Vec<(Item, Vec<f32>)>;
/// Query texts with their vectors.
type Queries = Vec<(String, Vec<f32>)>;

/// Each query's top-`K` ids through `backend`, and each search's latency in µs (the
/// request is built before the clock starts).
fn search_all(
    backend: &dyn VectorBackend,
    queries: &[(String, Vec<f32>)],
    request: impl Fn(&str, &[f32]) -> SearchRequest,
) -> Result<(Tops, Vec<f64>), braid_vector::VectorError> {
    let requests: Vec<SearchRequest> = queries.iter().map(|(text, q)| request(text, q)).collect();
    let (lat, hits) = time_each(&requests, |req| backend.search(req));
    let mut tops = Tops::with_capacity(hits.len());
    for found in hits {
        tops.push(found?.into_iter().map(|h| h.id).collect());
    }
    Ok((tops, lat))
}

/// One table row: recall, QPS (one query at a time, so 1 / mean latency), p50 and p99 in ms.
fn report(table: &mut Table, name: &str, mode: &str, recall: Option<f64>, lat_us: &[f64]) {
    let ms = Stats::from_samples(&lat_us.iter().map(|us| us / 1e3).collect::<Vec<_>>());
    table.row([
        name.to_string(),
        mode.to_string(),
        recall.map_or("–".to_string(), |r| format!("{r:.3}")),
        format!("{:.0}", 1e3 / ms.mean),
        format!("{:.2}", ms.p50),
        format!("{:.2}", ms.p99),
    ]);
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(f32::MIN_POSITIVE)
}

fn exact_top(items: &[(Item, Vec<f32>)], q: &[f32]) -> Vec<String> {
    let mut scored: Vec<(f32, &str)> = items.iter().map(|(it, v)| (cosine(q, v), it.id.as_str())).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.into_iter().take(K).map(|(_, id)| id.to_string()).collect()
}

fn atlas(embedder: &HashingEmbedder, n_queries: usize) -> Result<(Corpus, Queries), Failure> {
    let mut items = Vec::new();
    for line in std::fs::read_to_string(DOCUMENTS)?.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        items.push(Item {
            id: s("id"),
            modality: Modality::Text,
            kind: "document".into(),
            title: s("title"),
            text: s("text"),
            tags: vec![],
            entities: vec![],
            source: None,
        });
    }
    for line in std::fs::read_to_string(IMAGES)?.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let tags: Vec<String> = v["tags"]
            .as_array()
            .map(|a| a.iter().filter_map(|t| t.as_str().map(String::from)).collect())
            .unwrap_or_default();
        let caption = v["caption"].as_str().unwrap_or_default().to_string();
        items.push(Item {
            id: v["id"].as_str().unwrap_or_default().to_string(),
            modality: Modality::Image,
            kind: "image".into(),
            text: format!("{caption} {}", tags.join(" ")),
            title: caption,
            tags,
            entities: vec![],
            source: None,
        });
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let v = embedder.embed_text(&format!("{}\n{}", item.title, item.text))?;
        out.push((item, v));
    }
    // Queries: every (len / n)-th title, a realistic short text query.
    let step = (out.len() / n_queries.max(1)).max(1);
    let mut queries = Vec::new();
    for (item, _) in out.iter().step_by(step).take(n_queries) {
        queries.push((item.title.clone(), embedder.embed_text(&item.title)?));
    }
    Ok((out, queries))
}

/// Uniform in (−1, 1], the noise of the synthetic vectors.
fn signed_unit(rng: &mut Rng) -> f32 {
    (2.0 * rng.unit() - 1.0) as f32
}

/// `n` vectors around 64 uniform random centres with 8-word texts from a 12-word
/// vocabulary, and `n_queries` perturbed data vectors; the same for every run.
fn synthetic_data(n: usize, n_queries: usize, dim: usize) -> (Corpus, Queries) {
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    let words =
        ["alpha", "beta", "gamma", "delta", "river", "mountain", "city", "flag", "bird", "music", "paint", "stone"];
    let centers: Vec<Vec<f32>> = (0..64).map(|_| (0..dim).map(|_| signed_unit(&mut rng)).collect()).collect();
    let mut items = Vec::with_capacity(n);
    for i in 0..n {
        let c = rng.pick(&centers);
        let v: Vec<f32> = c.iter().map(|x| x + 0.6 * signed_unit(&mut rng)).collect();
        let text: Vec<&str> = (0..8).map(|_| *rng.pick(&words)).collect();
        let item = Item {
            id: format!("syn:{i}"),
            modality: if i % 8 == 0 { Modality::Image } else { Modality::Text },
            kind: if i % 8 == 0 { "image".into() } else { "document".into() },
            title: format!("item {i}"),
            text: text.join(" "),
            tags: vec![],
            entities: vec![],
            source: None,
        };
        items.push((item, v));
    }
    let queries = (0..n_queries)
        .map(|j| {
            let (item, v) = &items[(j * 7919) % n];
            let q: Vec<f32> = v.iter().map(|x| x + 0.3 * signed_unit(&mut rng)).collect();
            (item.text.split(' ').take(2).collect::<Vec<_>>().join(" "), q)
        })
        .collect();
    (items, queries)
}
