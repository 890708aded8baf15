//! [`QueryCache`]: an [`Embedder`] that remembers the vectors of the last texts it embedded
//! one at a time, so a query asked again (a user paging, an agent retrying, the planner and
//! the vector route embedding the same text) costs a hash lookup instead of a forward pass
//! (about 10–20 ms for MiniLM on 2 cores). Batches (imports) pass straight through and are
//! not remembered, so an import cannot evict the queries.
//!
//! ```
//! use std::sync::Arc;
//! use braid_vector::{Embedder, HashingEmbedder, QueryCache};
//! let cache = QueryCache::new(Arc::new(HashingEmbedder::new(64)), 128);
//! let a = cache.embed_text("red fox")?;
//! let b = cache.embed_text("red fox")?;
//! assert_eq!(a, b);
//! assert_eq!((cache.hits(), cache.misses()), (1, 1));
//! # Ok::<(), braid_vector::EmbedError>(())
//! ```

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lru::LruCache;

use crate::embed::Embedder;
use crate::error::EmbedError;

/// Queries a knowledge base remembers by default: 1,024 vectors of 384 floats are 1.5 MB.
pub const DEFAULT_QUERY_CACHE_ENTRIES: usize = 1024;

/// An embedder with a least-recently-used cache of single-text embeddings (see the module docs).
pub struct QueryCache {
    inner: Arc<dyn Embedder>,
    cache: Mutex<LruCache<String, Vec<f32>>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for QueryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryCache").field("inner", &self.inner.name()).finish_non_exhaustive()
    }
}

impl QueryCache {
    /// Wraps `inner`, remembering at most `entries` texts (at least one).
    pub fn new(inner: Arc<dyn Embedder>, entries: usize) -> Self {
        let capacity = NonZeroUsize::new(entries.max(1)).unwrap_or(NonZeroUsize::MIN);
        QueryCache {
            inner,
            cache: Mutex::new(LruCache::new(capacity)),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Single texts answered from the cache.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Single texts that had to be embedded.
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }
}

impl Embedder for QueryCache {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn dimension(&self) -> usize {
        self.inner.dimension()
    }

    fn fingerprint(&self) -> Option<String> {
        self.inner.fingerprint()
    }

    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let [text] = texts else { return self.inner.embed_texts(texts) };
        if let Some(found) = self.cache.lock().unwrap_or_else(|e| e.into_inner()).get(*text) {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(vec![found.clone()]);
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        // Embedded outside the lock: two requests for one new text may both embed it.
        let vectors = self.inner.embed_texts(texts)?;
        if let Some(v) = vectors.first() {
            self.cache.lock().unwrap_or_else(|e| e.into_inner()).put((*text).to_string(), v.clone());
        }
        Ok(vectors)
    }

    fn is_multimodal(&self) -> bool {
        self.inner.is_multimodal()
    }

    fn embed_images(&self, images: &[&[u8]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.inner.embed_images(images)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HashingEmbedder;

    #[test]
    fn least_recently_used_texts_are_forgotten_and_batches_pass_through() {
        let cache = QueryCache::new(Arc::new(HashingEmbedder::new(32)), 2);
        for text in ["a fox", "a hen", "a fox", "an owl", "a hen"] {
            cache.embed_text(text).expect("embeds");
        }
        // "a fox" was used again before "an owl" came in, so "a hen" was the one evicted.
        assert_eq!((cache.hits(), cache.misses()), (1, 4));
        let batch = cache.embed_texts(&["a fox", "an owl"]).expect("embeds");
        assert_eq!(batch.len(), 2);
        assert_eq!((cache.hits(), cache.misses()), (1, 4), "batches are not looked up");
        assert!(cache.embed_text(" ").is_err(), "blank text is refused by the embedder");
    }
}
