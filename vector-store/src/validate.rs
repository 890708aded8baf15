//! The input checks every backend makes before writing or searching: an item's id and
//! keyword fields, and a vector's length, values and direction.
//!
//! One copy, so the embedded store and Milvus refuse the same input with the same errors
//! (a backend with tighter limits of its own, like Milvus' ARRAY capacity, adds its checks
//! after these).

use crate::config::Metric;
use crate::error::VectorError;
use crate::item::Item;

/// Ids, kinds, tags, entities and sources are exact-match index terms; longer values are
/// almost certainly mistakes and tantivy caps term length anyway.
pub const MAX_KEYWORD_BYTES: usize = 1_024;

/// Checks that the item has an id and that no keyword field exceeds [`MAX_KEYWORD_BYTES`].
pub(crate) fn validate_item(item: &Item) -> Result<(), VectorError> {
    if item.id.trim().is_empty() {
        return Err(VectorError::invalid("id", "must not be empty"));
    }
    let too_long = |s: &str| s.len() > MAX_KEYWORD_BYTES;
    let checks: [(&'static str, bool); 5] = [
        ("id", too_long(&item.id)),
        ("kind", too_long(&item.kind)),
        ("tags", item.tags.iter().any(|t| too_long(t))),
        ("entities", item.entities.iter().any(|e| too_long(e))),
        ("source", item.source.as_deref().is_some_and(too_long)),
    ];
    for (field, bad) in checks {
        if bad {
            return Err(VectorError::invalid(field, format!("values are limited to {MAX_KEYWORD_BYTES} bytes")));
        }
    }
    Ok(())
}

/// Checks that a vector (of an item or a query) has the collection's `dimension`, only finite
/// components and, under the cosine metric, a direction.
pub(crate) fn validate_vector(vector: &[f32], dimension: usize, metric: Metric) -> Result<(), VectorError> {
    if vector.len() != dimension {
        return Err(VectorError::Dimension { expected: dimension, got: vector.len() });
    }
    if let Some(index) = vector.iter().position(|x| !x.is_finite()) {
        return Err(VectorError::NonFinite { index });
    }
    if metric == Metric::Cos && vector.iter().all(|&x| x == 0.0) {
        return Err(VectorError::ZeroVector);
    }
    Ok(())
}
