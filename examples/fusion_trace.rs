//! Fusing results and reading the trace: ask with `explain: true` and the answer carries
//! the decision — the query's features, each route's probability and why, which routes ran
//! and how long they took, and for every fused hit the arithmetic of its score.
//!
//! ```sh
//! cargo run --example fusion_trace -- "how are Kenya and Ethiopia connected"
//! ```
//!
//! Look at: `plan.routes` (probabilities and reasons), `sources` (status and timing of
//! each route that ran), each hit's `sources` (its rank and score in every route that found
//! it, and its contribution to the fused score), and `trace.fusion`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use braid_kb::ingest::{NoProgress, ingest_paths};
use braid_kb::{KnowledgeBase, Options};
use braid_router::QueryRequest;
use braid_vector::HashingEmbedder;

fn main() -> Result<()> {
    let question = std::env::args().nth(1).unwrap_or_else(|| "how are Kenya and Ethiopia connected".into());
    let atlas = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data/atlas");
    let dir = tempfile::tempdir()?;
    let kb = KnowledgeBase::open(Options::new(dir.path(), Arc::new(HashingEmbedder::default())))?;
    ingest_paths(&kb, &[atlas], &NoProgress).context("importing the atlas")?;

    let mut request = QueryRequest::new(question.clone());
    request.k = 5;
    request.explain = true;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let answer = runtime.block_on(kb.query(&request))?;

    println!("{question}\n\nThe plan:");
    for d in &answer.plan.routes {
        let mark = if d.selected { "run " } else { "skip" };
        println!("  {mark} {:<6} p={:.2}  {}", d.route.as_str(), d.score, d.reasons.join("; "));
    }
    println!("\nThe sources:");
    for s in &answer.sources {
        println!("  {:<6} {:?}, {} hits in {:.2} ms", s.route.as_str(), s.status, s.hits, s.took_ms);
    }
    println!("\nThe fused results, with where each came from:");
    for (i, hit) in answer.results.iter().enumerate() {
        println!("{:>2}. {} [{}] score {:.4}", i + 1, hit.title, hit.id, hit.score);
        for s in &hit.sources {
            println!("      {} rank {} (raw score {:.3}) adds {:.4}", s.route, s.rank, s.score, s.contribution);
        }
        for fact in hit.facts.iter().take(2) {
            println!("      fact: {fact}");
        }
    }
    if let Some(trace) = &answer.trace {
        println!("\nThe trace's fusion arithmetic (JSON):\n{}", serde_json::to_string_pretty(&trace.fusion)?);
    }
    Ok(())
}
