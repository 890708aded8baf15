//! The vector route on Milvus: the knowledge base keeps its store of record on disk and its
//! graph in memory, while documents and images are indexed (dense + BM25) in a Milvus
//! collection, behind the same `VectorBackend` seam as the embedded usearch + tantivy store.
//!
//! ```sh
//! pip install milvus-lite==3.2.2 pymilvus
//! milvus-lite server --data-dir /tmp/milvus --host 127.0.0.1 --port 19530 &
//! cargo run --example milvus_backend --features milvus -- http://127.0.0.1:19530
//! ```
//!
//! Look at: `MilvusConfig` (endpoint, collection prefix, whether Milvus or Braid fuses
//! hybrid results), `Options::vectors`, and `status().vector_backend`. Writes are
//! acknowledged once the store of record has them; a Milvus outage is counted in
//! `vector_apply_failures` and repaired at the next start (see docs/MILVUS.md).

use std::sync::Arc;

use anyhow::{Context, Result};
use braid_kb::records::DocumentRecord;
use braid_kb::{KnowledgeBase, Options};
use braid_router::{Filters, Route};
use braid_vector::{Embedder, HashingEmbedder, MilvusBackend, MilvusConfig};

fn main() -> Result<()> {
    let uri = std::env::args().nth(1).unwrap_or_else(|| braid_vector::DEFAULT_MILVUS_URI.to_string());
    let embedder: Arc<dyn Embedder> = Arc::new(HashingEmbedder::default());
    let mut config = MilvusConfig::new(uri.clone(), embedder.dimension());
    config.collection_prefix = "braid_example".into();
    let backend = MilvusBackend::new(config).with_context(|| format!("Milvus at {uri}"))?;

    let dir = tempfile::tempdir()?;
    let mut options = Options::new(dir.path(), embedder);
    options.vectors = Some(Arc::new(backend));
    let kb = KnowledgeBase::open(options)?;
    let status = kb.status()?;
    println!("vector backend: {} ({} items indexed)", status.vector_backend, status.indexed_items);

    kb.put_documents(vec![
        DocumentRecord {
            id: "doc:milvus:1".into(),
            title: "Glaciers".into(),
            text: "A glacier is a persistent body of dense ice that moves under its own weight.".into(),
            entities: vec![],
            source: None,
            license: None,
        },
        DocumentRecord {
            id: "doc:milvus:2".into(),
            title: "Deserts".into(),
            text: "A desert is a landscape where little precipitation falls.".into(),
            entities: vec![],
            source: None,
            license: None,
        },
    ])?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let hits = runtime.block_on(kb.search_route(Route::Vector, "moving ice", 2, Filters::default()))?;
    for hit in &hits {
        println!("{} [{}] {:.3}", hit.title, hit.id, hit.score);
    }
    println!("vector updates that failed after the store committed: {}", kb.status()?.vector_apply_failures);
    Ok(())
}
