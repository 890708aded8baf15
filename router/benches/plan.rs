//! Planning latency: `Introspector::introspect` + `RoutePolicy::plan`, without embedding
//! (no linker, the atlas graph's real linker), then with exemplar similarity, which embeds
//! the query: the hashing embedder, and MiniLM when `BRAID_MODEL_DIR` names its folder.
//! Run with `cargo bench -p braid-router --bench plan` (release); prints a markdown table.

#[path = "../examples/common/atlas_linker.rs"]
mod atlas_linker;

use std::hint::black_box;
use std::time::{Duration, Instant};

use std::sync::Arc;

use braid_router::train::LabelledQuery;
use braid_router::{Availability, EntityLinker, Exemplars, Introspector, NoLinker, QueryEmbedder, RoutePolicy};
use braid_vector::Embedder;

/// A braid-vector embedder as the router's query embedder.
struct Embed(Box<dyn Embedder>);

impl QueryEmbedder for Embed {
    fn embed(&self, text: &str) -> Option<Vec<f32>> {
        self.0.embed_text(text).ok()
    }
}

/// Timed passes over the query set (after one warm-up pass).
const PASSES: usize = 20;

fn main() {
    let queries = bench_queries();
    let atlas = atlas_linker::AtlasLinker::load(&atlas_linker::atlas_dir());
    let introspector = Introspector::new();
    let policy = RoutePolicy::default();
    let availability = Availability::all();

    println!("Planning latency over {} queries × {PASSES} passes (introspect + plan)\n", queries.len());
    println!("| linker | p50 | p90 | p99 | p50 best-of-{PASSES} | p99 best-of-{PASSES} |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut embedders: Vec<(&str, Box<dyn Embedder>)> =
        vec![("atlas + hashing-embedder exemplars", Box::new(braid_vector::HashingEmbedder::new(384)))];
    match std::env::var_os("BRAID_MODEL_DIR").map(braid_vector::MiniLmEmbedder::from_dir) {
        Some(Ok(m)) => embedders.push(("atlas + MiniLM exemplars", Box::new(m))),
        Some(Err(e)) => eprintln!("MiniLM row skipped: {e}"),
        None => eprintln!("MiniLM row skipped: set BRAID_MODEL_DIR"),
    }
    let mut rows: Vec<(&str, &dyn EntityLinker, Introspector)> = vec![
        ("none (NoLinker)", &NoLinker, introspector.clone()),
        ("atlas graph (2,278 entities)", &atlas, introspector.clone()),
    ];
    for (name, embedder) in embedders {
        let exemplars = Arc::new(Exemplars::shipped(Arc::new(Embed(embedder))));
        rows.push((name, &atlas, Introspector::new().with_exemplars(exemplars)));
    }
    for (name, linker, introspector) in &rows {
        let (name, linker) = (*name, *linker);
        // per_query[q][pass]: on a shared machine single samples include time the thread was
        // descheduled, so the per-query best of all passes is reported next to the raw samples.
        let mut per_query: Vec<Vec<Duration>> = vec![Vec::with_capacity(PASSES); queries.len()];
        for pass in 0..=PASSES {
            for (q, times) in queries.iter().zip(per_query.iter_mut()) {
                let start = Instant::now();
                let features = introspector.introspect(black_box(q), linker, false);
                let plan = policy.plan(&features, &availability, None);
                let elapsed = start.elapsed();
                black_box(plan);
                if pass > 0 {
                    times.push(elapsed);
                }
            }
        }
        let mut all: Vec<Duration> = per_query.iter().flatten().copied().collect();
        let mut best: Vec<Duration> = per_query.iter().filter_map(|t| t.iter().min().copied()).collect();
        println!(
            "| {name} | {} | {} | {} | {} | {} |",
            micros(percentile(&mut all, 0.50)),
            micros(percentile(&mut all, 0.90)),
            micros(percentile(&mut all, 0.99)),
            micros(percentile(&mut best, 0.50)),
            micros(percentile(&mut best, 0.99)),
        );
    }
    breakdown(&queries, &atlas, &introspector, &policy);
}

/// Best-of-passes p50 of `work` over `queries`, for breaking the latency down.
fn best_p50(queries: &[String], work: &dyn Fn(&str)) -> Duration {
    let mut best: Vec<Duration> = queries
        .iter()
        .map(|q| {
            (0..PASSES)
                .map(|_| {
                    let start = Instant::now();
                    work(black_box(q));
                    start.elapsed()
                })
                .min()
                .unwrap_or_default()
        })
        .collect();
    percentile(&mut best, 0.5)
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn breakdown(queries: &[String], linker: &dyn EntityLinker, introspector: &Introspector, policy: &RoutePolicy) {
    let availability = Availability::all();
    let link = best_p50(queries, &|q| {
        black_box(linker.link(q));
    });
    let introspect = best_p50(queries, &|q| {
        black_box(introspector.introspect(q, linker, false));
    });
    let features: Vec<_> = queries.iter().map(|q| introspector.introspect(q, linker, false)).collect();
    let cell = std::cell::Cell::new(0usize);
    // Cycles through the precomputed features in the order best_p50 visits the queries.
    let plan = best_p50(queries, &|_| {
        let f = &features[cell.get() % features.len()];
        cell.set(cell.get() + 1);
        black_box(policy.plan(f, &availability, None));
    });
    println!(
        "\nBreakdown with the atlas linker (p50 of best-of-{PASSES}): linking {}, introspect incl. linking {}, plan {}",
        micros(link),
        micros(introspect),
        micros(plan)
    );
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// The held-out and dev routing sets: realistic queries of every route.
fn bench_queries() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
    let mut out = Vec::new();
    for file in [dir.join("routing/heldout.jsonl"), dir.join("routing-dev.jsonl")] {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        out.extend(text.lines().filter_map(|l| serde_json::from_str::<LabelledQuery>(l).ok()).map(|q| q.query));
    }
    assert!(!out.is_empty(), "no labelled queries found under {}", dir.display());
    out
}
