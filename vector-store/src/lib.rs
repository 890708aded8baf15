//! `braid-vector`: Braid's vector store — collections of embedded text and image items,
//! searched by vector (usearch HNSW), by keywords (tantivy BM25) or both fused by
//! reciprocal rank fusion, with metadata filters that never cut a result list short.
//!
//! The store does not embed: the caller turns text (or images) into vectors with an
//! [`Embedder`] and hands both the item and its vector to the store. The built-in
//! [`HashingEmbedder`] needs no model, so everything runs offline.
//!
//! ```
//! use braid_vector::{
//!     Embedder, Filter, HashingEmbedder, Item, Modality, SearchRequest, VectorConfig,
//!     VectorStore,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let embedder = HashingEmbedder::new(384);
//! let store = VectorStore::in_memory(VectorConfig::with_dimension(embedder.dimension()))?;
//!
//! let docs = [
//!     ("doc:koala", "Koala", "The koala is a marsupial of Australia that eats eucalyptus leaves."),
//!     ("doc:paris", "Paris", "Paris is the capital and largest city of France."),
//! ];
//! for (id, title, text) in docs {
//!     let item = Item {
//!         id: id.into(),
//!         modality: Modality::Text,
//!         kind: "document".into(),
//!         title: title.into(),
//!         text: text.into(),
//!         tags: vec![],
//!         entities: vec![],
//!         source: None,
//!     };
//!     let vector = embedder.embed_text(&format!("{title}\n{text}"))?;
//!     store.upsert(item, vector)?;
//! }
//!
//! let query = "marsupials eating eucalyptus";
//! let request = SearchRequest::hybrid(query, embedder.embed_text(query)?, 5)
//!     .with_filter(Filter { modality: Some(Modality::Text), ..Filter::default() });
//! let hits = store.search(&request)?;
//! assert_eq!(hits[0].id, "doc:koala");
//! assert!(hits[0].dense.is_some() && hits[0].lexical.is_some());
//! # Ok(())
//! # }
//! ```
//!
//! How a search runs: the dense side picks a plan by filter selectivity, estimated from an
//! inverted index of the metadata (an exact scan of a small matching subset, or HNSW with
//! the filter as a predicate, falling back to the exact scan when HNSW comes back short),
//! so a filter never returns fewer than `k` hits while `k` items match. The BM25 side applies the filter inside the tantivy query.
//! [`VectorStore::search_explained`] reports the plan for explain traces.
//!
//! Memory: the HNSW index holds the only copy of each vector (f16 by default); per item the
//! store keeps its id, title, filter terms and vector digest, and nothing else.
//! [`VectorStore::in_dir`] puts the lexical index (with every item's text, read back by
//! [`VectorStore::get`]) in memory-mapped files; [`VectorStore::in_memory`] keeps it in RAM.
//!
//! Persistence: [`VectorStore::checkpoint`] saves the HNSW graph with each item's id and
//! vector digest; [`VectorStore::from_checkpoint`] reopens it, loaded or memory-mapped
//! read-only ([`OpenMode`]), and the caller's replay of its items reuses every unchanged entry
//! instead of inserting it again ([`RestoreStats`] says how it went).
//!
//! Modules, one concept each: [`Item`] and [`Filter`] describe what is stored and how it
//! is narrowed; [`Embedder`] and [`HashingEmbedder`] make vectors, and [`CachedEmbedder`]
//! reuses vectors from an [`EmbeddingCache`] file; [`SearchRequest`] and
//! [`VectorHit`] are the query and answer shapes; the dense (usearch) and lexical
//! (tantivy) indexes and the RRF fusion are internal to [`VectorStore`].

pub mod analyzer;
mod backend;
mod checkpoint;
mod clip;
mod config;
mod cross_encoder;
mod dense;
mod embed;
mod embed_cache;
mod error;
mod filter;
pub mod fusion;
mod hashing;
mod http_embedder;
mod item;
mod lexical;
mod local_model;
#[cfg(feature = "milvus")]
mod milvus;
mod minilm;
mod model_files;
mod postings;
mod query_cache;
mod records;
mod rerank;
mod scratch_dir;
mod search;
mod store;
mod trim;
mod validate;

#[cfg(feature = "milvus")]
pub use crate::milvus::{DEFAULT_COLLECTION_PREFIX, DEFAULT_MILVUS_URI, MilvusBackend, MilvusConfig};
pub use backend::VectorBackend;
pub use checkpoint::{CheckpointInfo, RestoreStats};
pub use clip::{CLIP_HUB_REPO, ClipEmbedder, ClipPreprocess};
pub use config::{MAX_DIMENSION, Metric, Quantization, VectorConfig};
pub use cross_encoder::CrossEncoderReranker;
pub use dense::OpenMode;
pub use embed::Embedder;
pub use embed_cache::{CacheHeader, CacheStats, CachedEmbedder, EmbeddingCache};
pub use error::{EmbedError, VectorError};
pub use filter::Filter;
pub use fusion::{DEFAULT_DENSE_WEIGHT, Fusion, FusionMethod};
pub use hashing::{DEFAULT_HASHING_DIMENSION, HashingEmbedder};
pub use http_embedder::{HttpEmbedder, HttpEmbedderConfig};
pub use item::{Item, ItemMeta, Modality};
pub use minilm::{DEFAULT_MINILM_BATCH, MINILM_HUB_REPO, MiniLmEmbedder};
pub use model_files::hub_cache_dir;
pub use query_cache::{DEFAULT_QUERY_CACHE_ENTRIES, QueryCache};
pub use rerank::{HttpReranker, Reranker};
pub use search::{
    DEFAULT_RRF_K, DensePlan, MAX_EF, MAX_K, SearchMode, SearchOutcome, SearchPlan, SearchRequest, VectorHit,
};
pub use store::{IndexCounts, VectorStore};
pub use validate::MAX_KEYWORD_BYTES;
