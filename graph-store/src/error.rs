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
    /// A graph database server could not answer: unreachable, timed out or failed. The
    /// graph route reports it as its error; the other routes still answer.
    #[error("graph server unavailable: {0}")]
    Unavailable(String),
    /// A graph database server refused a query or sent an answer that could not be read.
    #[error("graph server error: {0}")]
    Server(String),
}

impl GraphError {
    /// An [`GraphError::InvalidInput`] naming `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidInput { field, message: message.into() }
    }
}
