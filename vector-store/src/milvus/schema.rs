//! The collection Braid keeps in Milvus: its fields, indexes and BM25 functions, creating it
//! (or checking that an existing one fits), and how an item becomes a row.
//!
//! Layout: one collection, `{prefix}_items`, holding both modalities with the fields Braid
//! filters on (`modality`, `kind`, `tags`, `entities`, `source`), the `title` a hit shows, a
//! `dense` FLOAT_VECTOR with an HNSW index (COSINE for Braid's default metric) and three
//! SPARSE_FLOAT_VECTORs filled by server-side BM25 functions: `sparse` (the title's terms,
//! then the text's: the lexical ranking and server-side fusion search it, as the embedded
//! store searches its one `body` field), and `title_sparse` and `text_sparse`, per-field BM25
//! that collections made before the one-field ranking have, still written so both kinds of
//! collection open, and not searched. One collection rather than one
//! per modality because BM25 statistics (IDF, average length) are per collection: split by
//! modality, "flag" is common among images and rare overall, and hybrid top-10s drifted to
//! 0.5 overlap with the embedded store on such queries (measured); together they match.
//!
//! The BM25 inputs hold terms Braid analysed on the client (see [`super::terms`]).

use std::collections::HashMap;

use ::milvus::v2 as sdk;
use ::milvus::v2::prelude as mv;
use serde_json::json;

use super::connection::{MilvusConfig, remote, sdk_err};
use super::terms::TermAnalyzer;
use crate::config::Metric;
use crate::error::VectorError;
use crate::item::Item;
use crate::validate::MAX_KEYWORD_BYTES;

/// Milvus VARCHAR fields hold at most this many bytes.
pub(super) const MAX_VARCHAR_BYTES: usize = 65_535;
/// Milvus ARRAY fields hold at most this many elements.
const MAX_ARRAY_ELEMENTS: usize = 4_096;

/// What the collection cannot hold beyond the checks every backend makes
/// ([`validate_item`](crate::validate::validate_item)): more list values than an ARRAY field
/// takes.
pub(super) fn validate_lists(item: &Item) -> Result<(), VectorError> {
    for (field, n) in [("tags", item.tags.len()), ("entities", item.entities.len())] {
        if n > MAX_ARRAY_ELEMENTS {
            return Err(VectorError::invalid(field, format!("Milvus holds at most {MAX_ARRAY_ELEMENTS} values")));
        }
    }
    Ok(())
}

/// The row of `item` with its vector, the BM25 inputs in analysed terms.
pub(super) fn row(terms: &TermAnalyzer, item: &Item, vector: &[f32]) -> serde_json::Value {
    json!({
        "id": item.id,
        "modality": item.modality.as_str(),
        "kind": item.kind,
        "title": truncate(&item.title, MAX_VARCHAR_BYTES),
        "lexical": terms.lexical_field(item),
        "title_terms": terms.terms_field(&item.title),
        "text_terms": terms.terms_field(&item.text),
        "tags": item.tags,
        "entities": item.entities,
        // Milvus Lite's nullable support is not needed: "" stands for "no source".
        "source": item.source.clone().unwrap_or_default(),
        "dense": vector,
    })
}

/// Cuts `s` to at most `max` bytes at a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn metric_type(metric: Metric) -> mv::MetricType {
    match metric {
        Metric::Cos => mv::MetricType::Cosine,
        Metric::IP => mv::MetricType::Ip,
        Metric::L2sq => mv::MetricType::L2,
    }
}

fn schema(config: &MilvusConfig) -> mv::CollectionSchema {
    let varchar = |name: &str, max: usize| {
        sdk::FieldSchema::new().name(name).data_type(sdk::DataType::VarChar).max_length(max as u32)
    };
    let array = |name: &str| {
        sdk::FieldSchema::new()
            .name(name)
            .data_type(sdk::DataType::Array)
            .element_type(sdk::DataType::VarChar)
            .max_capacity(MAX_ARRAY_ELEMENTS as u32)
            .max_length(MAX_KEYWORD_BYTES as u32)
    };
    let analysed = |name: &str| {
        varchar(name, MAX_VARCHAR_BYTES)
            .enable_analyzer(true)
            .analyzer_params(json!({"tokenizer": "standard", "filter": ["lowercase"]}))
    };
    let sparse = |name: &str| sdk::FieldSchema::new().name(name).data_type(sdk::DataType::SparseFloatVector);
    let bm25 = |name: &str, input: &str, output: &str| {
        mv::Function::new()
            .name(name)
            .function_type(mv::FunctionType::Bm25)
            .input_fields([input])
            .output_fields([output])
    };
    sdk::CollectionSchema::new()
        .add_field(varchar("id", MAX_KEYWORD_BYTES).primary_key(true))
        .add_field(varchar("modality", 16))
        .add_field(varchar("kind", MAX_KEYWORD_BYTES))
        .add_field(varchar("title", MAX_VARCHAR_BYTES))
        .add_field(analysed("lexical"))
        .add_field(analysed("title_terms"))
        .add_field(analysed("text_terms"))
        .add_field(array("tags"))
        .add_field(array("entities"))
        .add_field(varchar("source", MAX_KEYWORD_BYTES))
        .add_field(
            sdk::FieldSchema::new()
                .name("dense")
                .data_type(sdk::DataType::FloatVector)
                .dimension(config.dimension as u32),
        )
        .add_field(sparse("sparse"))
        .add_field(sparse("title_sparse"))
        .add_field(sparse("text_sparse"))
        .add_function(bm25("lexical_bm25", "lexical", "sparse"))
        .add_function(bm25("title_bm25", "title_terms", "title_sparse"))
        .add_function(bm25("text_bm25", "text_terms", "text_sparse"))
}

/// Creates the collection `name` with its indexes, or checks that the existing one is
/// Braid's with the configured dimension; then loads it.
pub(super) async fn ensure_collection(
    client: &mv::ClientV2,
    config: &MilvusConfig,
    name: &str,
) -> Result<(), VectorError> {
    let has = mv::HasCollectionRequest::builder().collection_name(name).build().map_err(sdk_err)?;
    let exists = client.has_collection(has).await.map_err(|e| remote("has_collection", e))?.exists();
    if exists {
        let req = mv::DescribeCollectionRequest::builder().collection_name(name).build().map_err(sdk_err)?;
        let desc = client.describe_collection(req).await.map_err(|e| remote("describe_collection", e))?;
        let fields = desc.description().get_schema().get_fields();
        let dense = fields.iter().find(|f| f.get_name() == "dense");
        let has_sparse =
            ["sparse", "title_sparse", "text_sparse"].iter().all(|n| fields.iter().any(|f| f.get_name() == *n));
        match dense {
            Some(f) if f.get_dimension() as usize == config.dimension && has_sparse => {}
            Some(f) => {
                return Err(VectorError::invalid(
                    "collection",
                    format!(
                        "Milvus collection '{name}' has dimension {} but the embedder gives {}; \
                         choose another collection prefix or drop it (`braid index rebuild --backend milvus --fresh`)",
                        f.get_dimension(),
                        config.dimension
                    ),
                ));
            }
            None => {
                return Err(VectorError::invalid(
                    "collection",
                    format!("Milvus collection '{name}' exists but was not made by Braid; choose another prefix"),
                ));
            }
        }
    } else {
        let dense_index = mv::IndexParam::new()
            .field_name("dense")
            .index_type(mv::IndexType::Hnsw)
            .metric_type(metric_type(config.metric))
            .extra_params(HashMap::from([
                ("M".to_string(), config.hnsw_m.to_string()),
                ("efConstruction".to_string(), config.hnsw_ef_construction.to_string()),
            ]));
        let sparse_index = |field: &str| {
            mv::IndexParam::new()
                .field_name(field)
                .index_type(mv::IndexType::SparseInvertedIndex)
                .metric_type(mv::MetricType::Bm25)
        };
        let req = mv::CreateCollectionRequest::builder()
            .collection_name(name)
            .schema(schema(config))
            .index_params(vec![
                dense_index,
                sparse_index("sparse"),
                sparse_index("title_sparse"),
                sparse_index("text_sparse"),
            ])
            .build()
            .map_err(sdk_err)?;
        client.create_collection(req).await.map_err(|e| remote("create_collection", e))?;
    }
    let load = mv::LoadCollectionRequest::builder().collection_name(name).build().map_err(sdk_err)?;
    client.load_collection(load).await.map_err(|e| remote("load_collection", e))?;
    Ok(())
}
