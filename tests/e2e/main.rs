//! End-to-end tests of the `braid` binary: real servers on loopback, real HTTP, real data.
//! One test binary for the package (modules below) keeps CI's link time down.

mod bad_input;
mod checkpoint;
mod crash;
mod embedding_cache;
#[cfg(feature = "falkordb")]
mod falkordb;
mod files;
mod foundation;
mod harness;
mod interfaces;
#[cfg(feature = "milvus")]
mod milvus;
mod models;
mod rerank;
mod web;
