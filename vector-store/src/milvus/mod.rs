//! [`MilvusBackend`]: the vector route on a Milvus server over gRPC (feature `milvus`).
//!
//! Braid keeps one collection, `{prefix}_items`, with both modalities, a dense HNSW field and
//! server-side BM25 over text Braid analyses itself, so results match the embedded store's
//! (see [`schema`] and [`terms`] for why it is laid out and analysed that way).
//!
//! One module per job:
//! - [`connection`]: the configuration, the gRPC client and the runtime every call runs on;
//! - [`schema`]: the collection's fields and indexes, and how an item becomes a row;
//! - [`terms`]: the client-side English analysis shared by rows and queries;
//! - [`filter`]: a [`Filter`](crate::Filter) as a Milvus boolean expression, injection-safe;
//! - [`search`]: dense, lexical and hybrid searches and how their results become hits;
//! - [`backend`]: [`MilvusBackend`] itself, the write path and the
//!   [`VectorBackend`](crate::VectorBackend) implementation.

mod backend;
mod connection;
mod filter;
mod schema;
mod search;
mod terms;

pub use backend::MilvusBackend;
pub use connection::{DEFAULT_COLLECTION_PREFIX, DEFAULT_MILVUS_URI, MilvusConfig};
