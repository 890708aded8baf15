//! Adapters that let the router reach the stores: the graph, the vector index and the web,
//! each as a [`braid_router::Source`], and the graph's linker as an
//! [`braid_router::EntityLinker`]. A new kind of source (a SQL table, a company search
//! engine) goes here as a module of its own, or outside the crate through
//! [`crate::Options::sources`].

mod graph;
pub(crate) mod hits;
mod hybrid;
pub(crate) mod linker;
pub mod rerank;
mod server_graph;
mod vector;
mod web;

pub use graph::GraphSource;
pub use hits::snippet;
pub use linker::GraphLinker;
pub use rerank::Rerank;
pub use server_graph::ServerGraph;
pub use vector::VectorSource;
pub use web::WebSource;
