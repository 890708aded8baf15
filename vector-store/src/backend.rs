//! `VectorBackend`: what the rest of Braid needs from a vector index, so the embedded
//! usearch + tantivy store and a distributed engine (Milvus) are interchangeable.

use crate::checkpoint::CheckpointInfo;
use crate::error::VectorError;
use crate::item::Item;
use crate::search::{SearchRequest, VectorHit};
use crate::store::VectorStore;

/// A collection of embedded items that can be searched by vector, text and filters.
///
/// Implementations take `&self` and are shared across threads behind an `Arc`.
pub trait VectorBackend: Send + Sync {
    /// A short name reported by `/v1/status`, e.g. `usearch` or `milvus`.
    fn name(&self) -> &str;

    /// Vector dimension of the collection.
    fn dimension(&self) -> usize;

    /// Number of items.
    fn len(&self) -> Result<usize, VectorError>;

    /// Whether the collection is empty.
    fn is_empty(&self) -> Result<bool, VectorError> {
        Ok(self.len()? == 0)
    }

    /// Inserts or replaces items with their vectors; all or nothing on bad input.
    fn upsert_batch(&self, batch: Vec<(Item, Vec<f32>)>) -> Result<usize, VectorError>;

    /// Removes an item; `false` when it was not there.
    fn remove(&self, id: &str) -> Result<bool, VectorError>;

    /// Ranked hits for a request (dense, lexical or hybrid, with filters).
    fn search(&self, request: &SearchRequest) -> Result<Vec<VectorHit>, VectorError>;

    /// Removes every item whose id is not in `keep` and returns how many were removed, so a
    /// persistent backend (Milvus) can be reconciled with the store of record at start-up.
    /// The embedded store drops here what its checkpoint held and the store no longer has.
    fn reconcile(&self, keep: &std::collections::HashSet<String>) -> Result<usize, VectorError> {
        let _ = keep;
        Ok(0)
    }

    /// Saves what a restart needs to skip rebuilding the index into `dir`; `None` when the
    /// backend persists itself (Milvus) and has nothing to save.
    fn checkpoint(&self, dir: &std::path::Path) -> Result<Option<CheckpointInfo>, VectorError> {
        let _ = dir;
        Ok(None)
    }

    /// Items written or removed since the last checkpoint (0 for self-persisting backends).
    fn changes_since_checkpoint(&self) -> u64 {
        0
    }
}

impl VectorBackend for VectorStore {
    fn name(&self) -> &str {
        "usearch"
    }

    fn dimension(&self) -> usize {
        VectorStore::dimension(self)
    }

    fn len(&self) -> Result<usize, VectorError> {
        Ok(VectorStore::len(self))
    }

    fn upsert_batch(&self, batch: Vec<(Item, Vec<f32>)>) -> Result<usize, VectorError> {
        VectorStore::upsert_batch(self, batch)
    }

    fn remove(&self, id: &str) -> Result<bool, VectorError> {
        VectorStore::remove(self, id)
    }

    fn search(&self, request: &SearchRequest) -> Result<Vec<VectorHit>, VectorError> {
        VectorStore::search(self, request)
    }

    fn reconcile(&self, keep: &std::collections::HashSet<String>) -> Result<usize, VectorError> {
        VectorStore::reconcile(self, keep)
    }

    fn checkpoint(&self, dir: &std::path::Path) -> Result<Option<CheckpointInfo>, VectorError> {
        VectorStore::checkpoint(self, dir).map(Some)
    }

    fn changes_since_checkpoint(&self) -> u64 {
        VectorStore::changes_since_checkpoint(self)
    }
}
