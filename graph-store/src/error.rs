//! Typed errors of the graph store.

use thiserror::Error;

/// Everything that can go wrong when writing to or querying the graph.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GraphError {
    /// An entity id that is not in the graph.
    #[error("unknown entity '{0}'")]
    UnknownEntity(String),
    /// A request field with an unusable value; `field` names it for the caller's error body.
    #[error("invalid {field}: {message}")]
    InvalidInput {
        /// The offending field, e.g. `"depth"` or `"relation"`.
        field: &'static str,
        /// Why the value was rejected.
        message: String,
    },
}

impl GraphError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidInput { field, message: message.into() }
    }
}
