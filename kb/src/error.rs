//! The service's typed errors; `server` maps them to HTTP statuses and JSON bodies.

use braid_router::InvalidRequest;

use crate::store::StoreError;

/// What can go wrong in a Braid operation.
#[derive(Debug, thiserror::Error)]
pub enum BraidError {
    /// Bad input, naming the field.
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field (e.g. `items[3].text`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// An unknown id.
    #[error("{what} '{id}' not found")]
    NotFound {
        /// What was looked up (`entity`, `document`, `image`).
        what: &'static str,
        /// The id.
        id: String,
    },
    /// A route or feature that cannot run here, and why.
    #[error("{0}")]
    Unavailable(String),
    /// The caller's key may not do this (e.g. a write with a read key).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// This server is a read-only view (`braid serve --read-only`) and takes no writes.
    #[error("this server is read-only (started with --read-only): writes are refused")]
    ReadOnly,
    /// The store of record failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else that is the server's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl BraidError {
    /// A bad-input error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        BraidError::Invalid { field: field.into(), message: message.into() }
    }

    /// Prefixes the field with `items[i].` for errors inside a batch.
    pub fn in_item(self, index: usize) -> Self {
        match self {
            BraidError::Invalid { field, message } => {
                BraidError::Invalid { field: format!("items[{index}].{field}"), message }
            }
            other => other,
        }
    }
}

impl From<InvalidRequest> for BraidError {
    fn from(e: InvalidRequest) -> Self {
        BraidError::Invalid { field: e.field, message: e.message }
    }
}

impl From<braid_graph::GraphError> for BraidError {
    fn from(e: braid_graph::GraphError) -> Self {
        match e {
            braid_graph::GraphError::UnknownEntity(id) => BraidError::NotFound { what: "entity", id },
            braid_graph::GraphError::InvalidInput { field, message } => BraidError::invalid(field, message),
            e @ braid_graph::GraphError::Unavailable(_) => BraidError::Unavailable(e.to_string()),
            e @ braid_graph::GraphError::Server(_) => BraidError::Internal(e.to_string()),
        }
    }
}

impl From<braid_vector::VectorError> for BraidError {
    fn from(e: braid_vector::VectorError) -> Self {
        match e {
            braid_vector::VectorError::InvalidInput { field, reason } => BraidError::invalid(field, reason),
            braid_vector::VectorError::ReadOnly => BraidError::ReadOnly,
            e if e.is_client_error() => BraidError::invalid("vector", e.to_string()),
            e => BraidError::Internal(e.to_string()),
        }
    }
}

impl From<braid_vector::EmbedError> for BraidError {
    fn from(e: braid_vector::EmbedError) -> Self {
        match e {
            braid_vector::EmbedError::Unsupported(m) => BraidError::Unavailable(m),
            // Empty or undecodable input is the caller's to fix, not a server fault.
            braid_vector::EmbedError::Empty { .. } => {
                BraidError::invalid("text", "nothing to embed: the input is empty")
            }
            braid_vector::EmbedError::InvalidInput(m) => BraidError::invalid("input", m),
            other => BraidError::Internal(format!("embedder: {other}")),
        }
    }
}
