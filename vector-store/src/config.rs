//! [`VectorConfig`]: the shape and tuning of a collection's dense index.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How vectors are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Cosine similarity (zero vectors are refused).
    #[default]
    Cos,
    /// Squared Euclidean distance; reported similarity is its negation.
    L2sq,
    /// Inner product, for vectors that are already normalised.
    IP,
}

/// How usearch stores vectors inside the HNSW graph (exact re-scoring always uses f32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Quantization {
    /// 32-bit floats.
    F32,
    /// 16-bit IEEE floats: half the memory, negligible recall loss for normalised vectors.
    #[default]
    F16,
    /// 16-bit brain floats.
    BF16,
    /// 8-bit integers (for cosine on normalised vectors).
    I8,
}

/// The dense index configuration of a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct VectorConfig {
    /// Vector length; must match the embedder's.
    pub dimension: usize,
    /// Similarity metric.
    pub metric: Metric,
    /// Storage precision inside the HNSW graph.
    pub quantization: Quantization,
    /// HNSW `M`: neighbours per node.
    pub connectivity: usize,
    /// HNSW `ef_construction`.
    pub expansion_add: usize,
    /// HNSW `ef` at query time (raised to the requested count when that is larger).
    pub expansion_search: usize,
}

/// The largest accepted dimension; beyond it a config is almost certainly a mistake.
pub const MAX_DIMENSION: usize = 65_536;

impl Default for VectorConfig {
    fn default() -> Self {
        VectorConfig {
            dimension: crate::hashing::DEFAULT_HASHING_DIMENSION,
            metric: Metric::Cos,
            quantization: Quantization::F16,
            connectivity: 16,
            expansion_add: 128,
            // 64 gave recall@10 0.85 on a million clustered 384-d vectors, 128 gave 0.96
            // (BENCHMARKS.md, "ANN"); peers default to about 100.
            expansion_search: 128,
        }
    }
}

impl VectorConfig {
    /// The default configuration with another dimension.
    pub fn with_dimension(dimension: usize) -> Self {
        VectorConfig { dimension, ..VectorConfig::default() }
    }
}
