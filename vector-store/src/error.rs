//! Typed errors of the vector store and of embedders.

use thiserror::Error;

/// An error from [`VectorStore`](crate::VectorStore) operations.
///
/// Variants caused by the caller's input (`Dimension`, `NonFinite`, `ZeroVector`,
/// `InvalidInput`) map to 4xx answers; `Dense`, `Lexical` and `Internal` are faults
/// of the server.
#[derive(Debug, Error)]
pub enum VectorError {
    /// A vector does not have the collection's dimension.
    #[error("vector has dimension {got}, expected {expected}")]
    Dimension {
        /// The collection's dimension.
        expected: usize,
        /// The length of the vector that was given.
        got: usize,
    },
    /// A vector holds NaN or an infinity.
    #[error("vector component {index} is not a finite number")]
    NonFinite {
        /// Position of the first offending component.
        index: usize,
    },
    /// A zero vector has no direction, so cosine similarity is undefined for it.
    #[error("zero vector is not allowed with the cosine metric")]
    ZeroVector,
    /// A request field is missing or out of range.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// Name of the offending field, as it appears in the API.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The usearch HNSW index failed.
    #[error("dense index: {0}")]
    Dense(String),
    /// The tantivy index failed.
    #[error("lexical index: {0}")]
    Lexical(#[from] tantivy::TantivyError),
    /// A remote vector engine (Milvus) failed or could not be reached.
    #[error("remote vector engine: {0}")]
    Remote(String),
    /// The store is a memory-mapped view of a checkpoint and takes no writes.
    #[error("the vector index is a read-only view of a checkpoint")]
    ReadOnly,
    /// A checkpoint could not be written or read back.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The file or folder involved.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// An invariant of the store was broken; a bug, never caused by input.
    #[error("internal: {0}")]
    Internal(String),
}

impl VectorError {
    pub(crate) fn checkpoint(path: &std::path::Path, message: impl std::fmt::Display) -> Self {
        VectorError::Checkpoint { path: path.display().to_string(), message: message.to_string() }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        VectorError::InvalidInput { field, reason: reason.into() }
    }

    /// True when the error is caused by the caller's input rather than by a fault.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            VectorError::Dimension { .. }
                | VectorError::NonFinite { .. }
                | VectorError::ZeroVector
                | VectorError::InvalidInput { .. }
        )
    }
}

/// Maps a usearch (C++) exception, which the crate cannot name without `cxx`.
pub(crate) fn dense_error(e: impl std::fmt::Display) -> VectorError {
    VectorError::Dense(e.to_string())
}

/// An error from an [`Embedder`](crate::Embedder).
#[derive(Debug, Error)]
pub enum EmbedError {
    /// The embedder cannot embed this kind of input (e.g. images with a text-only model).
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The input is empty, so there is nothing to embed.
    #[error("nothing to embed: input {index} is empty")]
    Empty {
        /// Position of the empty input in the batch.
        index: usize,
    },
    /// The input could not be decoded or is otherwise invalid.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The model or remote endpoint failed.
    #[error("embedding backend: {0}")]
    Backend(String),
    /// An embedding cache file is unreadable or belongs to another model.
    #[error("{0}")]
    Cache(String),
}
