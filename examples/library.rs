//! Embedding Braid as a library: open a knowledge base in a folder, import your own JSON Lines,
//! look at the routing plan of a question, then answer it.
//!
//! ```sh
//! cargo run --example library -- "Which countries border Kenya?"
//! cargo run --example library -- "pictures of musical instruments" examples/data/atlas
//! ```
//!
//! The second argument is a JSON Lines file or a folder of them (default: the atlas's entities
//! and relations, which is enough for graph questions).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use braid_kb::ingest::{NoProgress, ingest_paths};
use braid_kb::{KnowledgeBase, Options};
use braid_router::QueryRequest;
use braid_vector::HashingEmbedder;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let question = args.next().unwrap_or_else(|| "Which countries border Kenya?".to_string());
    let atlas = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data/atlas");
    let inputs = match args.next() {
        Some(path) => vec![PathBuf::from(path)],
        None => vec![atlas.join("entities.jsonl"), atlas.join("relations.jsonl")],
    };

    // 1. A knowledge base in a fresh folder, with the built-in offline embedder. Like `braid
    //    serve`, it checkpoints its vector index in the background and when it is dropped.
    let dir = tempfile::tempdir()?;
    let kb = KnowledgeBase::open(Options::new(dir.path(), Arc::new(HashingEmbedder::default())))?;

    // 2. Import: entities before relations before documents and images, in batches.
    let report = ingest_paths(&kb, &inputs, &NoProgress).context("importing")?;
    println!(
        "imported {} entities, {} relations, {} documents, {} images ({} rejected)",
        report.entities,
        report.relations,
        report.documents,
        report.images,
        report.rejected.len()
    );

    // 3. The plan: which routes, with what probability, and why.
    let plan = kb.plan(&question)?;
    println!("\n{question}\nprimary route: {:?}", plan.primary);
    for d in &plan.routes {
        println!("  {:<6} p={:.2} selected={} — {}", d.route.as_str(), d.score, d.selected, d.reasons.join("; "));
    }

    // 4. The answer: fused results with their provenance.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let answer = runtime.block_on(kb.query(&QueryRequest::new(question)))?;
    println!("\n{} results in {:.1} ms", answer.results.len(), answer.took_ms);
    for (i, hit) in answer.results.iter().enumerate() {
        let via: Vec<String> = hit.sources.iter().map(|s| format!("{} #{}", s.route, s.rank)).collect();
        println!("{:>3}. {} [{}] via {}", i + 1, hit.title, hit.id, via.join(", "));
        if let Some(fact) = hit.facts.first() {
            println!("       {fact}");
        }
    }
    Ok(())
}
