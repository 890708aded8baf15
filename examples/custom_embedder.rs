//! Plugging in your own embedder: anything that turns text into vectors of one fixed
//! dimension implements `braid_vector::Embedder`, and the knowledge base uses it for
//! documents, image captions and queries alike.
//!
//! ```sh
//! cargo run --example custom_embedder
//! ```
//!
//! Look at: the four methods of the trait (only `name`, `dimension` and `embed_texts` are
//! required), `fingerprint` (say when vectors may be reused across runs), and how the
//! embedder's name shows up in the status. A real one would call a model; this one hashes
//! character trigrams, which is enough to find "colour" from "color".

use std::sync::Arc;

use anyhow::Result;
use braid_kb::records::DocumentRecord;
use braid_kb::{KnowledgeBase, Options};
use braid_router::{Filters, Route};
use braid_vector::{EmbedError, Embedder};

/// Character-trigram counts hashed into 128 buckets, L2-normalised.
struct TrigramEmbedder;

const DIMENSION: usize = 128;

impl Embedder for TrigramEmbedder {
    fn name(&self) -> &str {
        "trigram-128"
    }

    fn dimension(&self) -> usize {
        DIMENSION
    }

    /// The vectors depend on nothing but this code, so they may be cached and reused.
    fn fingerprint(&self) -> Option<String> {
        Some("trigram-128/v1".into())
    }

    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        texts
            .iter()
            .enumerate()
            .map(|(index, text)| {
                if text.trim().is_empty() {
                    return Err(EmbedError::Empty { index });
                }
                let padded: Vec<char> = format!("  {}  ", text.to_lowercase()).chars().collect();
                let mut v = vec![0f32; DIMENSION];
                for w in padded.windows(3) {
                    // FNV-1a over the three characters: cheap and stable across runs.
                    let mut h: u32 = 0x811c_9dc5;
                    for c in w {
                        h = (h ^ *c as u32).wrapping_mul(0x0100_0193);
                    }
                    v[h as usize % DIMENSION] += 1.0;
                }
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::EPSILON);
                Ok(v.into_iter().map(|x| x / norm).collect())
            })
            .collect()
    }
}

fn main() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let kb = KnowledgeBase::open(Options::new(dir.path(), Arc::new(TrigramEmbedder)))?;
    println!("embedder: {}", kb.status()?.embedder.name);

    let notes = [
        ("note:1", "Colour theory", "Complementary colours sit opposite each other on the wheel."),
        ("note:2", "Sourdough", "A starter of flour and water ferments for days before baking."),
        ("note:3", "Tide tables", "High and low water times for the harbour, month by month."),
    ];
    kb.put_documents(
        notes
            .iter()
            .map(|(id, title, text)| DocumentRecord {
                id: id.to_string(),
                title: title.to_string(),
                text: text.to_string(),
                entities: vec![],
                source: None,
                license: None,
            })
            .collect(),
    )?;

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    for query in ["color wheel", "bread fermentation", "harbor tides"] {
        let hits = runtime.block_on(kb.search_route(Route::Vector, query, 2, Filters::default()))?;
        let found: Vec<String> = hits.iter().map(|h| format!("{} ({:.3})", h.title, h.score)).collect();
        println!("{query:>20} → {}", found.join(", "));
    }
    Ok(())
}
