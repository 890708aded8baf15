//! The knowledge base's schema as the router reads it: what the graph's data says about its
//! relation and entity types ([`braid_graph::SchemaStats`]) merged with the words users gave
//! them in schema records (labels, inverse labels, aliases, plurals). Both are optional
//! inputs to one derived view; nothing about a domain is assumed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use braid_graph::Graph;
use braid_router::{EntityType, KbSchema, RelationType, SchemaSource};

use crate::records::{EntityTypeRecord, RelationTypeRecord, SchemaRecord};

/// The schema records in force, by type name.
#[derive(Debug, Default)]
pub(crate) struct SchemaWords {
    relations: BTreeMap<String, RelationTypeRecord>,
    entity_types: BTreeMap<String, EntityTypeRecord>,
}

impl SchemaWords {
    /// Adds or replaces the words of the records' types.
    pub(crate) fn apply(&mut self, records: impl IntoIterator<Item = SchemaRecord>) {
        for record in records {
            match record {
                SchemaRecord::Relation(r) => {
                    self.relations.insert(r.relation_type.clone(), r);
                }
                SchemaRecord::EntityType(e) => {
                    self.entity_types.insert(e.entity_type.clone(), e);
                }
            }
        }
    }
}

/// The graph's schema with the users' words, as a [`SchemaSource`] of the router.
pub struct GraphSchema {
    graph: Arc<RwLock<Graph>>,
    words: Arc<RwLock<SchemaWords>>,
    /// Grows when schema records are written.
    words_version: Arc<AtomicU64>,
}

impl GraphSchema {
    pub(crate) fn new(graph: Arc<RwLock<Graph>>, words: Arc<RwLock<SchemaWords>>, version: Arc<AtomicU64>) -> Self {
        GraphSchema { graph, words, words_version: version }
    }
}

/// The merged schema of `graph` and `words`.
pub(crate) fn merged(graph: &Graph, words: &SchemaWords) -> KbSchema {
    let stats = graph.schema_stats();
    let relations = stats
        .relations
        .iter()
        .map(|r| {
            let given = words.relations.get(&r.name);
            RelationType {
                name: r.name.clone(),
                label: given.and_then(|g| g.label.clone()),
                inverse: given.and_then(|g| g.inverse.clone()),
                aliases: given.map(|g| g.aliases.clone()).unwrap_or_default(),
                count: r.count,
                source_types: r.source_types.iter().map(|(t, _)| t.clone()).collect(),
                target_types: r.target_types.iter().map(|(t, _)| t.clone()).collect(),
                symmetric: r.symmetric,
            }
        })
        .collect();
    let entity_types = stats
        .entity_types
        .iter()
        .map(|t| {
            let given = words.entity_types.get(&t.name);
            EntityType {
                name: t.name.clone(),
                label: given.and_then(|g| g.label.clone()),
                plural: given.and_then(|g| g.plural.clone()),
                aliases: given.map(|g| g.aliases.clone()).unwrap_or_default(),
                count: t.count,
            }
        })
        .collect();
    KbSchema { relations, entity_types }
}

impl SchemaSource for GraphSchema {
    fn version(&self) -> u64 {
        let graph = self.graph.read().unwrap_or_else(|e| e.into_inner()).version();
        // Two counters in one number: equal only when neither moved.
        graph.wrapping_add(self.words_version.load(Ordering::Acquire).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn schema(&self) -> KbSchema {
        let graph = self.graph.read().unwrap_or_else(|e| e.into_inner());
        let words = self.words.read().unwrap_or_else(|e| e.into_inner());
        merged(&graph, &words)
    }
}
